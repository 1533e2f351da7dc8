"""Benchmark: each indicator step of two code trees on one built warehouse, side by side, outputs compared.

    .venv/bin/python bench/bench_indicator_steps.py --warehouse W.duckdb --old-tree DIR [--steps a b ...]
        [--repeat 1] [--threads 2] [--memory-limit 4GB]

``W.duckdb`` is a built warehouse (e.g. the candidate that ``bench_warehouse.py --home H`` leaves under
``H/warehouse/candidates/``); ``DIR`` is a checkout of the anchor tree (``git worktree add DIR <commit>``).
For each step (``pipeline.indicators.*:<step>`` as the YAML contracts declare them, and
``build_citation_metrics``) and each
tree, a child process opens an in-memory database, attaches ``W`` read-only, exposes every table but
the step's own outputs as views, runs the step, and writes its outputs to Parquet; wall, CPU and
peak RSS are the child's alone. Old and new alternate, so load drifts hit both. Then each output
table of the new tree is compared with the old one's: same rows and columns (floats to 1e-9
relative or 1e-12 absolute), or else the rows that differ and each float column's largest absolute
and relative difference (bootstrap intervals move when a step's random draws change). Prints JSON: per step old and new seconds, the ratio old/new, and the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, logging, resource, sys, time
from pathlib import Path
tree, warehouse, step, outputs, out_dir, threads, memory = sys.argv[1:8]
sys.path.insert(0, tree)
import duckdb
from pipeline.warehouse.runner import resolve_step
outputs = outputs.split(",")
con = duckdb.connect()
con.execute(f"SET threads = {int(threads)}")
con.execute(f"SET memory_limit = '{memory}'")
con.execute(f"ATTACH '{warehouse}' AS src (READ_ONLY)")
for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' "
                        "AND schema_name = 'main'").fetchall():
    if t not in outputs:
        con.execute(f'CREATE VIEW "{t}" AS SELECT * FROM src."{t}"')
fn = resolve_step(step)
class Ctx:
    log = logging.getLogger("bench")
t0, c0 = time.perf_counter(), time.process_time()
fn(con, Ctx())
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
for t in outputs:
    con.execute(f"COPY (SELECT * FROM \"{t}\") TO '{Path(out_dir) / (t + '.parquet')}' (FORMAT parquet)")
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_gb": round(rss, 2)}))
"""


def indicator_steps(tree: Path) -> dict[str, list[str]]:
    """Step (``module:function``) → the tables it writes: the tree's pipeline.indicators steps and citation metrics."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); "
            "from pipeline.warehouse.contracts import registry; "
            "print(json.dumps({m.name: m.step for m in registry().values() if m.is_python and m.step}))")
    steps = json.loads(subprocess.run([sys.executable, "-c", code, str(tree)], check=True, capture_output=True,
                                      text=True, cwd=tree).stdout)
    out: dict[str, list[str]] = {}
    for table, step in steps.items():
        # build_citation_metrics is not an ind_ step but runs beside them on every build and night
        if step.startswith("pipeline.indicators.") or step == "pipeline.warehouse.citations:build_citation_metrics":
            out.setdefault(step, []).append(table)
    return {k: sorted(v) for k, v in sorted(out.items())}


def run_step(tree: Path, warehouse: Path, step: str, outputs: list[str], out_dir: Path, args) -> dict:
    """One step in a child process of ``tree``; its timing, or its error."""
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(warehouse), step, ",".join(outputs),
                           str(out_dir), str(args.threads), args.memory_limit],
                          capture_output=True, text=True, cwd=tree, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(old_dir: Path, new_dir: Path, tables: list[str]) -> dict:
    """Per table: 'identical' (to 1e-9 relative on floats) or the columns that differ and by how much."""
    import duckdb

    con = duckdb.connect()
    out = {}
    for t in tables:
        old, new = old_dir / f"{t}.parquet", new_dir / f"{t}.parquet"
        if not (old.is_file() and new.is_file()):
            out[t] = "missing"
            continue
        cols_old = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{old}'").fetchall()]
        cols_new = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM '{new}'").fetchall()}
        n_old, n_new = (con.execute(f"SELECT count(*) FROM '{p}'").fetchone()[0] for p in (old, new))
        if set(cols_old) != set(cols_new) or n_old != n_new:
            out[t] = {"rows": [n_old, n_new], "columns_only_old": sorted(set(cols_old) - set(cols_new)),
                      "columns_only_new": sorted(set(cols_new) - set(cols_old))}
            continue
        # rows pair up by their position in a total order over the non-float columns (row order is part
        # of some tables' contract, but not all)
        exact = [c for c in cols_old if cols_new[c] not in ("DOUBLE", "FLOAT")]
        floats = [c for c in cols_old if c not in exact]
        order = ", ".join(f'"{c}"' for c in exact) or "1"
        diffs = {}
        for c in floats:
            worst_abs, worst_rel = con.execute(f"""
                WITH a AS (SELECT row_number() OVER (ORDER BY {order}) AS r, "{c}" AS v FROM '{old}'),
                     b AS (SELECT row_number() OVER (ORDER BY {order}) AS r, "{c}" AS v FROM '{new}'),
                     d AS (SELECT CASE WHEN a.v IS NULL AND b.v IS NULL THEN 0
                                       WHEN a.v IS NULL OR b.v IS NULL THEN 'Infinity'::DOUBLE
                                       WHEN isnan(a.v) AND isnan(b.v) THEN 0
                                       ELSE abs(a.v - b.v) END AS diff, abs(a.v) AS size
                           FROM a JOIN b USING (r))
                SELECT max(diff), max(diff / greatest(size, 1e-300)) FROM d""").fetchone()
            if worst_abs is not None and worst_abs > 1e-12 and worst_rel > 1e-9:
                diffs[c] = {"max_abs": worst_abs, "max_rel": worst_rel}
        mismatched = con.execute(f"""SELECT count(*) FROM (
            (SELECT {order} FROM '{old}' EXCEPT ALL SELECT {order} FROM '{new}')
            UNION ALL (SELECT {order} FROM '{new}' EXCEPT ALL SELECT {order} FROM '{old}'))""").fetchone()[0] \
            if exact else 0
        out[t] = "identical" if not diffs and not mismatched else {
            "rows_differing_in_exact_columns": mismatched, "float_columns_max_diff": diffs}
    return out


def main() -> None:
    """Run the comparison and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--old-tree", required=True)
    parser.add_argument("--new-tree", default=str(REPO))
    parser.add_argument("--steps", nargs="*", help="step names, with or without their module "
                        "(default: every indicator step of the new tree)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    warehouse, old_tree, new_tree = (Path(p).resolve() for p in (args.warehouse, args.old_tree, args.new_tree))
    new_steps, old_steps = indicator_steps(new_tree), indicator_steps(old_tree)
    steps = [next((full for full in new_steps if full == s or full.endswith(":" + s)), s) for s in args.steps] \
        if args.steps else list(new_steps)
    report = {"warehouse": str(warehouse), "old_tree": str(old_tree), "new_tree": str(new_tree),
              "load_avg_1m_before": round(os.getloadavg()[0], 2), "steps": {}}
    totals = {"old": 0.0, "new": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        for step in steps:
            outputs = new_steps.get(step, [])
            runs = {"old": [], "new": []}
            for i in range(args.repeat):
                for side, tree in (("old", old_tree), ("new", new_tree)):
                    # a table the old tree does not write yet is still a view of W there
                    own = sorted(set(outputs) & set(old_steps.get(step, []))) if side == "old" else outputs
                    runs[side].append(run_step(tree, warehouse, step, own, Path(tmp) / side / step, args))
            entry = {side: min((r for r in rs if "wall_s" in r), key=lambda r: r["wall_s"], default=rs[0])
                     for side, rs in runs.items()}
            if "wall_s" in entry["old"] and "wall_s" in entry["new"]:
                entry["old_over_new"] = round(entry["old"]["wall_s"] / max(entry["new"]["wall_s"], 1e-9), 2)
                totals["old"] += entry["old"]["wall_s"]
                totals["new"] += entry["new"]["wall_s"]
            entry["outputs"] = compare(Path(tmp) / "old" / step, Path(tmp) / "new" / step, outputs)
            report["steps"][step] = entry
            print(f"{step}: {json.dumps(entry)}", file=sys.stderr, flush=True)
    report["total_wall_s"] = {k: round(v, 1) for k, v in totals.items()}
    report["total_old_over_new"] = round(totals["old"] / max(totals["new"], 1e-9), 2)
    report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    report["child_cpu_s_all"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
