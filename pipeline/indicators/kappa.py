"""Chance-corrected persistence (Cohen-style κ) of authors' architecture families: ``ind_lockin_kappa``."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import ALL_DOMAINS, fetch_arrays, load_sql, write_table


def chance_corrected(same: np.ndarray, chance: np.ndarray, n: np.ndarray) -> np.ndarray:
    """κ = (P_same − P_chance)/(1 − P_chance) from totals (elementwise); NaN when undefined."""
    with np.errstate(all="ignore"):
        p_same, p_chance = same / n, chance / n
        out = (p_same - p_chance) / (1.0 - p_chance)
    return np.where((n > 0) & (p_chance < 1.0), out, np.nan)


def distinct_per_cell(cluster: np.ndarray, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """How many distinct clusters (authors) contribute to each cell."""
    if len(cluster) == 0:
        return np.zeros(n_cells, dtype=np.int64)
    _, inverse = np.unique(cluster, return_inverse=True)
    width = int(inverse.max()) + 1
    pairs = stats.unique_values(cell.astype(np.int64) * width + inverse)
    return np.bincount(pairs // width, minlength=n_cells).astype(np.int64)


def replicate_kappa(reps: np.ndarray, influence_total: np.ndarray) -> np.ndarray:
    """κ of bootstrap replicates (b, cells, 4) of (n, same, chance, influence) unit sums.

    The chance term moves twice in a replicate: through which transitions are drawn (the chance
    sum) and through the domain-year shares themselves, which the drawn papers re-estimate; the
    second move is the first-order (delta-method) change Σ (w − 1)·influence.
    """
    chance = reps[:, :, 2] + (reps[:, :, 3] - influence_total[None, :])
    return chance_corrected(reps[:, :, 1], chance, reps[:, :, 0])


def build_lockin_kappa(con, log) -> None:
    """ind_lockin_kappa: raw and chance-corrected persistence, field-wide and per domain."""
    units = fetch_arrays(con, load_sql("lockin_kappa_units"), codes=("author_id", "domain"))
    domains = units["domain:values"].tolist()
    scopes = [ALL_DOMAINS] + domains
    # a unit (one row per author and domain) counts in its domain, cell = the domain's rank + 1, and
    # in 'all' (cell 0), whose sums, replicates too, are therefore the sums over the domain cells
    author, cell = units["author_id"], units["domain"] + 1
    values = np.column_stack([units["n_transitions"], units["n_same"], units["chance_sum"],
                              units["chance_influence"]]).astype(float)
    totals = np.zeros((len(scopes), 4))
    np.add.at(totals, cell, values)
    totals[0] = totals[1:].sum(axis=0)
    # units that only contribute papers to the shares are not authors of any transition here
    has_transitions = values[:, 0] > 0
    authors = np.bincount(cell[has_transitions], minlength=len(scopes)).astype(np.int64)
    authors[0] = stats.unique_values(author[has_transitions]).size
    reps = stats.cluster_replicate_sums(author, cell, values, len(scopes), stats.rng_for("lockin_kappa"))
    reps[:, 0, :] = reps[:, 1:, :].sum(axis=1)
    lo, hi = stats.percentile_ci(replicate_kappa(reps, totals[:, 3]))
    n, same, chance = totals[:, 0], totals[:, 1], totals[:, 2]
    with np.errstate(all="ignore"):
        p_same, p_chance = same / n, chance / n
    write_table(con, "ind_lockin_kappa", {
        "domain": np.array(scopes, dtype=object), "n_authors": authors, "n_transitions": n.astype(np.int64),
        "p_same": p_same, "p_chance": p_chance, "kappa": chance_corrected(same, chance, n),
        "kappa_ci_low": lo, "kappa_ci_high": hi,
        "low_n": (n < stats.MIN_COUNT) | (authors < stats.MIN_COUNT),
    }, order_by="domain")
    log.info("ind_lockin_kappa: field-wide kappa %.3f (raw persistence %.3f)",
             chance_corrected(same, chance, n)[0], p_same[0])
