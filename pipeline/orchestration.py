"""Thin functions the Airflow tasks call: each wraps one pipeline step and returns a small dict.

The DAG files stay declarative (schedules, pools, assets, dependencies); what a task *does* lives
here so it is importable, testable and identical under ``dag.test()``, the Celery workers and
``make run``. Nothing heavy is imported at module level: the DAG files import this module.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

# One Airflow pool per external API, one slot each: the politeness limits (arXiv's OAI-PMH asks
# for one client at a time; S2 rate-limits per key) must hold however many workers run.
POOLS: dict[str, tuple[int, str]] = {
    "arxiv_oai": (1, "arXiv OAI-PMH: one harvest at a time (politeness)"),
    "semantic_scholar": (1, "Semantic Scholar Graph API: one client per API key"),
    "pwc_dumps": (1, "Papers With Code dump downloads"),
}


def settings():
    """Settings from the environment (MLGRAPH_HOME, MLGRAPH_* variables) as every task sees them."""
    from pipeline.config import load_settings

    return load_settings()


def _sources(cfg, *names):
    """The real source locations, or under the sample profile the sample served for this task.

    Each task starts its own loopback servers: tasks may run on different workers, and nothing
    sample-related then lives longer than the task that needs it.
    """
    from pipeline.sample.sources import profile_sources

    return profile_sources(cfg, names)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def oai_window(data_interval_start, data_interval_end) -> tuple[date, date]:
    """The inclusive OAI-PMH date window of an Airflow data interval.

    The interval is half-open [start, end); OAI ``until`` is inclusive, so the window ends the day
    before ``end``. A zero-length interval (a manual run) still harvests its start day.
    """
    start = _as_date(data_interval_start)
    until = _as_date(data_interval_end) - timedelta(days=1)
    return start, max(start, until)


def _month(text: str) -> date:
    try:
        return datetime.strptime(str(text)[:7], "%Y-%m").date()
    except ValueError:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from None


def month_windows(start: str, end: str, today: date | None = None) -> list[dict]:
    """Monthly OAI windows from month ``start`` to month ``end`` (inclusive, YYYY-MM), capped at today.

    Returns ``[{"date_from": "2025-01-01", "date_until": "2025-01-31"}, ...]`` — the map input of
    the backfill's dynamically mapped harvest task.
    """
    first, last = _month(start), _month(end)
    if last < first:
        raise ValueError(f"end month {end} is before start month {start}")
    today = today or date.today()
    out = []
    current = first
    while current <= last and current <= today:
        nxt = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        until = min(nxt - timedelta(days=1), today)
        out.append({"date_from": current.isoformat(), "date_until": until.isoformat()})
        current = nxt
    return out


def harvest(date_from, date_until, cfg=None) -> dict:
    """Harvest one arXiv OAI-PMH window into the lake."""
    from pipeline.sources.arxiv import harvest_window

    with _sources(cfg or settings(), "arxiv") as cfg:
        result = harvest_window(cfg, _as_date(date_from), _as_date(date_until))
    log.info("arXiv window %s..%s: %s %s", date_from, date_until, result.outcome, result.rows)
    return result.as_dict()


def snapshot(cfg=None) -> dict:
    """Bootstrap arXiv history from the bulk metadata snapshot (MLGRAPH_ARXIV_SNAPSHOT, or the sample's)."""
    from pipeline.sources.arxiv import ingest_snapshot

    with _sources(cfg or settings(), "arxiv-snapshot") as cfg:
        result = ingest_snapshot(cfg, cfg.arxiv_snapshot)
    log.info("arXiv snapshot: %s %s", result.outcome, result.rows)
    return result.as_dict()


def refresh_pwc(cfg=None, force: bool = False) -> list[dict]:
    """Check the Papers With Code dumps and re-ingest those that changed."""
    from pipeline.sources.pwc import ingest_dumps

    with _sources(cfg or settings(), "pwc") as cfg:
        results = ingest_dumps(cfg, force=force)
    for r in results:
        log.info("PwC %s: %s %s", r.target, r.outcome, r.rows)
    return [r.as_dict() for r in results]


def citations(batch: str, cfg=None) -> dict:
    """Fetch Semantic Scholar references for new and stale papers, as partition ``batch``."""
    from pipeline.sources.semantic_scholar import fetch_citations

    with _sources(cfg or settings(), "s2") as cfg:
        result = fetch_citations(cfg, batch=batch)
    log.info("Semantic Scholar batch %s: %s %s", batch, result.outcome, result.rows)
    return result.as_dict()


def refresh_models(cfg=None) -> list[dict]:
    """Foundation-model sources (HF trees, Epoch, Ecosystem Graphs); each skips itself when unset."""
    from pipeline.sources.ecosystem_graphs import ingest_ecosystem_graphs
    from pipeline.sources.epoch import ingest_epoch
    from pipeline.sources.hf import ingest_hf

    with _sources(cfg or settings(), "hf", "epoch", "ecosystem-graphs") as cfg:
        results = [ingest_hf(cfg), ingest_epoch(cfg), ingest_ecosystem_graphs(cfg)]
    for r in results:
        log.info("%s %s: %s %s", r.source, r.target, r.outcome, r.rows)
    return [r.as_dict() for r in results]


def build_candidate(run_id: str | None = None, cfg=None, full: bool = False) -> str:
    """Build a new candidate warehouse file (the published one is not touched); returns its path.

    Incremental against the published build unless ``full``; when neither the lake nor the code
    changed, nothing is built and the published file's path is returned (the audit and publish
    tasks then report "unchanged"). Idempotent per run: a retry of a run whose build already
    completed reuses that candidate.
    """
    from pipeline.quality.gates import safe_run_id
    from pipeline.warehouse import build
    from pipeline.warehouse.builder import candidates_dir, is_unchanged

    cfg = cfg or settings()
    run_id = safe_run_id(run_id)
    done = candidates_dir(cfg) / f"{run_id}.duckdb"
    if done.exists():
        log.info("reusing the candidate this run already built: %s", done)
        return str(done)
    path = build(cfg, run_id=run_id, full=full)
    if not is_unchanged(cfg, path):
        log.info("candidate warehouse built: %s", path)
    return str(path)


def audit(candidate, run_id: str | None = None, cfg=None, **gate_options) -> dict:
    """Run the quality gates on a candidate; raises QualityGateError (blocking publish) on failure."""
    from pipeline.warehouse import audit as audit_candidate

    cfg = cfg or settings()
    report = audit_candidate(cfg, Path(candidate), run_id=run_id, **gate_options)
    if report is None:
        return {"run_id": run_id, "success": True, "expectations": 0, "results_dir": None, "unchanged": True}
    log.info("%s", report.summary())
    return {"run_id": report.run_id, "success": report.success, "expectations": report.expectations,
            "results_dir": report.results_dir}


def publish(candidate, cfg=None) -> str:
    """Atomically swap an audited candidate in as the published warehouse."""
    from pipeline.warehouse import publish as publish_warehouse
    from pipeline.warehouse.builder import is_unchanged

    cfg = cfg or settings()
    unchanged = is_unchanged(cfg, candidate)
    path = publish_warehouse(cfg, Path(candidate))
    if not unchanged:
        log.info("published warehouse: %s", path)
    return str(path)


def audit_and_publish(cfg, candidate, run_id: str | None = None, **gate_options) -> dict:
    """Write–audit–publish's last two steps: publish only when every gate passes."""
    gates = audit(candidate, run_id=run_id, cfg=cfg, **gate_options)
    return {"gates": gates, "published": publish(candidate, cfg=cfg)}


def digest(warehouse=None, cfg=None) -> str:
    """The printed digest of headline indicators of the (published) warehouse; also logged."""
    from pipeline.indicators import digest as make_digest, format_digest

    cfg = cfg or settings()
    text = format_digest(make_digest(Path(warehouse) if warehouse else cfg.warehouse))
    for line in text.splitlines():
        log.info("%s", line)
    return text


def ensure_pools() -> list[str]:
    """Create (or resize) the per-API pools in the Airflow metadata DB; returns their names."""
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots=slots, description=description, include_deferred=False)
    return list(POOLS)
