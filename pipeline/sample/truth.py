"""The planted truth of a sample: ``truth.json`` (curves, realised values, tolerances, definitions)
and ``truth_papers.jsonl.gz`` (per-paper labels).

Tests of the estimators compare with these numbers, which come from the simulation itself, never
from an estimator under test.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from pipeline.sample import CORPUS_END, GENERATOR_VERSION, SNAPSHOT_CUTOFF
from pipeline.sample import catalog as C
from pipeline.sample.simulate import (
    FAMILY_INDEX, ND, NF, NY, PLANTED, Corpus, World, _day, _to_date, pytorch_planted_share,
    takeover_family_and_year,
)
from pipeline.sample.writers import GzJsonLines

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



def write_truth_papers(w: World, out) -> None:
    """Per-paper labels (ML or not, domain, families, coverage) as ``truth_papers.jsonl.gz``."""
    c = w.c
    out = GzJsonLines(out / "truth_papers.jsonl.gz")
    for i in range(c.n):
        fams = [] if c.family[i] < 0 else [C.FAMILIES[c.family[i]]] + [C.FAMILIES[f] for f in c.sec[i] if f >= 0]
        out.write({"id": c.ids[i], "is_ml": bool(c.is_ml[i]),
                   "domain": C.DOMAINS[c.domain[i]] if c.domain[i] >= 0 else None,
                   "primary_family": fams[0] if fams else None, "families": fams,
                   "ambiguous_text": bool(c.ambiguous[i]), "in_pwc": bool(w.in_pwc[i]),
                   "in_s2": not bool(w.s2_absent[i]), "team": int(c.team[i]),
                   "published": _to_date(int(c.day[i])).isoformat()})
    out.close()



def truth(w: World) -> dict:
    """The truth dict written as ``truth.json``."""
    c, citing, cited = w.c, w.citing, w.cited
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
    for y, fw in w.facts.get("framework_by_year", {}).items():
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
                               "pairs": ps["pairs"],
                               "switch_output_elasticity": PLANTED["switch_output_elasticity"]},
        "switch_penalty": {"window_years": PLANTED["switch_window_years"],
                           "planted_productivity_ratio": PLANTED["switch_ratio"],
                           "realised_productivity_ratio": round(ps["ratio"], 4),
                           "switch_events": ps["switch_events"], "stayer_events": ps["stayer_events"]},
        "attachment_exponent": {"planted": PLANTED["attachment_exponent"], "realised": att["realised"],
                                "aging_years": PLANTED["aging_years"],
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
    "author_persistence": "planted: the probability that a team's next paper keeps its previous primary family "
                          "(else it is drawn from the domain-year mix, which may repeat it by chance), averaged over "
                          "transitions; with switch_output_elasticity b > 0 a team's switch probability is "
                          "proportional to exp(-b * min(papers in the last switch_window_years, 3) / 3), re-centred "
                          "on that mean. Realised: over every author's consecutive ML papers (date order), the "
                          "fraction where the primary family of the next paper equals that of the previous one "
                          "(raw, chance repeats included).",
    "switch_penalty": "event = an author's paper at date t whose primary family differs from their previous paper "
                      "(switch) or equals it and the author made no switch in [t - window, t) (clean stay), with t + window <= 2025-12-31; rate = the author's papers in "
                      "(t, t + window] / window years. Stayers are matched to switchers on (year of t, career-stage "
                      "bucket min((year - author's first year)//2, 3), prior papers min(n, 4)); ratio = sum of "
                      "switcher rates / sum of their cells' mean stayer rates.",
    "attachment_exponent": "citing papers pick cited papers with probability proportional to (in-degree+1)^alpha x "
                           "exp(-age / aging_years) (age in years, no aging when null) x 4 if same primary family "
                           "else 1, among papers of earlier months. Realised: slope of "
                           "log(mean citations received in year Y / normaliser) on log(mean (k+1)) over log2 bins "
                           "of in-degree k at the start of Y, 2015-2025 pooled.",
    "pytorch_share": "share of PyTorch among code-link rows with a known framework (not 'none') by paper year, "
                     "duplicates counted as written.",
}



def true_label_warehouse(w: World, con, transitions_sql: str) -> None:
    """The marts the indicators read, built in ``con`` from the world's own labels (teams as authors).

    No text, classification or identity resolution sits between the planted process and the
    indicators, so only the estimators and sampling noise are left to test. ``transitions_sql`` is
    the warehouse's `fct_author_transitions` model, passed in because the sample package imports
    nothing of the pipeline.
    """
    import pyarrow as pa

    c = w.c
    ml = np.nonzero(c.is_ml & (c.family >= 0) & (c.domain >= 0))[0]
    ids = np.array(c.ids, dtype=object)
    dates = c.day.astype("datetime64[D]")
    con.register("_truth_papers", pa.table({
        "paper_id": ids[ml], "published_date": dates[ml], "year": c.year[ml].astype(np.int32),
        "primary_family": np.array(C.FAMILIES, dtype=object)[c.family[ml]],
        "primary_domain": np.array(C.DOMAINS, dtype=object)[c.domain[ml]], "team": c.team[ml]}))
    con.execute("CREATE OR REPLACE TABLE dim_papers AS SELECT paper_id, published_date, year, primary_family, "
                "'truth' AS family_provenance, primary_domain, true AS is_ml FROM _truth_papers")
    con.execute("CREATE OR REPLACE TABLE fct_paper_families AS SELECT paper_id, primary_family AS family, 1.0 AS weight, "
                "true AS is_primary, 'truth' AS provenance, 1.0 AS confidence FROM _truth_papers")
    con.execute("CREATE OR REPLACE TABLE fct_authorships AS SELECT paper_id, 'team' || team AS author_id FROM _truth_papers")
    con.unregister("_truth_papers")
    keep = c.is_ml[w.citing] & c.is_ml[w.cited] & (c.family[w.cited] >= 0) & (c.domain[w.cited] >= 0) \
        & (c.family[w.citing] >= 0) & (c.domain[w.citing] >= 0)
    con.register("_truth_citations", pa.table({
        "citing_paper_id": ids[w.citing[keep]], "cited_paper_id": ids[w.cited[keep]],
        "citing_year": c.year[w.citing[keep]].astype(np.int32)}))
    con.execute("CREATE OR REPLACE TABLE fct_citations AS SELECT * FROM _truth_citations")
    con.unregister("_truth_citations")
    # the graph mart's in_degree, which the indicators read instead of counting the edges again
    con.register("_truth_in_degrees", pa.table({
        "paper_id": ids[ml], "in_degree": np.bincount(w.cited[keep], minlength=len(ids))[ml].astype(np.int64)}))
    con.execute("CREATE OR REPLACE TABLE fct_paper_citation_metrics AS SELECT * FROM _truth_in_degrees")
    con.unregister("_truth_in_degrees")
    con.execute(f"CREATE OR REPLACE TABLE fct_author_transitions AS {transitions_sql}")
