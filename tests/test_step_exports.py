"""A night that reuses a Python step carries the files it exports (GraphML, lineage Parquet).

Such a step does not run on a night whose inputs did not change, so what it writes beside the
warehouse must come from the published build's exports, or the night's publish would lose them.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.lake import write_partition
from pipeline.warehouse import builder

from test_step_inputs import ingest_sample_world


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                  and "parquet" not in p.relative_to(folder).parts[:1])


def test_a_night_keeps_the_exports_of_the_steps_it_reuses(tmp_path):
    settings = ingest_sample_world(tmp_path / "home", papers=300)
    builder.build_and_publish(settings, gates=False, run_id="first")
    published = settings.warehouse.parent / "exports"
    step_files = [f for f in _files(published) if f.endswith((".graphml", ".parquet"))]
    assert {"lineage.graphml", "model_lineage.graphml"} <= set(step_files)
    # a night of one re-fetched reference list: the lineage steps' inputs do not change
    citing = __import__("duckdb").connect(str(settings.warehouse), read_only=True).execute(
        "SELECT citing_paper_id FROM fct_references LIMIT 1").fetchone()[0]
    write_partition(settings.lake, "semantic_scholar/references", "night", [
        {"citing_arxiv_id": citing, "position": 0, "cited_arxiv_id": citing[:-1] + "9",
         "fetched_at": datetime.now(timezone.utc)}])
    builder.build_and_publish(settings, gates=False, run_id="night")
    assert (settings.warehouse.parent / "exports").resolve().name == "night"
    assert _files(settings.warehouse.parent / "exports") == _files((settings.warehouse.parent / "exports-previous"))
    full = builder.build(settings, run_id="night-full", full=True)
    assert [f for f in _files(builder.exports_for(full)) if f != "step_exports.json"] == \
        [f for f in _files(settings.warehouse.parent / "exports") if f != "step_exports.json"]
