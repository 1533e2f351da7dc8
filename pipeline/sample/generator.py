"""Deterministic synthetic corpus in the sources' real formats, with planted, known truth.

The simulation, in order:

1. **Research teams** (1–5 authors who always publish together) start in a year with a
   productivity (papers/year, log-normal) and a career length. Each year new teams are created so
   that the field grows ~20 %/year. A team's papers arrive as a Poisson process.
2. **Families**: a team's next paper keeps the previous primary family with probability
   ``persistence`` (planted), otherwise draws from its domain's planted share curve for that year.
   A switch multiplies the team's rate by ``switch_ratio`` for ``switch_window_years``.
3. **Citations**: papers are processed month by month; each cites ``m`` earlier papers (m grows
   with the year) chosen with probability ∝ (in-degree + 1)^1 × homophily (same primary family).
   With exponent 1 the choice is exact and O(1): pick a family by its total weight, then a member
   uniformly (the "+1") or an earlier citation endpoint uniformly (the in-degree).
4. Landmark papers with their real arXiv ids introduce the catalogue's methods, a few pre-2007
   classics carry old-style ids, ~3 % of papers are outside ML.

Everything is written streaming (gzip, mtime 0, fixed key order), so the same seed and size give
byte-identical files.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import math
import os
import re
import shutil
import socket
import uuid
from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipeline.sample import CORPUS_END, GENERATOR_VERSION, SNAPSHOT_CUTOFF
from pipeline.sample import catalog as C
from pipeline.sample.text import TextMaker, wrap

PLANTED = {
    "persistence": 0.8,
    "switch_ratio": 0.6,
    "switch_window_years": 2,
    "attachment_exponent": 1.0,
    "homophily_same_family": 4.0,
    "annual_growth": 1.16,
    "ambiguous_fraction": 0.07,
    "non_ml_fraction": 0.03,
    "s2_absent_fraction": 0.02,
    "draw_lead_years": 1.5,
}
FAMILY_INDEX = {f: i for i, f in enumerate(C.FAMILIES)}
DOMAIN_INDEX = {d: i for i, d in enumerate(C.DOMAINS)}
NF, ND, NY = len(C.FAMILIES), len(C.DOMAINS), len(C.YEARS)
_EPOCH = date(1970, 1, 1)
KIND_SIM, KIND_LANDMARK, KIND_CLASSIC, KIND_NON_ML = 0, 1, 2, 3
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_METHOD_FAMILY = {m[0]: m[2] for m in C.METHODS}
_PROCEEDINGS = ("neurips-2019-12", "icml-2020-1", "iclr-2021-1", "cvpr-2022-1", "acl-2023-7", None, None, None)
_ML_CORE = frozenset({"cs.LG", "stat.ML", "cs.CL", "cs.CV", "cs.AI", "cs.NE", "cs.IR", "cs.RO", "cs.SD",
                      "eess.AS", "eess.IV", "eess.SP"})
_LICENSES = ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "http://creativecommons.org/licenses/by/4.0/",
             "http://creativecommons.org/licenses/by-nc-sa/4.0/", None)


# ---------------------------------------------------------------------------------------------
# planted curves


def planted_share_table() -> np.ndarray:
    """Planted family shares, array [domain, year, family] (rows sum to 1)."""
    table = np.zeros((ND, NY, NF))
    years = np.array(C.YEARS, dtype=float)
    for d, dom in enumerate(C.DOMAINS):
        for fam, anchors in C.SHARE_ANCHORS[dom].items():
            table[d, :, FAMILY_INDEX[fam]] = np.interp(years, C.ANCHOR_YEARS, anchors)
        table[d] /= table[d].sum(axis=1, keepdims=True)
    return table


def fresh_draw_table(shares_lead_years: float = None) -> np.ndarray:
    """Shares teams draw from when they (re)choose a family: the planted curve read ``lead`` years
    ahead, because persistence makes the realised mix lag whatever teams draw from."""
    lead = PLANTED["draw_lead_years"] if shares_lead_years is None else shares_lead_years
    table = np.zeros((ND, NY, NF))
    years = np.array(C.YEARS, dtype=float) + lead
    for d, dom in enumerate(C.DOMAINS):
        for fam, anchors in C.SHARE_ANCHORS[dom].items():
            table[d, :, FAMILY_INDEX[fam]] = np.interp(years, C.ANCHOR_YEARS, anchors)
        table[d] /= table[d].sum(axis=1, keepdims=True)
    return table


def takeover_family_and_year(shares: np.ndarray) -> dict[str, tuple[str, int | None]]:
    """Per domain: the family dominant in the last year and the first year its share exceeds 0.5."""
    out = {}
    for d, dom in enumerate(C.DOMAINS):
        f = int(np.argmax(shares[d, -1]))
        above = np.nonzero(shares[d, :, f] > 0.5)[0]
        out[dom] = (C.FAMILIES[f], int(C.YEARS[above[0]]) if len(above) else None)
    return out


def pytorch_planted_share(year: int) -> float:
    """Planted PyTorch share among code links with a known framework (TF→PyTorch crossover ~2018)."""
    return float(1.0 / (1.0 + math.exp(-1.1 * (year - 2018.3))))


# ---------------------------------------------------------------------------------------------
# random streams


class _Stream:
    """Python floats from a numpy Generator, drawn in chunks (deterministic consumption order)."""

    def __init__(self, rng: np.random.Generator, kind: str, chunk: int = 1 << 16):
        self.rng, self.kind, self.chunk = rng, kind, chunk
        self.buf: list[float] = []
        self.pos = 0

    def __call__(self) -> float:
        if self.pos >= len(self.buf):
            arr = self.rng.random(self.chunk) if self.kind == "u" else self.rng.standard_exponential(self.chunk)
            self.buf, self.pos = arr.tolist(), 0
        self.pos += 1
        return self.buf[self.pos - 1]


def _author_name(index: int) -> tuple[str, str]:
    """Injective author index → (keyname, forenames); the first surname×forename block has no
    middle initials, later blocks add one or two, and each block is scrambled so teams look varied."""
    s_n, f_n = len(C.SURNAMES), len(C.FORENAMES)
    block = s_n * f_n
    r, base = divmod(index, block)
    a = (base * 7919 + 12345 * r + 1) % block  # 7919 is prime, coprime with the block: a bijection
    s, f = a % s_n, a // s_n
    forenames = C.FORENAMES[f]
    if r:
        forenames += f" {chr(65 + (r - 1) % 26)}."
        if r > 26:
            forenames += f" {chr(65 + ((r - 1) // 26 - 1) % 26)}."
    return C.SURNAMES[s], forenames


# ---------------------------------------------------------------------------------------------
# 1–2: teams, families, productivity


def _simulate_teams(rng: np.random.Generator, n_target: int, shares: np.ndarray) -> dict:
    """Team careers → ML papers with (team, time in years since 2012, domain, primary family)."""
    u, e = _Stream(rng, "u"), _Stream(rng, "e")
    persistence, ratio, window = PLANTED["persistence"], PLANTED["switch_ratio"], PLANTED["switch_window_years"]
    growth = PLANTED["annual_growth"] ** np.arange(NY)
    per_year = n_target * growth / growth.sum()
    dom_cum = np.cumsum([C.DOMAIN_WEIGHTS[d] for d in C.DOMAINS]).tolist()
    cum = [[np.cumsum(shares[d, y]).tolist() for y in range(NY)] for d in range(ND)]

    t_dom: list[int] = []
    t_lam: list[float] = []
    t_end: list[int] = []
    t_next: list[float] = []
    t_fam: list[int] = []
    t_pen: list[float] = []
    t_start: list[int] = []
    p_team: list[int] = []
    p_t: list[float] = []
    p_fam: list[int] = []
    active: list[int] = []
    mean_lam = 1.4
    for yi in range(NY):
        active = [i for i in active if t_end[i] >= yi]
        expected = sum(min(t_lam[i], 6.0) for i in active)
        n_new = max(0, int(round((per_year[yi] - expected) / (1.0 + 0.5 * mean_lam))))
        for _ in range(n_new):
            i = len(t_dom)
            t_dom.append(bisect_right(dom_cum, u() * dom_cum[-1]))
            t_lam.append(min(6.0, mean_lam * math.exp(0.5 * (sum(u() for _ in range(3)) - 1.5) * 1.2)))
            t_end.append(yi + int(-math.log(1.0 - u()) * 6.0))
            t_next.append(yi + u())
            t_fam.append(-1)
            t_pen.append(-1.0)
            t_start.append(yi)
            active.append(i)
        for i in active:
            t = t_next[i]
            year_end = yi + 1.0
            d = t_dom[i]
            while t < year_end:
                c = cum[d][yi]
                f = t_fam[i]
                if f < 0 or u() >= persistence:
                    nf = bisect_right(c, u() * c[-1])
                    if f >= 0 and nf != f:
                        t_pen[i] = t + window
                    f = nf
                    t_fam[i] = f
                p_team.append(i)
                p_t.append(t)
                p_fam.append(f)
                rate = t_lam[i] * (ratio if t < t_pen[i] else 1.0)
                t += e() / rate
            t_next[i] = t
    return {
        "team": np.array(p_team, dtype=np.int64), "t": np.array(p_t), "family": np.array(p_fam, dtype=np.int16),
        "team_domain": np.array(t_dom, dtype=np.int16), "team_start": np.array(t_start, dtype=np.int16),
    }


# ---------------------------------------------------------------------------------------------
# assembling the corpus


def _landmarks() -> list[dict]:
    """Introducing papers of catalogue methods that are on arXiv (real ids, real months)."""
    seen, out = set(), []
    for m in C.METHODS:
        name, _full, family, _cols, (year, month), arxiv, title, _parents, domains, _found = m
        if arxiv in (None, "-") or arxiv in seen:
            continue
        seen.add(arxiv)
        # the id fixes the submission month (the catalogue's intro date is the method's)
        year, month = 2000 + int(arxiv[:2]), int(arxiv[2:4])
        out.append({"id": arxiv, "year": year, "month": month, "family": family, "title": title,
                    "domain": domains.split()[0], "method": name})
    generic_family = {"Adam": "mlp", "AdamW": "mlp", "GELU": "mlp", "Layer Normalization": "rnn", "BPE": "rnn",
                      "Batch Normalization": "cnn", "Cosine Annealing": "cnn", "Mixup": "cnn", "Focal Loss": "cnn",
                      "Multi-Head Attention": "transformer", "Scaled Dot-Product Attention": "transformer",
                      "Residual Connection": "cnn"}
    for name, _full, _cols, _year, arxiv, title in C.GENERIC_METHODS:
        if arxiv in (None, "-") or arxiv in seen:
            continue
        seen.add(arxiv)
        yy, mm = int(arxiv[:2]), int(arxiv[2:4])
        out.append({"id": arxiv, "year": 2000 + yy, "month": mm, "family": generic_family[name], "title": title,
                    "domain": "vision" if generic_family[name] == "cnn" else "general_ml", "method": name})
    return out


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _to_date(day: int) -> date:
    return _EPOCH + timedelta(days=int(day))


def _rfc822(day: int, secs: int) -> str:
    d = _to_date(day)
    return (f"{_DAYS[d.weekday()]}, {d.day} {_MONTHS[d.month - 1]} {d.year} "
            f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d} GMT")


class Corpus:
    """All generated papers as parallel numpy arrays (plus a few Python lists of strings)."""


def _build_corpus(n_papers: int, seed: int) -> Corpus:
    root = np.random.SeedSequence([seed, 20240601])
    rngs = [np.random.default_rng(s) for s in root.spawn(8)]
    r_sim, r_pick, r_meta, r_cite, r_ver, r_ids, r_sec, r_misc = rngs
    shares = planted_share_table()
    landmarks = _landmarks()
    classics = C.CLASSICS
    n_non_ml = max(3, int(round(n_papers * PLANTED["non_ml_fraction"])))
    n_sim = n_papers - n_non_ml - len(landmarks) - len(classics)
    if n_sim < 100:
        raise ValueError(f"--papers must be at least {n_non_ml + len(landmarks) + len(classics) + 100}")

    margin = 1.12
    while True:
        sim = _simulate_teams(r_sim, int(n_sim * margin), fresh_draw_table())
        if len(sim["t"]) >= n_sim:
            break
        margin += 0.1
    keep = np.sort(r_pick.choice(len(sim["t"]), n_sim, replace=False))

    corpus = Corpus()
    year_len = np.array([(date(y + 1, 1, 1) - date(y, 1, 1)).days for y in C.YEARS])
    year_start = np.array([_day(date(y, 1, 1)) for y in C.YEARS])
    t = sim["t"][keep]
    yi = np.minimum(t.astype(np.int64), NY - 1)
    sim_day = year_start[yi] + np.minimum((t - yi) * year_len[yi], year_len[yi] - 1).astype(np.int64)
    sim_team = sim["team"][keep]
    n_teams = len(sim["team_domain"])

    # team members: 1–5 authors each, author indices allocated per team
    team_size = r_meta.choice(np.arange(1, 6), size=n_teams, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    team_first = np.concatenate([[0], np.cumsum(team_size)[:-1]])
    next_author = int(team_size.sum())

    # landmark and classic and non-ML papers get their own one-paper teams
    lm_day = np.array([_day(date(lm["year"], lm["month"], 1)) + int(r_misc.integers(0, 27)) for lm in landmarks])
    cl_day = np.array([_day(date.fromisoformat(c[1])) for c in classics])
    nm_year_p = PLANTED["annual_growth"] ** np.arange(NY)
    nm_yi = r_misc.choice(NY, size=n_non_ml, p=nm_year_p / nm_year_p.sum())
    nm_day = year_start[nm_yi] + (r_misc.random(n_non_ml) * year_len[nm_yi]).astype(np.int64)

    n = n_papers
    kind = np.concatenate([np.full(n_sim, KIND_SIM), np.full(len(landmarks), KIND_LANDMARK),
                           np.full(len(classics), KIND_CLASSIC), np.full(n_non_ml, KIND_NON_ML)]).astype(np.int8)
    day = np.concatenate([sim_day, lm_day, cl_day, nm_day]).astype(np.int64)
    family = np.concatenate([sim["family"][keep], [FAMILY_INDEX[lm["family"]] for lm in landmarks],
                             [FAMILY_INDEX[c[4]] if c[4] else -1 for c in classics],
                             np.full(n_non_ml, -1)]).astype(np.int16)
    domain = np.concatenate([sim["team_domain"][sim_team], [DOMAIN_INDEX[lm["domain"]] for lm in landmarks],
                             [DOMAIN_INDEX["general_ml"] if c[4] else -1 for c in classics],
                             np.full(n_non_ml, -1)]).astype(np.int16)
    n_single = len(landmarks) + len(classics) + n_non_ml
    single_size = r_meta.choice(np.arange(1, 9), size=n_single)
    single_first = next_author + np.concatenate([[0], np.cumsum(single_size)[:-1]])
    next_author += int(single_size.sum())
    a_first = np.concatenate([team_first[sim_team], single_first]).astype(np.int64)
    a_size = np.concatenate([team_size[sim_team], single_size]).astype(np.int64)
    team = np.concatenate([sim_team, n_teams + np.arange(n_single)]).astype(np.int64)
    team_start_year = np.concatenate([sim["team_start"] + C.FIRST_YEAR, np.zeros(n_single, dtype=np.int16)])

    order = np.lexsort((np.arange(n), kind, day))
    kind, day, family, domain, a_first, a_size, team = (x[order] for x in (kind, day, family, domain, a_first, a_size, team))
    src = np.arange(n)[order]  # position in the concatenation, to find landmark/classic records
    dt = day.astype("datetime64[D]")
    year = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1

    # ids: fixed for landmarks/classics; new-style YYMM.NNNN(N) for the rest, in date order per month
    ids: list[str | None] = [None] * n
    fixed_by_src = {n_sim + i: lm["id"] for i, lm in enumerate(landmarks)}
    fixed_by_src.update({n_sim + len(landmarks) + i: c[0] for i, c in enumerate(classics)})
    taken: dict[str, set[int]] = defaultdict(set)
    for pos in range(n):
        fid = fixed_by_src.get(int(src[pos]))
        if fid:
            ids[pos] = fid
            if "/" not in fid:
                taken[fid[:4]].add(int(fid[5:]))
    ym = year * 100 + month
    free = np.nonzero([i is None for i in ids])[0]
    boundaries = np.nonzero(np.diff(ym[free]))[0] + 1
    for group in np.split(free, boundaries):
        if not len(group):
            continue
        y, m = int(year[group[0]]), int(month[group[0]])
        prefix = f"{y % 100:02d}{m:02d}"
        width, cap = (4, 9999) if y < 2015 else (5, 99999)
        excl = taken[prefix]
        k = len(group)
        pool = min(cap, max(3 * k + len(excl) + 50, 200))
        cand = r_ids.choice(pool, size=min(pool, k + len(excl)), replace=False) + 1
        nums = np.sort(np.array([c for c in cand.tolist() if c not in excl][:k]))
        for pos, num in zip(group.tolist(), nums.tolist()):
            ids[pos] = f"{prefix}.{num:0{width}d}"

    # versions (1–4), clipped to the end of the corpus period
    nv = r_ver.choice(np.arange(1, 5), size=n, p=[0.55, 0.28, 0.12, 0.05])
    gaps = np.ceil(r_ver.exponential(110.0, size=(n, 3))).astype(np.int64)
    vdays = np.concatenate([day[:, None], day[:, None] + np.cumsum(gaps, axis=1)], axis=1)
    vdays[np.arange(4)[None, :] >= nv[:, None]] = -1
    vdays[vdays > _day(CORPUS_END)] = -1
    vsecs = r_ver.integers(0, 86400, size=(n, 4))

    is_ml = kind != KIND_NON_ML
    is_ml[(kind == KIND_CLASSIC) & (family < 0)] = False

    # secondary families: 0–2 others drawn from the domain-year curve
    n_sec = r_sec.choice(3, size=n, p=[0.62, 0.30, 0.08])
    sec = np.full((n, 2), -1, dtype=np.int16)
    yidx = np.clip(year - C.FIRST_YEAR, 0, NY - 1)
    u_sec = r_sec.random((n, 6)).tolist()
    cum_tab = np.cumsum(shares, axis=2)
    for i in np.nonzero(is_ml & (n_sec > 0))[0].tolist():
        c = cum_tab[domain[i], yidx[i]].tolist()
        got: list[int] = []
        for trial in range(6):
            f = bisect_right(c, u_sec[i][trial] * c[-1])
            if f != family[i] and f not in got and f < NF:
                got.append(f)
                if len(got) == n_sec[i]:
                    break
        sec[i, :len(got)] = got

    ambiguous = (r_sec.random(n) < PLANTED["ambiguous_fraction"]) & is_ml & (kind == KIND_SIM)

    corpus.__dict__.update(
        n=n, kind=kind, day=day, year=year, month=month, family=family, domain=domain, sec=sec,
        a_first=a_first, a_size=a_size, team=team, team_start_year=team_start_year, ids=ids, src=src,
        vdays=vdays, vsecs=vsecs, is_ml=is_ml, ambiguous=ambiguous, shares=shares, landmarks=landmarks,
        n_sim=n_sim, n_authors=next_author, rngs=dict(cite=r_cite, meta=r_meta, misc=r_misc), seed=seed)
    return corpus


# ---------------------------------------------------------------------------------------------
# 3: citations


def _cite(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """Internal citation edges (citing, cited) by month batches with PA (exponent 1) × homophily."""
    rng = corpus.rngs["cite"]
    n, fam, year = corpus.n, corpus.family, corpus.year
    citable = corpus.is_ml
    citing_ok = corpus.is_ml & (corpus.kind != KIND_CLASSIC)
    mean_m = np.clip(5.0 + 1.1 * (year - C.FIRST_YEAR), 1.0, None)
    m_draw = np.where(citing_ok, rng.poisson(mean_m), 0)
    homophily = np.ones((NF, NF))
    np.fill_diagonal(homophily, PLANTED["homophily_same_family"])
    members = [np.nonzero(citable & (fam == f))[0] for f in range(NF)]
    avail = np.zeros(NF, dtype=np.int64)
    ep = [np.empty(64, dtype=np.int64) for _ in range(NF)]
    ep_len = np.zeros(NF, dtype=np.int64)
    month_key = corpus.year * 12 + corpus.month
    bounds = np.concatenate([[0], np.nonzero(np.diff(month_key))[0] + 1, [n]])
    citing_all, cited_all = [], []
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        idx = np.arange(b0, b1)
        cit = idx[citing_ok[idx] & (m_draw[idx] > 0)]
        weight = (avail + ep_len).astype(float)
        if len(cit) and weight.sum() > 0:
            m = m_draw[cit]
            cf = np.repeat(fam[cit], m)
            src = np.repeat(cit, m)
            probs = homophily * weight[None, :]
            rows = probs.sum(axis=1, keepdims=True)
            cum = np.cumsum(probs / np.where(rows > 0, rows, 1.0), axis=1)
            g = np.minimum((rng.random(len(cf))[:, None] > cum[cf]).sum(axis=1), NF - 1)
            # float round-off can land a draw on a zero-weight family: drop it
            ok = weight[g] > 0
            g, src, cf = g[ok], src[ok], cf[ok]
            cited = np.empty(len(cf), dtype=np.int64)
            u_mix = rng.random(len(cf))
            u_pick = rng.random(len(cf))
            for f in np.unique(g).tolist():
                sel = np.nonzero(g == f)[0]
                from_members = u_mix[sel] * weight[f] < avail[f]
                sm, se = sel[from_members], sel[~from_members]
                cited[sm] = members[f][(u_pick[sm] * avail[f]).astype(np.int64)]
                if len(se):
                    cited[se] = ep[f][(u_pick[se] * ep_len[f]).astype(np.int64)]
            key = np.unique(src * n + cited)
            s, c = key // n, key % n
            citing_all.append(s)
            cited_all.append(c)
            cfam = fam[c]
            for f in np.unique(cfam).tolist():
                add = c[cfam == f]
                need = ep_len[f] + len(add)
                if need > len(ep[f]):
                    grown = np.empty(max(need, 2 * len(ep[f])), dtype=np.int64)
                    grown[:ep_len[f]] = ep[f][:ep_len[f]]
                    ep[f] = grown
                ep[f][ep_len[f]:need] = add
                ep_len[f] = need
        # this month's papers become citable for later months
        for f in range(NF):
            mem = members[f]
            avail[f] = int(np.searchsorted(mem, b1))
    if citing_all:
        return np.concatenate(citing_all), np.concatenate(cited_all)
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# truth


def _fractional_shares(corpus: Corpus) -> np.ndarray:
    """Realised fractional family shares [domain, year, family] over ML papers of 2012–2025."""
    counts = np.zeros((ND, NY, NF))
    sel = np.nonzero(corpus.is_ml & (corpus.year >= C.FIRST_YEAR) & (corpus.domain >= 0))[0]
    nfam = 1 + (corpus.sec[sel] >= 0).sum(axis=1)
    w = 1.0 / nfam
    d, y = corpus.domain[sel], corpus.year[sel] - C.FIRST_YEAR
    np.add.at(counts, (d, y, corpus.family[sel]), w)
    for k in range(2):
        has = corpus.sec[sel, k] >= 0
        np.add.at(counts, (d[has], y[has], corpus.sec[sel, k][has]), w[has])
    tot = counts.sum(axis=2, keepdims=True)
    return np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)


def _author_sequences(corpus: Corpus):
    """(author, paper) pairs of ML papers, sorted by author then date order."""
    ml = np.nonzero(corpus.is_ml & (corpus.family >= 0))[0]
    sizes = corpus.a_size[ml]
    paper = np.repeat(ml, sizes)
    offs = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    author = np.repeat(corpus.a_first[ml], sizes) + offs
    o = np.lexsort((paper, author))
    return author[o], paper[o]


def _persistence_and_switching(corpus: Corpus) -> dict:
    """Realised persistence and post-switch productivity ratio, as defined in truth.json."""
    author, paper = _author_sequences(corpus)
    same_author = author[1:] == author[:-1]
    prev, cur = paper[:-1][same_author], paper[1:][same_author]
    fam = corpus.family
    stay = fam[prev] == fam[cur]
    persistence = float(stay.mean()) if len(stay) else float("nan")

    window = PLANTED["switch_window_years"] * 365
    end = _day(CORPUS_END)
    first_idx = np.concatenate([[True], ~same_author])
    first_year_of = dict(zip(author[first_idx].tolist(), corpus.year[paper[first_idx]].tolist()))
    # papers per author in date order, to count papers in (t, t + window]
    days_by_author: dict[int, list[int]] = defaultdict(list)
    for a, p in zip(author.tolist(), paper.tolist()):
        days_by_author[a].append(int(corpus.day[p]))
    rank_in_author = np.arange(len(author)) - np.repeat(
        np.nonzero(first_idx)[0], np.diff(np.append(np.nonzero(first_idx)[0], len(author))))
    events = []
    pair_author = author[1:][same_author]
    pair_rank = rank_in_author[1:][same_author]
    last_switch: dict[int, int] = {}
    for a, p, r, s in zip(pair_author.tolist(), cur.tolist(), pair_rank.tolist(), stay.tolist()):
        t = int(corpus.day[p])
        recent_switch = last_switch.get(a, -10**9) >= t - window
        if not s:
            last_switch[a] = t
        if t + window > end or (s and recent_switch):
            continue
        dl = days_by_author[a]
        k = 0
        j = r + 1
        while j < len(dl) and dl[j] <= t + window:
            if dl[j] > t:
                k += 1
            j += 1
        y = int(corpus.year[p])
        stage = min((y - first_year_of[a]) // 2, 3)
        prior = min(r, 4)
        events.append(((y, stage, prior), not s, k / PLANTED["switch_window_years"]))
    stayers: dict[tuple, list[float]] = defaultdict(list)
    for cell, switched, rate in events:
        if not switched:
            stayers[cell].append(rate)
    stayer_mean = {cell: sum(rates) / len(rates) for cell, rates in stayers.items()}
    sw_rate, matched, n_sw = 0.0, 0.0, 0
    for cell, switched, rate in events:
        if switched and cell in stayer_mean:
            sw_rate += rate
            matched += stayer_mean[cell]
            n_sw += 1
    ratio = sw_rate / matched if matched > 0 else float("nan")
    return {"persistence": persistence, "pairs": int(len(stay)), "ratio": ratio, "switch_events": n_sw,
            "stayer_events": int(sum(len(v) for v in stayers.values()))}


def _attachment_exponent(corpus: Corpus, citing: np.ndarray, cited: np.ndarray) -> dict:
    """Fit A(k) ∝ (k+1)^α from citations received in year Y vs in-degree k at the start of Y."""
    xs, ys, ws = [], [], []
    cyear = corpus.year[citing]
    for y in range(2015, C.LAST_YEAR + 1):
        before = corpus.is_ml & (corpus.year < y)
        if before.sum() < 50:
            continue
        k0 = np.bincount(cited[cyear < y], minlength=corpus.n)
        dk = np.bincount(cited[cyear == y], minlength=corpus.n)
        k0, dk = k0[before], dk[before]
        if dk.sum() == 0:
            continue
        bins = np.floor(np.log2(k0 + 1)).astype(int)
        norm = dk.sum() / (k0 + 1).sum()
        for b in np.unique(bins):
            s = bins == b
            if s.sum() < 5 or dk[s].sum() == 0:
                continue
            xs.append(np.log((k0[s] + 1).mean()))
            ys.append(np.log(dk[s].mean() / norm))
            ws.append(s.sum())
    if len(xs) < 3:
        return {"realised": None, "bins": len(xs)}
    w = np.sqrt(np.array(ws, dtype=float))
    slope = np.polyfit(np.array(xs), np.array(ys), 1, w=w)[0]
    return {"realised": round(float(slope), 3), "bins": len(xs)}


# ---------------------------------------------------------------------------------------------
# writing


class _GzJsonLines:
    """Deterministic gzip writer (mtime 0, no file name in the header) for JSON lines or arrays."""

    def __init__(self, path: Path, array: bool = False):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = open(path, "wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=1)
        self.array, self.count, self.buf = array, 0, []
        if array:
            self.buf.append("[")

    def write(self, obj) -> None:
        """Write one value as JSON."""
        self.write_raw(json.dumps(obj))  # the default encoder escapes non-ASCII, as the real dumps do

    def write_raw(self, line: str) -> None:
        """Write one already-encoded JSON value."""
        if self.array:
            self.buf.append(("\n" if self.count == 0 else ",\n") + line)
        else:
            self.buf.append(line + "\n")
        self.count += 1
        if len(self.buf) >= 4000:
            self.flush()

    def flush(self) -> None:
        self.gz.write("".join(self.buf).encode("utf-8"))  # ASCII unless a caller disabled escaping
        self.buf = []

    def close(self) -> None:
        if self.array:
            self.buf.append("\n]\n" if self.count else "]\n")
        self.flush()
        self.gz.close()
        self.raw.close()


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _NON_ALNUM.sub("-", text.lower()).strip("-")[:60].rstrip("-")


def _method_url(name: str) -> str:
    return "https://paperswithcode.com/method/" + _slug(name)


def _s2_id(seed: int, key: str) -> str:
    return hashlib.sha1(f"s2:{seed}:{key}".encode()).hexdigest()


def generate(out_dir, papers: int, seed: int) -> dict:
    """Write a complete sample into ``out_dir`` (created/overwritten) and return the truth dict."""
    out = Path(out_dir)
    for sub in ("arxiv", "pwc", "s2", "hf"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    # millions of small long-lived containers and no reference cycles: the cyclic GC would only
    # rescan them again and again (superlinear time at 1M papers)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        corpus = _build_corpus(int(papers), int(seed))
        citing, cited = _cite(corpus)
        writer = _Writer(corpus, citing, cited, out)
        writer.write_all()
        truth = _truth(corpus, citing, cited, writer)
    finally:
        if gc_was_enabled:
            gc.enable()
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    from pipeline.sample.hf_tree import write_hf_tree  # foundation-model trees, own truth in hf/truth.json
    write_hf_tree(out / "hf", int(seed))
    from pipeline.sources.pwc.client import file_sha256

    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "sample.json":
            files[str(path.relative_to(out))] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    meta = {
        "generator_version": GENERATOR_VERSION, "papers": int(papers), "seed": int(seed),
        "snapshot_cutoff": SNAPSHOT_CUTOFF.isoformat(), "corpus_end": CORPUS_END.isoformat(),
        "oai_windows": [[date(2025, m, 1).isoformat(),
                         ((date(2025, m + 1, 1) if m < 12 else date(2026, 1, 1)) - timedelta(days=1)).isoformat()]
                        for m in range(1, 13)],
        "counts": writer.counts, "files": files,
    }
    (out / "sample.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return truth


class _Writer:
    """Streams every output file from the corpus arrays."""

    def __init__(self, corpus: Corpus, citing: np.ndarray, cited: np.ndarray, out: Path):
        self.c, self.out = corpus, out
        self.citing, self.cited = citing, cited
        self.text = TextMaker(corpus.seed * 1_000_003 + 7)
        self.rng = np.random.default_rng([corpus.seed, 77])
        self.counts: dict[str, int] = {}
        n = corpus.n
        self.titles: list[str] = [""] * n
        self.model: list[str] = [""] * n
        self.tasks: list[list[str]] = [[] for _ in range(n)]
        self.dataset_of: list[str] = [""] * n
        self.in_pwc = np.zeros(n, dtype=bool)
        self.pwc_url: list[str | None] = [None] * n
        self.doi: list[str | None] = [None] * n
        self.categories: list[str] = [""] * n
        self.links: list[list[tuple[str, str]]] = [[] for _ in range(n)]

    # -- per-paper attributes ------------------------------------------------------------------
    def _papers_pass(self) -> None:
        """One pass in date order: per-paper attributes, then the arXiv and PwC paper records are
        written at once, so abstracts never accumulate in memory."""
        c, r, tm = self.c, self.rng, self.text
        n = c.n
        u = r.random((n, 8))
        dois = r.random(n)
        for i in np.nonzero(dois < 0.3)[0].tolist():
            self.doi[i] = f"10.{1000 + int(dois[i] * 30000) % 9000}/{c.ids[i].replace('/', '.')}"
        self._open_paper_writers()
        lm_by_src = {c.n_sim + i: lm for i, lm in enumerate(c.landmarks)}
        classic_by_src = {c.n_sim + len(c.landmarks) + i: cl for i, cl in enumerate(C.CLASSICS)}
        prim_cum = {d: (np.cumsum([w for _, w in C.PRIMARY_CATEGORIES[d]]).tolist(), [k for k, _ in C.PRIMARY_CATEGORIES[d]])
                    for d in C.DOMAINS}
        share_now = c.shares
        slug_seen: dict[str, int] = {}
        for i in range(n):
            kind = int(c.kind[i])
            ui = u[i]
            if kind == KIND_NON_ML or (kind == KIND_CLASSIC and c.family[i] < 0):
                base = C.NON_ML_TITLES[int(ui[0] * len(C.NON_ML_TITLES))]
                if kind == KIND_CLASSIC:
                    cl = classic_by_src[int(c.src[i])]
                    self.titles[i], abstract = cl[3], tm.non_ml(cl[3])[1]
                    self.categories[i] = cl[2]
                else:
                    self.titles[i], abstract = tm.non_ml(base)
                    self.categories[i] = C.NON_ML_CATEGORIES[int(ui[1] * len(C.NON_ML_CATEGORIES))]
                self._emit(i, abstract)
                continue
            dom = C.DOMAINS[c.domain[i]]
            y = int(c.year[i])
            fam = C.FAMILIES[c.family[i]]
            secs = tuple(C.FAMILIES[f] for f in c.sec[i] if f >= 0)
            tasks = C.TASKS[dom]
            task = tasks[int(ui[2] * len(tasks))]
            ds = task[2][0] if task[2] else "standard benchmarks"
            self.tasks[i] = [task[0]] + ([tasks[int(ui[3] * len(tasks))][0]] if ui[4] < 0.3 else [])
            if self.tasks[i][-1] == self.tasks[i][0] and len(self.tasks[i]) == 2:
                self.tasks[i].pop()
            self.dataset_of[i] = ds
            negatives: tuple[str, ...] = ()
            if ui[5] < 0.45 and not c.ambiguous[i]:
                yi = min(max(y - C.FIRST_YEAR, 0), NY - 1)
                own = {fam, *secs}
                cand = [C.FAMILIES[f] for f in np.argsort(-share_now[c.domain[i], yi])[:6]
                        if C.FAMILIES[f] not in own and share_now[c.domain[i], yi, f] > 0.02]
                if cand:
                    k = 2 if ui[6] < 0.5 and len(cand) > 1 else 1
                    start = int(ui[7] * len(cand))
                    negatives = tuple(cand[(start + j) % len(cand)] for j in range(k))
            lm = lm_by_src.get(int(c.src[i]))
            cl = classic_by_src.get(int(c.src[i]))
            fixed_title = lm["title"] if lm else (cl[3] if cl else None)
            backbone = None
            if lm:
                parents = next((m[7] for m in C.METHODS if m[0] == lm["method"]), [])
                backbone = next((p for p in parents if _METHOD_FAMILY.get(p) == fam), None)
            title, abstract, model, _named = tm.paper(
                domain=dom, year=max(y, 1990), primary=fam, secondaries=secs, task=task[0], dataset=ds,
                negatives=negatives, ambiguous=bool(c.ambiguous[i]), fixed_title=fixed_title, fixed_backbone=backbone,
                fixed_model=lm["method"] if lm else None)
            self.titles[i], self.model[i] = title, (lm["method"] if lm else model)
            if cl:
                self.categories[i] = cl[2]
            else:
                cum, keys = prim_cum[dom]
                primary = keys[bisect_right(cum, ui[0] * cum[-1])]
                if dom == "rl_robotics" and ui[1] < C.RL_PRIMARY_LG_SHARE:
                    primary = "cs.LG"
                cross = [x for x in C.CROSS_LISTS[dom] if x != primary]
                cats = [primary]
                # archives outside the ML list (cs.SI, q-bio, stat.ME, ...) count as ML only with cs.LG
                if primary not in _ML_CORE or primary == "cs.LG" and dom == "rl_robotics" or ui[3] < 0.55:
                    cats.append("cs.LG" if primary != "cs.LG" else "cs.AI")
                if ui[4] < 0.25:
                    extra = cross[int(ui[6] * len(cross))]
                    if extra not in cats:
                        cats.append(extra)
                self.categories[i] = " ".join(cats)
            # PwC coverage grows with the year; landmarks and cs.LG-primary RL papers always
            p_pwc = 0.35 + 0.25 * (min(max(y, C.FIRST_YEAR), C.LAST_YEAR) - C.FIRST_YEAR) / 13
            if lm or (dom == "rl_robotics" and self.categories[i].startswith("cs.LG")) or ui[7] < p_pwc:
                self.in_pwc[i] = True
                s = _slug(self.titles[i])
                k = slug_seen.get(s, 0)
                slug_seen[s] = k + 1
                self.pwc_url[i] = "https://paperswithcode.com/paper/" + (s if k == 0 else f"{s}-{k}")
            self._emit(i, abstract)
        self._close_paper_writers()

    def write_all(self) -> None:
        """Write every file of the sample."""
        self._papers_pass()
        self._write_pwc()
        self._write_s2()
        self._write_truth_papers()

    # -- arXiv -------------------------------------------------------------------------------
    def _authors(self, i: int) -> list[tuple[str, str]]:
        first, size = int(self.c.a_first[i]), int(self.c.a_size[i])
        return [_author_name(a) for a in range(first, first + size)]

    def _record(self, i: int, r: np.ndarray, abstract: str) -> dict:
        c = self.c
        vd = [int(v) for v in c.vdays[i] if v >= 0]
        names = self._authors(i)
        full = [f"{f} {k}" for k, f in names]
        authors = full[0] if len(full) == 1 else ", ".join(full[:-1]) + " and " + full[-1]
        title = self.titles[i]
        if len(title) > 70:
            cut = title.rfind(" ", 0, 70)
            if cut > 0:
                title = title[:cut] + "\n  " + title[cut + 1:]
        pages = int(r[0] * 30) + 4
        comments = None if r[1] < 0.3 else f"{pages} pages, {int(r[2] * 9) + 1} figures"
        secs = c.vsecs[i]
        return {
            "id": c.ids[i], "submitter": full[0], "authors": authors, "title": title, "comments": comments,
            "journal-ref": None if self.doi[i] is None or r[3] < 0.3 else f"Proc. ML Conf. {int(c.year[i])}",
            "doi": self.doi[i], "report-no": None, "categories": self.categories[i],
            "license": _LICENSES[int(r[4] * len(_LICENSES))] if c.year[i] >= 2008 else None,
            "abstract": "  " + wrap(abstract) + "\n",
            "versions": [{"version": f"v{k + 1}", "created": _rfc822(v, int(secs[k]))} for k, v in enumerate(vd)],
            "update_date": _to_date(vd[-1]).isoformat(),
            "authors_parsed": [[k, f, ""] for k, f in names],
        }

    def _open_paper_writers(self) -> None:
        c = self.c
        self._r_arxiv = np.random.default_rng([c.seed, 11]).random((c.n, 5))
        self._r_pwc = np.random.default_rng([c.seed, 12]).random((c.n, 12))
        self._corpus_out = _GzJsonLines(self.out / "arxiv" / "corpus.jsonl.gz")
        self._snap_out = _GzJsonLines(self.out / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz")
        self._papers_out = _GzJsonLines(self.out / "pwc" / "papers-with-abstracts.json.gz", array=True)
        self._objs = self._method_objects()
        self.method_use: dict[str, int] = defaultdict(int)
        self._last_v = (c.vdays >= 0).sum(axis=1)
        self._dup_papers = 0
        # papers that introduce methods but are not on arXiv (GloVe, LightGBM, ...): PwC knows them
        off_arxiv = [(m[0], m[4][0], m[6]) for m in C.METHODS if m[5] is None] + \
                    [(g[0], 2014, g[5]) for g in C.GENERIC_METHODS if g[4] is None]
        self.off_arxiv_urls = {}
        for name, year, title in off_arxiv:
            url = "https://paperswithcode.com/paper/" + _slug(title)
            self.off_arxiv_urls[name] = (url, title)
            self._papers_out.write({
                "paper_url": url, "arxiv_id": None, "title": title, "abstract": f"We introduce {name}. {title}.",
                "url_abs": f"https://proceedings.example.org/{_slug(title)}",
                "url_pdf": f"https://proceedings.example.org/{_slug(title)}.pdf", "proceeding": None,
                "authors": [f"{f} {k}" for k, f in [_author_name(10_000_000 + len(self.off_arxiv_urls))]],
                "tasks": [], "date": f"{year}-06-01", "methods": [dict(self._objs[name])]})
            self.method_use[name] += 1

    def _emit(self, i: int, abstract: str) -> None:
        """Write paper ``i``'s arXiv record (corpus, and snapshot if before the cutoff) and PwC row.

        Records go out in date order, which is also new-style id order (ids are assigned by month).
        """
        c = self.c
        rec = self._record(i, self._r_arxiv[i], abstract)
        self._corpus_out.write(rec)
        cutoff = _day(SNAPSHOT_CUTOFF)
        if c.day[i] < cutoff:
            kept = [v for v in c.vdays[i] if 0 <= v < cutoff]
            if len(kept) < len(rec["versions"]):
                rec = dict(rec, versions=rec["versions"][:len(kept)], update_date=_to_date(int(kept[-1])).isoformat())
            self._snap_out.write(rec)
        if not self.in_pwc[i]:
            return
        r = self._r_pwc[i]
        names = self._paper_methods(i, r)
        for nm in names:
            self.method_use[nm] += 1
        pid, nv = c.ids[i], int(self._last_v[i])
        row = {"paper_url": self.pwc_url[i], "arxiv_id": pid, "title": self.titles[i], "abstract": abstract,
               "url_abs": f"https://arxiv.org/abs/{pid}v{nv}", "url_pdf": f"https://arxiv.org/pdf/{pid}v{nv}.pdf",
               "proceeding": _PROCEEDINGS[int(r[9] * len(_PROCEEDINGS))],
               "authors": [f"{f} {k}" for k, f in self._authors(i)], "tasks": self.tasks[i],
               "date": _to_date(int(c.day[i])).isoformat(), "methods": [self._objs[nm] for nm in names]}
        self._papers_out.write(row)
        if r[10] < 0.01 or not self._dup_papers:  # the real dump has duplicate rows
            self._papers_out.write(row)
            self._dup_papers += 1

    def _close_paper_writers(self) -> None:
        for w in (self._corpus_out, self._snap_out, self._papers_out):
            w.close()
        self.counts["arxiv_corpus"] = self._corpus_out.count
        self.counts["arxiv_snapshot"] = self._snap_out.count
        self.counts["pwc_papers_rows"] = self._papers_out.count
        self.counts["pwc_papers_duplicate_rows"] = self._dup_papers

    # -- PwC -------------------------------------------------------------------------------
    def _method_objects(self) -> dict[str, dict]:
        objs = {}
        for name, full, family, cols, _year, _arxiv, _title, _parents, _domains, _found in C.METHODS:
            main = cols[0] if cols else None
            objs[name] = {"name": name, "full_name": full, "description": "", "introduced_year": 2000,
                          "source_url": None, "source_title": None, "code_snippet_url": "",
                          "main_collection": None if main is None else {
                              "name": main[0], "description": f"{main[0]} collection.", "parent": None, "area": main[2]}}
        for name, full, cols, _year, _arxiv, _title in C.GENERIC_METHODS:
            main = cols[0] if cols else None
            objs[name] = {"name": name, "full_name": full, "description": "", "introduced_year": 2000,
                          "source_url": None, "source_title": None, "code_snippet_url": "",
                          "main_collection": None if main is None else {
                              "name": main[0], "description": f"{main[0]} collection.", "parent": None, "area": main[2]}}
        return objs

    def _paper_methods(self, i: int, r: np.ndarray) -> list[str]:
        c = self.c
        y = max(int(c.year[i]), 1990)
        dom = C.DOMAINS[c.domain[i]]
        names: list[str] = []
        for k, f in enumerate([c.family[i], *[s for s in c.sec[i] if s >= 0]]):
            fam = C.FAMILIES[f]
            cand = self.text.backbones(fam, dom, y) or [m[0] for m in C.METHODS if m[2] == fam][:1]
            pick = cand[int(r[k] * len(cand))]
            if pick not in names:
                names.append(pick)
        lm_method = self.model[i] if c.kind[i] == KIND_LANDMARK else None
        if lm_method:
            names.insert(0, lm_method)
            for m in C.METHODS:
                if m[0] == lm_method:
                    names.extend(p for p in m[7] if p not in names)
        generic = C.GENERIC_BY_FAMILY.get(C.FAMILIES[c.family[i]], ())
        for k in range(int(r[4] * 4)):
            if generic:
                g = generic[int(r[5 + k] * len(generic))]
                if g not in names:
                    names.append(g)
        return list(dict.fromkeys(names))

    def _write_pwc(self) -> None:
        """The PwC dumps other than papers-with-abstracts (written in the papers pass)."""
        self._write_methods(self.method_use)
        self._write_eval_tables()
        self._write_links()
        self._write_datasets()

    def _write_methods(self, method_use: dict[str, int]) -> None:
        c = self.c
        intro_url = {}
        for i, lm in enumerate(c.landmarks):
            pos = int(np.nonzero(c.src == c.n_sim + i)[0][0])
            intro_url[lm["id"]] = (self.pwc_url[pos], self.titles[pos])
        out = _GzJsonLines(self.out / "pwc" / "methods.json.gz", array=True)
        k = 0
        for name, full, family, cols, (year, _m), arxiv, title, parents, _d, _f in C.METHODS:
            links = " and ".join(f"[{p}]({_method_url(p)})" for p in parents)
            desc = f"**{name}**, or **{full}**, is a {C.FAMILY_TEXT.get(family, {}).get('noun', family)} architecture."
            if parents:
                desc += f" It builds on {links}."
            if name == "ViT":
                desc += " ViT applies a [Transformer](https://paperswithcode.com/method/transformer) directly to sequences of image patches."
            if arxiv == "-":
                paper, iy, src_url, src_title = None, (year if year < 2000 else 2000), None, None
            elif arxiv is None:
                url, t = self.off_arxiv_urls[name]
                paper, iy, src_url, src_title = {"title": t, "url": url}, 2000, f"https://proceedings.example.org/{_slug(t)}", t
            else:
                url, t = intro_url[arxiv]
                paper, iy, src_url, src_title = {"title": t, "url": url}, 2000, f"https://arxiv.org/abs/{arxiv}v1", t
            if paper and k % 9 == 4:
                iy = year  # a few methods carry their real year instead of the placeholder
            k += 1
            collections = [{"collection": cn, "area_id": aid, "area": an} for cn, aid, an in cols]
            if name == "Random Fourier Features":
                collections = [{"collection": cn, "area_id": None, "area": None} for cn, _a, _b in cols]
            out.write({"url": _method_url(name), "name": name, "full_name": full, "description": desc, "paper": paper,
                       "introduced_year": iy, "source_url": src_url, "source_title": src_title,
                       "code_snippet_url": f"https://github.com/mlgraph-sample/{_slug(name)}/blob/main/model.py#L10" if paper else "",
                       "num_papers": method_use.get(name, 0), "collections": collections})
        for name, full, cols, iy, arxiv, title in C.GENERIC_METHODS:
            if arxiv not in (None, "-"):
                url, t = intro_url[arxiv]
                paper, src_url = {"title": t, "url": url}, f"https://arxiv.org/abs/{arxiv}v1"
            elif arxiv is None:
                url, t = self.off_arxiv_urls[name]
                paper, src_url = {"title": t, "url": url}, None
            else:
                paper, src_url, t = None, None, None
            out.write({"url": _method_url(name), "name": name, "full_name": full,
                       "description": f"**{full}** is a generic component used across architectures.", "paper": paper,
                       "introduced_year": iy, "source_url": src_url, "source_title": t, "code_snippet_url": "",
                       "num_papers": method_use.get(name, 0),
                       "collections": [{"collection": cn, "area_id": aid, "area": an} for cn, aid, an in cols]})
        out.close()
        self.counts["pwc_methods"] = out.count

    def _code_link_rows(self, i: int, r: np.ndarray) -> list[dict]:
        c = self.c
        y = int(c.year[i])
        p_code = 0.25 + 0.35 * (min(max(y, C.FIRST_YEAR), C.LAST_YEAR) - C.FIRST_YEAR) / 13
        if r[0] >= p_code:
            return []
        rows = []
        for j in range(1 + (r[1] < 0.15)):
            u = r[2 + 2 * j]
            if u < 0.25:
                fw = "none"
            else:
                v = (u - 0.25) / 0.75
                jax = 0.0 if y < 2019 else min(0.08, 0.02 * (y - 2018))
                other = 0.03 if y >= 2019 else 0.01
                if v < jax:
                    fw = "jax"
                elif v < jax + other:
                    fw = ("mxnet", "paddle", "mindspore")[int(r[3 + 2 * j] * 3)]
                else:
                    w = (v - jax - other) / (1 - jax - other)
                    fw = "pytorch" if w < pytorch_planted_share(y) else "tf"
            owner = self._authors(i)[0][0].lower() + str(int(r[6 + j] * 90) + 10)
            repo = f"https://github.com/{owner}/{_slug(self.model[i] or 'code')}" + ("" if j == 0 else "-reimpl")
            rows.append({"paper_url": self.pwc_url[i], "paper_title": self.titles[i], "paper_arxiv_id": c.ids[i],
                         "paper_url_abs": f"https://arxiv.org/abs/{c.ids[i]}v1",
                         "paper_url_pdf": f"https://arxiv.org/pdf/{c.ids[i]}v1.pdf", "repo_url": repo,
                         "is_official": bool(j == 0 and r[8] < 0.7), "mentioned_in_paper": bool(j == 0 and r[9] < 0.6),
                         "mentioned_in_github": bool(r[10] < 0.5), "framework": fw})
        return rows

    def _write_links(self) -> None:
        c = self.c
        out = _GzJsonLines(self.out / "pwc" / "links-between-papers-and-code.json.gz", array=True)
        rl = np.random.default_rng([c.seed, 13]).random((c.n, 12))
        dup = 0
        fw_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for i in np.nonzero(self.in_pwc)[0].tolist():
            for row in self._code_link_rows(i, rl[i]):
                out.write(row)
                fw_year[int(c.year[i])][row["framework"]] += 1
                self.links[i].append((row["repo_url"], row["framework"]))
                if rl[i, 11] < 0.01 or not dup:
                    out.write(row)
                    dup += 1
        out.close()
        self.counts["pwc_links_rows"] = out.count
        self.counts["pwc_links_duplicate_rows"] = dup
        self.framework_by_year = {y: dict(v) for y, v in sorted(fw_year.items())}

    def _leaderboard_rows(self, task: str, dom: int, spec: tuple, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
        c = self.c
        ds_name, metrics, higher, sub = spec
        cands = [i for i in np.nonzero(self.in_pwc & (c.domain == dom))[0].tolist() if task in self.tasks[i]]
        if len(cands) > 40:
            cands = sorted(rng.choice(cands, 40, replace=False).tolist())
        rows = []
        fam_bonus = {"transformer": 3.0, "diffusion": 2.5, "ssm": 2.0, "cnn": 1.0, "gnn": 1.5}
        for i in cands:
            y = int(c.year[i])
            score = 50 + 2.2 * (y - 2012) + fam_bonus.get(C.FAMILIES[c.family[i]], 0.0) + rng.normal(0, 2.0)
            vals = {}
            for mi, m in enumerate(metrics):
                v = score - 3 * mi
                vals[m] = f"{(v if higher else max(0.5, 100 - v) / 10):.2f}"
            style = rng.random()
            pid = c.ids[i]
            url = (f"https://arxiv.org/abs/{pid}" if style < 0.7 else f"http://arxiv.org/abs/{pid}v2" if style < 0.85
                   else f"https://arxiv.org/pdf/{pid}.pdf")
            link = self.links[i][0][0] if self.links[i] else None
            rows.append((score, {"code_links": [{"title": "", "url": link}] if link else [], "metrics": vals,
                                 "model_links": [], "model_name": self.model[i] + (" (ensemble)" if rng.random() < 0.1 else ""),
                                 "paper_date": None if rng.random() < 0.1 else _to_date(int(c.day[i])).isoformat(),
                                 "paper_title": self.titles[i], "paper_url": url,
                                 "uses_additional_data": bool(rng.random() < 0.15)}))
        rows.append((40.0, {"code_links": [], "metrics": {m: "-" for m in metrics}, "model_links": [],
                            "model_name": "Human performance" if dom == 0 else "Baseline (reported elsewhere)",
                            "paper_date": None, "paper_title": "", "paper_url": "", "uses_additional_data": False}))
        rows.sort(key=lambda x: -x[0])
        main = [row for _, row in rows]
        sub_rows = [dict(row) for _, row in rows[: max(1, len(rows) // 3)]] if sub else []
        return main, sub_rows

    def _write_eval_tables(self) -> None:
        c = self.c
        rng = np.random.default_rng([c.seed, 14])
        out = _GzJsonLines(self.out / "pwc" / "evaluation-tables.json.gz", array=True)
        n_rows = 0
        for dom_name, tasks in C.TASKS.items():
            dom = DOMAIN_INDEX[dom_name]
            for task, area, spec in tasks:
                if spec is None:
                    continue
                ds_name, metrics, _higher, sub = spec
                rows, sub_rows = self._leaderboard_rows(task, dom, spec, rng)
                n_rows += len(rows) + len(sub_rows)
                dataset = {"dataset": ds_name, "description": f"{ds_name} is a standard benchmark for {task.lower()}.",
                           "dataset_citations": [], "dataset_links": [],
                           "sota": {"metrics": list(metrics), "rows": rows}, "subdatasets": []}
                if sub:
                    dataset["subdatasets"].append({"subdataset": sub, "dataset_citations": [], "dataset_links": [],
                                                   "description": "", "sota": {"metrics": list(metrics), "rows": sub_rows}})
                subtasks = []
                if task == "Question Answering":
                    qa_rows, _ = self._leaderboard_rows(task, dom, ("Natural Questions", ["EM"], True, None), rng)
                    n_rows += len(qa_rows)
                    subtasks.append({"task": "Open-Domain Question Answering", "description": "Answering questions from a large corpus.",
                                     "categories": [area], "datasets": [{"dataset": "Natural Questions", "description": "",
                                                                         "dataset_citations": [], "dataset_links": [],
                                                                         "sota": {"metrics": ["EM"], "rows": qa_rows}, "subdatasets": []}],
                                     "subtasks": [], "synonyms": [], "source_link": None})
                out.write({"categories": [area], "datasets": [dataset], "description": f"{task} task.",
                           "source_link": None, "subtasks": subtasks, "synonyms": [], "task": task})
        out.close()
        self.counts["pwc_eval_tasks"] = out.count
        self.counts["pwc_eval_rows"] = n_rows

    def _write_datasets(self) -> None:
        out = _GzJsonLines(self.out / "pwc" / "datasets.json.gz", array=True)
        modality = {"nlp": ["Texts"], "vision": ["Images"], "speech_audio": ["Audio", "Speech"], "graphs": ["Graphs"],
                    "rl_robotics": ["Environment"], "time_series": ["Time series"], "tabular_classic": ["Tabular"],
                    "bio_medicine": ["Medical", "Biology"]}
        seen = set()
        for dom_name, tasks in C.TASKS.items():
            for task, _area, spec in tasks:
                if spec is None:
                    continue
                for name in (spec[0], spec[3]):
                    if not name or name in seen:
                        continue
                    seen.add(name)
                    intro = len(seen) % 4 != 0
                    out.write({"url": "https://paperswithcode.com/dataset/" + _slug(name), "name": name, "full_name": name,
                               "homepage": f"https://datasets.example.org/{_slug(name)}",
                               "description": f"{name} is a benchmark dataset for {task.lower()}.",
                               "paper": {"title": f"The {name} benchmark", "url": "https://paperswithcode.com/paper/" + _slug(f"the {name} benchmark")} if intro else None,
                               "introduced_date": f"{2009 + len(seen) % 12}-0{1 + len(seen) % 9}-15" if intro else None,
                               "warning": None, "modalities": modality.get(dom_name, []),
                               "tasks": [{"task": task, "url": "https://paperswithcode.com/task/" + _slug(task)}],
                               "languages": ["English"] if dom_name == "nlp" else [], "variants": [name],
                               "num_papers": 50 + 37 * len(seen), "data_loaders": []})
        out.close()
        self.counts["pwc_datasets"] = out.count

    # -- Semantic Scholar ------------------------------------------------------------------
    def _write_s2(self) -> None:
        c = self.c
        seed = c.seed
        rng = np.random.default_rng([seed, 15])
        n = c.n
        absent = (rng.random(n) < PLANTED["s2_absent_fraction"]) & (c.kind != KIND_LANDMARK)
        self.s2_absent = absent
        corpus_id = 2_000_000 + rng.permutation(n) * 97 + rng.integers(0, 97, size=n)
        n_ext = max(200, n // 3)
        ext_cid = 300_000_000 + rng.permutation(n_ext) * 13
        ext_year = rng.integers(1990, 2025, size=n_ext)
        ext_doi = [f"10.{1000 + k % 8000}/ext.{k:07d}" for k in range(n_ext)]
        ext_title = [f"{C.NON_ML_TITLES[k % len(C.NON_ML_TITLES)].split(' ', 1)[1]} ({k})" for k in range(n_ext)]
        order = np.argsort(self.citing, kind="stable")
        citing_sorted, cited_sorted = self.citing[order], self.cited[order]
        starts = np.searchsorted(citing_sorted, np.arange(n + 1))
        indeg = np.bincount(self.cited, minlength=n)
        mean_ext = np.clip(3.0 + 0.2 * (c.year - C.FIRST_YEAR), 1.0, None)
        n_ext_refs = rng.poisson(mean_ext)
        s2_ids = [_s2_id(seed, x) for x in c.ids]
        ext_s2 = [_s2_id(seed, x) for x in ext_doi]
        ref_cache: list[str | None] = [None] * n
        ext_cache: list[str | None] = [None] * n_ext
        out = _GzJsonLines(self.out / "s2" / "papers.jsonl.gz")
        n_ext_total = n_null = 0
        for i in range(n):
            if absent[i]:
                continue
            refs = []
            for j in cited_sorted[starts[i]:starts[i + 1]].tolist():
                ref = ref_cache[j]
                if ref is None:
                    ref = ref_cache[j] = json.dumps(self._s2_ref(j, absent[j], s2_ids[j], int(corpus_id[j])))
                if absent[j]:
                    n_null += 1
                refs.append(ref)
            k_ext = int(n_ext_refs[i])
            if k_ext:
                picks = (rng.pareto(1.2, size=k_ext) * 7).astype(np.int64) % n_ext
                unresolved = rng.random(k_ext) < 0.08
                for e, unres in zip(picks.tolist(), unresolved.tolist()):
                    if unres:
                        refs.append(json.dumps({"paperId": None, "corpusId": None, "externalIds": None,
                                                "title": ext_title[e], "year": None}))
                        n_null += 1
                    else:
                        ref = ext_cache[e]
                        if ref is None:
                            ref = ext_cache[e] = json.dumps(
                                {"paperId": ext_s2[e], "corpusId": int(ext_cid[e]),
                                 "externalIds": {"DOI": ext_doi[e], "CorpusId": int(ext_cid[e])},
                                 "title": ext_title[e], "year": int(ext_year[e])})
                        refs.append(ref)
                    n_ext_total += 1
            ext_ids = {"ArXiv": c.ids[i]}
            if self.doi[i]:
                ext_ids["DOI"] = self.doi[i]
            ext_ids["CorpusId"] = int(corpus_id[i])
            cites = int(indeg[i]) + int(rng.poisson(1 + 0.5 * indeg[i]))
            head = json.dumps({"paperId": s2_ids[i], "externalIds": ext_ids, "corpusId": int(corpus_id[i]),
                               "title": self.titles[i], "year": int(c.year[i]), "referenceCount": len(refs),
                               "citationCount": cites, "influentialCitationCount": int(cites * 0.1)})
            # references are encoded once per cited paper and spliced in, in the API's key order
            out.write_raw(head[:-1] + ', "references": [' + ", ".join(refs) + "]}")
        out.close()
        self.counts["s2_papers"] = out.count
        self.counts["s2_absent"] = int(absent.sum())
        self.counts["s2_external_references"] = n_ext_total
        self.counts["s2_null_references"] = n_null
        self.counts["internal_citations"] = int(len(self.citing))

    def _s2_ref(self, j: int, absent: bool, s2_id: str, corpus_id: int) -> dict:
        """How a corpus paper appears in others' reference lists (unresolved when S2 lacks it)."""
        if absent:
            return {"paperId": None, "corpusId": None, "externalIds": None, "title": self.titles[j], "year": None}
        ext = {"ArXiv": self.c.ids[j]}
        if self.doi[j]:
            ext["DOI"] = self.doi[j]
        ext["CorpusId"] = corpus_id
        return {"paperId": s2_id, "corpusId": corpus_id, "externalIds": ext, "title": self.titles[j],
                "year": int(self.c.year[j])}

    def _write_truth_papers(self) -> None:
        c = self.c
        out = _GzJsonLines(self.out / "truth_papers.jsonl.gz")
        for i in range(c.n):
            fams = [] if c.family[i] < 0 else [C.FAMILIES[c.family[i]]] + [C.FAMILIES[f] for f in c.sec[i] if f >= 0]
            out.write({"id": c.ids[i], "is_ml": bool(c.is_ml[i]),
                       "domain": C.DOMAINS[c.domain[i]] if c.domain[i] >= 0 else None,
                       "primary_family": fams[0] if fams else None, "families": fams,
                       "ambiguous_text": bool(c.ambiguous[i]), "in_pwc": bool(self.in_pwc[i]),
                       "in_s2": not bool(self.s2_absent[i]), "team": int(c.team[i]),
                       "published": _to_date(int(c.day[i])).isoformat()})
        out.close()


def _truth(c: Corpus, citing: np.ndarray, cited: np.ndarray, w: _Writer) -> dict:
    shares = c.shares
    realised = _fractional_shares(c)
    take = takeover_family_and_year(shares)
    takeover = {}
    for d, dom in enumerate(C.DOMAINS):
        fam, planted_year = take[dom]
        f = FAMILY_INDEX[fam]
        above = np.nonzero(realised[d, :, f] > 0.5)[0]
        takeover[dom] = {"family": fam, "planted_year": planted_year,
                         "realised_year": int(C.YEARS[above[0]]) if len(above) else None}
    ps = _persistence_and_switching(c)
    att = _attachment_exponent(c, citing, cited)
    ml_papers = np.nonzero(c.is_ml & (c.year >= C.FIRST_YEAR))[0]
    pt_real = {}
    for y, fw in w.framework_by_year.items():
        known = sum(v for k, v in fw.items() if k != "none")
        if known and C.FIRST_YEAR <= y <= C.LAST_YEAR:
            pt_real[str(y)] = round(fw.get("pytorch", 0) / known, 4)

    def table(arr):
        return {dom: {str(y): {C.FAMILIES[f]: round(float(arr[d, yi, f]), 4) for f in range(NF) if arr[d, yi, f] > 0}
                      for yi, y in enumerate(C.YEARS)} for d, dom in enumerate(C.DOMAINS)}

    per_domain_year = np.zeros((ND, NY), dtype=int)
    np.add.at(per_domain_year, (c.domain[ml_papers], c.year[ml_papers] - C.FIRST_YEAR), 1)
    return {
        "generator": {"version": GENERATOR_VERSION, "seed": c.seed, "papers": c.n},
        "years": [C.FIRST_YEAR, C.LAST_YEAR],
        "domains": list(C.DOMAINS),
        "families": list(C.FAMILIES),
        "snapshot_cutoff": SNAPSHOT_CUTOFF.isoformat(),
        "takeover": takeover,
        "planted_shares": table(shares),
        "realised_shares": table(realised),
        "ml_papers_by_domain_year": {dom: {str(y): int(per_domain_year[d, yi]) for yi, y in enumerate(C.YEARS)}
                                     for d, dom in enumerate(C.DOMAINS)},
        "author_persistence": {"planted": PLANTED["persistence"], "realised": round(ps["persistence"], 4),
                               "pairs": ps["pairs"]},
        "switch_penalty": {"window_years": PLANTED["switch_window_years"],
                           "planted_productivity_ratio": PLANTED["switch_ratio"],
                           "realised_productivity_ratio": round(ps["ratio"], 4),
                           "switch_events": ps["switch_events"], "stayer_events": ps["stayer_events"]},
        "attachment_exponent": {"planted": PLANTED["attachment_exponent"], "realised": att["realised"],
                                "homophily_same_family": PLANTED["homophily_same_family"], "fit_bins": att["bins"]},
        "framework_shift": {"pytorch_share_by_year": pt_real,
                            "planted_pytorch_vs_tensorflow_by_year": {str(y): round(pytorch_planted_share(y), 4) for y in C.YEARS}},
        "foundation_models": [m[0] for m in C.METHODS if m[9]],
        "lineage_cycle": ["Linformer", "Synthesizer"],
        "counts": {"papers": c.n, "ml_papers": int(c.is_ml.sum()), "non_ml_papers": int((~c.is_ml).sum()),
                   "old_style_ids": int(sum("/" in x for x in c.ids)), "authors": int(c.n_authors),
                   "ambiguous_abstracts": int(c.ambiguous.sum()), "in_pwc": int(w.in_pwc.sum()),
                   "internal_citations": int(len(citing)), "s2_absent": int(w.s2_absent.sum())},
        "paper_labels": "truth_papers.jsonl.gz",
        "tolerances": TOLERANCES,
        "definitions": DEFINITIONS,
    }


TOLERANCES = {
    "takeover_year": 1,
    "author_persistence": 0.05,
    "switch_productivity_ratio": 0.15,
    "attachment_exponent": 0.25,
    "family_share": 0.05,
    "pytorch_share": 0.05,
}
DEFINITIONS = {
    "share": "fractional: each ML paper (2012-2025) splits weight 1 equally over its families (primary + "
             "secondaries); share = family weight / domain-year total.",
    "takeover_year": "first year the family's realised fractional share of the domain's ML papers exceeds 0.5.",
    "author_persistence": "over every author's consecutive ML papers (date order): fraction where the primary "
                          "family of the next paper equals that of the previous one.",
    "switch_penalty": "event = an author's paper at date t whose primary family differs from their previous paper "
                      "(switch) or equals it and the author made no switch in [t - window, t) (clean stay), with t + window <= 2025-12-31; rate = the author's papers in "
                      "(t, t + window] / window years. Stayers are matched to switchers on (year of t, career-stage "
                      "bucket min((year - author's first year)//2, 3), prior papers min(n, 4)); ratio = sum of "
                      "switcher rates / sum of their cells' mean stayer rates.",
    "attachment_exponent": "citing papers pick cited papers with probability proportional to (in-degree+1)^alpha x "
                           "4 if same primary family else 1, among papers of earlier months. Realised: slope of "
                           "log(mean citations received in year Y / normaliser) on log(mean (k+1)) over log2 bins "
                           "of in-degree k at the start of Y, 2015-2025 pooled.",
    "pytorch_share": "share of PyTorch among code-link rows with a known framework (not 'none') by paper year, "
                     "duplicates counted as written.",
}


def _matches(target: Path, want: dict) -> bool:
    """True when ``target`` holds a complete sample generated with ``want``'s parameters."""
    try:
        meta = json.loads((target / "sample.json").read_text())
    except (OSError, ValueError):
        return False
    return all(meta.get(k) == v for k, v in want.items()) and all((target / f).exists() for f in meta.get("files", {}))


def ensure_sample(settings) -> Path:
    """Generate the default sample into ``settings.sample_dir`` unless an identical one is there.

    Generation happens in a temporary sibling folder that is renamed into place, so a killed run
    never leaves a half sample; when several processes race, the first complete sample wins.
    """
    target = Path(settings.sample_dir)
    want = {"generator_version": GENERATOR_VERSION, "papers": int(settings.sample_papers), "seed": int(settings.sample_seed)}
    if _matches(target, want):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = target.parent / f".{target.name}.tmp-{tag}"
    old = target.parent / f".{target.name}.old-{tag}"
    try:
        generate(tmp, want["papers"], want["seed"])
        try:
            os.rename(tmp, target)  # fails if the target exists and is not empty
        except OSError:
            if _matches(target, want):  # another process finished the same sample first
                return target
            os.rename(target, old)  # a stale sample (other parameters or version)
            os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target
