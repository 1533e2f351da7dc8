"""Group 6: preferential-attachment exponent α per period: Poisson fit with an aging term (α) beside the
Jeong, Néda & Barabási (2003) binned slope (α_raw)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, load_sql, write_table

PERIOD_YEARS = 1
BINS_PER_OCTAVE = 2
MIN_PER_BIN = 3.0
NEWTON_STEPS = 60


def attachment_bins(k: np.ndarray, dk: np.ndarray, shift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per log2 bin of k + shift: (nodes, Σ(k + shift), ΣΔk), the input of the raw binned slope."""
    x = k.astype(float) + shift
    keep = x > 0
    x, y = x[keep], dk[keep].astype(float)
    _, inv = np.unique(stats.log_bins(x, BINS_PER_OCTAVE), return_inverse=True)
    inv = inv.ravel()
    return np.bincount(inv).astype(float), np.bincount(inv, weights=x), np.bincount(inv, weights=y)


def poisson_alpha(group: np.ndarray, x: np.ndarray, n: np.ndarray, s: np.ndarray) -> np.ndarray:
    """α maximising the Poisson likelihood of E[Δk] = exp(γ_group) · e^(α·x), γ profiled out.

    Cells hold n units with log-degree x and total gain s; ``n`` and ``s`` are (replicates, cells).
    Every cell counts, those with no gain too (a log-log bin fit must drop them). With γ per group
    profiled out, the score is Σ s·x − Σ_g S_g · E_g[x] with E_g weighted by n·e^(αx), so Newton's
    method needs three group sums per step. NaN where the likelihood has no finite maximum.
    """
    n, s = np.atleast_2d(np.asarray(n, dtype=float)), np.atleast_2d(np.asarray(s, dtype=float))
    reps = n.shape[0]
    if x.size == 0:
        return np.full(reps, np.nan)
    _, g = np.unique(group, return_inverse=True)
    onehot = sparse.csr_matrix((np.ones(x.size), (np.arange(x.size), g.ravel())), shape=(x.size, int(g.max()) + 1))
    xc = x - x.max()  # a constant shift cancels inside each group and keeps e^(αx) ≤ 1
    gain = (onehot.T @ s.T).T
    sx = (s * xc).sum(axis=1)
    alpha = np.ones(reps)
    hess = np.zeros(reps)
    for _ in range(NEWTON_STEPS):
        ne = n * np.exp(alpha[:, None] * xc[None, :])
        a0, a1, a2 = ((onehot.T @ m.T).T for m in (ne, ne * xc, ne * xc * xc))
        with np.errstate(all="ignore"):
            mean = np.where(a0 > 0, a1 / np.where(a0 > 0, a0, 1.0), 0.0)
            var = np.where(a0 > 0, a2 / np.where(a0 > 0, a0, 1.0) - mean * mean, 0.0)
        score = sx - (gain * mean).sum(axis=1)
        hess = (gain * var).sum(axis=1)
        with np.errstate(all="ignore"):
            step = np.clip(np.where(hess > 0, score / np.where(hess > 0, hess, 1.0), 0.0), -1.0, 1.0)
        alpha = alpha + step
        if np.all(np.abs(step) < 1e-10):
            break
    return np.where((hess > 1e-12) & (np.abs(alpha) < 20), alpha, np.nan)


def _cells(group: np.ndarray, x: np.ndarray, dk: np.ndarray, rng: np.random.Generator, b: int = stats.BOOTSTRAP_B,
           chunk: int = 25):
    """Cells (group, x) with unit counts and gains, and their bootstrap replicates (b, cells), resampling units."""
    # one int64 code per (group, x, Δk): a 1-D unique is far cheaper than a row-wise one at scale
    codes = [np.unique(v, return_inverse=True) for v in (group, x, dk)]
    (g_val, g_id), (x_val, x_id), (d_val, d_id) = ((u, i.ravel().astype(np.int64)) for u, i in codes)
    key = (g_id * x_val.size + x_id) * d_val.size + d_id
    triple, tcount = np.unique(key, return_counts=True)
    cell_code, t_dk = triple // d_val.size, d_val[triple % d_val.size]
    cells, cell_of = np.unique(cell_code, return_inverse=True)
    cell_of = cell_of.ravel()
    n_cells, total = cells.size, int(tcount.sum())
    n_point = np.bincount(cell_of, weights=tcount, minlength=n_cells)
    s_point = np.bincount(cell_of, weights=tcount * t_dk, minlength=n_cells)
    rows = np.arange(cell_of.size)
    to_cell = sparse.csr_matrix((np.ones(cell_of.size), (rows, cell_of)), shape=(cell_of.size, n_cells))
    to_gain = sparse.csr_matrix((t_dk, (rows, cell_of)), shape=(cell_of.size, n_cells))
    n_reps, s_reps = np.zeros((b, n_cells)), np.zeros((b, n_cells))
    for start in range(0, b if total else 0, chunk):
        stop = min(b, start + chunk)
        draws = rng.multinomial(total, tcount / total, size=stop - start).astype(float)
        n_reps[start:stop] = (to_cell.T @ draws.T).T
        s_reps[start:stop] = (to_gain.T @ draws.T).T
    return g_val[cells // x_val.size], x_val[cells % x_val.size], n_point, s_point, n_reps, s_reps


def _fit_rows(kind: str, unit_label: str, shift: float, obs: dict[str, np.ndarray], min_per_bin: float,
              cols: dict[str, list]) -> None:
    period = obs["period"].astype(np.int64)
    k = obs["k"].astype(float)
    dk = obs["dk"].astype(float)
    # aging term: a fixed effect per years since publication inside each period (none for adoption)
    age = obs["age"].astype(np.int64) if "age" in obs else np.zeros(period.size, dtype=np.int64)
    # without a shift log k is undefined at 0: only units already adopted are at risk
    at_risk = (k + shift) > 0 if shift else k >= 1
    period, k, dk, age = period[at_risk], k[at_risk], dk[at_risk], age[at_risk]
    x = np.log(k + shift)
    rng = stats.rng_for("attachment_" + kind)
    group = period * 1000 + np.minimum(age, 999)
    g_cell, x_cell, n_cell, s_cell, n_reps, s_reps = _cells(group, x, dk, rng)
    p_cell = g_cell // 1000
    fitted = []
    for t in np.unique(period):
        sel = period == t
        point = attachment_bins(k[sel], dk[sel], shift)
        raw, used = stats.slope_from_bins([point], min_per_bin)
        c = p_cell == t
        alpha = poisson_alpha(g_cell[c], x_cell[c], n_cell[c], s_cell[c])[0]
        lo, hi = stats.percentile_ci(poisson_alpha(g_cell[c], x_cell[c], n_reps[:, c], s_reps[:, c]))
        _append(cols, kind, unit_label, int(t), int(t) + PERIOD_YEARS, alpha, lo, hi, raw, int(sel.sum()),
                int(dk[sel].sum()), used)
        fitted.append(point)
    if fitted:
        # pooled: a fixed effect per (period, age), so neither field growth nor aging biases α
        raw, used = stats.slope_from_bins(fitted, min_per_bin)
        alpha = poisson_alpha(g_cell, x_cell, n_cell, s_cell)[0]
        lo, hi = stats.percentile_ci(poisson_alpha(g_cell, x_cell, n_reps, s_reps))
        _append(cols, kind, unit_label, int(period.min()), int(period.max()) + PERIOD_YEARS, alpha, lo, hi, raw,
                int(period.size), int(dk.sum()), used, pooled=True)


def _append(cols, kind, unit_label, start, end, alpha, lo, hi, raw, n, total_dk, used, pooled=False):
    cols["kind"].append(kind)
    cols["unit"].append(unit_label)
    cols["period_start"].append(start)
    cols["period_end"].append(end)
    cols["is_pooled"].append(pooled)
    cols["alpha"].append(float(alpha))
    cols["alpha_ci_low"].append(float(lo))
    cols["alpha_ci_high"].append(float(hi))
    cols["alpha_raw"].append(float(raw))
    cols["n_units"].append(n)
    cols["delta_k_total"].append(total_dk)
    cols["n_bins"].append(used)
    cols["low_n"].append(n < stats.MIN_COUNT or used < 3)


def citation_observations(con) -> dict[str, np.ndarray]:
    """(period, k, Δk, age) for every paper published before each period (papers × years held in NumPy).

    k = internal citations received in years before the period, Δk = received during it, age =
    period − publication year (≥ 1).
    """
    papers = fetch_arrays(con, "SELECT paper_id, year FROM dim_papers WHERE is_ml AND year IS NOT NULL ORDER BY paper_id")
    if len(papers["year"]) == 0:
        return {"period": np.zeros(0), "k": np.zeros(0), "dk": np.zeros(0), "age": np.zeros(0)}
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
    period, k, dk, age = [], [], [], []
    for t in range(y0 + 1, y1 + 1, PERIOD_YEARS):
        at_risk = pyear < t
        col = t - y0
        period.append(np.full(int(at_risk.sum()), t))
        k.append(before[at_risk, col])
        dk.append(grid[at_risk, col:col + PERIOD_YEARS].sum(axis=1))
        age.append(t - pyear[at_risk])
    con.execute("DROP TABLE IF EXISTS _ind_pa_papers")
    return {"period": np.concatenate(period), "k": np.concatenate(k), "dk": np.concatenate(dk),
            "age": np.concatenate(age)}


def build_attachment(con, log) -> None:
    """ind_preferential_attachment: α per period (and pooled) for citations and for family adoption."""
    cols = {key: [] for key in ("kind", "unit", "period_start", "period_end", "is_pooled", "alpha",
                                "alpha_ci_low", "alpha_ci_high", "alpha_raw", "n_units", "delta_k_total", "n_bins",
                                "low_n")}
    # citations: papers published before the period are at risk; k = citations received before it,
    # Δk = citations received during it.  The +1 shift (Π ∝ (k+1)^α) keeps uncited papers in the fit.
    cit = citation_observations(con)
    _fit_rows("citations", "paper", 1.0, cit, MIN_PER_BIN, cols)
    # adoption: a (family, domain) cell's fractional paper count is its degree
    fam = fetch_arrays(con, load_sql("family_adoption_degrees"))
    _fit_rows("family_adoption", "family_domain", 0.0, fam, 1.0, cols)
    for key in ("alpha", "alpha_ci_low", "alpha_ci_high", "alpha_raw"):
        cols[key] = np.array(cols[key], dtype=float)
    write_table(con, "ind_preferential_attachment", cols, order_by="kind, is_pooled, period_start")
    log.info("ind_preferential_attachment: %d rows", len(cols["kind"]))
