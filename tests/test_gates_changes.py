"""Gates scoped to what a night changed: GX on the changed partitions and rebuilt rows, plus
whole-table SQL aggregates that still see every row."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import duckdb
import pytest

from pipeline.errors import QualityGateError
from pipeline.quality import run_gates
from pipeline.quality.gates import WHOLE_TABLE_SUITE, resolve_changes
from pipeline.warehouse.changes import Changes
from test_quality import make_warehouse, sha256, write_models

TODAY = date(2026, 1, 1)


@pytest.fixture
def models(tmp_path):
    return write_models(tmp_path / "repo")


def nightly(**kw) -> Changes:
    return Changes(full=False, **kw)


def paper(arxiv_id, day):
    return {"arxiv_id": arxiv_id, "title": "t", "categories": ["cs.LG"], "primary_category": "cs.LG",
            "first_version_date": day, "record_format": "arXivRaw",
            "ingested_at": datetime(2025, 2, 1, tzinfo=timezone.utc)}


def write_window(settings, window: str, rows: list[dict]) -> None:
    from pipeline import lake

    with lake.transaction(settings.lake) as txn:
        txn.write("arxiv/papers", window, rows)


def empty_warehouse(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path)).close()
    return path


def test_a_scoped_run_validates_rebuilt_rows_and_aggregates_every_table(settings, models, tmp_path):
    # 500 papers: i < 365 fall in 2021, the rest in 2022 (make_warehouse plants year = 2021 + i // 365)
    previous = make_warehouse(tmp_path / "prev.duckdb", papers=450)
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=500)
    report = run_gates(settings, candidate, previous, models_dir=models, layers=("marts", "intermediate"),
                       changes=nightly(tables={"dim_papers": "year = 2022", "int_paper_text_families": None}))
    assert report.success and report.scope == "changes"
    # int_paper_text_families was rebuilt whole: GX sees only its 50 papers the previous publish lacks
    assert report.validated_rows == {"marts.dim_papers": 135, "intermediate.int_paper_text_families": 50}
    assert report.new_rows == {"intermediate.int_paper_text_families": 50}
    # every declared table gets its whole-table summary, changed or not
    assert report.suites[WHOLE_TABLE_SUITE]["tables"] == 4
    assert report.suites["row_counts"]["expectations"] == 4
    assert "scope: what changed" in report.summary()
    # fct_citations and dim_families were not rebuilt: no row-level GX on them
    marts = {r["table"] for r in json.loads((settings.home / "quality" / report.run_id / "marts.json").read_text())}
    assert marts == {"dim_papers"}


def test_a_bad_row_in_a_changed_raw_partition_fails_the_night_and_publishes_nothing(settings, models):
    from pipeline.orchestration import audit_and_publish

    write_window(settings, "2025-01-01_2025-01-31", [paper("2501.00001", date(2025, 1, 2))])
    write_window(settings, "2025-02-01_2025-02-28", [paper("2502.00001", date(2025, 2, 2)),
                                                     paper("2502.1", date(2025, 2, 3))])
    published = make_warehouse(settings.warehouse)
    before = sha256(published)
    candidate = make_warehouse(settings.home / "warehouse" / "candidates" / "night.duckdb")
    with pytest.raises(QualityGateError) as info:
        audit_and_publish(settings, candidate, run_id="night", models_dir=models,
                          changes=nightly(raw_partitions={"arxiv/papers": ("2025-02-01_2025-02-28",)}))
    report = info.value.report
    assert [(f.suite, f.check, f.examples) for f in report.failures] == [("raw", "regex(arxiv_id)", ["2502.1"])]
    # only the night's partition was read
    assert report.validated_rows["raw.arxiv/papers"] == 2
    assert sha256(published) == before and not candidate.exists()


def test_an_unchanged_raw_partition_was_validated_when_it_arrived(settings):
    empty = empty_warehouse(settings.home / "empty.duckdb")
    old = "2025-01-01_2025-01-31"
    write_window(settings, old, [paper("2501.00001", date(2025, 1, 2)), paper("2501.9", date(2025, 1, 3))])
    # the night that wrote the bad row failed on it
    with pytest.raises(QualityGateError, match=r"regex\(arxiv_id\)"):
        run_gates(settings, empty, layers=("raw",), changes=nightly(raw_partitions={"arxiv/papers": (old,)}))
    # a later night that did not touch that partition does not read it again
    write_window(settings, "2025-02-01_2025-02-28", [paper("2502.00001", date(2025, 2, 2))])
    report = run_gates(settings, empty, layers=("raw",),
                       changes=nightly(raw_partitions={"arxiv/papers": ("2025-02-01_2025-02-28",)}))
    assert report.success and report.validated_rows == {"raw.arxiv/papers": 1}
    # a full run still reads everything
    with pytest.raises(QualityGateError, match=r"regex\(arxiv_id\)"):
        run_gates(settings, empty, layers=("raw",), changes=Changes.everything())


def test_a_bad_row_outside_the_rebuilt_rows_is_caught_by_the_whole_table_aggregates(settings, models, tmp_path):
    # future_date plants 2999-01-01 on the max paper_id row, which is in 2021 at 200 papers
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=200, corrupt=("future_date", "confidence_above_one"))
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, models_dir=models, layers=("marts", "intermediate"), today=TODAY,
                  changes=nightly(tables={"dim_papers": "year = 2020"}))     # no rebuilt rows at all
    failures = {(f.table, f.check): f for f in info.value.report.failures}
    assert set(failures) == {("dim_papers", "between(published_date)"), ("dim_papers", "between(year)"),
                             ("int_paper_text_families", "range(confidence in [0, 1])")}
    assert all(f.suite == WHOLE_TABLE_SUITE for f in failures.values())
    assert info.value.report.validated_rows == {"marts.dim_papers": 0}   # GX had no rebuilt row to look at
    future = failures[("dim_papers", "between(year)")]
    assert future.unexpected_count == 1 and future.examples == [2999]
    assert failures[("int_paper_text_families", "range(confidence in [0, 1])")].examples == [1.5]
    assert "whole table, SQL aggregate" in str(info.value)


def test_a_row_level_check_on_unchanged_rows_is_the_night_of_arrival_s_job(settings, models, tmp_path):
    # The arXiv id format is a per-row regex, not an aggregate: on rows this night did not rebuild
    # it is not re-checked (README: "validated when it arrived"); on rebuilt rows it is.
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=200, corrupt=("bad_id",))
    assert run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY,
                     changes=nightly(tables={})).success
    with pytest.raises(QualityGateError, match=r"regex\(arxiv_id\)"):
        run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY,
                  changes=nightly(tables={"dim_papers": "arxiv_id LIKE 'arXiv:%'"}))


def test_a_broken_predicate_is_one_readable_failure(settings, models, tmp_path):
    candidate = make_warehouse(tmp_path / "cand.duckdb")
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, models_dir=models, layers=("marts",),
                  changes=nightly(tables={"dim_papers": "no_such_column = 1"}))
    [failure] = info.value.report.failures
    assert failure.check == "rebuilt rows" and "no_such_column = 1" in failure.detail
    assert "\n" not in failure.detail


def test_changes_come_from_the_build_when_it_records_them(settings, models, tmp_path, monkeypatch):
    from pipeline.warehouse import changes as changes_mod

    candidate = make_warehouse(tmp_path / "cand.duckdb")
    # a file that recorded nothing about its build is validated whole
    assert resolve_changes(candidate, None).full
    seen = []

    def changes_of(path):
        seen.append(path)
        return nightly(tables={"dim_papers": None})

    monkeypatch.setattr(changes_mod, "changes_of", changes_of)
    report = run_gates(settings, candidate, models_dir=models, layers=("marts",))
    assert seen == [candidate] and report.scope == "changes"
    assert list(report.validated_rows) == ["marts.dim_papers"]
    given = Changes.everything()
    assert resolve_changes(candidate, given) is given


def test_a_sampled_table_still_gets_exact_ranges_in_a_full_run(settings, models, tmp_path):
    # One bad row in 500, a 50-row sample: the aggregate over all rows finds it whatever the sample.
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=500, corrupt=("confidence_above_one",))
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, models_dir=models, layers=("intermediate",), max_rows=50)
    whole = [f for f in info.value.report.failures if f.suite == WHOLE_TABLE_SUITE]
    assert [(f.check, f.unexpected_count, f.element_count) for f in whole] == [
        ("range(confidence in [0, 1])", 1, 500)]


def test_a_duplicate_of_a_rebuilt_key_is_found_across_the_whole_table(settings, models, tmp_path):
    # duplicate_paper copies one existing row: the copy and its original both count
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=200, corrupt=("duplicate_paper",))
    with duckdb.connect(str(candidate), read_only=True) as con:
        [(dup_id,)] = con.execute("SELECT paper_id FROM dim_papers GROUP BY ALL HAVING count(*) > 1").fetchall()
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY,
                  changes=nightly(tables={"dim_papers": f"paper_id = '{dup_id}'"}))
    [dup] = info.value.report.failures
    assert (dup.suite, dup.check, dup.unexpected_count, dup.element_count, dup.examples) == (
        WHOLE_TABLE_SUITE, "unique_key(paper_id)", 1, 201, [dup_id])
    # a whole-table rebuild checks every key
    with pytest.raises(QualityGateError, match=r"unique_key\(paper_id\)"):
        run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY,
                  changes=nightly(tables={"dim_papers": None}))
    # rows no night rebuilt kept the keys they were published with (the build's SQL tests still
    # check every key in every build): the gates do not hash them again
    assert run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY,
                     changes=nightly(tables={"dim_papers": f"paper_id <> '{dup_id}'"})).success


def test_a_table_rebuilt_whole_is_validated_on_its_rows_new_or_changed_against_the_publish(settings, models, tmp_path):
    from pipeline.orchestration import audit_and_publish

    # bad_id rewrites the arXiv id of one existing paper: a changed row under an unchanged key
    published = make_warehouse(settings.warehouse, papers=200)
    before = sha256(published)
    candidate = make_warehouse(settings.home / "warehouse" / "candidates" / "night.duckdb", papers=200,
                               corrupt=("bad_id",))
    with pytest.raises(QualityGateError) as info:
        audit_and_publish(settings, candidate, run_id="night", models_dir=models, layers=("marts",), today=TODAY,
                          changes=nightly(tables={"dim_papers": None}))
    report = info.value.report
    assert [(f.suite, f.check, f.examples) for f in report.failures] == [("marts", "regex(arxiv_id)", ["arXiv:2101.1v2"])]
    assert report.validated_rows == {"marts.dim_papers": 1} and report.new_rows == {"marts.dim_papers": 1}
    # write-audit-publish: the failing night leaves the published warehouse as it was
    assert sha256(published) == before and not candidate.exists()


def test_without_a_comparable_publish_a_table_rebuilt_whole_is_validated_whole(settings, models, tmp_path):
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=200, corrupt=("bad_id",))
    whole = nightly(tables={"dim_papers": None})
    # no previous publish at all
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, models_dir=models, layers=("marts",), today=TODAY, changes=whole)
    assert info.value.report.validated_rows == {"marts.dim_papers": 200} and info.value.report.new_rows == {}
    # a previous publish whose dim_papers has other column types: it cannot be compared row by row
    previous = make_warehouse(tmp_path / "prev.duckdb", papers=200)
    with duckdb.connect(str(previous)) as con:
        con.execute("ALTER TABLE dim_papers ALTER year TYPE VARCHAR")
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, previous, models_dir=models, layers=("marts",), today=TODAY, changes=whole)
    assert info.value.report.validated_rows == {"marts.dim_papers": 200}
    # against a clean previous with the same columns only the changed row is read, and its bad id found
    clean = make_warehouse(tmp_path / "clean.duckdb", papers=200)
    with pytest.raises(QualityGateError, match=r"regex\(arxiv_id\)") as info:
        run_gates(settings, candidate, clean, models_dir=models, layers=("marts",), today=TODAY, changes=whole)
    assert info.value.report.validated_rows == {"marts.dim_papers": 1}


def test_a_table_missing_from_the_candidate_is_not_found_in_the_attached_publish(settings, models, tmp_path):
    previous = make_warehouse(tmp_path / "prev.duckdb")
    candidate = make_warehouse(tmp_path / "cand.duckdb")
    with duckdb.connect(str(candidate)) as con:
        con.execute("DROP TABLE fct_citations")
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, previous, models_dir=models, layers=("marts",), today=TODAY,
                  changes=nightly(tables={"dim_papers": None}))
    assert [(f.table, f.check) for f in info.value.report.failures] == [("fct_citations", "table exists")]


def test_a_night_does_not_validate_a_view_row_by_row_but_a_full_run_does(settings, models, tmp_path):
    (models / "marts" / "v_paper_keys.sql").write_text("SELECT arxiv_id FROM dim_papers\n")
    (models / "marts" / "v_paper_keys.yml").write_text(
        "name: v_paper_keys\nlayer: marts\nmaterialized: view\ngrain: one row per paper\n"
        "description: arXiv ids of the papers\n"
        "columns:\n  arxiv_id:\n    type: VARCHAR\n    description: arXiv id\n")
    previous = make_warehouse(tmp_path / "prev.duckdb", papers=450)
    candidate = make_warehouse(tmp_path / "cand.duckdb", papers=500)
    for path in (previous, candidate):
        with duckdb.connect(str(path)) as con:
            # a malformed arXiv id outside 2022: only a validation of the view's own rows can see it
            con.execute("CREATE VIEW v_paper_keys AS SELECT CASE WHEN year = 2022 THEN arxiv_id ELSE 'no id' END "
                        "AS arxiv_id FROM dim_papers")
    night = run_gates(settings, candidate, previous, models_dir=models, layers=("marts",),
                      changes=nightly(tables={"dim_papers": "year = 2022", "v_paper_keys": None}))
    assert night.success
    assert "marts.v_paper_keys" not in night.validated_rows and "marts.v_paper_keys" not in night.new_rows
    with pytest.raises(QualityGateError) as info:
        run_gates(settings, candidate, previous, models_dir=models, layers=("marts",), run_id="full",
                  changes=Changes.everything())
    assert [f.table for f in info.value.report.failures] == ["v_paper_keys"]
