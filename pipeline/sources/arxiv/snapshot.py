"""Bulk bootstrap from the arXiv metadata snapshot (Kaggle ``arxiv-metadata-oai-snapshot``, JSON lines).

Happy path: the whole file (plain or gzip; ~2.7M records / 4.5 GB for the real one) goes through
one streaming DuckDB query — ``read_json`` with explicit columns, parallel parsing, native
gunzip — that maps it to the lake schema; text columns are cleaned with Arrow compute kernels,
so no Python code runs per record.  Rows whose id or version dates do not parse are quarantined
by the same query and their lines located afterwards.  If DuckDB cannot read the file at all
(invalid JSON, a wrongly typed field, corrupt gzip), the file is re-read in blocks of whole lines
and a block DuckDB rejects is checked line by line, so exactly the bad lines are quarantined with
their line numbers.  Everything goes into partition ``snapshot`` in one lake transaction: a
corrupt gzip fails with MalformedPageError and the lake stays as it was.

``last_updated_date`` is the date of the latest *version*; the snapshot's ``update_date`` (the
last metadata edit, e.g. a journal-ref added later) is deliberately not used for it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import queue
import tempfile
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import requests

import schemas
from pipeline import lake
from pipeline.config import require_source
from pipeline.errors import MalformedPageError, MlgraphError, SourceError
from pipeline.http import HttpClient, redact_url
from pipeline.manifest import IngestResult, Manifest
from pipeline.progress import bar
from pipeline.sources.arxiv.client import PAPERS, QUARANTINE, conform
from pipeline.sources.arxiv.parser import clean_column

log = logging.getLogger(__name__)

PARTITION = "snapshot"
BLOCK_BYTES = 16 * 1024 * 1024
# Bounds of the block reader (settings reader_max_line_bytes / reader_max_decompressed_bytes): a
# longer line is skipped (its place taken by a one-line note the parser then quarantines), so the
# leftover buffer never grows past it; past the total the file is refused.
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 64 * 1024 ** 3
_FAST_BATCH_ROWS = 50_000
_RAW_LIMIT = 64 * 1024
_AUTHOR_TYPE = schemas.get(PAPERS).schema.field("authors").type
# What DuckDB's trim() strips: the Unicode space separators (category Zs), not tabs or newlines.
_ZS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

COLUMNS_SQL = _COLUMNS = ("{'id': 'VARCHAR', 'submitter': 'VARCHAR', 'authors': 'VARCHAR', 'title': 'VARCHAR', "
            "'comments': 'VARCHAR', 'journal-ref': 'VARCHAR', 'doi': 'VARCHAR', 'report-no': 'VARCHAR', "
            "'categories': 'VARCHAR', 'license': 'VARCHAR', 'abstract': 'VARCHAR', "
            "'versions': 'STRUCT(version VARCHAR, created VARCHAR, size VARCHAR)[]', 'update_date': 'VARCHAR', "
            "'authors_parsed': 'VARCHAR[][]'}")

# SQL twin of pipeline.ids.split_arxiv_id for bare snapshot ids (tests check they agree):
# new style YYMM.NNNN(N)(vN); old style archive(.SUBJ)/NNNNNNN(vN) with the subject class dropped.
# Only ids with a '/' can be old style, so each id costs one regexp_extract (two for old ones).
_NEW_ID = r"^([0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?$"
_OLD_ID = r"^([a-z][a-z\-]*)(?:\.[a-z\-]{2,})?(/[0-9]{7})(?:v[0-9]+)?$"
_ID_SQL = f"""
    CASE WHEN NOT contains(_rid, '/') THEN nullif(regexp_extract(_rid, '{_NEW_ID}', 1), '')
         ELSE nullif(regexp_extract(_rid, '{_OLD_ID}', 1) || regexp_extract(_rid, '{_OLD_ID}', 2), '')
    END"""
# Text columns go out as read: newlines, trimming and the rare values that need more (double
# spaces, tabs, non-ASCII, entities) are left to Arrow and the parser (see clean_column), whose
# one scan of the data buffer costs less than DuckDB's replace, trim or regexp_replace over long
# abstracts.
_TEXT_SQL = {"title": "title", "abstract": "abstract", "journal_ref": '"journal-ref"', "comments": "comments",
             "report_no": '"report-no"', "submitter": "submitter", "authors_raw": "authors", "doi": "doi",
             "license": "license"}
_TEXT_SELECT = ",\n       ".join(f"{src} AS {name}" for name, src in _TEXT_SQL.items())

# Every column is computed once, in the CTE that first needs it: DuckDB does not share an
# expression used twice in one SELECT.
_TRANSFORM = f"""
WITH base AS (
    SELECT *, regexp_replace(lower(trim(coalesce(id, ''))), '^arxiv:', '') AS _rid,
           list_sort(list_transform(versions, lambda v: struct_pack(
               version := TRY_CAST(ltrim(v.version, 'vV ') AS INTEGER),
               created := try_strptime(trim(v.created), '%a, %d %b %Y %H:%M:%S GMT')::TIMESTAMPTZ,
               size := v.size))) AS _versions,
           list_filter(string_split(replace(coalesce(categories, ''), chr(10), ' '), ' '), lambda c: c <> '') AS _split
    FROM read_json($path, format = 'newline_delimited', columns = {_COLUMNS}, compression = 'none')
), keyed AS (
    SELECT *, {_ID_SQL} AS _id FROM base
), checked AS (
    SELECT *,
           list_filter(_split, lambda c, i: list_position(_split, c) = i) AS _cats,
           CASE WHEN id IS NULL OR trim(id) = '' THEN 'record has no id'
                WHEN _id IS NULL THEN 'unparseable arXiv id ' || to_json(id)
                WHEN _versions IS NULL OR len(_versions) = 0 THEN 'record has no versions'
                WHEN list_bool_or(list_transform(_versions, lambda v: v.created IS NULL OR v.version IS NULL))
                     THEN 'bad version label or date in ' || to_json(versions)
           END AS _reason
    FROM keyed
), final AS (
    SELECT _reason, coalesce(id, '') AS _key,
           _id AS arxiv_id,
           list_max(list_transform(_versions, lambda v: v.version))::INTEGER AS latest_version,
           _versions AS versions,
           authors_parsed AS authors,
           _cats AS categories,
           _cats[1] AS primary_category,
           (_versions[1].created)::DATE AS first_version_date,
           (list_max(list_transform(_versions, lambda v: v.created)))::DATE AS last_updated_date,
           NULL::DATE AS oai_datestamp,
           'snapshot' AS record_format,
           {_TEXT_SELECT}
    FROM checked
)
SELECT * FROM final
"""
# Cleaned like the OAI parser cleans them: collapsed whitespace, and HTML entities unescaped for prose.
_PROSE = ("title", "abstract", "journal_ref", "comments", "report_no", "submitter")
_PLAIN = ("authors_raw", "doi", "license")


def ingest_snapshot(settings, path_or_url: str | None = None) -> IngestResult:
    """Load the arXiv metadata snapshot (path or http(s) URL; plain or gzip) into arxiv/papers, partition ``snapshot``."""
    source = str(path_or_url) if path_or_url else require_source(settings, "arxiv_snapshot")
    is_url = source.startswith(("http://", "https://"))
    shown = redact_url(source) if is_url else str(Path(source).resolve())
    target = f"snapshot {Path(source.split('?')[0]).name}"
    manifest = Manifest(settings.state)
    with manifest.record("arxiv", target, partition=PARTITION, url=shown) as result:
        download = _download(settings, source) if is_url else None
        try:
            path = download or Path(source)
            if not path.is_file():
                raise MlgraphError(f"arXiv snapshot {source} does not exist")
            _load(settings, path, shown, result)
        finally:
            if download is not None:
                download.unlink(missing_ok=True)
        return result


def _download(settings, url: str) -> Path:
    """Stream a snapshot URL into a temporary file under <state>/downloads."""
    target_dir = Path(settings.state) / "downloads"
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target_dir / f"arxiv-snapshot-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}.part"
    client = HttpClient.from_settings(settings, name="arxiv-snapshot", min_interval=0.0)
    try:
        response = client.get(url, stream=True)
        try:
            with open(tmp, "wb") as fh:
                for piece in response.iter_content(chunk_size=1 << 20):
                    fh.write(piece)
        except requests.RequestException as exc:
            raise SourceError(f"arXiv snapshot download from {redact_url(url)} broke off: {type(exc).__name__}") from None
        finally:
            response.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        client.close()
    return tmp


class _CountingReader(io.RawIOBase):
    """A raw file reader that counts the bytes read (progress of the block path)."""

    def __init__(self, fh):
        self.fh = fh
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.fh.readinto(buffer)
        if n:
            self.bytes_read += n
        return n


def _in_thread(make_items, name: str, depth: int = 2) -> Iterator:
    """Run a generator in a background thread, handing items over a bounded queue.

    zlib, Arrow and DuckDB release the GIL, so chaining stages this way keeps both cores busy
    (read+decompress | JSON parse | map+write) while memory stays bounded by a few blocks.
    """
    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in make_items():
                if stop.is_set():
                    return
                out.put(item)
            out.put(done)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consuming thread
            out.put(exc)

    thread = threading.Thread(target=produce, daemon=True, name=name)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                out.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


def _raw_blocks(path: Path, reader: _CountingReader, max_line: int = MAX_LINE_BYTES,
                max_total: int = MAX_DECOMPRESSED_BYTES) -> Iterator[tuple[bytes, int, int]]:
    """Yield (block of whole lines, its first line number, its line count), gunzipping when needed."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"

    def note(size: int) -> bytes:
        return f"line skipped: {size:,} bytes is more than the {max_line:,}-byte line limit\n".encode()

    try:
        buffered = io.BufferedReader(reader, buffer_size=4 << 20)
        stream = gzip.GzipFile(fileobj=buffered, mode="rb") if gzipped else buffered
        carry, line, skipping, total = b"", 1, 0, 0
        while True:
            data = stream.read(BLOCK_BYTES)
            if not data:
                break
            total += len(data)
            if total > max_total:
                raise MalformedPageError(f"arXiv snapshot {path.name} decompresses to more than {max_total:,} bytes "
                                         "(the reader_max_decompressed_bytes limit); refused")
            if skipping:
                end = data.find(b"\n")
                if end < 0:
                    skipping += len(data)
                    continue
                data = note(skipping + end) + data[end + 1:]
                skipping = 0
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry, block = data[cut:], data[:cut]
            if len(carry) > max_line:
                skipping, carry = len(carry), b""
            if not block:
                continue
            n_lines = block.count(b"\n")
            yield block, line, n_lines
            line += n_lines
        if skipping:
            yield note(skipping), line, 1
        elif carry.strip():
            yield carry, line, 1
    except (OSError, EOFError, zlib.error) as exc:
        raise MalformedPageError(f"arXiv snapshot {path.name} is unreadable "
                                 f"({'corrupt gzip' if gzipped else 'read error'}: {exc})") from None


class _BlockParser:
    """Maps blocks of snapshot lines to lake rows with DuckDB (own connection, own scratch file)."""

    def __init__(self, location: str, scratch_dir: Path):
        import duckdb

        self.duckdb = duckdb
        self.location = location
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        fd, name = tempfile.mkstemp(prefix="arxiv-snapshot-block-", suffix=".jsonl", dir=scratch_dir)
        os.close(fd)
        self.scratch = Path(name)

    def close(self) -> None:
        """Release the connection and the scratch file."""
        self.con.close()
        self.scratch.unlink(missing_ok=True)

    def _query(self, data: bytes) -> pa.Table:
        self.scratch.write_bytes(data)
        return self.con.sql(_TRANSFORM, params={"path": str(self.scratch)}).to_arrow_table()

    def parse(self, data: bytes, first_line: int, n_lines: int) -> tuple[pa.Table | None, list[dict]]:
        """Rows of a block (with ``_line``) and its unreadable lines; per-line checks only if DuckDB balks."""
        try:
            table = self._query(data)
            if table.num_rows == n_lines:
                return table.append_column("_line", pa.array(range(first_line, first_line + n_lines), pa.int64())), []
        except self.duckdb.Error:
            pass
        good: list[tuple[int, bytes]] = []
        bad: list[dict] = []
        for offset, raw in enumerate(data.split(b"\n")):
            number = first_line + offset
            if not raw.strip():
                continue
            text = raw.decode("utf-8", errors="replace")
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                bad.append(_bad(None, f"invalid JSON: {exc}", text, self.location, number))
                continue
            if not isinstance(obj, dict):
                bad.append(_bad(None, f"not a JSON object but {type(obj).__name__}", text, self.location, number))
            elif not isinstance(obj.get("id"), str) or not obj["id"].strip():
                bad.append(_bad(None, "record has no id", text, self.location, number))
            else:
                good.append((number, raw))
        tables = self._bisect(good, bad)
        if not tables:
            return None, bad
        return pa.concat_tables(tables), bad

    def _bisect(self, lines: list[tuple[int, bytes]], bad: list[dict]) -> list[pa.Table]:
        """Parse lines together, halving on failure to isolate the lines DuckDB cannot map."""
        if not lines:
            return []
        try:
            table = self._query(b"\n".join(raw for _, raw in lines) + b"\n")
            if table.num_rows == len(lines):
                return [table.append_column("_line", pa.array([n for n, _ in lines], pa.int64()))]
            problem = f"{table.num_rows} rows from {len(lines)} lines"
        except self.duckdb.Error as exc:
            problem = str(exc).splitlines()[0]
        if len(lines) == 1:
            number, raw = lines[0]
            text = raw.decode("utf-8", errors="replace")
            key = json.loads(raw).get("id")
            bad.append(_bad(key, f"does not fit the snapshot layout: {problem}", text, self.location, number))
            return []
        half = len(lines) // 2
        return self._bisect(lines[:half], bad) + self._bisect(lines[half:], bad)


def _parsed_blocks(path: Path, reader: _CountingReader, location: str,
                   scratch_dir: Path, limits: tuple[int, int] = (MAX_LINE_BYTES, MAX_DECOMPRESSED_BYTES),
                   ) -> Iterator[tuple[bytes, int, pa.Table | None, list]]:
    """Yield (block, first line number, mapped rows of its good lines, quarantined lines)."""
    def parse():
        parser = _BlockParser(location, scratch_dir)
        try:
            for block, first_line, n_lines in _in_thread(lambda: _raw_blocks(path, reader, *limits),
                                                         "arxiv-snapshot-read"):
                table, bad = parser.parse(block, first_line, n_lines)
                yield block, first_line, table, bad
        finally:
            parser.close()

    return _in_thread(parse, "arxiv-snapshot-parse")


def _bad(key, reason: str, raw: str, location: str, line: int) -> dict:
    return {"dataset": PAPERS, "record_key": key, "reason": reason, "raw": raw[:_RAW_LIMIT],
            "location": f"{location} line {line}"}


def _scratch_dir(settings) -> Path:
    """Where blocks are handed to DuckDB: shared memory when available, else the state folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    d = Path(settings.state) / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d


class _Balked(Exception):
    """DuckDB could not read the whole file in one pass: use the block-by-block path."""


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _authors(parsed) -> pa.Array:
    """``authors_parsed`` (lists of [keyname, forenames, suffix, …]) as author structs.

    Each part trimmed of Unicode spaces, empty as null, a missing part null: what DuckDB's
    list_transform with struct_pack(nullif(trim(a[k]), '')) gives, at a fraction of its cost.
    """
    outer = parsed.combine_chunks() if isinstance(parsed, pa.ChunkedArray) else parsed
    authors = pc.list_flatten(outer)
    sizes = pc.fill_null(pc.list_value_length(authors), 0).to_numpy(zero_copy_only=False)
    names = pc.list_flatten(authors)
    starts = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    parts = []
    for k in range(3):
        part = names.take(pa.array(starts + k, mask=sizes <= k))
        part = pc.utf8_trim(part, _ZS)
        parts.append(pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part))
    structs = pa.StructArray.from_arrays(parts, fields=list(_AUTHOR_TYPE.value_type))
    counts = pc.fill_null(pc.list_value_length(outer), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(counts) + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), structs, type=_AUTHOR_TYPE,
                                    mask=outer.is_null() if outer.null_count else None)


def _lake_table(table: pa.Table, spec, now: pa.Scalar) -> pa.Table:
    """Mapped rows → the lake schema, text columns cleaned by Arrow kernels."""
    columns = []
    for name in spec.schema.names:
        if name == "ingested_at":
            columns.append(pa.repeat(now, table.num_rows))
        elif name == "authors":
            columns.append(_authors(table.column(name)))
        elif name in _PROSE or name in _PLAIN:
            columns.append(clean_column(table.column(name), prose=name in _PROSE))
        else:
            columns.append(table.column(name))
    return conform(pa.Table.from_arrays(columns, names=spec.schema.names), spec.schema)


def _load(settings, path: Path, shown: str, result: IngestResult) -> None:
    # The checksum is computed alongside (hashlib releases the GIL) rather than in a second pass.
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arxiv-snapshot-sha256")
    digest = hashing.submit(_sha256, path)
    hashing.shutdown(wait=False)
    try:
        with lake.transaction(settings.lake, lake.ShrinkGuard.from_settings(settings, [PAPERS])) as txn:
            _fast_path(path, shown, txn, getattr(settings, "reader_max_line_bytes", MAX_LINE_BYTES))
            rows = _finish(txn, path)
    except _Balked as exc:
        log.info("arxiv snapshot %s: %s; reading it block by block", path.name, exc)
        with lake.transaction(settings.lake, lake.ShrinkGuard.from_settings(settings, [PAPERS])) as txn:
            _block_path(settings, path, shown, txn)
            rows = _finish(txn, path)
    result.rows = {PAPERS: rows.get(PAPERS, 0)}
    result.quarantined = rows.get(QUARANTINE, 0)
    result.checksum = f"sha256:{digest.result()}"
    result.detail = f"{path.stat().st_size} bytes"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _finish(txn, path: Path) -> dict[str, int]:
    txn.write(PAPERS, PARTITION, schemas.get(PAPERS).schema.empty_table())
    txn.write(QUARANTINE, PARTITION, schemas.get(QUARANTINE).schema.empty_table())
    rows = txn.rows()
    if not rows.get(PAPERS):
        # Replacing the snapshot with nothing (an empty file, an HTML error page) would silently
        # drop history: refuse, and the transaction leaves the lake untouched.
        raise MalformedPageError(f"arXiv snapshot {path.name} holds no readable record "
                                 f"({rows.get(QUARANTINE, 0)} lines quarantined)")
    return rows


def _fast_path(path: Path, shown: str, txn, max_line: int = MAX_LINE_BYTES) -> None:
    """The whole file in one streaming DuckDB query (parallel JSON parsing, native gunzip).

    Results keep file order (DuckDB preserves insertion order) and blank lines are skipped, so
    a rejected row's position among the non-blank lines locates its line for the quarantine.
    Any read error (invalid JSON, a wrongly typed field, corrupt gzip) raises _Balked.
    """
    import duckdb

    papers_spec = schemas.get(PAPERS)
    now = pa.scalar(datetime.now(timezone.utc), pa.timestamp("us", tz="UTC"))
    sql = _TRANSFORM.replace("compression = 'none'", f"compression = '{'gzip' if _is_gzip(path) else 'none'}', "
                                                      f"maximum_object_size = {int(max_line)}")
    rejects: list[tuple[int, str, str]] = []
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def prepared():
        # Rows rejected by the query are noted with their position; the rest are cleaned.
        offset = 0
        for batch in _in_thread(lambda: con.sql(sql, params={"path": str(path)}).to_arrow_reader(_FAST_BATCH_ROWS),
                                "arxiv-snapshot-duckdb"):
            table = pa.Table.from_batches([batch])
            rejected = pc.is_valid(table.column("_reason"))
            if pc.any(rejected).as_py():
                for index in pc.indices_nonzero(rejected).to_pylist():
                    rejects.append((offset + index, table.column("_key")[index].as_py(),
                                    table.column("_reason")[index].as_py()))
                table = table.filter(pc.invert(rejected))
            offset += batch.num_rows
            yield _lake_table(table, papers_spec, now), batch.num_rows

    # Three stages in three threads: DuckDB reads and maps the next batch, Arrow cleans the one
    # before, this thread compresses and writes the one before that (each releases the GIL).
    tables = _in_thread(prepared, "arxiv-snapshot-clean")
    progress = bar(desc=f"arxiv snapshot {path.name}", unit="rec")
    try:
        for table, n in tables:
            txn.write(papers_spec, PARTITION, table)
            progress.update(n)
    except duckdb.Error as exc:
        raise _Balked(str(exc).splitlines()[0]) from None
    finally:
        progress.close()
        tables.close()  # stops and joins the helper threads before the connection goes
        con.close()
    if rejects:
        located = _locate(path, {r[0] for r in rejects})
        txn.write(QUARANTINE, PARTITION, [
            {**_bad(key or None, reason, located[index][1], shown, located[index][0]), "ingested_at": now.as_py()}
            for index, key, reason in rejects])


def _locate(path: Path, wanted: set[int]) -> dict[int, tuple[int, str]]:
    """(line number, raw text) of the given 0-based record positions (blank lines not counted)."""
    found: dict[int, tuple[int, str]] = {}
    opener = gzip.open if _is_gzip(path) else open
    position = 0
    with opener(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            if position in wanted:
                found[position] = (number, raw.rstrip(b"\r\n").decode("utf-8", errors="replace"))
                if len(found) == len(wanted):
                    break
            position += 1
    return found


def _block_path(settings, path: Path, shown: str, txn) -> None:
    """Block by block, with exact per-line quarantine for whatever DuckDB cannot read."""
    papers_spec = schemas.get(PAPERS)
    now = pa.scalar(datetime.now(timezone.utc), pa.timestamp("us", tz="UTC"))
    progress = bar(total=path.stat().st_size, desc=f"arxiv snapshot {path.name}", unit="B", unit_scale=True)
    try:
        with open(path, "rb") as raw_fh:
            reader = _CountingReader(raw_fh)
            limits = (getattr(settings, "reader_max_line_bytes", MAX_LINE_BYTES),
                      getattr(settings, "reader_max_decompressed_bytes", MAX_DECOMPRESSED_BYTES))
            for data, first_line, table, bad in _parsed_blocks(path, reader, shown, _scratch_dir(settings), limits):
                if table is not None:
                    rejected = pc.is_valid(table.column("_reason"))
                    if pc.any(rejected).as_py():
                        bad.extend(_rejected_rows(table.filter(rejected), data, first_line, shown))
                        table = table.filter(pc.invert(rejected))
                    txn.write(papers_spec, PARTITION, _lake_table(table, papers_spec, now))
                if bad:
                    for q in bad:
                        q["ingested_at"] = now.as_py()
                    txn.write(QUARANTINE, PARTITION, bad)
                progress.update(reader.bytes_read - progress.n)
    finally:
        progress.close()


def _rejected_rows(rejected: pa.Table, data: bytes, first_line: int, location: str) -> list[dict]:
    """Quarantine rows the mapping query rejected, with their exact raw line from the block."""
    lines = data.split(b"\n")
    out = []
    for line_no, reason, key in zip(rejected.column("_line").to_pylist(), rejected.column("_reason").to_pylist(),
                                    rejected.column("_key").to_pylist()):
        raw = lines[line_no - first_line].decode("utf-8", errors="replace")
        out.append(_bad(key or None, reason, raw, location, line_no))
    return out
