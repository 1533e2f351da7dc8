"""Benchmark: the quality gates of one night beside the build of the same lake, in one run.

    .venv/bin/python bench/bench_gates.py [--papers 1000000] [--night-papers 2000] [--refs-per-paper 30]
        [--full-gates | --no-full-gates] [--memory-limit 4GB] [--threads 2] [--home DIR]

The lake comes from ``bench_warehouse.generate_lake``; a night then adds ``--night-papers`` new
papers (a new OAI window), their Semantic Scholar records and references (a new batch). The
warehouse is built once over all of it (the anchor), then the gates run

- scoped to the night (``Changes``: the two new raw partitions; the rows of the night's papers in
  every table keyed by paper, the other tables as rebuilt whole): GX on those rows plus the
  whole-table SQL aggregates of every table;
- and, with ``--full-gates`` (default below 200k papers), everything as a first build would.

Row counts compare against the candidate itself (no second build): their cost, not their
outcome, is what is measured. Prints JSON: seconds and each gate run as a share of the build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

NIGHT = "2026-01-05"
NIGHT_PREFIX = "2601."  # the generator's ids run 1201.* … 2512.*: the night's ids never collide


def add_night(lake: Path, papers: int) -> dict:
    """Write one night's partitions: new papers, their S2 records and references; returns row counts."""
    import duckdb

    raw = lake / "raw"
    counts = {}
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE night AS
        SELECT old_id, printf('{NIGHT_PREFIX}%05d', row_number() OVER (ORDER BY old_id)) AS new_id
        FROM (SELECT arxiv_id AS old_id FROM read_parquet('{raw}/arxiv/papers/window=snapshot/*.parquet')
              ORDER BY arxiv_id DESC LIMIT {papers})""")

    def copy(select: str, source: str, name: str, key: str, value: str) -> None:
        folder = raw / source / name / f"{key}={value}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({select}) TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)")
        counts[f"{source}/{name}"] = con.execute(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchone()[0]

    copy(f"""SELECT p.* REPLACE (n.new_id AS arxiv_id, DATE '{NIGHT}' AS first_version_date,
                                  DATE '{NIGHT}' AS last_updated_date, 'arXivRaw' AS record_format)
             FROM read_parquet('{raw}/arxiv/papers/window=snapshot/*.parquet') p JOIN night n ON p.arxiv_id = n.old_id""",
         "arxiv", "papers", "window", f"{NIGHT}_{NIGHT}")
    copy(f"""SELECT s.* REPLACE (n.new_id AS arxiv_id, md5(n.new_id) AS s2_paper_id, CAST(2026 AS INTEGER) AS year)
             FROM read_parquet('{raw}/semantic_scholar/papers/*/*.parquet') s JOIN night n ON s.arxiv_id = n.old_id""",
         "semantic_scholar", "papers", "batch", NIGHT)
    copy(f"""SELECT r.* REPLACE (n.new_id AS citing_arxiv_id)
             FROM read_parquet('{raw}/semantic_scholar/references/*/*.parquet') r JOIN night n ON r.citing_arxiv_id = n.old_id""",
         "semantic_scholar", "references", "batch", NIGHT)
    con.close()
    return counts


def night_changes(candidate: Path):
    """What the night changed: its raw partitions; its papers' rows, or whole tables with no paper key."""
    import duckdb

    from pipeline.warehouse.changes import Changes
    from pipeline.warehouse.contracts import discover_models

    models = discover_models()
    tables = {}
    with duckdb.connect(str(candidate), read_only=True) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        for name, model in models.items():
            if name not in present:
                continue
            key = next((c for c in ("paper_id", "citing_paper_id", "arxiv_id", "citing_arxiv_id") if c in model.columns), None)
            tables[name] = f"{key} LIKE '{NIGHT_PREFIX}%'" if key else None
    return Changes(full=False, raw_partitions={"arxiv/papers": (f"{NIGHT}_{NIGHT}",),
                                               "semantic_scholar/papers": (NIGHT,),
                                               "semantic_scholar/references": (NIGHT,)},
                   tables=tables)


def timed_gates(settings, candidate: Path, changes, run_id: str) -> dict:
    """One gate run: wall and CPU seconds, expectations, rows GX validated, outcome."""
    from pipeline.errors import QualityGateError
    from pipeline.quality import run_gates

    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        report = run_gates(settings, candidate, previous=candidate, changes=changes, run_id=run_id)
    except QualityGateError as exc:
        report = exc.report
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "scope": report.scope,
            "expectations": report.expectations, "failed": len(report.failures),
            "failures": [f.line() for f in report.failures][:10],
            "rows_validated_row_by_row": sum(report.validated_rows.values()) if report.scope != "full" else None,
            "largest_row_by_row": dict(sorted(report.validated_rows.items(), key=lambda kv: -kv[1])[:5]),
            "sampled_tables": report.sampled, "phase_s": report.phase_seconds}


def _cpu_s() -> float:
    # The build's classifier runs worker processes at scale: count their CPU too.
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def main() -> int:
    """Generate, add a night, build (anchor), run the gates scoped and (optionally) full; print JSON."""
    from bench_warehouse import bench_home, generate_lake, run_build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--night-papers", type=int, default=2000)
    parser.add_argument("--refs-per-paper", type=int, default=30)
    parser.add_argument("--full-gates", action=argparse.BooleanOptionalAction, default=None,
                        help="also run the gates on everything (default: below 200k papers)")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--home", help="keep the data here (default: a temporary folder, removed)")
    parser.add_argument("--gates-only", action="store_true",
                        help="reuse --home's lake and candidate (and its saved build time) and only time the gates")
    args = parser.parse_args()
    full_gates = args.full_gates if args.full_gates is not None else args.papers < 200_000
    with bench_home(args.home, "mlgraph-bench-gates-") as home:
        from pipeline.config import load_settings
        from pipeline.warehouse.builder import candidates_dir
        from pipeline.warehouse.changes import Changes

        saved = home / "bench_gates_build.json"
        if args.gates_only:
            report = json.loads(saved.read_text())
            report["build_measured"] = "in an earlier run of this script on the same lake (--gates-only)"
        else:
            t0 = time.perf_counter()
            counts = generate_lake(home / "lake", args.papers, args.refs_per_paper, args.threads)
            night = add_night(home / "lake", args.night_papers)
            gen_s = time.perf_counter() - t0
            cpu0 = _cpu_s()
            build = run_build(home, args.memory_limit, args.threads, "available")
            cpu1 = _cpu_s()
            report = {"papers": args.papers, "night_rows": night, "lake_rows": counts, "generate_s": round(gen_s, 1),
                      "build_wall_s": build["build_wall_s"],
                      "build_cpu_s": round(cpu1 - cpu0, 1),
                      "load_avg_1m_after_build": round(os.getloadavg()[0], 2), "candidate_mb": build["candidate_mb"]}
            saved.write_text(json.dumps(report))
        settings = load_settings(env={}, home=home)
        candidate = candidates_dir(settings) / "bench.duckdb"
        build_s = report["build_wall_s"]
        from pipeline.quality.gates import _import_gx

        t0 = time.perf_counter()
        _import_gx()  # once per process, as in an Airflow task; timed apart so run order does not matter
        report["gx_import_s"] = round(time.perf_counter() - t0, 1)
        runs = {"scoped_to_night": (night_changes(candidate), "bench-night")}
        if full_gates:
            runs["full"] = (Changes.everything(), "bench-full")
        for label, (changes, run_id) in runs.items():
            gates = timed_gates(settings, candidate, changes, run_id)
            gates["share_of_build_wall"] = round(gates["wall_s"] / build_s, 3)
            if "build_cpu_s" in report:
                gates["share_of_build_cpu"] = round(gates["cpu_s"] / report["build_cpu_s"], 3)
            report[f"gates_{label}"] = gates
        report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
