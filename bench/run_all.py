"""Run every benchmark in turn (``make bench``) and save their JSON to bench/out/.

Each script prints JSON and is also runnable alone with its own options; this runner uses the
sizes the README reports. Run it on an otherwise idle machine: the numbers are wall-clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ("arxiv", ["bench_arxiv.py", "--records", "1000000", "--oai-records", "100000"]),
    ("pwc", ["bench_pwc.py", "--sizes", "300000"]),
    ("sample", ["bench_sample.py", "--papers", "3000", "100000"]),
    ("classify", ["bench_classify.py", "--papers", "20000"]),
    ("indicators", ["bench_indicators.py", "--papers", "300000"]),
    ("warehouse", ["bench_warehouse.py", "--papers", "1000000", "--refs-per-paper", "30"]),
    ("pagerank", ["bench_pagerank.py"]),
    ("cd", ["bench_cd.py", "--papers", "1000000"]),
    ("claims", ["bench_claims.py"]),
]


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (default: all) and store each one's output."""
    wanted = set(argv) or {name for name, _ in RUNS}
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    failed = []
    for name, cmd in RUNS:
        if name not in wanted:
            continue
        print(f"== {name}: {' '.join(cmd)}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        (out_dir / f"{name}.json").write_text(proc.stdout)
        print(proc.stdout[-3000:])
        if proc.returncode:
            failed.append(name)
            print(proc.stderr[-3000:], file=sys.stderr)
        print(f"== {name}: exit {proc.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    print(json.dumps({"failed": failed, "results": str(out_dir)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
