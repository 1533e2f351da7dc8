"""Indicators: warehouse tables vs plain-Python references, planted-parameter recovery, docs, digest."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pytest
import yaml
from hypothesis import given, settings as hsettings, strategies as st

from pipeline.indicators import digest, format_digest, reference, simulate, stats
from pipeline.indicators.lockin import (CAREER_STAGE_BINS, PENALTY_WINDOW_YEARS, PRIOR_OUTPUT_BINS,
                                       RECENT_OUTPUT_BINS, STATIONARY_WINDOW_YEARS)
from pipeline.indicators.citations import build_cd_index
from pipeline.indicators.lockin import build_all
from pipeline.indicators.shares import build_shares
from pipeline.indicators.warehouse import build_indicators
from pipeline.warehouse.runner import discover_models, document, run_model_tests

REPO = Path(__file__).resolve().parents[1]
CTX = SimpleNamespace(log=logging.getLogger("test.indicators"))


def _indicator_models():
    return {name: m for name, m in discover_models().items() if m.layer == "indicators"}


def _build(tables, con=None) -> duckdb.DuckDBPyConnection:
    """Load mart tables, run the indicator step, then document its tables as the runner does."""
    con = con or duckdb.connect()
    simulate.load(con, tables)
    # the marts the simulated world does not have: transitions from its model file, no family lineage
    if "fct_authorships" in tables and "dim_papers" in tables:
        transitions = (REPO / "warehouse" / "marts" / "fct_author_transitions.sql").read_text()
        con.execute(f"CREATE OR REPLACE TABLE fct_author_transitions AS {transitions}")
    con.execute("CREATE TABLE IF NOT EXISTS fct_family_lineage (parent_family VARCHAR, child_family VARCHAR)")
    build_indicators(con, CTX)
    for name, model in _indicator_models().items():
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0]:
            document(con, model)
    return con


@pytest.fixture(scope="module")
def world():
    """One simulated world with planted parameters, built once for the module."""
    w = simulate.World()
    tables = simulate.simulate(w)
    con = _build(tables)
    yield w, {k: v.to_pylist() for k, v in tables.items()}, con
    con.close()


def _q(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


# ---------------------------------------------------------------- formulas vs reference (property-based)

shares_strategy = st.lists(st.floats(min_value=0.0, max_value=10.0, allow_subnormal=False), min_size=1, max_size=12).filter(
    lambda xs: sum(xs) > 1e-6)


@hsettings(max_examples=30, deadline=None)
@given(shares_strategy)
def test_diversity_formulas_match_reference(values):
    total = sum(values)
    s = [v / total for v in values]
    assert stats.hhi(np.array(s)) == pytest.approx(reference.hhi(s), abs=1e-12)
    assert stats.shannon(np.array(s)) == pytest.approx(reference.shannon(s), abs=1e-12)
    assert stats.gini(np.array(values)) == pytest.approx(reference.gini(values), abs=1e-12)


@hsettings(max_examples=20, deadline=None)
@given(shares_strategy, shares_strategy)
def test_jsd_matches_reference_and_is_bounded(a, b):
    n = max(len(a), len(b))
    a = a + [0.0] * (n - len(a))
    b = b + [0.0] * (n - len(b))
    p = np.array(a) / sum(a)
    q = np.array(b) / sum(b)
    got = float(stats.jsd(p, q))
    assert got == pytest.approx(reference.jsd(dict(enumerate(p)), dict(enumerate(q))), abs=1e-12)
    assert -1e-12 <= got <= 1 + 1e-12


@hsettings(max_examples=15, deadline=None)
@given(st.integers(min_value=2, max_value=5).flatmap(
    lambda k: st.lists(st.lists(st.integers(min_value=1, max_value=20), min_size=k, max_size=k), min_size=k, max_size=k)))
def test_shorrocks_and_stationary_match_reference(rows):
    counts = np.array(rows, dtype=float)
    p = counts / counts.sum(axis=1, keepdims=True)
    assert stats.shorrocks(p) == pytest.approx(reference.shorrocks(p.tolist()), abs=1e-12)
    np.testing.assert_allclose(stats.stationary_distribution(p), reference.stationary(p.tolist()), atol=1e-9)


def test_bootstrap_collapse_is_resampling():
    """Multinomial over distinct rows must agree in distribution with naive index resampling."""
    rng = np.random.default_rng(0)
    w = np.eye(3)[rng.integers(0, 3, 400)] * 1.0
    reps = stats.bootstrap_weighted_shares(w, stats.rng_for("t"), b=4000)
    naive = np.array([w[rng.integers(0, 400, 400)].mean(axis=0) for _ in range(4000)])
    np.testing.assert_allclose(reps.mean(axis=0), w.mean(axis=0), atol=0.005)
    np.testing.assert_allclose(reps.std(axis=0), naive.std(axis=0), rtol=0.1)


# ---------------------------------------------------------------- random tiny marts vs reference

def _tiny_world(seed: int):
    rng = np.random.default_rng(seed)
    fams = ["cnn", "rnn", "transformer"]
    papers, fam_rows, auth, cites = [], [], [], []
    n = int(rng.integers(25, 60))
    for i in range(n):
        pid = f"p{i:03d}"
        d = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 5)))
        chosen = list(rng.choice(fams, size=int(rng.integers(1, 3)), replace=False))
        papers.append({"paper_id": pid, "year": d.year, "published_date": d,
                       "primary_domain": str(rng.choice(["nlp", "vision"])), "primary_family": chosen[0],
                       "family_provenance": "text", "is_ml": True})
        for j, f in enumerate(chosen):
            fam_rows.append({"paper_id": pid, "family": str(f), "weight": 1 / len(chosen), "is_primary": j == 0,
                             "provenance": "text", "confidence": 0.5})
        for a in rng.choice(8, size=int(rng.integers(1, 3)), replace=False):
            auth.append({"paper_id": pid, "author_id": f"a{a}", "position": 1, "published_date": d, "year": d.year})
    by_date = sorted(papers, key=lambda p: p["published_date"])
    for i, p in enumerate(by_date[1:], start=1):
        for j in set(rng.integers(0, i, size=3).tolist()):
            q = by_date[j]
            if q["published_date"] < p["published_date"]:
                cites.append({"citing_paper_id": p["paper_id"], "cited_paper_id": q["paper_id"],
                              "citing_date": p["published_date"], "citing_year": p["year"],
                              "cited_date": q["published_date"], "cited_year": q["year"]})
    import pyarrow as pa

    return {"dim_papers": pa.Table.from_pylist(papers), "fct_paper_families": pa.Table.from_pylist(fam_rows),
            "fct_authorships": pa.Table.from_pylist(auth), "fct_citations": pa.Table.from_pylist(cites)}


@hsettings(max_examples=4, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_random_marts_match_reference(seed):
    tables = _tiny_world(seed)
    rows = {k: v.to_pylist() for k, v in tables.items()}
    con = duckdb.connect()
    simulate.load(con, tables)
    build_shares(con, CTX.log)
    build_all(con, CTX.log)
    build_cd_index(con, CTX.log)
    try:
        # family shares (fractional), per domain-year
        weights = defaultdict(lambda: defaultdict(dict))
        paper = {p["paper_id"]: p for p in rows["dim_papers"]}
        for r in rows["fct_paper_families"]:
            p = paper[r["paper_id"]]
            weights[(p["primary_domain"], p["year"])][r["paper_id"]][r["family"]] = r["weight"]
        for (dom, year), per_paper in weights.items():
            ref = reference.shares(per_paper)
            got = dict(_q(con, "SELECT family, share FROM ind_family_share WHERE domain=? AND year=?", [dom, year]))
            for fam, s in got.items():
                assert s == pytest.approx(ref.get(fam, 0.0), abs=1e-12)
            conc = _q(con, "SELECT hhi, shannon_entropy, gini, pielou_evenness FROM ind_concentration "
                           "WHERE domain=? AND year=?", [dom, year])[0]
            ref_pielou = reference.pielou(list(ref.values()))
            assert (conc[3] is None and ref_pielou is None) or conc[3] == pytest.approx(ref_pielou, abs=1e-12)
            assert conc[0] == pytest.approx(reference.hhi(list(ref.values())), abs=1e-12)
            assert conc[1] == pytest.approx(reference.shannon(list(ref.values())), abs=1e-12)
            assert conc[2] == pytest.approx(reference.gini([ref.get(f, 0.0) for f in got]), abs=1e-12)
        # transitions
        seqs = defaultdict(list)
        for a in rows["fct_authorships"]:
            p = paper[a["paper_id"]]
            seqs[a["author_id"]].append((p["published_date"], p["paper_id"], p["primary_family"]))
        ref_counts = reference.transitions(seqs)
        got = {(f, t): n for f, t, n in _q(con, "SELECT from_family, to_family, n_transitions FROM ind_transition_matrix")}
        assert {k: v for k, v in got.items() if v} == dict(ref_counts)
        if ref_counts:
            assert _q(con, "SELECT persistence FROM ind_lockin")[0][0] == pytest.approx(reference.persistence(ref_counts))
        # CD index
        edges = [(c["citing_paper_id"], c["cited_paper_id"], c["citing_date"]) for c in rows["fct_citations"]]
        authors = defaultdict(set)
        for a in rows["fct_authorships"]:
            authors[a["paper_id"]].add(a["author_id"])
        for pid, cd in _q(con, "SELECT paper_id, cd FROM ind_cd_index"):
            ref = reference.cd_variants(pid, paper[pid]["published_date"], edges, 5, authors)
            assert (cd is None and ref is None) or cd == pytest.approx(ref["cd"], abs=1e-12)
    finally:
        con.close()


# ---------------------------------------------------------------- simulated world: warehouse vs reference

def test_world_tables_match_reference(world):
    w, rows, con = world
    paper = {p["paper_id"]: p for p in rows["dim_papers"]}
    # unification: mean pairwise JSD of domain distributions per year
    per = defaultdict(lambda: defaultdict(dict))
    for r in rows["fct_paper_families"]:
        p = paper[r["paper_id"]]
        per[p["year"]][p["primary_domain"]].setdefault(r["paper_id"], {})[r["family"]] = r["weight"]
    for year, jsd in _q(con, "SELECT year, mean_pairwise_jsd FROM ind_unification"):
        dists = [reference.shares(per[year][d]) for d in sorted(per[year]) if len(per[year][d]) >= stats.MIN_COUNT]
        assert jsd == pytest.approx(reference.mean_pairwise_jsd(dists), abs=1e-12)
    # adoption: takeover year = first year share > 0.5, per domain
    for dom in w.domains:
        series = {y: reference.shares(per[y][dom]).get(w.newcomer, 0.0) for y in per if per[y].get(dom)}
        got = _q(con, "SELECT year_passed_50pct, year_reached_10pct FROM ind_adoption WHERE family=? AND domain=?",
                 [w.newcomer, dom])[0]
        assert got == (reference.first_year_at(series, 0.5, strict=True), reference.first_year_at(series, 0.1))
    # attachment α per period
    years = {p["paper_id"]: p["year"] for p in rows["dim_papers"]}
    cit = [(c["citing_paper_id"], c["cited_paper_id"], c["citing_year"]) for c in rows["fct_citations"]]
    for t, alpha in _q(con, "SELECT period_start, alpha_raw FROM ind_preferential_attachment "
                            "WHERE kind='citations' AND NOT is_pooled AND alpha IS NOT NULL AND period_start IN (2016, 2022)"):
        assert alpha == pytest.approx(reference.attachment_alpha(reference.citation_kdk(years, cit, t), 1.0), abs=1e-9)
    # lock-in: Shorrocks and stationary distribution over families with >= MIN_COUNT transitions
    seq2 = defaultdict(list)
    for a in rows["fct_authorships"]:
        p = paper[a["paper_id"]]
        seq2[a["author_id"]].append((p["published_date"], p["paper_id"], p["primary_family"]))
    counts = reference.transitions(seq2)
    out_tot = defaultdict(int)
    for (f, _), v in counts.items():
        out_tot[f] += v
    supported = sorted(f for f, v in out_tot.items() if v >= stats.MIN_COUNT)
    p_ref = reference.row_normalise(counts, supported)
    assert _q(con, "SELECT shorrocks_mobility FROM ind_lockin")[0][0] == pytest.approx(reference.shorrocks(p_ref), abs=1e-12)
    # stationary: only transitions whose later paper is in the last STATIONARY_WINDOW_YEARS years
    start = max(p["year"] for p in rows["dim_papers"] if p["primary_family"]) - STATIONARY_WINDOW_YEARS + 1
    recent = {a: [(d, pid, f) for d, pid, f in sorted(s_)] for a, s_ in seq2.items()}
    recent_counts = defaultdict(int)
    for s_ in recent.values():
        for (_, _, f1), (_, pid2, f2) in zip(s_, s_[1:]):
            if paper[pid2]["year"] >= start:
                recent_counts[(f1, f2)] += 1
    recent_tot = defaultdict(int)
    for (f, _), v in recent_counts.items():
        recent_tot[f] += v
    recent_supported = sorted(f for f, v in recent_tot.items() if v >= stats.MIN_COUNT)
    got_pi = dict(_q(con, "SELECT family, stationary_share FROM ind_lockin_stationary"))
    assert set(got_pi) == set(recent_supported)
    for fam, pi in zip(recent_supported, reference.stationary(reference.row_normalise(recent_counts, recent_supported))):
        assert got_pi[fam] == pytest.approx(pi, abs=1e-9)
    # switch penalty
    seqs = defaultdict(list)
    allp = defaultdict(list)
    for a in rows["fct_authorships"]:
        p = paper[a["paper_id"]]
        seqs[a["author_id"]].append((p["published_date"], p["paper_id"], p["primary_family"], p["year"]))
        allp[a["author_id"]].append((p["published_date"], p["paper_id"], p["year"]))
    ncit = defaultdict(int)
    for c in rows["fct_citations"]:
        ncit[c["cited_paper_id"]] += 1
    max_year = max(p["year"] for p in rows["dim_papers"])
    for outcome, ratio, uncorrected in _q(con, "SELECT outcome, ratio, ratio_uncorrected FROM ind_switch_penalty"):
        ref = reference.penalty_ratio(seqs, allp, ncit, PENALTY_WINDOW_YEARS, max_year, CAREER_STAGE_BINS,
                                      PRIOR_OUTPUT_BINS, outcome, RECENT_OUTPUT_BINS)
        plain = reference.penalty_ratio(seqs, allp, ncit, PENALTY_WINDOW_YEARS, max_year, CAREER_STAGE_BINS,
                                        PRIOR_OUTPUT_BINS, outcome, RECENT_OUTPUT_BINS, corrected=False)
        assert ratio == pytest.approx(ref, rel=1e-9)
        assert uncorrected == pytest.approx(plain, rel=1e-9)
        assert (ratio < uncorrected) == (outcome == "papers_per_year")  # the correction lowers only the rate
    # framework shares per year
    by_year = defaultdict(list)
    unknown = defaultdict(int)
    for link in rows["fct_code_links"]:
        if link["framework_raw"] == "none":
            unknown[link["year"]] += 1
        else:
            by_year[link["year"]].append(link["framework"])
    for year, fw, share, n_unknown in _q(con, "SELECT year, framework, links_share, links_unknown_framework "
                                              "FROM ind_framework_share"):
        assert share == pytest.approx(reference.category_shares(by_year[year])[fw])
        assert n_unknown == unknown[year]
    # citation shares: each edge split by the cited paper's family weights
    fam_w = defaultdict(dict)
    for r in rows["fct_paper_families"]:
        fam_w[r["paper_id"]][r["family"]] = r["weight"]
    edges_by_year = defaultdict(list)
    for c in rows["fct_citations"]:
        edges_by_year[c["citing_year"]].append(fam_w[c["cited_paper_id"]])
    # ... over citations to classified papers: those to unclassified ones are their own share, not a family
    cited_shares = _q(con, "SELECT year, family, share, share_ci_low, share_ci_high, unclassified_share, n_citations, "
                           "n_citations_all FROM ind_citation_family_share")
    assert cited_shares and all(fam != "other" for _, fam, *_ in cited_shares)  # (this world classifies all)
    for year, fam, share, lo, hi, unc, n, n_all in cited_shares:
        e = [w for w in edges_by_year[year] if "other" not in w]
        assert (n, n_all) == (len(e), len(edges_by_year[year]))
        assert unc == pytest.approx(1 - len(e) / len(edges_by_year[year]), abs=1e-12)
        assert share == pytest.approx(sum(w.get(fam, 0.0) for w in e) / len(e), abs=1e-12)
        assert lo <= share + 1e-12 and share <= hi + 1e-12
    for year in {y for y, *_ in cited_shares}:
        assert sum(s for y, _, s, *_ in cited_shares if y == year) == pytest.approx(1.0, abs=1e-9)
    # Gini of citations per publication cohort (uncited papers included)
    for year, g in _q(con, "SELECT year, gini FROM ind_citation_gini WHERE year > 2012"):
        cohort = [p["paper_id"] for p in rows["dim_papers"] if p["year"] == year]
        assert g == pytest.approx(reference.gini([ncit[pid] for pid in cohort]), abs=1e-12)
    # leaderboard: share of results and of top results per area-year
    board = defaultdict(list)
    for r in rows["fct_leaderboard_results"]:
        board[(r["area"], r["year"])].append(r)
    for area, year, fam, share, top_share in _q(con, "SELECT area, year, family, results_share, top_results_share "
                                                     "FROM ind_leaderboard_dominance"):
        cell = board[(area, year)]
        assert share == pytest.approx(reference.category_shares([r["family"] for r in cell])[fam])
        tops = [r["family"] for r in cell if r["is_top"]]
        assert (top_share is None and not tops) or top_share == pytest.approx(
            reference.category_shares(tops).get(fam, 0.0))
    # downstream HHI
    down = defaultdict(dict)
    for r in rows["fct_method_downstream_by_year"]:
        down[r["year"]][r["root_method"]] = r["downstream_papers"]
    for year, h in _q(con, "SELECT year, hhi FROM ind_downstream_concentration"):
        tot = sum(down[year].values())
        assert h == pytest.approx(reference.hhi([v / tot for v in down[year].values()]))


def test_planted_parameters_recovered(world):
    """The simulated world's planted values come back within stated tolerances."""
    w, rows, con = world
    alpha, lo, hi = _q(con, "SELECT alpha, alpha_ci_low, alpha_ci_high FROM ind_preferential_attachment "
                            "WHERE kind='citations' AND is_pooled")[0]
    assert abs(alpha - w.alpha) < 0.1 and lo < hi
    ratio, rlo, rhi, n = _q(con, "SELECT ratio, ratio_ci_low, ratio_ci_high, n_switch_events FROM ind_switch_penalty "
                                 "WHERE outcome='papers_per_year'")[0]
    assert abs(ratio - w.penalty) < 0.15 and rlo < ratio < rhi and n > 50
    # persistence: authors keep the family with p, otherwise redraw (which can land on the same family)
    pers = _q(con, "SELECT persistence, persistence_ci_low, persistence_ci_high FROM ind_lockin")[0]
    assert w.persistence <= pers[0] < 1 and pers[1] < pers[0] < pers[2]
    # takeover: within a year or two of the planted year (persistence slows diffusion, never speeds it)
    for dom, planted in w.domains.items():
        got = _q(con, "SELECT year_passed_50pct FROM ind_adoption WHERE family=? AND domain=?", [w.newcomer, dom])[0][0]
        assert got is None and planted >= 2023 or planted <= got <= planted + 2
    # concentration rises as the newcomer takes over: nlp HHI late > early, JSD falls
    early, late = _q(con, "SELECT min(mean_pairwise_jsd) FILTER (WHERE year <= 2014), "
                          "max(mean_pairwise_jsd) FILTER (WHERE year >= 2024) FROM ind_unification")[0]
    assert late < early


def test_no_switch_penalty_when_none_planted():
    # a world large enough that a wrong estimator, not noise, is what misses by 0.05
    w = simulate.World(penalty=1.0, seed=11, n_authors=3000)
    con = duckdb.connect()
    simulate.load(con, simulate.simulate(w))
    build_shares(con, CTX.log)
    build_all(con, CTX.log)
    try:
        ratio, lo, hi = _q(con, "SELECT ratio, ratio_ci_low, ratio_ci_high FROM ind_switch_penalty "
                                "WHERE outcome='papers_per_year'")[0]
        assert abs(ratio - 1.0) < 0.05 and lo < 1.0 < hi
    finally:
        con.close()


def test_low_n_flagged_not_hidden():
    con = _build(_tiny_world(1))
    try:
        flagged, mismatched = _q(con, "SELECT count(*) FILTER (WHERE low_n), "
                                      "count(*) FILTER (WHERE low_n <> (domain_papers < 10)) FROM ind_family_share")[0]
        assert flagged > 0 and mismatched == 0
        # every domain-year with papers is present, however small
        assert _q(con, "SELECT count(DISTINCT (domain, year)) FROM ind_concentration WHERE domain <> 'all'")[0][0] == \
            _q(con, "SELECT count(DISTINCT (primary_domain, year)) FROM dim_papers")[0][0]
        assert _q(con, "SELECT bool_and(share_ci_low <= share + 1e-12 AND share <= share_ci_high + 1e-12) "
                       "FROM ind_family_share")[0][0]
    finally:
        con.close()


def test_bootstrap_is_deterministic():
    tables = _tiny_world(7)
    out = []
    for _ in range(2):
        con = duckdb.connect()
        simulate.load(con, tables)
        build_shares(con, CTX.log)
        build_all(con, CTX.log)
        out.append([_q(con, f"SELECT * FROM {t} ORDER BY ALL") for t in ("ind_family_share", "ind_switch_penalty")])
        con.close()
    assert out[0] == out[1]


# ---------------------------------------------------------------- documentation, comments, digest

def test_every_table_has_yaml_comments_doc_and_passes_model_tests(world):
    _, _, con = world
    built = {r[0] for r in _q(con, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ind_%'")}
    # every NumPy step is built on the simulated marts; SQL models too unless a mart they read is absent
    declared = _indicator_models()
    assert {n for n, m in declared.items() if m.materialized == "python"} <= built <= set(declared)
    models = {n: declared[n] for n in built}
    for name, model in models.items():
        assert model.materialized in ("python", "table")  # NumPy steps, or plain SQL models
        cols = {r[0]: r[1] for r in _q(con, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name=?", [name])}
        assert all(cols.values()), name
        assert _q(con, "SELECT comment FROM duckdb_tables() WHERE table_name=?", [name])[0][0]
        doc = REPO / yaml.safe_load(model.yaml_path.read_text())["docs"]
        assert doc.is_file() and f"`{name}`" in doc.read_text(), (name, doc)
    assert run_model_tests(con, models) == []


def test_missing_input_skips_only_that_group(caplog):
    tables = _tiny_world(3)
    with caplog.at_level(logging.WARNING):
        con = _build(tables)
    try:
        names = {r[0] for r in _q(con, "SELECT table_name FROM duckdb_tables()")}
        assert "ind_downstream_by_year" not in names and "ind_leaderboard_dominance" not in names
        assert {"ind_family_share", "ind_cd_index", "ind_switch_penalty"} <= names
        assert "fct_method_downstream_by_year" in caplog.text
    finally:
        con.close()


def test_digest_and_cli(tmp_path, capsys, world):
    from pipeline.cli import main

    _, _, con = world
    path = tmp_path / "w.duckdb"
    con.execute(f"ATTACH '{path}' AS out")
    con.execute("COPY FROM DATABASE memory TO out")
    con.execute("DETACH out")
    d = digest(path)
    assert {r["domain"] for r in d["domains"]} == set(simulate.World().domains)
    nlp = next(r for r in d["domains"] if r["domain"] == "nlp")
    assert nlp["dominant_family"] == "transformer" and nlp["share_ci_low"] <= nlp["share"] <= nlp["share_ci_high"]
    assert d["unification"]["trend"] == "converging"
    text = format_digest(d)
    for needle in ("nlp", "transformer", "persistence", "ratio", "α", str(path), "docs/indicators"):
        assert needle in text
    assert main(["indicators", "--json", "--warehouse", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lockin"]["persistence"] == pytest.approx(d["lockin"]["persistence"])
    assert main(["indicators", "--warehouse", str(tmp_path / "nope.duckdb")]) == 2


def test_penalty_bootstrap_vectorised_equals_loop():
    """The sparse, chunked author bootstrap equals re-running matched_ratio with each replicate's weights."""
    from pipeline.indicators.lockin import matched_ratio, matched_ratio_replicates

    rng = np.random.default_rng(4)
    n, n_auth = 300, 60
    author = rng.integers(0, n_auth, n)
    author[:n_auth] = np.arange(n_auth)
    stratum = rng.integers(0, 5, n)
    switched = rng.random(n) < 0.3
    y = rng.poisson(2.0, n).astype(float)
    y[::17] = np.nan
    got = matched_ratio_replicates(y, switched, stratum, author, np.random.default_rng(9), b=30, chunk=30)
    draws = np.random.default_rng(9).integers(0, n_auth, size=(30, n_auth), dtype=np.int32)  # production draws int32 indices
    want = [matched_ratio(y, switched, stratum, np.bincount(d, minlength=n_auth)[author].astype(float))[0]
            for d in draws]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_empty_inputs_give_typed_empty_tables(world):
    """No citations, authorships, code links, leaderboard rows or lineage: tables exist, same column types."""
    _, _, full = world
    tables = simulate.simulate(simulate.World(n_authors=60, seed=2))
    for name in ("fct_leaderboard_results", "fct_code_links", "fct_method_downstream_by_year", "fct_citations",
                 "fct_authorships"):
        tables[name] = tables[name].slice(0, 0)
    con = _build(tables)
    try:
        sql = ("SELECT table_name, column_name, data_type FROM duckdb_columns() "
               "WHERE table_name LIKE 'ind_%' ORDER BY ALL")
        assert _q(con, sql) == _q(full, sql)
        assert _q(con, "SELECT count(*) FROM ind_transition_matrix")[0][0] == 0
        assert _q(con, "SELECT n_transitions, persistence FROM ind_lockin")[0] == (0, None)
    finally:
        con.close()


def test_cd_index_sample_under_pair_budget(monkeypatch):
    """Over the pair budget every paper still gets a CD: its own citers exact, n_k estimated with an SE."""
    from pipeline.indicators import citations

    monkeypatch.setattr(citations, "CD_MIN_REFERENCES", 1)  # the tiny world's papers have few references
    con = duckdb.connect()
    simulate.load(con, _tiny_world(5))
    build_cd_index(con, CTX.log)
    cols = "paper_id, cd, cd_nok, n_cite_focal_only, n_cite_both, cd_exact, cd_se"
    full = {r[0]: r for r in _q(con, f"SELECT {cols} FROM ind_cd_index")}
    assert all(r[5] and (r[6] is None or r[6] == 0) for r in full.values())
    assert _q(con, "SELECT coalesce(min(citer_sample_rate), 1.0) FROM ind_cd_family_year")[0] == (1.0,)
    assert any(r[1] is not None for r in full.values())
    build_cd_index(con, CTX.log, pair_budget=400)
    sampled = {r[0]: r for r in _q(con, f"SELECT {cols} FROM ind_cd_index")}
    assert sampled.keys() == full.keys()
    assert all(sampled[p][2:5] == full[p][2:5] for p in full)  # cd_nok and the citer counts stay exact
    assert all(not r[5] for r in sampled.values())
    assert all((r[1] is None) == (full[p][1] is None) for p, r in sampled.items())
    con.close()


def test_fast_grouping_helpers_equal_numpy_unique():
    """distinct_rows, row_groups and sorted_codes give what np.unique gives, order included."""
    import pyarrow as pa

    from pipeline.indicators.db import sorted_codes
    from pipeline.indicators.lockin import row_groups
    from pipeline.indicators.stats import distinct_rows

    rng = np.random.default_rng(3)
    for trial in range(200):
        n, m = int(rng.integers(0, 200)), int(rng.integers(1, 6))
        v = rng.choice([0.0, -0.0, 0.5, 1.0, 1 / 3, 2.0, 0.25, 1e-300], size=(n, m))
        want = np.unique(v, axis=0, return_counts=True)
        got = distinct_rows(v)
        assert np.array_equal(want[0], got[0]) and np.array_equal(want[1], got[1]), trial
        cols = [rng.integers(-3, 9, n) for _ in range(m)]
        if n:
            assert np.array_equal(row_groups(cols), np.unique(np.column_stack(cols), axis=0, return_inverse=True)[1].ravel())
    nan_rows = np.array([[np.nan, 1.0], [np.nan, 1.0], [0.0, 1.0]])
    assert distinct_rows(nan_rows)[0].shape[0] == len(np.unique(nan_rows, axis=0))  # falls back on NaN
    words = ["b", "a", "é", "ab", "B", "a", "日本", "", "ab"]
    codes, values = sorted_codes(pa.chunked_array([words[:4], words[4:]]))
    uniq, inverse = np.unique(np.array(words, dtype=object), return_inverse=True)
    assert codes.tolist() == inverse.ravel().tolist() and values.tolist() == uniq.tolist()
    with pytest.raises(Exception, match="NULL"):
        sorted_codes(pa.chunked_array([["a", None]]))


def test_unclassified_papers_are_no_family_in_citation_shares_and_cd_means():
    """Citations to unclassified papers leave the shares' denominator; 'other' forms no CD family cell."""
    import pyarrow as pa

    tables = simulate.simulate(simulate.World())
    unclassified = {pid for i, pid in enumerate(tables["dim_papers"].column("paper_id").to_pylist()) if i % 7 == 0}
    papers = tables["dim_papers"].to_pylist()
    for p in papers:
        if p["paper_id"] in unclassified:
            p["primary_family"] = "other"
    tables["dim_papers"] = pa.Table.from_pylist(papers, schema=tables["dim_papers"].schema)
    fams, seen = [], set()
    for r in tables["fct_paper_families"].to_pylist():
        if r["paper_id"] in unclassified:
            if r["paper_id"] in seen:
                continue
            seen.add(r["paper_id"])
            r = dict(r, family="other", weight=1.0, is_primary=True)
        fams.append(r)
    tables["fct_paper_families"] = pa.Table.from_pylist(fams, schema=tables["fct_paper_families"].schema)
    con = duckdb.connect()
    simulate.load(con, tables)
    from pipeline.indicators.citations import build_citation_share
    build_citation_share(con, CTX.log)
    build_cd_index(con, CTX.log)

    edges = defaultdict(lambda: [0, 0])
    for c in tables["fct_citations"].to_pylist():
        edges[c["citing_year"]][0] += 1
        edges[c["citing_year"]][1] += c["cited_paper_id"] not in unclassified
    got = _q(con, "SELECT year, family, share, n_citations, n_citations_all, unclassified_share "
                  "FROM ind_citation_family_share")
    assert got and not [g for g in got if g[1] == "other"]
    for year, _, _, n, n_all, unc in got:
        assert (n_all, n) == tuple(edges[year]) and unc == pytest.approx(1 - n / n_all, abs=1e-12)
    assert {y for y, *_ in got} == {y for y, (a, c) in edges.items() if c}
    assert all(abs(sum(s for y2, _, s, *_ in got if y2 == y) - 1) < 1e-9 for y in {y for y, *_ in got})
    assert max(unc for *_, unc in got) > 0.05
    # the per-paper CD keeps the unclassified papers (family 'other'), the family-year means do not
    assert _q(con, "SELECT count(*) FROM ind_cd_index WHERE family = 'other' AND cd IS NOT NULL")[0][0] > 0
    assert _q(con, "SELECT count(*) FROM ind_cd_family_year WHERE family = 'other'")[0][0] == 0
