"""Interval coverage of κ (chance-corrected persistence), of the switch penalty and of the attachment
exponent α, against planted values.

For each planted value and each of ``--seeds`` seeds, a small world is simulated, its own labels
are loaded as the marts (team = author, so only sampling noise remains), and the indicator is
built by the production code. Coverage is the share of runs whose 95% interval holds the planted
value; the target is at least 85%. α is planted with aging (``--aging-years``). Prints JSON.

    python bench/bench_interval_coverage.py --seeds 20 --papers 1500 --persistence 0.5 0.8 --penalty 0.6 1.0 \
        --alpha 0.7 1.3
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.indicators.attachment import build_attachment  # noqa: E402
from pipeline.indicators.kappa import build_lockin_kappa  # noqa: E402
from pipeline.indicators.lockin import build_all  # noqa: E402
from pipeline.indicators.shares import build_shares  # noqa: E402
from pipeline.sample import simulate  # noqa: E402
from pipeline.sample.truth import true_label_warehouse  # noqa: E402
from pipeline.warehouse.runner import WAREHOUSE_DIR  # noqa: E402

LOG = logging.getLogger("bench.coverage")


@contextmanager
def planted(**values):
    """Temporarily override the generator's planted parameters."""
    saved = dict(simulate.PLANTED)
    simulate.PLANTED.update(values)
    try:
        yield
    finally:
        simulate.PLANTED.clear()
        simulate.PLANTED.update(saved)


QUERIES = {
    "kappa": "SELECT kappa, kappa_ci_low, kappa_ci_high FROM ind_lockin_kappa WHERE domain = 'all'",
    "penalty": "SELECT ratio, ratio_ci_low, ratio_ci_high FROM ind_switch_penalty WHERE outcome = 'papers_per_year'",
    "alpha": "SELECT alpha, alpha_ci_low, alpha_ci_high FROM ind_preferential_attachment "
             "WHERE kind = 'citations' AND is_pooled",
}


def estimate(indicator: str, papers: int, seed: int) -> tuple[float, float, float]:
    """(estimate, low, high) of one indicator on one simulated world, by the production code."""
    con = duckdb.connect()
    try:
        true_label_warehouse(simulate.World(papers, seed), con,
                             (WAREHOUSE_DIR / "marts" / "fct_author_transitions.sql").read_text())
        if indicator == "kappa":
            build_lockin_kappa(con, LOG)
        else:
            build_shares(con, LOG)
            (build_all if indicator == "penalty" else build_attachment)(con, LOG)
        return con.execute(QUERIES[indicator]).fetchone()
    finally:
        con.close()


def coverage(indicator: str, parameters: dict, value: float, seeds: int, papers: int) -> dict:
    """Runs, coverage and mean estimate of one indicator for one planted parameter value."""
    runs = []
    with planted(**parameters):
        for seed in range(1, seeds + 1):
            est, lo, hi = estimate(indicator, papers, seed)
            runs.append({"seed": seed, "estimate": est, "low": lo, "high": hi, "covers": lo <= value <= hi})
    covered = sum(r["covers"] for r in runs)
    return {"indicator": indicator, "planted": value, "runs": len(runs), "covered": covered,
            "coverage": covered / len(runs), "mean_estimate": sum(r["estimate"] for r in runs) / len(runs),
            "mean_width": sum(r["high"] - r["low"] for r in runs) / len(runs)}


def main(argv=None) -> int:
    """Measure coverage for every planted value and print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--papers", type=int, default=1500)
    parser.add_argument("--persistence", type=float, nargs="*", default=[0.5, 0.8])
    parser.add_argument("--penalty", type=float, nargs="*", default=[0.6, 1.0])
    parser.add_argument("--alpha", type=float, nargs="*", default=[0.7, 1.3])
    parser.add_argument("--aging-years", type=float, default=4.0)
    parser.add_argument("--elasticity", type=float, default=0.0,
                        help="switch_output_elasticity planted in the penalty runs")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [coverage("kappa", {"persistence": p}, p, args.seeds, args.papers) for p in args.persistence]
    results += [coverage("penalty", {"switch_ratio": p, "switch_output_elasticity": args.elasticity}, p, args.seeds,
                         args.papers) for p in args.penalty]
    results += [coverage("alpha", {"attachment_exponent": a, "aging_years": args.aging_years}, a, args.seeds,
                         args.papers) for a in args.alpha]
    summary = {"seeds": args.seeds, "papers": args.papers, "seconds": round(time.perf_counter() - started, 1),
               "results": results}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
