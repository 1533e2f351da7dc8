"""OAI-PMH harvester: one date window per call, checkpointed after every page, resumable.

Flow per set: ListRecords(from, until, set, metadataPrefix) → follow resumptionTokens.  Each parsed
page is staged as Parquet under ``<state>/staging/arxiv/<window>/`` and the checkpoint (set,
token, pages done) saved, so a killed harvest resumes at the next page.  When every set is done
the staged pages are combined in DuckDB (de-duplicated by arxiv_id, latest datestamp wins) and
the window is written to the lake in one transaction; then staging and checkpoint are cleared.
"""

from __future__ import annotations

import logging
import shutil
from contextlib import ExitStack
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from pipeline import lake
from pipeline.config import require_source
from pipeline.errors import MalformedPageError, MlgraphError, SourceError
from pipeline.http import HttpClient, redact_url
from pipeline.manifest import IngestResult, Manifest
from pipeline.progress import bar
from pipeline.sources.arxiv.parser import BAD_RESUMPTION_TOKEN, NO_RECORDS_MATCH, PHYSICS_ARCHIVES, parse_page
from pipeline.state import CheckpointStore, atomic_write_bytes

log = logging.getLogger(__name__)

PAPERS = "arxiv/papers"
QUARANTINE = "arxiv/quarantine"
# Servers answer OAI errors with 200 (arXiv) or sometimes 400/404/422; the body decides.
_OAI_STATUSES = frozenset({200, 400, 404, 422})
_MAX_TOKEN_RESTARTS = 1


def window_partition(date_from: date, date_until: date) -> str:
    """Partition value of a window: ``YYYY-MM-DD_YYYY-MM-DD`` (inclusive dates)."""
    return f"{date_from.isoformat()}_{date_until.isoformat()}"


def harvest_window(settings, date_from: date, date_until: date, sets=None, metadata_format=None) -> IngestResult:
    """Harvest one OAI-PMH window into arxiv/papers (+ arxiv/quarantine), partition ``from_until``."""
    if date_until < date_from:
        raise MlgraphError(f"window ends ({date_until}) before it starts ({date_from})")
    fmt = metadata_format or settings.arxiv_format
    if fmt not in ("arXivRaw", "arXiv"):
        raise MlgraphError(f"metadata format must be arXivRaw or arXiv, not {fmt!r}")
    set_list = list(dict.fromkeys(sets or settings.arxiv_sets)) or [None]
    partition = window_partition(date_from, date_until)
    target = f"oai {date_from.isoformat()}..{date_until.isoformat()} {fmt}"
    base_url = require_source(settings, "arxiv_oai_url")
    with ExitStack() as stack:
        client = HttpClient.from_settings(settings, name="arxiv-oai", min_interval=settings.oai_delay_seconds)
        stack.callback(client.close)
        with Manifest(settings.state).record("arxiv", target, partition=partition, url=redact_url(base_url)) as result:
            _Harvest(settings, client, base_url, fmt, set_list, partition, date_from, date_until).run(result)
            return result


class _Harvest:
    """State of one window's harvest (kept in the checkpoint between runs)."""

    def __init__(self, settings, client: HttpClient, base_url: str, fmt: str, sets: list, partition: str,
                 date_from: date, date_until: date):
        self.settings = settings
        self.client = client
        self.base_url = base_url
        self.fmt = fmt
        self.sets = sets
        self.partition = partition
        self.date_from = date_from
        self.date_until = date_until
        self.staging = Path(settings.state) / "staging" / "arxiv" / partition
        self.checkpoints = CheckpointStore(settings.state, "arxiv")
        self.deleted = 0
        self.requests = 0

    def run(self, result: IngestResult) -> None:
        """Harvest every set (resuming from the checkpoint), then publish the window."""
        ckpt = self.checkpoints.load(self.partition)
        if ckpt is None or ckpt.get("format") != self.fmt or ckpt.get("sets") != self.sets:
            # A checkpoint for another format/set list cannot be resumed: start the window afresh.
            shutil.rmtree(self.staging, ignore_errors=True)
            ckpt = {"format": self.fmt, "sets": self.sets, "done_sets": [], "set": None, "token": None,
                    "pages": 0, "deleted": 0}
        else:
            log.info("arxiv %s: resuming at set %s page %d", self.partition, ckpt["set"], ckpt["pages"] + 1)
        self.deleted = ckpt.get("deleted", 0)
        matched_any = False
        for set_spec in self.sets:
            if set_spec in ckpt["done_sets"]:
                matched_any = True
                continue
            if ckpt["set"] != set_spec:
                ckpt.update(set=set_spec, token=None, pages=0)
            matched_any |= self._harvest_set(set_spec, ckpt)
            ckpt["done_sets"].append(set_spec)
            ckpt.update(set=None, token=None, pages=0)
            self._save(ckpt)
        rows = self._publish()
        result.rows = {PAPERS: rows[PAPERS]}
        result.quarantined = rows[QUARANTINE]
        result.detail = f"sets={','.join(str(s) for s in self.sets)} deleted={self.deleted}"
        if not matched_any or rows[PAPERS] == 0:
            result.outcome = "empty"
        self.checkpoints.clear(self.partition)
        shutil.rmtree(self.staging, ignore_errors=True)

    def _harvest_set(self, set_spec, ckpt: dict) -> bool:
        """Page through one set; returns False when the server said noRecordsMatch."""
        restarts = 0
        progress = bar(desc=f"arxiv {set_spec or 'all'} {self.partition}", unit="page")
        try:
            while True:
                token = ckpt["token"]
                if token is None and ckpt["pages"] > 0:
                    return True
                params = {"verb": "ListRecords"}
                if token:
                    params["resumptionToken"] = token
                else:
                    params.update(metadataPrefix=self.fmt, **{"from": self.date_from.isoformat(),
                                                              "until": self.date_until.isoformat()})
                    if set_spec:
                        params["set"] = set_spec
                page_no = ckpt["pages"] + 1
                response = self.client.get(self.base_url, params=params, ok_statuses=_OAI_STATUSES)
                location = f"{redact_url(self.base_url)} set={set_spec} page {page_no}"
                try:
                    page = parse_page(response.content, location=location)
                except MalformedPageError:
                    if response.status_code == 200:
                        raise
                    raise SourceError(f"arxiv: {location} answered HTTP {response.status_code}, not OAI-PMH") from None
                if page.error is not None and page.error.code == NO_RECORDS_MATCH:
                    if token:
                        raise SourceError(f"arxiv: noRecordsMatch in the middle of a list ({location})")
                    return False
                if page.error is not None and page.error.code == BAD_RESUMPTION_TOKEN:
                    if restarts >= _MAX_TOKEN_RESTARTS:
                        raise SourceError(f"arxiv: resumption token rejected again after restarting set "
                                          f"{set_spec} of {self.partition}: {page.error.message}")
                    restarts += 1
                    log.warning("arxiv %s: badResumptionToken on set %s; restarting the set", self.partition, set_spec)
                    shutil.rmtree(self._set_dir(set_spec), ignore_errors=True)
                    ckpt.update(token=None, pages=0)
                    self._save(ckpt)
                    continue
                if response.status_code != 200:
                    raise SourceError(f"arxiv: HTTP {response.status_code} from {location} without an OAI error")
                self._stage(set_spec, page_no, page)
                self.deleted += page.deleted
                ckpt.update(token=page.next_token, pages=page_no, deleted=self.deleted)
                self._save(ckpt)
                if page.token is not None and page.token.complete_list_size and progress.total is None:
                    progress.total = -(-page.token.complete_list_size // max(1, page.row_count + len(page.quarantined) + page.deleted))
                progress.update(1)
                if page.next_token is None:
                    return True
        finally:
            progress.close()

    def _save(self, ckpt: dict) -> None:
        self.checkpoints.save(self.partition, ckpt)

    def _set_dir(self, set_spec) -> Path:
        return self.staging / ("all" if set_spec is None else str(set_spec).replace(":", "_"))

    def _stage(self, set_spec, page_no: int, page) -> None:
        """Write a page's rows and quarantine as staged Parquet (atomically, before the checkpoint)."""
        now = datetime.now(timezone.utc)
        rejects: list = []
        if page.table is not None:
            stamp = pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), page.table.num_rows)
            papers = conform(page.table.append_column("ingested_at", stamp), schemas.get(PAPERS).schema)
        else:
            for row in page.rows:
                row["ingested_at"] = now
            papers = lake.table_from_rows(PAPERS, page.rows, rejects)
        quarantine = lake.table_from_rows(QUARANTINE, [
            {"dataset": PAPERS, "ingested_at": now, **q} for q in page.quarantined]
            + lake.reject_rows(PAPERS, rejects, now, f"page {page_no}", key="arxiv_id"))
        d = self._set_dir(set_spec)
        for kind, table in (("papers", papers), ("quarantine", quarantine)):
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, compression="zstd")
            atomic_write_bytes(d / f"{kind}-{page_no:06d}.parquet", sink.getvalue().to_pybytes())

    def _publish(self) -> dict[str, int]:
        """Combine the staged pages (DuckDB) and write the window to the lake in one transaction.

        The partition holds the union of every set harvested for the window: rows of the
        previous partition whose categories belong to none of this call's sets are kept, so
        ``--set cs`` then ``--set stat`` does not lose the cs papers; the harvested sets are
        replaced wholesale (re-running a window is idempotent).
        """
        import duckdb

        papers_spec, quarantine_spec = schemas.get(PAPERS), schemas.get(QUARANTINE)
        cols = ", ".join(f'"{n}"' for n in papers_spec.schema.names)
        papers_glob = str(self.staging / "*" / "papers-*.parquet")
        quarantine_glob = str(self.staging / "*" / "quarantine-*.parquet")
        if any(self.staging.glob("*/papers-*.parquet")):
            # The same paper shows up in several sets (cross-lists) and, rarely, twice in a
            # window; keep its latest datestamp, then the latest version, deterministically.
            new = (f"SELECT {cols} FROM read_parquet({lake.sql_literal(papers_glob)}, filename = true) "
                   "QUALIFY row_number() OVER (PARTITION BY arxiv_id ORDER BY oai_datestamp DESC, "
                   "last_updated_date DESC NULLS LAST, latest_version DESC NULLS LAST, filename DESC) = 1")
            quarantine_sql = f"SELECT * FROM read_parquet({lake.sql_literal(quarantine_glob)}) ORDER BY location, record_key"
        else:
            new = quarantine_sql = None
        previous = lake.partition_dir(self.settings.lake, papers_spec, self.partition)
        keep = None
        if None not in self.sets and any(previous.glob("*.parquet")):
            keep = (f"SELECT {cols} FROM read_parquet({lake.sql_literal(previous / '*.parquet')}) "
                    f"WHERE NOT list_bool_or(list_transform(coalesce(categories, []), lambda c: {_set_match_sql(self.sets)}))")
            if new:
                keep += f" AND arxiv_id NOT IN (SELECT arxiv_id FROM ({new}))"
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            guard = lake.ShrinkGuard.from_settings(self.settings, [PAPERS])
            with lake.transaction(self.settings.lake, guard) as txn:
                parts = [q for q in (new, keep) if q]
                if parts:
                    papers = con.sql(" UNION ALL ".join(f"({q})" for q in parts) + " ORDER BY arxiv_id").to_arrow_table()
                    txn.write(papers_spec, self.partition, conform(papers, papers_spec.schema))
                if quarantine_sql:
                    quarantine = con.sql(quarantine_sql).to_arrow_table()
                    txn.write(quarantine_spec, self.partition, conform(quarantine, quarantine_spec.schema))
                txn.write(papers_spec, self.partition, papers_spec.schema.empty_table())
                txn.write(quarantine_spec, self.partition, quarantine_spec.schema.empty_table())
                rows = txn.rows()
        finally:
            con.close()
        return {PAPERS: rows.get(PAPERS, 0), QUARANTINE: rows.get(QUARANTINE, 0)}


def _set_match_sql(sets: list[str]) -> str:
    """SQL over a category ``c``: does its OAI set belong to one of ``sets`` (see parser.set_specs)?"""
    archives = ", ".join(f"'{a}'" for a in sorted(PHYSICS_ARCHIVES))
    spec = (f"(CASE WHEN split_part(c, '.', 1) IN ({archives}) THEN 'physics:' || split_part(c, '.', 1) "
            "ELSE split_part(c, '.', 1) END)")
    tests = []
    for wanted in sets:
        quoted = str(wanted).replace("'", "''")
        tests.append(f"{spec} = '{quoted}' OR starts_with({spec}, '{quoted}:')")
    return " OR ".join(tests)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast DuckDB's output (its own nullability/timezone labels) to the declared lake schema."""
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)
