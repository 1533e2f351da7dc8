"""When a build may take a table from the published warehouse, and when it must rebuild it whole.

On the small hand-made lake of ``warehouse_fixtures``: each case builds and publishes, changes the
lake or the code one way, then builds again and compares with a full rebuild of the same lake.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone

import pytest

from pipeline.lake import drop_partition, write_partition
from pipeline.warehouse.builder import build, build_and_publish
from pipeline.warehouse.changes import changes_of, read_state
from pipeline.warehouse.contracts import ModelError

from test_incremental import differences, export_mismatches
from warehouse_fixtures import _paper, copy_models, write_small_lake

NEW_WINDOW = "2025-02-01_2025-02-28"
T2 = datetime(2025, 2, 5, tzinfo=timezone.utc)


@pytest.fixture
def published(settings, tmp_path):
    """(settings, models folder) with the small lake built and published."""
    write_small_lake(settings.lake)
    root = copy_models(tmp_path / "models")
    build_and_publish(settings, gates=False, models_root=root, run_id="base")
    return settings, root


def _new_paper(arxiv_id="2502.00001", title="New G"):
    return _paper(arxiv_id, title, ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])


def _night_and_full(settings, root, run_id):
    night = build(settings, models_root=root, run_id=run_id)
    full = build(settings, models_root=root, run_id=run_id + "-full", full=True)
    return night, full


def test_a_rewritten_partition_rebuilds_its_readers_in_full(published):
    settings, root = published
    # Re-running a night replaces its window: rows may have left it, so no key-wise rebuild.
    write_partition(settings.lake, "arxiv/papers", "2025-01-01_2025-01-31", [
        _paper("2101.00001", "Attention A, revised", ["cs.CL", "cs.LG"], date(2021, 1, 1), date(2025, 1, 9),
               [("Vaswani", "Ashish")], oai=date(2025, 1, 10))])
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    night, full = _night_and_full(settings, root, "rewritten")
    changes = changes_of(night)
    assert not changes.full
    assert changes.raw_partitions["arxiv/papers"] == ("2025-01-01_2025-01-31", NEW_WINDOW)
    assert changes.tables["stg_arxiv__papers"] is None and changes.tables["stg_arxiv__authorships"] is None
    assert "stg_s2__references" not in changes.tables           # copied: its partitions did not change
    assert differences(full, night) == []


def test_a_night_whose_window_brought_no_row_is_no_change(published):
    """An empty OAI window still writes its (empty) partition; the build then has nothing to do."""
    settings, root = published
    before = hashlib.sha256(settings.warehouse.read_bytes()).hexdigest()
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [])
    path = build_and_publish(settings, gates=False, models_root=root, run_id="empty-night")
    assert path == settings.warehouse
    assert hashlib.sha256(settings.warehouse.read_bytes()).hexdigest() == before
    assert read_state(settings.warehouse).run_id == "base"        # nothing was published over it


def test_a_partition_rewritten_empty_removes_its_rows(published):
    settings, root = published
    write_partition(settings.lake, "arxiv/papers", "2025-01-01_2025-01-31", [])
    night, full = _night_and_full(settings, root, "emptied")
    assert changes_of(night).removed_partitions == {"arxiv/papers": ("2025-01-01_2025-01-31",)}
    assert differences(full, night) == []


def test_exports_that_are_not_the_published_builds_are_never_carried_forward(published):
    """A night links unchanged tables from the published exports only when they are that build's."""
    import os
    import shutil

    import duckdb

    settings, root = published
    wdir = settings.warehouse.parent
    stale = wdir / "exports.d" / "stale"
    shutil.copytree((wdir / "exports").resolve(), stale)
    target = stale / "parquet" / "fct_code_links.parquet"   # a table a night of arXiv papers copies unchanged
    with duckdb.connect() as con:   # same row count, other values: what a row-count check lets through
        assert con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0] > 0
        text = next(name for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM '{target}'").fetchall()
                    if kind == "VARCHAR")
        con.execute(f"COPY (SELECT * REPLACE ('stale' AS \"{text}\") FROM '{target}') TO '{target}.new' "
                    "(FORMAT parquet)")
    os.replace(f"{target}.new", target)
    (wdir / "exports").unlink()
    os.symlink(os.path.relpath(stale, wdir), wdir / "exports")
    # a night of references only: the code links are copied, so their export would be linked
    write_partition(settings.lake, "semantic_scholar/references", "b3", [
        {"citing_arxiv_id": "2101.00004", "position": 0, "cited_arxiv_id": "2101.00001", "fetched_at": T2}])
    night = build(settings, models_root=root, run_id="after-stale")
    assert "fct_code_links" not in changes_of(night).tables
    assert export_mismatches(night) == []


def test_a_table_written_into_the_published_file_is_named_as_such(published):
    import duckdb

    settings, root = published
    with duckdb.connect(str(settings.warehouse)) as con:   # a user's scratch table, against the README
        con.execute("CREATE TABLE my_scratch AS SELECT 1 AS x")
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    with pytest.raises(ModelError, match=r"the published warehouse holds relation\(s\) no model declares: "
                                         r"\['my_scratch'\] \(made outside mlgraph\? open it read-only; "
                                         r"`mlgraph build --full`"):
        build(settings, models_root=root, run_id="after-scratch")
    assert build(settings, models_root=root, run_id="full-after-scratch", full=True).exists()


def test_a_removed_partition_and_a_new_dump_version_rebuild_in_full(published):
    settings, root = published
    drop_partition(settings.lake, "semantic_scholar/references", "b1")
    write_partition(settings.lake, "pwc/papers", "00000000000000bb", [
        {"paper_url": "https://paperswithcode.com/paper/a", "arxiv_id": "2101.00001", "title": "Attention A"}])
    night, full = _night_and_full(settings, root, "removed")
    changes = changes_of(night)
    assert changes.removed_partitions == {"semantic_scholar/references": ("b1",)}
    assert changes.tables["stg_s2__references"] is None
    assert changes.tables["stg_pwc__papers"] is None                # a dump version replaces the old one
    assert differences(full, night) == []


def test_appended_partitions_rebuild_by_key_and_equal_a_full_build(published):
    settings, root = published
    # A new night: one new paper, a newer version of an old one, and their references.
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [
        _new_paper(), _paper("2101.00002", "Residual B v2", ["cs.CV", "cs.LG"], date(2021, 1, 2), date(2025, 2, 3),
                             [("He", "Kaiming")], oai=date(2025, 2, 4))])
    write_partition(settings.lake, "semantic_scholar/references", "b3", [
        {"citing_arxiv_id": "2502.00001", "position": 0, "cited_arxiv_id": "2101.00001", "cited_s2_paper_id": "a" * 40,
         "fetched_at": T2},
        {"citing_arxiv_id": "2101.00004", "position": 0, "cited_arxiv_id": "2502.00001", "fetched_at": T2}])
    published_bytes = hashlib.sha256(settings.warehouse.read_bytes()).hexdigest()
    night, full = _night_and_full(settings, root, "appended")
    # The night edits a copy of the published file in place; the published file is not touched.
    assert hashlib.sha256(settings.warehouse.read_bytes()).hexdigest() == published_bytes
    assert night.stat().st_ino != settings.warehouse.stat().st_ino
    changes = changes_of(night)
    assert changes.tables["stg_arxiv__papers"] and changes.tables["stg_s2__references"]
    assert "stg_pwc__papers" not in changes.tables
    import duckdb
    con = duckdb.connect(str(night), read_only=True)
    try:
        keys = con.execute("SELECT table_name, list_sort(list(key)) FROM mlgraph_meta.changed_keys GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    # The references and citations of the citing papers of tonight's lists are rebuilt by key;
    # 2101.00002's new version changes nothing that references look up, so its citers are not.
    assert dict(keys) == {"fct_citations": ["2101.00004", "2502.00001"],
                          "fct_references": ["2101.00004", "2502.00001"],
                          "stg_arxiv__authorships": ["2101.00002", "2502.00001"],
                          "stg_arxiv__papers": ["2101.00002", "2502.00001"],
                          "stg_s2__references": ["2101.00004", "2502.00001"]}
    assert differences(full, night) == []
    # Exports: the night's equal its tables; what did not change is linked from the published export.
    assert export_mismatches(night) == [] and export_mismatches(full) == []
    from pipeline.warehouse.builder import exports_for, warehouse_dir

    ours, theirs = exports_for(night) / "parquet", warehouse_dir(settings) / "exports" / "parquet"
    months = {p.name: p.stat().st_ino for p in (ours / "fct_references").glob("*.parquet")}
    before = {p.name: p.stat().st_ino for p in (theirs / "fct_references").glob("*.parquet")}
    assert {"2101.parquet", "2502.parquet"} <= set(months) and "2502.parquet" not in before
    linked = {name for name, ino in months.items() if before.get(name) == ino}
    assert linked == set(before) - {"2101.parquet"}       # every month but tonight's keys' (test_exports.py)
    reused = [p.stem for p in theirs.glob("*.parquet") if p.stem not in changes.tables]   # copied unchanged
    assert reused and all((ours / f"{t}.parquet").stat().st_ino == (theirs / f"{t}.parquet").stat().st_ino
                          for t in reused)


def _changed_keys(path) -> dict:
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute("SELECT table_name, list_sort(list(key)) FROM mlgraph_meta.changed_keys "
                                "GROUP BY 1 ORDER BY 1").fetchall())
    finally:
        con.close()


def test_papers_arriving_or_changing_tonight_rebuild_the_references_that_look_them_up(published):
    settings, root = published
    # 2101.00004 cites 2502.00007 by arXiv id and 2101.00005 cites a DOI nobody held, before
    # either paper is in the corpus; tonight both arrive, and no reference list is fetched again.
    # 2101.00002 (cited by 2101.00001) gets a corrected first-version date.
    write_partition(settings.lake, "semantic_scholar/references", "b3", [
        {"citing_arxiv_id": "2101.00004", "position": 0, "cited_arxiv_id": "2502.00007", "fetched_at": T2},
        {"citing_arxiv_id": "2101.00005", "position": 0, "cited_doi": "10.1/NEW-DOI", "fetched_at": T2}])
    build_and_publish(settings, gates=False, models_root=root, run_id="before")
    arriving = _paper("2502.00007", "Arriving", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])
    by_doi = _paper("2502.00008", "Arriving by DOI", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")],
                    doi="10.1/new-doi")
    redated = _paper("2101.00002", "Residual B", ["cs.CV"], date(2021, 1, 5), date(2025, 2, 3), [("Vaswani", "Ashish"),
                     ("He", "Kaiming")], oai=date(2025, 2, 4))
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [arriving, by_doi, redated])
    night, full = _night_and_full(settings, root, "arriving")
    keys = _changed_keys(night)
    assert "stg_s2__references" not in keys                      # no reference list changed
    assert keys["fct_references"] == ["2101.00004", "2101.00005"]
    assert keys["fct_citations"] == ["2101.00001", "2101.00002", "2101.00004", "2101.00005", "2502.00007", "2502.00008"]
    import duckdb
    con = duckdb.connect(str(night), read_only=True)
    try:
        resolved = con.execute("SELECT citing_paper_id, cited_paper_id, resolution FROM fct_references "
                               "WHERE citing_paper_id IN ('2101.00004', '2101.00005') ORDER BY 1").fetchall()
        redated_edge = con.execute("SELECT cited_date FROM fct_citations WHERE citing_paper_id = '2101.00001' "
                                   "AND cited_paper_id = '2101.00002'").fetchall()
    finally:
        con.close()
    assert resolved == [("2101.00004", "2502.00007", "arxiv"), ("2101.00005", "2502.00008", "doi")]
    assert redated_edge == [(date(2021, 1, 5),)]
    assert differences(full, night) == []


def test_changed_code_builds_in_full_and_says_so(published, caplog):
    settings, root = published
    yml = root / "marts" / "dim_papers.yml"
    yml.write_text(yml.read_text().replace("description:", "description: (edited)", 1))
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    with caplog.at_level("INFO", logger="mlgraph.warehouse"):
        night = build(settings, models_root=root, run_id="code")
    assert read_state(night).mode == "full" and changes_of(night).full
    assert any("built by other code" in r.getMessage() for r in caplog.records)


def test_a_wrong_incremental_declaration_fails_the_build(published):
    settings, root = published
    # int_papers also holds PwC-only papers, whatever the arXiv keys: it is not keyed by them.
    yml = root / "intermediate" / "int_papers.yml"
    yml.write_text(yml.read_text() + "incremental: {key: paper_id, from: {stg_arxiv__papers: paper_id}}\n")
    build_and_publish(settings, gates=False, models_root=root, run_id="declared")
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    with pytest.raises(ModelError, match=r"int_papers is not keyed by paper_id"):
        build(settings, models_root=root, run_id="wrong")


def test_a_step_failing_mid_query_on_a_night_reports_its_own_error(published, monkeypatch):
    settings, root = published
    from pipeline.warehouse import runner

    real = runner.resolve_step

    def broken(con, ctx):
        # A streamed result left undrained, as a step that dies between batches leaves it.
        reader = con.sql("SELECT * FROM range(1000000)").to_arrow_reader(1000)
        reader.read_next_batch()
        raise RuntimeError("the domain step broke")

    monkeypatch.setattr(runner, "resolve_step",
                        lambda name: broken if name.endswith(":classify_domains") else real(name))
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    with pytest.raises(RuntimeError, match="the domain step broke"):
        build(settings, models_root=root, run_id="broken")
    assert read_state(settings.warehouse).run_id == "base"      # the published warehouse is untouched
