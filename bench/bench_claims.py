"""Benchmark: the pivot-size step against the lock-in group on the same synthetic marts, as a ratio.

    .venv/bin/python bench/bench_claims.py [--papers 300000] [--refs-per-paper 10] [--threads 2]

Both read dim_papers, fct_authorships and fct_citations; the lock-in group (transition matrix,
switching, penalty) is the anchor, timed in the same process right before, so machine load cancels
out of the ratio. Prints JSON: seconds of each, the ratio, rows of ind_pivot_size, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def main() -> int:
    """Generate marts, time the anchor and the pivot step, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=300_000)
    parser.add_argument("--refs-per-paper", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import duckdb
    from bench_indicators import make_marts

    from pipeline.indicators import shares
    from pipeline.indicators.pivot import pivot_size
    from pipeline.indicators.warehouse import lock_in
    from pipeline.warehouse.contracts import registry

    ctx = SimpleNamespace(log=logging.getLogger("bench.claims"))
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    make_marts(con, args.papers, args.refs_per_paper)
    shares.build_shares(con, ctx.log)          # ind_family_share: an input of the lock-in group
    registry()                                 # the YAML contracts load once per process; not timed
    out = {"papers": args.papers, "citations": con.execute("SELECT count(*) FROM fct_citations").fetchall()[0][0]}
    started = time.perf_counter()
    lock_in(con, ctx)
    out["anchor_lockin_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    pivot_size(con, ctx)
    out["pivot_seconds"] = round(time.perf_counter() - started, 2)
    out["pivot_over_anchor"] = round(out["pivot_seconds"] / out["anchor_lockin_seconds"], 2)
    out["pivot_rows"] = con.execute("SELECT count(*) FROM ind_pivot_size").fetchall()[0][0]
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
