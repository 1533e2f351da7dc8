"""Every Python step reads only the tables its YAML declares as inputs.

The build order and the nightly reuse decision come from those declarations, so a step that reads
an undeclared table can run before that table is rebuilt, or be reused when it changed. Each step
runs here on a connection where only its declared inputs exist (copied from one built
warehouse): an undeclared read is a catalog error.
"""

from __future__ import annotations

import duckdb
import pytest

from pipeline.warehouse import build
from pipeline.warehouse.context import BuildContext
from pipeline.warehouse.contracts import build_order, discover_models
from pipeline.warehouse.runner import resolve_step

SAMPLE_PAPERS = 400


def ingest_sample_world(home, papers: int = SAMPLE_PAPERS):
    """Settings of a home whose lake holds a small sample world, ingested through the real clients."""
    from pipeline import sample
    from pipeline.config import load_settings
    from pipeline.sample.ingest import sample_windows
    from pipeline.sample.sources import sample_sources
    from pipeline.sources.arxiv import harvest_window, ingest_snapshot
    from pipeline.sources.hf import crawl_hub
    from pipeline.sources.pwc import ingest_dumps
    from pipeline.sources.semantic_scholar import fetch_citations

    settings = load_settings(env={}, home=home, oai_delay_seconds=0.0, s2_requests_per_second=0.0,
                             http_backoff_seconds=0.01, http_max_retries=3, http_timeout_seconds=5.0,
                             sample_papers=papers)
    sample.ensure_sample(settings)
    with sample_sources(settings) as local:
        ingest_snapshot(local)
        for date_from, date_until in sample_windows(local.sample_dir):
            harvest_window(local, date_from, date_until)
        ingest_dumps(local)
        fetch_citations(local, batch="b1")
        crawl_hub(local, batch="sample")
    return settings


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A full build of a small sample world: every model present."""
    settings = ingest_sample_world(tmp_path_factory.mktemp("inputs") / "home")
    return settings, build(settings, run_id="inputs", full=True)


def _steps():
    models = discover_models()
    order = build_order(models)
    return [(n.name, sorted({i for out in n.outputs for i in models[out].inputs} - set(n.outputs)), n.outputs)
            for n in order if n.kind == "step"]


@pytest.mark.parametrize("step, inputs, outputs", _steps(), ids=lambda v: v if isinstance(v, str) else None)
def test_a_step_needs_no_undeclared_table(built, step, inputs, outputs, tmp_path):
    settings, candidate = built
    con = duckdb.connect()
    con.execute(f"ATTACH '{candidate}' AS src (READ_ONLY)")
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_catalog = 'src' AND table_schema = 'main'").fetchall()}
    assert not set(inputs) - present, sorted(set(inputs) - present)
    for name in inputs:
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM src."{name}"')
    con.execute("DETACH src")
    ctx = BuildContext(settings=settings, exports_dir=tmp_path / "exports", run_id="inputs", candidate=None)
    (tmp_path / "exports").mkdir()
    try:
        resolve_step(step)(con, ctx)
    except duckdb.CatalogException as err:
        pytest.fail(f"{step} read a table it does not declare (declared: {inputs}): {err}")
    made = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(outputs) <= made
