"""Item 7 of issue 13: the published warehouse is self-contained (staging materialised in the file)."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from pipeline.lake import write_partition
from pipeline.warehouse.builder import build_and_publish
from warehouse_fixtures import _paper, copy_models, standin_steps, write_small_lake


@pytest.fixture
def published(settings, tmp_path):
    write_small_lake(settings.lake)
    root = copy_models(tmp_path / "models")
    build_and_publish(settings, gates=False, steps=standin_steps(), models_root=root)
    return settings, root


def test_a_copied_warehouse_opens_without_the_lake(published, tmp_path):
    settings, _ = published
    copy = tmp_path / "elsewhere" / "copy.duckdb"
    copy.parent.mkdir()
    shutil.copy(settings.warehouse, copy)
    shutil.move(settings.lake, tmp_path / "lake-moved-away")
    with duckdb.connect(str(copy), read_only=True) as con:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                 "WHERE table_name LIKE 'stg_%'").fetchall())
        assert kinds and set(kinds.values()) == {"BASE TABLE"}
        assert con.execute("SELECT count(*) FROM stg_arxiv__papers").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM dim_papers").fetchone()[0] == 6


def test_readers_of_the_published_file_see_one_build_not_the_live_lake(published):
    settings, _ = published
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM stg_arxiv__papers").fetchone()[0]
    write_partition(settings.lake, "arxiv/papers", "2025-02-01_2025-02-28", [
        _paper("2502.00001", "New G", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])])
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stg_arxiv__papers").fetchone()[0] == before


def test_a_long_lived_reader_sees_a_new_publish_after_reconnecting(published):
    """DuckDB caches one database instance per path and process: close every connection, reconnect."""
    settings, root = published
    reader = duckdb.connect(str(settings.warehouse), read_only=True)
    assert reader.execute("SELECT count(*) FROM dim_papers").fetchone()[0] == 6
    write_partition(settings.lake, "arxiv/papers", "2025-02-01_2025-02-28", [
        _paper("2502.00001", "New G", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])])
    build_and_publish(settings, gates=False, steps=standin_steps(), models_root=root)
    assert reader.execute("SELECT count(*) FROM dim_papers").fetchone()[0] == 6   # still its build
    reader.close()
    with duckdb.connect(str(settings.warehouse), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM dim_papers").fetchone()[0] == 7
