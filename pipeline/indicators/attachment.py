"""Group 6: preferential-attachment exponent α (Jeong, Néda & Barabási 2003) per period."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, load_sql, write_table

PERIOD_YEARS = 1
BINS_PER_OCTAVE = 2
MIN_PER_BIN = 3.0


def attachment_bins(k: np.ndarray, dk: np.ndarray, shift: float, rng: np.random.Generator):
    """Bin sums of (k + shift, Δk) on a log2 grid, with bootstrap replicates (see stats.binned_sums)."""
    x = k.astype(float) + shift
    keep = x > 0
    x, y = x[keep], dk[keep].astype(float)
    return stats.binned_sums(stats.log_bins(x, BINS_PER_OCTAVE), x, y, rng)


def _fit_rows(kind: str, unit_label: str, shift: float, obs: dict[str, np.ndarray], min_per_bin: float,
              cols: dict[str, list]) -> None:
    period = obs["period"].astype(np.int64)
    k = obs["k"].astype(float)
    dk = obs["dk"].astype(float)
    rng = stats.rng_for("attachment_" + kind)
    fitted = []
    for t in np.unique(period):
        sel = period == t
        kk, dd = k[sel], dk[sel]
        if shift == 0:
            # without a shift log k is undefined at 0: only units already adopted are at risk
            keep = kk >= 1
            kk, dd = kk[keep], dd[keep]
        point, reps = attachment_bins(kk, dd, shift, rng)
        alpha, used = stats.slope_from_bins([point], min_per_bin)
        rep_alpha = stats.slope_from_bins([reps], min_per_bin)[0]
        lo, hi = stats.percentile_ci(rep_alpha)
        _append(cols, kind, unit_label, int(t), int(t) + PERIOD_YEARS, alpha, lo, hi, int(kk.size), int(dd.sum()), used)
        fitted.append((point, reps, int(kk.size), int(dd.sum())))
    if fitted:
        # pooled over periods with a fixed effect per period (field growth cancels out)
        alpha, used = stats.slope_from_bins([f[0] for f in fitted], min_per_bin)
        rep_alpha = stats.slope_from_bins([f[1] for f in fitted], min_per_bin)[0]
        lo, hi = stats.percentile_ci(rep_alpha)
        _append(cols, kind, unit_label, int(period.min()), int(period.max()) + PERIOD_YEARS, alpha, lo, hi,
                sum(f[2] for f in fitted), sum(f[3] for f in fitted), used, pooled=True)


def _append(cols, kind, unit_label, start, end, alpha, lo, hi, n, total_dk, used, pooled=False):
    cols["kind"].append(kind)
    cols["unit"].append(unit_label)
    cols["period_start"].append(start)
    cols["period_end"].append(end)
    cols["is_pooled"].append(pooled)
    cols["alpha"].append(alpha)
    cols["alpha_ci_low"].append(float(lo))
    cols["alpha_ci_high"].append(float(hi))
    cols["n_units"].append(n)
    cols["delta_k_total"].append(total_dk)
    cols["n_bins"].append(used)
    cols["low_n"].append(n < stats.MIN_COUNT or used < 3)


def citation_observations(con) -> dict[str, np.ndarray]:
    """(period, k, Δk) for every paper published before each period (papers × years held in NumPy).

    k = internal citations received in years before the period, Δk = received during it.
    """
    papers = fetch_arrays(con, "SELECT paper_id, year FROM dim_papers WHERE is_ml AND year IS NOT NULL ORDER BY paper_id")
    if len(papers["year"]) == 0:
        return {"period": np.zeros(0), "k": np.zeros(0), "dk": np.zeros(0)}
    con.execute("CREATE OR REPLACE TEMP TABLE _ind_pa_papers AS "
                "SELECT paper_id, row_number() OVER (ORDER BY paper_id) - 1 AS ix "
                "FROM dim_papers WHERE is_ml AND year IS NOT NULL")
    edges = fetch_arrays(con, """
        SELECT p.ix, c.citing_year AS y, count(*) AS n
        FROM fct_citations c JOIN _ind_pa_papers p ON p.paper_id = c.cited_paper_id
        WHERE c.citing_year IS NOT NULL GROUP BY ALL
    """)
    pyear = papers["year"].astype(np.int64)
    y0, y1 = int(pyear.min()), int(max(pyear.max(), edges["y"].max() if len(edges["y"]) else pyear.max()))
    grid = np.zeros((pyear.size, y1 - y0 + 1))
    if len(edges["y"]):
        np.add.at(grid, (edges["ix"].astype(np.int64), edges["y"].astype(np.int64) - y0), edges["n"].astype(float))
    before = np.cumsum(grid, axis=1) - grid  # citations strictly before each year
    period, k, dk = [], [], []
    for t in range(y0 + 1, y1 + 1, PERIOD_YEARS):
        at_risk = pyear < t
        col = t - y0
        period.append(np.full(int(at_risk.sum()), t))
        k.append(before[at_risk, col])
        dk.append(grid[at_risk, col:col + PERIOD_YEARS].sum(axis=1))
    con.execute("DROP TABLE IF EXISTS _ind_pa_papers")
    return {"period": np.concatenate(period), "k": np.concatenate(k), "dk": np.concatenate(dk)}


def build_attachment(con, log) -> None:
    """ind_preferential_attachment: α per period (and pooled) for citations and for family adoption."""
    cols = {key: [] for key in ("kind", "unit", "period_start", "period_end", "is_pooled", "alpha",
                                "alpha_ci_low", "alpha_ci_high", "n_units", "delta_k_total", "n_bins", "low_n")}
    # citations: papers published before the period are at risk; k = citations received before it,
    # Δk = citations received during it.  The +1 shift (Π ∝ (k+1)^α) keeps uncited papers in the fit.
    cit = citation_observations(con)
    _fit_rows("citations", "paper", 1.0, cit, MIN_PER_BIN, cols)
    # adoption: a (family, domain) cell's fractional paper count is its degree
    fam = fetch_arrays(con, load_sql("family_adoption_degrees"))
    _fit_rows("family_adoption", "family_domain", 0.0, fam, 1.0, cols)
    for key in ("alpha",):
        cols[key] = np.array(cols[key], dtype=float)
    for key in ("alpha_ci_low", "alpha_ci_high"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_preferential_attachment", cols, order_by="kind, is_pooled, period_start")
    log.info("ind_preferential_attachment: %d rows", len(cols["kind"]))
