"""Benchmark: one nightly increment against the full build of the same lake, in one run.

    .venv/bin/python bench/bench_nightly.py [--papers 1000000] [--refs-per-paper 30]
        [--new-papers 2000] [--memory-limit 4GB] [--threads 2] [--no-gates] [--home DIR]
        [--base-home BASE [--restamp]]

1. The lake of ``bench_warehouse.py`` (its generator, imported), then a full build and publish.
2. A night: ``--new-papers`` papers on a new day (a new ``window=`` partition, their texts and
   authors drawn from existing rows) with their references, S2 records and fetch log (a new
   ``batch=`` partition). Ingest is excluded: the partitions are written straight to Parquet.
3. The nightly build (incremental by default) + quality gates + publish, each timed.
4. An idle night: nothing changed, build-and-publish again.

``--base-home BASE`` skips steps 1's generation and full build: BASE holds a generated lake and a
published warehouse (e.g. ``bench_warehouse.py --home BASE`` then a publish of its candidate);
the night runs on a clone of it (lake and published exports hard-linked, so partition
fingerprints are unchanged; warehouse and caches copied), and BASE is left untouched, so two code trees can be timed on
the same night. A published file built by other code makes the night a full build; with
``--restamp`` the clone's recorded code fingerprint is set to this tree's, for timing a change
known to leave every table's content as it was (the night's tables are then not a proof of
equality: ``tests/test_incremental.py`` is).

Each phase runs in its own child process (its CPU seconds and peak RSS measured alone). Prints
JSON with every phase's wall, CPU and the build's split per model and step, plus the nightly
wall as a fraction of the full build's, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_warehouse import bench_home, generate_lake  # noqa: E402

NIGHT_WINDOW = "2026-01-05_2026-01-05"
NIGHT_BATCH = "2026-01-05"


def add_night(lake: Path, new_papers: int) -> dict:
    """Append one night to the generated lake: new papers and their references; returns row counts."""
    import duckdb

    raw = lake / "raw"
    con = duckdb.connect()
    # The night's papers copy existing rows under new ids (2601.NNNNN): realistic texts and authors;
    # their references cite the same (older) papers the originals cite. Not their DOIs: a new
    # paper claiming an old paper's DOI would make that DOI ambiguous and touch all its citers.
    con.execute(f"""CREATE TABLE night AS
        SELECT arxiv_id AS old_id, printf('2601.%05d', row_number() OVER (ORDER BY arxiv_id)) AS new_id
        FROM (SELECT arxiv_id FROM read_parquet('{raw}/arxiv/papers/window=snapshot/*.parquet')
              ORDER BY hash(arxiv_id) LIMIT {int(new_papers)})""")
    when = "TIMESTAMPTZ '2026-01-05 06:00:00+00'"
    parts = {
        ("arxiv", "papers", "window", NIGHT_WINDOW): f"""
            SELECT p.* REPLACE (n.new_id AS arxiv_id, CAST(NULL AS VARCHAR) AS doi, CAST(NULL AS VARCHAR) AS journal_ref,
                                DATE '2026-01-05' AS first_version_date,
                                DATE '2026-01-05' AS last_updated_date, DATE '2026-01-05' AS oai_datestamp,
                                'arXivRaw' AS record_format, {when} AS ingested_at,
                                [{{'version': CAST(1 AS INTEGER), 'created': {when}, 'size': '100kb'}}] AS versions)
            FROM read_parquet('{raw}/arxiv/papers/window=snapshot/*.parquet') p JOIN night n ON n.old_id = p.arxiv_id""",
        ("semantic_scholar", "references", "batch", NIGHT_BATCH): f"""
            SELECT r.* REPLACE (n.new_id AS citing_arxiv_id, {when} AS fetched_at)
            FROM read_parquet('{raw}/semantic_scholar/references/*/*.parquet') r JOIN night n ON n.old_id = r.citing_arxiv_id""",
        ("semantic_scholar", "papers", "batch", NIGHT_BATCH): f"""
            SELECT s.* REPLACE (n.new_id AS arxiv_id, md5(n.new_id) AS s2_paper_id, CAST(NULL AS BIGINT) AS corpus_id,
                                CAST(NULL AS VARCHAR) AS doi,
                                {when} AS fetched_at)
            FROM read_parquet('{raw}/semantic_scholar/papers/*/*.parquet') s JOIN night n ON n.old_id = s.arxiv_id""",
        ("semantic_scholar", "fetch_log", "batch", NIGHT_BATCH): f"""
            SELECT n.new_id AS arxiv_id, 'found' AS status, {when} AS fetched_at, CAST(NULL AS VARCHAR) AS detail
            FROM night n""",
    }
    counts = {}
    for (source, name, key, value), select in parts.items():
        folder = raw / source / name / f"{key}={value}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "part-00000.parquet"
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
        counts[f"{source}/{name}"] = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    con.close()
    return counts


def clone_base(base: Path, home: Path, restamp: bool) -> dict:
    """Copy the base home into ``home`` (lake hard-linked, the rest copied); returns what was done."""
    import shutil

    import duckdb

    from pipeline.config import load_settings
    from pipeline.warehouse.changes import META_SCHEMA, code_fingerprint, read_state

    if home.exists() and any(home.iterdir()):
        raise SystemExit(f"--home {home} must be empty with --base-home")
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(base / "lake"), str(home / "lake")], check=True)
    if (base / "cache").is_dir():
        shutil.copytree(base / "cache", home / "cache")
    src = load_settings(env={}, home=base).warehouse
    dst = load_settings(env={}, home=home).warehouse
    if not src.exists():
        raise SystemExit(f"{base} has no published warehouse ({src})")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    exports = src.parent / "exports"
    if exports.is_dir():
        # The published exports too (hard-linked, as the night links what it keeps from them).
        version = exports.resolve()
        (dst.parent / "exports.d").mkdir(exist_ok=True)
        subprocess.run(["cp", "-al", str(version), str(dst.parent / "exports.d" / version.name)], check=True)
        os.symlink(os.path.join("exports.d", version.name), dst.parent / "exports")
    code, recorded = code_fingerprint(), read_state(dst).code
    done = {"base": str(base), "base_code_is_this_tree": recorded == code, "restamped": False}
    if recorded != code and restamp:
        con = duckdb.connect(str(dst))
        con.execute(f"UPDATE {META_SCHEMA}.build SET code_fingerprint = ?", [code])
        con.close()
        done["restamped"] = True
    return done


def _phase(home: Path, phase: str, memory_limit: str, threads: int, gates: bool) -> dict:
    """Child process: one phase (full | night | idle), timed per part; the build's log kept."""
    from logging.handlers import BufferingHandler

    from pipeline.config import load_settings
    from pipeline.warehouse import builder
    from pipeline.warehouse.changes import changes_of

    kept = BufferingHandler(capacity=10**6)
    log = logging.getLogger("mlgraph.warehouse")
    log.setLevel(logging.INFO)
    log.addHandler(kept)
    settings = load_settings(env={}, home=home)
    timings = {}
    after_models: dict[str, float] = {}

    def timed(name, func):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                after_models[name] = round(after_models.get(name, 0.0) + time.perf_counter() - t0, 1)
        return run

    for name in ("run_model_tests", "data_dictionary", "export_parquet"):
        setattr(builder, name, timed(name, getattr(builder, name)))
    t0 = time.perf_counter()
    candidate = builder.build(settings, f"bench-{phase}", memory_limit=memory_limit, threads=threads,
                              full=phase == "full")
    timings["build_s"] = round(time.perf_counter() - t0, 1)
    unchanged = builder.is_unchanged(settings, candidate)
    if gates and phase != "full" and not unchanged:
        t0 = time.perf_counter()
        builder.audit(settings, candidate, previous=settings.warehouse)
        timings["gates_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    builder.publish(settings, candidate)
    timings["publish_s"] = round(time.perf_counter() - t0, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    records = [r.getMessage() for r in kept.buffer]
    tables = changes_of(settings.warehouse).tables
    split = {}
    for message in records:
        # "model NAME <how> in 1.23s" / "step NAME <how> in 1.23s"
        if message.startswith(("model ", "step ")) and message.endswith("s") and " in " in message:
            name, seconds = message.split()[1], message.rsplit(" in ", 1)[1].rstrip("s")
            split[name] = float(seconds)
    return {"phase": phase, **timings, "unchanged": unchanged, "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
            "slowest_steps_s": dict(sorted(split.items(), key=lambda kv: -kv[1])[:25]),
            "after_models_s": after_models,
            "build_steps_total_s": round(sum(split.values()), 1),
            "tables_by_key": sorted(t for t, p in tables.items() if p is not None) if not unchanged else [],
            "summary": [m for m in records if m.startswith(("incremental build", "warehouse unchanged", "full build"))]}


def main() -> int:
    """Generate, full build + publish, add a night, nightly build + gates + publish, idle night; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--refs-per-paper", type=int, default=30)
    parser.add_argument("--new-papers", type=int, default=2000)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-gates", action="store_true", help="skip the quality gates of the night")
    parser.add_argument("--home", help="keep the data here (default: a temporary folder, removed)")
    parser.add_argument("--base-home", help="time only the night, on a clone of this built and published home")
    parser.add_argument("--restamp", action="store_true",
                        help="with --base-home: take the base's tables as built by this tree's code (timing only)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(_phase(Path(args.home), args.phase, args.memory_limit, args.threads, not args.no_gates)))
        return 0
    with bench_home(args.home, "mlgraph-bench-nightly-") as home:
        t0 = time.perf_counter()
        if args.base_home:
            report = {"clone": clone_base(Path(args.base_home), home, args.restamp),
                      "clone_s": round(time.perf_counter() - t0, 1)}
            phases = ("night", "idle")
        else:
            report = {"papers": args.papers, "lake_rows": generate_lake(home / "lake", args.papers, args.refs_per_paper,
                                                                         args.threads),
                      "generate_s": round(time.perf_counter() - t0, 1)}
            phases = ("full", "night", "idle")
        report.update({"memory_limit": args.memory_limit, "threads": args.threads, "phases": {}})
        for phase in phases:
            if phase == "night":
                report["night_rows"] = add_night(home / "lake", args.new_papers)
            t0 = time.perf_counter()
            cmd = [sys.executable, __file__, "--phase", phase, "--home", str(home), "--memory-limit",
                   args.memory_limit, "--threads", str(args.threads)] + (["--no-gates"] if args.no_gates else [])
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            result["process_wall_s"] = round(time.perf_counter() - t0, 1)
            result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
            report["phases"][phase] = result
        if "full" not in report["phases"]:
            print(json.dumps(report, indent=2))
            return 0
        full, night = report["phases"]["full"], report["phases"]["night"]
        report["night_over_full_wall"] = round(night["process_wall_s"] / full["process_wall_s"], 3)
        report["night_over_full_cpu"] = round(night["cpu_s"] / full["cpu_s"], 3)
        report["night_build_over_full_build"] = round(night["build_s"] / full["build_s"], 3)
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
