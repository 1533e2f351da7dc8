"""Parquet exports on a night: files of unchanged tables and months are links to the published ones."""

from __future__ import annotations

import duckdb

from pipeline.warehouse.builder import _export_by_month


def _rows(folder) -> list:
    return duckdb.connect().execute(f"SELECT * FROM read_parquet('{folder}/*.parquet') ORDER BY ALL").fetchall()


def test_a_night_rewrites_only_the_months_of_its_keys(tmp_path):
    con = duckdb.connect()
    con.execute("""CREATE TABLE refs AS SELECT * FROM (VALUES ('2101.00001', 0), ('2101.00002', 0), ('2102.00001', 0),
                   ('cs/0501001', 0), ('pwc-only-paper', 0)) t(citing_paper_id, position)""")
    published = tmp_path / "published" / "refs"
    _export_by_month(con, "refs", "citing_paper_id", published, None, None)
    assert sorted(p.name for p in published.iterdir()) == ["0501.parquet", "2101.parquet", "2102.parquet",
                                                          "other.parquet"]
    # Tonight: 2102.00001 gains a reference, a new month arrives, and the old-style paper's rows go.
    con.execute("INSERT INTO refs VALUES ('2102.00001', 1), ('2601.00001', 0)")
    con.execute("DELETE FROM refs WHERE citing_paper_id = 'cs/0501001'")
    con.execute("CREATE TEMP TABLE keys AS SELECT * FROM (VALUES ('2102.00001'), ('2601.00001'), ('cs/0501001')) t(k)")
    night = tmp_path / "night" / "refs"
    _export_by_month(con, "refs", "citing_paper_id", night, published, "keys")
    assert _rows(night) == con.execute("SELECT * FROM refs ORDER BY ALL").fetchall()
    names = sorted(p.name for p in night.iterdir())
    assert names == ["2101.parquet", "2102.parquet", "2601.parquet", "other.parquet"]   # 0501 emptied: gone
    same = {n for n in names if (published / n).exists() and (published / n).stat().st_ino == (night / n).stat().st_ino}
    assert same == {"2101.parquet", "other.parquet"}
    # A table copied unchanged (no keys): every month is a link.
    again = tmp_path / "again" / "refs"
    _export_by_month(con, "refs", "citing_paper_id", again, night, None)
    assert all((again / n).stat().st_ino == (night / n).stat().st_ino for n in names)
    assert not (tmp_path / "night" / "refs.writing").exists()


def test_a_pruned_published_export_is_written_again_not_carried_forward(settings, tmp_path, caplog):
    from pipeline.warehouse.builder import build, build_and_publish, exports_for, warehouse_dir
    from pipeline.lake import write_partition
    from warehouse_fixtures import copy_models, write_small_lake
    from test_incremental_rules import NEW_WINDOW, _new_paper

    write_small_lake(settings.lake)
    root = copy_models(tmp_path / "models")
    build_and_publish(settings, gates=False, models_root=root, run_id="base")
    published = warehouse_dir(settings) / "exports" / "parquet"
    kept = sorted(published.glob("dim_*.parquet"))[0]
    kept.unlink()                                           # someone deleted a file of the published export
    import pyarrow.parquet as pq

    # ... and emptied a month file of a by-month export (a new file: the old one may be linked)
    month = sorted((published / "fct_references").glob("*.parquet"))[0]
    empty = pq.read_table(month).slice(0, 0)
    month.unlink()
    pq.write_table(empty, month)
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [_new_paper()])
    with caplog.at_level("WARNING", logger="mlgraph.warehouse"):
        night = build(settings, models_root=root, run_id="night")
    from test_incremental import export_mismatches

    assert export_mismatches(night) == []
    assert (exports_for(night) / "parquet" / kept.name).exists()
    assert any("fct_references does not match" in r.getMessage() for r in caplog.records)
