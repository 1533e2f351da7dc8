"""Benchmark: the CD index's citer-sample budget, cost against accuracy, on one built warehouse.

    .venv/bin/python bench/bench_cd_budget.py --warehouse W.duckdb [--budgets 6e7 6e8 2e9] [--before-year 2020]

``W.duckdb`` is a built warehouse (e.g. the candidate ``bench_warehouse.py --home H`` leaves under
``H/warehouse/candidates/``). The sweep's inputs are read once; then for each pair budget the citer
sample it implies (rate q = budget / Σ indeg², the build's rule and seed) is drawn and
``cd_counts`` runs. Prints JSON per budget: q, wall and CPU seconds of the counts, the share of
papers with a CD that have no sampled references-only citer, the mean signed CD of papers up to
``--before-year`` (the ratio's bias shows as this mean moving with q), mean |CD| and the median
relative standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    """Run the sweep at each budget and print the JSON summary."""
    import duckdb

    from pipeline.indicators import citations

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--budgets", nargs="+", type=float, default=[6e7, 6e8, 2e9])
    parser.add_argument("--before-year", type=int, default=2020)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"ATTACH '{args.warehouse}' AS src (READ_ONLY)")
    for table in ("dim_papers", "fct_citations", "fct_authorships"):
        con.execute(f'CREATE VIEW "{table}" AS SELECT * FROM src."{table}"')
    inputs = citations.cd_inputs(con)
    n = len(inputs["day"])
    bound = int((np.bincount(inputs["cited"], minlength=n).astype(np.int64) ** 2).sum())
    out = {"warehouse": args.warehouse, "papers": n, "edges": int(len(inputs["citing"])), "sum_indeg_sq": bound,
           "budgets": []}
    for budget in args.budgets:
        rate = min(1.0, budget / bound)
        sample = np.random.default_rng([0, 14]).random(n) < rate if rate < 1 else None
        t0, c0 = time.perf_counter(), time.process_time()
        counts = citations.cd_counts(**inputs, window=citations.CD_WINDOW_YEARS,
                                     l_references=citations.CD_L_REFERENCES, keep_self=False, citer_sample=sample)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        m = counts["n_k"].astype(float)
        n_k, se_k = m / rate, np.sqrt(np.maximum(m, 1.0) * (1 - rate)) / rate
        n_i, n_j = counts["n_i"].astype(float), counts["n_j"].astype(float)
        total = n_i + n_j + n_k
        ok = (total > 0) & (counts["n_references"] >= citations.CD_MIN_REFERENCES) & inputs["focal"]
        cd = (n_i - n_j)[ok] / total[ok]
        cd_se = np.abs(n_i - n_j)[ok] * se_k[ok] / total[ok] ** 2
        early = inputs["year"][ok] <= args.before_year
        out["budgets"].append({
            "budget": budget, "rate": round(rate, 5), "counts_wall_s": round(wall, 2), "counts_cpu_s": round(cpu, 2),
            "papers_with_cd": int(ok.sum()), "share_no_sampled_citer": round(float((m[ok] == 0).mean()), 5),
            f"mean_cd_to_{args.before_year}": float(cd[early].mean()), "mean_abs_cd": float(np.abs(cd).mean()),
            "median_relative_se": float(np.median(cd_se / np.maximum(np.abs(cd), 1e-12)))})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
