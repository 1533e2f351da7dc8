"""The nightly mlgraph run: ingest the day's data, rebuild, audit, publish, report."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from airflow.sdk import CronDataIntervalTimetable, dag, task

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # the dag processor puts its bundle on sys.path; a plain DagBag does not
    sys.path.insert(0, _HERE)

from mlgraph_common import (DEFAULT_ARGS, RAW_ARXIV, fetch_citations, refresh_models, refresh_pwc,  # noqa: E402
                            write_audit_publish)

DOC = """
### mlgraph nightly

One run per day (data interval = the previous day, UTC):

1. **harvest_arxiv** — OAI-PMH `ListRecords` for the interval's window (`from` = interval start,
   `until` = interval end − 1 day, inclusive), into partition `window=<from>_<until>` of the lake
   (re-running a night replaces its window). Pool `arxiv_oai` (1 slot).
2. **fetch_citations** — Semantic Scholar batch API for papers never fetched or older than the
   refresh age; partition `batch=<ds>`. Pool `semantic_scholar`.
3. **refresh_pwc** — conditional download of the Papers With Code dumps; unchanged dumps are
   skipped. Pool `pwc_dumps`.
4. **build_warehouse → quality_gates → publish_warehouse** — write–audit–publish: a candidate
   DuckDB file per run under `<home>/warehouse/candidates/`, built incrementally against the
   published warehouse (unchanged tables copied, declared ones rebuilt by key), Great Expectations
   suites (results in `<home>/quality/<run_id>/`), and only then the atomic swap. A failed gate
   fails the run and leaves the published warehouse as it was. A night whose lake and code equal
   the published build's builds nothing: the three tasks succeed and report "unchanged".
5. **log_digest** — the headline indicators, in the task log; **publish_report** — the static
   report site (`<home>/warehouse/exports/report/index.html`), rendered aside and swapped in, so
   a failed render leaves the previous report.

The ingestion tasks emit the raw-lake assets the build consumes; publishing emits
`mlgraph_warehouse`. `max_active_runs=1` because every run publishes the same file.
"""


@task(pool="arxiv_oai", outlets=[RAW_ARXIV])
def harvest_arxiv(data_interval_start=None, data_interval_end=None) -> dict:
    """Harvest the arXiv OAI-PMH window of this run's data interval."""
    from pipeline import orchestration

    date_from, date_until = orchestration.oai_window(data_interval_start, data_interval_end)
    return orchestration.harvest(date_from, date_until)


@dag(
    dag_id="mlgraph_nightly",
    # A data-interval timetable (not Airflow 3's default trigger timetable for "@daily"): each run
    # covers the previous UTC day, which is exactly the OAI-PMH window it harvests.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=DOC,
    tags=["mlgraph", "nightly", "ingest", "warehouse"],
)
def mlgraph_nightly():
    arxiv = harvest_arxiv()
    citations = fetch_citations()
    arxiv >> citations          # new papers first, so their references are fetched tonight
    write_audit_publish([citations, refresh_pwc(), refresh_models()])


mlgraph_nightly()
