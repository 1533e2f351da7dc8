"""A loopback fake of the Hugging Face Hub model API, built from model-tree export files.

Routes, as the Hub answers them:

- ``GET /api/models/<owner>/<name>`` → the model_info object (camelCase: ``id``, ``modelId``,
  ``author``, ``createdAt``, ``lastModified``, ``tags``, ``pipeline_tag``, ``library_name``,
  ``config``, ``cardData`` as a mapping, ``gated``, ``downloads``, ``likes``); 404
  ``{"error": "Repository not found"}`` for a model it does not hold (the export's ``"N/A"`` ones too);
- ``GET /api/models?filter=base_model:<relation>:<id>`` (or ``base_model:<id>``, any relation) → a
  JSON array of ``{"id", "modelId", "createdAt", "tags"}``, ``limit`` per page (default 1000, like the
  Hub), with the next page in a ``Link: <…&cursor=…>; rel="next"`` header.

Derivatives are indexed from every link the exports hold: a model's ``base_model:<relation>:<id>``
tags and its base's children/adapters/quantized/merges lists. Gated models (401 without a token, 403
with a wrong one), HTML error pages, 429 with Retry-After and deleted models can be scripted, and
every request is logged (with whether an Authorization header came, never its value). This module
imports nothing from ``pipeline.sources``: it implements the protocol on its own.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import yaml

_LISTS = {"children": "finetune", "adapters": "adapter", "quantized": "quantized", "merges": "merge"}
_HUB = "https://huggingface.co/"


def _bare(model_id: str) -> str:
    return model_id[len(_HUB):] if model_id.startswith(_HUB) else model_id


@dataclass
class Logged:
    """One request as the server saw it."""

    path: str
    query: dict
    status: int
    authorization: bool = False
    token_ok: bool | None = None


@dataclass
class HubData:
    """Model infos and the derivative index, loaded from export documents."""

    infos: dict[str, dict] = field(default_factory=dict)
    # Models whose export holds an HTML page instead of model_info: served as that HTML page.
    html_ids: set[str] = field(default_factory=set)
    derived: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add_export(self, doc: dict) -> None:
        """Index one ``{"models": [...]}`` document."""
        for rec in doc.get("models", []):
            mid = _bare(str(rec.get("model_id", "")))
            meta = rec.get("metadata")
            info = None
            if isinstance(meta, dict):
                info = meta
            elif isinstance(meta, str) and meta.strip() not in ("", "N/A"):
                try:
                    info = json.loads(meta)
                except ValueError:
                    info = None
                    if meta.lstrip().startswith("<"):
                        self.html_ids.add(mid)
            if isinstance(info, dict):
                self.infos.setdefault(mid, self._api_form(mid, info))
                for tag in info.get("tags") or []:
                    parts = str(tag).split(":", 2)
                    if parts[0] == "base_model" and len(parts) == 3 and parts[1] in _LISTS.values():
                        self._add(_bare(parts[2]), parts[1], mid)
            for key, relation in _LISTS.items():
                for child in rec.get(key) or []:
                    self._add(mid, relation, _bare(str(child)))

    def _add(self, base: str, relation: str, child: str) -> None:
        lst = self.derived[(base, relation)]
        if child not in lst:
            lst.append(child)

    @staticmethod
    def _api_form(mid: str, info: dict) -> dict:
        card = info.get("cardData", info.get("card_data"))
        if isinstance(card, str):
            try:
                card = yaml.safe_load(card)
            except yaml.YAMLError:
                card = None
        created = info.get("createdAt", info.get("created_at"))
        modified = info.get("lastModified", info.get("last_modified"))
        out = {"_id": info.get("_id"), "id": mid, "modelId": mid, "author": info.get("author"),
               "sha": info.get("sha"), "createdAt": _iso(created), "lastModified": _iso(modified),
               "private": False, "gated": info.get("gated", False), "disabled": False,
               "downloads": info.get("downloads"), "likes": info.get("likes"),
               "library_name": info.get("library_name"), "tags": info.get("tags") or [],
               "pipeline_tag": info.get("pipeline_tag"), "config": info.get("config"),
               "cardData": card if isinstance(card, dict) else None}
        return {k: v for k, v in out.items() if v is not None or k in ("pipeline_tag", "library_name")}


def _iso(value):
    if not value:
        return None
    text = str(value).replace(" ", "T")
    if text.endswith("+00:00"):
        text = text[:-6] + ".000Z"
    return text


def load_exports(paths) -> HubData:
    """HubData from export files (``.json`` or ``.json.gz``) or directories of them."""
    data = HubData()
    for p in paths:
        p = Path(p)
        files = sorted(x for x in p.iterdir() if x.name.endswith((".json", ".json.gz"))) if p.is_dir() else [p]
        for f in files:
            opener = gzip.open if f.suffix == ".gz" else open
            with opener(f, "rt", encoding="utf-8") as fh:
                data.add_export(json.load(fh))
    return data


class HubServer:
    """Serve HubData on 127.0.0.1 (context manager). ``url`` is the API base (no trailing slash).

    Scripting: ``gated`` model ids answer 401/403 unless the right token comes; ``html_error`` ids
    answer 200 with an HTML page; ``faults`` is a list of (status, Retry-After) answered, in order,
    to the next requests before normal service.
    """

    def __init__(self, data: HubData, *, token: str | None = None, gated=(), html_error=(),
                 faults=None, page_size: int = 1000):
        self.data = data
        self.token = token
        self.gated = set(gated)
        self.html_error = set(html_error) | data.html_ids
        self.faults = list(faults or [])
        self.page_size = page_size
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the fake Hub."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "HubServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _send(self, h, status: int, body: bytes, ctype="application/json", headers=None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _json(self, h, status, obj, headers=None) -> None:
        self._send(h, status, json.dumps(obj).encode(), headers=headers)

    def _handle(self, h) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        auth = h.headers.get("Authorization")
        token_ok = None if auth is None else (self.token is not None and auth == f"Bearer {self.token}")
        entry = Logged(path=parts.path, query=query, status=0, authorization=auth is not None, token_ok=token_ok)
        with self._lock:
            self.log.append(entry)
            fault = self.faults.pop(0) if self.faults else None
        if fault:
            status, retry_after = fault
            entry.status = status
            self._json(h, status, {"error": "scripted fault"}, {"Retry-After": retry_after} if retry_after else None)
            return
        if parts.path == "/api/models":
            entry.status = self._list(h, query)
            return
        if parts.path.startswith("/api/models/"):
            mid = parts.path[len("/api/models/"):].strip("/")
            if mid in self.gated and not token_ok:
                entry.status = 403 if auth else 401
                self._json(h, entry.status, {"error": "Access to model %s is restricted." % mid})
                return
            if mid in self.html_error:
                entry.status = 200
                self._send(h, 200, b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                return
            info = self.data.infos.get(mid)
            if info is None:
                entry.status = 404
                self._json(h, 404, {"error": "Repository not found"})
                return
            entry.status = 200
            self._json(h, 200, info)
            return
        entry.status = 404
        self._json(h, 404, {"error": "Not Found"})

    def _list(self, h, query: dict) -> int:
        flt = query.get("filter", "")
        parts = flt.split(":", 2)
        if parts[0] != "base_model" or len(parts) < 2:
            self._json(h, 400, {"error": "this fake Hub only lists filter=base_model:…"})
            return 400
        if len(parts) == 3 and parts[1] in _LISTS.values():
            ids = list(self.data.derived.get((parts[2], parts[1]), []))
        else:
            base = flt[len("base_model:"):]
            ids = []
            for rel in _LISTS.values():
                ids += [c for c in self.data.derived.get((base, rel), []) if c not in ids]
        try:
            limit = max(1, min(int(query.get("limit", self.page_size)), self.page_size))
        except ValueError:
            self._json(h, 400, {"error": "bad limit"})
            return 400
        start = 0
        if query.get("cursor"):
            try:
                start = int(base64.urlsafe_b64decode(query["cursor"].encode()).decode())
            except (ValueError, UnicodeDecodeError):
                self._json(h, 400, {"error": "bad cursor"})
                return 400
        page = ids[start:start + limit]
        items = []
        for mid in page:
            info = self.data.infos.get(mid, {})
            items.append({"_id": info.get("_id"), "id": mid, "modelId": mid, "createdAt": info.get("createdAt"),
                          "tags": info.get("tags", []), "pipeline_tag": info.get("pipeline_tag")})
        headers = {}
        if start + limit < len(ids):
            cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
            nxt = f"{self.url}/api/models?" + urlencode({"filter": flt, "limit": limit, "cursor": cursor}, quote_via=quote)
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._json(h, 200, items, headers)
        return 200
