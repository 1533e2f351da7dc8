"""Benchmark: PwC papers-with-abstracts → lake, from the JSON dump and from the archive's Parquet shards.

Writes a synthetic papers-with-abstracts.json.gz in the real dump layout (streaming; ~1.7 KB of
JSON per paper, so 300k papers ≈ 0.5 GB decompressed, with 0.1 % exact duplicates) and the same
papers in the archive's layout (``papers-with-abstracts/data/train-0000i-of-00004.parquet``, nested
columns), then ingests each through ``ingest_dumps`` in a child process per size and format and
reports records/s, the child's peak RSS, and the Parquet/JSON throughput ratio.  Peak RSS should
stay flat as the file grows (batches and DuckDB's memory limit bound it).

    .venv/bin/python bench/bench_pwc.py                       # 100k and 300k papers, both formats
    .venv/bin/python bench/bench_pwc.py --sizes 1000000 --formats json --keep /tmp/pwc-bench
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_WORDS = ("model network learning training data neural attention transformer convolutional layer "
          "representation task performance benchmark propose method results state art deep language "
          "image graph policy reinforcement generative adversarial diffusion encoder decoder sequence "
          "recurrent memory optimization gradient loss robust efficient scalable pretraining fine tuning "
          "dataset evaluation accuracy baseline approach framework novel experiments show improve").split()
_METHODS = [("Transformer", "Transformers", "Natural Language Processing"), ("Adam", "Stochastic Optimization", "General"),
            ("ResNet", "Convolutional Neural Networks", "Computer Vision"), ("LSTM", "Recurrent Neural Networks", "Sequential"),
            ("Dropout", "Regularization", "General"), ("BERT", "Language Models", "Natural Language Processing"),
            ("GCN", "Graph Models", "Graphs"), ("Batch Normalization", "Normalization", "General")]
_TASKS = ["Image Classification", "Machine Translation", "Question Answering", "Object Detection",
          "Language Modelling", "Node Classification", "Speech Recognition", "Semantic Segmentation"]


def _paper(i: int, rng: random.Random) -> dict:
    year = rng.randint(2012, 2024)
    arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{i % 100000:05d}"
    methods = [{"name": n, "full_name": n, "description": " ".join(rng.choices(_WORDS, k=20)),
                "introduced_year": rng.choice([2000, 2014, 2015, 2017]), "source_url": None, "source_title": None,
                "code_snippet_url": None,
                "main_collection": {"name": c, "description": "", "parent": None, "area": a}}
               for n, c, a in rng.sample(_METHODS, rng.randint(1, 4))]
    return {
        "paper_url": f"https://paperswithcode.com/paper/synthetic-paper-{i}",
        "arxiv_id": arxiv if rng.random() < 0.8 else None,
        "title": " ".join(rng.choices(_WORDS, k=10)).capitalize(),
        "abstract": " ".join(rng.choices(_WORDS, k=150)).capitalize() + ".",
        "url_abs": f"https://arxiv.org/abs/{arxiv}v1",
        "url_pdf": f"https://arxiv.org/pdf/{arxiv}v1.pdf",
        "proceeding": rng.choice([None, "NeurIPS 2019 12", "CVPR 2021 6"]),
        "authors": [f"Author {rng.randint(1, 50000)}" for _ in range(rng.randint(1, 6))],
        "tasks": rng.sample(_TASKS, rng.randint(0, 3)),
        "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "methods": methods,
    }


def write_dump(path: Path, papers: int, seed: int = 7) -> int:
    """Stream a papers-with-abstracts.json.gz of ``papers`` items (+0.1 % exact duplicates)."""
    raw_bytes = 0
    with gzip.open(path, "wb", compresslevel=3) as out:
        out.write(b"[\n")
        for i, item in enumerate(_items(papers, seed)):
            chunk = (b",\n" if i else b"") + json.dumps(item).encode()
            out.write(chunk)
            raw_bytes += len(chunk)
        out.write(b"\n]\n")
    return raw_bytes + 6


def _items(papers: int, seed: int = 7):
    rng = random.Random(seed)
    last = None
    for i in range(papers):
        item = last if (last is not None and i % 1000 == 999) else _paper(i, rng)
        yield item
        last = item


def write_shards(folder: Path, papers: int, shards: int = 4, seed: int = 7, chunk: int = 5_000) -> int:
    """Stream the same papers as ``write_dump`` into the archive layout; returns the bytes written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = folder / "papers-with-abstracts" / "data"
    data.mkdir(parents=True, exist_ok=True)
    per_shard = -(-papers // shards)
    items = _items(papers, seed)
    struct_type = None
    for k in range(shards):
        writer = None
        path = data / f"train-{k:05d}-of-{shards:05d}.parquet"
        left = min(per_shard, papers - k * per_shard)
        while left > 0:
            batch = [next(items) for _ in range(min(chunk, left))]
            left -= len(batch)
            # One type for every shard, inferred from the first chunk (the generated records
            # are uniform), as the converter gives all shards one schema.
            array = pa.array(batch, type=struct_type)
            struct_type = array.type
            table = pa.Table.from_struct_array(array)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=chunk)
        if writer is not None:
            writer.close()
    return sum(p.stat().st_size for p in data.iterdir())


_CHILD = """
import json, resource, sys, time
from pipeline.config import load_settings
from pipeline.sources.pwc import ingest_dumps
settings = load_settings(env={}, home=sys.argv[1], pwc_dumps=sys.argv[2])
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
t0, c0 = time.perf_counter(), cpu()
result = ingest_dumps(settings, only=["papers-with-abstracts"])[0]
elapsed, cpu_seconds = time.perf_counter() - t0, cpu() - c0
print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu_seconds, "rows": result.rows, "quarantined": result.quarantined,
                  "detail": result.detail, "outcome": result.outcome,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(papers: int, work: Path, fmt: str = "json") -> dict:
    """Generate and ingest one size in one format ('json' or 'parquet'); returns the measurements."""
    dumps = work / f"dumps-{fmt}-{papers}"
    dumps.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if fmt == "json":
        path = dumps / "papers-with-abstracts.json.gz"
        raw_bytes = write_dump(path, papers)
        size = {"gzip_mb": round(path.stat().st_size / 1e6, 1), "decompressed_mb": round(raw_bytes / 1e6, 1)}
    else:
        size = {"parquet_mb": round(write_shards(dumps, papers) / 1e6, 1)}
    generated = time.perf_counter() - t0
    child = subprocess.run([sys.executable, "-c", _CHILD, str(work / f"home-{fmt}-{papers}"), str(dumps)],
                           cwd=REPO, capture_output=True, text=True, check=True)
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "papers": papers,
        "format": fmt,
        **size,
        "generate_seconds": round(generated, 1),
        "ingest_seconds": round(measured["seconds"], 2),
        "ingest_cpu_seconds": round(measured["cpu_seconds"], 2),
        "records_per_s": round(papers / measured["seconds"]),
        # Per CPU-second: comparable even when other jobs share the machine's two cores.
        "records_per_cpu_s": round(papers / measured["cpu_seconds"]),
        "lake_rows_per_s": round(sum(measured["rows"].values()) / measured["seconds"]),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
        "rows": measured["rows"],
        "detail": measured["detail"],
        "outcome": measured["outcome"],
    }


def ratios(results: list[dict]) -> list[dict]:
    """Parquet vs JSON per size: throughput ratios (>1 means the Parquet path is faster)."""
    out = []
    for papers in sorted({r["papers"] for r in results}):
        by = {r["format"]: r for r in results if r["papers"] == papers}
        if {"json", "parquet"} <= by.keys():
            j, p = by["json"], by["parquet"]
            if p["rows"] != j["rows"]:
                raise SystemExit(f"{papers} papers: the two formats gave different row counts: {j['rows']} vs {p['rows']}")
            out.append({"papers": papers,
                        "json_records_per_cpu_s": j["records_per_cpu_s"], "parquet_records_per_cpu_s": p["records_per_cpu_s"],
                        "parquet_over_json_per_cpu_s": round(p["records_per_cpu_s"] / j["records_per_cpu_s"], 2),
                        "parquet_over_json_wall": round(p["records_per_s"] / j["records_per_s"], 2),
                        "peak_rss_mb": {"json": j["peak_rss_mb"], "parquet": p["peak_rss_mb"]}})
    return out


def main() -> int:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,300000", help="comma-separated paper counts")
    parser.add_argument("--formats", default="json,parquet", help="json, parquet or both (comma-separated)")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-pwc-"))
    try:
        results = [run(int(n), work, fmt) for n in args.sizes.split(",") for fmt in args.formats.split(",")]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"benchmark": "pwc papers-with-abstracts → lake (JSON dump vs Parquet shards)", "cores": os.cpu_count(),
                      "load_average_1m": round(os.getloadavg()[0], 2),
                      "runs": results, "parquet_vs_json": ratios(results),
                      "bench_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
