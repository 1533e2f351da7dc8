"""Interval coverage of κ (chance-corrected persistence) and of the switch penalty, against planted values.

For each planted value and each of ``--seeds`` seeds, a small sample is generated, the generator's
own labels are loaded (team = author, so only sampling noise remains), and the indicator is built
by the production code. Coverage is the share of runs whose 95% interval holds the planted value;
the target is at least 85%. Prints JSON.

    python bench/bench_interval_coverage.py --seeds 20 --papers 1500 --persistence 0.5 0.8 --penalty 0.6 1.0
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
from pipeline.indicators.lockin import build_all  # noqa: E402
from pipeline.indicators.shares import build_shares  # noqa: E402
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


def _true_label_warehouse(sample_dir: Path) -> duckdb.DuckDBPyConnection:
    """The marts the indicators read, from the generator's own labels (teams as authors)."""
    labels = str(sample_dir / "truth_papers.jsonl.gz")
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE dim_papers AS
        SELECT id AS paper_id, CAST(published AS DATE) AS published_date, year(CAST(published AS DATE)) AS year,
               primary_family, 'truth' AS family_provenance, domain AS primary_domain, is_ml
        FROM read_json(?) WHERE is_ml""", [labels])
    con.execute("CREATE TABLE fct_paper_families AS SELECT id AS paper_id, f AS family, 1.0 / len(families) AS weight, "
                "f = primary_family AS is_primary, 'truth' AS provenance, 1.0 AS confidence "
                "FROM read_json(?), unnest(families) AS u(f) WHERE is_ml", [labels])
    con.execute("CREATE TABLE fct_authorships AS SELECT paper_id, 'team' || team AS author_id "
                "FROM dim_papers JOIN (SELECT id AS paper_id, team FROM read_json(?)) USING (paper_id)", [labels])
    con.execute("CREATE TABLE fct_citations (citing_paper_id VARCHAR, cited_paper_id VARCHAR)")
    transitions = (WAREHOUSE_DIR / "marts" / "fct_author_transitions.sql").read_text()
    con.execute(f"CREATE TABLE fct_author_transitions AS {transitions}")
    return con


def estimates_for(sample_dir: Path) -> dict[str, tuple[float, float, float]]:
    """κ and the papers-per-year switch ratio, each with its interval, on one sample."""
    con = _true_label_warehouse(sample_dir)
    build_lockin_kappa(con, LOG)
    build_shares(con, LOG)
    build_all(con, LOG)
    return {
        "kappa": con.execute("SELECT kappa, kappa_ci_low, kappa_ci_high FROM ind_lockin_kappa "
                             "WHERE domain = 'all'").fetchone(),
        "penalty": con.execute("SELECT ratio, ratio_ci_low, ratio_ci_high FROM ind_switch_penalty "
                               "WHERE outcome = 'papers_per_year'").fetchone(),
    }


def coverage(indicator: str, parameter: str, value: float, seeds: int, papers: int) -> dict:
    """Runs, coverage and mean estimate of one indicator for one planted parameter value."""
    runs = []
    with planted(**{parameter: value}), tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, seeds + 1):
            generate(Path(tmp) / "s", papers, seed)
            est, lo, hi = estimates_for(Path(tmp) / "s")[indicator]
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
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [coverage("kappa", "persistence", p, args.seeds, args.papers) for p in args.persistence]
    results += [coverage("penalty", "switch_ratio", p, args.seeds, args.papers) for p in args.penalty]
    summary = {"seeds": args.seeds, "papers": args.papers, "seconds": round(time.perf_counter() - started, 1),
               "results": results}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
