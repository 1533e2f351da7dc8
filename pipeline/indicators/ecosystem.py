"""Groups 9–11: leaderboard dominance, framework path dependency, one-model-many-models."""

from __future__ import annotations

import numpy as np

from pipeline.indicators import stats
from pipeline.indicators.db import fetch_arrays, has_column, write_table

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
    cells = fetch_arrays(con, """
        SELECT coalesce(area, 'unknown') AS area, year, coalesce(family, 'unknown') AS family,
               count(*) AS results, count(*) FILTER (WHERE is_top) AS top_results
        FROM fct_leaderboard_results WHERE year IS NOT NULL
        GROUP BY ALL ORDER BY area, year, family
    """)
    out = _category_share_rows(cells, ("area", "year"), "family", ("results", "top_results"), "leaderboard")
    out["year"] = np.array(out["year"], dtype=np.int64)
    write_table(con, "ind_leaderboard_dominance", out, order_by="area, year, family")
    log.info("ind_leaderboard_dominance: %d rows", len(out["family"]))


def build_frameworks(con, log) -> None:
    """ind_framework_share, ind_framework_transitions and ind_framework_switch_rate."""
    # A link whose framework was not detected (raw 'none') lands in 'other' in the mart; it is an
    # unknown, not another framework, so it is counted apart and left out of the shares.
    known = ("framework IS NOT NULL AND NOT (framework = 'other' AND lower(coalesce(framework_raw, 'none')) "
             "IN ('none', ''))") if has_column(con, "fct_code_links", "framework_raw") else "framework IS NOT NULL"
    cells = fetch_arrays(con, f"""
        SELECT year, framework, count(*) AS links FROM fct_code_links
        WHERE year IS NOT NULL AND {known} GROUP BY ALL ORDER BY year, framework
    """)
    out = _category_share_rows(cells, ("year",), "framework", ("links",), "framework_share")
    out["year"] = np.array(out["year"], dtype=np.int64)
    write_table(con, "ind_framework_share", out, order_by="year, framework")
    con.execute(f"""
        CREATE OR REPLACE TABLE ind_framework_share AS
        SELECT s.*, coalesce(u.n, 0) AS links_unknown_framework
        FROM ind_framework_share s
        LEFT JOIN (SELECT year, count(*) AS n FROM fct_code_links WHERE year IS NOT NULL AND NOT ({known})
                   GROUP BY year) u USING (year)
        ORDER BY s.year, s.framework
    """)

    official = "bool_or(coalesce(is_official, false))" if has_column(con, "fct_code_links", "is_official") else "false"
    # a paper's framework: its most-linked framework, official links first, then by name
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ind_fw_trans AS
        WITH pf AS (
            SELECT paper_id, framework FROM (
                SELECT paper_id, framework, count(*) AS n, {official} AS off,
                       row_number() OVER (PARTITION BY paper_id ORDER BY count(*) DESC, {official} DESC, framework) AS rn
                FROM fct_code_links WHERE {known} GROUP BY paper_id, framework
            ) WHERE rn = 1
        ), seq AS (
            SELECT a.author_id, a.paper_id, p.year, pf.framework,
                   row_number() OVER (PARTITION BY a.author_id ORDER BY p.published_date, a.paper_id) AS seq
            FROM (SELECT DISTINCT author_id, paper_id FROM fct_authorships WHERE author_id IS NOT NULL) a
            JOIN pf USING (paper_id) JOIN dim_papers p USING (paper_id)
        )
        SELECT a.author_id, a.framework AS from_framework, b.framework AS to_framework, b.year,
               a.framework <> b.framework AS is_switch
        FROM seq a JOIN seq b ON a.author_id = b.author_id AND b.seq = a.seq + 1
    """)
    con.execute("""
        CREATE OR REPLACE TABLE ind_framework_transitions AS
        SELECT from_framework, to_framework, count(*) AS n_transitions,
               sum(count(*)) OVER (PARTITION BY from_framework) AS from_total,
               count(*) / sum(count(*)) OVER (PARTITION BY from_framework) AS probability,
               count(DISTINCT author_id) AS n_authors
        FROM _ind_fw_trans GROUP BY from_framework, to_framework
        ORDER BY from_framework, to_framework
    """)
    rate = fetch_arrays(con, """
        SELECT year, count(*) AS n, count(*) FILTER (WHERE is_switch) AS s,
               count(*) FILTER (WHERE is_switch AND to_framework = 'pytorch') AS to_pt,
               count(DISTINCT author_id) AS authors
        FROM _ind_fw_trans GROUP BY year ORDER BY year
    """)
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


def build_downstream(con, log) -> None:
    """ind_downstream_by_year and ind_downstream_concentration (HHI of downstream work across roots)."""
    foundation = ("LEFT JOIN (SELECT method_name AS root_method, is_foundation FROM fct_method_lineage) l "
                  "USING (root_method)") if has_column(con, "fct_method_lineage", "is_foundation") else ""
    is_found = "coalesce(l.is_foundation, false)" if foundation else "NULL::BOOLEAN"
    con.execute(f"""
        CREATE OR REPLACE TABLE ind_downstream_by_year AS
        SELECT d.root_method, d.year, d.downstream_methods, d.downstream_papers,
               sum(d.downstream_papers) OVER (PARTITION BY d.root_method ORDER BY d.year) AS cumulative_downstream_papers,
               d.downstream_papers / nullif(sum(d.downstream_papers) OVER (PARTITION BY d.year), 0) AS share_of_year,
               {is_found} AS is_foundation
        FROM fct_method_downstream_by_year d {foundation}
        WHERE d.year IS NOT NULL
        ORDER BY d.root_method, d.year
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE ind_downstream_concentration AS
        WITH y AS (
            SELECT year, root_method, downstream_papers AS x,
                   downstream_papers / nullif(sum(downstream_papers) OVER (PARTITION BY year), 0) AS s
            FROM ind_downstream_by_year WHERE downstream_papers > 0
        )
        SELECT year, count(*) AS n_roots, sum(x) AS total_downstream_papers,
               sum(s * s) AS hhi, 1 / sum(s * s) AS effective_roots,
               first(root_method ORDER BY s DESC, root_method) AS top_root, max(s) AS top_root_share,
               sum(x) < {stats.MIN_COUNT} AS low_n
        FROM y GROUP BY year ORDER BY year
    """)
    log.info("ind_downstream_* built")
