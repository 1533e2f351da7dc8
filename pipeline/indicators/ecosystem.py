"""Leaderboard dominance and framework path dependency (one-model-many-models is SQL: ind_downstream_*.sql)."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, load_sql, write_table

FRAMEWORKS = ("pytorch", "tensorflow", "jax", "other")


def _category_share_rows(cells: dict[str, np.ndarray], group_cols: tuple[str, ...], cat_col: str,
                         count_cols: tuple[str, ...], tag: str) -> dict[str, list]:
    """Shares of categories within groups, with multinomial bootstrap CIs, for each count column.

    ``cells`` holds one row per (group…, category) with counts; units within a group are
    independent items each in one category, so resampling them is a multinomial draw.
    """
    rng = stats.rng_for(tag)
    out: dict[str, list] = {c: [] for c in (*group_cols, cat_col)}
    for c in count_cols:
        for suffix in ("", "_total", "_share", "_share_ci_low", "_share_ci_high"):
            out[c + suffix] = []
    out["low_n"] = []
    n_rows = len(cells[cat_col])
    keys = [tuple(cells[g][i] for g in group_cols) for i in range(n_rows)]
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    for key, members in groups.items():
        members = np.array(members)
        per_col = {}
        for c in count_cols:
            cnt = cells[c][members].astype(float)
            total = cnt.sum()
            if total > 0:
                reps = rng.multinomial(int(total), cnt / total, size=stats.BOOTSTRAP_B) / total
                lo, hi = stats.percentile_ci(reps)
                share = cnt / total
            else:
                lo = hi = share = np.full(cnt.size, np.nan)
            per_col[c] = (cnt, total, share, lo, hi)
        for j, row in enumerate(members):
            for g, v in zip(group_cols, key):
                out[g].append(v)
            out[cat_col].append(cells[cat_col][row])
            for c in count_cols:
                cnt, total, share, lo, hi = per_col[c]
                out[c].append(int(cnt[j]))
                out[c + "_total"].append(int(total))
                out[c + "_share"].append(float(share[j]))
                out[c + "_share_ci_low"].append(float(lo[j]))
                out[c + "_share_ci_high"].append(float(hi[j]))
            # every total a share divides by must be large enough, not only the first
            out["low_n"].append(any(per_col[c][1] < stats.MIN_COUNT for c in count_cols))
    for k, v in out.items():
        if k.endswith(("_share", "_ci_low", "_ci_high")):
            out[k] = np.array(v, dtype=float)
    return out


def build_leaderboard(con, log) -> None:
    """ind_leaderboard_dominance: family shares of leaderboard results and of top-ranked results."""
    cells = fetch_arrays(con, load_sql("leaderboard_cells"))
    out = _category_share_rows(cells, ("area", "year"), "family", ("results", "top_results"), "leaderboard")
    out["year"] = np.array(out["year"], dtype=np.int64)
    write_table(con, "ind_leaderboard_dominance", out, order_by="area, year, family")
    log.info("ind_leaderboard_dominance: %d rows", len(out["family"]))


def build_frameworks(con, log) -> None:
    """ind_framework_share, ind_framework_transitions and ind_framework_switch_rate."""
    cells = fetch_arrays(con, load_sql("framework_links"))
    out = _category_share_rows(cells, ("year",), "framework", ("links",), "framework_share")
    out["year"] = np.array(out["year"], dtype=np.int64)
    unknown = dict(con.execute(load_sql("framework_unknown_links")).fetchall())
    out["links_unknown_framework"] = np.array([unknown.get(int(y), 0) for y in out["year"]], dtype=np.int64)
    write_table(con, "ind_framework_share", out, order_by="year, framework")

    con.execute("CREATE OR REPLACE TEMP TABLE _ind_fw_trans AS " + load_sql("framework_author_transitions"))
    con.execute("CREATE OR REPLACE TABLE ind_framework_transitions AS " + load_sql("framework_transitions"))
    rate = fetch_arrays(con, load_sql("framework_switch_counts"))
    lo, hi = stats.proportion_cis(rate["s"], rate["n"], stats.rng_for("framework_switch"))
    n_arr = rate["n"].astype(np.int64)
    write_table(con, "ind_framework_switch_rate", {
        "year": rate["year"].astype(np.int64), "n_repeat_authors": rate["authors"].astype(np.int64),
        "n_transitions": n_arr, "n_switches": rate["s"].astype(np.int64),
        "n_switches_to_pytorch": rate["to_pt"].astype(np.int64),
        "switch_rate": rate["s"] / np.maximum(n_arr, 1),
        "switch_rate_ci_low": np.array(lo, dtype=float), "switch_rate_ci_high": np.array(hi, dtype=float),
        "low_n": n_arr < stats.MIN_COUNT,
    }, order_by="year")
    con.execute("DROP TABLE IF EXISTS _ind_fw_trans")
    log.info("framework indicators built")
