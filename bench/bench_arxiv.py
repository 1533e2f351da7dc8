"""Benchmark the arXiv source against its anchors, side by side in one run.

- Snapshot → Parquet (``ingest_snapshot``) beside the raw DuckDB ceiling: ``COPY (SELECT <the
  same explicit columns> FROM read_json(<same file>)) TO parquet``, i.e. the same gunzip, JSON
  parsing and Parquet writing with none of our mapping, cleaning, quarantine or lake transaction.
- OAI-PMH page parsing (``parse_page``) beside a bare ``lxml.iterparse`` loop that pulls the same
  fields out of the same pages as raw strings (no conversion), for arXivRaw and arXiv format.

Each side runs ``--repeat`` times, interleaved with its anchor (so both see the same load), and
the median is reported with the ratio ours ÷ anchor (throughputs).  Usage:
    .venv/bin/python bench/bench_arxiv.py [--records 1000000] [--oai-records 100000] [--repeat 5]
Prints one JSON object.

``--identical-to REF`` instead checks that this tree's snapshot ingest writes exactly the rows and
quarantine that git revision REF writes (same order), on the real snapshot samples in ../shared,
the bundled sample and a generated file, and that parse_page gives REF's rows on OAI pages
served from the same corpora.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
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


def _timed(fn) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _summary(walls: list[float], cpus: list[float], records: int) -> dict:
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {"median_s": round(wall, 3), "runs_s": [round(w, 3) for w in walls], "median_cpu_s": round(cpu, 3),
            "records_per_s": round(records / wall), "records_per_cpu_s": round(records / cpu)}


def duckdb_ceiling(path: Path, out: Path) -> None:
    """The anchor: the same columns read by DuckDB's read_json and written to Parquet, nothing else."""
    import duckdb

    from pipeline.sources.arxiv.snapshot import COLUMNS_SQL

    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_json(?, format = 'newline_delimited', columns = {COLUMNS_SQL}, "
                    f"compression = 'gzip')) TO '{out}' (FORMAT parquet)", [str(path)])
    finally:
        con.close()


def bench_snapshot(records: int, repeat: int, tmp: Path) -> dict:
    """ingest_snapshot vs the DuckDB ceiling on one generated gzip file, interleaved runs."""
    from pipeline.config import load_settings
    from pipeline.sources.arxiv import ingest_snapshot

    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "snapshot.jsonl.gz"
    t0 = time.perf_counter()
    generate_snapshot(path, records, gzip=True)
    gen_s = time.perf_counter() - t0
    ours_w, ours_c, ceil_w, ceil_c, rows, quarantined = [], [], [], [], 0, 0
    for run in range(repeat):
        out = tmp / f"ceiling-{run}.parquet"
        w, c = _timed(lambda: duckdb_ceiling(path, out))
        ceil_w.append(w)
        ceil_c.append(c)
        out.unlink()
        home = tmp / f"home-{run}"
        settings = load_settings(env={}, home=home)
        result = {}
        w, c = _timed(lambda: result.setdefault("r", ingest_snapshot(settings, str(path))))
        ours_w.append(w)
        ours_c.append(c)
        rows, quarantined = result["r"].rows.get("arxiv/papers", 0), result["r"].quarantined
        shutil.rmtree(home)
    ours, ceiling = _summary(ours_w, ours_c, records), _summary(ceil_w, ceil_c, records)
    return {"records": records, "gzip": True, "file_mb": round(path.stat().st_size / 2**20, 1),
            "generate_s": round(gen_s, 2), "rows": rows, "quarantined": quarantined,
            "ours": ours, "duckdb_ceiling": ceiling,
            "ratio": round(ours["records_per_s"] / ceiling["records_per_s"], 3),
            "ratio_cpu": round(ours["records_per_cpu_s"] / ceiling["records_per_cpu_s"], 3),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def bare_lxml(content: bytes) -> int:
    """The anchor: one iterparse pass pulling every field parse_page uses, as raw strings."""
    from lxml import etree

    from pipeline.sources.arxiv.parser import OAI_NS

    record_tag, n = f"{{{OAI_NS}}}record", 0
    for _, rec in etree.iterparse(io.BytesIO(content), events=("end",), tag=record_tag, resolve_entities=False,
                                  no_network=True, load_dtd=False):
        fields: dict = {}
        header = rec[0]
        for c in header:
            fields[c.tag] = c.text
        fields["status"] = header.get("status")
        if len(rec) > 1 and len(rec[1]):
            for c in rec[1][0]:
                if len(c):  # <version> (arXivRaw) or <authors> (arXiv): their children, as strings
                    fields.setdefault(c.tag, []).append(
                        [c.get("version")] + [g.text for g in c] if c.tag.endswith("version")
                        else [[g.text for g in a] for a in c])
                else:
                    fields[c.tag] = c.text
        rec.clear(keep_tail=False)
        while rec.getprevious() is not None:
            del rec.getparent()[0]
        n += 1
    return n


def bench_oai(records: int, repeat: int, tmp: Path, page_size: int = 1000) -> dict:
    """Serve a generated corpus from the loopback OAI server, then time parse_page vs bare lxml on its pages."""
    import requests

    from pipeline.sample.oai_server import OaiServer
    from pipeline.sources.arxiv.parser import parse_page

    tmp.mkdir(parents=True, exist_ok=True)
    corpus = tmp / "corpus.jsonl.gz"
    generate_snapshot(corpus, records, gzip=True)
    out = {}
    with OaiServer(corpus, page_size=page_size) as server:
        for fmt in ("arXivRaw", "arXiv"):
            pages = []
            params = {"verb": "ListRecords", "metadataPrefix": fmt}
            while True:
                body = requests.get(server.url, params=params, timeout=120).content
                pages.append(body)
                token = parse_page(body).next_token
                if not token:
                    break
                params = {"verb": "ListRecords", "resumptionToken": token}
            counts = {}
            ours_w, ours_c, bare_w, bare_c = [], [], [], []
            for _ in range(repeat):
                w, c = _timed(lambda: counts.__setitem__("bare", sum(bare_lxml(p) for p in pages)))
                bare_w.append(w)
                bare_c.append(c)
                w, c = _timed(lambda: counts.__setitem__("ours", sum(parse_page(p).row_count for p in pages)))
                ours_w.append(w)
                ours_c.append(c)
            if counts["ours"] != counts["bare"]:
                raise SystemExit(f"{fmt}: parse_page gave {counts['ours']} rows, the bare loop saw {counts['bare']}")
            ours, bare = _summary(ours_w, ours_c, counts["ours"]), _summary(bare_w, bare_c, counts["bare"])
            out[fmt] = {"pages": len(pages), "records": counts["ours"], "mb": round(sum(map(len, pages)) / 2**20, 1),
                        "ours": ours, "bare_lxml": bare,
                        "ratio": round(ours["records_per_s"] / bare["records_per_s"], 3),
                        "ratio_cpu": round(ours["records_per_cpu_s"] / bare["records_per_cpu_s"], 3),
                        "load_avg_1m": round(os.getloadavg()[0], 2)}
    return out


_DUMP = """
import pickle, shutil, sys
from pathlib import Path
import duckdb
from pipeline import lake
from pipeline.config import load_settings
from pipeline.sources.arxiv import ingest_snapshot
from pipeline.sources.arxiv.parser import parse_page
out, inputs, pages = Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
result = {}
for k, src in enumerate(inputs):
    home = out / f"home-{k}"
    ingest_snapshot(load_settings(env={}, home=home), src)
    con = duckdb.connect()
    for ds in ("arxiv/papers", "arxiv/quarantine"):
        files = sorted(Path(lake.dataset_glob(home / "lake", ds)).parent.parent.glob("*/*.parquet"))
        result[(src, ds)] = con.execute("SELECT * EXCLUDE (ingested_at) FROM read_parquet($f)", {"f": [str(f) for f in files]}).fetchall()
    shutil.rmtree(home)
for f in sorted(Path(pages).glob("*.xml")):
    p = parse_page(f.read_bytes())
    result[f.name] = (p.rows, p.quarantined, p.deleted, p.token)
pickle.dump(result, open(out / "dump.pkl", "wb"))
"""


def identical_to(ref: str, tmp: Path) -> dict:
    """Snapshot rows/quarantine and OAI rows of this tree compared with git revision ``ref``'s."""
    import pickle
    import re
    import subprocess

    import requests

    from pipeline.sample.oai_server import OaiServer

    shared = REPO.parent / "shared" / "data"
    inputs = [str(p) for p in (shared / "real" / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl",
                               shared / "real-scale" / "arxiv-cs-2025" / "arxiv-metadata-oai-snapshot.cs-2025.jsonl.gz")
              if p.exists()]
    subprocess.run([sys.executable, "-m", "pipeline.cli", "sample", "--papers", "8000", "--out", str(tmp / "sample")],
                   check=True, cwd=REPO, capture_output=True)
    generated = tmp / "generated.jsonl.gz"
    generate_snapshot(generated, 100_000, gzip=True)
    inputs += [str(tmp / "sample" / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz"), str(generated)]
    pages = tmp / "pages"
    pages.mkdir()
    for k, corpus in enumerate(inputs[:-1]):
        with OaiServer(corpus, page_size=1000) as server:
            for fmt in ("arXivRaw", "arXiv"):
                params, n = {"verb": "ListRecords", "metadataPrefix": fmt}, 0
                while params:
                    body = requests.get(server.url, params=params, timeout=120).content
                    n += 1
                    (pages / f"{k}-{fmt}-{n:04d}.xml").write_bytes(body)
                    token = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
                    params = {"verb": "ListRecords", "resumptionToken": token.group(1).decode()} if token else None
    old = tmp / "old"
    old.mkdir()
    archive = subprocess.run(["git", "archive", ref, "pipeline", "schemas"], cwd=REPO, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    dumps = {}
    for name, tree in (("ref", old), ("this", REPO)):
        (tmp / name).mkdir()
        subprocess.run([sys.executable, "-c", _DUMP, str(tmp / name), ",".join(inputs), str(pages)], check=True,
                       env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tmp, capture_output=True)
        dumps[name] = pickle.load(open(tmp / name / "dump.pkl", "rb"))
    # A block's scratch file name appears in DuckDB's message for a line it cannot map.
    scrub = re.compile(r"arxiv-snapshot-block-[a-z0-9_]+")

    def same(a, b):
        # Rows compare by value (a table's rows carry another tzinfo object and key order).
        return a == b or scrub.sub("", repr(a)) == scrub.sub("", repr(b))

    differ = [str(k) for k in dumps["ref"] if not same(dumps["ref"][k], dumps["this"].get(k))]
    rows = sum(len(v) for k, v in dumps["ref"].items() if isinstance(k, tuple))
    oai_rows = sum(len(v[0]) for k, v in dumps["ref"].items() if isinstance(k, str))
    return {"ref": ref, "snapshot_inputs": inputs, "snapshot_rows_compared": rows, "oai_pages": len(list(pages.iterdir())),
            "oai_rows_compared": oai_rows, "differ": differ, "identical": not differ}


def main() -> None:
    """Run both comparisons and print the numbers as JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000, help="snapshot records (0 skips the snapshot bench)")
    ap.add_argument("--oai-records", type=int, default=100_000, help="OAI records (0 skips the OAI bench)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--identical-to", metavar="REF", help="compare outputs with git revision REF instead of timing")
    args = ap.parse_args()
    if args.identical_to:
        with tempfile.TemporaryDirectory(prefix="bench-arxiv-check-") as d:
            print(json.dumps(identical_to(args.identical_to, Path(d)), indent=2))
        return
    report = {"load_avg_1m_start": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-arxiv-") as d:
        tmp = Path(d)
        if args.oai_records:
            report["oai_parse"] = bench_oai(args.oai_records, args.repeat, tmp / "oai")
        if args.records:
            report["snapshot_gzip"] = bench_snapshot(args.records, args.repeat, tmp / "gz")
    report["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
