"""Shared pieces of the mlgraph DAGs: assets, default args and the write–audit–publish tail.

Only ``airflow.sdk`` is imported here; each task imports :mod:`pipeline.orchestration` when it
runs, so parsing the DAG files stays fast and needs no pipeline dependencies loaded.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset, task

# Data-aware scheduling: ingestion tasks emit these assets and the warehouse build consumes them;
# publishing emits the warehouse asset, which downstream DAGs (notebooks' refreshes, exports) can
# be scheduled on. URIs are logical names, valid on any worker whatever MLGRAPH_HOME is mounted as.
RAW_ARXIV = Asset(name="mlgraph_raw_arxiv", uri="mlgraph://lake/raw/arxiv", group="mlgraph_lake")
RAW_PWC = Asset(name="mlgraph_raw_pwc", uri="mlgraph://lake/raw/pwc", group="mlgraph_lake")
RAW_S2 = Asset(name="mlgraph_raw_semantic_scholar", uri="mlgraph://lake/raw/semantic_scholar", group="mlgraph_lake")
RAW_MODELS = Asset(name="mlgraph_raw_models", uri="mlgraph://lake/raw/models", group="mlgraph_lake")
WAREHOUSE = Asset(name="mlgraph_warehouse", uri="mlgraph://warehouse/mlgraph.duckdb", group="mlgraph_warehouse")
RAW_ASSETS = [RAW_ARXIV, RAW_PWC, RAW_S2, RAW_MODELS]

# `mlgraph run` sets MLGRAPH_TASK_RETRIES=0: a local run on the sample should fail fast, not wait
# out minutes of backoff; deployments keep the default.
DEFAULT_ARGS = {
    "owner": "mlgraph",
    "retries": int(os.environ.get("MLGRAPH_TASK_RETRIES", "3")),
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=6),
}


@task(pool="pwc_dumps", outlets=[RAW_PWC])
def refresh_pwc() -> list[dict]:
    """Check the Papers With Code dumps; re-ingest only those that changed."""
    from pipeline import orchestration

    return orchestration.refresh_pwc()


@task(outlets=[RAW_MODELS])
def refresh_models() -> list[dict]:
    """Foundation-model lineage sources: HF model trees, Epoch notable models, Ecosystem Graphs."""
    from pipeline import orchestration

    return orchestration.refresh_models()


@task(pool="semantic_scholar", outlets=[RAW_S2])
def fetch_citations(ds=None) -> dict:
    """Semantic Scholar references for papers never fetched or stale; one partition per run date."""
    from pipeline import orchestration

    return orchestration.citations(batch=ds)


@task(inlets=RAW_ASSETS)
def build_warehouse(run_id=None) -> str:
    """Build a candidate warehouse file from the lake (the published file is untouched)."""
    from pipeline import orchestration

    return orchestration.build_candidate(run_id=run_id)


# Retrying cannot fix bad data: a failed gate fails the run at once, leaving the old warehouse.
@task(retries=0)
def quality_gates(candidate: str, run_id=None) -> dict:
    """Great Expectations suites on the lake and the candidate; raises to block publishing."""
    from pipeline import orchestration

    return orchestration.audit(candidate, run_id=run_id)


@task(outlets=[WAREHOUSE])
def publish_warehouse(candidate: str, gates: dict) -> str:
    """Atomically swap the audited candidate in as the published warehouse."""
    from pipeline import orchestration

    return orchestration.publish(candidate)


@task
def log_digest(published: str) -> str:
    """Log the headline indicators of the freshly published warehouse."""
    from pipeline import orchestration

    return orchestration.digest(published)


@task
def publish_report(published: str) -> str:
    """Render the static report of the freshly published warehouse and swap it in atomically."""
    from pipeline.report import publish_report as publish

    return publish(published)


def write_audit_publish(upstream) -> None:
    """build → quality gates → publish → digest and report, after ``upstream`` ingestion tasks."""
    candidate = build_warehouse()
    upstream >> candidate
    gates = quality_gates(candidate)
    published = publish_warehouse(candidate, gates)
    log_digest(published)
    publish_report(published)
