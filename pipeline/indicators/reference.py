"""Independent plain-Python reference implementations of each indicator's core formula.

Deliberately naive (dicts, loops, math; no DuckDB, no NumPy) so tests can compare the warehouse
tables with a second, obviously-correct computation on the same inputs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict


def shares(weights_by_paper: dict[str, dict[str, float]]) -> dict[str, float]:
    """Fractional family shares of a set of papers: Σ weights / number of papers."""
    n = len(weights_by_paper)
    out: dict[str, float] = defaultdict(float)
    for fams in weights_by_paper.values():
        for fam, w in fams.items():
            out[fam] += w / n
    return dict(out)


def hhi(shares_: list[float]) -> float:
    """Σ s² over shares that sum to 1."""
    return sum(s * s for s in shares_)


def shannon(shares_: list[float]) -> float:
    """−Σ s ln s (nats)."""
    return -sum(s * math.log(s) for s in shares_ if s > 0)


def pielou(shares_: list[float]) -> float | None:
    """H / ln S over the non-zero shares; None when S ≤ 1."""
    present = [s for s in shares_ if s > 0]
    return shannon(present) / math.log(len(present)) if len(present) > 1 else None


def gini(values: list[float]) -> float | None:
    """Mean absolute difference over all ordered pairs / (2 · mean): the textbook definition."""
    n = len(values)
    total = sum(values)
    if n == 0 or total <= 0:
        return None
    mad = sum(abs(a - b) for a in values for b in values) / (n * n)
    return mad / (2 * total / n)


def jsd(p: dict[str, float], q: dict[str, float]) -> float:
    """Jensen–Shannon divergence in bits between two discrete distributions."""
    keys = set(p) | set(q)
    m = {k: (p.get(k, 0.0) + q.get(k, 0.0)) / 2 for k in keys}

    def kl(a):
        return sum(a[k] * math.log2(a[k] / m[k]) for k in keys if a.get(k, 0.0) > 0)

    return 0.5 * kl(p) + 0.5 * kl(q)


def mean_pairwise_jsd(dists: list[dict[str, float]]) -> float | None:
    """Mean JSD over unordered pairs."""
    pairs = [(i, j) for i in range(len(dists)) for j in range(i + 1, len(dists))]
    return sum(jsd(dists[i], dists[j]) for i, j in pairs) / len(pairs) if pairs else None


def first_year_at(series: dict[int, float], threshold: float, strict: bool = False) -> int | None:
    """First year whose share is ≥ threshold (> when strict)."""
    for year in sorted(series):
        if (series[year] > threshold) if strict else (series[year] >= threshold):
            return year
    return None


def transitions(author_papers: dict[str, list[tuple]]) -> Counter:
    """Counter of (from_family, to_family) over each author's papers sorted by (date, paper_id)."""
    out: Counter = Counter()
    for papers in author_papers.values():
        ordered = sorted(papers, key=lambda p: (p[0], p[1]))
        for a, b in zip(ordered, ordered[1:]):
            out[(a[2], b[2])] += 1
    return out


def persistence(counts: Counter) -> float:
    """P(next family = previous family)."""
    total = sum(counts.values())
    return sum(v for (a, b), v in counts.items() if a == b) / total


def row_normalise(counts: Counter, families: list[str]) -> list[list[float]]:
    """Row-stochastic matrix restricted to ``families``."""
    rows = []
    for a in families:
        tot = sum(counts.get((a, b), 0) for b in families)
        rows.append([counts.get((a, b), 0) / tot for b in families])
    return rows


def shorrocks(p: list[list[float]]) -> float:
    """(K − trace P)/(K − 1)."""
    k = len(p)
    return (k - sum(p[i][i] for i in range(k))) / (k - 1)


def stationary(p: list[list[float]], iterations: int = 20000) -> list[float]:
    """Stationary distribution by power iteration from the uniform distribution."""
    k = len(p)
    pi = [1.0 / k] * k
    for _ in range(iterations):
        nxt = [sum(pi[i] * p[i][j] for i in range(k)) for j in range(k)]
        if max(abs(a - b) for a, b in zip(nxt, pi)) < 1e-15:
            break
        pi = nxt
    return pi


def attachment_alpha(obs: list[tuple[float, float]], shift: float, per_octave: int = 2,
                     min_per_bin: int = 3) -> float | None:
    """Jeong et al. α: WLS slope of log mean Δk on log mean (k+shift) over log2 bins of (k+shift)."""
    bins: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for k, dk in obs:
        x = k + shift
        if x > 0:
            bins[math.floor(math.log2(x) * per_octave)].append((x, dk))
    pts = []
    for members in bins.values():
        n = len(members)
        mx = sum(m[0] for m in members) / n
        my = sum(m[1] for m in members) / n
        if n >= min_per_bin and my > 0:
            pts.append((math.log(mx), math.log(my), n))
    if len(pts) < 2:
        return None
    w = sum(p[2] for p in pts)
    ax = sum(p[0] * p[2] for p in pts) / w
    ay = sum(p[1] * p[2] for p in pts) / w
    num = sum(p[2] * (p[0] - ax) * (p[1] - ay) for p in pts)
    den = sum(p[2] * (p[0] - ax) ** 2 for p in pts)
    return num / den if den > 0 else None


def citation_kdk(paper_years: dict[str, int], citations: list[tuple[str, str, int]], t: int) -> list[tuple[int, int]]:
    """(k, Δk) for papers published before year t: citations before t and during t."""
    k = Counter()
    dk = Counter()
    for _, cited, year in citations:
        if year < t:
            k[cited] += 1
        elif year == t:
            dk[cited] += 1
    return [(k[p], dk[p]) for p, y in paper_years.items() if y < t]


def penalty_ratio(author_papers: dict[str, list[tuple]], all_papers: dict[str, list[tuple]],
                  citations: dict[str, int], window: int, max_year: int, stage_edges, output_edges,
                  outcome: str = "papers_per_year", recent_edges=(0, 1, 2, 3, 5, 8),
                  corrected: bool = True) -> float | None:
    """Switch-penalty ratio with the same event, window and matching rules as the warehouse.

    For papers per year (unless not ``corrected``) the stayers' own later switches are corrected for
    through the stayers' mean unswitched share of the window, re-weighted to the switchers' strata.

    author_papers: author → [(date, paper_id, family, year)] classified papers;
    all_papers: author → [(date, paper_id, year)] of every ML paper; citations: paper_id → count.
    """
    from datetime import date, timedelta

    span = timedelta(days=365 * window)
    end = date(max_year, 12, 31)

    def bin_of(v, edges):
        return max(i for i, e in enumerate(edges) if v >= e)

    events = []
    for author, papers in author_papers.items():
        ordered = sorted(papers, key=lambda p: (p[0], p[1]))
        pairs = [(a, b, a[2] != b[2]) for a, b in zip(ordered, ordered[1:])]
        switch_dates = [b[0] for _, b, switched in pairs if switched]
        mine = sorted(all_papers[author])
        first = min(p[2] for p in mine)
        for earlier, later, switched in pairs:
            t = later[0]
            if t + span > end:
                continue
            if any(t - span <= d < t for d in switch_dates):  # already penalised: neither control nor treated
                continue
            in_window = [pid for d, pid, _ in mine if t < d <= t + span]
            later_switches = [d for d in switch_dates if t < d <= t + span]
            unswitched = (min(later_switches) - t).days / span.days if later_switches else 1.0
            if outcome == "papers_per_year":
                value = len(in_window) / window
            elif in_window:
                value = sum(citations.get(pid, 0) for pid in in_window) / len(in_window)
            else:
                continue
            prior = [i for i, p in enumerate(mine) if p[1] == later[1]][0]
            recent = sum(1 for d, _, _ in mine if t - span <= d < t)
            stratum = (bin_of(later[3] - first, stage_edges), bin_of(prior, output_edges),
                       bin_of(recent, recent_edges), earlier[2], later[3])
            events.append((stratum, switched, value, unswitched))
    sw: dict[tuple, list[float]] = defaultdict(list)
    st: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    for stratum, switched, value, unswitched in events:
        if switched:
            sw[stratum].append(value)
        else:
            st[stratum].append((value, unswitched))
    common = [s for s in sw if s in st]
    if not common:
        return None
    n = sum(len(sw[s]) for s in common)
    sw_mean = sum(sum(sw[s]) for s in common) / n
    st_mean = sum(len(sw[s]) * (sum(v for v, _ in st[s]) / len(st[s])) for s in common) / n
    plain = sw_mean / st_mean
    if outcome != "papers_per_year" or not corrected:
        return plain
    # a stayer's count is λ·(u + r·(1 − u)) in expectation, u = its unswitched share of the window
    u = sum(len(sw[s]) * (sum(x for _, x in st[s]) / len(st[s])) for s in common) / n
    return plain * u / (1 - plain * (1 - u))


def cd_variants(focal: str, focal_date, edges: list[tuple], window: int, authors: dict[str, set] | None = None,
                min_references: int = 5, l_refs: int = 5, keep_self: bool = False) -> dict | None:
    """CD_t, CD without the references-only term and DI_l of one paper, from the raw edge list.

    edges are (citing, cited, citing_date) of the whole graph; a later paper counts when its date is
    in (focal_date, focal_date + window years]. With ``authors`` (paper → author set) and not
    ``keep_self``, later papers sharing an author with the focal paper are left out.
    Returns None when the paper has fewer than ``min_references`` references or no citer.
    """
    from datetime import date

    end = date(focal_date.year + window, focal_date.month, focal_date.day) if not (
        focal_date.month == 2 and focal_date.day == 29) else date(focal_date.year + window, 2, 28)
    refs = {cited for citing, cited, _ in edges if citing == focal}
    cites_focal: set[str] = set()
    refs_cited: dict[str, set] = {}
    for citing, cited, d in edges:
        if citing == focal or not (focal_date < d <= end):
            continue
        if authors is not None and not keep_self and authors.get(citing, set()) & authors.get(focal, set()):
            continue
        if cited == focal:
            cites_focal.add(citing)
        if cited in refs:
            refs_cited.setdefault(citing, set()).add(cited)
    n_i = sum(1 for c in cites_focal if c not in refs_cited)
    n_j = sum(1 for c in cites_focal if c in refs_cited)
    n_k = sum(1 for c in refs_cited if c not in cites_focal)
    if len(refs) < min_references or n_i + n_j < 1:
        return None
    n_i_l = sum(1 for c in cites_focal if len(refs_cited.get(c, ())) < l_refs)
    n_j_l = sum(1 for c in cites_focal if len(refs_cited.get(c, ())) >= l_refs)
    n_k_l = sum(1 for c, r in refs_cited.items() if c not in cites_focal and len(r) >= l_refs)
    total_l = n_i_l + n_j_l + n_k_l
    return {"cd": (n_i - n_j) / (n_i + n_j + n_k), "cd_nok": (n_i - n_j) / (n_i + n_j),
            "di_l": (n_i_l - n_j_l) / total_l if total_l else None}


def category_shares(items: list[str]) -> dict[str, float]:
    """Share of each category among items."""
    c = Counter(items)
    return {k: v / len(items) for k, v in c.items()}
