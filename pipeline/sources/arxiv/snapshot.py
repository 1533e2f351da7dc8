"""Bulk bootstrap from the arXiv metadata snapshot (Kaggle ``arxiv-metadata-oai-snapshot``, JSON lines).

The file (plain or gzip, ~2.7M records / 4.5 GB for the real one) is read in blocks of whole
lines; each block is parsed by Arrow's multi-threaded JSON reader and mapped to the lake schema
by one DuckDB query, so no Python code runs per record on the happy path and memory is bounded
by a block.  A block Arrow rejects (invalid JSON, a wrongly typed field) is re-read line by line
to quarantine exactly the bad lines with their line numbers; rows whose id or version dates do
not parse are quarantined by the same query.  Everything goes into partition ``snapshot`` in one
lake transaction: a corrupt gzip fails with MalformedPageError and the lake stays as it was.

``last_updated_date`` is the date of the latest *version*; the snapshot's ``update_date`` (the
last metadata edit, e.g. a journal-ref added later) is deliberately not used for it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import queue
import threading
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

import schemas
from pipeline import lake
from pipeline.errors import MalformedPageError, MlgraphError
from pipeline.http import HttpClient, redact_url
from pipeline.manifest import IngestResult, Manifest
from pipeline.progress import bar
from pipeline.sources.arxiv.client import PAPERS, QUARANTINE, conform

log = logging.getLogger(__name__)

PARTITION = "snapshot"
BLOCK_BYTES = 32 * 1024 * 1024
_RAW_LIMIT = 64 * 1024

_VERSION = pa.struct([("version", pa.string()), ("created", pa.string()), ("size", pa.string())])
SNAPSHOT_SCHEMA = pa.schema([
    ("id", pa.string()), ("submitter", pa.string()), ("authors", pa.string()), ("title", pa.string()),
    ("comments", pa.string()), ("journal-ref", pa.string()), ("doi", pa.string()), ("report-no", pa.string()),
    ("categories", pa.string()), ("license", pa.string()), ("abstract", pa.string()),
    ("versions", pa.list_(_VERSION)), ("update_date", pa.string()),
    ("authors_parsed", pa.list_(pa.list_(pa.string()))),
])

# SQL twin of pipeline.ids.split_arxiv_id for bare snapshot ids (tests check they agree):
# new style YYMM.NNNN(N)(vN); old style archive(.SUBJ)/NNNNNNN(vN) with the subject class dropped.
_NEW_ID = r"^(\d{4}\.\d{4,5})(v\d+)?$"
_OLD_ID = r"^([a-z][a-z\-]*)(\.[a-z\-]{2,})?/(\d{7})(v\d+)?$"
_ID_SQL = f"""
    CASE WHEN regexp_full_match(_rid, '{_NEW_ID}') THEN regexp_extract(_rid, '{_NEW_ID}', 1)
         WHEN regexp_full_match(_rid, '{_OLD_ID}')
              THEN regexp_extract(_rid, '{_OLD_ID}', 1) || '/' || regexp_extract(_rid, '{_OLD_ID}', 3)
    END"""


# Same result as \s+ → ' ' but several times faster: only runs that need a change match.
_WS = r"\s\s+|[\t\n\r\f]"
_TEXT_COLUMNS = {"title": "title", "abstract": "abstract", "journal_ref": '"journal-ref"', "comments": "comments",
                 "report_no": '"report-no"', "submitter": "submitter", "authors_raw": "authors", "doi": "doi"}


def _spaced_sql(col: str) -> str:
    return f"regexp_replace({col}, '{_WS}', ' ', 'g')"


def _trimmed_sql(col: str) -> str:
    """Drop one leading/trailing space of an already collapsed value (cheaper than trim() on long text)."""
    return (f"nullif({col}[(CASE WHEN starts_with({col}, ' ') THEN 2 ELSE 1 END):"
            f"(CASE WHEN ends_with({col}, ' ') THEN -2 ELSE -1 END)], '')")


def _unescape_sql(col: str) -> str:
    """The common HTML entities unescaped, as the OAI parser does (only on values holding an '&')."""
    unescaped = col
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "''"), ("&amp;", "&")):
        unescaped = f"replace({unescaped}, '{entity}', '{char}')"
    return f"CASE WHEN contains({col}, '&') THEN {unescaped} ELSE {col} END"


_TRANSFORM = f"""
WITH base AS (
    SELECT *, regexp_replace(lower(trim(coalesce(id, ''))), '^arxiv:', '') AS _rid,
           list_sort(list_transform(versions, lambda v: struct_pack(
               version := TRY_CAST(ltrim(lower(trim(v.version)), 'v') AS INTEGER),
               created := try_strptime(trim(v.created), '%a, %d %b %Y %H:%M:%S GMT')::TIMESTAMPTZ,
               size := v.size))) AS _versions,
           string_split(trim(regexp_replace(coalesce(categories, ''), '\\s+', ' ', 'g')), ' ') AS _cats,
           {', '.join(f'{_spaced_sql(src)} AS _s_{name}' for name, src in _TEXT_COLUMNS.items())}
    FROM chunk
), checked AS (
    SELECT *, {_ID_SQL} AS _id,
           {', '.join(f'{_trimmed_sql("_s_" + name)} AS _c_{name}' for name in _TEXT_COLUMNS)},
           CASE WHEN id IS NULL OR trim(id) = '' THEN 'record has no id'
                WHEN ({_ID_SQL}) IS NULL THEN 'unparseable arXiv id ' || to_json(id)
                WHEN _versions IS NULL OR len(_versions) = 0 THEN 'record has no versions'
                WHEN list_bool_or(list_transform(_versions, lambda v: v.created IS NULL OR v.version IS NULL))
                     THEN 'bad version label or date in ' || to_json(versions)
           END AS _reason
    FROM base
)
SELECT _line, _reason, coalesce(id, '') AS _key,
       _id AS arxiv_id,
       list_max(list_transform(_versions, lambda v: v.version))::INTEGER AS latest_version,
       _versions AS versions,
       {_unescape_sql('_c_title')} AS title,
       {_unescape_sql('_c_abstract')} AS abstract,
       list_transform(authors_parsed, lambda a: struct_pack(
           keyname := nullif(trim(a[1]), ''), forenames := nullif(trim(a[2]), ''),
           suffix := nullif(trim(a[3]), ''))) AS authors,
       _c_authors_raw AS authors_raw,
       list_filter(_cats, lambda c: c <> '') AS categories,
       nullif(_cats[1], '') AS primary_category,
       (_versions[1].created)::DATE AS first_version_date,
       (list_max(list_transform(_versions, lambda v: v.created)))::DATE AS last_updated_date,
       _c_doi AS doi,
       {_unescape_sql('_c_journal_ref')} AS journal_ref,
       nullif(trim(license), '') AS license,
       {_unescape_sql('_c_comments')} AS comments,
       {_unescape_sql('_c_report_no')} AS report_no,
       {_unescape_sql('_c_submitter')} AS submitter,
       NULL::DATE AS oai_datestamp,
       'snapshot' AS record_format,
       $ingested_at::TIMESTAMPTZ AS ingested_at
FROM checked
"""


def ingest_snapshot(settings, path_or_url: str | None = None) -> IngestResult:
    """Load the arXiv metadata snapshot (path or http(s) URL; plain or gzip) into arxiv/papers, partition ``snapshot``."""
    source = path_or_url or settings.arxiv_snapshot
    if source is None:
        from pipeline.sample import ensure_sample

        source = str(ensure_sample(settings) / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz")
    source = str(source)
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
        with open(tmp, "wb") as fh:
            for piece in response.iter_content(chunk_size=1 << 20):
                fh.write(piece)
        response.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        client.close()
    return tmp


class _HashingReader(io.RawIOBase):
    """A raw file reader that feeds every byte it reads into a sha256 (one pass for hash + parse)."""

    def __init__(self, fh):
        self.fh = fh
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.fh.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
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


def _raw_blocks(path: Path, reader: _HashingReader) -> Iterator[tuple[bytes, int, int]]:
    """Yield (block of whole lines, its first line number, its line count), gunzipping when needed."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    try:
        buffered = io.BufferedReader(reader, buffer_size=4 << 20)
        stream = gzip.GzipFile(fileobj=buffered, mode="rb") if gzipped else buffered
        carry, line = b"", 1
        while True:
            data = stream.read(BLOCK_BYTES)
            if not data:
                break
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry, block = data[cut:], data[:cut]
            n_lines = block.count(b"\n")
            yield block, line, n_lines
            line += n_lines
        if carry.strip():
            yield carry, line, 1
    except (OSError, EOFError, zlib.error) as exc:
        raise MalformedPageError(f"arXiv snapshot {path.name} is unreadable "
                                 f"({'corrupt gzip' if gzipped else 'read error'}: {exc})") from None


def _parsed_blocks(path: Path, reader: _HashingReader, location: str) -> Iterator[tuple[bytes, int, pa.Table | None, list]]:
    """Yield (block, first line number, Arrow table of its good lines, quarantined lines)."""
    def parse():
        for block, first_line, n_lines in _in_thread(lambda: _raw_blocks(path, reader), "arxiv-snapshot-read"):
            table, bad = _parse_block(block, first_line, n_lines, location)
            yield block, first_line, table, bad

    return _in_thread(parse, "arxiv-snapshot-parse")


def _read_json(data: bytes) -> pa.Table:
    return pajson.read_json(
        io.BytesIO(data),
        read_options=pajson.ReadOptions(use_threads=True, block_size=4 << 20),
        parse_options=pajson.ParseOptions(explicit_schema=SNAPSHOT_SCHEMA, unexpected_field_behavior="ignore"),
    )


def _parse_block(data: bytes, first_line: int, n_lines: int, location: str) -> tuple[pa.Table | None, list[dict]]:
    """Arrow-parse a block; on failure or blank lines fall back to per-line checks for this block only."""
    try:
        table = _read_json(data)
        if table.num_rows == n_lines:
            return table.append_column("_line", pa.array(range(first_line, first_line + n_lines), pa.int64())), []
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    good: list[bytes] = []
    good_lines: list[int] = []
    bad: list[dict] = []
    for offset, raw in enumerate(data.split(b"\n")):
        number = first_line + offset
        if not raw.strip():
            continue
        text = raw.decode("utf-8", errors="replace")
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            bad.append(_bad(None, f"invalid JSON: {exc}", text, location, number))
            continue
        if not isinstance(obj, dict):
            bad.append(_bad(None, f"not a JSON object but {type(obj).__name__}", text, location, number))
            continue
        if not isinstance(obj.get("id"), str) or not obj["id"].strip():
            bad.append(_bad(None, "record has no id", text, location, number))
            continue
        try:
            _read_json(raw)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            bad.append(_bad(obj["id"], f"does not fit the snapshot layout: {exc}", text, location, number))
            continue
        good.append(raw)
        good_lines.append(number)
    if not good:
        return None, bad
    table = _read_json(b"\n".join(good))
    return table.append_column("_line", pa.array(good_lines, pa.int64())), bad


def _bad(key, reason: str, raw: str, location: str, line: int) -> dict:
    return {"dataset": PAPERS, "record_key": key, "reason": reason, "raw": raw[:_RAW_LIMIT],
            "location": f"{location} line {line}"}


def _load(settings, path: Path, shown: str, result: IngestResult) -> None:
    import duckdb

    papers_spec, quarantine_spec = schemas.get(PAPERS), schemas.get(QUARANTINE)
    now = datetime.now(timezone.utc)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    total_size = path.stat().st_size
    progress = bar(total=total_size, desc=f"arxiv snapshot {path.name}", unit="B", unit_scale=True)
    try:
        with open(path, "rb") as raw_fh, lake.transaction(settings.lake) as txn:
            reader = _HashingReader(raw_fh)
            for data, first_line, table, bad in _parsed_blocks(path, reader, shown):
                if table is not None:
                    con.register("chunk", table)
                    out = con.sql(_TRANSFORM, params={"ingested_at": now}).to_arrow_table()
                    con.unregister("chunk")
                    rejected = out.filter(pc.is_valid(out.column("_reason")))
                    if rejected.num_rows:
                        bad.extend(_rejected_rows(rejected, data, first_line, shown))
                        out = out.filter(pc.is_null(out.column("_reason")))
                    kept = out.select(papers_spec.schema.names)
                    txn.write(papers_spec, PARTITION, conform(kept, papers_spec.schema))
                if bad:
                    for q in bad:
                        q["ingested_at"] = now
                    txn.write(quarantine_spec, PARTITION, bad)
                progress.update(reader.bytes_read - progress.n)
            txn.write(papers_spec, PARTITION, papers_spec.schema.empty_table())
            txn.write(quarantine_spec, PARTITION, quarantine_spec.schema.empty_table())
            rows = txn.rows()
    finally:
        progress.close()
        con.close()
    result.rows = {PAPERS: rows.get(PAPERS, 0)}
    result.quarantined = rows.get(QUARANTINE, 0)
    result.checksum = f"sha256:{reader.sha256.hexdigest()}"
    result.detail = f"{path.stat().st_size} bytes"
    if rows.get(PAPERS, 0) == 0:
        result.outcome = "empty"


def _rejected_rows(rejected: pa.Table, data: bytes, first_line: int, location: str) -> list[dict]:
    """Quarantine rows the transform rejected, with their exact raw line from the block."""
    lines = data.split(b"\n")
    out = []
    for line_no, reason, key in zip(rejected.column("_line").to_pylist(), rejected.column("_reason").to_pylist(),
                                    rejected.column("_key").to_pylist()):
        raw = lines[line_no - first_line].decode("utf-8", errors="replace")
        out.append(_bad(key or None, reason, raw, location, line_no))
    return out
