"""Pivot size (issue 9, switch penalty): how far a paper's references move from the author's earlier ones.

``ind_pivot_size`` is the continuous counterpart of the switch/stay split of ``ind_switch_penalty``:
per (author, paper), 1 − cosine similarity between the family counts of the paper's references and
of all references of the author's strictly earlier papers (Hill et al. 2021, "The pivot penalty in
research"). ``ind_pivot_penalty`` relates it to the penalty's outcomes, bin by bin.
"""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import load_sql, write_table
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


# Author-paper rows per chunk of the dense (row × family) count matrix: bounds its memory at ~16 MB.
PIVOT_CHUNK_CELLS = 2_000_000


def prior_family_sums(author: np.ndarray, day: np.ndarray, code: np.ndarray, ref_code: np.ndarray,
                      ref_family: np.ndarray, ref_x: np.ndarray) -> dict[str, np.ndarray]:
    """Per author-paper row, the dot product and norms of its reference-family counts and the author's prior ones.

    Rows come sorted by (author, day); ``code`` numbers each row's paper and the references are
    (paper number, family number, count) sorted by paper. The prior vector of a row is the sum
    of the author's rows dated strictly earlier, i.e. the running sum at the start of the row's
    (author, day) run minus the one at the start of the author: one cumulative sum per chunk of
    whole authors replaces the SQL window sums over (author, family).
    """
    n = len(author)
    n_fam = int(ref_family.max()) + 1 if len(ref_family) else 1
    n_codes = int(max(code.max() if n else -1, ref_code.max() if len(ref_code) else -1)) + 1
    indptr = np.zeros(n_codes + 1, dtype=np.int64)
    np.cumsum(np.bincount(ref_code, minlength=n_codes), out=indptr[1:])
    # the first row of each row's author and of its (author, day) run
    span = int(day.max() - day.min()) + 2 if n else 1
    key = author.astype(np.int64) * span + (day - (day.min() if n else 0))
    author_start = np.searchsorted(author, author, side="left")
    run_start = np.searchsorted(key, key, side="left")
    out = {k: np.zeros(n, dtype=np.int64) for k in ("dot", "focal_sq", "prior_sq", "n_refs", "n_families",
                                                     "prior_refs")}
    step = max(1, PIVOT_CHUNK_CELLS // n_fam)
    s = 0
    while s < n:
        # chunks end on an author boundary, so every prior sum stays inside one chunk
        e = n if s + step >= n else int(author_start[s + step])
        if e <= s:  # one author longer than a chunk: the chunk is that author
            e = int(np.searchsorted(author, author[s], side="right"))
        p = code[s:e]
        k = indptr[p + 1] - indptr[p]
        pos = np.repeat(indptr[p] - (np.cumsum(k) - k), k) + np.arange(int(k.sum()))
        m = np.zeros((e - s, n_fam), dtype=np.int64)
        m[np.repeat(np.arange(e - s), k), ref_family[pos]] = ref_x[pos]
        before = np.cumsum(m, axis=0) - m  # exclusive running sums
        prior = before[run_start[s:e] - s] - before[author_start[s:e] - s]
        out["dot"][s:e] = (m * prior).sum(axis=1)
        out["focal_sq"][s:e] = (m * m).sum(axis=1)
        out["prior_sq"][s:e] = (prior * prior).sum(axis=1)
        out["n_refs"][s:e] = m.sum(axis=1)
        out["n_families"][s:e] = (m > 0).sum(axis=1)
        out["prior_refs"][s:e] = prior.sum(axis=1)
        s = e
    return out


def window_sums(author: np.ndarray, day: np.ndarray, values: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row (sorted by author, day): the author's rows dated in (day, day + days] and the sum of their values."""
    if not len(author):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    span = int(day.max() - day.min()) + days + 2
    key = author.astype(np.int64) * span + (day - day.min())
    lo = np.searchsorted(key, key + 1, side="left")
    hi = np.searchsorted(key, key + days, side="right")
    total = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    return (hi - lo).astype(np.int64), total[hi] - total[lo]


def reference_family_counts(edges) -> dict[str, np.ndarray]:
    """(code, family, x): citations per (citing paper number, cited family), sorted by code then family.

    ``edges`` is the Arrow table of pivot_reference_families.sql, one row per citation.
    """
    from scipy import sparse

    code = edges.column("code").to_numpy()
    family = edges.column("family").to_numpy()
    if not len(code):
        return {k: np.zeros(0, dtype=np.int64) for k in ("code", "family", "x")}
    # a (code × family) CSR with duplicates summed is the counts in (code, family) order: its two
    # counting-sort passes cost less than a bincount over every code × family cell (~17M at 1M papers)
    n_codes = int(code.max()) + 1
    cells = sparse.csr_array((np.ones(len(code), dtype=np.int64), (code, family)),
                             shape=(n_codes, int(family.max()) + 1))
    cells.sum_duplicates()
    return {"code": np.repeat(np.arange(n_codes, dtype=np.int64), np.diff(cells.indptr)),
            "family": cells.indices.astype(np.int64), "x": cells.data}


def build_pivot_size(con, log, window: int = PENALTY_WINDOW_YEARS) -> None:
    """ind_pivot_size (per author-paper) and ind_pivot_penalty (outcome by pivot-size bin)."""
    import pyarrow as pa

    from pipeline.warehouse.contracts import contract

    days = 365 * window
    con.execute("CREATE OR REPLACE TEMP TABLE _pivot_papers AS " + load_sql("pivot_papers"))
    try:
        ap = con.sql(load_sql("pivot_author_papers", days=days)).to_arrow_table()
        refs = reference_family_counts(con.sql(load_sql("pivot_reference_families")).to_arrow_table())
    finally:
        con.execute("DROP TABLE IF EXISTS _pivot_papers")
    author = ap.column("author").to_numpy().astype(np.int64)
    day = ap.column("day").to_numpy().astype(np.int64)
    code = ap.column("code").to_numpy().astype(np.int64)
    sums = prior_family_sums(author, day, code, refs["code"].astype(np.int64), refs["family"].astype(np.int64),
                             refs["x"].astype(np.int64))
    window_papers, window_citations = window_sums(author, day, ap.column("received").to_numpy(), days)
    # the rows of papers with a classified reference, already in the table's (author, date, paper) order
    keep = np.flatnonzero(sums["n_refs"] > 0)
    has_prior = sums["prior_sq"][keep] > 0
    with np.errstate(all="ignore"):
        cosine = sums["dot"][keep] / np.sqrt((sums["focal_sq"][keep] * sums["prior_sq"][keep]).astype(float))
    pivot = np.where(has_prior, np.maximum(0.0, np.minimum(1.0, 1 - cosine)), np.nan)
    complete = ap.column("window_complete").to_numpy(zero_copy_only=False).astype(bool)[keep]
    taken = pa.array(keep)
    rows = pa.table({
        "author_id": ap.column("author_id").take(taken), "paper_id": ap.column("paper_id").take(taken),
        "year": ap.column("year").take(taken), "published_date": ap.column("published_date").take(taken),
        "n_classified_references": sums["n_refs"][keep], "n_reference_families": sums["n_families"][keep],
        "n_prior_references": sums["prior_refs"][keep], "pivot_size": pa.array(pivot, mask=~has_prior),
        "window_papers": window_papers[keep], "window_citations": window_citations[keep],
        "window_complete": complete})
    declared = contract("ind_pivot_size").column_types()
    select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in declared.items())
    con.register("_pivot_rows", rows)
    try:
        # the rows are in (author_id, published_date, paper_id) order, which insertion order keeps
        con.execute(f"CREATE OR REPLACE TABLE ind_pivot_size AS SELECT {select} FROM _pivot_rows")
    finally:
        con.unregister("_pivot_rows")
    del ap, rows
    # the penalty's events in (author_id, paper_id) order: the bootstrap's sums follow that order
    sel = keep[has_prior & complete]
    order = np.lexsort((code[sel], author[sel]))
    sel = sel[order]
    ev = {"author_id": author[sel], "paper_id": code[sel], "pivot_size": pivot[has_prior & complete][order],
          "window_papers": window_papers[sel], "window_citations": window_citations[sel]}
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
        n_clusters = int(stats.unique_values(cluster[ok]).size)
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
