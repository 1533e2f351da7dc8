"""Vectorised NumPy statistics shared by the indicator groups (bootstrap, diversity, fits)."""

from __future__ import annotations

import warnings

import numpy as np

# Fixed so that a rebuild of the same warehouse gives the same intervals (documented in the docs).
BOOTSTRAP_B = 200
BOOTSTRAP_SEED = 20240601
CI_LEVEL = 0.95
# Cells with fewer units than this are flagged low_n (kept, never hidden).
MIN_COUNT = 10


def rng_for(tag: str) -> np.random.Generator:
    """A generator seeded from the fixed seed and a stable tag, so groups don't share streams."""
    return np.random.default_rng([BOOTSTRAP_SEED, sum(ord(c) * (i + 1) for i, c in enumerate(tag))])


def unique_values(values) -> np.ndarray:
    """``np.unique(values)`` (sorted distinct values); integer and boolean arrays by one sort.

    NumPy 2.4 finds the distinct values of a plain ``np.unique`` through a hash table, which on
    millions of int64 keys ran ~60× slower than sorting (14 s of the hazard step at 1M papers).
    """
    a = np.asarray(values).ravel()
    if a.dtype.kind not in "iub":
        return np.unique(a)
    s = np.sort(a)
    if s.size == 0:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def percentile_ci(replicates: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval at CI_LEVEL over the replicate axis (NaN replicates ignored)."""
    alpha = (1.0 - CI_LEVEL) / 2.0
    with warnings.catch_warnings():
        # an all-NaN replicate column (e.g. an empty cell) legitimately yields NaN bounds
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(replicates, alpha, axis=axis)
        high = np.nanquantile(replicates, 1.0 - alpha, axis=axis)
    return low, high


def replicate_sums(values: np.ndarray, rng: np.random.Generator, b: int = BOOTSTRAP_B) -> np.ndarray:
    """Bootstrap replicates (b, m) of column sums of an (n, m) unit matrix, resampling units.

    Drawing n units with replacement is a multinomial over the distinct rows weighted by how
    often each occurs, so identical rows are collapsed first: exact, and fast on big inputs.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n = values.shape[0]
    if n == 0:
        return np.full((b, values.shape[1]), np.nan)
    patterns, counts = distinct_rows(values)
    draws = rng.multinomial(n, counts / n, size=b).astype(np.float64)
    return draws @ patterns


def distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, axis=0, return_counts=True)`` of a float matrix, same order, by hashing rows.

    A row-wise unique sorts the rows field by field (9 s of the family shares at 1M papers); here
    rows are deduplicated through a 64-bit hash of their bits, checked exactly, and only the few
    distinct rows are sorted. Falls back to np.unique when the check fails (a collision, NaN).
    """
    v = np.ascontiguousarray(values, dtype=np.float64) + 0.0   # + 0.0 turns -0.0 into 0.0, as np.unique equates them
    if v.shape[0] == 0 or v.shape[1] == 0:
        return np.unique(values, axis=0, return_counts=True)
    # splitmix64's finaliser of (bits + a per-column salt), summed: float bits end in long runs of
    # zeros (1.0 is 0x3FF0…0), which a plain multiply would leave colliding
    salt = np.arange(1, v.shape[1] + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = v.view(np.uint64) + salt
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        h = (z ^ (z >> np.uint64(31))).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    patterns = v[first]
    if not np.array_equal(patterns[inverse.ravel()], v):
        return np.unique(values, axis=0, return_counts=True)
    order = np.lexsort(patterns.T[::-1])
    return patterns[order], np.bincount(inverse.ravel(), minlength=first.size)[order]


def index_dtype(n: int) -> type:
    """int32 when every index below n fits (half the memory traffic of int64 draws), else int64."""
    return np.int32 if n < 2 ** 31 else np.int64


def replicate_weights(draws: np.ndarray, n: int) -> np.ndarray:
    """(n × replicates) float weights: how often each index 0..n-1 is drawn in each row of ``draws``."""
    # one bincount per replicate: its n counts stay in cache, where one bincount over the whole
    # (index × replicate) block scattered into ~100 MB at a million clusters (2.5× slower)
    w = np.empty((n, len(draws)))
    for r, row in enumerate(draws):
        w[:, r] = np.bincount(row, minlength=n)
    return w


def cluster_replicate_sums(cluster: np.ndarray, cell: np.ndarray, values: np.ndarray, n_cells: int,
                           rng: np.random.Generator, b: int = BOOTSTRAP_B, chunk: int = 25) -> np.ndarray:
    """Bootstrap replicates (b, n_cells, k) of per-cell sums of unit values, resampling whole clusters.

    Units of one cluster (an author, a team) move together, so their dependence widens the
    interval as it should. Weights are drawn ``chunk`` replicates at a time to bound memory at scale,
    as counts of n uniform draws of the n clusters: the multinomial(n, 1/n) of the bootstrap, 4×
    cheaper than NumPy's sequential-binomial multinomial at a million clusters.
    """
    from scipy import sparse

    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    k = values.shape[1]
    if len(cluster) == 0:
        return np.full((b, n_cells, k), np.nan)
    _, inverse = np.unique(cluster, return_inverse=True)
    n_clusters = int(inverse.max()) + 1
    out = np.empty((b, n_cells, k))
    # (column, cell) × cluster sums (duplicates add up), all columns stacked: a replicate block's
    # sums are one product with the (cluster × replicate) weights; column-major, the product reads
    # each cluster's weights once (3× faster than row-major here)
    sums = sparse.vstack([sparse.csr_matrix((values[:, j], (cell, inverse)), shape=(n_cells, n_clusters))
                          for j in range(k)]).tocsc()
    for start in range(0, b, chunk):
        size = min(b, start + chunk) - start
        draws = rng.integers(0, n_clusters, size=(size, n_clusters), dtype=index_dtype(n_clusters * size))
        w = replicate_weights(draws, n_clusters)
        out[start:start + size] = (sums @ w).reshape(k, n_cells, size).transpose(2, 1, 0)
    return out


def bootstrap_weighted_shares(weights: np.ndarray, rng: np.random.Generator, b: int = BOOTSTRAP_B) -> np.ndarray:
    """Replicates (b, F) of column shares Σ_u w_uf / n of an (n, F) unit×category weight matrix."""
    return replicate_sums(weights, rng, b) / max(weights.shape[0], 1)


def bootstrap_proportion(successes: int, n: int, rng: np.random.Generator, b: int = BOOTSTRAP_B) -> np.ndarray:
    """Replicates of a proportion of n independent 0/1 units (binomial resampling)."""
    if n == 0:
        return np.full(b, np.nan)
    return rng.binomial(n, successes / n, size=b) / n


def proportion_cis(successes, totals, rng: np.random.Generator) -> tuple[list[float], list[float]]:
    """Bootstrap percentile interval of successes/total for each cell (one rng stream, in order)."""
    lo, hi = [], []
    for s, n in zip(successes, totals):
        a, b = percentile_ci(bootstrap_proportion(int(s), int(n), rng))
        lo.append(float(a))
        hi.append(float(b))
    return lo, hi


def hhi(shares: np.ndarray, axis: int = -1) -> np.ndarray:
    """Hirschman–Herfindahl index Σ s² of shares that sum to 1."""
    return np.sum(np.square(shares), axis=axis)


def shannon(shares: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats, with 0·ln 0 = 0."""
    s = np.asarray(shares, dtype=float)
    with np.errstate(all="ignore"):
        terms = np.where(s > 0, -s * np.log(np.where(s > 0, s, 1.0)), 0.0)
    return np.sum(terms, axis=axis)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, →1 = one holds all); NaN if total is 0."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * total))


def jsd(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence in bits (in [0, 1]) along the last axis."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    m = (p + q) / 2.0

    def kl(a, c):
        with np.errstate(all="ignore"):
            return np.sum(np.where(a > 0, a * np.log2(np.where(a > 0, a, 1.0) / np.where(c > 0, c, 1.0)), 0.0), axis=-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def mean_pairwise_jsd(dists: np.ndarray) -> np.ndarray:
    """Mean JSD over all unordered pairs of rows of dists (..., D, F); NaN when D < 2."""
    d = dists.shape[-2]
    if d < 2:
        return np.full(dists.shape[:-2], np.nan)
    i, j = np.triu_indices(d, k=1)
    return jsd(dists[..., i, :], dists[..., j, :]).mean(axis=-1)


def stationary_distribution(p: np.ndarray) -> np.ndarray:
    """Stationary distribution π = πP of a row-stochastic matrix (least squares with Σπ = 1)."""
    k = p.shape[0]
    a = np.vstack([p.T - np.eye(k), np.ones((1, k))])
    rhs = np.zeros(k + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def chain_structure(p: np.ndarray) -> tuple[bool, int]:
    """(reducible, period) of a row-stochastic matrix: its stationary π is unique only when irreducible,
    and the chain converges to it from any start only when the period is 1."""
    from math import gcd

    from scipy import sparse
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    graph = sparse.csr_matrix(p > 0)
    n_strong, _ = connected_components(graph, directed=True, connection="strong")
    if n_strong > 1:
        return True, 0
    # period of an irreducible chain: gcd over edges u→v of level(u) + 1 − level(v), levels from a BFS
    order, preds = breadth_first_order(graph, 0, directed=True, return_predecessors=True)
    level = np.zeros(p.shape[0], dtype=np.int64)
    for node in order[1:]:
        level[node] = level[preds[node]] + 1
    period = 0
    for u, v in zip(*graph.nonzero()):
        period = gcd(period, int(level[u] + 1 - level[v]))
    return False, abs(period)


def shorrocks(p: np.ndarray) -> float:
    """Shorrocks (1978) mobility index (K − trace P)/(K − 1); 0 = total persistence."""
    k = p.shape[0]
    if k < 2:
        return float("nan")
    return float((k - np.trace(p)) / (k - 1))


def log_bins(x: np.ndarray, per_octave: int = 2) -> np.ndarray:
    """Bin index of positive x on a log2 grid with per_octave bins per doubling."""
    return np.floor(np.log2(x) * per_octave).astype(np.int64)


def slope_from_bins(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], min_per_bin: float = 3.0):
    """WLS slope of log(mean y) on log(mean x) over bins, with a fixed effect per group.

    ``groups`` holds (count, Σx, Σy) per bin for each group (period), each of shape (bins,) or
    (replicates, bins); bins with fewer than ``min_per_bin`` units or zero mean y are left out (log
    undefined), as are groups with fewer than two usable bins. Demeaning within each group means a
    pooled fit compares bins only inside a period, so growth of the field between periods cannot
    bias the slope. Returns (slope, bins used) — arrays over replicates for 2-D input.
    """
    num = den = used = 0.0
    for cnt, sx, sy in groups:
        cnt, sx, sy = (np.asarray(a, dtype=float) for a in (cnt, sx, sy))
        ok = (cnt >= min_per_bin) & (sy > 0) & (sx > 0)
        ok &= ok.sum(axis=-1, keepdims=True) >= 2
        ww = np.where(ok, cnt, 0.0)
        with np.errstate(all="ignore"):
            lx = np.where(ok, np.log(np.where(ok, sx / np.where(ok, cnt, 1), 1)), 0.0)
            ly = np.where(ok, np.log(np.where(ok, sy / np.where(ok, cnt, 1), 1)), 0.0)
            tot = ww.sum(axis=-1, keepdims=True)
            dx = np.where(ok, lx - (ww * lx).sum(axis=-1, keepdims=True) / tot, 0.0)
            dy = np.where(ok, ly - (ww * ly).sum(axis=-1, keepdims=True) / tot, 0.0)
        num = num + (ww * dx * dy).sum(axis=-1)
        den = den + (ww * dx * dx).sum(axis=-1)
        used = used + ok.sum(axis=-1)
    with np.errstate(all="ignore"):
        slope = np.where(np.asarray(den) > 1e-300, np.asarray(num) / np.where(np.asarray(den) > 0, den, 1), np.nan)
    if np.ndim(slope) == 0:
        return float(slope), int(used)
    return slope, np.asarray(used, dtype=int)


def binned_sums(bin_ids: np.ndarray, x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                b: int = BOOTSTRAP_B) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Per-bin (count, Σx, Σy) and their bootstrap replicates ((b, bins) each), resampling units."""
    uniq, inv = np.unique(bin_ids, return_inverse=True)
    nb = uniq.size
    point = (np.bincount(inv, minlength=nb).astype(float), np.bincount(inv, weights=x, minlength=nb),
             np.bincount(inv, weights=y, minlength=nb))
    if inv.size == 0:
        return point, tuple(np.zeros((b, 0)) for _ in range(3))
    # identical (bin, x, y) units collapse into one multinomial category
    triples, tcount = np.unique(np.column_stack([inv, x, y]), axis=0, return_counts=True)
    draws = rng.multinomial(inv.size, tcount / inv.size, size=b).astype(float)
    onehot = np.zeros((triples.shape[0], nb))
    onehot[np.arange(triples.shape[0]), triples[:, 0].astype(np.int64)] = 1.0
    return point, (draws @ onehot, draws @ (onehot * triples[:, 1:2]), draws @ (onehot * triples[:, 2:3]))
