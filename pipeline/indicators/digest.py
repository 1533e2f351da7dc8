"""The headline digest of the indicators, read from a built warehouse (read-only)."""

from __future__ import annotations

import math
from pathlib import Path


DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "indicators"

# One caveat line per headline, printed under it: what the number is not (details on its page).
CAVEATS = {
    "domains": "shares of classified papers only (the unclassified share is the line above); intervals are sampling "
               "noise, not classification error (family_share.md)",
    "unification": "raw JSD falls as domains grow even with no real change; read the corrected line (unification.md)",
    "unification_corrected": "JSD minus its permutation null at the observed domain sizes; primary domains only "
                             "(unification.md)",
    "lockin": "raw persistence counts repeats that happen by chance; κ is the lock-in measure (lockin.md)",
    "lockin_kappa": "attenuated by classification error: true-label κ is higher (lockin.md)",
    "diversity": "lineage distance is a proxy for methodological distance; small cells biased down (diversity.md)",
    "benchmark_gini": "no interval: few tasks per year have a Gini, so the slope's size means little "
                      "(benchmark_concentration.md)",
    "cd_index": "papers with ≥ 5 references and ≥ 1 citer, self-citations excluded; the mean mixes fields "
                "with different citing habits, and the interval of an estimated value is its standard error "
                "only (cd_index.md)",
    "switching_penalty": "observational: matching on stage, output, origin and year leaves selection on "
                         "unobservables (switching_cost.md)",
    "attachment": "pooled over periods; each month's top 1 % of k left out of the fit, where one citation "
                  "per citing paper caps the kernel (the every-degree fit is beside it); cumulative advantage "
                  "also arises from fitness and aging, not only preference (preferential_attachment.md)",
    "pivot": "raw bin means, not matched on career stage or output; references to classified internal papers "
             "only (pivot_size.md)",
    "partition": "each paper at its nearest foundation method; late foundations are not yet flagged, which "
                 "raises older ones' shares; delta-method interval (one_model_many_models.md)",
    "reach": "domain counts grow with paper counts; PwC links end July 2025, text mentions only after "
             "(foundation_reach.md)",
    "models": "Hub base_model metadata is self-reported; no interval on HHI (one_model_many_models.md)",
}


def _num(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params) if params else con.execute(sql)
    names = [d[0] for d in cur.description]
    return [{k: _num(v) for k, v in zip(names, row)} for row in cur.fetchall()]


def digest(warehouse_path) -> dict:
    """Headline indicators as a JSON-able dict (per domain, field-wide, where things are)."""
    from pipeline.warehouse.reader import open_readonly

    path = Path(warehouse_path)
    con = open_readonly(path)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ind_%'").fetchall()}
        needed = ["ind_concentration", "ind_adoption", "ind_unification", "ind_lockin", "ind_switch_penalty",
                  "ind_preferential_attachment"]
        out: dict = {"warehouse": str(path.resolve()), "docs": str(DOCS_DIR),
                     "missing_tables": [t for t in needed if t not in present]}
        if {"ind_concentration", "ind_adoption"} <= present:
            # latest year with enough papers for each domain (falls back to the latest year at all)
            out["domains"] = _rows(con, """
                WITH ranked AS (
                    SELECT *, row_number() OVER (PARTITION BY domain ORDER BY low_n, year DESC) AS rn
                    FROM ind_concentration WHERE domain <> 'all' AND n_papers > 0
                )
                SELECT r.domain, r.year, r.n_papers, r.unclassified_share, r.dominant_family, r.dominant_share AS share,
                       r.dominant_share_ci_low AS share_ci_low, r.dominant_share_ci_high AS share_ci_high,
                       r.hhi, r.effective_families, a.year_passed_50pct AS year_passed_50pct,
                       a.low_n_at_50pct, r.low_n
                FROM ranked r LEFT JOIN ind_adoption a ON a.domain = r.domain AND a.family = r.dominant_family
                WHERE r.rn = 1 ORDER BY r.domain
            """)
        if "ind_unification" in present:
            rows = _rows(con, "SELECT year, mean_pairwise_jsd AS jsd, jsd_ci_low, jsd_ci_high, n_domains, "
                              "n_domains_majority, majority_family FROM ind_unification "
                              "WHERE mean_pairwise_jsd IS NOT NULL ORDER BY year")
            if rows:
                first, last = rows[0], rows[-1]
                out["unification"] = {"first": first, "last": last, "change": last["jsd"] - first["jsd"],
                                      "trend": _trend(first, last)}
        if "ind_lockin" in present:
            rows = _rows(con, "SELECT * FROM ind_lockin")
            out["lockin"] = rows[0] if rows else None
            if out["lockin"] and "ind_lockin_stationary" in present:
                top = _rows(con, "SELECT family, stationary_share, current_share FROM ind_lockin_stationary "
                                 "ORDER BY current_share DESC, family LIMIT 1")
                out["lockin"]["dominant_stationary"] = top[0] if top else None
        out.update(_review_claims(con, present))
        if "ind_switch_penalty" in present:
            out["switching_penalty"] = {r["outcome"]: r for r in _rows(con, "SELECT * FROM ind_switch_penalty")}
        if "ind_preferential_attachment" in present:
            out["attachment"] = {r["kind"]: r for r in _rows(con, """
                SELECT kind, alpha, alpha_ci_low, alpha_ci_high, alpha_all_degrees, n_units, period_start, period_end
                FROM ind_preferential_attachment WHERE is_pooled""")}
        out["models"] = _models(con, present)
        return out
    finally:
        con.close()


def _review_claims(con, present: set[str]) -> dict:
    """Chance-corrected persistence, diversity and benchmark concentration for the digest."""
    out: dict = {}
    if "ind_unification_corrected" in present:
        rows = _rows(con, "SELECT * FROM ind_unification_corrected WHERE jsd_corrected IS NOT NULL ORDER BY year")
        out["unification_corrected"] = rows[-1] if len(rows) >= 2 else None
        if out["unification_corrected"]:
            out["unification_corrected"]["first_year"] = rows[0]["year"]
    if "ind_lockin_kappa" in present:
        rows = _rows(con, "SELECT * FROM ind_lockin_kappa WHERE domain = 'all'")
        out["lockin_kappa"] = rows[0] if rows else None
    if "ind_diversity" in present:
        # per domain: earliest and latest year with enough papers, and whether the intervals separate
        out["diversity"] = _rows(con, """
            WITH ok AS (SELECT * FROM ind_diversity WHERE NOT low_n),
            ends AS (SELECT domain, min(year) AS y0, max(year) AS y1 FROM ok GROUP BY domain HAVING min(year) < max(year))
            SELECT e.domain, e.y0, a.rao_stirling AS d0, a.rao_stirling_ci_low AS lo0, a.rao_stirling_ci_high AS hi0,
                   e.y1, b.rao_stirling AS d1, b.rao_stirling_ci_low AS lo1, b.rao_stirling_ci_high AS hi1
            FROM ends e JOIN ok a ON a.domain = e.domain AND a.year = e.y0
            JOIN ok b ON b.domain = e.domain AND b.year = e.y1 ORDER BY e.domain""")
    out.update(_foundation_claims(con, present))
    if "ind_pivot_penalty" in present:
        # the largest pivot bin with enough events, against the smallest pivots
        rows = _rows(con, """
            SELECT * FROM ind_pivot_penalty WHERE NOT low_n AND pivot_bin > 0 AND ratio_to_lowest_bin IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY outcome ORDER BY pivot_bin DESC) = 1 ORDER BY outcome""")
        base = {r["outcome"]: r for r in _rows(con, "SELECT * FROM ind_pivot_penalty WHERE pivot_bin = 0")}
        out["pivot"] = [dict(r, base_n=base[r["outcome"]]["n_events"]) for r in rows if r["outcome"] in base] or None
    if "ind_benchmark_gini" in present:
        rows = _rows(con, "SELECT count(*) AS n_cells, count(DISTINCT task) AS n_tasks, "
                          "regr_slope(gini, year) AS slope FROM ind_benchmark_gini WHERE gini IS NOT NULL")
        out["benchmark_gini"] = rows[0] if rows and rows[0]["n_cells"] else None
    if "ind_cd_index" in present:
        rows = _rows(con, "SELECT count(cd) AS n_defined, bool_and(cd_exact) AS exact, min(citer_sample_rate) AS rate, "
                          "avg(cd) AS mean_cd, median(cd_se) AS median_se FROM ind_cd_index "
                          "WHERE window_complete AND cd IS NOT NULL")
        out["cd"] = rows[0] if rows and rows[0]["n_defined"] else None
    return out


def _foundation_claims(con, present: set[str]) -> dict:
    """Partitioned downstream concentration (first and latest year with n ≥ 10) and foundation reach."""
    out: dict = {}
    if "ind_downstream_partition" in present:
        rows = _rows(con, "SELECT * FROM ind_downstream_partition WHERE NOT low_n ORDER BY year")
        out["downstream_partition"] = {"first": rows[0], "last": rows[-1]} if len(rows) >= 2 else None
    if "ind_foundation_reach" in present:
        # latest year with a well-populated foundation; per kind, the foundation reaching most domains
        rows = _rows(con, """
            WITH ok AS (SELECT * FROM ind_foundation_reach WHERE NOT low_n),
            last AS (SELECT kind, max(year) AS year FROM ok GROUP BY kind),
            n_dom AS (SELECT count(DISTINCT primary_domain) AS n FROM dim_papers WHERE is_ml)
            SELECT o.kind, o.year, o.foundation, o.n_papers, o.n_domains, o.n_domains_cumulative,
                   (SELECT n FROM n_dom) AS domains_total,
                   (SELECT count(*) FROM ok AS w WHERE w.kind = o.kind AND w.year = o.year) AS n_foundations,
                   (SELECT count(*) FROM ok AS w WHERE w.kind = o.kind AND w.year = o.year
                      AND 2 * w.n_domains >= (SELECT n FROM n_dom)) AS n_reaching_half
            FROM ok AS o JOIN last USING (kind, year)
            QUALIFY row_number() OVER (PARTITION BY o.kind ORDER BY o.n_domains DESC, o.n_papers DESC, o.foundation) = 1
            ORDER BY o.kind""") if _has(con, "dim_papers") else []
        if rows:
            # the same count in the first year with well-populated foundations, for the trend
            first = {r["kind"]: r for r in _rows(con, """
                WITH ok AS (SELECT * FROM ind_foundation_reach WHERE NOT low_n),
                y0 AS (SELECT kind, min(year) AS year FROM ok GROUP BY kind)
                SELECT o.kind, o.year, count(*) AS n_foundations,
                       count(*) FILTER (WHERE 2 * o.n_domains >= ?) AS n_reaching_half
                FROM ok AS o JOIN y0 USING (kind, year) GROUP BY ALL""", [rows[0]["domains_total"]])}
            for r in rows:
                r["first"] = first.get(r["kind"])
        out["foundation_reach"] = rows or None
    return out


def _has(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchall()[0][0])


def _format_foundation_claims(d: dict) -> list[str]:
    lines = []
    for p in d.get("pivot") or []:
        lines.append(f"pivot penalty, {p['outcome'].replace('_', ' ')} (next {p['window_years']} y): pivot "
                     f"{p['bin_low']:.1f}–{p['bin_high']:.1f} vs < 0.1 ratio {_fmt(p['ratio_to_lowest_bin'])} "
                     f"[{_fmt(p['ratio_ci_low'])}, {_fmt(p['ratio_ci_high'])}], n={p['n_events']} vs {p['base_n']} "
                     f"author-papers")
    if d.get("pivot"):
        lines.append("  caveat: " + CAVEATS["pivot"])
    dp = d.get("downstream_partition")
    if dp:
        a, b = dp["first"], dp["last"]
        lines.append(f"downstream concentration over foundations (nearest-ancestor partition): HHI {a['year']} "
                     f"{_fmt(a['hhi'], '.3f')} [{_fmt(a['hhi_ci_low'], '.3f')}, {_fmt(a['hhi_ci_high'], '.3f')}] n={a['n_papers']}"
                     f" → {b['year']} {_fmt(b['hhi'], '.3f')} [{_fmt(b['hhi_ci_low'], '.3f')}, {_fmt(b['hhi_ci_high'], '.3f')}]"
                     f" n={b['n_papers']}; top {b['top_foundation']} {_fmt(b['top_share'])}, top-3 {_fmt(b['top3_share'])}")
        lines.append("  caveat: " + CAVEATS["partition"])
    for r in d.get("foundation_reach") or []:
        lines.append(f"fewer models across more domains ({r['kind']}s, {r['year']}): {r['foundation']} built on in "
                     f"{r['n_domains']} of {r['domains_total']} domains (n={r['n_papers']} papers; no interval, a count); "
                     f"{r['n_reaching_half']} of {r['n_foundations']} foundations with n ≥ 10 reach half the domains"
                     + (f" ({r['first']['year']}: {r['first']['n_reaching_half']} of {r['first']['n_foundations']})"
                        if r.get("first") and r["first"]["year"] != r["year"] else ""))
    if d.get("foundation_reach"):
        lines.append("  caveat: " + CAVEATS["reach"])
    return lines


def _format_review_claims(d: dict) -> list[str]:
    lines = []
    u = d.get("unification_corrected")
    if u:
        if u["change_excludes_zero"]:
            trend = "converging" if u["change_since_first"] < 0 else "diverging"
        else:
            trend = "no clear change: the interval includes 0"
        lines.append(f"cross-domain divergence corrected for domain size (JSD − null): {u['first_year']} → {u['year']} "
                     f"change {u['change_since_first']:+.3f} [{u['change_ci_low']:+.3f}, {u['change_ci_high']:+.3f}]"
                     f" ({trend}); noise alone gives {_fmt(u['jsd_null_mean'], '.3f')} bits in {u['year']}; "
                     f"n={u['n_domains']} domains, {u['n_papers']} papers")
        lines.append("  caveat: " + CAVEATS["unification_corrected"])
    k = d.get("lockin_kappa")
    if k and k.get("kappa") is not None:
        lines.append(f"chance-corrected persistence κ: {_fmt(k['kappa'])} [{_fmt(k['kappa_ci_low'])}, "
                     f"{_fmt(k['kappa_ci_high'])}] (raw {_fmt(k['p_same'])}, by chance {_fmt(k['p_chance'])}), "
                     f"n={k['n_transitions']} transitions" + (" (low n)" if k.get("low_n") else ""))
        lines.append("  caveat: " + CAVEATS["lockin_kappa"])
    div = d.get("diversity") or []
    if div:
        down = [r["domain"] for r in div if r["hi1"] is not None and r["lo0"] is not None and r["hi1"] < r["lo0"]]
        up = [r["domain"] for r in div if r["lo1"] is not None and r["hi0"] is not None and r["lo1"] > r["hi0"]]
        lines.append(f"methodological diversity (Rao–Stirling), earliest → latest year with n ≥ 10: fell in "
                     f"{len(down)} of {len(div)} domains beyond the intervals ({', '.join(down) or 'none'}), "
                     f"rose in {len(up)} ({', '.join(up) or 'none'}) (95 % intervals of each year; n ≥ 10 papers per cell)")
        lines.append("  caveat: " + CAVEATS["diversity"])
    g = d.get("benchmark_gini")
    if g and g.get("slope") is not None:
        lines.append(f"benchmark concentration (Gini of dataset use per task-year): pooled slope "
                     f"{g['slope']:+.3f}/year over {g['n_cells']} task-years of {g['n_tasks']} tasks (no interval)")
        lines.append("  caveat: " + CAVEATS["benchmark_gini"])
    cd = d.get("cd")
    if cd:
        how = ("exact" if cd["exact"] else
               f"ESTIMATED: references-only citers sampled at {cd['rate']:.2%} of citing papers, "
               f"median standard error {_fmt(cd['median_se'], '.4f')}")
        lines.append(f"CD index (CD_5, complete windows): mean {_fmt(cd['mean_cd'], '.3f')} over "
                     f"n={cd['n_defined']} papers; {how}")
        lines.append("  caveat: " + CAVEATS["cd_index"])
    return lines + _format_foundation_claims(d)


def _models(con, present: set) -> dict | None:
    """"One model, many models": the biggest foundation models and how centralised derivation is."""
    if not {"ind_model_concentration", "ind_model_time_to_derivatives", "ind_model_reach"} <= present:
        return None
    conc = {r["level"]: r for r in _rows(con, "SELECT * FROM ind_model_concentration WHERE period = 'all'")}
    if not conc:
        return None
    top = _rows(con, """
        SELECT t.foundation_model_id AS model, t.n_descendants, t.days_to_10, t.days_to_100, r.n_domains
        FROM ind_model_time_to_derivatives t JOIN ind_model_reach r USING (foundation_model_id)
        ORDER BY t.n_descendants DESC, model LIMIT 3""")
    return {"concentration": conc, "top": top}


def _trend(first: dict, last: dict) -> str:
    """'converging' / 'diverging' only when the two years' intervals do not overlap."""
    if None in (first["jsd_ci_low"], first["jsd_ci_high"], last["jsd_ci_low"], last["jsd_ci_high"]):
        return "converging" if last["jsd"] < first["jsd"] else "diverging"
    if last["jsd_ci_high"] < first["jsd_ci_low"]:
        return "converging"
    if last["jsd_ci_low"] > first["jsd_ci_high"]:
        return "diverging"
    return "no clear change: intervals overlap"


def _fmt(value, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def format_digest(d: dict) -> str:
    """The digest as a short human-readable text block."""
    lines = ["mlgraph indicators — headline digest", ""]
    domains = d.get("domains") or []
    if domains:
        lines.append(f"{'domain':<16}{'year':>5}{'n':>7}  {'dominant':<18}{'share [95% CI]':<24}{'HHI':>6}  passed 50%")
        for r in domains:
            ci = f"{_fmt(r['share'])} [{_fmt(r['share_ci_low'])}, {_fmt(r['share_ci_high'])}]"
            flag = " (low n)" if r.get("low_n") else ""
            passed = f"{r['year_passed_50pct']}*" if r.get("low_n_at_50pct") else (r["year_passed_50pct"] or "not yet")
            lines.append(f"{r['domain']:<16}{r['year']:>5}{r['n_papers']:>7}  {str(r['dominant_family']):<18}{ci:<24}"
                         f"{_fmt(r['hhi']):>6}  {passed}{flag}")
        if any(r.get("low_n_at_50pct") for r in domains):
            lines.append("* crossed 50 % in a year with fewer than 10 papers in the domain")
        gaps = [f"{r['domain']} {_fmt(r.get('unclassified_share'), '.0%')}" for r in domains
                if r.get("unclassified_share") is not None]
        if gaps:
            lines.append("unclassified (no family; left out of shares): " + ", ".join(gaps))
        lines.append("caveat: " + CAVEATS["domains"])
        lines.append("")
    u = d.get("unification")
    if u:
        trend = (f"raw Δ {u['change']:+.3f}, not corrected for domain size" if d.get("unification_corrected")
                 else f"{u['trend']}, Δ {u['change']:+.3f}")
        lines.append(f"cross-domain divergence (mean pairwise JSD, bits): {u['first']['year']} {_fmt(u['first']['jsd'], '.3f')}"
                     f" [{_fmt(u['first']['jsd_ci_low'], '.3f')}, {_fmt(u['first']['jsd_ci_high'], '.3f')}]"
                     f" → {u['last']['year']} {_fmt(u['last']['jsd'], '.3f')}"
                     f" [{_fmt(u['last']['jsd_ci_low'], '.3f')}, {_fmt(u['last']['jsd_ci_high'], '.3f')}]"
                     f" ({trend}); n={u['last']['n_domains']} domains;"
                     f" {u['last']['n_domains_majority']} domain(s) with a >50% family"
                     + (f" (mostly {u['last']['majority_family']})" if u['last'].get('majority_family') else ""))
        lines.append("  caveat: " + CAVEATS["unification"])
    lk = d.get("lockin")
    if lk:
        line = (f"author persistence P(same family next paper): {_fmt(lk['persistence'])} "
                f"[{_fmt(lk['persistence_ci_low'])}, {_fmt(lk['persistence_ci_high'])}], "
                f"n={lk['n_transitions']} transitions; Shorrocks mobility {_fmt(lk['shorrocks_mobility'])}")
        st = lk.get("dominant_stationary")
        if st:
            line += (f"; {st['family']} stationary {_fmt(st['stationary_share'])} vs current {_fmt(st['current_share'])}")
        lines.append(line)
        lines.append("  caveat: " + CAVEATS["lockin"])
    lines += _format_review_claims(d)
    for outcome, p in (d.get("switching_penalty") or {}).items():
        lines.append(f"post-switch {outcome.replace('_', ' ')} ratio (next {p['window_years']} y, matched stayers): "
                     f"{_fmt(p['ratio'])} [{_fmt(p['ratio_ci_low'])}, {_fmt(p['ratio_ci_high'])}], "
                     f"n={p['n_switch_events']} switch / {p['n_stay_events']} stay events")
    if d.get("switching_penalty"):
        lines.append("  caveat: " + CAVEATS["switching_penalty"])
    for kind, a in (d.get("attachment") or {}).items():
        every = f" (every degree: {_fmt(a['alpha_all_degrees'])})" if a.get("alpha_all_degrees") is not None else ""
        lines.append(f"preferential attachment α ({kind.replace('_', ' ')}, pooled): {_fmt(a['alpha'])} "
                     f"[{_fmt(a['alpha_ci_low'])}, {_fmt(a['alpha_ci_high'])}]{every}, n={a['n_units']}")
    if d.get("attachment"):
        lines.append("  caveat: " + CAVEATS["attachment"])
    m = d.get("models")
    if m:
        b, o = m["concentration"].get("base_model"), m["concentration"].get("base_organisation")
        if b and o:
            lines.append(f"one model, many models: {_fmt(b['n_derived'], '.0f')} derived models; HHI across bases "
                         f"{_fmt(b['hhi'], '.3f')} (top {b['top_unit']} {_fmt(b['top_share'])}), across base "
                         f"organisations {_fmt(o['hhi'], '.3f')}; top-5 organisations' share {_fmt(o['top5_org_share'])}"
                         f" (no interval)" + (" (low n)" if b.get("low_n") else ""))
            lines.append("  caveat: " + CAVEATS["models"])
        for t in m["top"]:
            lines.append(f"  {t['model']}: {t['n_descendants']} descendants in {t['n_domains']} domain(s); "
                         f"10th after {t['days_to_10'] if t['days_to_10'] is not None else 'n/a'} d, "
                         f"100th after {t['days_to_100'] if t['days_to_100'] is not None else 'n/a'} d")
    if d.get("missing_tables"):
        lines.append(f"missing indicator tables: {', '.join(d['missing_tables'])} (rebuild with `mlgraph build`)")
    lines += ["", f"warehouse: {d['warehouse']}", f"indicator definitions: {d['docs']}"]
    return "\n".join(lines)
