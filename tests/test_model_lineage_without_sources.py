"""A deployment that configures no model source still builds: the model tables exist, typed and empty."""

from __future__ import annotations

import duckdb

from pipeline.warehouse import build
from warehouse_fixtures import write_small_lake


def test_a_lake_without_model_sources_builds_empty_typed_model_tables(settings):
    write_small_lake(settings.lake)
    candidate = build(settings, select={"mart_model_fanout", "model_lineage_cycles"})
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM mart_model_fanout").fetchone() == (0,)
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'mart_model_fanout'").fetchall())
    assert types["model_id"] == "VARCHAR" and types["n_descendants"] == "BIGINT"
