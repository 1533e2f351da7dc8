"""A loopback OAI-PMH 2.0 server over a Kaggle-snapshot-format JSON-lines corpus.

It answers like export.arxiv.org/oai2 — ListRecords (arXivRaw or arXiv, from/until/set,
resumption tokens with completeListSize and cursor), GetRecord, Identify and the real error
envelopes — so the harvester's paging, retry and error paths run for real against it.  Tokens are
opaque and tied to this server instance: after a restart an old token is a badResumptionToken,
as with the real service.  ``faults`` injects per-request misbehaviour for tests.
"""

from __future__ import annotations

import gzip
import json
import secrets
import threading
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Fault", "OaiServer", "set_specs"]

# arXiv files these archives under the ``physics`` set (setSpec ``physics:<archive>``); the server
# keeps its own copy of the rule so that a client bug in set handling cannot hide behind shared code.
PHYSICS_ARCHIVES = frozenset({"astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph",
                              "nlin", "nucl-ex", "nucl-th", "physics", "quant-ph"})

FORMATS = ("arXivRaw", "arXiv")
_SCHEMA = {
    "arXivRaw": ('xmlns="http://arxiv.org/OAI/arXivRaw/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                 'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ http://arxiv.org/OAI/arXivRaw.xsd"'),
    "arXiv": ('xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd"'),
}
_ENVELOPE_OPEN = ('<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/'
                  'OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n')


@dataclass(frozen=True)
class Fault:
    """Misbehaviour for one request: kind is 'status' (with status/retry_after), 'truncate',
    'bad_token' (answer badResumptionToken) or 'slow' (sleep ``delay`` s, then answer normally)."""

    kind: str
    status: int = 503
    retry_after: str | None = None
    delay: float = 0.0


def set_specs(categories: list[str]) -> list[str]:
    """arXiv's OAI setSpecs of a record's categories, in first-seen order (hep-th → physics:hep-th)."""
    out: list[str] = []
    for cat in categories:
        archive = cat.split(".", 1)[0]
        spec = f"physics:{archive}" if archive in PHYSICS_ARCHIVES else archive
        if spec not in out:
            out.append(spec)
    return out


def _matches(spec_list: tuple[str, ...], wanted: str) -> bool:
    # A request for set ``physics`` also selects ``physics:hep-th`` (OAI-PMH set hierarchy).
    return any(s == wanted or s.startswith(wanted + ":") for s in spec_list)


def _rfc822(text: str) -> datetime:
    value = parsedate_to_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class _Corpus:
    """Records sorted by datestamp as compact tuples (datestamp, id, setSpecs, JSON line)."""

    def __init__(self, path: Path):
        opener = gzip.open if str(path).endswith(".gz") else open
        records = []
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                versions = rec.get("versions") or []
                stamp = (_rfc822(versions[-1]["created"]).date().isoformat() if versions
                         else rec.get("update_date") or "1970-01-01")
                specs = tuple(set_specs((rec.get("categories") or "").split()))
                records.append((stamp, rec["id"], specs, line.strip()))
        records.sort()
        self.records = records
        self.stamps = [r[0] for r in records]
        self.by_id = {r[1]: r for r in records}


class OaiServer:
    """Context manager serving ``corpus_path`` over OAI-PMH on loopback; ``.url`` ends with /oai.

    ``faults`` maps a request number (1 = the first request this server sees) to a :class:`Fault`;
    ``requests`` lists every request's query parameters in arrival order, for assertions.
    """

    def __init__(self, corpus_path, page_size: int = 100, faults: dict[int, Fault] | None = None,
                 host: str = "127.0.0.1"):
        self.corpus = _Corpus(Path(corpus_path))
        self.page_size = page_size
        self.faults = dict(faults or {})
        self.host = host
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._nonce = secrets.token_hex(4)
        self._queries: dict[str, tuple] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """OAI-PMH base URL."""
        return f"http://{self.host}:{self._httpd.server_address[1]}/oai"

    def __enter__(self) -> "OaiServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server naming
                try:
                    server._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (e.g. its timeout fired during a 'slow' fault)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- request handling -------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(params)
            number = len(self.requests)
        fault = self.faults.get(number)
        if parts.path != "/oai":
            return self._send(handler, 404, "not found\n", "text/plain")
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._send(handler, fault.status, "<html><body>Service unavailable</body></html>",
                              "text/html", headers)
        if fault is not None and fault.kind == "bad_token":
            body = self._error(params, "badResumptionToken", "The resumptionToken supplied is illegal for this repository")
        else:
            body = self._answer(params)
        if fault is not None and fault.kind == "truncate":
            body = body[: max(1, len(body) * 2 // 3)]
        self._send(handler, 200, body, "text/xml; charset=utf-8")

    @staticmethod
    def _send(handler, status: int, body: str, ctype: str, headers: dict | None = None) -> None:
        data = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, params: dict) -> str:
        verb = params.get("verb")
        if verb == "ListRecords":
            return self._list_records(params)
        if verb == "GetRecord":
            return self._get_record(params)
        if verb == "Identify":
            return self._identify(params)
        if verb is None:
            return self._error(params, "badVerb", "Illegal verb")
        return self._error(params, "badVerb", f"Bad verb. Verb '{verb}' not implemented.")

    def _list_records(self, params: dict) -> str:
        if "resumptionToken" in params:
            if set(params) - {"verb", "resumptionToken"}:
                return self._error(params, "badArgument", "resumptionToken is an exclusive argument")
            key, _, cursor_text = params["resumptionToken"].partition("|")
            query = self._queries.get(key)
            if query is None or not cursor_text.isdigit() or int(cursor_text) >= len(query[1]):
                return self._error(params, "badResumptionToken",
                                   "The resumptionToken supplied is illegal for this repository")
            fmt, picked = query
            cursor = int(cursor_text)
        else:
            unknown = set(params) - {"verb", "metadataPrefix", "from", "until", "set"}
            if unknown:
                return self._error(params, "badArgument",
                                   f"Verb 'ListRecords', illegal argument '{sorted(unknown)[0]}'.")
            fmt = params.get("metadataPrefix")
            if not fmt:
                return self._error(params, "badArgument", "Verb 'ListRecords', metadataPrefix is required.")
            if fmt not in FORMATS:
                return self._error(params, "cannotDisseminateFormat", f"Format '{fmt}' not available")
            try:
                start = date.fromisoformat(params["from"]).isoformat() if params.get("from") else None
                end = date.fromisoformat(params["until"]).isoformat() if params.get("until") else None
            except ValueError:
                return self._error(params, "badArgument", "Bad date format, must be YYYY-MM-DD")
            lo = bisect_left(self.corpus.stamps, start) if start else 0
            hi = bisect_right(self.corpus.stamps, end) if end else len(self.corpus.stamps)
            wanted = params.get("set")
            picked = [i for i in range(lo, hi) if not wanted or _matches(self.corpus.records[i][2], wanted)]
            if not picked:
                return self._error(params, "noRecordsMatch", "No records match the request")
            with self._lock:
                key = f"{self._nonce}{len(self._queries) + 1}"
                self._queries[key] = (fmt, picked)
            cursor = 0
        page = picked[cursor: cursor + self.page_size]
        nxt = cursor + len(page)
        value = f"{key}|{nxt}" if nxt < len(picked) else ""
        body = ["<ListRecords>\n"]
        body.extend(self._record(self.corpus.records[i], fmt) for i in page)
        body.append(f'<resumptionToken cursor="{cursor}" completeListSize="{len(picked)}">{escape(value)}'
                    "</resumptionToken>\n</ListRecords>\n")
        return self._envelope(params, "".join(body))

    def _get_record(self, params: dict) -> str:
        fmt = params.get("metadataPrefix")
        identifier = params.get("identifier")
        if not fmt or not identifier:
            return self._error(params, "badArgument", "GetRecord needs identifier and metadataPrefix")
        if fmt not in FORMATS:
            return self._error(params, "cannotDisseminateFormat", f"Format '{fmt}' not available")
        rec = self.corpus.by_id.get(identifier.removeprefix("oai:arXiv.org:"))
        if rec is None:
            return self._error(params, "idDoesNotExist", f"Identifier '{identifier}' has correct form but does not "
                                                         "correspond to an item in this repository")
        return self._envelope(params, f"<GetRecord>\n{self._record(rec, fmt)}</GetRecord>\n")

    def _identify(self, params: dict) -> str:
        earliest = self.corpus.stamps[0] if self.corpus.stamps else "2007-05-23"
        return self._envelope(params, (
            "<Identify>\n<repositoryName>arXiv (mlgraph loopback sample)</repositoryName>\n"
            f"<baseURL>{escape(self.url)}</baseURL>\n<protocolVersion>2.0</protocolVersion>\n"
            "<adminEmail>help@arxiv.org</adminEmail>\n"
            f"<earliestDatestamp>{earliest}</earliestDatestamp>\n<deletedRecord>persistent</deletedRecord>\n"
            "<granularity>YYYY-MM-DD</granularity>\n</Identify>\n"))

    def _envelope(self, params: dict, inner: str) -> str:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in params.items()
                        if k in ("verb", "metadataPrefix", "from", "until", "set", "resumptionToken", "identifier"))
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"{_ENVELOPE_OPEN}<responseDate>{now}</responseDate>\n<request{attrs}>{escape(self.url)}</request>\n"
                f"{inner}</OAI-PMH>\n")

    def _error(self, params: dict, code: str, message: str) -> str:
        return self._envelope(params, f'<error code="{code}">{escape(message)}</error>\n')

    @staticmethod
    def _record(rec: tuple, fmt: str) -> str:
        stamp, arxiv_id, specs, line = rec
        data = json.loads(line)
        header = (f"<record>\n<header>\n <identifier>oai:arXiv.org:{escape(arxiv_id)}</identifier>\n"
                  f" <datestamp>{stamp}</datestamp>\n" + "".join(f" <setSpec>{escape(s)}</setSpec>\n" for s in specs)
                  + "</header>\n<metadata>\n")
        meta = _arxiv_raw(data) if fmt == "arXivRaw" else _arxiv(data)
        return f"{header} <{fmt} {_SCHEMA[fmt]}>\n{meta}</{fmt}>\n</metadata>\n</record>\n"


def _el(name: str, value) -> str:
    return "" if value is None or value == "" else f"<{name}>{escape(str(value))}</{name}>"


def _arxiv_raw(d: dict) -> str:
    versions = "".join(
        f'<version version={quoteattr(v.get("version", ""))}>{_el("date", v.get("created"))}'
        f'{_el("size", v.get("size"))}</version>' for v in d.get("versions") or [])
    return (_el("id", d.get("id")) + _el("submitter", d.get("submitter")) + versions + _el("title", d.get("title"))
            + _el("authors", d.get("authors")) + _el("categories", d.get("categories"))
            + _el("comments", d.get("comments")) + _el("report-no", d.get("report-no"))
            + _el("journal-ref", d.get("journal-ref")) + _el("doi", d.get("doi"))
            + _el("license", d.get("license")) + _el("abstract", d.get("abstract")) + "\n")


def _arxiv(d: dict) -> str:
    versions = d.get("versions") or []
    created = _rfc822(versions[0]["created"]).date().isoformat() if versions else None
    updated = _rfc822(versions[-1]["created"]).date().isoformat() if len(versions) > 1 else None
    authors = "".join(
        "<author>" + _el("keyname", a[0] if a else None) + _el("forenames", a[1] if len(a) > 1 else None)
        + _el("suffix", a[2] if len(a) > 2 else None) + "</author>" for a in d.get("authors_parsed") or [])
    return (_el("id", d.get("id")) + _el("created", created) + _el("updated", updated)
            + (f"<authors>{authors}</authors>" if authors else "") + _el("title", d.get("title"))
            + _el("categories", d.get("categories")) + _el("comments", d.get("comments"))
            + _el("report-no", d.get("report-no")) + _el("journal-ref", d.get("journal-ref"))
            + _el("doi", d.get("doi")) + _el("license", d.get("license")) + _el("abstract", d.get("abstract")) + "\n")
