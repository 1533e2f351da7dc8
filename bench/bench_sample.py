"""Benchmark the sample generator: wall/CPU time, peak memory and output size per corpus size.

    .venv/bin/python bench/bench_sample.py --papers 3000 100000 [--keep DIR]

Prints one JSON object per size (each size runs in a fresh process so peak RSS is its own).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from pipeline.sample.generator import generate
out, n, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0, c0 = time.perf_counter(), time.process_time()
truth = generate(out, n, seed)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file())
print(json.dumps({"papers": n, "seed": seed, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                  "papers_per_s": round(n / wall), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "output_mb": round(size / 2**20, 1), "internal_citations": truth["counts"]["internal_citations"]}))
"""


def main() -> int:
    """Run the benchmark for each requested size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", help="write into this folder (per size) instead of a temp dir")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    for n in args.papers:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(args.keep) / f"sample-{n}" if args.keep else Path(tmp) / "sample"
            res = subprocess.run([sys.executable, "-c", _CHILD, str(out), str(n), str(args.seed)],
                                 cwd=repo, capture_output=True, text=True, check=True)
            print(res.stdout.strip(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
