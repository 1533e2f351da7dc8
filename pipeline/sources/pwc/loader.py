"""Loading PwC dump files into the lake: stage, drop duplicates in DuckDB, commit atomically.

Each dump file is one lake transaction over the datasets it feeds, partitioned by the file's
version (first 16 hex of its SHA-256; for the archive's Parquet shards, of the SHA-256 over the
shards' SHA-256s).  Rows are first staged to Parquet with a sequence number;
DuckDB finds the rows that repeat a dataset's grain (only the key columns are read), and the staged
files are then streamed into the transaction without them, keeping each key's first row — so
neither the file nor its keys are ever held as Python objects.
"""

from __future__ import annotations

import gc
import logging
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import schemas
from pipeline import lake
from pipeline.errors import MlgraphError
from pipeline.http import redact_url
from pipeline.manifest import IngestResult, Manifest
from pipeline.progress import bar
from pipeline.sources.pwc.client import Fetched, load_state, save_state
from pipeline.sources.pwc.parquet import FetchedShards, Shard, open_archive, parse_shards
from pipeline.sources.pwc.parser import BATCH_ROWS, DUMPS, FEEDS, QUARANTINE, parse_dump

log = logging.getLogger(__name__)

_SEQ = "_seq"


@dataclass
class LoadReport:
    """What loading one dump file wrote: rows per dataset, quarantined and duplicate rows dropped."""

    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)


class _Stage:
    """Parquet staging file of one dataset: the declared columns plus a file-order sequence."""

    def __init__(self, key: str, path: Path):
        self.key = key
        self.path = path
        self.schema = schemas.get(key).schema.append(pa.field(_SEQ, pa.int64(), nullable=False))
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="lz4")
        seq = pa.array(range(self.rows, self.rows + table.num_rows), type=pa.int64())
        self._writer.write_table(table.append_column(self.schema.field(_SEQ), seq))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _duplicate_seqs(con, stage: _Stage) -> pa.Array:
    """Sequence numbers of rows repeating an earlier row's grain key (DuckDB, key columns only)."""
    keys = ", ".join(f'"{k}"' for k in schemas.get(stage.key).key_columns)
    sql = (f"SELECT {_SEQ} FROM read_parquet(?) "
           f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {_SEQ}) > 1 ORDER BY {_SEQ}")
    return con.sql(sql, params=[str(stage.path)]).to_arrow_table().column(_SEQ).combine_chunks()


def load_dump(lake_path: Path, name: str, path: Path, version: str,
              batch_rows: int = BATCH_ROWS, supersedes=(), guard: lake.ShrinkGuard | None = None,
              limits: dict | None = None) -> LoadReport:
    """Parse one dump file into its datasets' ``version`` partitions, atomically (or not at all).

    ``supersedes`` lists (dataset, version) partitions the same commit drops, so staging never
    sees both versions nor neither; ``guard`` refuses a commit that would shrink the dump's data.
    """
    return _load(lake_path, name, lambda when: parse_dump(name, path, batch_rows, when, **(limits or {})),
                 version, supersedes, guard)


def load_shards(lake_path: Path, name: str, shards: list[Shard], version: str,
                batch_rows: int = BATCH_ROWS, supersedes=(), guard: lake.ShrinkGuard | None = None) -> LoadReport:
    """Parse a dump's Parquet shards into its datasets' ``version`` partitions, atomically."""
    return _load(lake_path, name, lambda when: parse_shards(name, shards, batch_rows, when), version,
                 supersedes, guard)


def _load(lake_path: Path, name: str, parse, version: str, supersedes=(),
          guard: lake.ShrinkGuard | None = None) -> LoadReport:
    import duckdb

    feeds = FEEDS[name]
    report = LoadReport()
    ingested_at = datetime.now(timezone.utc)
    with lake.transaction(lake_path, guard) as txn:
        for key, value in supersedes:
            txn.drop(key, value)
        for key in feeds + (QUARANTINE,):
            txn.writer(key, version)  # every dataset gets its partition, even an empty one
        staging = txn.root / "_pwc_staging"
        stages = {key: _Stage(key, staging / f"{key.replace('/', '__')}.parquet") for key in feeds}
        # The parse allocates millions of short-lived, acyclic containers (ijson's dicts, row
        # tuples): reference counting frees them, and the cyclic collector only costs ~30 % time.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        progress = bar(desc=f"pwc {name}", unit=" rows")
        try:
            for key, table in parse(ingested_at):
                progress.update(table.num_rows)
                if key == QUARANTINE:
                    txn.write(QUARANTINE, version, table)
                    report.quarantined += table.num_rows
                else:
                    stages[key].write(table)
        finally:
            progress.close()
            if gc_was_enabled:
                gc.enable()
            for stage in stages.values():
                stage.close()
        con = duckdb.connect()
        try:
            con.execute("SET threads = 2")
            con.execute("SET memory_limit = '1GB'")
            spill = str(staging / "duckdb").replace("'", "''")
            con.execute(f"SET temp_directory = '{spill}'")
            for key, stage in stages.items():
                if not stage.rows:
                    continue
                duplicates = _duplicate_seqs(con, stage)
                report.duplicates[key] = len(duplicates)
                staged = pq.ParquetFile(stage.path)
                # One row group (= one parse batch) at a time: iter_batches reads ahead and
                # multiplies peak memory with the long abstracts of the papers dump.
                for index in range(staged.num_row_groups):
                    table = staged.read_row_group(index, use_threads=False)
                    if len(duplicates):
                        table = table.filter(pc.invert(pc.is_in(table.column(_SEQ), value_set=duplicates)))
                    txn.write(key, version, table.drop_columns([_SEQ]))
                    del table
                pa.default_memory_pool().release_unused()
        finally:
            con.close()
        report.rows = {key: n for key, n in txn.rows().items() if key != QUARANTINE}
    return report


def _in_lake(lake_path: Path, name: str, version: str | None) -> bool:
    if not version:
        return False
    return all(version in lake.list_partitions(lake_path, key) for key in FEEDS[name] + (QUARANTINE,))


def _superseded(settings, name: str, version: str, previous: dict | None) -> list[tuple[str, str]]:
    """Partitions of other versions of this dump, to drop so staging sees exactly one version."""
    out = [(key, value) for key in FEEDS[name] for value in lake.list_partitions(settings.lake, key)
           if value != version]
    # pwc/quarantine is shared by all five dumps: drop only this dump's own previous version.
    old = (previous or {}).get("version")
    if old and old != version and old in lake.list_partitions(settings.lake, QUARANTINE):
        others = {(load_state(settings.state, other) or {}).get("version") for other in DUMPS if other != name}
        if old not in others:
            out.append((QUARANTINE, old))
    return out


def _prune(settings, name: str, version: str, previous: dict | None) -> None:
    """Drop superseded versions (one lake transaction)."""
    stale = _superseded(settings, name, version, previous)
    if stale:
        with lake.transaction(settings.lake) as txn:
            for key, value in stale:
                txn.drop(key, value)


def _detail(report: LoadReport) -> str | None:
    dropped = {k: n for k, n in report.duplicates.items() if n}
    if not dropped:
        return None
    return "duplicate rows dropped: " + ", ".join(f"{k}={n}" for k, n in sorted(dropped.items()))


def _ingest_one(settings, location, manifest: Manifest, name: str, force: bool, work_dir: Path) -> IngestResult:
    with manifest.record("pwc", name, url=location.describe()) as result:
        previous = load_state(settings.state, name)
        reusable = not force and previous is not None and _in_lake(settings.lake, name, previous.get("version"))
        fetched: Fetched = location.fetch(name, previous, work_dir, reusable=reusable)
        result.url = fetched.location
        result.detail = fetched.detail
        if fetched.outcome == "missing":
            result.outcome = "missing"
            return result
        result.checksum = fetched.sha256
        result.partition = fetched.version
        if fetched.outcome == "unchanged":
            result.outcome = "unchanged"
            _prune(settings, name, fetched.version, None)
            return result
        try:
            supersedes = _superseded(settings, name, fetched.version, previous)
            guard = lake.ShrinkGuard.from_settings(settings, FEEDS[name])
            if isinstance(fetched, FetchedShards):
                report = load_shards(settings.lake, name, fetched.shards, fetched.version,
                                     supersedes=supersedes, guard=guard)
            else:
                report = load_dump(settings.lake, name, fetched.path, fetched.version, supersedes=supersedes,
                                   guard=guard,
                                   limits={"max_field_bytes": settings.reader_max_field_bytes,
                                           "max_decompressed_bytes": settings.reader_max_decompressed_bytes})
        finally:
            fetched.discard()
        result.rows = report.rows
        result.quarantined = report.quarantined
        result.detail = _detail(report)
        if isinstance(fetched, FetchedShards):
            save_state(settings.state, name, {
                **fetched.state(), "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
            return result
        save_state(settings.state, name, {
            "file": fetched.file_name, "url": fetched.location, "etag": fetched.etag,
            "last_modified": fetched.last_modified, "sha256": fetched.sha256, "version": fetched.version,
            "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        })
    return result


def _select(only) -> list[str]:
    if not only:
        return list(DUMPS)
    names = [only] if isinstance(only, str) else list(only)
    unknown = [n for n in names if n not in DUMPS]
    if unknown:
        raise MlgraphError(f"unknown PwC dump(s) {', '.join(unknown)}; choose from {', '.join(DUMPS)}")
    return [n for n in DUMPS if n in names]


def ingest_dumps(settings, force: bool = False, only=None) -> list[IngestResult]:
    """Ingest the PwC dump files (one IngestResult each; 'unchanged' when skipped, 'missing' when absent).

    A failing dump does not stop the others; the first failure is raised at the end (its lake
    datasets untouched). All requested dumps missing is an error.
    """
    names = _select(only)
    location = open_archive(settings)
    manifest = Manifest(settings.state)
    work_dir = Path(settings.lake) / "_tmp" / f"pwc-download-{uuid.uuid4().hex}"
    owner = lake.claim_tmp(work_dir)  # so a killed run's download is swept by the next cleanup
    results: list[IngestResult] = []
    failures: list[tuple[str, MlgraphError]] = []
    try:
        for name in names:
            try:
                results.append(_ingest_one(settings, location, manifest, name, force, work_dir))
            except MlgraphError as exc:
                # info, not error: the failure is raised (with the others') once every dump has run
                log.info("pwc: %s failed, the other dumps go on: %s", name, exc)
                failures.append((name, exc))
    finally:
        location.close()
        shutil.rmtree(work_dir, ignore_errors=True)
        owner.close()
    if failures:
        if len(failures) == 1:
            raise failures[0][1]
        raise MlgraphError("PwC dumps failed: " + "; ".join(f"{n}: {e}" for n, e in failures))
    if results and all(r.outcome == "missing" for r in results):
        raise MlgraphError(f"no PwC dump files found at {redact_url(location.describe())}: looked for "
                           f"{', '.join(n + '.json(.gz)' for n in names)} and their Parquet layout")
    return results
