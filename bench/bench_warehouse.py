"""Benchmark: the full warehouse build on a generated 1M-paper / 30M-citation lake.

    .venv/bin/python bench/bench_warehouse.py [--papers 1000000] [--refs-per-paper 30]
        [--memory-limit 4GB] [--threads 2] [--nx-papers 100000] [--home DIR]

The lake is written straight to Parquet by DuckDB (range() + hashes), not through the sample
generator, so generation takes seconds. The build runs in a child process so its peak RSS is
measured alone (``RUSAGE_CHILDREN``). Python steps whose module is not installed yet are left
out; if the classify step is missing, a stand-in derives int_method_families and
int_paper_text_families from the synthetic data (reported under "stand_ins"). Prints JSON;
``split_s`` attributes the build wall: SQL models by layer, Python steps by the layer of their
tables (classification and mentions on their own lines), then model tests, the data dictionary,
the Parquet exports and "other" (connecting, comments, checkpoint), summing to ``build_wall_s``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


@contextmanager
def bench_home(keep: str | None, prefix: str) -> Iterator[Path]:
    """The benchmark's data folder: ``keep`` if given (left in place), else a temporary one removed after."""
    home = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield home
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def generate_lake(lake: Path, papers: int, refs_per_paper: int, threads: int) -> dict:
    """Write a synthetic lake with the raw schemas' column names and types; returns row counts."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    per_month = -(-papers // 168)  # 2012-01 … 2025-12
    con.execute(f"""CREATE MACRO aid(i) AS printf('%02d%02d.%05d', 12 + (i // {per_month}) // 12,
                                                   (i // {per_month}) % 12 + 1, i % {per_month} + 1)""")
    con.execute(f"CREATE MACRO pdate(i) AS CAST(DATE '2012-01-01' + to_months(CAST(i // {per_month} AS INTEGER)) "
                f"+ to_days(CAST(i % 28 AS INTEGER)) AS DATE)")

    # Titles and abstracts come from a small generated sample (realistic length and vocabulary), so
    # the text classifier does the work it does on real corpora; " [i]" keeps every text distinct.
    from pipeline.sample import generate

    pool_dir = lake.parent / "text-pool"
    generate(pool_dir, 2000, 7)
    con.execute(f"""CREATE TABLE texts AS
        SELECT row_number() OVER () - 1 AS k, title, abstract
        FROM read_json('{pool_dir / "arxiv" / "corpus.jsonl.gz"}', format = 'newline_delimited')""")
    n_texts = con.execute("SELECT count(*) FROM texts").fetchone()[0]

    def out(source: str, name: str, key: str, value: str) -> str:
        d = lake / "raw" / source / name / f"{key}={value}"
        d.mkdir(parents=True, exist_ok=True)
        return str(d / "part-00000.parquet")

    def copy(select: str, path: str) -> int:
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
        return con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]

    counts = {}
    cats = "['cs.CL','cs.CV','cs.LG','cs.AI','stat.ML','cs.RO','cs.SD','eess.SP','q-bio.NC','cs.SI','math.OC','cs.IR']"
    counts["arxiv/papers"] = copy(f"""
        SELECT
            aid(i) AS arxiv_id, CAST(1 AS INTEGER) AS latest_version,
            [{{'version': CAST(1 AS INTEGER), 'created': CAST(pdate(i) AS TIMESTAMPTZ), 'size': '100kb'}}] AS versions,
            t.title || ' [' || i || ']' AS title, t.abstract AS abstract,
            [{{'keyname': 'Author' || (hash(i, 1) % 200000), 'forenames': 'A', 'suffix': CAST(NULL AS VARCHAR)}},
             {{'keyname': 'Author' || (hash(i, 2) % 200000), 'forenames': 'B', 'suffix': CAST(NULL AS VARCHAR)}},
             {{'keyname': 'Author' || (hash(i, 3) % 200000), 'forenames': 'C', 'suffix': CAST(NULL AS VARCHAR)}}
            ][1:CAST(1 + i % 3 AS INTEGER)] AS authors,
            CAST(NULL AS VARCHAR) AS authors_raw,
            CASE WHEN i % 7 = 0 THEN [{cats}[CAST(1 + hash(i) % 12 AS INTEGER)]] ELSE list_distinct([{cats}[CAST(1 + hash(i) % 12 AS INTEGER)], 'cs.LG']) END AS categories,
            {cats}[CAST(1 + hash(i) % 12 AS INTEGER)] AS primary_category,
            pdate(i) AS first_version_date, pdate(i) AS last_updated_date,
            CASE WHEN i % 10 = 0 THEN '10.9999/p' || i END AS doi,
            CAST(NULL AS VARCHAR) AS journal_ref, CAST(NULL AS VARCHAR) AS license, CAST(NULL AS VARCHAR) AS comments,
            CAST(NULL AS VARCHAR) AS report_no, CAST(NULL AS VARCHAR) AS submitter, CAST(NULL AS DATE) AS oai_datestamp,
            'snapshot' AS record_format, TIMESTAMPTZ '2025-01-01 00:00:00+00' AS ingested_at
        FROM range({papers}) r(i) JOIN texts t ON t.k = hash(i) % {n_texts}""", out("arxiv", "papers", "window", "snapshot"))
    pwc = f"FROM range(0, {papers}, 3) t(i)"
    counts["pwc/papers"] = copy(f"""
        SELECT 'https://paperswithcode.com/paper/p' || i AS paper_url, aid(i) AS arxiv_id, 'Paper ' || i AS title,
               CAST(NULL AS VARCHAR) AS abstract, 'https://arxiv.org/abs/' || aid(i) AS url_abs,
               CAST(NULL AS VARCHAR) AS url_pdf, CAST(NULL AS VARCHAR) AS proceeding, CAST([] AS VARCHAR[]) AS authors,
               pdate(i) AS date {pwc}""", out("pwc", "papers", "version", "bench"))
    counts["pwc/paper_methods"] = copy(f"""
        SELECT DISTINCT 'https://paperswithcode.com/paper/p' || i AS paper_url, aid(i) AS arxiv_id,
               'M' || (hash(i, k) % 2000) AS method_name, CAST(NULL AS VARCHAR) AS method_full_name,
               CAST(NULL AS VARCHAR) AS main_collection, CAST(NULL AS VARCHAR) AS main_collection_area,
               CAST(NULL AS INTEGER) AS introduced_year
        {pwc}, range(3) m(k)""", out("pwc", "paper_methods", "version", "bench"))
    counts["pwc/paper_tasks"] = copy(f"""
        SELECT 'https://paperswithcode.com/paper/p' || i AS paper_url, aid(i) AS arxiv_id, 'T' || (i % 200) AS task
        {pwc}""", out("pwc", "paper_tasks", "version", "bench"))
    counts["pwc/methods"] = copy("""
        SELECT 'https://paperswithcode.com/method/m' || k AS method_url, 'M' || k AS name, 'Method ' || k AS full_name,
               'Builds on M' || (k // 2) AS description, CAST(NULL AS VARCHAR) AS paper_title,
               'https://paperswithcode.com/paper/p' || (k * 300) AS paper_url, CAST(NULL AS INTEGER) AS introduced_year,
               CAST(NULL AS VARCHAR) AS source_url, CAST(NULL AS VARCHAR) AS source_title,
               CAST(NULL AS VARCHAR) AS code_snippet_url, CAST(100 AS BIGINT) AS num_papers
        FROM range(2000) t(k)""", out("pwc", "methods", "version", "bench"))
    counts["pwc/method_collections"] = copy("""
        SELECT 'https://paperswithcode.com/method/m' || k AS method_url, 'M' || k AS method_name,
               'Collection ' || (k % 300) AS collection, 'general' AS area_id, 'General' AS area
        FROM range(2000) t(k)""", out("pwc", "method_collections", "version", "bench"))
    counts["pwc/eval_tasks"] = copy("""
        SELECT 'T' || k AS task, CAST(NULL AS VARCHAR) AS parent_task, CAST(NULL AS VARCHAR) AS description,
               [['Computer Vision', 'Natural Language Processing', 'Graphs', 'Time Series', 'Medical'][CAST(1 + k % 5 AS INTEGER)]] AS categories
        FROM range(200) t(k)""", out("pwc", "eval_tasks", "version", "bench"))
    counts["pwc/eval_results"] = copy(f"""
        SELECT 'T' || (r % 200) AS task, 'D' || ((r // 200) % 5) AS dataset, CAST(r // 1000 AS INTEGER) AS row_index,
               'Model ' || r AS model_name, CAST(NULL AS VARCHAR) AS paper_title,
               'https://arxiv.org/abs/' || aid(hash(r) % {papers}) AS paper_url, aid(hash(r) % {papers}) AS arxiv_id,
               CAST(NULL AS DATE) AS paper_date, false AS uses_additional_data, 'Accuracy' AS metric_name,
               CAST(r % 100 AS VARCHAR) AS metric_value_raw, CAST(r % 100 AS DOUBLE) AS metric_value
        FROM range(50000) t(r)""", out("pwc", "eval_results", "version", "bench"))
    counts["pwc/code_links"] = copy(f"""
        SELECT 'https://paperswithcode.com/paper/p' || i AS paper_url, CAST(NULL AS VARCHAR) AS paper_title,
               aid(i) AS arxiv_id, CAST(NULL AS VARCHAR) AS paper_url_abs, CAST(NULL AS VARCHAR) AS paper_url_pdf,
               'https://github.com/u/r' || i AS repo_url, i % 2 = 0 AS is_official, true AS mentioned_in_paper,
               false AS mentioned_in_github, ['pytorch', 'tf', 'jax', 'none', 'mxnet'][CAST(1 + i % 5 AS INTEGER)] AS framework
        {pwc} WHERE i % 2 = 0""", out("pwc", "code_links", "version", "bench"))
    counts["semantic_scholar/papers"] = copy(f"""
        SELECT aid(i) AS arxiv_id, md5(CAST(i AS VARCHAR)) AS s2_paper_id, CAST(i AS BIGINT) AS corpus_id,
               CASE WHEN i % 10 = 0 THEN '10.9999/p' || i END AS doi, CAST(NULL AS VARCHAR) AS title,
               CAST(2012 + i * 14 // {papers} AS INTEGER) AS year, CAST(hash(i) % 500 AS BIGINT) AS citation_count,
               CAST({refs_per_paper} AS BIGINT) AS reference_count, CAST(0 AS BIGINT) AS influential_citation_count,
               TIMESTAMPTZ '2025-02-01 00:00:00+00' AS fetched_at
        FROM range({papers}) t(i)""", out("semantic_scholar", "papers", "batch", "bench"))
    counts["semantic_scholar/fetch_log"] = copy(f"""
        SELECT aid(i) AS arxiv_id, 'found' AS status, TIMESTAMPTZ '2025-02-01 00:00:00+00' AS fetched_at,
               CAST(NULL AS VARCHAR) AS detail
        FROM range({papers}) t(i)""", out("semantic_scholar", "fetch_log", "batch", "bench"))
    # References: each paper cites earlier papers (skewed towards old ones, a crude preferential
    # attachment); every 20th reference is DOI-only external, every 20th+1 has no id at all, every
    # 20th+2 is an internal paper given by DOI only.
    counts["semantic_scholar/references"] = copy(f"""
        WITH r AS (
            SELECT i, pos, CAST(floor(i * pow((hash(i, pos) % 1000000) / 1000000.0, 2)) AS BIGINT) AS j
            FROM range(1, {papers}) t(i), range({refs_per_paper}) p(pos)
        )
        SELECT aid(i) AS citing_arxiv_id, CAST(pos AS INTEGER) AS position,
               CASE WHEN pos % 20 <> 1 THEN md5(CAST(j AS VARCHAR)) END AS cited_s2_paper_id,
               CAST(NULL AS BIGINT) AS cited_corpus_id,
               CASE WHEN pos % 20 > 2 THEN aid(j) END AS cited_arxiv_id,
               CASE WHEN pos % 20 = 0 THEN '10.5555/x' || j WHEN pos % 20 = 2 THEN '10.9999/p' || (j // 10 * 10) END AS cited_doi,
               CAST(NULL AS VARCHAR) AS cited_title, CAST(NULL AS INTEGER) AS cited_year,
               TIMESTAMPTZ '2025-02-01 00:00:00+00' AS fetched_at
        FROM r""", out("semantic_scholar", "references", "batch", "bench"))
    con.close()
    return counts


def run_build(home: Path, memory_limit: str, threads: int, plan_kind: str) -> dict:
    """Child process: build the warehouse; report timings per model and step (from the log).

    plan_kind 'available': every declared model; 'graphs': everything but the indicators layer;
    'own': the SQL models outside the indicators and the citation metrics (plus their upstream).
    """
    from pipeline.config import load_settings
    from pipeline.warehouse import builder
    from pipeline.warehouse.contracts import discover_models

    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    log = logging.getLogger("mlgraph.warehouse")
    log.setLevel(logging.DEBUG)
    log.addHandler(Collect())
    settings = load_settings(env={}, home=home)
    models = discover_models()
    select = None
    if plan_kind == "graphs":
        select = {n for n, m in models.items() if m.layer != "indicators"}
    elif plan_kind == "own":
        select = {n for n, m in models.items() if m.layer != "indicators" and not m.is_python}
        select.add("fct_paper_citation_metrics")
    # The work after the models (tests, dictionary, exports) runs through these module names in
    # builder; timing them there attributes every second of the wall.
    after_models: dict[str, float] = {}

    def timed(name: str, func):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                after_models[name] = after_models.get(name, 0.0) + time.perf_counter() - t0
        return run

    for name in ("run_model_tests", "data_dictionary", "export_parquet"):
        setattr(builder, name, timed(name, getattr(builder, name)))
    started = time.perf_counter()
    candidate = builder.build(settings, "bench", select=select, memory_limit=memory_limit, threads=threads)
    wall = time.perf_counter() - started
    import duckdb

    with duckdb.connect(str(candidate), read_only=True) as con:
        tables = dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main'").fetchall())
    step_log = [m for m in records if m.startswith(("step ", "model ", "citation graph"))]
    return {"build_wall_s": round(wall, 1), "skipped_models": sorted(set(models) - set(tables) - {
                n for n, m in models.items() if m.materialized == "view"}),
            "split_s": wall_split(step_log, models, after_models, wall),
            "step_log": step_log,
            "rows": {k: tables[k] for k in ("dim_papers", "fct_citations", "fct_references", "fct_paper_families",
                                             "fct_paper_citation_metrics") if k in tables},
            "candidate_mb": round(candidate.stat().st_size / 2**20)}


# Steps reported under their own name in the split, not under the layer of their tables.
OWN_LINE_STEPS = {"pipeline.classify.warehouse:classify_papers": "classify_papers",
                  "pipeline.classify.warehouse:classify_domains": "classify_domains",
                  "pipeline.classify.mentions_warehouse:build_mentions": "mentions"}


def wall_split(step_log: list[str], models: dict, after_models: dict[str, float], wall: float) -> dict[str, float]:
    """Build seconds by layer (SQL models and Python steps), notable steps, the work after the models
    and the rest ("other": connecting, comments, checkpoint, rename), summing to the wall."""
    import re

    layer_of_step = {m.step: m.layer for m in models.values() if m.is_python and m.step}
    split: dict[str, float] = {}
    for line in step_log:
        m = re.match(r"(step|model) (\S+) done in ([\d.]+)s", line)
        if not m:
            continue
        kind, name, seconds = m.group(1), m.group(2), float(m.group(3))
        if kind == "step":
            key = OWN_LINE_STEPS.get(name) or f"{layer_of_step.get(name, 'unknown')} (python)"
        else:
            key = models[name].layer if name in models else "unknown"
        split[key] = split.get(key, 0.0) + seconds
    for name, label in (("run_model_tests", "model_tests"), ("data_dictionary", "data_dictionary"),
                        ("export_parquet", "parquet_exports")):
        split[label] = after_models.get(name, 0.0)
    split["other"] = wall - sum(split.values())
    return {k: round(v, 1) for k, v in sorted(split.items(), key=lambda kv: -kv[1])}


def pagerank_vs_networkx(papers: int, refs_per_paper: int) -> dict:
    """Our SciPy PageRank against networkx.pagerank on a generated graph of the same density."""
    import networkx as nx
    import numpy as np

    from pipeline.warehouse.citations import pagerank

    rng = np.random.default_rng(0)
    src = np.repeat(np.arange(1, papers), refs_per_paper)
    dst = np.floor(src * rng.random(len(src)) ** 2).astype(np.int64)
    pairs = np.unique(np.stack([src, dst], axis=1), axis=0)
    src, dst = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
    t0 = time.perf_counter()
    ours = pagerank(src, dst, papers)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = nx.DiGraph()
    g.add_nodes_from(range(papers))
    g.add_edges_from(zip(src.tolist(), dst.tolist()))
    t_graph = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = nx.pagerank(g, tol=1e-10)
    t_nx = time.perf_counter() - t0
    diff = float(np.max(np.abs(ours - np.array([theirs[i] for i in range(papers)]))))
    return {"nodes": papers, "edges": int(len(src)), "ours_s": round(t_ours, 2),
            "networkx_graph_build_s": round(t_graph, 2), "networkx_pagerank_s": round(t_nx, 2),
            "time_ratio_networkx_total_over_ours": round((t_graph + t_nx) / t_ours, 1),
            "max_abs_diff": diff}


def main() -> int:
    """Generate, build in a child process, compare PageRank; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--refs-per-paper", type=int, default=30)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nx-papers", type=int, default=100_000)
    parser.add_argument("--home", help="keep the data here (default: a temporary folder, removed)")
    parser.add_argument("--plan", choices=["available", "graphs", "own"], default="available",
                        help="available: every declared model; graphs: the same without the indicators; "
                             "own: warehouse SQL + citation metrics only")
    parser.add_argument("--build-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        print(json.dumps(run_build(Path(args.build_only), args.memory_limit, args.threads, args.plan)))
        return 0
    with bench_home(args.home, "mlgraph-bench-") as home:
        t0 = time.perf_counter()
        counts = generate_lake(home / "lake", args.papers, args.refs_per_paper, args.threads)
        gen_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--build-only", str(home), "--memory-limit", args.memory_limit,
                               "--threads", str(args.threads), "--plan", args.plan], capture_output=True, text=True, cwd=REPO)
        child_wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Other processes on the machine inflate wall time; CPU seconds and load say by how much.
        report = {"papers": args.papers, "lake_rows": counts, "generate_s": round(gen_s, 1),
                  "memory_limit": args.memory_limit, "threads": args.threads,
                  "build_process_wall_s": round(child_wall, 1),
                  "build_process_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                  "load_avg_1m_after_build": round(os.getloadavg()[0], 2),
                  "build_peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
                  **result}
        if args.nx_papers:
            report["pagerank_vs_networkx"] = pagerank_vs_networkx(args.nx_papers, args.refs_per_paper)
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
