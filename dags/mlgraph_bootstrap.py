"""Bootstrap / backfill: history from the bulk snapshot, then OAI months fanned out over workers."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from airflow.sdk import Param, dag, task

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # the dag processor puts its bundle on sys.path; a plain DagBag does not
    sys.path.insert(0, _HERE)

from mlgraph_common import (DEFAULT_ARGS, RAW_ARXIV, fetch_citations, refresh_models, refresh_pwc,  # noqa: E402
                            write_audit_publish)

DOC = """
### mlgraph bootstrap / backfill (manual)

Trigger with params `start` and `end` (months, `YYYY-MM`, inclusive) and optionally `snapshot`
(path or URL of the arXiv metadata snapshot; default `MLGRAPH_ARXIV_SNAPSHOT`; under the sample profile
the sample's own snapshot is always used).

1. **ingest_snapshot** — the bulk JSON-lines snapshot into partition `window=snapshot`.
2. **plan_windows → harvest_month** — one OAI-PMH window per month, as *dynamically mapped* task
   instances (`.expand()`), so a long backfill spreads over the Celery workers; pool `arxiv_oai`
   still keeps arXiv at one request stream. Each month is its own lake partition: a failed month
   retries alone and re-running one replaces it.
3. **refresh_pwc**, **fetch_citations** — as in the nightly.
4. **build_warehouse → quality_gates → publish_warehouse → log_digest, publish_report** —
   write–audit–publish, then the static report beside the published warehouse.
"""

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@task
def ingest_snapshot(params=None) -> dict:
    """Load arXiv history from the bulk metadata snapshot."""
    from pipeline import orchestration

    cfg = orchestration.settings()
    if params and params.get("snapshot"):
        from dataclasses import replace

        cfg = replace(cfg, arxiv_snapshot=params["snapshot"])
    return orchestration.snapshot(cfg)


@task
def plan_windows(params=None) -> list[dict]:
    """The monthly OAI windows between the ``start`` and ``end`` params."""
    from pipeline import orchestration

    return orchestration.month_windows(params["start"], params["end"])


@task(pool="arxiv_oai")
def harvest_month(window: dict) -> dict:
    """Harvest one month's OAI-PMH window (one mapped task instance per month)."""
    from pipeline import orchestration

    return orchestration.harvest(window["date_from"], window["date_until"])


@task(outlets=[RAW_ARXIV])
def arxiv_loaded(results: list) -> dict:
    """Mark the arXiv backfill done (emits the raw arXiv asset once, not once per month)."""
    rows = sum(sum((r.get("rows") or {}).values()) for r in results)
    return {"windows": len(results), "rows": rows}


@dag(
    dag_id="mlgraph_bootstrap",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=DOC,
    tags=["mlgraph", "bootstrap", "backfill", "ingest", "warehouse"],
    params={
        "start": Param("2025-01", type="string", pattern=MONTH, description="first month of OAI windows (YYYY-MM)"),
        "end": Param("2025-12", type="string", pattern=MONTH, description="last month of OAI windows (YYYY-MM)"),
        "snapshot": Param(None, type=["null", "string"], description="arXiv snapshot path or URL (default: MLGRAPH_ARXIV_SNAPSHOT)"),
    },
)
def mlgraph_bootstrap():
    history = ingest_snapshot()
    months = harvest_month.expand(window=plan_windows())
    history >> months           # windows after the snapshot: newer metadata lands last
    citations = fetch_citations()
    loaded = arxiv_loaded(months)
    loaded >> citations
    write_audit_publish([citations, refresh_pwc(), refresh_models()])


mlgraph_bootstrap()
