"""The headline digest of the indicators, read from a built warehouse (read-only)."""

from __future__ import annotations

import math
from pathlib import Path


DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "indicators"


def _num(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
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
        if "ind_switch_penalty" in present:
            out["switching_penalty"] = {r["outcome"]: r for r in _rows(con, "SELECT * FROM ind_switch_penalty")}
        if "ind_preferential_attachment" in present:
            out["attachment"] = {r["kind"]: r for r in _rows(con, """
                SELECT kind, alpha, alpha_ci_low, alpha_ci_high, n_units, period_start, period_end
                FROM ind_preferential_attachment WHERE is_pooled""")}
        return out
    finally:
        con.close()


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
        lines.append(f"{'domain':<16}{'year':>5}  {'dominant':<18}{'share [95% CI]':<24}{'HHI':>6}  passed 50%")
        for r in domains:
            ci = f"{_fmt(r['share'])} [{_fmt(r['share_ci_low'])}, {_fmt(r['share_ci_high'])}]"
            flag = " (low n)" if r.get("low_n") else ""
            passed = f"{r['year_passed_50pct']}*" if r.get("low_n_at_50pct") else (r["year_passed_50pct"] or "not yet")
            lines.append(f"{r['domain']:<16}{r['year']:>5}  {str(r['dominant_family']):<18}{ci:<24}"
                         f"{_fmt(r['hhi']):>6}  {passed}{flag}")
        if any(r.get("low_n_at_50pct") for r in domains):
            lines.append("* crossed 50 % in a year with fewer than 10 papers in the domain")
        gaps = [f"{r['domain']} {_fmt(r.get('unclassified_share'), '.0%')}" for r in domains
                if r.get("unclassified_share") is not None]
        if gaps:
            lines.append("unclassified (no family; left out of shares): " + ", ".join(gaps))
        lines.append("")
    u = d.get("unification")
    if u:
        lines.append(f"cross-domain divergence (mean pairwise JSD, bits): {u['first']['year']} {_fmt(u['first']['jsd'], '.3f')}"
                     f" → {u['last']['year']} {_fmt(u['last']['jsd'], '.3f')} ({u['trend']}, Δ {u['change']:+.3f});"
                     f" {u['last']['n_domains_majority']} domain(s) with a >50% family"
                     + (f" (mostly {u['last']['majority_family']})" if u['last'].get('majority_family') else ""))
    lk = d.get("lockin")
    if lk:
        line = (f"author persistence P(same family next paper): {_fmt(lk['persistence'])} "
                f"[{_fmt(lk['persistence_ci_low'])}, {_fmt(lk['persistence_ci_high'])}], "
                f"n={lk['n_transitions']} transitions; Shorrocks mobility {_fmt(lk['shorrocks_mobility'])}")
        st = lk.get("dominant_stationary")
        if st:
            line += (f"; {st['family']} stationary {_fmt(st['stationary_share'])} vs current {_fmt(st['current_share'])}")
        lines.append(line)
    for outcome, p in (d.get("switching_penalty") or {}).items():
        lines.append(f"post-switch {outcome.replace('_', ' ')} ratio (next {p['window_years']} y, matched stayers): "
                     f"{_fmt(p['ratio'])} [{_fmt(p['ratio_ci_low'])}, {_fmt(p['ratio_ci_high'])}], "
                     f"n={p['n_switch_events']} switch / {p['n_stay_events']} stay events")
    for kind, a in (d.get("attachment") or {}).items():
        lines.append(f"preferential attachment α ({kind.replace('_', ' ')}, pooled): {_fmt(a['alpha'])} "
                     f"[{_fmt(a['alpha_ci_low'])}, {_fmt(a['alpha_ci_high'])}], n={a['n_units']}")
    if d.get("missing_tables"):
        lines.append(f"missing indicator tables: {', '.join(d['missing_tables'])} (rebuild with `mlgraph build`)")
    lines += ["", f"warehouse: {d['warehouse']}", f"indicator definitions: {d['docs']}"]
    return "\n".join(lines)
