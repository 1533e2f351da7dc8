"""Epoch notable models and CRFM Ecosystem Graphs: the real files load with nothing unhandled; bad
input is quarantined with its reason; a blank setting skips the source."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import MalformedPageError, MlgraphError
from pipeline.sources.ecosystem_graphs import ingest_ecosystem_graphs
from pipeline.sources.ecosystem_graphs.parser import parse_created, parse_yaml_file
from pipeline.sources.epoch import ingest_epoch
from pipeline.sources.epoch.parser import parse_csv
from pipeline.sources.hf import ingest_hf

REAL_SCALE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-scale"
EPOCH_CSV = REAL_SCALE / "epoch-notable-models" / "notable_ai_models.unlabelled-subset.csv"
EG_DIR = REAL_SCALE / "crfm-ecosystem-graphs"


def _rows(settings, key):
    return duckdb.sql(f"SELECT * FROM read_parquet('{settings.lake}/raw/{key}/*/*.parquet')").fetchall()


def test_blank_settings_skip_each_source(settings):
    for fn in (ingest_hf, ingest_epoch, ingest_ecosystem_graphs):
        r = fn(settings)
        assert r.outcome == "skipped" and "not configured" in r.detail
    assert not (settings.lake / "raw").exists()


@pytest.mark.skipif(not EPOCH_CSV.is_file(), reason="real Epoch CSV not present")
def test_real_epoch_csv_loads_with_zero_unhandled_rows(settings):
    with open(EPOCH_CSV, newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    r = ingest_epoch(settings, str(EPOCH_CSV))
    assert r.outcome == "ok" and r.quarantined == 0
    assert r.rows["epoch/models"] == len(raw) == 664
    bases = duckdb.sql(f"SELECT count(*) FROM read_parquet('{settings.lake}/raw/epoch/models/*/*.parquet') "
                       "WHERE len(base_models) > 0").fetchall()[0][0]
    assert bases == sum(1 for x in raw if x["Base model"].strip()) == 57
    # Re-ingesting the same file replaces its partition instead of doubling it.
    ingest_epoch(settings, str(EPOCH_CSV))
    assert len(_rows(settings, "epoch/models")) == 664


def test_epoch_bad_rows_are_quarantined_and_a_foreign_csv_is_an_error():
    data = ("Model,Organization,Publication date,Base model,Parameters,Link\n"
            "Good 7B,Org A,2024-05-01,\"Base-1, Base-2\",7e9,https://arxiv.org/abs/2401.00001\n"
            ",Org B,2024-01-01,,,\n"
            "Odd,Org C,not a date,,lots,\n").encode()
    rows, bad = parse_csv(data, location="t.csv")
    assert [r["model"] for r in rows] == ["Good 7B", "Odd"]
    assert rows[0]["base_models"] == ["Base-1", "Base-2"] and rows[0]["arxiv_id"] == "2401.00001"
    assert rows[1]["publication_date"] is None and rows[1]["parameters"] is None
    assert [b["reason"] for b in bad] == ["row has no Model name"]
    with pytest.raises(MalformedPageError, match="lacks column"):
        parse_csv(b"a,b\n1,2\n", location="x.csv")


@pytest.mark.skipif(not EG_DIR.is_dir(), reason="real Ecosystem Graphs files not present")
def test_real_ecosystem_graphs_load_with_zero_unhandled_rows(settings):
    import yaml

    expected = 0
    for f in sorted((EG_DIR / "assets").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        expected += len(doc) if isinstance(doc, list) else 0
    r = ingest_ecosystem_graphs(settings, str(EG_DIR))
    assert r.outcome == "ok" and r.quarantined == 0
    assert r.rows["ecosystem_graphs/assets"] == expected == 299


def test_ecosystem_quirks(tmp_path, settings):
    assert str(parse_created({"value": "2023-03-01", "explanation": "x"})) == "2023-03-01"
    assert str(parse_created(2022)) == "2022-01-01" and parse_created("unknown") is None
    rows, bad = parse_yaml_file(b"- type: model\n  name: A\n  dependencies: [B]\n"
                                b"- name: no type\n- type: model\n  name: C\n  dependencies: 5\n", source_file="o.yaml")
    assert [r["name"] for r in rows] == ["A"]
    assert len(bad) == 2
    _, bad = parse_yaml_file(b"key: value\n", source_file="m.yaml")
    assert "not a list" in bad[0]["reason"]
    with pytest.raises(MlgraphError, match="no \\*.yaml"):
        ingest_ecosystem_graphs(settings, str(tmp_path))


def test_cli_bad_path_is_one_line_and_exit_2(tmp_path, capsys):
    from pipeline.cli import main

    assert main(["--home", str(tmp_path), "ingest", "hf", "--path", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a directory" in err[0]
    assert main(["--home", str(tmp_path), "ingest", "epoch", "--path", str(tmp_path / "x.csv")]) == 2


def test_reach_counts_tag_domains_and_papers_that_build_on_the_model():
    """ind_model_reach's SQL on hand-made marts: both routes, and the citation hop."""
    from pipeline.warehouse.runner import discover_models, render_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE fct_model_descendants AS SELECT * FROM (VALUES "
                "('F', 'a', 1), ('F', 'b', 1), ('F', 'c', 2), ('G', 'x', 1)) t(foundation_model_id, model_id, depth)")
    con.execute("CREATE TABLE dim_models AS SELECT * FROM (VALUES ('F', 'text-generation'), "
                "('a', 'text-to-image'), ('b', 'text-generation'), ('c', NULL), ('G', 'text-to-speech'), "
                "('x', 'text-to-speech')) t(model_id, pipeline_tag)")
    con.execute("CREATE TABLE fct_model_papers AS SELECT * FROM (VALUES ('c', '2401.00001', 'p1', true), "
                "('b', '2401.00009', NULL, false)) t(model_id, arxiv_id, paper_id, in_lake)")
    con.execute("CREATE TABLE fct_citations AS SELECT * FROM (VALUES ('p2', 'p1'), ('p3', 'p9')) "
                "t(citing_paper_id, cited_paper_id)")
    con.execute("CREATE TABLE fct_paper_domains AS SELECT * FROM (VALUES ('p1', 'nlp'), ('p2', 'bio_medicine'), "
                "('p3', 'graphs')) t(paper_id, domain)")
    model = discover_models()["ind_model_reach"]
    rows = con.execute(render_sql(model.sql, con, Path("/nonexistent"))).fetchall()
    got = {r[0]: r[1:7] for r in rows}
    # F: tags nlp + vision; papers p1 (named by c) and p2 (cites p1) → nlp, bio_medicine.
    assert got["F"] == (3, 2, 2, 2, 3, ["bio_medicine", "nlp", "vision"])
    assert got["G"] == (1, 1, 0, 0, 1, ["speech_audio"])
