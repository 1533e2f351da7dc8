"""Group 8: citation concentration — family shares of citations, Gini, CD (disruption) index."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import family_vocabulary, fetch_arrays, load_sql, write_table

CD_WINDOW_YEARS = 5
# Upper bound on (focal, later paper) pairs the CD query may visit. Above it, CD is computed for a
# deterministic hash sample of focal papers (family-year means stay unbiased; see cd_index.md).
CD_PAIR_BUDGET = 60_000_000
# A CD over one or two references or with no citer is noise: it is defined from 5 references and 1 citer.
CD_MIN_REFERENCES = 5
# DI_l counts a later paper as citing the references only when it cites at least l of them.
CD_L_REFERENCES = 5


def build_citation_share(con, log) -> None:
    """ind_citation_family_share: share of citations made in a year that go to each family (fractional)."""
    families = family_vocabulary(con)
    fidx = {f: i for i, f in enumerate(families)}
    # A cited paper's fractional family weights split the citation, and edges resample as units.
    # Edges to papers with the same family-weight pattern are interchangeable, so the query returns
    # one row per (year, pattern, family) with the number of such edges: the bootstrap draws
    # patterns multinomially, which is exactly resampling the edges.
    rows = fetch_arrays(con, load_sql("citation_patterns"))
    cols = {k: [] for k in ("year", "family", "citations_fractional", "n_citations", "share", "share_ci_low",
                            "share_ci_high", "low_n")}
    rng = stats.rng_for("citation_share")
    years = rows["year"].astype(np.int64)
    fam = np.array([fidx[f] for f in rows["family"]], dtype=np.int64)
    for y in np.unique(years):
        sel = np.flatnonzero(years == y)
        _, pat = np.unique(rows["pattern_key"][sel], return_inverse=True)
        w = np.zeros((int(pat.max()) + 1, len(families)))
        np.add.at(w, (pat, fam[sel]), rows["weight"][sel].astype(float))
        edges = np.zeros(w.shape[0])
        edges[pat] = rows["edges"][sel]
        n = int(edges.sum())
        frac = edges @ w
        draws = rng.multinomial(n, edges / n, size=stats.BOOTSTRAP_B)
        lo, hi = stats.percentile_ci(draws @ w / n)
        for f in range(len(families)):
            cols["year"].append(int(y))
            cols["family"].append(families[f])
            cols["citations_fractional"].append(frac[f])
            cols["n_citations"].append(n)
            cols["share"].append(frac[f] / n)
            cols["share_ci_low"].append(lo[f])
            cols["share_ci_high"].append(hi[f])
            cols["low_n"].append(n < stats.MIN_COUNT)
    for key in ("citations_fractional", "share", "share_ci_low", "share_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_citation_family_share", cols, order_by="year, family")

    # Gini of total internal citations within each publication-year cohort
    cohort = fetch_arrays(con, load_sql("citation_cohorts"))
    g = {k: [] for k in ("year", "n_papers", "total_citations", "mean_citations", "gini", "top10pct_share",
                         "share_uncited", "low_n")}
    cy = cohort["year"].astype(np.int64)
    cc = cohort["citations"].astype(float)
    for y in np.unique(cy):
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


def build_cd_index(con, log, window: int = CD_WINDOW_YEARS, pair_budget: int = CD_PAIR_BUDGET,
                   keep_self_citations: bool = False) -> None:
    """ind_cd_index per paper and ind_cd_family_year means (Funk & Owen-Smith 2017; Bornmann et al. 2020)."""
    # integer keys: the join below is the most expensive query of the indicators
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cd_ids AS
        SELECT paper_id, row_number() OVER (ORDER BY paper_id) AS id FROM (
            SELECT paper_id FROM dim_papers UNION SELECT citing_paper_id FROM fct_citations
            UNION SELECT cited_paper_id FROM fct_citations)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cd_edges AS
        SELECT DISTINCT a.id AS citing, b.id AS cited, c.citing_date AS d, c.citing_year AS y
        FROM fct_citations c JOIN _cd_ids a ON a.paper_id = c.citing_paper_id
        JOIN _cd_ids b ON b.paper_id = c.cited_paper_id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cd_authors AS
        SELECT DISTINCT i.id, a.author_id FROM fct_authorships a JOIN _cd_ids i USING (paper_id)
        WHERE a.author_id IS NOT NULL
    """)
    # every reference r of a focal paper brings in all of r's citers: Σ_r indeg(r)² bounds the pairs
    estimate = con.execute("SELECT coalesce(sum(n * n), 0) FROM (SELECT count(*) AS n FROM _cd_edges GROUP BY cited)"
                           ).fetchall()[0][0]
    rate = min(1.0, pair_budget / estimate) if estimate else 1.0
    threshold = int(np.ceil(rate * 1_000_000))
    if rate < 1.0:
        log.warning("CD index: ~%d citing pairs exceed the budget of %d; computing it for a %.1f%% hash sample "
                    "of papers", estimate, pair_budget, 100 * rate)
    con.execute("CREATE OR REPLACE TABLE ind_cd_index AS "
                + load_sql("cd_index", threshold=threshold, window=int(window), l_references=CD_L_REFERENCES,
                           min_references=CD_MIN_REFERENCES, keep_self=int(bool(keep_self_citations))))
    con.execute("DROP TABLE IF EXISTS _cd_authors")
    con.execute("DROP TABLE IF EXISTS _cd_edges")
    con.execute("DROP TABLE IF EXISTS _cd_ids")
    # means only over complete windows: a truncated window sees only the early citers
    rows = fetch_arrays(con, """
        SELECT family, year, cd, cd_nok, di_l FROM ind_cd_index
        WHERE cd IS NOT NULL AND family IS NOT NULL AND window_complete ORDER BY family, year
    """)
    cols = {k: [] for k in ("family", "year", "n_papers", "mean_cd", "mean_cd_ci_low", "mean_cd_ci_high",
                            "mean_cd_nok", "mean_di_l", "sample_rate", "low_n")}
    rng = stats.rng_for("cd_index")
    keys = np.array([f"{f}\x00{y}" for f, y in zip(rows["family"], rows["year"])], dtype=object)
    for key in (np.unique(keys) if len(keys) else []):
        sel = keys == key
        cd = rows["cd"][sel].astype(float)
        reps = stats.replicate_sums(cd, rng)[:, 0] / cd.size
        lo, hi = stats.percentile_ci(reps)
        fam, year = key.split("\x00")
        cols["family"].append(fam)
        cols["year"].append(int(year))
        cols["n_papers"].append(int(cd.size))
        cols["mean_cd"].append(float(cd.mean()))
        cols["mean_cd_ci_low"].append(float(lo))
        cols["mean_cd_ci_high"].append(float(hi))
        cols["mean_cd_nok"].append(float(rows["cd_nok"][sel].astype(float).mean()))
        di = rows["di_l"][sel].astype(float)
        cols["mean_di_l"].append(float(np.nanmean(di)) if np.isfinite(di).any() else np.nan)
        cols["sample_rate"].append(threshold / 1_000_000)
        cols["low_n"].append(cd.size < stats.MIN_COUNT)
    for key in ("mean_cd", "mean_cd_ci_low", "mean_cd_ci_high", "mean_cd_nok", "mean_di_l", "sample_rate"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_cd_family_year", cols, order_by="family, year")
    log.info("ind_cd_index built (window %d years)", window)
