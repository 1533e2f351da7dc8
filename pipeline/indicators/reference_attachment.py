"""Plain-Python reference of the attachment exponent (no NumPy, no shared helpers).

Independent of :mod:`pipeline.indicators.attachment`: records instead of arrays built by walking
the citations one by one, every node kept (zero gains too) but each month's top degrees, found by
sorting the month's list, the Poisson score equation solved by bisection instead
of Newton's method, and the clustered variance summed paper by paper.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date


def month_index(d: date) -> int:
    """Calendar month as a running index: year·12 + month − 1."""
    return d.year * 12 + d.month - 1


def monthly_records(papers: dict[str, tuple[date, str | None]],
                    citations: list[tuple[date, str]]) -> list[tuple[tuple, str, float, float]]:
    """Records ((month, age, family), paper, k, Δk) of the monthly citation fit.

    ``papers``: paper id → (publication date, primary family or None) of the papers at risk;
    ``citations``: (citing paper's publication date, cited paper id). A paper is at risk in every
    month after its own in which any of the papers is cited (other months inform nothing); k =
    citations received before the month, Δk = in it, age = months since its own month. None is a
    family level of its own.
    """
    got: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    cited_months = set()
    for when, cited in citations:
        if cited in papers:
            got[cited][month_index(when)] += 1
            cited_months.add(month_index(when))
    out = []
    for pid, (published, family) in papers.items():
        own = month_index(published)
        for m in sorted(cited_months):
            if m > own:
                k = sum(n for earlier, n in got[pid].items() if earlier < m)
                out.append(((m, m - own, family), pid, float(k), float(got[pid].get(m, 0))))
    return out


def trim_top_degrees(records: list[tuple[tuple, str, float, float]], percent: int = 1) -> list[tuple]:
    """The records whose k is at most their month's nearest-rank (100 − percent)th percentile of k.

    The month is the first element of a record's group; the percentile is the k at rank
    ⌈n · (100 − percent) / 100⌉ of the month's n records sorted by k.
    """
    if percent <= 0:
        return list(records)
    degrees: dict[int, list[float]] = defaultdict(list)
    for group, _, k, _ in records:
        degrees[group[0]].append(k)
    cut = {}
    for month, ks in degrees.items():
        ks.sort()
        rank = -(-len(ks) * (100 - percent) // 100)
        cut[month] = ks[rank - 1]
    return [r for r in records if r[2] <= cut[r[0][0]]]


def _useful_groups(records, shift):
    groups: dict[tuple, list[tuple[float, float, str]]] = defaultdict(list)
    for group, pid, k, dk in records:
        if k + shift > 0:
            groups[group].append((math.log(k + shift), dk, pid))
    return {g: nodes for g, nodes in groups.items()
            if sum(dk for _, dk, _ in nodes) > 0 and len({x for x, _, _ in nodes}) > 1}


def poisson_alpha(records: list[tuple[tuple, str, float, float]], shift: float = 1.0,
                  lo: float = -10.0, hi: float = 10.0) -> float | None:
    """α solving Σ x·Δk = Σ_g S_g · Σ_g x e^(αx) / Σ_g e^(αx) over records (group, paper, k, Δk).

    x = log(k + shift); nodes with k + shift ≤ 0 are left out. None when no group has both a gain and two different
    degrees (the likelihood is then flat).
    """
    useful = _useful_groups(records, shift)
    if not useful:
        return None
    top = max(x for nodes in useful.values() for x, _, _ in nodes)

    def score(alpha: float) -> float:
        total = 0.0
        for nodes in useful.values():
            gain = sum(dk for _, dk, _ in nodes)
            weights = [math.exp(alpha * (x - top)) for x, _, _ in nodes]
            mean_x = sum(w * x for w, (x, _, _) in zip(weights, nodes)) / sum(weights)
            total += sum(x * dk for x, dk, _ in nodes) - gain * mean_x
        return total

    if score(lo) < 0 or score(hi) > 0:
        return None
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if score(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def clustered_se(records: list[tuple[tuple, str, float, float]], alpha: float, shift: float = 1.0) -> float:
    """Cluster-robust (by paper) standard error of α: sqrt(C/(C−1) · Σ_papers U_p²) / H at α.

    U_p sums a paper's (x − E_g[x])·(Δk − μ) over its records, μ = S_g e^(αx) / Σ_g e^(αx) and
    H = Σ_g S_g Var_g[x] (both e^(αx)-weighted within the group); C counts the papers with a record
    in a group that gained something.
    """
    useful = _useful_groups(records, shift)
    score_by_paper: dict[str, float] = defaultdict(float)
    hess = 0.0
    for nodes in useful.values():
        gain = sum(dk for _, dk, _ in nodes)
        top = max(x for x, _, _ in nodes)
        weights = [math.exp(alpha * (x - top)) for x, _, _ in nodes]
        total = sum(weights)
        mean_x = sum(w * x for w, (x, _, _) in zip(weights, nodes)) / total
        hess += gain * (sum(w * x * x for w, (x, _, _) in zip(weights, nodes)) / total - mean_x ** 2)
        for w, (x, dk, pid) in zip(weights, nodes):
            score_by_paper[pid] += (x - mean_x) * (dk - gain * w / total)
    gained: dict[tuple, float] = defaultdict(float)
    for group, _, k, dk in records:
        if k + shift > 0:
            gained[group] += dk
    c = len({pid for group, pid, k, _ in records if k + shift > 0 and gained[group] > 0})
    meat = sum(u * u for u in score_by_paper.values()) * c / max(c - 1, 1)
    return math.sqrt(meat) / hess
