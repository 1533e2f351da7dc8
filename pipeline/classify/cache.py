"""Classification cache: text-classifier verdicts kept between builds, so a rebuild or a nightly run
classifies only new and changed papers (issue 14).

A verdict is keyed on (paper_id, SHA-256 of title + abstract + categories) inside a directory per
classifier version: a hash of the taxonomy file, the calibration seed and the classifier's code, so
any change to what a verdict would be starts an empty directory (full reclassification, logged in
one line). Each build adds one Parquet segment named by the SHA-256 of its bytes, written to a
temporary name and renamed: a build that fails leaves either a whole valid segment or nothing, and
every row in it is the verdict the classifier gives for exactly that text. The cache lives under
``<MLGRAPH_HOME>/cache/classify/``, outside any candidate warehouse. The text domains of papers of
a general category, and the named-model mentions, are cached the same way under
``<MLGRAPH_HOME>/cache/domains/`` and ``<MLGRAPH_HOME>/cache/mentions/``.

The cache is only an accelerator: a segment that is not whole (truncated, emptied, edited, of
another schema) is set aside as ``<name>.damaged`` with one warning and its papers are read again,
so a damaged cache never fails a build. Once a version holds a segment, the directories of other
versions are removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.classify.taxonomy import DEFAULT_PATH, load_taxonomy_file

SQL_DIR = Path(__file__).parent / "sql"
# Every module file a cached family verdict depends on: the classifier (text.py) and its taxonomy
# loader, the SQL that hands it the texts, and warehouse.py, whose classify_texts / _to_batch and
# classify_papers turn verdicts into the cached row.
CLASSIFIER_FILES = ("text.py", "taxonomy.py", "warehouse.py", "sql/classify_cache_misses.sql")
# More segments than this are merged into one (a nightly run adds one small segment each night).
MAX_SEGMENTS = 32
# A temporary segment written to this recently belongs to a running build (a writer touches it every
# batch): its version directory is not pruned. An older one was left by a killed build.
LIVE_TMP_SECONDS = 3600
log = logging.getLogger(__name__)
SEGMENT_SCHEMA = pa.schema([
    ("paper_id", pa.string()),
    ("text_hash", pa.string()),
    ("primary_family", pa.string()),
    ("families", pa.list_(pa.string())),
    ("confidence", pa.float64()),
])


def classifier_version() -> str:
    """'<taxonomy version>-<12 hex>': the taxonomy version plus a hash of everything a verdict depends on."""
    from pipeline.classify.text import CALIBRATION_PATH

    return f"{load_taxonomy_file().version}-{files_digest([DEFAULT_PATH, CALIBRATION_PATH], CLASSIFIER_FILES)}"


def files_digest(paths: list[Path], module_files: tuple[str, ...]) -> str:
    """12 hex of a SHA-256 over the names and bytes of ``paths`` and of this package's ``module_files``."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in list(paths) + [here / name for name in module_files]:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def text_hash_sql(con, table: str = "int_papers") -> str:
    """SQL expression of the text hash of a row of ``table`` (length-prefixed, so fields cannot run together).

    A table without ``categories`` (a unit test's int_papers) hashes an empty category list.
    """
    cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    parts = ["coalesce(title, '')", "coalesce(abstract, '')",
             "coalesce(array_to_string(categories, ' '), '')" if "categories" in cols else "''"]
    return "sha256(" + " || ".join(f"length({x})::VARCHAR || ':' || {x}" for x in parts) + ")"


def load_cache_sql(name: str, text_hash: str) -> str:
    """The SQL of ``pipeline/classify/sql/NAME.sql`` with the text-hash expression filled in."""
    return (SQL_DIR / f"{name}.sql").read_text().replace("{{ text_hash }}", text_hash)


# The domain rules (domain.py) build their cue regexes with text.py's trie_regex and read their
# cues through taxonomy.py; warehouse.py selects the papers and turns verdicts into cached rows.
DOMAIN_FILES = ("domain.py", "text.py", "taxonomy.py", "warehouse.py")
DOMAIN_SEGMENT_SCHEMA = pa.schema([
    ("paper_id", pa.string()),
    ("text_hash", pa.string()),
    ("kept", pa.bool_()),                 # whether the text decides the paper's domain (else no row)
    ("text_domain", pa.string()),
    ("text_domain_score", pa.float64()),
    ("overrides_category", pa.bool_()),
])


def domain_version() -> str:
    """'<taxonomy version>-domains-<12 hex>': like :func:`classifier_version`, for the text-domain rules
    (taxonomy file with its domain cues, the category→domain seed, and the code that applies them)."""
    from pipeline.classify.domain import SEED_PATH

    return f"{load_taxonomy_file().version}-domains-{files_digest([DEFAULT_PATH, SEED_PATH], DOMAIN_FILES)}"


# The extractor (mentions.py imports no other module of the package), the step that turns its output
# into cached rows, and the prefilter SQL, which blanks the title or abstract the extractor then reads.
MENTION_FILES = ("mentions.py", "mentions_warehouse.py", "sql/ml_paper_mention_candidates.sql")
MENTION_STRUCT = pa.struct([
    ("model_key", pa.string()), ("mention_text", pa.string()), ("evidence_span", pa.string()),
    ("relation", pa.string()), ("cue", pa.string()), ("confidence", pa.float64()), ("in_title", pa.bool_()),
])
MENTION_SEGMENT_SCHEMA = pa.schema([
    ("paper_id", pa.string()),
    ("text_hash", pa.string()),
    ("mentions", pa.list_(MENTION_STRUCT)),    # empty: the paper was read and names no model
])


def mentions_version() -> str:
    """'mentions-<12 hex>': a hash of the alias table and the extractor's code."""
    from pipeline.classify.mentions import ALIASES_PATH

    return f"mentions-{files_digest([ALIASES_PATH], MENTION_FILES)}"


class ClassifyCache:
    """The cache directory of the current classifier version under ``root``."""

    def __init__(self, root: Path, version: str | None = None, schema: pa.Schema = SEGMENT_SCHEMA,
                 logger: logging.Logger | None = None):
        self.root = Path(root)
        self.version = version or classifier_version()
        self.dir = self.root / self.version
        self.schema = schema
        self.log = logger or log
        # (size, mtime) of segments already checked, so a build hashes each segment once
        self._checked: dict[Path, tuple[int, int]] = {}
        self._unusable: set[Path] = set()   # damaged and not movable: warned about once

    def segments(self) -> list[str]:
        """The whole segments of this version; a damaged one is set aside with one warning."""
        if not self.dir.is_dir():
            return []
        good = []
        for path in sorted(self.dir.glob("*.parquet")):
            if path in self._unusable:
                continue
            try:
                problem = self._problem(path)
            except FileNotFoundError:
                continue   # merged away by a concurrent build's compaction
            if problem is None:
                good.append(str(path))
            else:
                self._set_aside(path, problem)
        return good

    def _problem(self, path: Path) -> str | None:
        """Why ``path`` is not a whole segment of this cache (None when it is)."""
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        if self._checked.get(path) == key:
            return None
        if not stat.st_size:
            return "empty file"
        try:
            schema = pq.read_metadata(path).schema.to_arrow_schema()
        except FileNotFoundError:
            raise
        except (OSError, pa.ArrowException) as exc:
            return f"not a readable Parquet file: {exc}"
        if not schema.equals(self.schema):
            return "its schema is not this cache's"
        # The name is the SHA-256 of the bytes, so a mismatch proves damage the footer does not show
        # (~0.06 s for the 85 MB segment of 1M verdicts, a sixth of DuckDB's read of it).
        if _sha256(path) != path.stem:
            return "its bytes do not match the SHA-256 of its name"
        self._checked[path] = key
        return None

    def _set_aside(self, path: Path, problem: str) -> None:
        aside = path.with_name(path.name + ".damaged")
        try:
            os.replace(path, aside)
            where = f"moved to {aside.name}"
        except FileNotFoundError:
            return   # another build set it aside first, and warned
        except OSError as exc:
            self._unusable.add(path)
            where = f"left in place, not used ({exc.strerror})"
        self.log.warning("%s cache: segment %s is damaged (%s): %s; its papers are read again",
                         self.root.name, path, problem, where)

    def other_versions(self) -> list[str]:
        """Versions cached before (another taxonomy or classifier): their verdicts are not used."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != self.version)

    def writer(self) -> SegmentWriter:
        """A writer of one new segment of this version."""
        return SegmentWriter(self.dir, self.schema)

    def finish(self, writer: SegmentWriter) -> None:
        """Publish a build's segment, then prune other versions and compact this one."""
        writer.close()
        if self.segments():
            self.prune()
        self.compact()

    def prune(self) -> None:
        """Remove other versions' directories and killed builds' temporary segments (one info line)."""
        now = time.time()

        def live_tmp(directory: Path) -> bool:
            return any(now - t.stat().st_mtime < LIVE_TMP_SECONDS for t in directory.glob("*.tmp"))

        removed, size = [], 0
        for name in self.other_versions():
            directory = self.root / name
            try:
                if live_tmp(directory):
                    continue   # a build of that version is writing to it
                size += sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
            except FileNotFoundError:
                continue
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(name)
        for tmp in self.dir.glob("*.tmp"):
            try:
                if now - tmp.stat().st_mtime >= LIVE_TMP_SECONDS:
                    size += tmp.stat().st_size
                    tmp.unlink()
            except FileNotFoundError:
                pass
        if removed:
            self.log.info("%s cache: removed %d old version(s) (%s), %.1f MB; keeping %s", self.root.name,
                          len(removed), ", ".join(removed), size / 1e6, self.version)

    def compact(self) -> None:
        """Merge the segments into one, one row per (paper_id, text_hash), when there are more than MAX_SEGMENTS."""
        segs = self.segments()
        if len(segs) <= MAX_SEGMENTS:
            return
        import duckdb

        out = self.writer()
        try:
            con = duckdb.connect()
            try:
                con.execute("SET enable_progress_bar = false")
                # Rows of one key are identical by construction; the order makes the merge reproducible.
                reader = con.sql("SELECT DISTINCT ON (paper_id, text_hash) * FROM read_parquet($1) "
                                 "ORDER BY paper_id, text_hash", params=[segs]).to_arrow_reader(100_000)
                for batch in reader:
                    out.write(pa.Table.from_batches([batch]).cast(self.schema))
            finally:
                con.close()
            merged = out.close()
        except Exception as exc:   # a cache that cannot be merged is still a cache: never fail the build
            out.abort()
            self.log.warning("%s cache: %d segments not compacted (%s: %s)", self.root.name, len(segs),
                             type(exc).__name__, exc)
            return
        for seg in segs:
            if seg != merged:
                Path(seg).unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class SegmentWriter:
    """Streams verdicts into a temporary Parquet file; ``close`` renames it to its content hash."""

    def __init__(self, directory: Path, schema: pa.Schema = SEGMENT_SCHEMA):
        self.directory = directory
        self.schema = schema
        self.tmp = directory / f".segment-{os.getpid()}-{id(self)}.tmp"
        self._writer = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append verdicts (columns of the cache's schema)."""
        if not table.num_rows:
            return
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.tmp, self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> str | None:
        """Publish the segment under its content hash (None when nothing was written)."""
        if self._writer is None:
            return None
        self._writer.close()
        final = self.directory / f"{_sha256(self.tmp)}.parquet"
        os.replace(self.tmp, final)
        return str(final)

    def abort(self) -> None:
        """Drop the temporary file of a build that failed."""
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)
