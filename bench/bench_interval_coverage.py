"""Interval coverage of the chance-corrected persistence κ against the planted stay probability.

For each planted persistence and each of ``--seeds`` seeds, a small sample is generated, the
generator's own labels are loaded (team = author, so only sampling noise remains), and
``ind_lockin_kappa`` is built by the production code. Coverage is the share of runs whose 95%
interval holds the planted value; the target is at least 85%. Prints JSON.

    python bench/bench_interval_coverage.py --seeds 20 --papers 1500 --persistence 0.5 0.8
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.indicators.kappa import build_lockin_kappa  # noqa: E402
from pipeline.sample import generate  # noqa: E402
from pipeline.warehouse.runner import WAREHOUSE_DIR  # noqa: E402

LOG = logging.getLogger("bench.coverage")


@contextmanager
def planted(**values):
    """Temporarily override the generator's planted parameters (the module that holds PLANTED)."""
    for name in ("pipeline.sample.simulate", "pipeline.sample.generator"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "PLANTED"):
            break
    else:
        raise RuntimeError("no PLANTED parameters found in pipeline.sample")
    saved = {k: module.PLANTED[k] for k in values}
    module.PLANTED.update(values)
    try:
        yield
    finally:
        module.PLANTED.update(saved)


def kappa_for(sample_dir: Path) -> tuple[float, float, float]:
    """κ and its interval on the generator's own labels of one sample."""
    labels = sample_dir / "truth_papers.jsonl.gz"
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE dim_papers AS
        SELECT id AS paper_id, CAST(published AS DATE) AS published_date, year(CAST(published AS DATE)) AS year,
               primary_family, 'truth' AS family_provenance, domain AS primary_domain, is_ml
        FROM read_json(?) WHERE is_ml""", [str(labels)])
    con.execute("CREATE TABLE fct_authorships AS SELECT paper_id, 'team' || team AS author_id "
                "FROM dim_papers JOIN (SELECT id AS paper_id, team FROM read_json(?)) USING (paper_id)",
                [str(labels)])
    transitions = (WAREHOUSE_DIR / "marts" / "fct_author_transitions.sql").read_text()
    con.execute(f"CREATE TABLE fct_author_transitions AS {transitions}")
    build_lockin_kappa(con, LOG)
    return con.execute("SELECT kappa, kappa_ci_low, kappa_ci_high FROM ind_lockin_kappa WHERE domain = 'all'").fetchone()


def coverage(persistence: float, seeds: int, papers: int) -> dict:
    """Runs, coverage and mean estimate of κ for one planted persistence."""
    runs = []
    with planted(persistence=persistence), tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, seeds + 1):
            generate(Path(tmp) / "s", papers, seed)
            k, lo, hi = kappa_for(Path(tmp) / "s")
            runs.append({"seed": seed, "kappa": k, "low": lo, "high": hi, "covers": lo <= persistence <= hi})
    covered = sum(r["covers"] for r in runs)
    return {"planted": persistence, "runs": len(runs), "covered": covered, "coverage": covered / len(runs),
            "mean_kappa": sum(r["kappa"] for r in runs) / len(runs),
            "mean_width": sum(r["high"] - r["low"] for r in runs) / len(runs), "detail": runs}


def main(argv=None) -> int:
    """Measure coverage for every planted value and print the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--papers", type=int, default=1500)
    parser.add_argument("--persistence", type=float, nargs="+", default=[0.5, 0.8])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [coverage(p, args.seeds, args.papers) for p in args.persistence]
    summary = {"seeds": args.seeds, "papers": args.papers, "seconds": round(time.perf_counter() - started, 1),
               "kappa": [{k: v for k, v in r.items() if k != "detail"} for r in results]}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
