"""Benchmark: the three text steps (families, domains, mentions) of this tree against another tree.

    .venv/bin/python bench/bench_classify_steps.py --old-tree DIR [--papers 200000] [--rounds 2] [--real]

Builds one input database (int_papers, stg_arxiv__papers, an empty stg_pwc__eval_results) either
from generated texts the way ``bench_warehouse.py`` makes its lake (a pool of sample abstracts,
titles made distinct by " [i]", its category mix) or, with ``--real``, from the real 2025 cs
listings (every paper taken as ML). Each step of each tree then runs in its own child process on
a copy of those tables with a fresh MLGRAPH_HOME (cold caches), old and new alternating, and
writes its output table; the tables of the two trees are compared row by row (order included).
Prints JSON: per step and tree the wall and CPU seconds of each round, the best of each, their
ratio, and whether the outputs are identical; the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REAL_2025 = Path("arxiv-metadata-oai-snapshot.cs-2025.jsonl.gz")
STEPS = {  # step -> (module, function, output table)
    "families": ("pipeline.classify.warehouse", "classify_papers", "int_paper_text_families"),
    "domains": ("pipeline.classify.warehouse", "classify_domains", "int_paper_text_domains"),
    "mentions": ("pipeline.classify.mentions_warehouse", "build_mentions", "int_paper_model_mentions"),
}
CATS = ["cs.CL", "cs.CV", "cs.LG", "cs.AI", "stat.ML", "cs.RO", "cs.SD", "eess.SP", "q-bio.NC", "cs.SI",
        "math.OC", "cs.IR"]

# Run inside the tree under test (its own `pipeline`), with the input database and output paths.
CHILD = r"""
import logging, resource, sys, time
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
import duckdb
tree, db, home, out, module, func, table = sys.argv[1:8]
sys.path.insert(0, tree)
step = getattr(import_module(module), func)
assert import_module("pipeline").__file__.startswith(tree)
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
for t in ("int_papers", "stg_arxiv__papers", "stg_pwc__eval_results"):
    con.execute(f"CREATE TABLE {t} AS SELECT * FROM src.{t}")
con.execute("DETACH src")
ctx = SimpleNamespace(settings=SimpleNamespace(home=Path(home)), exports_dir=None, run_id="bench",
                      log=logging.getLogger("bench"))
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime
c0, t0 = cpu(), time.perf_counter()
step(con, ctx)
wall, cpu_s = time.perf_counter() - t0, cpu() - c0
con.execute(f"COPY (SELECT row_number() OVER () AS _row, * FROM {table}) TO '{out}' (FORMAT parquet)")
print(wall, cpu_s)
"""


def build_input(db: Path, papers: int, real: Path | None, work: Path) -> dict:
    """Write the input tables into ``db``; returns what they hold."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    if real is not None:
        con.execute(f"""CREATE TABLE stg_arxiv__papers AS
            SELECT id AS paper_id, title, abstract, string_split(categories, ' ') AS categories,
                   string_split(categories, ' ')[1] AS primary_category
            FROM read_json('{real}', format = 'newline_delimited', columns = {{
                id: 'VARCHAR', title: 'VARCHAR', abstract: 'VARCHAR', categories: 'VARCHAR'}})""")
        if papers:
            con.execute(f"DELETE FROM stg_arxiv__papers WHERE paper_id NOT IN "
                        f"(SELECT paper_id FROM stg_arxiv__papers ORDER BY paper_id LIMIT {papers})")
    else:
        # as bench_warehouse.generate_lake: abstracts from a pool of sample texts, distinct titles
        from pipeline.sample import generate

        pool = work / "text-pool"
        generate(pool, 2000, 7)
        con.execute(f"""CREATE TABLE texts AS SELECT row_number() OVER () - 1 AS k, title, abstract
                        FROM read_json('{pool / "arxiv" / "corpus.jsonl.gz"}', format = 'newline_delimited')""")
        n_texts = con.execute("SELECT count(*) FROM texts").fetchall()[0][0]
        cats = "[" + ", ".join(f"'{c}'" for c in CATS) + "]"
        con.execute(f"""CREATE TABLE stg_arxiv__papers AS
            SELECT printf('p%07d', i) AS paper_id, t.title || ' [' || i || ']' AS title, t.abstract,
                   CASE WHEN i % 7 = 0 THEN [{cats}[CAST(1 + hash(i) % 12 AS INTEGER)]]
                        ELSE list_distinct([{cats}[CAST(1 + hash(i) % 12 AS INTEGER)], 'cs.LG']) END AS categories,
                   {cats}[CAST(1 + hash(i) % 12 AS INTEGER)] AS primary_category
            FROM range({papers}) r(i) JOIN texts t ON t.k = hash(i) % {n_texts}""")
        con.execute("DROP TABLE texts")
    con.execute("CREATE TABLE int_papers AS SELECT paper_id, title, abstract, categories, primary_category, "
                "true AS is_ml FROM stg_arxiv__papers")
    con.execute("CREATE TABLE stg_pwc__eval_results (model_name VARCHAR, paper_title VARCHAR)")
    n, chars = con.execute("SELECT count(*), avg(length(abstract)) FROM int_papers").fetchall()[0]
    distinct = con.execute("SELECT count(DISTINCT abstract) FROM int_papers").fetchall()[0][0]
    con.close()
    return {"papers": n, "mean_abstract_chars": round(chars or 0), "distinct_abstracts": distinct}


def run_step(tree: Path, db: Path, work: Path, step: str, tag: str) -> tuple[float, float, Path]:
    """Run one step of one tree in a child process; (wall s, CPU s incl. its pool, output Parquet)."""
    module, func, table = STEPS[step]
    home = Path(tempfile.mkdtemp(prefix=f"home-{tag}-", dir=work))
    out = work / f"{step}-{tag}.parquet"
    res = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(db), str(home), str(out), module, func, table],
                         cwd=tree, capture_output=True, text=True, check=False)
    if res.returncode:
        raise SystemExit(f"{step} in {tree} failed:\n{res.stderr[-3000:]}")
    wall, cpu = map(float, res.stdout.split()[-2:])
    return wall, cpu, out


def identical(a: Path, b: Path) -> dict:
    """Row counts and whether two output tables are equal row by row, in order."""
    import duckdb

    con = duckdb.connect()
    na, nb = (con.execute(f"SELECT count(*) FROM '{p}'").fetchall()[0][0] for p in (a, b))
    diff = con.execute(f"SELECT count(*) FROM ((FROM '{a}' EXCEPT ALL FROM '{b}') UNION ALL "
                       f"(FROM '{b}' EXCEPT ALL FROM '{a}'))").fetchall()[0][0]
    return {"rows_old": na, "rows_new": nb, "differing_rows": diff, "identical": na == nb and diff == 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-tree", required=True, type=Path, help="checkout to compare against (e.g. main's HEAD)")
    ap.add_argument("--papers", type=int, default=200_000, help="generated papers (with --real: at most, 0 = all)")
    ap.add_argument("--real", nargs="?", const="auto", default=None,
                    help="the real 2025 listings (path, or found under ../shared/data/real-scale)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", default="families,domains,mentions")
    args = ap.parse_args()
    real = None
    if args.real:
        candidates = [Path(args.real)] if args.real != "auto" else [
            p / "shared" / "data" / "real-scale" / "arxiv-cs-2025" / REAL_2025 for p in (REPO.parent, *REPO.parents)]
        real = next((p for p in candidates if p.exists()), None)
        if real is None:
            raise SystemExit("real 2025 listings not found")
    trees = {"old": args.old_tree.resolve(), "new": REPO}
    result: dict = {"load_before": os.getloadavg(), "trees": {k: str(v) for k, v in trees.items()}}
    with tempfile.TemporaryDirectory(prefix="bench-cls-steps-") as tmp:
        work = Path(tmp)
        db = work / "input.duckdb"
        t0 = time.perf_counter()
        result["input"] = build_input(db, args.papers, real, work)
        result["input"]["source"] = str(real) if real else "generated (bench_warehouse's text pool)"
        result["input"]["seconds"] = round(time.perf_counter() - t0, 1)
        for step in args.steps.split(","):
            runs: dict = {"old": [], "new": []}
            outs = {}
            for r in range(args.rounds):
                for tag in (("old", "new") if r % 2 == 0 else ("new", "old")):  # alternate who goes first
                    wall, cpu, outs[tag] = run_step(trees[tag], db, work, step, f"{tag}{r}")
                    runs[tag].append({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load1": os.getloadavg()[0]})
            best = {tag: min(x["wall_s"] for x in runs[tag]) for tag in runs}
            best_cpu = {tag: min(x["cpu_s"] for x in runs[tag]) for tag in runs}
            result[step] = {"runs": runs, "best_wall_s": best, "best_cpu_s": best_cpu,
                            "old_over_new_wall": round(best["old"] / best["new"], 2),
                            "old_over_new_cpu": round(best_cpu["old"] / best_cpu["new"], 2),
                            **identical(outs["old"], outs["new"])}
            print(json.dumps({step: result[step]}), file=sys.stderr, flush=True)
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
