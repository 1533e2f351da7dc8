"""Fetch Semantic Scholar ids, citation counts and references for the lake's arXiv papers.

Which papers: every distinct ``arxiv_id`` of ``arxiv/papers`` minus those whose latest
``found``/``not_found`` answer in ``semantic_scholar/fetch_log`` is younger than
``s2_refresh_days`` (an anti-join in DuckDB; ids logged ``error`` are asked again next run).
How: ``POST {s2_api_url}/paper/batch?fields=...`` with ``{"ids": ["ARXIV:<id>", ...]}``, at most
``s2_batch_size`` ids per call, paced to ``s2_requests_per_second``, 429/5xx retried by
:class:`pipeline.http.HttpClient`. Set ``MLGRAPH_S2_API_URL=https://api.semanticscholar.org/graph/v1``
for the real service; unset, the fetch refuses to start (the sample profile points it at the
loopback server of :mod:`pipeline.sample`).

Checkpointing: a run (a *batch*, default today's UTC date) commits one lake transaction every
``calls_per_commit`` API calls into partitions ``<batch>-c0001``, ``<batch>-c0002``… of all four
datasets, and records the next chunk number in ``<state>/checkpoints/semantic_scholar/<batch>.json``.
A crash loses at most the chunk in flight (never a half-written partition); running the same batch
again resumes after the committed chunks, whose ids are already in the fetch log. Once a batch has
completed, running it again *replaces* it: its own fetch-log rows do not count as fresh, its chunks
are rewritten from ``c0001`` and chunks beyond the new last one are dropped.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from pipeline import lake
from pipeline.config import require_source
from pipeline.errors import MlgraphError
from pipeline.http import HttpClient, redact_url
from pipeline.ids import normalize_arxiv_id
from pipeline.manifest import IngestResult, Manifest
from pipeline.progress import bar
from pipeline.sources.semantic_scholar.parser import ParsedBatch, parse_batch
from pipeline.state import CheckpointStore

log = logging.getLogger(__name__)

SOURCE = "semantic_scholar"
FIELDS = ("paperId,corpusId,externalIds,title,year,citationCount,referenceCount,influentialCitationCount,"
          "references.paperId,references.corpusId,references.externalIds,references.title,references.year")
MAX_IDS_PER_CALL = 500  # the Graph API's limit for /paper/batch
CALLS_PER_COMMIT = 20   # 10,000 papers per lake transaction: a crash costs ~20 s of calls at 1 req/s
DATASETS = ("semantic_scholar/papers", "semantic_scholar/references", "semantic_scholar/fetch_log",
            "semantic_scholar/quarantine")
# fetch_log first: an interrupted drop then leaves ids that will simply be fetched again.
_DROP_ORDER = ("semantic_scholar/fetch_log",) + tuple(k for k in DATASETS if k != "semantic_scholar/fetch_log")
_BATCH_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+$")
_CHUNK_SUFFIX = re.compile(r"-c([0-9]{4,})$")


def chunk_partition(batch: str, chunk: int) -> str:
    """Partition value of one committed chunk of a batch."""
    return f"{batch}-c{chunk:04d}"


def batch_chunks(lake_path, batch: str) -> dict[int, str]:
    """Committed chunk numbers of a batch → partition value (from the fetch log's partitions)."""
    out = {}
    for value in lake.list_partitions(lake_path, "semantic_scholar/fetch_log"):
        match = _CHUNK_SUFFIX.search(value)
        if match and value[:match.start()] == batch:
            out[int(match.group(1))] = value
    return out


def _batch_name(batch: str | None) -> str:
    name = batch or datetime.now(timezone.utc).date().isoformat()
    if not _BATCH_NAME.match(name) or _CHUNK_SUFFIX.search(name):
        raise MlgraphError(f"batch name {name!r} must use only letters, digits, '_', '.', ':', '-' "
                           "and must not end in -cNNNN")
    return name


def fetch_citations(settings, batch: str | None = None, limit: int | None = None,
                    arxiv_ids: Iterable[str] | None = None, *, calls_per_commit: int = CALLS_PER_COMMIT,
                    sleep: Callable[[float], None] | None = None,
                    clock: Callable[[], float] | None = None) -> IngestResult:
    """Fetch S2 papers/references for new or stale arXiv papers (or exactly ``arxiv_ids``).

    ``sleep``/``clock`` are handed to the HTTP client (tests record pacing without waiting).
    """
    api_url = require_source(settings, "s2_api_url")
    batch = _batch_name(batch)
    return _fetch(settings, api_url, batch, limit, arxiv_ids, calls_per_commit, sleep, clock)


def _explicit_ids(arxiv_ids: Iterable[str]) -> list[str]:
    if isinstance(arxiv_ids, str):
        arxiv_ids = [arxiv_ids]
    ids, bad = [], []
    for raw in arxiv_ids:
        norm = normalize_arxiv_id(raw)
        (ids if norm else bad).append(norm or raw)
    if bad:
        raise MlgraphError(f"not arXiv ids: {', '.join(map(repr, bad[:10]))}")
    return sorted(set(ids))


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _load_candidates(con, settings, batch: str, first_chunk: int, limit: int | None,
                     arxiv_ids: Iterable[str] | None) -> int | None:
    """Fill temp table ``s2_candidates``; returns its size, or None when the lake has no arXiv papers."""
    limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
    if arxiv_ids is not None:
        con.execute("CREATE TEMP TABLE s2_candidates (arxiv_id VARCHAR)")
        ids = _explicit_ids(arxiv_ids)[: limit if limit is not None else None]
        if ids:
            con.execute("INSERT INTO s2_candidates SELECT unnest(?)", [ids])
        return len(ids)
    papers_glob = lake.dataset_glob(settings.lake, "arxiv/papers")
    if not glob.glob(papers_glob):
        return None
    log_glob = lake.dataset_glob(settings.lake, "semantic_scholar/fetch_log")
    fresh = "SELECT NULL::VARCHAR AS arxiv_id WHERE false"
    params: list = []
    if glob.glob(log_glob):
        # This batch's own chunks from first_chunk on are being rewritten, so their answers
        # must not make their ids look fresh.
        redo = [v for n, v in batch_chunks(settings.lake, batch).items() if n >= first_chunk]
        cutoff = datetime.now(timezone.utc) - timedelta(days=settings.s2_refresh_days)
        fresh = (f"SELECT arxiv_id FROM read_parquet({_sql_literal(log_glob)}, hive_partitioning=true, "
                 "hive_types={'batch': VARCHAR}) WHERE status IN ('found', 'not_found') "
                 "AND NOT list_contains(?::VARCHAR[], batch) GROUP BY arxiv_id HAVING max(fetched_at) >= ?")
        params = [redo, cutoff]
    con.execute(
        "CREATE TEMP TABLE s2_candidates AS "
        f"SELECT arxiv_id FROM (SELECT arxiv_id FROM read_parquet({_sql_literal(papers_glob)}) "
        f"EXCEPT {fresh}) ORDER BY arxiv_id{limit_sql}", params)
    n = con.execute("SELECT count(*) FROM s2_candidates").fetchone()[0]
    if n == 0 and con.execute(f"SELECT count(*) FROM read_parquet({_sql_literal(papers_glob)})").fetchone()[0] == 0:
        return None
    return n


def _write_parsed(txn, partition: str, parsed: ParsedBatch) -> None:
    # The parser checks every value; a row Arrow still refuses is quarantined, not a crash.
    at = datetime.now(timezone.utc)
    quarantine = list(parsed.quarantine)
    for key, rows in zip(DATASETS[:3], (parsed.papers, parsed.references, parsed.fetch_log)):
        if rows:
            rejects: list = []
            txn.write(key, partition, lake.table_from_rows(key, rows, rejects))
            quarantine += lake.reject_rows(key, rejects, at, f"batch {partition}", key="arxiv_id")
    if quarantine:
        txn.write(DATASETS[3], partition, quarantine)


def _fetch(settings, api_url: str, batch: str, limit, arxiv_ids, calls_per_commit: int, sleep, clock) -> IngestResult:
    import duckdb

    if calls_per_commit < 1:
        raise MlgraphError("calls_per_commit must be at least 1")
    if limit is not None and limit < 0:
        raise MlgraphError(f"limit must not be negative, got {limit}")
    batch_size = max(1, min(int(settings.s2_batch_size), MAX_IDS_PER_CALL))
    endpoint = api_url.rstrip("/") + "/paper/batch"
    checkpoints = CheckpointStore(settings.state, SOURCE)
    saved = checkpoints.load(batch)
    first_chunk = int(saved["next_chunk"]) if saved else 1
    manifest = Manifest(settings.state)
    with manifest.record(SOURCE, f"batch {batch}", partition=batch, url=redact_url(endpoint)) as result:
        con = duckdb.connect()
        try:
            total = _load_candidates(con, settings, batch, first_chunk, limit, arxiv_ids)
            if total is None:
                result.outcome = "empty"
                result.detail = "no arXiv papers in the lake yet; ingest arXiv first"
            else:
                result.rows = {key: 0 for key in DATASETS if key != "semantic_scholar/quarantine"}
                if first_chunk > 1:
                    log.info("%s: resuming batch %s at chunk %d", SOURCE, batch, first_chunk)
                next_chunk = _run_chunks(settings, con, endpoint, batch, first_chunk, total, batch_size,
                                         calls_per_commit, checkpoints, result, sleep, clock)
                _drop_chunks_from(settings.lake, batch, next_chunk)
                checkpoints.clear(batch)
                if total == 0 and first_chunk == 1:
                    result.outcome = "unchanged"
                    result.detail = (f"nothing to ask: every arXiv paper was answered within "
                                     f"{settings.s2_refresh_days} days")
        finally:
            con.close()
    return result


def _run_chunks(settings, con, endpoint, batch, chunk, total, batch_size, calls_per_commit,
                checkpoints, result, sleep, clock) -> int:
    """Ask for every candidate, committing a chunk every ``calls_per_commit`` calls; returns the next chunk."""
    rps = settings.s2_requests_per_second
    kw = {k: v for k, v in (("sleep", sleep), ("clock", clock)) if v is not None}
    headers = {"x-api-key": settings.s2_api_key} if settings.s2_api_key else None
    client = HttpClient.from_settings(settings, name=SOURCE, min_interval=1.0 / rps if rps > 0 else 0.0,
                                      headers=headers, **kw)
    digest = hashlib.sha256()
    committed_chunks = 0
    cursor = con.execute("SELECT arxiv_id FROM s2_candidates ORDER BY arxiv_id")
    progress = bar(total=total, desc=f"s2 {batch}", unit="paper")
    calls = 0
    try:
        more = True
        while more:
            partition = chunk_partition(batch, chunk)
            with lake.transaction(settings.lake) as txn:
                # Every dataset gets this chunk's partition, even empty, so a rerun replaces all four.
                # Commit renames them in this order, fetch_log after papers/references: a kill between
                # renames leaves rows whose ids are not yet logged, so they are simply asked again.
                for key in DATASETS:
                    txn.writer(key, partition)
                calls_in_chunk = 0
                for _ in range(calls_per_commit):
                    ids = [row[0] for row in cursor.fetchmany(batch_size)]
                    if not ids:
                        more = False
                        break
                    calls += 1
                    calls_in_chunk += 1
                    response = client.post(endpoint, params={"fields": FIELDS},
                                           json={"ids": [f"ARXIV:{i}" for i in ids]})
                    fetched_at = datetime.now(timezone.utc)
                    digest.update(response.content)
                    parsed = parse_batch(ids, response.content, fetched_at,
                                         f"{redact_url(endpoint)} batch {batch} call {calls}")
                    _write_parsed(txn, partition, parsed)
                    progress.update(len(ids))
                if not calls_in_chunk:
                    txn.writers.clear()  # nothing asked: publish nothing rather than empty partitions
            if not calls_in_chunk:
                break
            for key, n in txn.rows().items():
                if key == "semantic_scholar/quarantine":
                    result.quarantined += n
                else:
                    result.rows[key] = result.rows.get(key, 0) + n
            committed_chunks += 1
            chunk += 1
            checkpoints.save(batch, {"next_chunk": chunk})
    except MlgraphError as exc:
        if committed_chunks:
            raise type(exc)(f"{exc} — {committed_chunks} earlier chunk(s) of batch {batch} are committed; "
                            f"running batch {batch} again resumes after them") from None
        raise
    finally:
        progress.close()
        client.close()
        result.checksum = digest.hexdigest() if calls else None
    log.info("%s: batch %s: %d ids in %d calls (%d retries)", SOURCE, batch, total, calls, client.retries_made)
    return chunk


def _drop_chunks_from(lake_path, batch: str, first_stale: int) -> None:
    """Remove chunks a previous run of this batch left beyond the ones just written."""
    stale = [v for n, v in sorted(batch_chunks(lake_path, batch).items()) if n >= first_stale]
    for value in stale:
        for key in _DROP_ORDER:
            lake.drop_partition(lake_path, key, value)
