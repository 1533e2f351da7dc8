"""The Airflow DAGs: they import cleanly, are documented and shaped as designed, and run end to end.

Airflow reads its configuration when first imported, so nothing here imports ``airflow`` at module
level: the session fixture ``airflow_home`` sets the AIRFLOW_* variables (a temp home with SQLite,
never ~/airflow) and only then imports it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timezone

import pytest

from pipeline import orchestration
from pipeline.run import DAGS_DIR, airflow_environment, nightly_logical_date

DAG_IDS = {"mlgraph_nightly", "mlgraph_bootstrap"}


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory):
    """A throwaway Airflow home; its environment is set before Airflow is first imported."""
    home = tmp_path_factory.mktemp("airflow")
    env = airflow_environment(home)
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != env["AIRFLOW_HOME"]:
        pytest.fail("airflow was imported before the test environment was set (another test imported it)")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def dagbag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


@pytest.fixture(scope="session")
def airflow_db(airflow_home):
    """The metadata tables and the per-API pools, for dag.test()."""
    from airflow.utils import db

    db.initdb()
    orchestration.ensure_pools()
    return airflow_home


def test_dagbag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS


def test_every_dag_is_documented_tagged_and_retried(dagbag):
    for dag in dagbag.dags.values():
        assert dag.tags and "mlgraph" in dag.tags, dag.dag_id
        assert dag.doc_md and len(dag.doc_md) > 200, dag.dag_id
        assert dag.max_active_runs == 1 and dag.catchup is False, dag.dag_id
        for t in dag.tasks:
            assert t.doc_md or t.doc or (t.python_callable.__doc__ if hasattr(t, "python_callable") else None), t.task_id
            if t.task_id == "quality_gates":
                assert t.retries == 0        # bad data is not transient: fail the run at once
            else:
                assert t.retries >= 1 and t.retry_exponential_backoff, (dag.dag_id, t.task_id)


def _edges(dag) -> set[tuple[str, str]]:
    return {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}


def test_nightly_structure(dagbag):
    dag = dagbag.dags["mlgraph_nightly"]
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert set(dag.task_ids) == {"harvest_arxiv", "fetch_citations", "refresh_pwc", "refresh_models",
                                 "build_warehouse", "quality_gates", "publish_warehouse", "log_digest",
                                 "publish_report"}
    assert _edges(dag) == {
        ("harvest_arxiv", "fetch_citations"),
        ("fetch_citations", "build_warehouse"), ("refresh_pwc", "build_warehouse"),
        ("refresh_models", "build_warehouse"),
        ("build_warehouse", "quality_gates"),
        # publish needs both the candidate path and a passed gate: write–audit–publish
        ("build_warehouse", "publish_warehouse"), ("quality_gates", "publish_warehouse"),
        ("publish_warehouse", "log_digest"), ("publish_warehouse", "publish_report"),
    }
    pools = {t.task_id: t.pool for t in dag.tasks}
    assert pools["harvest_arxiv"] == "arxiv_oai"
    assert pools["fetch_citations"] == "semantic_scholar"
    assert pools["refresh_pwc"] == "pwc_dumps"
    assert set(orchestration.POOLS) == {"arxiv_oai", "semantic_scholar", "pwc_dumps"}
    assert all(slots == 1 for slots, _ in orchestration.POOLS.values())


def test_assets_connect_ingestion_to_the_warehouse(dagbag):
    for dag in dagbag.dags.values():
        emitted = {a.name for t in dag.tasks for a in t.outlets}
        consumed = {a.name for a in dag.get_task("build_warehouse").inlets}
        assert consumed == {"mlgraph_raw_arxiv", "mlgraph_raw_pwc", "mlgraph_raw_semantic_scholar",
                            "mlgraph_raw_models"}
        assert consumed <= emitted, dag.dag_id
        assert [a.name for a in dag.get_task("publish_warehouse").outlets] == ["mlgraph_warehouse"]


def test_bootstrap_fans_out_months_with_dynamic_mapping(dagbag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.dags["mlgraph_bootstrap"]
    assert type(dag.timetable).__name__ == "NullTimetable"      # manual trigger only
    harvest = dag.get_task("harvest_month")
    assert isinstance(harvest, MappedOperator) and harvest.pool == "arxiv_oai"
    assert harvest.upstream_task_ids == {"ingest_snapshot", "plan_windows"}
    assert ("arxiv_loaded", "fetch_citations") in _edges(dag)
    assert {"build_warehouse", "quality_gates", "publish_warehouse", "log_digest", "publish_report"} <= set(dag.task_ids)
    assert set(dag.params) == {"start", "end", "snapshot"}


def test_oai_window_of_a_data_interval():
    start = datetime(2025, 3, 14, tzinfo=timezone.utc)
    assert orchestration.oai_window(start, datetime(2025, 3, 15, tzinfo=timezone.utc)) == (date(2025, 3, 14), date(2025, 3, 14))
    # a weekly interval: until is inclusive, so the day before the interval's end
    assert orchestration.oai_window(start, datetime(2025, 3, 21, tzinfo=timezone.utc)) == (date(2025, 3, 14), date(2025, 3, 20))
    # a manual run's zero-length interval still harvests its day
    assert orchestration.oai_window(start, start) == (date(2025, 3, 14), date(2025, 3, 14))
    assert orchestration.oai_window("2025-03-14T00:00:00+00:00", "2025-03-15") == (date(2025, 3, 14), date(2025, 3, 14))


def test_month_windows_cover_the_range_and_stop_today():
    w = orchestration.month_windows("2024-11", "2025-02", today=date(2026, 1, 1))
    assert w == [{"date_from": "2024-11-01", "date_until": "2024-11-30"},
                 {"date_from": "2024-12-01", "date_until": "2024-12-31"},
                 {"date_from": "2025-01-01", "date_until": "2025-01-31"},
                 {"date_from": "2025-02-01", "date_until": "2025-02-28"}]
    assert orchestration.month_windows("2025-12", "2026-06", today=date(2026, 2, 10))[-1] == \
        {"date_from": "2026-02-01", "date_until": "2026-02-10"}
    with pytest.raises(ValueError):
        orchestration.month_windows("2025-05", "2025-01")
    with pytest.raises(ValueError):
        orchestration.month_windows("May 2025", "2025-06")


def test_the_nightly_logical_date_yields_the_wanted_day(dagbag):
    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(dagbag.dags["mlgraph_nightly"].timetable)
    interval = timetable.infer_manual_data_interval(run_after=nightly_logical_date(date(2025, 6, 30)))
    assert orchestration.oai_window(interval.start, interval.end) == (date(2025, 6, 30), date(2025, 6, 30))


def test_pools_are_created_in_the_metadata_db(airflow_db):
    from airflow.models.pool import Pool

    for name in orchestration.POOLS:
        pool = Pool.get_pool(name)
        assert pool is not None and pool.slots == 1


@pytest.fixture(scope="module")
def sample_env(airflow_db, tmp_path_factory):
    """MLGRAPH_* for in-process tasks: a small sample in a temp home, no politeness delays."""
    from pipeline.config import load_settings
    from pipeline.run import sample_environment

    home = tmp_path_factory.mktemp("mlgraph-home")
    env = {"MLGRAPH_SAMPLE_PAPERS": "600", "MLGRAPH_HOME": str(home)}
    env.update(sample_environment(load_settings(env={}, home=home)))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield load_settings()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.slow
def test_bootstrap_dag_runs_end_to_end_on_the_sample(sample_env):
    from pipeline.run import run_dag_test, sample_plan
    from pipeline.sample import ensure_sample

    plan = sample_plan(ensure_sample(sample_env))
    # The snapshot plus the sample's last two months keep the test short; `make run` does them all.
    windows = json.loads((sample_env.sample_dir / "sample.json").read_text())["oai_windows"]
    start = windows[-2][0][:7]
    out = run_dag_test("mlgraph_bootstrap", run_conf={"start": start, "end": plan["end"]})
    months = sorted(t for t in out["tasks"] if t.startswith("harvest_month["))
    assert months == ["harvest_month[0]", "harvest_month[1]"]
    assert all(state == "success" for state in out["tasks"].values())
    assert sample_env.warehouse.exists()


@pytest.mark.slow
def test_nightly_dag_runs_end_to_end_and_republishes(sample_env):
    from pipeline.run import run_dag_test, sample_plan

    plan = sample_plan(sample_env.sample_dir)
    before = sample_env.warehouse.stat().st_mtime_ns if sample_env.warehouse.exists() else None
    out = run_dag_test("mlgraph_nightly", logical_date=nightly_logical_date(plan["nightly_day"]))
    assert out["data_interval"][0].startswith(plan["nightly_day"].isoformat())
    assert all(state == "success" for state in out["tasks"].values())
    assert sample_env.warehouse.exists() and sample_env.warehouse.stat().st_mtime_ns != before
    assert list((sample_env.home / "quality").glob("*/summary.json"))


@pytest.mark.slow
def test_a_night_with_bad_data_is_blocked_and_the_published_warehouse_survives(sample_env):
    import hashlib
    from datetime import timedelta

    from pipeline import lake
    from pipeline.errors import MlgraphError
    from pipeline.run import run_dag_test, sample_plan

    if not sample_env.warehouse.exists():
        pytest.skip("needs the warehouse published by the DAG runs above")
    before = hashlib.sha256(sample_env.warehouse.read_bytes()).hexdigest()
    # Bad records that slipped into the lake (a window the nightly does not rewrite).
    bad = [{"arxiv_id": arxiv_id, "title": "corrupt", "categories": ["cs.LG"], "primary_category": "cs.LG",
            "first_version_date": day, "record_format": "arXivRaw",
            "ingested_at": datetime(2025, 2, 1, tzinfo=timezone.utc)}
           for arxiv_id, day in [("not-an-id", date(2024, 1, 1)), ("2401.99999", date(2999, 1, 1)),
                                 ("2401.99999", date(2024, 1, 2))]]
    with lake.transaction(sample_env.lake) as txn:
        txn.write("arxiv/papers", "1999-01-01_1999-01-01", bad)
    day = sample_plan(sample_env.sample_dir)["nightly_day"] - timedelta(days=1)
    with pytest.raises(MlgraphError) as info:
        run_dag_test("mlgraph_nightly", logical_date=nightly_logical_date(day))
    text = str(info.value)
    assert "not successful: log_digest, publish_report, publish_warehouse, quality_gates" in text
    assert "raw / arxiv/papers: expect_column_values_to_match_regex regex(arxiv_id)" in text and "'not-an-id'" in text
    assert "unique(window, arxiv_id)" in text
    assert hashlib.sha256(sample_env.warehouse.read_bytes()).hexdigest() == before
    assert list((sample_env.home / "warehouse" / "candidates").glob("failed-*.duckdb"))
