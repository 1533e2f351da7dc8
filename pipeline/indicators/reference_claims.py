"""Plain-Python references for the tables issue 9 left without one (no DuckDB, no NumPy, no shared helpers).

Each function re-derives one table from records (tuples and dicts) by its documented definition, so
a test can build the same records into DuckDB, run the production path and compare. The inputs are
the rows of the marts the production model reads; nothing here imports production code.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter, defaultdict, deque
from pathlib import Path

MIN_COUNT = 10          # the documented low_n threshold, restated rather than imported
Z95 = 1.959964


def _classified(paper) -> bool:
    return paper["family"] is not None and (paper.get("provenance") or "") != "none"


# ---------------------------------------------------------------- pivot size (ind_pivot_size)

def pivot_sizes(papers: dict[str, dict], authorships: list[tuple], citations: list[tuple],
                window_days: int = 730) -> dict[tuple[str, str], dict]:
    """Per (author, paper): 1 − cosine of reference-family counts vs the author's strictly earlier papers.

    ``papers`` maps id → {date, year, family, provenance, is_ml}; ``authorships`` are (paper, author);
    ``citations`` are (citing, cited) rows, each row one reference (duplicates count twice).
    """
    dated = {p for p, r in papers.items() if r["is_ml"] and r["date"] is not None and r["year"] is not None}
    by_author: dict[str, set] = defaultdict(set)
    for p, a in authorships:
        if a is not None and p in dated:
            by_author[a].add(p)
    vectors: dict[str, Counter] = defaultdict(Counter)
    received: Counter = Counter()
    for citing, cited in citations:
        received[cited] += 1
        if cited in papers and _classified(papers[cited]):
            vectors[citing][papers[cited]["family"]] += 1
    years = [r["year"] for r in papers.values() if r["is_ml"] and r["year"] is not None]
    corpus_end = dt.date(max(years), 12, 31) if years else None
    out = {}
    for a, own in by_author.items():
        for p in own:
            focal = vectors.get(p)
            if not focal:
                continue
            d = papers[p]["date"]
            prior: Counter = Counter()
            for q in own:
                if papers[q]["date"] < d:
                    prior.update(vectors.get(q, Counter()))
            fn = math.sqrt(sum(v * v for v in focal.values()))
            pn = math.sqrt(sum(v * v for v in prior.values()))
            pivot = None
            if pn > 0:
                cos = sum(v * prior.get(f, 0) for f, v in focal.items()) / (fn * pn)
                pivot = min(1.0, max(0.0, 1.0 - cos))
            later = [q for q in own if d < papers[q]["date"] <= d + dt.timedelta(days=window_days)]
            out[(a, p)] = {
                "pivot_size": pivot, "n_classified_references": sum(focal.values()),
                "n_reference_families": len(focal), "n_prior_references": sum(prior.values()),
                "window_papers": len(later), "window_citations": sum(received[q] for q in later),
                "window_complete": corpus_end is not None and d + dt.timedelta(days=window_days) <= corpus_end,
            }
    return out


def pivot_bin_means(rows: dict[tuple[str, str], dict], window_years: int = 2) -> dict[tuple[str, int], tuple]:
    """(outcome, bin) → (n, mean outcome, ratio to bin 0) over rows with a pivot and a complete window."""
    cells: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in rows.values():
        if r["pivot_size"] is None or not r["window_complete"]:
            continue
        b = min(9, int(r["pivot_size"] * 10 + 1e-9))
        cells[("papers_per_year", b)].append(r["window_papers"] / window_years)
        if r["window_papers"] > 0:
            cells[("citations_per_paper", b)].append(r["window_citations"] / r["window_papers"])
    out = {}
    for (outcome, b), ys in cells.items():
        base = cells.get((outcome, 0))
        mean = sum(ys) / len(ys)
        base_mean = sum(base) / len(base) if base else None
        out[(outcome, b)] = (len(ys), mean, mean / base_mean if base_mean else None)
    return out


# ---------------------------------------------------------------- foundations (partition and reach)

def _ancestor_hops(node: str, parents: dict[str, set]) -> dict[str, int]:
    """Breadth-first: every ancestor of ``node`` (itself at 0) with its fewest hops; cycles are harmless."""
    hops = {node: 0}
    queue = deque([node])
    while queue:
        cur = queue.popleft()
        for parent in sorted(parents.get(cur, ())):
            if parent not in hops:
                hops[parent] = hops[cur] + 1
                queue.append(parent)
    return hops


def nearest_foundation(builds: list[tuple], edges: list[tuple], foundations: dict[str, int]) -> dict[str, tuple]:
    """paper → (year, foundation, tied): the foundation at the fewest hops above any method the paper uses.

    ``builds`` are (paper, method, year) rows; ``edges`` (parent, child); ``foundations`` maps a
    foundation method to its number of descendants (ties: fewer descendants, then name).
    """
    parents: dict[str, set] = defaultdict(set)
    for parent, child in edges:
        parents[child].add(parent)
    best: dict[str, list] = {}
    for paper, method, year in builds:
        if method is None or year is None:
            continue
        for anc, h in _ancestor_hops(method, parents).items():
            if anc not in foundations:
                continue
            cur = best.setdefault(paper, [year, h, set()])
            if h < cur[1]:
                cur[1], cur[2] = h, set()
            if h == cur[1]:
                cur[2].add(anc)
    out = {}
    for paper, (year, _, cands) in best.items():
        pick = min(cands, key=lambda f: (foundations[f] or 0, f))
        out[paper] = (year, pick, len(cands) > 1)
    return out


def partition_concentration(assigned: dict[str, tuple]) -> dict[int, dict]:
    """year → HHI, unbiased HHI, delta-method interval, top-1/top-3 shares of the nearest-foundation partition."""
    per_year: dict[int, Counter] = defaultdict(Counter)
    tied: Counter = Counter()
    for year, foundation, is_tied in assigned.values():
        per_year[year][foundation] += 1
        tied[year] += is_tied
    out = {}
    for year, counts in per_year.items():
        n = sum(counts.values())
        shares = sorted(((c / n, f) for f, c in counts.items()), key=lambda t: (-t[0], t[1]))
        h = sum(s * s for s, _ in shares)
        half = Z95 * math.sqrt(max(4.0 * (sum(s ** 3 for s, _ in shares) - h * h) / n, 0.0))
        out[year] = {
            "n_papers": n, "n_foundations": len(counts), "tied_papers": tied[year], "hhi": h,
            "hhi_unbiased": (n * h - 1) / (n - 1) if n > 1 else None,
            "hhi_ci_low": max(0.0, h - half), "hhi_ci_high": min(1.0, h + half),
            "top_foundation": shares[0][1], "top_share": shares[0][0],
            "top3_share": sum(s for s, _ in shares[:3]), "low_n": n < MIN_COUNT,
        }
    return out


def read_model_bases(seed: Path) -> dict[str, str | None]:
    """model_key → base_model (None for a root) from the alias seed CSV."""
    bases: dict[str, str | None] = {}
    with open(seed, newline="") as fh:
        for row in csv.DictReader(fh):
            base = (row["base_model"] or "").strip() or None
            if bases.get(row["model_key"]) is None:
                bases[row["model_key"]] = base
    return bases


def foundation_reach(builds: list[tuple], domains: dict[str, str | None], edges: list[tuple],
                     foundations: set[str], model_bases: dict[str, str | None]) -> dict[tuple, tuple]:
    """(kind, foundation, year) → (n_papers, n_domains, n_domains_cumulative, low_n).

    ``builds`` are (paper, model_key, method, year); a paper reaches every foundation method above
    its methods and the root (model without a base) of each named model's base chain.
    """
    parents: dict[str, set] = defaultdict(set)
    for parent, child in edges:
        parents[child].add(parent)
    model_parents = {m: {b} for m, b in model_bases.items() if b is not None}
    roots = {m for m, b in model_bases.items() if b is None}
    reached: dict[tuple, set] = defaultdict(set)
    for paper, model, method, year in builds:
        if year is None or paper not in domains:
            continue
        if method is not None:
            for anc in _ancestor_hops(method, parents):
                if anc in foundations:
                    reached[("method", anc, year)].add(paper)
        if model is not None:
            for anc in _ancestor_hops(model, model_parents):
                if anc in roots:
                    reached[("model", anc, year)].add(paper)
    seen: dict[tuple, set] = defaultdict(set)
    out = {}
    for key in sorted(reached):
        kind, foundation, year = key
        ds = {domains[p] for p in reached[key] if domains[p] is not None}
        seen[(kind, foundation)] |= ds
        out[key] = (len(reached[key]), len(ds), len(seen[(kind, foundation)]), len(reached[key]) < MIN_COUNT)
    return out


# ---------------------------------------------------------------- adoption lag and family spread

def adoption(family_share: list[dict]) -> dict[tuple[str, str], dict]:
    """(family, domain) → the ind_adoption fields, from ind_family_share rows (domain 'all' ignored)."""
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in family_share:
        if r["domain"] != "all":
            cells[(r["family"], r["domain"])].append(r)
    per = {}
    for key, rows in cells.items():
        present = [r["year"] for r in rows if r["papers_any"] > 0]
        if not present:
            continue
        y10 = min((r["year"] for r in rows if r["share"] >= 0.1), default=None)
        y50 = min((r["year"] for r in rows if r["share"] > 0.5), default=None)
        at = {r["year"]: r for r in rows}
        latest = max(at)
        per[key] = {"first_year": min(present), "year_reached_10pct": y10, "year_passed_50pct": y50,
                    "peak_share": max(r["share"] for r in rows), "latest_share": at[latest]["share"],
                    "latest_year": latest,
                    "low_n_at_10pct": bool(at[y10]["low_n"]) if y10 is not None else False,
                    "low_n_at_50pct": bool(at[y50]["low_n"]) if y50 is not None else False,
                    "share_at_10pct": at[y10]["share"] if y10 is not None else None}
    origin = {}
    for (family, domain), v in sorted(per.items()):
        if v["year_reached_10pct"] is None:
            continue
        rank = (v["year_reached_10pct"], -v["share_at_10pct"], domain)
        if family not in origin or rank < origin[family][0]:
            origin[family] = (rank, domain, v["year_reached_10pct"])
    out = {}
    for (family, domain), v in per.items():
        o = origin.get(family)
        row = {k: v[k] for k in v if k != "share_at_10pct"}
        row["years_to_10pct"] = v["year_reached_10pct"] - v["first_year"] if v["year_reached_10pct"] is not None else None
        row["years_to_50pct"] = v["year_passed_50pct"] - v["first_year"] if v["year_passed_50pct"] is not None else None
        row["origin_domain"] = o[1] if o else None
        row["origin_year"] = o[2] if o else None
        row["lag_behind_origin_years"] = (v["year_reached_10pct"] - o[2]
                                          if o and v["year_reached_10pct"] is not None else None)
        row["is_origin"] = (domain == o[1]) if o else None
        out[(family, domain)] = row
    return out


def family_spread(family_share: list[dict]) -> dict[tuple[int, str], dict]:
    """(year, family) → domains present, domains at ≥10 %, entropy over domains (nats) and its normalised form."""
    active: dict[int, set] = defaultdict(set)
    cells: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in family_share:
        if r["domain"] == "all":
            continue
        active[r["year"]].add(r["domain"])
        if r["papers_fractional"] > 0:
            cells[(r["year"], r["family"])].append(r)
    out = {}
    for (year, family), rows in cells.items():
        total = sum(r["papers_fractional"] for r in rows)
        h = -sum((r["papers_fractional"] / total) * math.log(r["papers_fractional"] / total) for r in rows)
        k = len(active[year])
        out[(year, family)] = {"papers_fractional": total, "n_domains_present": len(rows),
                               "n_domains_10pct": sum(r["share"] >= 0.1 for r in rows),
                               "domain_entropy": h, "domain_entropy_normalised": h / math.log(k) if k > 1 else None,
                               "n_domains_active": k}
    return out


# ---------------------------------------------------------------- framework transitions

def framework_transitions(code_links: list[tuple], authorships: list[tuple],
                          papers: dict[str, tuple]) -> dict[tuple[str, str], tuple]:
    """(from, to) → (n_transitions, from_total, probability, n_authors) over repeat authors' dated papers.

    ``code_links`` are (paper, framework, framework_raw, is_official); ``papers`` map id → (date, year).
    A paper's framework is the one most of its detected links name (official links, then name, break
    ties); undated papers have no place in an author's sequence.
    """
    links: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, False]))
    for paper, fw, raw, official in code_links:
        if fw is None or (fw == "other" and (raw or "none").lower() in ("none", "")):
            continue
        cell = links[paper][fw]
        cell[0] += 1
        cell[1] = cell[1] or bool(official)
    framework = {p: min(c, key=lambda f: (-c[f][0], not c[f][1], f)) for p, c in links.items()}
    seqs: dict[str, set] = defaultdict(set)
    for paper, author in authorships:
        if author is not None and paper in framework and paper in papers and papers[paper][0] is not None:
            seqs[author].add(paper)
    pairs: Counter = Counter()
    authors: dict[tuple, set] = defaultdict(set)
    for author, own in seqs.items():
        ordered = sorted(own, key=lambda p: (papers[p][0], p))
        for a, b in zip(ordered, ordered[1:]):
            key = (framework[a], framework[b])
            pairs[key] += 1
            authors[key].add(author)
    totals: Counter = Counter()
    for (f, _), n in pairs.items():
        totals[f] += n
    return {k: (n, totals[k[0]], n / totals[k[0]], len(authors[k])) for k, n in pairs.items()}


# ---------------------------------------------------------------- CD family-year means

def cd_family_year(cd_rows: list[dict]) -> dict[tuple[str, int], tuple]:
    """(family, year) → (n, mean CD, mean CD without the references-only term, mean DI_l) over complete windows.

    Unclassified papers (family 'other') form no family cell."""
    cells: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in cd_rows:
        if r["cd"] is not None and r["family"] not in (None, "other") and r["window_complete"]:
            cells[(r["family"], r["year"])].append(r)
    out = {}
    for key, rows in cells.items():
        di = [r["di_l"] for r in rows if r["di_l"] is not None]
        out[key] = (len(rows), sum(r["cd"] for r in rows) / len(rows),
                    sum(r["cd_nok"] for r in rows) / len(rows), sum(di) / len(di) if di else None)
    return out
