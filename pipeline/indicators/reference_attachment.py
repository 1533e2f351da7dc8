"""Plain-Python reference of the attachment exponent with an aging term (no NumPy, no shared helpers).

Independent of :mod:`pipeline.indicators.attachment`: records instead of arrays, every node kept,
and the Poisson score equation solved by bisection instead of Newton's method.
"""

from __future__ import annotations

import math
from collections import defaultdict


def poisson_alpha(records: list[tuple[int, int, float, float]], shift: float = 1.0,
                  lo: float = -10.0, hi: float = 10.0) -> float | None:
    """α solving Σ x·Δk = Σ_g S_g · Σ_g x e^(αx) / Σ_g e^(αx) over records (period, age, k, Δk), x = log(k + shift).

    A group is a (period, age) pair; nodes with k + shift ≤ 0 are left out. None when no group
    has both a gain and two different degrees (the likelihood is then flat).
    """
    groups: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for period, age, k, dk in records:
        if k + shift > 0:
            groups[(period, age)].append((math.log(k + shift), dk))
    useful = {g: nodes for g, nodes in groups.items()
              if sum(dk for _, dk in nodes) > 0 and len({x for x, _ in nodes}) > 1}
    if not useful:
        return None
    top = max(x for nodes in useful.values() for x, _ in nodes)

    def score(alpha: float) -> float:
        total = 0.0
        for nodes in useful.values():
            gain = sum(dk for _, dk in nodes)
            weights = [math.exp(alpha * (x - top)) for x, _ in nodes]
            mean_x = sum(w * x for w, (x, _) in zip(weights, nodes)) / sum(weights)
            total += sum(x * dk for x, dk in nodes) - gain * mean_x
        return total

    if score(lo) < 0 or score(hi) > 0:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if score(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0
