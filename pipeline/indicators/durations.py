"""Path dependency as duration dependence: the hazard of leaving a family by years spent in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, write_table
from pipeline.indicators.kappa import distinct_per_cell

SQL_DIR = Path(__file__).with_name("sql")
ALL_FAMILIES = "all"
# Tenures of this many years or more are pooled into one bin (few authors stay that long).
MAX_TENURE_YEARS = 10


def build_switching_hazard(con, log) -> None:
    """ind_switching_hazard: discrete-time hazard of leaving a family, by tenure, beside its chance rate."""
    con.execute("SET VARIABLE max_tenure = ?", [MAX_TENURE_YEARS])
    units = fetch_arrays(con, (SQL_DIR / "switching_hazard_units.sql").read_text())
    families = [ALL_FAMILIES] + sorted(set(units["family"].tolist()))
    tenures = np.arange(MAX_TENURE_YEARS + 1)
    n_t = len(tenures)
    fam_index = {f: i for i, f in enumerate(families)}
    tenure = units["tenure_years"].astype(np.int64)
    own = np.array([fam_index[f] for f in units["family"]], dtype=np.int64) * n_t + tenure
    # every unit counts in its family's row and in the pooled 'all' row
    cell = np.concatenate([tenure, own])
    cluster = np.concatenate([units["author_code"], units["author_code"]])
    values = np.column_stack([units["n_at_risk"], units["n_exits"], units["chance_exit_sum"]]).astype(float)
    values = np.concatenate([values, values])
    n_cells = len(families) * n_t
    totals = np.zeros((n_cells, 3))
    np.add.at(totals, cell, values)
    authors = distinct_per_cell(cluster, cell, n_cells)
    reps = stats.cluster_replicate_sums(cluster, cell, values, n_cells, stats.rng_for("switching_hazard"))
    with np.errstate(all="ignore"):
        hazard = totals[:, 1] / totals[:, 0]
        chance = totals[:, 2] / totals[:, 0]
        rep_hazard = reps[:, :, 1] / reps[:, :, 0]
        # 1 = leaves as often as a random draw from the field would; below 1 = stickier than chance
        vs_chance = hazard / chance
    lo, hi = stats.percentile_ci(rep_hazard)
    keep = totals[:, 0] > 0
    write_table(con, "ind_switching_hazard", {
        "family": np.repeat(np.array(families, dtype=object), n_t)[keep],
        "tenure_years": np.tile(tenures, len(families))[keep],
        "tenure_is_pooled": np.tile(tenures == MAX_TENURE_YEARS, len(families))[keep],
        "n_authors": authors[keep],
        "n_at_risk": totals[keep, 0].astype(np.int64),
        "n_exits": totals[keep, 1].astype(np.int64),
        "hazard": hazard[keep], "hazard_ci_low": lo[keep], "hazard_ci_high": hi[keep],
        "chance_exit": chance[keep],
        "hazard_vs_chance": vs_chance[keep],
        "low_n": (totals[keep, 0] < stats.MIN_COUNT) | (authors[keep] < stats.MIN_COUNT),
    }, order_by="family, tenure_years")
    log.info("ind_switching_hazard: %d cells", int(keep.sum()))
