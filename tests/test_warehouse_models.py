"""Warehouse SQL models on a tiny hand-written lake: identity, domains, families, graphs, marts."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.warehouse import build
from pipeline.warehouse.runner import discover_models, run_model_tests
from warehouse_fixtures import copy_models, family_standin, standin_steps, write_small_lake


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of the small lake shared by the read-only tests of this module."""
    from pipeline.config import load_settings

    base = tmp_path_factory.mktemp("wh")
    settings = load_settings(env={}, home=base / "home")
    write_small_lake(settings.lake)
    root = copy_models(base / "models")
    candidate = build(settings, models_root=root)
    con = duckdb.connect(str(candidate), read_only=True)
    yield con, root, candidate
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_latest_arxiv_metadata_wins_and_duplicates_merge(built):
    con, _, _ = built
    assert rows(con, "SELECT title, updated_date::VARCHAR, n_windows FROM stg_arxiv__papers WHERE paper_id = '2101.00001'") == [
        ("Attention A", "2025-01-05", 2)]
    assert rows(con, "SELECT count(*) FROM stg_arxiv__papers") == [(6,)]


def test_ml_selection_rule_and_pwc_identity(built):
    con, _, _ = built
    got = dict(rows(con, "SELECT paper_id, ml_reason FROM int_papers"))
    assert got == {
        "2101.00001": "category_and_pwc", "2101.00002": "category", "2101.00003": "not_ml",
        "2101.00004": "category_and_pwc", "2101.00005": "category",
        "2101.00006": "not_ml",  # cs.SI without cs.LG
        "pwc:pwc-only-x": "pwc", "2201.09999": "pwc",
    }
    assert rows(con, "SELECT pwc_paper_url FROM int_papers WHERE paper_id = '2101.00001'") == [
        ("https://paperswithcode.com/paper/a",)]
    assert sorted(r[0] for r in rows(con, "SELECT paper_id FROM dim_papers")) == [
        "2101.00001", "2101.00002", "2101.00004", "2101.00005", "2201.09999", "pwc:pwc-only-x"]


def test_domains_from_category_then_pwc_area(built):
    con, _, _ = built
    got = {(p, d): (w, prim, src) for p, d, w, prim, src in rows(con, "SELECT * FROM fct_paper_domains")}
    assert got[("2101.00001", "nlp")] == (1.0, True, "arxiv_primary_category")
    assert got[("2101.00002", "vision")] == (1.0, True, "arxiv_primary_category")
    # cs.LG primary → general_ml, replaced by the PwC task area (Graphs); cs.CV stays secondary.
    assert got[("2101.00004", "graphs")] == (0.5, True, "pwc_task_area")
    assert got[("2101.00004", "vision")] == (0.5, False, "arxiv_secondary_category")
    assert got[("2101.00005", "bio_medicine")] == (1.0, True, "arxiv_primary_category")
    assert got[("pwc:pwc-only-x", "general_ml")] == (1.0, True, "default_general_ml")
    assert len(got) == 7


def test_family_provenance_pwc_then_text_then_none(built):
    con, _, _ = built
    got = {(p, f): (w, prim, prov, conf) for p, f, w, prim, prov, conf in rows(
        con, "SELECT paper_id, family, weight, is_primary, provenance, confidence FROM fct_paper_families")}
    assert got == {
        # PwC methods: transformer + mlp; the generic mlp is never primary while another family exists.
        ("2101.00001", "transformer"): (0.5, True, "pwc", 0.95),
        ("2101.00001", "mlp"): (0.5, False, "pwc", 0.95),
        # PwC (matched by arXiv id) beats the text classifier's transformer.
        ("2101.00002", "cnn"): (1.0, True, "pwc", 0.95),
        ("2101.00004", "gnn"): (0.5, True, "text", 0.7),
        ("2101.00004", "mlp"): (0.5, False, "text", 0.7),
        # The classifier said 'other': unclassified, not a guess.
        ("2101.00005", "other"): (1.0, True, "none", 0.1),
        ("2201.09999", "other"): (1.0, True, "none", 0.1),
        ("pwc:pwc-only-x", "other"): (1.0, True, "none", 0.1),
    }
    assert rows(con, "SELECT primary_family, family_provenance, n_families FROM dim_papers WHERE paper_id = '2101.00004'") == [
        ("gnn", "text", 2)]
    # n_methods: the PwC evidence behind each pwc label; null for text and unclassified rows
    evidence = dict(((p, f), n) for p, f, n in rows(con, "SELECT paper_id, family, n_methods FROM fct_paper_families"))
    assert evidence[("2101.00001", "transformer")] >= 1 and evidence[("2101.00002", "cnn")] >= 1
    assert evidence[("2101.00004", "gnn")] is None and evidence[("2101.00005", "other")] is None


def test_pwc_primary_is_the_family_the_abstract_proposes_when_pwc_lists_it(tmp_path):
    from pipeline.config import load_settings

    settings = load_settings(env={}, home=tmp_path / "home")
    write_small_lake(settings.lake)
    # The abstract of A proposes an MLP; PwC lists transformer and mlp methods for it, so the
    # abstract decides between them. B's abstract names a family PwC does not list: PwC decides.
    standin = family_standin(text_families=[("2101.00001", "mlp", ["mlp"], 0.9),
                                            ("2101.00002", "transformer", ["transformer"], 0.8)])
    candidate = build(settings, steps=standin_steps(standin), models_root=copy_models(tmp_path / "models"))
    con = duckdb.connect(str(candidate), read_only=True)
    got = rows(con, "SELECT paper_id, family FROM fct_paper_families WHERE is_primary AND paper_id LIKE '2101.0000%' "
                    "ORDER BY paper_id")
    con.close()
    assert got[:2] == [("2101.00001", "mlp"), ("2101.00002", "cnn")]


def test_references_resolved_by_arxiv_then_doi_and_reported(built):
    con, _, _ = built
    got = dict(rows(con, "SELECT position, resolution FROM fct_references WHERE citing_paper_id = '2101.00001'"))
    # The older fetch (b1, citing 2101.00005) is superseded by the latest list.
    assert got == {0: "arxiv", 1: "doi", 2: "external", 3: "unresolvable", 4: "arxiv"}
    assert sorted(rows(con, "SELECT citing_paper_id, cited_paper_id FROM fct_citations")) == [
        ("2101.00001", "2101.00002"), ("2101.00001", "2101.00004"), ("2101.00002", "2101.00001"),
        ("2101.00004", "2101.00001"), ("2101.00004", "2101.00002")]
    report = {(s, o): n for s, o, n, _ in rows(con, "SELECT * FROM rpt_identity_resolution")}
    assert report[("references", "arxiv")] == 6 and report[("references", "doi")] == 1
    assert report[("references", "external")] == 1 and report[("references", "unresolvable")] == 1
    assert report[("pwc_papers", "matched_arxiv_lake")] == 2 and report[("pwc_papers", "no_arxiv_id")] == 1
    assert report[("pwc_papers", "arxiv_id_not_in_lake")] == 1
    assert report[("pwc_code_links", "unmatched")] == 1 and report[("s2_lookups", "not_found")] == 1


def test_citation_metrics(built):
    con, _, _ = built
    got = {r[0]: r[1:5] for r in rows(con, "SELECT * FROM fct_paper_citation_metrics")}
    # (in, out, references_total, external): A's non-ML, external and unresolvable refs are external.
    assert got["2101.00001"] == (2, 2, 5, 3)
    assert got["2101.00004"] == (1, 2, 3, 0)
    assert got["2101.00005"] == (0, 0, 0, 0)
    assert rows(con, "SELECT round(sum(pagerank), 12) FROM fct_paper_citation_metrics") == [(1.0,)]


def test_code_links_framework_mapping(built):
    con, _, _ = built
    got = {(p, r.rsplit("/", 1)[1]): (fw, raw) for p, r, fw, raw in rows(con, "SELECT paper_id, repo_url, framework, framework_raw FROM fct_code_links")}
    assert got == {("2101.00001", "a"): ("pytorch", "pytorch"), ("2101.00001", "a-tf"): ("tensorflow", "tf"),
                   ("2101.00002", "b"): ("other", "none"), ("2101.00004", "d"): ("jax", "jax")}


def test_leaderboard_rank_family_and_area(built):
    con, _, _ = built
    got = rows(con, "SELECT row_index, metric_name, paper_id, family, rank_in_table, is_top, area, year "
                    "FROM fct_leaderboard_results WHERE task = 'Machine Translation' ORDER BY metric_name, row_index")
    assert got == [
        (0, "BLEU", "2101.00001", "transformer", 1, True, "Natural Language Processing", 2021),
        (1, "BLEU", "pwc:pwc-only-x", "other", 2, False, "Natural Language Processing", 2020),
        (2, "BLEU", None, None, 3, False, "Natural Language Processing", 2019),
        (0, "SacreBLEU", "2101.00001", "transformer", 1, True, "Natural Language Processing", 2021),
    ]
    # A subtask without categories inherits its parent's area.
    assert rows(con, "SELECT area, family FROM fct_leaderboard_results WHERE task = 'MT subtask'") == [
        ("Natural Language Processing", "cnn")]


def test_family_domain_year_mart(built):
    con, _, _ = built
    got = {r[:3]: r[3:] for r in rows(con, "SELECT * FROM mart_family_domain_year")}
    # (fractional, any, primary, domain papers, classified papers, unclassified share, share)
    assert got[(2021, "nlp", "transformer")] == (0.5, 1, 1, 1, 1, 0.0, 0.5)
    assert got[(2021, "nlp", "mlp")] == (0.5, 1, 0, 1, 1, 0.0, 0.5)
    assert got[(2022, "graphs", "gnn")] == (0.5, 1, 1, 1, 1, 0.0, 0.5)
    # unclassified is coverage, not a family: no 'other' row; fractional counts add up to the
    # classified ML papers with a year, and the unclassified share to the rest
    assert not [k for k in got if k[2] == "other"]
    assert rows(con, "SELECT sum(papers_fractional) FROM mart_family_domain_year") == rows(
        con, "SELECT count(*)::DOUBLE FROM dim_papers WHERE year IS NOT NULL AND primary_family <> 'other'")
    unclassified = rows(con, "SELECT year, primary_domain, avg((primary_family = 'other')::INT) FROM dim_papers "
                             "WHERE year IS NOT NULL GROUP BY ALL")
    cells = {(y, d): u for y, d, _, _, _, _, _, _, u, _ in
             rows(con, "SELECT * FROM mart_family_domain_year")}
    assert any(share > 0 for _, _, share in unclassified)  # the fixture has unclassified papers
    for year, domain, share in unclassified:
        if (year, domain) in cells:
            assert cells[(year, domain)] == pytest.approx(share)


def test_authors(built):
    con, _, _ = built
    assert rows(con, "SELECT * FROM dim_authors WHERE author_id = 'vaswani|ashish'") == [
        ("vaswani|ashish", "Ashish Vaswani", 2, 2021, 2021)]
    # accents, case and punctuation do not split an author; display keeps the original spelling
    assert rows(con, "SELECT author_id, display_name FROM dim_authors WHERE n_papers = 1 AND first_year = 2022 ORDER BY 1") == [
        ("muller|jean pierre", "Jean-Pierre Müller"), ("smith|jane", "Jane Smith")]
    # the non-ML papers' authors (Erdos, Doe) are not in the marts
    assert rows(con, "SELECT count(*) FROM dim_authors") == [(5,)]


def test_every_paper_counts_once_with_one_primary_label(built):
    con, _, _ = built
    for table in ("fct_paper_families", "fct_paper_domains"):
        assert rows(con, f"SELECT count(*) FROM (SELECT paper_id FROM {table} GROUP BY paper_id "
                         "HAVING abs(sum(weight) - 1) > 1e-12 OR count(*) FILTER (WHERE is_primary) <> 1)") == [(0,)]
        assert rows(con, f"SELECT count(*) FROM dim_papers WHERE paper_id NOT IN (SELECT paper_id FROM {table})") == [(0,)]


def test_every_model_test_passes_on_the_sample(built):
    con, root, _ = built
    assert run_model_tests(con, discover_models(root)) == []


def test_model_tests_catch_broken_grain_and_values(built, tmp_path):
    _, root, candidate = built
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(candidate.read_bytes())
    con = duckdb.connect(str(broken))
    con.execute("INSERT INTO fct_citations SELECT * FROM fct_citations LIMIT 1")
    con.execute("UPDATE fct_code_links SET framework = 'caffe' WHERE repo_url LIKE '%/b'")
    con.execute("UPDATE fct_paper_families SET paper_id = 'ghost' WHERE paper_id = '2101.00005'")
    con.execute("UPDATE dim_papers SET primary_domain = NULL WHERE paper_id = '2101.00002'")
    failures = run_model_tests(con, discover_models(root))
    con.close()
    joined = "\n".join(failures)
    assert "fct_citations: unique_key (citing_paper_id, cited_paper_id): 1 offending row(s)" in joined
    assert "fct_code_links: framework: accepted_values: 1 offending row(s)" in joined
    assert "fct_paper_families: paper_id: relationships → dim_papers.paper_id: 1 offending row(s)" in joined
    assert "dim_papers: primary_domain: not_null: 1 offending row(s)" in joined


def test_every_table_and_column_is_commented(built):
    con, root, _ = built
    models = discover_models(root)
    missing_cols = rows(con, "SELECT table_name, column_name FROM duckdb_columns() "
                             "WHERE schema_name = 'main' AND NOT internal AND (comment IS NULL OR comment = '')")
    assert missing_cols == []
    relations = rows(con, "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main' "
                          "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal")
    assert {name for name, _ in relations} == set(models)
    assert all(comment for _, comment in relations)
    assert rows(con, "SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_code_links' AND column_name = 'framework'") == [
        ("normalised framework",)]


def test_data_dictionary_is_written_with_the_candidate(built):
    _, _, candidate = built
    text = (candidate.parent / (candidate.stem + ".exports") / "DATA_DICTIONARY.md").read_text()
    assert "### `fct_paper_families`" in text
    assert "| `weight` | DOUBLE | 1 / number of families of the paper (fractional counting) | not_null |" in text
    assert "- grain: one row per (citing_paper_id, cited_paper_id)" in text


def test_empty_lake_builds_typed_empty_warehouse(settings, tmp_path):
    root = copy_models(tmp_path / "models")
    candidate = build(settings, steps=standin_steps(family_standin([], [])), models_root=root)
    con = duckdb.connect(str(candidate), read_only=True)
    assert rows(con, "SELECT count(*) FROM dim_papers") == [(0,)]
    assert rows(con, "SELECT count(*) FROM fct_paper_citation_metrics") == [(0,)]
    assert dict(rows(con, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'stg_arxiv__papers'"))[
        "published_date"] == "DATE"
    con.close()


def test_marts_are_exported_as_parquet_beside_the_candidate(built):
    from pipeline.warehouse.builder import exports_for

    con, root, candidate = built
    folder = exports_for(candidate) / "parquet"
    marts = {m.name for m in discover_models(root).values() if m.layer == "marts"}
    present = {r[0] for r in rows(con, "SELECT table_name FROM duckdb_tables()")}
    # the big facts are folders of one file per arXiv month of their key (a night rewrites its months)
    by_month = {"fct_references", "fct_citations"} & present
    assert {p.stem for p in folder.glob("*.parquet")} == (marts & present) - by_month
    assert {p.name for p in folder.iterdir() if p.is_dir()} == by_month
    n = rows(con, "SELECT count(*) FROM dim_papers")[0][0]
    assert duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{folder / 'dim_papers.parquet'}')").fetchone()[0] == n
    for table in sorted(by_month):
        exported = duckdb.connect().execute(f"SELECT * FROM read_parquet('{folder / table}/*.parquet') ORDER BY ALL").fetchall()
        assert exported == rows(con, f"SELECT * FROM {table} ORDER BY ALL")
        assert all(p.stem == "other" or p.stem.isdigit() for p in (folder / table).glob("*.parquet"))
