"""A loopback fake of the Semantic Scholar Graph API batch endpoint (``POST /graph/v1/paper/batch``).

It serves a JSON-lines file of S2 paper objects (``.gz`` ok) the way the real API does: a JSON
array aligned with the requested ``ids`` with ``null`` for unknown ones, the ``fields`` query
parameter applied (top level and ``references.*``), 400 ``{"error": ...}`` for more than
``max_batch`` ids or a bad body, 403 without the right ``x-api-key`` when a key is configured.
Faults (429 with Retry-After, 5xx, malformed bodies) can be scripted per request, and every request
is logged (without the key) so tests can check batching, pacing and retries.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/graph/v1"
BATCH_PATH = API_PREFIX + "/paper/batch"

# Fields of the real paper object; asking for anything else is a 400 like the real API.
PAPER_FIELDS = frozenset({
    "paperId", "corpusId", "externalIds", "url", "title", "abstract", "venue", "publicationVenue",
    "year", "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess",
    "openAccessPdf", "fieldsOfStudy", "s2FieldsOfStudy", "publicationTypes", "publicationDate",
    "journal", "citationStyles", "authors", "citations", "references", "embedding", "tldr",
})
_NESTED = ("references", "citations")
_DEFAULT_FIELDS = ("title",)


@dataclass
class Fault:
    """A scripted answer for one request: status, optional Retry-After, optional body override."""

    status: int = 200
    retry_after: str | None = None
    body: bytes | None = None


@dataclass
class RequestRecord:
    """What the server saw for one request (the API key is reduced to whether it matched)."""

    method: str
    path: str
    fields: str | None
    ids: list[str] = field(default_factory=list)
    status: int = 0
    key_present: bool = False
    key_ok: bool | None = None


def _open_lines(path: Path) -> Iterable[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        yield from fh


class _Index:
    """Raw JSON lines of the papers file, looked up by ARXIV:, CorpusId:, DOI: or a bare S2 id."""

    def __init__(self, papers_path: Path):
        # Raw bytes per paper rather than dicts: a fraction of the memory, decoded on demand.
        self.lines: list[bytes] = []
        self.keys: dict[str, int] = {}
        for raw in _open_lines(Path(papers_path)):
            raw = raw.strip()
            if not raw:
                continue
            paper = json.loads(raw)
            n = len(self.lines)
            self.lines.append(raw)
            ext = paper.get("externalIds") or {}
            if paper.get("paperId"):
                self.keys[paper["paperId"].lower()] = n
            if ext.get("ArXiv"):
                self.keys["arxiv:" + str(ext["ArXiv"]).lower()] = n
            corpus_id = paper.get("corpusId", ext.get("CorpusId"))
            if corpus_id is not None:
                self.keys[f"corpusid:{corpus_id}"] = n
            if ext.get("DOI"):
                self.keys["doi:" + str(ext["DOI"]).lower()] = n

    def lookup(self, requested: str) -> dict | None:
        key = requested.strip().lower()
        if key.startswith("10."):  # the real API takes bare DOIs too
            key = "doi:" + key
        n = self.keys.get(key)
        return None if n is None else json.loads(self.lines[n])


def _parse_fields(spec: str | None) -> tuple[list[str], dict[str, list[str]]] | str:
    """Top-level fields and nested subfields, or the error text for an unknown field."""
    top: list[str] = ["paperId"]
    nested: dict[str, list[str]] = {}
    names = [f.strip() for f in (spec.split(",") if spec else _DEFAULT_FIELDS) if f.strip()]
    unknown = []
    for name in names:
        head, _, sub = name.partition(".")
        if head not in PAPER_FIELDS or (sub and (head not in _NESTED or sub not in PAPER_FIELDS)):
            unknown.append(name)
            continue
        if head not in top:
            top.append(head)
        if head in _NESTED:
            subs = nested.setdefault(head, ["paperId"])
            if sub and sub not in subs:
                subs.append(sub)
    if unknown:
        return f"Unrecognized or unsupported fields: [{', '.join(unknown)}]"
    for head, subs in nested.items():
        if subs == ["paperId"]:  # "references" alone: the real default is paperId and title
            subs.append("title")
    return top, nested


def _project(paper: dict, top: list[str], nested: dict[str, list[str]]) -> dict:
    out = {}
    for name in top:
        value = paper.get(name)
        if name in nested and isinstance(value, list):
            value = [{k: item.get(k) for k in nested[name]} if isinstance(item, dict) else item
                     for item in value]
        out[name] = value
    return out


class S2Server:
    """Context manager running the fake API on 127.0.0.1; ``.url`` is the ``/graph/v1`` base."""

    def __init__(self, papers_path: str | Path, api_key: str | None = None, max_batch: int = 500,
                 faults: list[Fault | None] | None = None):
        self.papers_path = Path(papers_path)
        self.api_key = api_key
        self.max_batch = max_batch
        # Consumed one per request, in order; None entries answer normally.
        self.faults: list[Fault | None] = list(faults or [])
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._index: _Index | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the API, like ``https://api.semanticscholar.org/graph/v1``."""
        if self._server is None:
            raise RuntimeError("S2Server is not running")
        return f"http://127.0.0.1:{self._server.server_port}{API_PREFIX}"

    def __enter__(self) -> "S2Server":
        self._index = _Index(self.papers_path)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="s2-fake", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _answer(self, record: RequestRecord, body: bytes, headers) -> tuple[int, dict, bytes]:
        key = headers.get("x-api-key")
        record.key_present = key is not None
        if self.api_key is not None:
            record.key_ok = key == self.api_key
            if not record.key_ok:
                return 403, {}, b'{"message":"Forbidden"}'
        fault = self._next_fault()
        if fault is not None and fault.status != 200:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            text = fault.body if fault.body is not None else json.dumps(
                {"message": "Too Many Requests" if fault.status == 429 else "Internal Server Error"}).encode()
            return fault.status, extra, text
        if record.path != BATCH_PATH:
            return 404, {}, json.dumps({"error": f"Path {record.path} not found"}).encode()
        if record.method != "POST":
            return 405, {}, b'{"message":"Missing Authentication Token"}'
        fields = _parse_fields(record.fields)
        if isinstance(fields, str):
            return 400, {}, json.dumps({"error": fields}).encode()
        try:
            ids = json.loads(body)["ids"]
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return 400, {}, b'{"error":"Unacceptable JSON body: expected {\\"ids\\": [string, ...]}"}'
        record.ids = ids
        if len(ids) > self.max_batch:
            return 400, {}, json.dumps({"error": f"Cannot process more than {self.max_batch} ids"}).encode()
        if fault is not None and fault.body is not None:
            return 200, {}, fault.body
        top, nested = fields
        answer = []
        for requested in ids:
            paper = self._index.lookup(requested)
            answer.append(None if paper is None else _project(paper, top, nested))
        return 200, {}, json.dumps(answer).encode()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                fields = parse_qs(parts.query).get("fields", [None])[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = RequestRecord(method=self.command, path=parts.path, fields=fields)
                status, headers, payload = server._answer(record, body, self.headers)
                record.status = status
                with server._lock:
                    server.requests.append(record)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        return Handler
