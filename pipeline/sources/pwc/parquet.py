"""The surviving PwC archive's Parquet layout, beside the JSON dumps, at the same location.

The community archive on the Hugging Face Hub (``pwc-archive``) keeps each dump as a dataset of
Parquet shards, ``<dataset>/data/train-0000i-of-0000N.parquet``, holding the JSON dump's columns
with nested lists and objects as Arrow lists and structs (absent keys as nulls).  Per dump the
location is searched in this order, and the first form found is used:

1. the JSON dump ``<name>.json.gz`` / ``<name>.json`` (:mod:`pipeline.sources.pwc.client`);
2. one file ``<name>.parquet`` (also under the archive's folder name);
3. the shards ``<folder>/data/*.parquet``, where ``<folder>`` is the dump name or the archive's
   (``links-between-paper-and-code``, without the dump's "s").

A directory is listed; a base URL cannot be, so the shards are found by the Hub's naming
convention: ``train-00000-of-0000N.parquet`` is probed (HEAD) for N = 1 … :data:`MAX_SHARDS` (the
last known N first) and then ``train-0000i-of-0000N`` for every i is fetched.  A base URL holding
``{dataset}`` is a template for the dataset's folder, so the Hub itself can be named:
``https://huggingface.co/datasets/pwc-archive/{dataset}/resolve/main``.

Each shard is fetched conditionally (ETag / Last-Modified over HTTP, SHA-256 in a directory).  The
dump's version is the SHA-256 over its shards' SHA-256s in order, so an unchanged shard set is
``unchanged``.  When any shard changed, the shards that answered 304 are fetched again in full:
the lake partition is one version of the whole dump, so every shard is parsed again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import MalformedPageError
from pipeline.http import redact_url
from pipeline.sources.pwc.client import DirectoryDumps, Fetched, HttpDumps, file_sha256, open_location
from pipeline.sources.pwc.parser import BATCH_ROWS, DUMPS, parse_items, raw_json

log = logging.getLogger(__name__)

# The archive's folder names where they differ from the dump's file name.
ARCHIVE_FOLDERS = {"links-between-papers-and-code": "links-between-paper-and-code"}
SUFFIX = ".parquet"
MAX_SHARDS = 64
READ_BATCH_ROWS = 2_048
_HEAD_ANSWERS = frozenset({200, 403, 404, 405, 410})


def folders(name: str) -> tuple[str, ...]:
    """The folder (and single-file) names a dump may have in the archive: the archive's first."""
    alias = ARCHIVE_FOLDERS.get(name)
    return (alias, name) if alias else (name,)


def shard_file_name(index: int, count: int) -> str:
    """The Hub's shard name, ``train-0000i-of-0000N.parquet``."""
    return f"train-{index:05d}-of-{count:05d}{SUFFIX}"


def combined_sha256(shas: list[str]) -> str:
    """A dump's checksum in the Parquet layout: SHA-256 over its shards' SHA-256s, in order."""
    return hashlib.sha256("\n".join(shas).encode()).hexdigest()


@dataclass
class Shard:
    """One Parquet file of a dump: ``rel`` is its path under the location (``methods/data/…``)."""

    rel: str
    path: Path | None = None
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    temporary: bool = False


@dataclass
class FetchedShards(Fetched):
    """A dump found in the Parquet layout; ``path`` is unused, ``shards`` are parsed in order."""

    shards: list[Shard] = field(default_factory=list)

    def discard(self) -> None:
        """Delete downloaded temporary shards."""
        for shard in self.shards:
            if shard.temporary and shard.path is not None:
                shard.path.unlink(missing_ok=True)

    def state(self) -> dict:
        """What to remember of this fetch (per-shard validators and checksums)."""
        return {"format": "parquet", "file": self.file_name, "url": self.location, "sha256": self.sha256,
                "version": self.version,
                "shards": [{"rel": s.rel, "sha256": s.sha256, "etag": s.etag, "last_modified": s.last_modified}
                           for s in self.shards]}


def _previous_shards(previous: dict | None, reusable: bool) -> dict[str, dict]:
    if not (reusable and previous and previous.get("format") == "parquet"):
        return {}
    return {s["rel"]: s for s in previous.get("shards") or []}


def _result(name: str, location: str, shards: list[Shard], previous: dict | None, reusable: bool,
            all_not_modified: bool = False) -> FetchedShards:
    sha = combined_sha256([s.sha256 for s in shards])
    label = shards[0].rel if len(shards) == 1 else f"{shards[0].rel.rsplit('/', 1)[0]}/*{SUFFIX}"
    same = bool(reusable and previous and previous.get("format") == "parquet" and previous.get("sha256") == sha
                and [s.get("rel") for s in previous.get("shards") or []] == [s.rel for s in shards])
    if all_not_modified or same:
        detail = ("HTTP 304 Not Modified for every shard" if all_not_modified
                  else "same SHA-256 for every shard as last processed")
        for shard in shards:
            if shard.temporary and shard.path is not None:
                shard.path.unlink(missing_ok=True)
        return FetchedShards(name, "unchanged", location, label, sha256=sha, detail=detail,
                             shards=[Shard(s.rel, sha256=s.sha256, etag=s.etag, last_modified=s.last_modified)
                                     for s in shards])
    return FetchedShards(name, "fetched", location, label, sha256=sha, shards=shards,
                         detail=f"{len(shards)} Parquet shard(s)")


def _missing_detail(name: str, where: str) -> str:
    names = folders(name)
    return (f"no {name}.json.gz, {name}.json, " + ", ".join(f"{n}{SUFFIX}" for n in names) + " or "
            + ", ".join(f"{n}/data/*{SUFFIX}" for n in names) + f" in {where}")


class ArchiveDirectory(DirectoryDumps):
    """A directory holding JSON dumps or the archive's Parquet layout, detected per dump."""

    def find_shards(self, name: str) -> list[Shard]:
        """The Parquet files of dump ``name`` in this directory (one file, or a folder's shards)."""
        for stem in folders(name):
            single = self.directory / f"{stem}{SUFFIX}"
            if single.is_file():
                return [Shard(single.name, single)]
        for stem in folders(name):
            data = self.directory / stem / "data"
            if data.is_dir():
                found = sorted(p for p in data.iterdir() if p.name.endswith(SUFFIX) and p.is_file())
                if found:
                    return [Shard(f"{stem}/data/{p.name}", p) for p in found]
        return []

    def fetch(self, name: str, previous: dict | None, work_dir: Path, *, reusable: bool) -> Fetched:
        """The JSON dump when present, else the Parquet layout (SHA-256 of every shard compared)."""
        found = super().fetch(name, previous if (previous or {}).get("format") != "parquet" else None,
                              work_dir, reusable=reusable)
        if found.outcome != "missing":
            return found
        shards = self.find_shards(name)
        if not shards:
            return Fetched(name, "missing", str(self.directory), detail=_missing_detail(name, str(self.directory)))
        for shard in shards:
            shard.sha256 = file_sha256(shard.path)
        return _result(name, str(self.directory), shards, previous, reusable)


class ArchiveHttp(HttpDumps):
    """A base URL (or ``{dataset}`` template) holding JSON dumps or the archive's Parquet layout."""

    def __init__(self, settings, base_url: str, client=None):
        super().__init__(settings, base_url, client)
        self.template = "{dataset}" in base_url

    def _folder_url(self, folder: str) -> str:
        if self.template:
            return self.base_url.replace("{dataset}", folder)
        return f"{self.base_url}{folder}/"

    def _exists(self, url: str) -> bool:
        response = self.client.request("HEAD", url, ok_statuses=_HEAD_ANSWERS, allow_redirects=True)
        response.close()
        if response.status_code in (403, 405):
            # Some static hosts and signed-URL stores refuse HEAD: ask with a GET, read no body.
            response = self.client.get(url, ok_statuses=_HEAD_ANSWERS, stream=True)
            response.close()
        return response.status_code == 200

    def discover(self, name: str, previous: dict | None = None) -> list[str]:
        """Shard paths (relative to the location) of dump ``name``, by the Hub's naming convention."""
        known = [s["rel"] for s in (previous or {}).get("shards") or []]
        for folder in folders(name):
            # A template names one dataset repository per dump: there are only its data shards.
            if not self.template and self._exists(self.base_url + folder + SUFFIX):
                return [folder + SUFFIX]
            data = self._folder_url(folder) + "data/"
            counts = list(range(1, MAX_SHARDS + 1))
            last = next((int(rel.rsplit("-of-", 1)[1][:5]) for rel in known
                         if rel.startswith(f"{folder}/data/train-") and "-of-" in rel), None)
            if last in counts:
                counts.remove(last)
                counts.insert(0, last)
            for count in counts:
                if self._exists(data + shard_file_name(0, count)):
                    return [f"{folder}/data/{shard_file_name(i, count)}" for i in range(count)]
        return []

    def _shard_url(self, rel: str) -> str:
        if self.template:
            folder, _, rest = rel.partition("/")
            return self._folder_url(folder) + rest
        return self.base_url + rel

    def fetch(self, name: str, previous: dict | None, work_dir: Path, *, reusable: bool) -> Fetched:
        """The JSON dump when served, else the Parquet shards, each with a conditional GET."""
        if not self.template:
            json_previous = previous if (previous or {}).get("format") != "parquet" else None
            found = super().fetch(name, json_previous, work_dir, reusable=reusable)
            if found.outcome != "missing":
                return found
        rels = self.discover(name, previous)
        if not rels:
            return Fetched(name, "missing", self.describe(),
                           detail=_missing_detail(name, self.describe()) + " (HTTP 404)")
        known = _previous_shards(previous, reusable)
        shards: list[Shard] = []
        not_modified: list[Shard] = []
        try:
            for rel in rels:
                shard = self._get_shard(name, rel, known.get(rel), work_dir)
                if shard.path is None:
                    not_modified.append(shard)
                shards.append(shard)
            if len(not_modified) == len(shards) and set(known) == set(rels):
                return _result(name, self.describe(), shards, previous, reusable, all_not_modified=True)
            for shard in not_modified:  # something changed: the whole dump is parsed again
                fresh = self._get_shard(name, shard.rel, None, work_dir)
                shard.path, shard.sha256, shard.temporary = fresh.path, fresh.sha256, True
                shard.etag, shard.last_modified = fresh.etag, fresh.last_modified
        except BaseException:
            for shard in shards:
                if shard.temporary and shard.path is not None:
                    shard.path.unlink(missing_ok=True)
            raise
        return _result(name, self.describe(), shards, previous, reusable)

    def _get_shard(self, name: str, rel: str, known: dict | None, work_dir: Path) -> Shard:
        headers = {}
        if known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        url = self._shard_url(rel)
        got = self._get(name, rel.replace("/", "__"), url, headers, Path(work_dir))
        if got is None:
            raise MalformedPageError(f"pwc: {name}: shard {redact_url(url)} listed but not served (HTTP 404)")
        if got.outcome == "unchanged":
            return Shard(rel, sha256=known.get("sha256"), etag=known.get("etag"),
                         last_modified=known.get("last_modified"))
        return Shard(rel, got.path, got.sha256, got.etag, got.last_modified, temporary=True)


def open_archive(settings) -> ArchiveDirectory | ArchiveHttp:
    """The PwC location of ``settings`` (as :func:`client.open_location`), able to read both layouts."""
    location = open_location(settings)
    if isinstance(location, HttpDumps):
        return ArchiveHttp(settings, location.base_url, client=location.client)
    return ArchiveDirectory(location.directory)


# --- reading -------------------------------------------------------------------------------------

def _drop_nulls(obj):
    """The record without null-valued keys: how it looked in the JSON dump before Arrow unified it."""
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def parquet_raw(obj) -> str:
    """Raw text of a quarantined Parquet record (the struct's absent keys left out)."""
    return raw_json(_drop_nulls(obj))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _has_map(schema: pa.Schema) -> bool:
    def walk(t: pa.DataType) -> bool:
        if pa.types.is_map(t):
            return True
        return any(walk(t.field(i).type) for i in range(t.num_fields))

    return any(walk(f.type) for f in schema)


def iter_rows(label: str, path: Path, batch_rows: int = READ_BATCH_ROWS) -> Iterator[tuple[str, dict]]:
    """Yield (location, record) of one Parquet file, one record batch at a time; corrupt files raise."""
    index = 0
    try:
        parquet = pq.ParquetFile(path)
        # Maps (a layout choice of some writers) come back as dicts, as in the JSON dump; asked
        # only when there is one, since it makes the conversion three times slower.
        options = {"maps_as_pydicts": "lossy"} if _has_map(parquet.schema_arrow) else {}
        for batch in parquet.iter_batches(batch_size=batch_rows, use_threads=False):
            for record in batch.to_pylist(**options):
                yield f"{label}#row {index}", record
                index += 1
    except (pa.ArrowException, OSError) as exc:
        raise MalformedPageError(f"{label}: corrupt or truncated Parquet file ({index:,} rows read before "
                                 f"the error): {_one_line(exc)}") from None


def parse_shards(name: str, shards: list[Shard], batch_rows: int = BATCH_ROWS,
                 ingested_at: datetime | None = None) -> Iterator[tuple[str, pa.Table]]:
    """Stream the shards of dump ``name`` as (dataset key, Arrow table) batches, like ``parse_dump``."""
    if name not in DUMPS:
        raise ValueError(f"unknown PwC dump {name!r}; known: {', '.join(DUMPS)}")

    def items():
        for shard in shards:
            yield from iter_rows(shard.rel, shard.path)

    return parse_items(name, items(), batch_rows, ingested_at, raw_of=parquet_raw)


def parse_parquet(name: str, paths: list[Path], batch_rows: int = BATCH_ROWS,
                  ingested_at: datetime | None = None) -> Iterator[tuple[str, pa.Table]]:
    """Stream Parquet files of dump ``name`` (labelled by file name) as lake batches."""
    return parse_shards(name, [Shard(Path(p).name, Path(p)) for p in paths], batch_rows, ingested_at)
