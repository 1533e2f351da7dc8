"""The raw Parquet lake: schema-checked, atomic, idempotent partition writes.

Layout: ``<lake>/raw/<source>/<dataset>/<partition_key>=<value>/part-NNNNN.parquet``.
A partition is written into ``<lake>/_tmp/`` and renamed into place only when every file of the
transaction is complete, replacing the previous partition of the same value: re-ingesting a
window replaces it and never duplicates it, and a failure leaves the lake as it was.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from schemas import DatasetSpec
from pipeline.errors import SchemaDriftError

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]+$")
ROWS_PER_FILE = 1_000_000


def dataset_dir(lake: Path, spec: DatasetSpec) -> Path:
    """Folder holding every partition of a dataset."""
    return Path(lake) / "raw" / spec.source / spec.name


def partition_dir(lake: Path, spec: DatasetSpec, value: str) -> Path:
    """Folder of one partition (``<key>=<value>``)."""
    return dataset_dir(lake, spec) / f"{spec.partition_key}={value}"


def dataset_glob(lake: Path, spec: DatasetSpec | str) -> str:
    """Glob matching every Parquet file of a dataset (for DuckDB ``read_parquet``)."""
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    return str(dataset_dir(lake, spec) / "*" / "*.parquet")


def check_schema(spec: DatasetSpec, schema: pa.Schema) -> None:
    """Raise SchemaDriftError naming the first column that differs from the declared schema."""
    expected = spec.schema
    got_names = schema.names
    for f in expected:
        if f.name not in got_names:
            raise SchemaDriftError(f"{spec.key}: column {f.name!r} is missing (expected {f.type})")
    for name in got_names:
        if expected.get_field_index(name) == -1:
            raise SchemaDriftError(f"{spec.key}: unexpected column {name!r} not in the declared schema")
    for f in expected:
        got = schema.field(f.name)
        if not got.type.equals(f.type):
            raise SchemaDriftError(f"{spec.key}: column {f.name!r} has type {got.type}, declared {f.type}")
    if got_names != expected.names:
        raise SchemaDriftError(f"{spec.key}: columns are in order {got_names}, declared {expected.names}")


def check_batch(spec: DatasetSpec, batch: pa.RecordBatch | pa.Table) -> None:
    """Check schema and that non-nullable columns hold no nulls."""
    check_schema(spec, batch.schema)
    for f in spec.schema:
        if not f.nullable and batch.column(f.name).null_count:
            raise SchemaDriftError(f"{spec.key}: column {f.name!r} is declared not null but has "
                                   f"{batch.column(f.name).null_count} nulls")


def table_from_rows(spec: DatasetSpec | str, rows: list[dict]) -> pa.Table:
    """Build a table of the declared schema from row dicts (missing keys become null)."""
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    try:
        return pa.Table.from_pylist(rows, schema=spec.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise SchemaDriftError(f"{spec.key}: rows do not fit the declared schema: {exc}") from None


class _PartitionWriter:
    """Streams record batches of one dataset partition into temporary Parquet files."""

    def __init__(self, spec: DatasetSpec, value: str, tmp_dir: Path):
        self.spec = spec
        self.value = value
        self.tmp_dir = tmp_dir
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._file_rows = 0
        self._file_index = 0
        tmp_dir.mkdir(parents=True)

    def write(self, data: pa.Table | pa.RecordBatch | list[dict]) -> None:
        """Append rows (a table, a batch, or row dicts) after checking them against the schema."""
        if isinstance(data, list):
            data = table_from_rows(self.spec, data)
        check_batch(self.spec, data)
        if data.num_rows == 0:
            return
        table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
        # Types already match; the cast only carries the declared nullability and field docs, which
        # ParquetWriter insists on.
        table = table.cast(schemas.schema_docs(self.spec))
        if self._writer is None or self._file_rows >= ROWS_PER_FILE:
            self._roll()
        self._writer.write_table(table)
        self._file_rows += table.num_rows
        self.rows += table.num_rows

    def _roll(self) -> None:
        if self._writer is not None:
            self._writer.close()
        path = self.tmp_dir / f"part-{self._file_index:05d}.parquet"
        self._file_index += 1
        self._file_rows = 0
        self._writer = pq.ParquetWriter(path, schemas.schema_docs(self.spec), compression="zstd")

    def close(self) -> None:
        """Finish the current file; an empty partition still gets one (empty) file."""
        if self._writer is None:
            self._roll()
        self._writer.close()
        self._writer = None


class LakeTransaction:
    """Partitions written together and published together (or not at all)."""

    def __init__(self, lake: Path):
        self.lake = Path(lake)
        self.root = self.lake / "_tmp" / uuid.uuid4().hex
        self.writers: dict[tuple[str, str], _PartitionWriter] = {}

    def writer(self, spec: DatasetSpec | str, value: str) -> _PartitionWriter:
        """The writer of one partition in this transaction (created on first use)."""
        spec = schemas.get(spec) if isinstance(spec, str) else spec
        if not _SAFE_VALUE.match(value):
            raise ValueError(f"partition value {value!r} must match {_SAFE_VALUE.pattern}")
        key = (spec.key, value)
        if key not in self.writers:
            tmp = self.root / spec.source / spec.name / f"{spec.partition_key}={value}"
            self.writers[key] = _PartitionWriter(spec, value, tmp)
        return self.writers[key]

    def write(self, spec: DatasetSpec | str, value: str, data) -> None:
        """Append rows to a partition of this transaction."""
        self.writer(spec, value).write(data)

    def rows(self) -> dict[str, int]:
        """Rows written so far per dataset key."""
        out: dict[str, int] = {}
        for (key, _), w in self.writers.items():
            out[key] = out.get(key, 0) + w.rows
        return out

    def commit(self) -> dict[str, int]:
        """Publish every partition, replacing earlier versions; returns rows per dataset."""
        for w in self.writers.values():
            w.close()
        for w in self.writers.values():
            final = partition_dir(self.lake, w.spec, w.value)
            final.parent.mkdir(parents=True, exist_ok=True)
            trash = self.root / "_replaced" / w.spec.source / w.spec.name / final.name
            if final.exists():
                trash.parent.mkdir(parents=True, exist_ok=True)
                final.rename(trash)
            w.tmp_dir.rename(final)
        rows = self.rows()
        shutil.rmtree(self.root, ignore_errors=True)
        return rows

    def abort(self) -> None:
        """Drop everything written in this transaction; the lake is untouched."""
        for w in self.writers.values():
            if w._writer is not None:
                try:
                    w._writer.close()
                except Exception:  # noqa: BLE001 - best effort while already failing
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def transaction(lake: Path) -> Iterator[LakeTransaction]:
    """Context manager: commit on success, abort (lake unchanged) on any exception."""
    txn = LakeTransaction(lake)
    try:
        yield txn
    except BaseException:
        txn.abort()
        raise
    txn.commit()


def write_partition(lake: Path, spec: DatasetSpec | str, value: str,
                    data: pa.Table | Iterable[pa.RecordBatch] | list[dict]) -> int:
    """Write one whole partition atomically (replacing it); returns the row count."""
    with transaction(lake) as txn:
        if isinstance(data, (pa.Table, list)):
            txn.write(spec, value, data)
        else:
            for batch in data:
                txn.write(spec, value, batch)
        w = txn.writer(spec, value)
    return w.rows


def list_partitions(lake: Path, spec: DatasetSpec | str) -> list[str]:
    """Partition values present for a dataset, sorted."""
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    d = dataset_dir(lake, spec)
    if not d.exists():
        return []
    prefix = f"{spec.partition_key}="
    return sorted(p.name[len(prefix):] for p in d.iterdir() if p.is_dir() and p.name.startswith(prefix))


def drop_partition(lake: Path, spec: DatasetSpec | str, value: str) -> None:
    """Remove one partition (used to prune superseded dump versions)."""
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    shutil.rmtree(partition_dir(lake, spec, value), ignore_errors=True)
