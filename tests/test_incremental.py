"""An incremental nightly build equals a full rebuild of the same lake, every table, floats to 1e-9.

One sample world, ingested through the real clients from its loopback servers: every OAI window
but the last one plus one S2 batch make the published warehouse; then a night brings the last
OAI window (new papers, updated versions of old ones) and a second S2 batch (their references).
"""

from __future__ import annotations

import sys

import duckdb
import pytest

from pipeline.config import load_settings
from pipeline.warehouse import builder
from pipeline.warehouse.changes import changes_of, read_state
from pipeline.warehouse.contracts import REPO

SAMPLE_PAPERS = 1500
# Four builds of a sample world: a long run (`make test-slow`).
pytestmark = pytest.mark.slow


def differences(a, b) -> list[str]:
    """Every difference between two warehouse files (scripts/compare_warehouses.py)."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from compare_warehouses import compare
    finally:
        sys.path.pop(0)
    return compare(a, b)


def export_mismatches(candidate) -> list[str]:
    """Exported tables whose Parquet rows differ from the candidate's table (as sorted rows)."""
    folder = builder.exports_for(candidate) / "parquet"
    con = duckdb.connect(str(candidate), read_only=True)
    try:
        out = []
        for entry in sorted(folder.iterdir()):
            files = f"{entry}/*.parquet" if entry.is_dir() else str(entry)
            table = entry.name.removesuffix(".parquet")
            exported = con.execute(f"SELECT * FROM read_parquet('{files}') ORDER BY ALL").fetchall() \
                if not entry.is_dir() or any(entry.glob("*.parquet")) else []
            if exported != con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall():
                out.append(table)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """(settings, published run state, incremental candidate, full candidate) of one sample world."""
    from pipeline import sample
    from pipeline.sample.ingest import sample_windows
    from pipeline.sample.sources import sample_sources
    from pipeline.sources.arxiv import harvest_window, ingest_snapshot
    from pipeline.sources.hf import crawl_hub
    from pipeline.sources.pwc import ingest_dumps
    from pipeline.sources.semantic_scholar import fetch_citations

    home = tmp_path_factory.mktemp("nightly") / "home"
    settings = load_settings(env={}, home=home, oai_delay_seconds=0.0, s2_requests_per_second=0.0,
                             http_backoff_seconds=0.01, http_max_retries=3, http_timeout_seconds=5.0,
                             sample_papers=SAMPLE_PAPERS)
    sample.ensure_sample(settings)
    with sample_sources(settings) as local:
        windows = sample_windows(local.sample_dir)
        assert len(windows) >= 2, "the sample needs two OAI windows to make a night"
        ingest_snapshot(local)
        for date_from, date_until in windows[:-1]:
            harvest_window(local, date_from, date_until)
        ingest_dumps(local)
        fetch_citations(local, batch="night-1")
        crawl_hub(local, batch="sample")
    builder.build_and_publish(settings, gates=False, run_id="night-1")
    with sample_sources(settings) as local:
        harvest_window(local, *windows[-1])
        fetch_citations(local, batch="night-2")
    incremental = builder.build(settings, run_id="night-2")
    full = builder.build(settings, run_id="night-2-full", full=True)
    return settings, incremental, full


def test_incremental_night_equals_a_full_rebuild(nights):
    settings, incremental, full = nights
    assert not builder.is_unchanged(settings, incremental)
    assert differences(full, incremental) == []
    assert export_mismatches(incremental) == [] and export_mismatches(full) == []


def test_the_night_is_incremental_and_records_what_it_rebuilt(nights):
    settings, incremental, full = nights
    state = read_state(incremental)
    assert state.mode == "incremental" and read_state(full).mode == "full"
    assert state.code == read_state(settings.warehouse).code
    changes = changes_of(incremental)
    assert not changes.full
    assert set(changes.raw_partitions) >= {"arxiv/papers", "semantic_scholar/references"}
    batches = changes.raw_partitions["semantic_scholar/references"]
    assert batches and all(b.startswith("night-2") for b in batches)   # tonight's batch only, as values
    # Staging of papers and references was rebuilt by key; PwC staging was copied (absent).
    assert changes.tables["stg_arxiv__papers"] and changes.tables["stg_s2__references"]
    assert "stg_pwc__papers" not in changes.tables
    assert changes.tables["int_papers"] is None
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        rebuilt = con.execute(f"SELECT count(*) FROM stg_arxiv__papers WHERE {changes.tables['stg_arxiv__papers']}").fetchone()[0]
        total = con.execute("SELECT count(*) FROM stg_arxiv__papers").fetchone()[0]
        new_window = con.execute("SELECT count(DISTINCT source_window) FROM stg_arxiv__papers "
                                 f"WHERE {changes.tables['stg_arxiv__papers']}").fetchone()[0]
    finally:
        con.close()
    assert 0 < rebuilt < total
    assert new_window >= 1
    # The candidate does not refer to the published file it read from.
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE NOT internal").fetchone()[0] == 1
    finally:
        con.close()
    assert changes_of(full).full


def test_a_night_without_change_rebuilds_and_publishes_nothing(nights, caplog):
    settings, incremental, full = nights
    if incremental.exists():
        builder.publish(settings, incremental)
    published = settings.warehouse.stat()
    with caplog.at_level("INFO", logger="mlgraph.warehouse"):
        again = builder.build_and_publish(settings, run_id="night-3")
    assert builder.is_unchanged(settings, again)
    assert settings.warehouse.stat().st_ino == published.st_ino
    assert not (builder.candidates_dir(settings) / "night-3.duckdb").exists()
    assert any("warehouse unchanged" in r.getMessage() for r in caplog.records)


def test_the_nightly_dag_tasks_report_an_unchanged_night(nights):
    from pipeline import orchestration

    settings, incremental, full = nights
    if incremental.exists():  # not yet published by the test before
        builder.publish(settings, incremental)
    candidate = orchestration.build_candidate(run_id="night-4", cfg=settings)
    assert candidate == str(settings.warehouse)
    gates = orchestration.audit(candidate, run_id="night-4", cfg=settings)
    assert gates["unchanged"] and gates["success"]
    assert orchestration.publish(candidate, cfg=settings) == str(settings.warehouse)
