"""Benchmark the arXiv source: snapshot → Parquet throughput and OAI-PMH XML parsing speed.

Usage: .venv/bin/python bench/bench_arxiv.py [--records 1000000] [--oai-records 20000] [--plain]
Prints one JSON object (records/s, wall seconds, peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def generate_snapshot(path: Path, records: int, gzip: bool) -> None:
    """Write a Kaggle-format snapshot of plausible records with DuckDB (fast, no Python loop)."""
    import duckdb

    cats = "['cs.LG','cs.CL','cs.CV','stat.ML','math.OC','hep-th','eess.IV','q-bio.NC','cs.AI','physics.optics']"
    words = ("['neural','network','learning','model','graph','attention','transformer','convolutional','data',"
             "'training','optimal','bayesian','inference','sparse','robust','deep','language','vision','image',"
             "'signal','kernel','stochastic','gradient','policy','reinforcement','diffusion','generative']")
    sql = f"""
    COPY (
      SELECT
        CASE WHEN i % 50 = 0 THEN 'math/' || lpad(((i * 7919) % 10000000)::VARCHAR, 7, '0')
             ELSE lpad((7 + (i // 90000) % 18)::VARCHAR, 2, '0') || lpad((1 + (i // 30000) % 12)::VARCHAR, 2, '0')
                  || '.' || lpad((i % 100000)::VARCHAR, 5, '0') END AS id,
        'Submitter ' || (i % 9973) AS submitter,
        'A. Author' || (i % 101) || ', B. Writer' || (i % 103) || ' and C. Scholar' || (i % 107) AS authors,
        list_aggregate(list_transform(range(8), lambda k: {words}[1 + ((i * 31 + k * 17) % 27)]), 'string_agg', ' ') AS title,
        CASE WHEN i % 3 = 0 THEN (5 + i % 30) || ' pages, ' || (i % 12) || ' figures' END AS comments,
        CASE WHEN i % 5 = 0 THEN 'J. Mach. Learn. Res. ' || (i % 25) || ' (' || (2000 + i % 25) || ')' END AS "journal-ref",
        CASE WHEN i % 4 = 0 THEN '10.1000/xyz.' || i END AS doi,
        NULL::VARCHAR AS "report-no",
        {cats}[1 + i % 10] || CASE WHEN i % 2 = 0 THEN ' ' || {cats}[1 + (i // 7) % 10] ELSE '' END AS categories,
        'http://arxiv.org/licenses/nonexclusive-distrib/1.0/' AS license,
        '  ' || list_aggregate(list_transform(range(120), lambda k: {words}[1 + ((i * 13 + k * 7) % 27)]), 'string_agg', ' ') || '.\n' AS abstract,
        list_transform(range(1 + i % 3), lambda k: {{'version': 'v' || (k + 1),
            'created': strftime(TIMESTAMP '2007-04-02 19:18:42' + INTERVAL (i % 6000 + k * 40) DAY, '%a, %-d %b %Y %H:%M:%S GMT')}}) AS versions,
        strftime(DATE '2008-01-01' + INTERVAL (i % 6000) DAY, '%Y-%m-%d') AS update_date,
        [['Author' || (i % 101), 'A.', ''], ['Writer' || (i % 103), 'B.', ''], ['Scholar' || (i % 107), 'C.', '']] AS authors_parsed
      FROM range({records}) t(i)
    ) TO '{path}' (FORMAT json{", COMPRESSION gzip" if gzip else ""})
    """
    con = duckdb.connect()
    con.execute(sql)
    con.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_snapshot(records: int, gzip: bool, tmp: Path) -> dict:
    from pipeline.config import load_settings
    from pipeline.sources.arxiv import ingest_snapshot

    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / ("snapshot.jsonl.gz" if gzip else "snapshot.jsonl")
    t0 = time.perf_counter()
    generate_snapshot(path, records, gzip)
    gen_s = time.perf_counter() - t0
    settings = load_settings(env={}, home=tmp / "home")
    rss_before = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    result = ingest_snapshot(settings, str(path))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = result.rows.get("arxiv/papers", 0)
    return {"records": records, "gzip": gzip, "file_mb": round(path.stat().st_size / 2**20, 1),
            "generate_s": round(gen_s, 2), "ingest_s": round(wall, 2), "cpu_s": round(cpu, 2), "rows": rows,
            "quarantined": result.quarantined, "records_per_s": round(rows / wall),
            # On a shared machine wall time depends on the neighbours; records per CPU-second does not.
            "records_per_cpu_s": round(rows / cpu), "load_avg_1m": round(os.getloadavg()[0], 2),
            "peak_rss_mb_before": round(rss_before), "peak_rss_mb": round(peak_rss_mb())}


def bench_oai(records: int, tmp: Path, page_size: int = 1000) -> dict:
    """Serve a generated corpus from the loopback OAI server, fetch its pages, time parse_page on them."""
    import requests

    from pipeline.sample.oai_server import OaiServer
    from pipeline.sources.arxiv.parser import parse_page

    corpus = tmp / "corpus.jsonl.gz"
    generate_snapshot(corpus, records, gzip=True)
    out = {}
    with OaiServer(corpus, page_size=page_size) as server:
        for fmt in ("arXivRaw", "arXiv"):
            pages = []
            params = {"verb": "ListRecords", "metadataPrefix": fmt}
            while True:
                body = requests.get(server.url, params=params, timeout=60).content
                pages.append(body)
                token = parse_page(body).next_token
                if not token:
                    break
                params = {"verb": "ListRecords", "resumptionToken": token}
            t0, c0 = time.perf_counter(), time.process_time()
            parsed = sum(len(parse_page(p).rows) for p in pages)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            out[fmt] = {"pages": len(pages), "records": parsed, "mb": round(sum(map(len, pages)) / 2**20, 1),
                        "parse_s": round(wall, 2), "records_per_s": round(parsed / wall),
                        "records_per_cpu_s": round(parsed / cpu), "load_avg_1m": round(os.getloadavg()[0], 2)}
    return out


def main() -> None:
    """Run both benchmarks and print the numbers as JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--oai-records", type=int, default=20_000)
    ap.add_argument("--plain", action="store_true", help="also time an uncompressed snapshot")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-arxiv-") as d:
        tmp = Path(d)
        report = {"oai_parse": bench_oai(args.oai_records, tmp)}
        report["snapshot_gzip"] = bench_snapshot(args.records, True, tmp / "gz")
        if args.plain:
            report["snapshot_plain"] = bench_snapshot(args.records, False, tmp / "plain")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
