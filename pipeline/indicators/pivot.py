"""Pivot size (issue 9, switch penalty): how far a paper's references move from the author's earlier ones.

``ind_pivot_size`` is the continuous counterpart of the switch/stay split of ``ind_switch_penalty``:
per (author, paper), 1 − cosine similarity between the family counts of the paper's references and
of all references of the author's strictly earlier papers (Hill et al. 2021, "The pivot penalty in
research"). ``ind_pivot_penalty`` relates it to the penalty's outcomes, bin by bin.
"""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, load_sql, write_table
from pipeline.indicators.kappa import distinct_per_cell
from pipeline.indicators.lockin import PENALTY_WINDOW_YEARS, team_clusters

# Lower edges of the pivot-size bins; the last bin is closed at 1 (a complete pivot).
PIVOT_BIN_EDGES = tuple(round(0.1 * i, 1) for i in range(10))
# Co-authorship graphs have a giant component: past this share of the events in one team, resampling
# teams is resampling a handful of units, so the bootstrap falls back to authors (and says so).
MAX_TEAM_SHARE = 0.1


def bootstrap_clusters(author: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, str]:
    """Cluster id per event and its unit: teams, or authors when one team holds over MAX_TEAM_SHARE of events."""
    team = team_clusters(author, paper)
    if team.size and np.bincount(team).max() > MAX_TEAM_SHARE * team.size:
        return np.unique(author, return_inverse=True)[1].astype(np.int64), "author"
    return team, "team"


def pivot_bin(values: np.ndarray) -> np.ndarray:
    """Bin index 0–9 of pivot sizes in [0, 1] (width 0.1; 1.0 falls in the last bin)."""
    return np.minimum(np.floor(np.asarray(values, dtype=float) * 10.0 + 1e-9), 9).astype(np.int64)


def build_pivot_size(con, log, window: int = PENALTY_WINDOW_YEARS) -> None:
    """ind_pivot_size (per author-paper) and ind_pivot_penalty (outcome by pivot-size bin)."""
    from pipeline.warehouse.contracts import contract

    declared = contract("ind_pivot_size").column_types()
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in declared.items())
    con.execute(f"CREATE OR REPLACE TABLE ind_pivot_size AS SELECT {select} FROM ("
                + load_sql("pivot_size", days=365 * window) + ") ORDER BY author_id, published_date, paper_id")
    # integer codes: string arrays become Python objects, and np.unique over them dominated the step
    ev = fetch_arrays(con, """
        SELECT dense_rank() OVER (ORDER BY author_id) - 1 AS author_id,
               dense_rank() OVER (ORDER BY paper_id) - 1 AS paper_id,
               pivot_size, window_papers, window_citations
        FROM ind_pivot_size WHERE pivot_size IS NOT NULL AND window_complete ORDER BY author_id, paper_id
    """)
    b = pivot_bin(ev["pivot_size"]) if len(ev["paper_id"]) else np.zeros(0, dtype=np.int64)
    cluster, unit = bootstrap_clusters(ev["author_id"], ev["paper_id"])
    wp = ev["window_papers"].astype(float) if len(b) else np.zeros(0)
    wc = ev["window_citations"].astype(float) if len(b) else np.zeros(0)
    with np.errstate(all="ignore"):
        outcomes = {"papers_per_year": wp / window,
                    "citations_per_paper": np.where(wp > 0, wc / np.where(wp > 0, wp, 1.0), np.nan)}
    n_bins = len(PIVOT_BIN_EDGES)
    cols: dict[str, list] = {k: [] for k in (
        "outcome", "window_years", "pivot_bin", "bin_low", "bin_high", "n_events", "n_authors", "mean_pivot",
        "mean_outcome", "mean_ci_low", "mean_ci_high", "ratio_to_lowest_bin", "ratio_ci_low", "ratio_ci_high",
        "bootstrap_unit", "n_clusters", "low_n")}
    # one bootstrap for both outcomes: an event without a defined outcome carries zero weight in its columns
    piv = ev["pivot_size"].astype(float) if len(b) else np.zeros(0)
    oks = [np.isfinite(y) for y in outcomes.values()]
    vals = np.column_stack([c for y, ok in zip(outcomes.values(), oks)
                            for c in (ok.astype(float), np.where(ok, y, 0.0), np.where(ok, piv, 0.0))]) \
        if len(b) else np.zeros((0, 3 * len(outcomes)))
    all_reps = stats.cluster_replicate_sums(cluster, b, vals, n_bins, stats.rng_for("pivot"))
    for k, (name, ok) in enumerate(zip(outcomes, oks)):
        cell = b[ok]
        totals = np.zeros((n_bins, 3))
        np.add.at(totals, cell, vals[ok][:, 3 * k:3 * k + 3])
        reps = all_reps[:, :, 3 * k:3 * k + 3]
        with np.errstate(all="ignore"):
            mean, rep_mean = totals[:, 1] / totals[:, 0], reps[:, :, 1] / reps[:, :, 0]
            ratio, rep_ratio = mean / mean[0], rep_mean / rep_mean[:, :1]
        mlo, mhi = stats.percentile_ci(rep_mean)
        rlo, rhi = stats.percentile_ci(rep_ratio)
        authors = distinct_per_cell(ev["author_id"][ok], cell, n_bins)
        n_clusters = int(np.unique(cluster[ok]).size)
        for i in range(n_bins):
            cols["outcome"].append(name)
            cols["window_years"].append(window)
            cols["pivot_bin"].append(i)
            cols["bin_low"].append(PIVOT_BIN_EDGES[i])
            cols["bin_high"].append(round(PIVOT_BIN_EDGES[i] + 0.1, 1))
            cols["n_events"].append(int(totals[i, 0]))
            cols["n_authors"].append(int(authors[i]))
            cols["mean_pivot"].append(totals[i, 2] / totals[i, 0] if totals[i, 0] else np.nan)
            cols["mean_outcome"].append(mean[i])
            cols["mean_ci_low"].append(float(mlo[i]))
            cols["mean_ci_high"].append(float(mhi[i]))
            cols["ratio_to_lowest_bin"].append(ratio[i])
            cols["ratio_ci_low"].append(float(rlo[i]))
            cols["ratio_ci_high"].append(float(rhi[i]))
            cols["bootstrap_unit"].append(unit)
            cols["n_clusters"].append(n_clusters)
            cols["low_n"].append(bool(totals[i, 0] < stats.MIN_COUNT or totals[0, 0] < stats.MIN_COUNT))
    for key in ("bin_low", "bin_high", "mean_pivot", "mean_outcome", "mean_ci_low", "mean_ci_high",
                "ratio_to_lowest_bin", "ratio_ci_low", "ratio_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_pivot_penalty", cols, order_by="outcome, pivot_bin")
    log.info("ind_pivot_size: %d author-papers with a pivot size and a complete outcome window", len(b))


def pivot_size(con, ctx) -> None:
    """Build step for ind_pivot_size and ind_pivot_penalty."""
    import logging

    build_pivot_size(con, getattr(ctx, "log", None) or logging.getLogger("pipeline.indicators"))
