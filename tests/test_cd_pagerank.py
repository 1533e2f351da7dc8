"""The CD sweep against the pre-sweep SQL join, its citer-sampling estimator against the exact
counts, and PageRank's warm start against a cold run.

The property graphs are built so that a slipped rule shows: windows that bind (9 years of papers),
papers published the same day, Feb 29 dates, papers with a year but no date (their windows fall
back to calendar years), papers with neither, non-ML papers, and a small author pool so that many
later papers share an author with the focal one.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pytest

from pipeline.indicators import citations

LOG = logging.getLogger("test.cd")
ORACLE = Path(__file__).with_name("data") / "cd_index_pairs_oracle.sql"
COMPARED = ("year", "family", "n_references", "n_cite_focal_only", "n_cite_both", "n_cite_refs_only", "n_t",
            "n_self_citers", "cd_eligible", "cd", "cd_nok", "di_l", "window_complete")


def _world(seed: int, n_range=(50, 90), n_authors: int = 8):
    """dim_papers, fct_citations and fct_authorships rows of a random dense citation graph."""
    rnd = random.Random(seed)
    papers = []
    for i in range(rnd.randint(*n_range)):
        day = date(2012, 1, 1) + timedelta(days=rnd.randint(0, 9 * 365))
        kind = rnd.random()
        if papers and kind < 0.15 and papers[-1][1] is not None:
            day = papers[-1][1]  # published the same day as another paper: not "later"
        elif kind < 0.2:
            day = date(rnd.choice([2012, 2016]), 2, 29)
        published, year = (day, day.year)
        if 0.2 <= kind < 0.3:
            published = None  # a year but no date: the window uses calendar years
        elif 0.3 <= kind < 0.33:
            published, year = None, None  # neither: never focal, never in a window
        papers.append((f"p{i:03d}", published, year, rnd.choice(["cnn", "transformer", "rnn"]), rnd.random() < 0.9))
    by_id = {p[0]: p for p in papers}
    popular = [p[0] for p in papers[: max(5, len(papers) // 6)]]
    cites = set()
    for p in papers:
        for _ in range(rnd.randint(3, 12)):
            q = rnd.choice(popular) if rnd.random() < 0.5 else rnd.choice(papers)[0]
            if q != p[0]:
                cites.add((p[0], q))
    citations_rows = [(a, b, by_id[a][1], by_id[a][2]) for a, b in sorted(cites)]
    authorships = sorted({(p[0], f"a{rnd.randrange(n_authors)}") for p in papers for _ in range(rnd.randint(1, 3))})
    return papers, citations_rows, authorships


def _connect(world) -> duckdb.DuckDBPyConnection:
    papers, cites, authorships = world
    con = duckdb.connect()
    con.execute("CREATE TABLE dim_papers (paper_id VARCHAR, published_date DATE, year INTEGER, "
                "primary_family VARCHAR, is_ml BOOLEAN)")
    con.executemany("INSERT INTO dim_papers VALUES (?, ?, ?, ?, ?)", papers)
    con.execute("CREATE TABLE fct_citations (citing_paper_id VARCHAR, cited_paper_id VARCHAR, citing_date DATE, "
                "citing_year INTEGER)")
    con.executemany("INSERT INTO fct_citations VALUES (?, ?, ?, ?)", cites)
    con.execute("CREATE TABLE fct_authorships (paper_id VARCHAR, author_id VARCHAR)")
    con.executemany("INSERT INTO fct_authorships VALUES (?, ?)", authorships)
    return con


def _oracle(con, keep_self: bool) -> dict:
    sql = ORACLE.read_text()
    for key, value in {"window": 5, "l_references": citations.CD_L_REFERENCES,
                       "min_references": citations.CD_MIN_REFERENCES, "keep_self": int(keep_self)}.items():
        sql = sql.replace("{{ %s }}" % key, str(value))
    con.execute(sql)
    cols = ", ".join(COMPARED)
    return {r[0]: r[1:] for r in con.execute(f"SELECT paper_id, {cols} FROM oracle_cd").fetchall()}


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("keep_self", [False, True])
def test_sweep_equals_the_pairwise_sql_join(seed, keep_self):
    con = _connect(_world(seed))
    citations.build_cd_index(con, LOG, keep_self_citations=keep_self)
    got = {r[0]: r[1:] for r in con.execute(f"SELECT paper_id, {', '.join(COMPARED)} FROM ind_cd_index").fetchall()}
    want = _oracle(con, keep_self)
    assert got.keys() == want.keys()
    assert sum(w[COMPARED.index("cd")] is not None for w in want.values()) >= 5  # not vacuous
    assert any(w[COMPARED.index("n_self_citers")] for w in want.values())
    for pid, w in want.items():
        g = got[pid]
        for name, a, b in zip(COMPARED, g, w):
            assert (a is None and b is None) or a == pytest.approx(b, abs=1e-12), (pid, name, a, b)
    assert con.execute("SELECT bool_and(cd_exact) AND max(cd_se) = 0 FROM ind_cd_index").fetchone()[0]


def test_a_full_citer_sample_reproduces_the_exact_counts():
    """The sampled path (own citers exactly + references-only citers from the sampled lists) at rate 1."""
    con = _connect(_world(11))
    inputs = citations.cd_inputs(con)
    exact = citations.cd_counts(**inputs, window=5, l_references=5, keep_self=False)
    full = citations.cd_counts(**inputs, window=5, l_references=5, keep_self=False,
                               citer_sample=np.ones(len(inputs["day"]), dtype=bool))
    assert exact["n_k"].sum() > 0 and exact["n_j"].sum() > 0
    for key in exact:
        assert np.array_equal(exact[key], full[key]), key


def _sampled_refs_only_citers(inputs: dict, sample: np.ndarray, window: int, l_refs: int) -> dict:
    """n_k, n_k_l and n_self_k of every paper among the sampled papers, by brute force over sets."""
    day, end_day, year = inputs["day"], inputs["end_day"], inputs["year"]
    dated, has_year, focal = inputs["dated"], inputs["has_year"], inputs["focal"]
    n = len(day)
    refs = [set() for _ in range(n)]
    for a, b in zip(inputs["citing"], inputs["cited"]):
        refs[a].add(b)
    authors = [set() for _ in range(n)]
    for p, a in zip(inputs["author_paper"], inputs["author"]):
        authors[p].add(a)
    out = {k: np.zeros(n, dtype=np.int64) for k in ("n_k", "n_k_l", "n_self_k")}
    for f in range(n):
        if not focal[f] or not (dated[f] or has_year[f]):
            continue
        for c in np.flatnonzero(sample):
            if c == f or f in refs[c]:
                continue
            if dated[f] and dated[c]:
                inside = day[f] < day[c] <= end_day[f]
            else:
                inside = has_year[c] and year[f] <= year[c] < year[f] + window
            shared = len(refs[c] & refs[f])
            if not inside or not shared:
                continue
            if authors[c] & authors[f]:
                out["n_self_k"][f] += 1
            else:
                out["n_k"][f] += 1
                out["n_k_l"][f] += shared >= l_refs
    return out


@pytest.mark.parametrize("seed", [3, 6])
def test_the_sampled_sweep_counts_exactly_the_sampled_references_only_citers(seed):
    """At a partial rate, n_k, n_k_l and n_self_k are those of the sampled papers, counted one by one."""
    con = _connect(_world(seed, n_range=(120, 120), n_authors=30))
    inputs = citations.cd_inputs(con)
    sample = np.random.default_rng(seed).random(len(inputs["day"])) < 0.4
    got = citations.cd_counts(**inputs, window=5, l_references=2, keep_self=False, citer_sample=sample)
    want = _sampled_refs_only_citers(inputs, sample, window=5, l_refs=2)
    assert want["n_k"].sum() > 50 and want["n_self_k"].sum() > 0 and want["n_k_l"].sum() > 0
    undated_focal = inputs["focal"] & ~inputs["dated"] & inputs["has_year"]
    assert (want["n_k"][undated_focal] > 0).any()  # the year rule is exercised
    for key, value in want.items():
        assert np.array_equal(got[key], value), key


def test_citer_sampling_is_unbiased_and_its_standard_error_covers():
    """Over 40 citer samples at rate 0.3, n_k averages to the exact count; ±1.96 SE covers ~95%."""
    con = _connect(_world(3, n_range=(260, 260), n_authors=60))
    inputs = citations.cd_inputs(con)
    n = len(inputs["day"])
    all_exact = citations.cd_counts(**inputs, window=5, l_references=5, keep_self=False)
    exact = all_exact["n_k"].astype(float)
    rate, seeds = 0.3, 40
    draws = []
    for seed in range(seeds):
        sample = np.random.default_rng(seed).random(n) < rate
        got = citations.cd_counts(**inputs, window=5, l_references=5, keep_self=False, citer_sample=sample)
        for key in ("n_i", "n_j", "n_i_l", "n_j_l", "n_references"):  # the focal paper's own citers stay exact
            assert np.array_equal(got[key], all_exact[key]), (seed, key)
        m = got["n_k"]
        draws.append((m / rate, np.sqrt(m * (1 - rate)) / rate))
    est = np.array([d[0] for d in draws])
    se = np.array([d[1] for d in draws])
    big = exact >= 20
    assert big.sum() >= 30
    sd_of_mean = np.sqrt(exact * (1 - rate) / rate) / np.sqrt(seeds)
    assert np.all(np.abs(est.mean(axis=0) - exact)[big] <= 4 * sd_of_mean[big])
    covered = (np.abs(est - exact) <= 1.96 * se)[:, big].mean()
    assert 0.88 <= covered <= 0.99


def test_over_the_budget_every_paper_gets_an_estimate_with_a_standard_error():
    con = _connect(_world(5, n_range=(200, 200), n_authors=40))
    citations.build_cd_index(con, LOG)
    exact = {r[0]: r[1:] for r in con.execute(
        "SELECT paper_id, cd, cd_nok, n_cite_focal_only, n_cite_both FROM ind_cd_index").fetchall()}
    bound = con.execute("SELECT sum(n * n) FROM (SELECT count(*) AS n FROM fct_citations GROUP BY cited_paper_id)"
                        ).fetchone()[0]
    citations.build_cd_index(con, LOG, pair_budget=int(bound * 0.4))
    rows = con.execute("SELECT paper_id, cd, cd_nok, n_cite_focal_only, n_cite_both, cd_se, cd_exact, "
                       "citer_sample_rate FROM ind_cd_index").fetchall()
    assert {r[0] for r in rows} == exact.keys()
    defined = [r for r in rows if r[1] is not None]
    assert len(defined) >= 20
    assert all(r[2:5] == exact[r[0]][1:4] for r in rows)  # cd_nok and the paper's own citers are exact
    assert all(not r[6] and r[7] == pytest.approx(0.4, abs=1e-3) for r in rows)
    assert all(r[5] >= 0 for r in defined) and any(r[5] > 0 for r in defined)
    z = np.array([(r[1] - exact[r[0]][0]) / r[5] for r in defined if r[5] > 0])
    assert np.mean(np.abs(z) <= 3) >= 0.9
    family_rate = con.execute("SELECT min(citer_sample_rate) FROM ind_cd_family_year").fetchone()[0]
    assert family_rate == pytest.approx(0.4, abs=1e-3)


def test_an_estimate_with_no_sampled_citer_is_not_reported_as_exact():
    """At a low rate many papers have no sampled references-only citer: their n_k estimate is 0, but its
    standard error is not, so the CD of such a paper never looks exact."""
    con = _connect(_world(5, n_range=(200, 200), n_authors=40))
    bound = con.execute("SELECT sum(n * n) FROM (SELECT count(*) AS n FROM fct_citations GROUP BY cited_paper_id)"
                        ).fetchone()[0]
    citations.build_cd_index(con, LOG, pair_budget=int(bound * 0.03))
    rows = con.execute("SELECT cd_se, n_cite_focal_only <> n_cite_both FROM ind_cd_index "
                       "WHERE cd IS NOT NULL AND n_cite_refs_only = 0 AND NOT cd_exact").fetchall()
    assert len(rows) >= 5
    assert all(se > 0 for se, unequal in rows if unequal)


# ---------------------------------------------------------------------------------------- PageRank


def _graph_tables(con, n: int, m: int, seed: int, extra: int = 0) -> None:
    """dim_papers / fct_citations / fct_references of a random citation graph (+ extra new papers)."""
    rng = np.random.default_rng(seed)
    total = n + extra
    src = rng.integers(1, total, m)
    dst = np.floor(src * rng.random(m) ** 2).astype(np.int64)
    keep = src != dst
    con.execute("CREATE OR REPLACE TABLE dim_papers AS SELECT printf('p%06d', i) AS paper_id FROM range(?) t(i)",
                [total])
    import pyarrow as pa

    edges = pa.table({"citing_paper_id": [f"p{i:06d}" for i in src[keep]],
                      "cited_paper_id": [f"p{i:06d}" for i in dst[keep]]})
    con.register("_edges", edges)
    con.execute("CREATE OR REPLACE TABLE fct_citations AS SELECT DISTINCT * FROM _edges")
    con.execute("CREATE OR REPLACE TABLE fct_references AS SELECT citing_paper_id, cited_paper_id, "
                "true AS cited_is_ml FROM fct_citations")
    con.unregister("_edges")


def test_warm_start_agrees_with_cold_and_needs_fewer_iterations(tmp_path, caplog):
    from pipeline.warehouse.citations import build_citation_metrics

    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:  # last night: 3000 papers
        _graph_tables(con, 3000, 20000, seed=1)
        build_citation_metrics(con, SimpleNamespace(log=LOG, published=None))
    con = duckdb.connect()
    _graph_tables(con, 3000, 20500, seed=1, extra=40)  # tonight: 40 new papers and their edges
    with caplog.at_level(logging.INFO, logger=LOG.name):
        caplog.clear()
        build_citation_metrics(con, SimpleNamespace(log=LOG, published=None))
        cold = dict(con.execute("SELECT paper_id, pagerank FROM fct_paper_citation_metrics").fetchall())
        build_citation_metrics(con, SimpleNamespace(log=LOG, published=published))
        warm = dict(con.execute("SELECT paper_id, pagerank FROM fct_paper_citation_metrics").fetchall())
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("PageRank:")]
    assert "cold start" in lines[0] and "warm-started from the published ranks of 3000 of 3040 papers" in lines[1]
    cold_iters, warm_iters = (int(line.split()[1]) for line in lines)
    assert warm_iters < cold_iters
    assert cold.keys() == warm.keys() and len(cold) == 3040
    assert max(abs(cold[k] - warm[k]) for k in cold) < 1e-9
    assert sum(warm.values()) == pytest.approx(1.0, abs=1e-12)
    attached = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = '_published'").fetchone()
    assert attached[0] == 0


def test_an_unreadable_published_warehouse_means_a_cold_start(tmp_path, caplog):
    from pipeline.warehouse.citations import build_citation_metrics

    bad = tmp_path / "published.duckdb"
    bad.write_bytes(b"not a duckdb file")
    con = duckdb.connect()
    _graph_tables(con, 500, 2000, seed=2)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        build_citation_metrics(con, SimpleNamespace(log=LOG, published=bad))
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("PageRank: cannot read the published warehouse") for m in messages)
    assert any(m.startswith("PageRank:") and "cold start" in m and "iterations" in m for m in messages)
    assert con.execute("SELECT count(*) FROM fct_paper_citation_metrics").fetchone()[0] == 500


def test_digest_says_when_cd_values_are_estimated(tmp_path):
    """The CD headline reads 'exact' only when every value is; otherwise it names the sampling rate and SE."""
    import duckdb

    from pipeline.indicators import digest, format_digest

    for exact, needle in ((True, "exact"), (False, "ESTIMATED: references-only citers sampled at 5.00%")):
        path = tmp_path / f"cd_{exact}.duckdb"
        con = duckdb.connect(str(path))
        con.execute(f"""CREATE TABLE ind_cd_index AS SELECT * FROM (VALUES
            (0.2, 0.0, true, 1.0, true), (0.4, {0.0 if exact else 0.01}, {str(exact).lower()},
             {1.0 if exact else 0.05}, true), (NULL, NULL, true, 1.0, false))
            t(cd, cd_se, cd_exact, citer_sample_rate, window_complete)""")
        con.close()
        lines = format_digest(digest(path)).splitlines()
        hit = [i for i, line in enumerate(lines) if line.startswith("CD index")]
        assert hit and "n=2 papers" in lines[hit[0]] and "mean 0.300" in lines[hit[0]]
        assert needle in lines[hit[0]] and lines[hit[0] + 1].startswith("  caveat: ")
