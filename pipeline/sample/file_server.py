"""A loopback static file server with HTTP validators, for serving dump files to the real clients.

``FileServer(directory)`` serves the files of a directory the way a static host (or an archive
mirror) does: ``ETag`` (from the content's SHA-256), ``Last-Modified``, ``Content-Length``, and
``304 Not Modified`` for a matching ``If-None-Match`` (which takes precedence, as in RFC 9110) or an
``If-Modified-Since`` not older than the file.  Tests inject faults (the next N requests answer
503/500, a body is cut short) and read ``requests_log`` to see what the client sent.
"""

from __future__ import annotations

import email.utils
import hashlib
import shutil
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (the server's own: it shares no code with the clients)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LoggedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


class FileServer:
    """Serve ``directory`` on 127.0.0.1 (context manager; ``.url`` ends with a slash)."""

    def __init__(self, directory: Path, *, validators: bool = True, host: str = "127.0.0.1"):
        self.directory = Path(directory).resolve()
        self.validators = validators
        self.host = host
        self.requests_log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._failures: list[tuple[int, str | None]] = []
        self._truncations: list[int] = []
        self._sha_cache: dict[tuple[str, int, int], str] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- fault injection ---------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 503, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (optionally with Retry-After)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    def truncate_next(self, count: int = 1, keep_bytes: int = 100) -> None:
        """Send only ``keep_bytes`` of the next ``count`` bodies (full Content-Length), then close."""
        with self._lock:
            self._truncations.extend([keep_bytes] * count)

    def paths_requested(self) -> list[str]:
        """Request paths in order (for assertions)."""
        return [r.path for r in self.requests_log]

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the served directory."""
        if self._server is None:
            raise RuntimeError("FileServer is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> "FileServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving in a background thread."""
        handler = type("Handler", (_Handler,), {"files": self})
        self._server = ThreadingHTTPServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="file-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- helpers used by the handler ---------------------------------------------------------
    def _next_fault(self) -> tuple[int, str | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _next_truncation(self) -> int | None:
        with self._lock:
            return self._truncations.pop(0) if self._truncations else None

    def _resolve(self, url_path: str) -> Path | None:
        rel = unquote(urlsplit(url_path).path).lstrip("/")
        candidate = (self.directory / rel).resolve()
        if candidate != self.directory and self.directory not in candidate.parents:
            return None
        return candidate if candidate.is_file() else None

    def etag(self, path: Path) -> str:
        """Strong ETag from the file's SHA-256 (cached per size and mtime)."""
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            cached = self._sha_cache.get(key)
        if cached is None:
            cached = file_sha256(path)
            with self._lock:
                self._sha_cache[key] = cached
        return f'"{cached[:32]}"'


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes are ignored.
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


class _Handler(BaseHTTPRequestHandler):
    files: FileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args) -> None:  # keep test output clean
        pass

    def _log(self, status: int) -> None:
        self.files.requests_log.append(LoggedRequest(
            self.command, urlsplit(self.path).path, status, self.headers.get("If-None-Match"),
            self.headers.get("If-Modified-Since"), self.headers.get("User-Agent")))

    def _empty(self, status: int, extra: dict | None = None) -> None:
        self._log(status)
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        fault = self.files._next_fault()
        if fault is not None:
            status, retry_after = fault
            self._empty(status, {"Retry-After": retry_after} if retry_after else None)
            return
        path = self.files._resolve(self.path)
        if path is None:
            self._empty(404)
            return
        st = path.stat()
        headers = {"Content-Type": "application/gzip" if path.name.endswith(".gz") else "application/json"}
        if self.files.validators:
            etag = self.files.etag(path)
            last_modified = email.utils.formatdate(int(st.st_mtime), usegmt=True)
            headers.update({"ETag": etag, "Last-Modified": last_modified})
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if inm is not None:
                not_modified = _etag_matches(inm, etag)
            elif ims is not None:
                try:
                    since = email.utils.parsedate_to_datetime(ims).timestamp()
                except (TypeError, ValueError):
                    since = None
                not_modified = since is not None and int(st.st_mtime) <= since
            else:
                not_modified = False
            if not_modified:
                self._empty(304, {"ETag": etag, "Last-Modified": last_modified})
                return
        keep = self.files._next_truncation() if body else None
        self._log(200)
        self.send_response(200)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(st.st_size))
        if keep is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if not body:
            return
        with open(path, "rb") as fh:
            if keep is None:
                shutil.copyfileobj(fh, self.wfile, _CHUNK)
            else:
                self.wfile.write(fh.read(keep))
                self.wfile.flush()
                self.close_connection = True
