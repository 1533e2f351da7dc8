"""The raw Parquet lake: schema-checked, atomic, idempotent partition writes.

Layout: ``<lake>/raw/<source>/<dataset>/<partition_key>=<value>/part-NNNNN.parquet``, where
``<lake>/raw`` is a symlink to one *generation* ``<lake>/_gen/<gen>/``.  A transaction writes its
partitions into ``<lake>/_tmp/``; its commit builds the next generation (hard links to every file
it keeps, its own partitions moved in) and swaps the ``raw`` symlink with one ``rename``.  So a
commit over many partitions is atomic: a reader, a build or a process killed at any step sees the
old generation or the new one, never a gap.  Commits are serialised by ``<lake>/_lake.lock``
(flock: released by the kernel when the holder dies).  Older generations are kept a little
(``KEEP_GENERATIONS``) so that a query that listed the old files can still open them.

A transaction may carry a shrink guard: if the datasets it names would hold far fewer rows than
the partitions they replace, the commit raises :class:`SuspectShrinkError` and the lake keeps the
previous version.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from schemas import DatasetSpec
from pipeline import faults
from pipeline.errors import SchemaDriftError, SuspectShrinkError

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]+$")
ROWS_PER_FILE = 1_000_000
GEN_DIR = "_gen"
KEEP_GENERATIONS = 3
# Exceptions pyarrow raises for a value that cannot be stored in the declared type: a number out of
# range (OverflowError), a lone surrogate (UnicodeEncodeError), a wrong Python type.
_ROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError,
               UnicodeError, ValueError, TypeError)


def dataset_dir(lake: Path, spec: DatasetSpec) -> Path:
    """Folder holding every partition of a dataset."""
    return Path(lake) / "raw" / spec.source / spec.name


def partition_dir(lake: Path, spec: DatasetSpec, value: str) -> Path:
    """Folder of one partition (``<key>=<value>``)."""
    return dataset_dir(lake, spec) / f"{spec.partition_key}={value}"


def dataset_glob(lake: Path, spec: DatasetSpec | str) -> str:
    """Glob matching the Parquet files of a dataset (for DuckDB ``read_parquet``).

    Every partition, except for datasets that hold whole versions of a dump (partitioned by
    ``version``): there only the newest version by commit time, so that two versions left side by
    side (the loader drops the old one in the same commit; older lakes may hold both) never mix
    and never get picked by the order of their hashes.
    """
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    # Through the generation ``raw`` points at now, not through the symlink: a query then reads
    # one generation even if a commit swaps ``raw`` while it runs (old generations are kept).
    gen = current_generation(lake)
    root = gen / spec.source / spec.name if gen is not None else dataset_dir(lake, spec)
    if is_versioned_snapshot(spec):
        newest = newest_partition(lake, spec)
        if newest is not None:
            return str(root / f"{spec.partition_key}={newest}" / "*.parquet")
    return str(root / "*" / "*.parquet")


def is_versioned_snapshot(spec: DatasetSpec) -> bool:
    """True for datasets whose partitions are full versions of one dump (PwC's ``version=``)."""
    # pwc/quarantine is partitioned by version too, but holds the rejects of all five dumps.
    return spec.partition_key == "version" and spec.name != "quarantine"


def newest_partition(lake: Path, spec: DatasetSpec | str) -> str | None:
    """The partition committed last (its files' modification time; hard links keep it)."""
    times = committed_at(lake, spec)
    return max(times, key=lambda value: (times[value], value)) if times else None


def committed_at(lake: Path, spec: DatasetSpec | str) -> dict[str, int]:
    """Partition value → when it was committed (newest file mtime, ns); partitions without files are absent.

    Partition values are no order of their own (``snapshot`` sorts after every OAI window, batch
    names are free text), but a commit writes new files and hard-links the ones it keeps, so the
    files' mtime survives later commits and says which partition was written last.
    """
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    out = {}
    for value in list_partitions(lake, spec):
        files = list(partition_dir(lake, spec, value).glob("*.parquet"))
        if files:
            out[value] = max(f.stat().st_mtime_ns for f in files)
    return out


def sql_literal(value) -> str:
    """A path (or any text) as a DuckDB string literal: quotes doubled, so a ``'`` in a path is safe."""
    return "'" + str(value).replace("'", "''") + "'"


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


def table_from_rows(spec: DatasetSpec | str, rows: list[dict], rejects: list | None = None) -> pa.Table:
    """Build a table of the declared schema from row dicts (missing keys become null).

    With ``rejects`` (a list), a row that cannot be stored is left out and appended there as
    ``(row, reason)`` for the caller to quarantine; without it any bad row raises SchemaDriftError.
    """
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    try:
        return pa.Table.from_pylist(rows, schema=spec.schema)
    except _ROW_ERRORS as exc:
        if rejects is None:
            raise SchemaDriftError(f"{spec.key}: rows do not fit the declared schema: "
                                   f"{type(exc).__name__}: {_short(exc)}") from None
    # Rare path: find the poison rows one by one so the good ones of the batch are kept.
    good = []
    for row in rows:
        try:
            pa.Table.from_pylist([row], schema=spec.schema)
        except _ROW_ERRORS as exc:
            rejects.append((row, f"value does not fit {spec.key}: {type(exc).__name__}: {_short(exc)}"))
        else:
            good.append(row)
    return pa.Table.from_pylist(good, schema=spec.schema)


def reject_rows(dataset: str, rejects: list, at, location: str, key: str | None = None) -> list[dict]:
    """Quarantine rows (the shared quarantine shape) for rows ``table_from_rows`` refused."""
    out = []
    for row, reason in rejects:
        record_key = row.get(key) if key else None
        out.append({"dataset": dataset, "record_key": storable(str(record_key)) if record_key is not None else None,
                    "reason": storable(reason), "raw": storable(repr(row))[:64 * 1024], "location": location,
                    "ingested_at": at})
    return out


def storable(text):
    """``text`` with anything UTF-8 cannot hold (lone surrogates) written as backslash escapes."""
    if text is None or not isinstance(text, str) or text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _short(exc: BaseException, limit: int = 300) -> str:
    text = storable(str(exc))
    return text if len(text) <= limit else text[:limit] + "…"


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


@dataclass
class ShrinkGuard:
    """Refuse a commit that would leave ``datasets`` with fewer than ``ratio`` × the rows they replace."""

    datasets: tuple[str, ...]
    ratio: float = 0.5
    allow: bool = False

    @classmethod
    def from_settings(cls, settings, datasets) -> "ShrinkGuard":
        """The guard configured by ``shrink_ratio`` / ``allow_shrink`` (``--allow-shrink``)."""
        return cls(tuple(datasets), getattr(settings, "shrink_ratio", 0.5), getattr(settings, "allow_shrink", False))


def current_generation(lake: Path) -> Path | None:
    """Folder of the generation ``<lake>/raw`` points at (None for an empty lake)."""
    raw = Path(lake) / "raw"
    if raw.is_symlink():
        return Path(lake) / GEN_DIR / Path(os.readlink(raw)).name
    return raw if raw.is_dir() else None


@contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """Exclusive lock over the lake's generations (commits, cleanup)."""
    lake = Path(lake)
    lake.mkdir(parents=True, exist_ok=True)
    with open(lake / "_lake.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _new_generation_name() -> str:
    return f"g{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def _published(lake: Path) -> list[str]:
    try:
        return json.loads((Path(lake) / GEN_DIR / "published.json").read_text())
    except (FileNotFoundError, ValueError):
        return []


def _swap(lake: Path, gen: Path) -> None:
    """Point ``<lake>/raw`` at ``gen`` with one atomic rename (the commit point)."""
    from pipeline.state import atomic_write_json

    lake = Path(lake)
    raw = lake / "raw"
    link = lake / f".raw-{gen.name}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.join(GEN_DIR, gen.name), link)
    if raw.exists() and not raw.is_symlink():
        # A lake from before generations: its tree becomes the previous generation. This one
        # rename is the only moment without a ``raw``; _recover repairs a kill right here.
        raw.rename(lake / GEN_DIR / _new_generation_name())
    faults.point("lake.swap.before_rename")
    os.replace(link, raw)
    faults.point("lake.swap.after_rename")
    atomic_write_json(lake / GEN_DIR / "published.json", (_published(lake) + [gen.name])[-20:])


def _recover(lake: Path) -> None:
    """Under the lock: a ``raw`` lost by a kill during migration points at the newest generation."""
    lake = Path(lake)
    raw = lake / "raw"
    if raw.exists():
        return
    gens = sorted(p for p in (lake / GEN_DIR).glob("g*") if p.is_dir()) if (lake / GEN_DIR).exists() else []
    published = [g for g in _published(lake) if (lake / GEN_DIR / g).is_dir()]
    if published:
        target = lake / GEN_DIR / published[-1]
    elif gens:
        target = gens[-1]
    else:
        return
    raw.unlink(missing_ok=True)
    link = lake / f".raw-{target.name}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.join(GEN_DIR, target.name), link)
    os.replace(link, raw)


def collect_garbage(lake: Path) -> list[str]:
    """Under the lock: remove generations neither current nor recently published, and stray links."""
    lake = Path(lake)
    gen_root = lake / GEN_DIR
    if not gen_root.exists():
        return []
    current = current_generation(lake)
    keep = set(_published(lake)[-KEEP_GENERATIONS:])
    if current is not None:
        keep.add(current.name)
    removed = []
    for p in gen_root.iterdir():
        if p.is_dir() and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    for link in lake.glob(".raw-*"):
        link.unlink(missing_ok=True)
    cleanup_tmp(lake)
    return removed


_OWNER = ".owner"
ORPHAN_AGE_SECONDS = 600


def claim_tmp(directory: Path):
    """Create a ``_tmp`` work folder and hold a flock on its ``.owner`` file while the process lives.

    ``cleanup_tmp`` removes exactly the folders whose owner is gone (the kernel drops the flock
    when a process dies, however it dies).  Close the returned file to release the folder.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fh = open(directory / _OWNER, "a+")
    fcntl.flock(fh, fcntl.LOCK_EX)
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def cleanup_tmp(lake: Path) -> list[str]:
    """Remove ``<lake>/_tmp`` folders left by dead processes (killed ingests, downloads); returns names."""
    tmp = Path(lake) / "_tmp"
    if not tmp.exists():
        return []
    removed = []
    for d in tmp.iterdir():
        if not d.is_dir():
            continue
        owner = d / _OWNER
        if owner.exists():
            with open(owner, "a+") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
                shutil.rmtree(d, ignore_errors=True)
        elif time.time() - d.stat().st_mtime > ORPHAN_AGE_SECONDS:
            shutil.rmtree(d, ignore_errors=True)  # from before owner files: old means dead
        else:
            continue
        removed.append(d.name)
    return removed


def _partition_rows(directory: Path) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(directory.glob("*.parquet")))


class LakeTransaction:
    """Partitions written together and published together (or not at all)."""

    def __init__(self, lake: Path, guard: ShrinkGuard | None = None):
        self.lake = Path(lake)
        self.root = self.lake / "_tmp" / uuid.uuid4().hex
        self._owner = claim_tmp(self.root)
        self.writers: dict[tuple[str, str], _PartitionWriter] = {}
        self.drops: set[tuple[str, str]] = set()
        self.guard = guard

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

    def drop(self, spec: DatasetSpec | str, value: str) -> None:
        """Remove a partition as part of this transaction (e.g. a superseded dump version)."""
        spec = schemas.get(spec) if isinstance(spec, str) else spec
        self.drops.add((spec.key, value))

    def rows(self) -> dict[str, int]:
        """Rows written so far per dataset key."""
        out: dict[str, int] = {}
        for (key, _), w in self.writers.items():
            out[key] = out.get(key, 0) + w.rows
        return out

    def _touched(self) -> dict[tuple[str, str], str]:
        """(source/name, ``key=value`` folder) of every partition this commit replaces or drops."""
        out = {}
        for key, value in set(self.writers) | self.drops:
            spec = schemas.get(key)
            out[(key, f"{spec.partition_key}={value}")] = value
        return out

    def _check_shrink(self, current: Path | None) -> None:
        if self.guard is None or self.guard.allow or current is None:
            return
        new_rows = self.rows()
        for key in self.guard.datasets:
            spec = schemas.get(key)
            old = sum(_partition_rows(current / spec.source / spec.name / folder)
                      for (k, folder) in self._touched() if k == key
                      and (current / spec.source / spec.name / folder).is_dir())
            new = new_rows.get(key, 0)
            if old > 0 and new < self.guard.ratio * old:
                raise SuspectShrinkError(
                    f"{key} would shrink from {old} to {new} rows (below {self.guard.ratio:.0%} of what the "
                    f"lake holds); kept the previous version — rerun with --allow-shrink to accept it")

    def commit(self) -> dict[str, int]:
        """Publish every partition (and drop), replacing earlier versions; returns rows per dataset."""
        for w in self.writers.values():
            w.close()
        if not self.writers and not self.drops:
            shutil.rmtree(self.root, ignore_errors=True)
            self._owner.close()
            return {}
        faults.point("lake.commit.closed")
        with lake_lock(self.lake):
            _recover(self.lake)
            current = current_generation(self.lake)
            self._check_shrink(current)
            touched = self._touched()
            gen = self.lake / GEN_DIR / _new_generation_name()
            gen.mkdir(parents=True)
            if current is not None:
                _link_tree(current, gen, touched)
            faults.point("lake.commit.linked")
            for w in self.writers.values():
                dest = gen / w.spec.source / w.spec.name / f"{w.spec.partition_key}={w.value}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                w.tmp_dir.rename(dest)
                faults.point("lake.commit.moved")
            faults.point("lake.commit.before_swap")
            _swap(self.lake, gen)
            faults.point("lake.commit.swapped")
            collect_garbage(self.lake)
        faults.point("lake.commit.collected")
        rows = self.rows()
        shutil.rmtree(self.root, ignore_errors=True)
        self._owner.close()
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
        self._owner.close()


def _link_tree(current: Path, gen: Path, touched: dict) -> None:
    """Hard-link every file of ``current`` into ``gen`` except the partitions being replaced."""
    for source in sorted(p for p in current.iterdir() if p.is_dir()):
        for dataset in sorted(p for p in source.iterdir() if p.is_dir()):
            key = f"{source.name}/{dataset.name}"
            for part in sorted(p for p in dataset.iterdir() if p.is_dir()):
                if (key, part.name) in touched:
                    continue
                dest = gen / source.name / dataset.name / part.name
                dest.mkdir(parents=True, exist_ok=True)
                for f in part.iterdir():
                    if f.is_file():
                        os.link(f, dest / f.name)


@contextmanager
def transaction(lake: Path, guard: ShrinkGuard | None = None) -> Iterator[LakeTransaction]:
    """Context manager: commit on success, abort (lake unchanged) on any exception."""
    txn = LakeTransaction(lake, guard)
    try:
        yield txn
    except BaseException:
        txn.abort()
        raise
    try:
        txn.commit()
    except BaseException:
        txn.abort()
        raise


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
    """Remove one partition (used to prune superseded dump versions), as its own transaction."""
    spec = schemas.get(spec) if isinstance(spec, str) else spec
    if not partition_dir(lake, spec, value).exists():
        return
    with transaction(lake) as txn:
        txn.drop(spec, value)
