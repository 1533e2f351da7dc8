"""Group 8: citation concentration — family shares of citations, Gini, CD (disruption) index."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import family_vocabulary, fetch_arrays, load_sql, write_table

CD_WINDOW_YEARS = 5
# Upper bound on (focal, later paper) pairs the exact sweep may visit. Above it, the references-only
# citers are counted on a Bernoulli sample of citing papers (unbiased, with a per-paper standard error).
# 6e8 costs the compiled sweep ~5 CPU-s at 1M papers (a 6 % sample there): a 0.6 % sample, what
# SciPy's sweep could afford, left 5 % of papers with no sampled citer and inflated mean |CD| 6×.
CD_PAIR_BUDGET = 600_000_000
# A CD over one or two references or with no citer is noise: it is defined from 5 references and 1 citer.
CD_MIN_REFERENCES = 5
# DI_l counts a later paper as citing the references only when it cites at least l of them.
CD_L_REFERENCES = 5


def build_citation_share(con, log) -> None:
    """ind_citation_family_share: share of citations made in a year to classified papers that go to each family."""
    # Unclassified is not a family: citations to papers with no family leave the shares' denominator
    # and are reported as unclassified_share beside them (as ind_family_share does for papers).
    families = [f for f in family_vocabulary(con) if f != "other"]
    fidx = {f: i for i, f in enumerate(families)}
    # A cited paper's fractional family weights split the citation, and edges resample as units.
    # Edges to papers with the same family-weight pattern are interchangeable, so the query returns
    # one row per (year, pattern, family) with the number of such edges: the bootstrap draws
    # patterns multinomially, which is exactly resampling the edges.
    rows = fetch_arrays(con, load_sql("citation_patterns"))
    cols = {k: [] for k in ("year", "family", "citations_fractional", "n_citations", "n_citations_all",
                            "unclassified_share", "share", "share_ci_low", "share_ci_high", "low_n")}
    rng = stats.rng_for("citation_share")
    years = rows["year"].astype(np.int64)
    fam = np.array([fidx.get(f, -1) for f in rows["family"]], dtype=np.int64)
    for y in stats.unique_values(years):
        sel = np.flatnonzero(years == y)
        _, pat = np.unique(rows["pattern_key"][sel], return_inverse=True)
        edges = np.zeros(int(pat.max()) + 1)
        edges[pat] = rows["edges"][sel]
        n_all = int(edges.sum())
        keep = fam[sel] >= 0
        w = np.zeros((edges.size, len(families)))
        np.add.at(w, (pat[keep], fam[sel][keep]), rows["weight"][sel][keep].astype(float))
        classified = w.sum(axis=1) > 0
        edges, w = edges[classified], w[classified]
        n = int(edges.sum())
        if n == 0:
            continue  # no citation to a classified paper that year: no shares (as in ind_family_share)
        frac = edges @ w
        draws = rng.multinomial(n, edges / n, size=stats.BOOTSTRAP_B)
        lo, hi = stats.percentile_ci(draws @ w / n)
        for f in range(len(families)):
            cols["year"].append(int(y))
            cols["family"].append(families[f])
            cols["citations_fractional"].append(frac[f])
            cols["n_citations"].append(n)
            cols["n_citations_all"].append(n_all)
            cols["unclassified_share"].append(1.0 - n / n_all)
            cols["share"].append(frac[f] / n)
            cols["share_ci_low"].append(lo[f])
            cols["share_ci_high"].append(hi[f])
            cols["low_n"].append(n < stats.MIN_COUNT)
    for key in ("citations_fractional", "unclassified_share", "share", "share_ci_low", "share_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_citation_family_share", cols, order_by="year, family")

    # Gini of total internal citations within each publication-year cohort
    cohort = fetch_arrays(con, load_sql("citation_cohorts"))
    g = {k: [] for k in ("year", "n_papers", "total_citations", "mean_citations", "gini", "top10pct_share",
                         "share_uncited", "low_n")}
    cy = cohort["year"].astype(np.int64)
    cc = cohort["citations"].astype(float)
    for y in stats.unique_values(cy):
        x = np.sort(cc[cy == y])[::-1]
        top = max(1, int(np.ceil(0.1 * x.size)))
        g["year"].append(int(y))
        g["n_papers"].append(int(x.size))
        g["total_citations"].append(int(x.sum()))
        g["mean_citations"].append(float(x.mean()))
        g["gini"].append(stats.gini(x))
        g["top10pct_share"].append(float(x[:top].sum() / x.sum()) if x.sum() > 0 else np.nan)
        g["share_uncited"].append(float((x == 0).mean()))
        g["low_n"].append(x.size < stats.MIN_COUNT)
    for key in ("gini", "top10pct_share"):
        g[key] = np.array(g[key], dtype=float)
    write_table(con, "ind_citation_gini", g, order_by="year")
    log.info("ind_citation_family_share / ind_citation_gini built")


# Threads of the sweep: each takes every k-th focal paper (dates, hence costs, interleave evenly).
CD_SWEEP_THREADS = 2


def _column(table, name: str, fill: int) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow INTEGER column as (int32 values with NULL → fill, validity mask)."""
    col = table.column(name)
    valid = col.is_valid().to_numpy(zero_copy_only=False)
    # int32, as cd_nodes.sql casts them: the window rule gathers these per edge, and half the
    # width keeps more of them in cache
    return col.fill_null(fill).to_numpy(zero_copy_only=False).astype(np.int32), valid


def cd_counts(citing: np.ndarray, cited: np.ndarray, author_paper: np.ndarray, author: np.ndarray,
              day: np.ndarray, end_day: np.ndarray, dated: np.ndarray, year: np.ndarray, has_year: np.ndarray,
              focal: np.ndarray, window: int, l_references: int, keep_self: bool,
              citer_sample: np.ndarray | None = None, threads: int = CD_SWEEP_THREADS) -> dict[str, np.ndarray]:
    """CD citer counts of every focal paper by the compiled sweep (cd_sweep.py); exact unless ``citer_sample``.

    Nodes are numbered as cd_nodes.sql does: dated papers first in date order, then undated ones by
    year; edges come in any order. For each focal paper, every later paper in its window that cites
    it or one of its references is put into one of 16 classes: whether it cites the focal paper,
    whether it cites ≥ 1 and ≥ ``l_references`` of its references, and whether they share an author.
    The window rule is by date when both papers are dated, else by calendar year.

    With ``citer_sample`` (a boolean mask over papers), the citers of the focal paper are still
    counted exactly, and the references-only citers among the sampled papers only: the caller
    scales ``n_k``, ``n_k_l`` and ``n_self_k`` (the self-citers among them) by 1 / rate.
    """
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.indicators import cd_sweep

    n = len(day)
    n_authors = int(author.max()) + 1 if len(author) else 0
    n_dated = int(dated.sum())
    n_year = n_dated + int((~dated & has_year).sum())
    day, end_day, year = (np.asarray(x, dtype=np.int32) for x in (day, end_day, year))
    nodes = np.arange(n, dtype=np.int32)
    ref_ptr, ref_idx = cd_sweep.csr(np.asarray(citing, np.int32), np.asarray(cited, np.int32), n)
    cit_ptr, cit_idx = cd_sweep.transpose(ref_ptr, ref_idx, n, np.ones(n, dtype=np.bool_), nodes)
    auth_ptr, auth_idx = cd_sweep.csr(np.asarray(author_paper, np.int32), np.asarray(author, np.int32), n)
    # the sampled papers renumbered in node order, with their own dates, years and authors
    sampled = np.ones(n, dtype=np.bool_) if citer_sample is None else np.asarray(citer_sample, dtype=np.bool_)
    dense = np.full(n, -1, dtype=np.int32)
    dense[sampled] = np.arange(int(sampled.sum()), dtype=np.int32)
    smp_ptr, smp_idx = cd_sweep.transpose(ref_ptr, ref_idx, n, sampled, dense)
    smp_nodes = nodes[sampled]
    smp_auth = sampled[author_paper] if len(author_paper) else np.zeros(0, dtype=np.bool_)
    smp_auth_ptr, smp_auth_idx = cd_sweep.csr(dense[np.asarray(author_paper)[smp_auth]],
                                              np.asarray(author, np.int32)[smp_auth], len(smp_nodes))
    smp_args = (smp_ptr, smp_idx, dense, day[smp_nodes], year[smp_nodes], int((smp_nodes < n_dated).sum()),
                int((smp_nodes < n_year).sum()), smp_auth_ptr, smp_auth_idx)
    focal = np.asarray(focal, dtype=np.bool_)
    counts = np.zeros((n, 16), dtype=np.int64)
    parts = max(1, int(threads))

    def sweep(part: int) -> None:
        cd_sweep.focal_counts(ref_ptr, ref_idx, cit_ptr, cit_idx, auth_ptr, auth_idx, n_authors, day, end_day, year,
                              n_dated, n_year, focal, int(window), int(l_references), *smp_args, part, parts, counts)

    with ThreadPoolExecutor(parts) as pool:  # the compiled sweep releases the GIL
        list(pool.map(sweep, range(parts)))
    codes = np.arange(16)
    c_cites, c_pos, c_l, c_self = codes & 1, (codes >> 1) & 1, (codes >> 2) & 1, (codes >> 3) & 1
    kept = (c_self == 0) | bool(keep_self)
    select = {"n_i": kept & (c_cites == 1) & (c_pos == 0), "n_j": kept & (c_cites == 1) & (c_pos == 1),
              "n_k": kept & (c_cites == 0) & (c_pos == 1), "n_i_l": kept & (c_cites == 1) & (c_l == 0),
              "n_j_l": kept & (c_cites == 1) & (c_l == 1), "n_k_l": kept & (c_cites == 0) & (c_l == 1),
              "n_self": c_self == 1, "n_self_k": (c_self == 1) & (c_cites == 0)}
    out = {key: counts[:, sel].sum(axis=1) for key, sel in select.items()}
    out["n_references"] = np.diff(ref_ptr).astype(np.int64)
    return out


def cd_inputs(con, window: int = CD_WINDOW_YEARS) -> dict[str, np.ndarray]:
    """The sweep's arrays from dim_papers, fct_citations and fct_authorships (temp table _cd_nodes)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _cd_nodes AS " + load_sql("cd_nodes", window=int(window)))
    nodes = con.sql("SELECT idx, day, end_day, year, is_focal FROM _cd_nodes ORDER BY idx").to_arrow_table()
    day, dated = _column(nodes, "day", 0)
    end_day, _ = _column(nodes, "end_day", 0)
    year, has_year = _column(nodes, "year", 0)
    focal = nodes.column("is_focal").to_numpy(zero_copy_only=False).astype(bool)
    del nodes
    edges = con.sql(load_sql("cd_edges")).to_arrow_table()
    links = con.sql(load_sql("cd_authors")).to_arrow_table()
    return {"citing": edges.column("citing").to_numpy(), "cited": edges.column("cited").to_numpy(),
            "author_paper": links.column("idx").to_numpy(), "author": links.column("author").to_numpy(),
            "day": day, "end_day": end_day, "dated": dated, "year": year, "has_year": has_year, "focal": focal}


def _family_year_groups(fam_code: np.ndarray, fam_values: np.ndarray, year: np.ndarray) -> list:
    """(family, year, row indices in input order) per (family, year), in the order of their "family\\x00year" strings.

    ``fam_code`` / ``fam_values`` are a family column as fetch_arrays' sorted codes. That string order
    is the one the bootstrap draws its groups in (the random stream depends on it); the rows are
    grouped by integer codes, not by comparing ~1M key strings once per group (7 s of the CD step
    at 1M papers).
    """
    if not len(fam_code):
        return []
    year = np.asarray(year).astype(np.int64)
    span = int(year.max() - year.min()) + 1
    _, first, inverse = np.unique(fam_code * span + (year - year.min()), return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    names = [f"{fam_values[fam_code[i]]}\x00{year[i]}" for i in first]
    rows_by_group = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(first)))])
    return [(str(fam_values[fam_code[first[g]]]), int(year[first[g]]), rows_by_group[bounds[g]:bounds[g + 1]])
            for g in sorted(range(len(first)), key=names.__getitem__)]


def build_cd_index(con, log, window: int = CD_WINDOW_YEARS, pair_budget: int = CD_PAIR_BUDGET,
                   keep_self_citations: bool = False, citer_seed: int = 0) -> None:
    """ind_cd_index per paper and ind_cd_family_year means (Funk & Owen-Smith 2017; Bornmann et al. 2020).

    Every eligible paper gets a value. Within ``pair_budget`` every count is exact; above it the
    references-only citers are estimated from a sample of citing papers (``citer_seed``), with a
    standard error per value (see cd_index.md).
    """
    import pyarrow as pa

    inputs = cd_inputs(con, window)
    day, citing, cited = inputs["day"], inputs["citing"], inputs["cited"]
    # every reference r of a focal paper brings in all of r's citers: Σ_r indeg(r)² bounds the pairs
    estimate = int((np.bincount(cited, minlength=len(day)).astype(np.int64) ** 2).sum())
    rate = min(1.0, pair_budget / estimate) if estimate else 1.0
    citer_sample = None
    if rate < 1.0:
        citer_sample = np.random.default_rng([citer_seed, 14]).random(len(day)) < rate
        log.warning("CD index: ~%d citing pairs exceed the budget of %d; the references-only citers (n_k) are "
                    "estimated from a %.2f%% sample of citing papers, with a standard error per paper; "
                    "every other count is exact", estimate, pair_budget, 100 * rate)
    counts = cd_counts(**inputs, window=int(window), l_references=CD_L_REFERENCES, keep_self=keep_self_citations,
                       citer_sample=citer_sample)
    del inputs, citing, cited
    # Horvitz–Thompson: each sampled references-only citer stands for 1/rate of them; the
    # Bernoulli-sampling variance of that count is m (1 - rate) / rate². Its estimate is floored at
    # m = 1: with no sampled citer the count is still unknown up to ~1/rate, not exactly 0.
    for key in ("n_k", "n_k_l"):
        m = counts[key].astype(float)
        counts[key] = m / rate
        counts[key + "_se"] = np.sqrt(np.maximum(m, 1.0) * (1.0 - rate)) / rate
    counts["n_self"] = (counts["n_self"] - counts["n_self_k"]) + counts["n_self_k"] / rate
    del counts["n_self_k"]
    counts["citer_sample_rate"] = np.full(len(day), rate)
    counts["idx"] = np.arange(len(day), dtype=np.int32)
    con.register("_cd_counts", pa.table(counts))
    try:
        con.execute("CREATE OR REPLACE TABLE ind_cd_index AS "
                    + load_sql("cd_index", window=int(window), l_references=CD_L_REFERENCES,
                               min_references=CD_MIN_REFERENCES, keep_self=int(bool(keep_self_citations))))
    finally:
        con.unregister("_cd_counts")
        con.execute("DROP TABLE IF EXISTS _cd_nodes")
    # means only over complete windows: a truncated window sees only the early citers
    rows = fetch_arrays(con, """
        SELECT family, year, cd, cd_nok, di_l FROM ind_cd_index
        WHERE cd IS NOT NULL AND family IS NOT NULL AND family <> 'other' AND window_complete
        ORDER BY family, year
    """, codes=("family",))
    cols = {k: [] for k in ("family", "year", "n_papers", "mean_cd", "mean_cd_ci_low", "mean_cd_ci_high",
                            "mean_cd_nok", "mean_di_l", "citer_sample_rate", "low_n")}
    rng = stats.rng_for("cd_index")
    for fam, year, sel in _family_year_groups(rows["family"], rows["family:values"], rows["year"]):
        cd = rows["cd"][sel].astype(float)
        reps = stats.replicate_sums(cd, rng)[:, 0] / cd.size
        lo, hi = stats.percentile_ci(reps)
        cols["family"].append(fam)
        cols["year"].append(int(year))
        cols["n_papers"].append(int(cd.size))
        cols["mean_cd"].append(float(cd.mean()))
        cols["mean_cd_ci_low"].append(float(lo))
        cols["mean_cd_ci_high"].append(float(hi))
        cols["mean_cd_nok"].append(float(rows["cd_nok"][sel].astype(float).mean()))
        di = rows["di_l"][sel].astype(float)
        cols["mean_di_l"].append(float(np.nanmean(di)) if np.isfinite(di).any() else np.nan)
        cols["citer_sample_rate"].append(rate)
        cols["low_n"].append(cd.size < stats.MIN_COUNT)
    for key in ("mean_cd", "mean_cd_ci_low", "mean_cd_ci_high", "mean_cd_nok", "mean_di_l", "citer_sample_rate"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_cd_family_year", cols, order_by="family, year")
    log.info("ind_cd_index built (window %d years)", window)
