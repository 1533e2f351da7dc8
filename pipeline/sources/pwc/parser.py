"""Pure streaming parsers for the Papers With Code dump files: JSON arrays → tidy lake rows.

A dump is one huge JSON array (the papers dump is ~1.5 GB decompressed), so it is read item by
item with ijson's C backend and never materialised.  Each item is flattened into rows of the
``pwc/*`` datasets (tuples in the declared column order), collected into Arrow tables of
``batch_rows`` rows.  An item that cannot be used becomes a :class:`Reject` (→ ``pwc/quarantine``)
and the rest proceeds; a file that is not valid JSON or gzip raises :class:`MalformedPageError`.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import ijson
import pyarrow as pa

import schemas
from pipeline.errors import MalformedPageError
from pipeline.ids import normalize_arxiv_id
from pipeline.lake import _ROW_ERRORS, storable

DUMPS = ("papers-with-abstracts", "methods", "evaluation-tables", "links-between-papers-and-code", "datasets")

# Which datasets each dump file feeds (its quarantine rows go to pwc/quarantine as well).
FEEDS: dict[str, tuple[str, ...]] = {
    "papers-with-abstracts": ("pwc/papers", "pwc/paper_tasks", "pwc/paper_methods"),
    "methods": ("pwc/methods", "pwc/method_collections"),
    "evaluation-tables": ("pwc/eval_tasks", "pwc/eval_datasets", "pwc/eval_results"),
    "links-between-papers-and-code": ("pwc/code_links",),
    "datasets": ("pwc/datasets",),
}
QUARANTINE = "pwc/quarantine"


# PwC stores "unknown" as introduced_year 2000 for most methods (1,866 of 1,924 in the 2022 dump).
PLACEHOLDER_YEAR = 2000
RAW_LIMIT = 64 * 1024
BATCH_ROWS = 20_000
_GZIP_MAGIC = b"\x1f\x8b"
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})")


# A Unicode noncharacter: never meaningful in interchanged text, so it can stand for a byte that
# was not UTF-8 until the record holding it is quarantined.
INVALID_BYTE = "\ufdd0"
# Another noncharacter: where a string field was cut at the field-size bound.
OVERSIZED = "\ufdd1"
MAX_FIELD_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 64 * 1024 ** 3
_MARK_ERRORS = "mlgraph-pwc-invalid-utf8"


_MARK_ESCAPE = "\\ufdd0"
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_MARKS = threading.local()
_MARKS.count = 0


def _mark_invalid(exc: UnicodeDecodeError):
    _MARKS.count = getattr(_MARKS, "count", 0) + 1
    return INVALID_BYTE, exc.end


codecs.register_error(_MARK_ERRORS, _mark_invalid)


class BadRecord(Exception):
    """A record (or nested entry) that cannot be used; carries the reason for the quarantine."""


@dataclass(frozen=True)
class Reject:
    """One quarantined record: target dataset, its key when readable, reason, raw JSON, location."""

    dataset: str
    record_key: str | None
    reason: str
    raw: str
    location: str


def raw_json(obj) -> str:
    """The record as JSON text, truncated to 64 KiB (the quarantine keeps it verbatim)."""
    try:
        text = json.dumps(obj, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(obj)
    return storable(text[:RAW_LIMIT])


def _text_field(name: str, value: str) -> str:
    if storable(value) is not value:
        raise BadRecord(f"field {name!r} holds a lone surrogate (not valid Unicode text)")
    if INVALID_BYTE in value:
        raise BadRecord(f"field {name!r} holds bytes that are not UTF-8")
    return value


# --- typed field readers: a wrong type is a BadRecord naming the field -------------------------

def _type_name(value) -> str:
    return type(value).__name__


def req_str(obj: dict, name: str) -> str:
    """A required, non-empty string field."""
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRecord(f"missing key field {name!r}" if value in (None, "") else
                        f"key field {name!r} is {_type_name(value)}, expected a string")
    return _text_field(name, value)


def opt_str(obj: dict, name: str) -> str | None:
    """An optional string field (None when absent)."""
    value = obj.get(name)
    if value is None:
        return value
    if isinstance(value, str):
        return _text_field(name, value)
    raise BadRecord(f"field {name!r} is {_type_name(value)}, expected a string")


def opt_int(obj: dict, name: str, bits: int = 64) -> int | None:
    """An optional integer field (a float with an integral value is accepted), within ``bits``."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadRecord(f"field {name!r} is bool, expected an integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise BadRecord(f"field {name!r} is {value:.3g}, out of range of a {bits}-bit integer")
        return value
    raise BadRecord(f"field {name!r} is {_type_name(value)} {value!r}, expected an integer")


def opt_bool(obj: dict, name: str) -> bool | None:
    """An optional boolean field."""
    value = obj.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise BadRecord(f"field {name!r} is {_type_name(value)}, expected true/false")


def opt_date(obj: dict, name: str) -> date | None:
    """An optional ``YYYY-MM-DD`` (time part ignored); empty string means unknown."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    # A Parquet archive may hold dates typed (Arrow's JSON reader infers timestamps from ISO text).
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                pass
    raise BadRecord(f"field {name!r} is not a YYYY-MM-DD date: {value!r}")


def opt_list(obj: dict, name: str) -> list:
    """An optional list field (absent/null → empty list)."""
    value = obj.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise BadRecord(f"field {name!r} is {_type_name(value)}, expected a list")


def opt_str_list(obj: dict, name: str) -> list[str] | None:
    """An optional list of strings (null stays null; null elements are dropped)."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadRecord(f"field {name!r} is {_type_name(value)}, expected a list of strings")
    out = [v for v in value if v is not None]
    if any(not isinstance(v, str) for v in out):
        raise BadRecord(f"field {name!r} holds a non-string element")
    for v in out:
        _text_field(name, v)
    return out


def opt_obj(obj: dict, name: str) -> dict:
    """An optional nested object (null → empty dict), e.g. ``paper: null`` in methods.json."""
    value = obj.get(name)
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise BadRecord(f"field {name!r} is {_type_name(value)}, expected an object")


def introduced_year(obj: dict) -> int | None:
    """``introduced_year`` with PwC's placeholder 2000 (and 0) read as unknown."""
    year = opt_int(obj, "introduced_year", bits=32)
    return None if year in (PLACEHOLDER_YEAR, 0) else year


_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+)", re.IGNORECASE)


def arxiv_of(*candidates: str | None) -> str | None:
    """The first candidate that normalises to an arXiv id (bare id, abs or pdf URL).

    Leaderboard cells sometimes wrap the URL in text ("(Singapore Management University)
    https://arxiv.org/abs/1608.07905"), so an arXiv URL inside the text counts too.
    """
    for candidate in candidates:
        found = normalize_arxiv_id(candidate)
        if not found and candidate:
            match = _ARXIV_URL.search(candidate)
            found = normalize_arxiv_id(match.group(1)) if match else None
        if found:
            return found
    return None


# --- metric values ------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"""^~?(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+)
        \s*(?P<suffix>%|[kKMBG])?
        \s*(?:±\s*\d+(?:\.\d+)?\s*%?)?      # a ± spread: the central value is the metric
        \s*(?:\([^()]*\))?$                 # a trailing note in parentheses
    """,
    re.VERBOSE,
)
_SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9}


def parse_metric(value) -> tuple[str | None, float | None]:
    """(raw text, number) of a leaderboard cell: "93.2", "93.2%", "1,234", "12M" → numbers; "-" → None.

    Markdown emphasis (``**93.2**``) and footnote marks (``93.2*``, ``93.2+``) are stripped; a value
    that holds several numbers ("88.1/90.2") or words stays unparsed (raw kept, number null).
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        return json.dumps(value), None
    if isinstance(value, (int, float)):
        number = float(value)
        # One text per number whatever the container: Parquet's type inference turns a column's
        # ints into doubles when any cell is fractional, so 90 and 90.0 both read "90".
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number)), number
        return repr(number), number
    if not isinstance(value, str):
        return raw_json(value), None
    text = value.replace("\ufeff", "").replace("\u2212", "-").strip().strip("*").rstrip("+*?").strip()
    match = _NUMBER.match(text)
    if not match:
        return value, None
    number = float(match.group("num").replace(",", ""))
    suffix = match.group("suffix")
    if suffix and suffix != "%":
        number *= _SCALE[suffix]
    return value, number


# --- flatteners: one dump item → rows per dataset ------------------------------------------------

class Rows:
    """Rows of one batch, per dataset, plus the rejects met on the way."""

    def __init__(self, raw_of: Callable[[object], str] = raw_json):
        self.data: dict[str, list[tuple]] = {}
        self.rejects: list[Reject] = []
        self.raw_of = raw_of

    def add(self, key: str, row: tuple) -> None:
        """Append one row (a tuple in the dataset's declared column order)."""
        self.data.setdefault(key, []).append(row)

    def reject(self, dataset: str, record_key, reason: str, obj, location: str) -> None:
        """Quarantine one record or nested entry."""
        key = storable(record_key) if isinstance(record_key, str) else None
        self.rejects.append(Reject(dataset, key, storable(reason), self.raw_of(obj), storable(location)))


def _record_key(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else None


def flatten_paper(obj: dict, loc: str, out: Rows) -> None:
    """papers-with-abstracts item → pwc/papers, pwc/paper_tasks, pwc/paper_methods."""
    url = req_str(obj, "paper_url")
    arxiv = arxiv_of(opt_str(obj, "arxiv_id"), opt_str(obj, "url_abs"))
    paper = (url, arxiv, opt_str(obj, "title"), opt_str(obj, "abstract"), opt_str(obj, "url_abs"),
             opt_str(obj, "url_pdf"), opt_str(obj, "proceeding"), opt_str_list(obj, "authors"),
             opt_date(obj, "date"))
    tasks = opt_str_list(obj, "tasks") or []
    methods = opt_list(obj, "methods")
    out.add("pwc/papers", paper)
    for task in tasks:
        out.add("pwc/paper_tasks", (url, arxiv, task))
    for j, method in enumerate(methods):
        try:
            if not isinstance(method, dict):
                raise BadRecord(f"method entry is {_type_name(method)}, expected an object")
            collection = opt_obj(method, "main_collection")
            out.add("pwc/paper_methods", (
                url, arxiv, req_str(method, "name"), opt_str(method, "full_name"),
                opt_str(collection, "name"), opt_str(collection, "area"), introduced_year(method)))
        except BadRecord as exc:
            out.reject("pwc/paper_methods", url, str(exc), method, f"{loc}.methods[{j}]")


def flatten_method(obj: dict, loc: str, out: Rows) -> None:
    """methods item → pwc/methods and pwc/method_collections (areas may be missing)."""
    url = req_str(obj, "url")
    name = req_str(obj, "name")
    paper = opt_obj(obj, "paper")
    row = (url, name, opt_str(obj, "full_name"), opt_str(obj, "description"), opt_str(paper, "title"),
           opt_str(paper, "url"), introduced_year(obj), opt_str(obj, "source_url"),
           opt_str(obj, "source_title"), opt_str(obj, "code_snippet_url"), opt_int(obj, "num_papers"))
    collections = opt_list(obj, "collections")
    out.add("pwc/methods", row)
    for j, entry in enumerate(collections):
        try:
            if not isinstance(entry, dict):
                raise BadRecord(f"collection entry is {_type_name(entry)}, expected an object")
            out.add("pwc/method_collections", (url, name, req_str(entry, "collection"),
                                               opt_str(entry, "area_id"), opt_str(entry, "area")))
        except BadRecord as exc:
            out.reject("pwc/method_collections", url, str(exc), entry, f"{loc}.collections[{j}]")


def _flatten_eval_dataset(task: str, obj, parent: str | None, loc: str, out: Rows) -> None:
    if not isinstance(obj, dict):
        raise BadRecord(f"dataset entry is {_type_name(obj)}, expected an object")
    if parent is None:
        name = req_str(obj, "dataset")
    else:
        # Subdatasets carry their own name under "subdataset" ("Restricted", "TREC-6"); the same
        # sub-name recurs under several parents of one task, so it is qualified by the parent.
        sub = obj.get("subdataset") or obj.get("dataset")
        if not isinstance(sub, str) or not sub.strip():
            raise BadRecord("subdataset without a name ('subdataset' or 'dataset')")
        name = f"{parent} / {sub}"
    sota = opt_obj(obj, "sota")
    metrics = opt_str_list(sota, "metrics") or []
    rows = opt_list(sota, "rows")
    subdatasets = opt_list(obj, "subdatasets")
    out.add("pwc/eval_datasets", (task, name, parent, opt_str(obj, "description"), metrics))
    for i, row in enumerate(rows):
        row_loc = f"{loc}.sota.rows[{i}]"
        try:
            if not isinstance(row, dict):
                raise BadRecord(f"leaderboard row is {_type_name(row)}, expected an object")
            values = opt_obj(row, "metrics")
            paper_url = opt_str(row, "paper_url")
            head = (task, name, i, opt_str(row, "model_name"), opt_str(row, "paper_title"), paper_url,
                    arxiv_of(paper_url), opt_date(row, "paper_date"), opt_bool(row, "uses_additional_data"))
        except BadRecord as exc:
            out.reject("pwc/eval_results", f"{task} | {name} | {i}", str(exc), row, row_loc)
            continue
        for metric_name, value in values.items():
            # A null cell says nothing; skipping it also keeps the Parquet layout identical, where
            # ``metrics`` is one struct over every metric name of the file and absent ones are null.
            if value is not None:
                out.add("pwc/eval_results", head + (metric_name, *parse_metric(value)))
    for j, sub in enumerate(subdatasets):
        sub_loc = f"{loc}.subdatasets[{j}]"
        try:
            _flatten_eval_dataset(task, sub, name, sub_loc, out)
        except BadRecord as exc:
            out.reject("pwc/eval_datasets", task, str(exc), sub, sub_loc)


def _flatten_eval_task(obj, parent: str | None, loc: str, out: Rows) -> None:
    if not isinstance(obj, dict):
        raise BadRecord(f"task entry is {_type_name(obj)}, expected an object")
    name = req_str(obj, "task")
    categories = opt_str_list(obj, "categories") or []
    datasets = opt_list(obj, "datasets")
    subtasks = opt_list(obj, "subtasks")
    out.add("pwc/eval_tasks", (name, parent, opt_str(obj, "description"), categories))
    for i, dataset in enumerate(datasets):
        ds_loc = f"{loc}.datasets[{i}]"
        try:
            _flatten_eval_dataset(name, dataset, None, ds_loc, out)
        except BadRecord as exc:
            out.reject("pwc/eval_datasets", name, str(exc), dataset, ds_loc)
    for j, sub in enumerate(subtasks):
        sub_loc = f"{loc}.subtasks[{j}]"
        try:
            _flatten_eval_task(sub, name, sub_loc, out)
        except BadRecord as exc:
            out.reject("pwc/eval_tasks", _record_key(sub, "task"), str(exc), sub, sub_loc)


def flatten_eval_task(obj: dict, loc: str, out: Rows) -> None:
    """evaluation-tables item (a task) → eval_tasks, eval_datasets, eval_results, recursively."""
    _flatten_eval_task(obj, None, loc, out)


def flatten_code_link(obj: dict, loc: str, out: Rows) -> None:
    """links-between-papers-and-code item → pwc/code_links."""
    url_abs = opt_str(obj, "paper_url_abs")
    out.add("pwc/code_links", (
        req_str(obj, "paper_url"), opt_str(obj, "paper_title"), arxiv_of(opt_str(obj, "paper_arxiv_id"), url_abs),
        url_abs, opt_str(obj, "paper_url_pdf"), req_str(obj, "repo_url"), opt_bool(obj, "is_official"),
        opt_bool(obj, "mentioned_in_paper"), opt_bool(obj, "mentioned_in_github"), opt_str(obj, "framework")))


def _task_names(obj: dict) -> list[str] | None:
    value = obj.get("tasks")
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadRecord(f"field 'tasks' is {_type_name(value)}, expected a list")
    names = []
    for entry in value:
        name = entry.get("task") if isinstance(entry, dict) else entry
        if name is None:
            continue
        if not isinstance(name, str):
            raise BadRecord("field 'tasks' holds an entry without a task name")
        names.append(name)
    return names


def flatten_dataset(obj: dict, loc: str, out: Rows) -> None:
    """datasets item → pwc/datasets (tasks [{task, url}] reduced to task names)."""
    paper = opt_obj(obj, "paper")
    out.add("pwc/datasets", (
        req_str(obj, "url"), opt_str(obj, "name"), opt_str(obj, "full_name"), opt_str(obj, "homepage"),
        opt_str(obj, "description"), opt_str(paper, "title"), opt_str(paper, "url"),
        opt_date(obj, "introduced_date"), opt_str_list(obj, "modalities"), opt_str_list(obj, "languages"),
        _task_names(obj), opt_int(obj, "num_papers")))


# Per dump: the flattener, the dataset a wholly rejected item belongs to, and its key field.
FLATTENERS: dict[str, tuple[Callable[[dict, str, Rows], None], str, str]] = {
    "papers-with-abstracts": (flatten_paper, "pwc/papers", "paper_url"),
    "methods": (flatten_method, "pwc/methods", "url"),
    "evaluation-tables": (flatten_eval_task, "pwc/eval_tasks", "task"),
    "links-between-papers-and-code": (flatten_code_link, "pwc/code_links", "paper_url"),
    "datasets": (flatten_dataset, "pwc/datasets", "url"),
}


# --- streaming the file --------------------------------------------------------------------------

class _CountingReader:
    """Binary reader that counts bytes handed to the parser (for error positions).

    Bytes that are not UTF-8 would make yajl reject the whole file; they are handed on as the
    noncharacter ``INVALID_BYTE`` instead (counted in ``invalid``), so only the records holding
    them are quarantined.
    """

    def __init__(self, fh, first: bytes, max_field: int = MAX_FIELD_BYTES,
                 max_total: int = MAX_DECOMPRESSED_BYTES, name: str = "dump"):
        self._fh = fh
        self._first = first
        self.position = 0
        self.invalid = 0
        self.oversized = 0
        self.max_field = max_field
        self.max_total = max_total
        self.name = name
        self._run = 0
        self._skipping = False
        self._held = ""
        self._context = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors=_MARK_ERRORS)

    def _mark_lone_surrogates(self, text: str, final: bool) -> str:
        """yajl turns a lone surrogate escape into bytes Python then refuses, failing the file: mark it.

        The last 12 characters wait for the next chunk (an escape or its pair may be cut), and
        the 6 before the chunk are kept as context for the pair test.
        """
        full = self._context + text
        start = len(self._context)
        limit = len(full) if final else max(start, len(full) - 12)
        out, last = [], start
        for m in _LONE_SURROGATE.finditer(full, start):
            if m.start() >= limit:
                break
            out.append(full[last:m.start()])
            out.append(_MARK_ESCAPE)
            self.invalid += 1
            last = m.end()
        end = max(last, limit)
        out.append(full[last:end])
        self._held = full[end:]
        self._context = full[max(0, end - 6):end]
        return "".join(out)

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0) to tell bytes from text
            return b""
        while True:
            if self._first:
                data, self._first = self._first, b""
            else:
                data = self._fh.read(size)
            self.position += len(data)
            before = getattr(_MARKS, "count", 0)
            text = self._held + self._decoder.decode(data, final=not data)
            self.invalid += getattr(_MARKS, "count", 0) - before
            self._held = ""
            if "\\u" in text or "\\" in text[-12:]:
                text = self._mark_lone_surrogates(text, final=not data)
            else:
                self._context = text[-6:]
            if self.position > self.max_total:
                raise MalformedPageError(f"{self.name}: decompresses to more than {self.max_total:,} bytes "
                                         "(the reader_max_decompressed_bytes limit); refused")
            text = self._bound_fields(text)
            # An empty read means end of file to ijson: while bytes are only held back, read on.
            if text or not data:
                return text.encode("utf-8")

    def _bound_fields(self, text: str) -> str:
        """Cut any run between two quotes (a string's body) at ``max_field`` characters, marked OVERSIZED.

        So a 200 MB string is never built: the item holding the mark is quarantined.  (An
        escaped quote also ends a run here; the bound is on runs, which is what costs memory.)
        """
        if not self._skipping and len(text) <= self.max_field:
            last = text.rfind('"')
            if last < 0 and self._run + len(text) <= self.max_field:
                self._run += len(text)
                return text
            if last >= 0 and self._run + text.find('"') <= self.max_field:
                self._run = len(text) - last - 1
                return text
        out, i, n = [], 0, len(text)
        while i < n:
            j = text.find('"', i)
            end = n if j < 0 else j
            if self._skipping:
                if j < 0:
                    break
                self._skipping, self._run = False, 0
                out.append('"')
                i = j + 1
                continue
            room = self.max_field - self._run
            if end - i > room:
                cut = i + room
                back = text.rfind("\\", max(i, cut - 6), cut)  # never cut an escape sequence in two
                out += [text[i:back if back >= 0 else cut], OVERSIZED]
                self.oversized += 1
                self._skipping = True
                i = end
                continue
            out.append(text[i:end])
            self._run += end - i
            if j < 0:
                break
            out.append('"')
            self._run = 0
            i = j + 1
        return "".join(out)


@contextmanager
def open_dump(path: Path):
    """Open a dump for binary reading, gunzipping when it is gzip (by magic bytes, not only name)."""
    path = Path(path)
    with open(path, "rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        if magic == _GZIP_MAGIC:
            with gzip.open(raw) as fh:
                yield fh
            return
        if path.name.endswith(".gz"):
            raise MalformedPageError(f"{path.name}: not a gzip file (starts with {magic!r})")
        yield raw


def _one_line(message: str) -> str:
    # yajl's message is "<error>\n<context text>\n(right here) ------^": keep error and context.
    lines = [line.strip() for line in message.splitlines() if line.strip() and "(right here)" not in line]
    if len(lines) > 1:
        return f"{lines[0]} at {' '.join(lines[1:])!r}"[:300]
    return (lines[0] if lines else message)[:300]


class FlaggedItem:
    """An item the reader had to alter (bytes not UTF-8, a field past the size bound): quarantined."""

    def __init__(self, item, reason: str):
        self.item = item
        self.reason = reason


def iter_items(path: Path, max_field: int = MAX_FIELD_BYTES,
               max_total: int = MAX_DECOMPRESSED_BYTES) -> Iterator[tuple[int, object]]:
    """Yield (index, item) of the top-level JSON array, streaming; malformed files raise.

    An item holding bytes that are not UTF-8, or a string longer than ``max_field``, comes
    wrapped in :class:`FlaggedItem`.
    """
    path = Path(path)
    index = -1
    try:
        with open_dump(path) as fh:
            first = fh.read(64 * 1024)
            stripped = first.lstrip(b" \t\r\n")
            if stripped.startswith(b"\xef\xbb\xbf"):
                stripped = stripped[3:].lstrip(b" \t\r\n")
            if not stripped.startswith(b"["):
                what = "empty" if not stripped else f"starts with {stripped[:20]!r}"
                raise MalformedPageError(f"{path.name}: not a JSON array ({what})")
            reader = _CountingReader(fh, stripped, max_field, max_total, path.name)
            seen = 0
            for index, item in enumerate(ijson.items(reader, "item", use_float=True)):
                if reader.invalid + reader.oversized > seen:
                    # The whole item (raw_json truncates), bounded by the field bound anyway.
                    text = json.dumps(item, ensure_ascii=False, default=str)
                    invalid, oversized = text.count(INVALID_BYTE), text.count(OVERSIZED)
                    if invalid or oversized:
                        seen += invalid + oversized
                        item = FlaggedItem(item, f"a string field is longer than {max_field:,} bytes "
                                                 "(reader_max_field_bytes); not loaded" if oversized else
                                           "record holds bytes that are not UTF-8")
                yield index, item
    except ijson.JSONError as exc:
        raise MalformedPageError(
            f"{path.name}: invalid JSON after {index + 1} complete items (near decompressed byte "
            f"{reader.position:,}): {_one_line(str(exc))}") from None
    except (EOFError, OSError) as exc:
        raise MalformedPageError(f"{path.name}: corrupt or truncated file after {index + 1} complete items: "
                                 f"{exc}") from None


def _table(key: str, rows: list[tuple], rejects: list[Reject] | None = None) -> pa.Table:
    spec = schemas.get(key)
    columns = list(zip(*rows)) if rows else [()] * len(spec.schema)
    if len(columns) != len(spec.schema):
        raise ValueError(f"{key}: flattened rows have {len(columns)} columns, schema has {len(spec.schema)}")
    try:
        arrays = [pa.array(col, type=f.type) for col, f in zip(columns, spec.schema)]
    except _ROW_ERRORS:
        if rejects is None:
            raise
        # The field readers check every value; should one still not fit, only its row is lost.
        good = []
        for row in rows:
            try:
                _table(key, [row])
            except _ROW_ERRORS as exc:
                rejects.append(Reject(key, None, storable(f"value does not fit {key}: {type(exc).__name__}: {exc}")[:1000],
                                      raw_json(list(row)), ""))
            else:
                good.append(row)
        return _table(key, good)
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def quarantine_table(rejects: list[Reject], ingested_at: datetime | None = None) -> pa.Table:
    """Rejects as a pwc/quarantine table."""
    when = ingested_at or datetime.now(timezone.utc)
    return _table(QUARANTINE, [(r.dataset, r.record_key, r.reason, r.raw, r.location, when) for r in rejects])


def parse_dump(name: str, path: Path, batch_rows: int = BATCH_ROWS,
               ingested_at: datetime | None = None, max_field_bytes: int = MAX_FIELD_BYTES,
               max_decompressed_bytes: int = MAX_DECOMPRESSED_BYTES) -> Iterator[tuple[str, pa.Table]]:
    """Stream a dump file as (dataset key, Arrow table) batches of about ``batch_rows`` rows.

    Quarantined records come out as ``pwc/quarantine`` tables. Rows keep the file's order;
    duplicates are not removed here (the loader does that across the whole file).
    """
    file_name = Path(path).name
    items = ((f"{file_name}#item {index}", item)
             for index, item in iter_items(path, max_field_bytes, max_decompressed_bytes))
    return parse_items(name, items, batch_rows, ingested_at)


def parse_items(name: str, items: Iterator[tuple[str, object]], batch_rows: int = BATCH_ROWS,
                ingested_at: datetime | None = None,
                raw_of: Callable[[object], str] = raw_json) -> Iterator[tuple[str, pa.Table]]:
    """Flatten (location, item) pairs of dump ``name`` into (dataset key, Arrow table) batches.

    The one set of rules for every container: JSON dumps and Parquet archives both feed it.
    ``raw_of`` renders a quarantined record's raw text.
    """
    if name not in FLATTENERS:
        raise ValueError(f"unknown PwC dump {name!r}; known: {', '.join(DUMPS)}")
    flatten, item_dataset, key_field = FLATTENERS[name]
    when = ingested_at or datetime.now(timezone.utc)
    out = Rows(raw_of)

    def drain(force: bool):
        for key, rows in list(out.data.items()):
            if rows and (force or len(rows) >= batch_rows):
                yield key, _table(key, rows, out.rejects)
                out.data[key] = []
        if out.rejects and (force or len(out.rejects) >= batch_rows):
            yield QUARANTINE, quarantine_table(out.rejects, when)
            out.rejects = []

    for loc, item in items:
        if isinstance(item, FlaggedItem):
            out.reject(item_dataset, _record_key(item.item, key_field), item.reason, item.item, loc)
            continue
        if not isinstance(item, dict):
            out.reject(item_dataset, None, f"item is {_type_name(item)}, expected an object", item, loc)
            continue
        # Flatteners read and check every field of a level before emitting its row, so a
        # BadRecord leaves no partial rows behind.
        try:
            flatten(item, loc, out)
        except BadRecord as exc:
            out.reject(item_dataset, _record_key(item, key_field), str(exc), item, loc)
            continue
        if any(len(rows) >= batch_rows for rows in out.data.values()):
            yield from drain(False)
    yield from drain(True)
