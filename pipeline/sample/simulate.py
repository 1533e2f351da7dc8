"""The simulated world behind the sample: teams, families, papers, citations and per-paper facts.

The simulation, in order:

1. **Research teams** (1–5 authors who always publish together) start in a year with a
   productivity (papers/year, log-normal) and a career length. Each year new teams are created so
   that the field grows ~20 %/year. A team's papers arrive as a Poisson process.
2. **Families**: a team's next paper keeps the previous primary family with probability
   ``persistence`` (planted), otherwise draws from its domain's planted share curve for that year.
   With ``switch_output_elasticity`` β > 0 the stay probability rises with the team's recent output
   (its mean over transitions is still ``persistence``), so switchers are the less productive teams.
   A switch multiplies the team's rate by ``switch_ratio`` for ``switch_window_years``.
3. **Citations**: papers are processed month by month; each cites ``m`` earlier papers (m grows
   with the year) chosen with probability ∝ (in-degree + 1)^α × exp(−age/τ) × homophily (same
   primary family). With α = 1 and no aging (the defaults) the choice is exact and O(1): pick a
   family by its total weight, then a member uniformly (the "+1") or an earlier citation endpoint
   uniformly (the in-degree). Otherwise every available paper's weight is recomputed each month
   (O(papers) per month: meant for samples, not for 1M-paper corpora), and a citing paper's slots
   in a family take a systematic πps sample of its members (no repeats), so a member's inclusion
   probability is exactly slots × weight / family weight and E[Δk] ∝ (k+1)^α × aging × homophily,
   the estimator's model; only the cap at 1 (a paper cites another once) bends it, which matters
   at α > 1 (15 % of the expected citations at α = 1.3).
4. Landmark papers with their real arXiv ids introduce the catalogue's methods, a few pre-2007
   classics carry old-style ids, ~3 % of papers are outside ML.
5. **Per-paper facts** every format shares (title, categories, tasks, DOI, PwC coverage and URL,
   presence in Semantic Scholar), drawn in one date-ordered pass by :meth:`World.papers`, which
   hands each paper's abstract to the writers and forgets it, so abstracts never pile up.

Nothing here knows a file format: the writers in :mod:`pipeline.sample.writers` turn the world
into the sources' formats, and :mod:`pipeline.sample.truth` derives the planted truth.
"""

from __future__ import annotations

import hashlib
import math
import re
from bisect import bisect_right
from collections import defaultdict, deque
from datetime import date, timedelta

import numpy as np

from pipeline.sample import CORPUS_END
from pipeline.sample import catalog as C
from pipeline.sample.text import TextMaker

PLANTED = {
    "persistence": 0.8,
    "switch_ratio": 0.6,
    "switch_window_years": 2,
    "attachment_exponent": 1.0,
    # citation aging: attractiveness × exp(−age/τ) with τ in years; None = no aging
    "aging_years": None,
    # switching falls with recent output: a team's switch probability ∝ exp(−β·z), z = min(its
    # papers in the last switch_window_years, 3) / 3, re-centred so that the mean stay probability
    # over transitions stays ``persistence``; 0 = switching independent of productivity
    "switch_output_elasticity": 0.0,
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
_ML_CORE = frozenset({"cs.LG", "stat.ML", "cs.CL", "cs.CV", "cs.AI", "cs.NE", "cs.IR", "cs.RO", "cs.SD",
                      "eess.AS", "eess.IV", "eess.SP"})


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
    beta = float(PLANTED["switch_output_elasticity"])
    recent: list[deque] = []
    # running mean of exp(−β·z) over transitions, which re-centres the stay probability on persistence
    factor_sum, factor_n = 0.0, 0
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
            recent.append(deque())
            active.append(i)
        for i in active:
            t = t_next[i]
            year_end = yi + 1.0
            d = t_dom[i]
            while t < year_end:
                c = cum[d][yi]
                f = t_fam[i]
                stay = persistence
                if beta:
                    times = recent[i]
                    while times and times[0] < t - window:
                        times.popleft()
                    if f >= 0:
                        factor = math.exp(-beta * min(len(times), 3) / 3.0)
                        factor_sum, factor_n = factor_sum + factor, factor_n + 1
                        stay = 1.0 - min(1.0, (1.0 - persistence) * factor * factor_n / factor_sum)
                    times.append(t)
                if f < 0 or u() >= stay:
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
    """Internal citation edges (citing, cited) by month batches: attachment kernel × aging × homophily."""
    rng = corpus.rngs["cite"]
    year = corpus.year
    citing_ok = corpus.is_ml & (corpus.kind != KIND_CLASSIC)
    mean_m = np.clip(5.0 + 1.1 * (year - C.FIRST_YEAR), 1.0, None)
    m_draw = np.where(citing_ok, rng.poisson(mean_m), 0)
    homophily = np.ones((NF, NF))
    np.fill_diagonal(homophily, PLANTED["homophily_same_family"])
    month_key = corpus.year * 12 + corpus.month
    bounds = np.concatenate([[0], np.nonzero(np.diff(month_key))[0] + 1, [corpus.n]])
    if float(PLANTED["attachment_exponent"]) == 1.0 and PLANTED["aging_years"] is None:
        citing, cited = _cite_linear(corpus, rng, m_draw, homophily, bounds)
    else:
        citing, cited = _cite_kernel(corpus, rng, m_draw, homophily, bounds, month_key)
    if citing:
        return np.concatenate(citing), np.concatenate(cited)
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _month_citers(corpus: Corpus, rng, m_draw, homophily, weight, b0, b1):
    """This month's citing slots (citing paper, family to cite), each family drawn ∝ homophily × weight."""
    citing_ok = corpus.is_ml & (corpus.kind != KIND_CLASSIC)
    idx = np.arange(b0, b1)
    cit = idx[citing_ok[idx] & (m_draw[idx] > 0)]
    if not len(cit) or weight.sum() <= 0:
        return None
    m = m_draw[cit]
    cf = np.repeat(corpus.family[cit], m)
    src = np.repeat(cit, m)
    probs = homophily * weight[None, :]
    rows = probs.sum(axis=1, keepdims=True)
    cum = np.cumsum(probs / np.where(rows > 0, rows, 1.0), axis=1)
    g = np.minimum((rng.random(len(cf))[:, None] > cum[cf]).sum(axis=1), NF - 1)
    # float round-off can land a draw on a zero-weight family: drop it
    ok = weight[g] > 0
    return src[ok], g[ok]


def _cite_linear(corpus: Corpus, rng, m_draw, homophily, bounds):
    """Exponent 1 without aging, exact in O(1) per citation: a member uniformly or an endpoint uniformly."""
    n, fam = corpus.n, corpus.family
    members = [np.nonzero(corpus.is_ml & (fam == f))[0] for f in range(NF)]
    avail = np.zeros(NF, dtype=np.int64)
    ep = [np.empty(64, dtype=np.int64) for _ in range(NF)]
    ep_len = np.zeros(NF, dtype=np.int64)
    citing_all, cited_all = [], []
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        drawn = _month_citers(corpus, rng, m_draw, homophily, (avail + ep_len).astype(float), b0, b1)
        if drawn is not None:
            weight = (avail + ep_len).astype(float)
            src, g = drawn
            cited = np.empty(len(g), dtype=np.int64)
            u_mix = rng.random(len(g))
            u_pick = rng.random(len(g))
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
            avail[f] = int(np.searchsorted(members[f], b1))
    return citing_all, cited_all


def _cite_kernel(corpus: Corpus, rng, m_draw, homophily, bounds, month_key):
    """Any exponent α and aging τ: each month, every earlier paper weighs (k + 1)^α · exp(−age/τ).

    A citing paper's m_f slots in family f (drawn as in the linear path) take a systematic πps
    sample of the family's members without repeats, so member j is cited with probability
    m_f · w_j / W_f exactly (capped at 1): E[Δk] ∝ (k + 1)^α · aging · homophily, no saturation
    from repeated draws.
    """
    n, fam = corpus.n, corpus.family
    alpha, tau = float(PLANTED["attachment_exponent"]), PLANTED["aging_years"]
    citable = np.nonzero(corpus.is_ml)[0]
    indeg = np.zeros(n)
    citing_all, cited_all = [], []
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        # a fresh random order each month: systematic sampling never picks two papers whose
        # intervals fall between the same two points, so a fixed (date) order would tie neighbours
        pool = rng.permutation(citable[:int(np.searchsorted(citable, b0))])
        w = (indeg[pool] + 1.0) ** alpha
        if tau is not None:
            w = w * np.exp(-(month_key[b0] - month_key[pool]) / (12.0 * float(tau)))
        pool_fam = fam[pool]
        weight = np.bincount(pool_fam, weights=w, minlength=NF)
        drawn = _month_citers(corpus, rng, m_draw, homophily, weight, b0, b1) if len(pool) else None
        if drawn is None:
            continue
        src, g = drawn
        s_parts, c_parts = [], []
        for f in np.unique(g).tolist():
            mem = pool[pool_fam == f]
            cw = np.cumsum(w[pool_fam == f])
            # per citing paper, m points (u + r)/m on the family's cumulative weight: member j (an
            # interval m·w_j/W_f steps long) is hit at most once when that is ≤ 1, with probability
            # exactly m·w_j/W_f. Above 1 it is hit every time (inclusion capped at 1; the surplus
            # hit is a repeat dropped below). The cap is what a reference list without repeats
            # forces; on 3,000-paper worlds with aging τ = 4 it drops 0.08 % of the expected
            # citations at α = 0.7, 0.3 % at α = 1, but 15 % at α = 1.3, where a few papers hold
            # most of their family's weight (super-linear attachment condenses).
            cit, m = np.unique(src[g == f], return_counts=True)
            first = np.cumsum(m) - m
            slot = np.arange(int(m.sum())) - np.repeat(first, m)
            points = (np.repeat(rng.random(len(cit)), m) + slot) / np.repeat(m, m) * cw[-1]
            at = np.searchsorted(cw, points, side="right")
            s_parts.append(np.repeat(cit, m))
            c_parts.append(mem[np.minimum(at, len(mem) - 1)])
        key = np.unique(np.concatenate(s_parts) * n + np.concatenate(c_parts))
        s, c = key // n, key % n
        citing_all.append(s)
        cited_all.append(c)
        np.add.at(indeg, c, 1.0)
    return citing_all, cited_all


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _NON_ALNUM.sub("-", text.lower()).strip("-")[:60].rstrip("-")


def _s2_id(seed: int, key: str) -> str:
    return hashlib.sha1(f"s2:{seed}:{key}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# 5: per-paper facts shared by every format


class World:
    """The corpus, its citation edges and the per-paper facts every writer reads."""

    def __init__(self, n_papers: int, seed: int):
        corpus = _build_corpus(int(n_papers), int(seed))
        citing, cited = _cite(corpus)
        self.c = corpus
        self.citing, self.cited = citing, cited
        self.text = TextMaker(corpus.seed * 1_000_003 + 7)
        self.rng = np.random.default_rng([corpus.seed, 77])
        self.counts: dict[str, int] = {}
        # facts a writer derives from what it wrote (e.g. frameworks of code links), for the truth
        self.facts: dict[str, object] = {}
        n = corpus.n
        self.titles: list[str] = [""] * n
        self.model: list[str] = [""] * n
        self.tasks: list[list[str]] = [[] for _ in range(n)]
        self.dataset_of: list[str] = [""] * n
        self.in_pwc = np.zeros(n, dtype=bool)
        self.pwc_url: list[str | None] = [None] * n
        self.doi: list[str | None] = [None] * n
        self.categories: list[str] = [""] * n
        # Whether S2 knows a paper is a fact of the world (truth and the S2 writer both need it);
        # the S2 writer continues this same random stream.
        self.s2_absent = ((np.random.default_rng([corpus.seed, 15]).random(n) < PLANTED["s2_absent_fraction"])
                          & (corpus.kind != KIND_LANDMARK))

    def papers(self):
        """Draw the per-paper facts in date order, yielding ``(index, abstract)`` for the writers."""
        c, r, tm = self.c, self.rng, self.text
        n = c.n
        u = r.random((n, 8))
        dois = r.random(n)
        for i in np.nonzero(dois < 0.3)[0].tolist():
            self.doi[i] = f"10.{1000 + int(dois[i] * 30000) % 9000}/{c.ids[i].replace('/', '.')}"
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
                yield i, abstract
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
            yield i, abstract

    def authors(self, i: int) -> list[tuple[str, str]]:
        """Paper ``i``'s authors as (keyname, forenames), in byline order."""
        first, size = int(self.c.a_first[i]), int(self.c.a_size[i])
        return [_author_name(a) for a in range(first, first + size)]
