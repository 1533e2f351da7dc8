"""The CD index's per-paper sweep, compiled with numba: marker arrays over date-sorted citer lists.

A focal paper's later papers are found through its own citer list and those of its references,
each sorted by node number, which is date order (cd_nodes.sql): a window is two binary searches
per list, so the work is the pairs inside windows only. SciPy's SpGEMM, used before, could not cut
a product at a window and materialised every pair of a block (2× the time of this at 1M papers).

Node numbering the functions rely on (cd_nodes.sql): dated papers ``[0, n_dated)`` in date order,
then papers with a year but no date ``[n_dated, n_year)`` by year, then papers with neither.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_ONE = np.uint64(1)


@njit(cache=True, nogil=True)
def csr(rows, cols, n_rows):
    """(ptr, cols) of the pairs grouped by row, each row's columns in input order (a counting sort)."""
    ptr = np.zeros(n_rows + 1, np.int64)
    for i in range(len(rows)):
        ptr[rows[i] + 1] += 1
    for r in range(n_rows):
        ptr[r + 1] += ptr[r]
    pos = ptr[:-1].copy()
    out = np.empty(len(rows), np.int32)
    for i in range(len(rows)):
        r = rows[i]
        out[pos[r]] = cols[i]
        pos[r] += 1
    return ptr, out


@njit(cache=True, nogil=True)
def transpose(ptr, idx, n, keep, number):
    """The transpose of an n × n CSR restricted to source rows with ``keep``, which are written as
    ``number[row]``; each row ascending (``number`` is increasing over the kept rows)."""
    out_ptr = np.zeros(n + 1, np.int64)
    for r in range(n):
        if keep[r]:
            for k in range(ptr[r], ptr[r + 1]):
                out_ptr[idx[k] + 1] += 1
    for c in range(n):
        out_ptr[c + 1] += out_ptr[c]
    pos = out_ptr[:-1].copy()
    out = np.empty(out_ptr[n], np.int32)
    for r in range(n):  # rows in order, so each transposed row comes out sorted
        if keep[r]:
            for k in range(ptr[r], ptr[r + 1]):
                c = idx[k]
                out[pos[c]] = number[r]
                pos[c] += 1
    return out_ptr, out


@njit(cache=True, inline="always")
def _first(idx, lo, hi, key, value, strictly_above):
    """First k in [lo, hi) with key[idx[k]] > value (or ≥ value); key is non-decreasing there."""
    while lo < hi:
        mid = (lo + hi) >> 1
        v = key[idx[mid]]
        if v > value or (v == value and not strictly_above):
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, inline="always")
def _first_node(idx, lo, hi, bound):
    """First k in [lo, hi) with idx[k] ≥ bound."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if idx[mid] >= bound:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, inline="always")
def _window(ptr, idx, p, f_day, f_end, f_year, f_dated, day, year, n_dated, n_year, window):
    """Where in p's citer list a focal paper's window lies: (a0, a1) dated citers by the date rule,
    (y0, y1) undated citers with a year by the year rule, and (t0, t1) dated citers to test one by
    one by year (undated focal paper). ``idx`` numbers papers in node order; ``day`` and ``year``
    are indexed by those numbers, of which ``n_dated`` are dated and ``n_year`` dated or with a year."""
    lo, hi = ptr[p], ptr[p + 1]
    dated_end = _first_node(idx, lo, hi, n_dated)
    year_end = _first_node(idx, dated_end, hi, n_year)
    y0 = _first(idx, dated_end, year_end, year, f_year, False)
    y1 = _first(idx, y0, year_end, year, f_year + window, False)
    if f_dated:  # later is strictly after the focal date, up to its window end
        a0 = _first(idx, lo, dated_end, day, f_day, True)
        a1 = _first(idx, a0, dated_end, day, f_end, True)
        return a0, a1, y0, y1, lo, lo
    # an undated focal paper's window is calendar years for every citer; dated citers' years are
    # not assumed to follow their dates, so they are tested one by one (such papers are rare)
    return lo, lo, y0, y1, lo, dated_end


@njit(cache=True, inline="always")
def _shares_author(auth_ptr, auth_idx, author_bits, c):
    for q in range(auth_ptr[c], auth_ptr[c + 1]):
        a = auth_idx[q]
        if (author_bits[a >> 6] >> np.uint64(a & 63)) & _ONE:
            return 1
    return 0


@njit(cache=True, nogil=True)
def focal_counts(ref_ptr, ref_idx, cit_ptr, cit_idx, auth_ptr, auth_idx, n_authors, day, end_day, year,
                 n_dated, n_year, focal, window, l_references,
                 smp_ptr, smp_idx, dense, smp_day, smp_year, smp_dated, smp_with_year, smp_auth_ptr, smp_auth_idx,
                 part, parts, counts):
    """Fill counts[f, class] for the focal papers f ≡ part (mod parts); see citations.cd_counts.

    Own citers (cit_*) are classified exactly: the references they share with f are counted
    against a bitset of f's references. References-only citers come from the sampled citer lists
    (smp_*, all papers when nothing is sampled), which hold the sampled papers renumbered
    0 … n_sampled − 1 in node order (``dense`` maps a node to it, −1 when not sampled), with their
    own dates, years and authors: the marker arrays of a sweep then stay small and in cache.
    """
    ref_bits = np.zeros((len(day) >> 6) + 1, np.uint64)
    author_bits = np.zeros((n_authors >> 6) + 1, np.uint64)
    size = max(len(smp_day), 1)
    stamp = np.full(size, -1, np.int32)
    shared = np.zeros(size, np.int32)
    touched = np.empty(size, np.int32)
    for f in range(part, n_year, parts):
        if not focal[f]:
            continue
        f_dated = f < n_dated
        y_lo, y_hi = year[f], year[f] + window
        for k in range(ref_ptr[f], ref_ptr[f + 1]):
            r = ref_idx[k]
            ref_bits[r >> 6] |= _ONE << np.uint64(r & 63)
        for k in range(auth_ptr[f], auth_ptr[f + 1]):
            a = auth_idx[k]
            author_bits[a >> 6] |= _ONE << np.uint64(a & 63)
        a0, a1, y0, y1, t0, t1 = _window(cit_ptr, cit_idx, f, day[f], end_day[f], y_lo, f_dated, day, year,
                                         n_dated, n_year, window)
        for run in range(3):
            s, e = (a0, a1) if run == 0 else ((y0, y1) if run == 1 else (t0, t1))
            for k in range(s, e):
                c = cit_idx[k]
                if c == f or (run == 2 and not (y_lo <= year[c] < y_hi)):
                    continue
                d = dense[c]
                if d >= 0:  # a citer of f is never a references-only citer of f
                    stamp[d] = f
                    shared[d] = -1
                n_shared = 0
                for q in range(ref_ptr[c], ref_ptr[c + 1]):
                    r = ref_idx[q]
                    n_shared += (ref_bits[r >> 6] >> np.uint64(r & 63)) & _ONE
                code = 1 + 2 * (n_shared > 0) + 4 * (n_shared >= l_references) \
                    + 8 * _shares_author(auth_ptr, auth_idx, author_bits, c)
                counts[f, code] += 1
        d_f = dense[f]
        m = 0
        for k in range(ref_ptr[f], ref_ptr[f + 1]):
            a0, a1, y0, y1, t0, t1 = _window(smp_ptr, smp_idx, ref_idx[k], day[f], end_day[f], y_lo, f_dated,
                                             smp_day, smp_year, smp_dated, smp_with_year, window)
            for run in range(3):
                s, e = (a0, a1) if run == 0 else ((y0, y1) if run == 1 else (t0, t1))
                for q in range(s, e):
                    d = smp_idx[q]
                    if d == d_f or (run == 2 and not (y_lo <= smp_year[d] < y_hi)):
                        continue
                    if stamp[d] != f:
                        stamp[d] = f
                        shared[d] = 1
                        touched[m] = d
                        m += 1
                    elif shared[d] > 0:
                        shared[d] += 1
        for j in range(m):
            d = touched[j]
            code = 2 + 4 * (shared[d] >= l_references) + 8 * _shares_author(smp_auth_ptr, smp_auth_idx, author_bits, d)
            counts[f, code] += 1
        # only f's bits are set, so clearing their words clears the bitsets
        for k in range(ref_ptr[f], ref_ptr[f + 1]):
            ref_bits[ref_idx[k] >> 6] = 0
        for k in range(auth_ptr[f], auth_ptr[f + 1]):
            author_bits[auth_idx[k] >> 6] = 0
    return 0
