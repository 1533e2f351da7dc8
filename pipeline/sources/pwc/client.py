"""Finding and fetching the PwC dump files, from a base URL (conditional GET) or a local directory.

Papers With Code stopped serving in 2025; its dumps live on as community archives, so the location
always comes from configuration (``MLGRAPH_PWC_DUMPS``).  Over HTTP the previous fetch's ETag and
Last-Modified are sent back (``If-None-Match`` / ``If-Modified-Since``) and a 304 means the dump is
unchanged; without validators, or for a directory, the SHA-256 of the content is compared with the
last processed one.  Downloads stream to a temporary file, never into memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3

from pipeline.config import require_source
from pipeline.errors import ConfigError, SourceError
from pipeline.http import HttpClient, redact_url
from pipeline.state import atomic_write_json

log = logging.getLogger(__name__)

SUFFIXES = (".json.gz", ".json")
_CHUNK = 1 << 20
_ANSWERS = frozenset({200, 304, 404, 410})


def state_path(state_dir: Path, name: str) -> Path:
    """Where the last successful fetch of a dump is remembered (validators, checksum, version)."""
    return Path(state_dir) / "pwc" / f"{name}.json"


def load_state(state_dir: Path, name: str) -> dict | None:
    """The remembered fetch of a dump, or None."""
    try:
        return json.loads(state_path(state_dir, name).read_text())
    except (FileNotFoundError, ValueError):
        return None


def save_state(state_dir: Path, name: str, state: dict) -> None:
    """Remember a processed dump (atomically)."""
    atomic_write_json(state_path(state_dir, name), state)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Fetched:
    """The answer for one dump: 'fetched' (``path`` to parse), 'unchanged' or 'missing'."""

    name: str
    outcome: str
    location: str
    file_name: str | None = None
    path: Path | None = None
    temporary: bool = False
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    detail: str | None = None

    @property
    def version(self) -> str | None:
        """Partition value: the first 16 hex digits of the file's SHA-256."""
        return self.sha256[:16] if self.sha256 else None

    def discard(self) -> None:
        """Delete a downloaded temporary file."""
        if self.temporary and self.path is not None:
            self.path.unlink(missing_ok=True)


def _same_content(previous: dict | None, file_name: str, sha256: str, reusable: bool) -> bool:
    return bool(reusable and previous and previous.get("file") == file_name
                and previous.get("sha256") == sha256)


class DirectoryDumps:
    """Dumps in a local directory (or a file:// URL)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def describe(self) -> str:
        """Where the dumps are looked for."""
        return str(self.directory)

    def fetch(self, name: str, previous: dict | None, work_dir: Path, *, reusable: bool) -> Fetched:
        """Find ``name`` (.json.gz first, then .json) and compare its checksum with ``previous``.

        ``reusable`` says whether the previously processed version is still in the lake (and not
        forced), i.e. whether 'unchanged' may be answered at all.
        """
        for suffix in SUFFIXES:
            path = self.directory / f"{name}{suffix}"
            if path.is_file():
                sha = file_sha256(path)
                if _same_content(previous, path.name, sha, reusable):
                    return Fetched(name, "unchanged", str(path), path.name, sha256=sha,
                                   detail="same SHA-256 as the last processed file")
                return Fetched(name, "fetched", str(path), path.name, path=path, sha256=sha)
        return Fetched(name, "missing", str(self.directory),
                       detail=f"no {name}.json.gz or {name}.json in {self.directory}")

    def close(self) -> None:
        """Nothing to release."""


class _BrokenTransfer(Exception):
    """The body ended before Content-Length or the connection broke mid-transfer."""


class HttpDumps:
    """Dumps under a base URL, fetched with conditional GETs through :class:`HttpClient`."""

    def __init__(self, settings, base_url: str, client: HttpClient | None = None):
        self.base_url = base_url.rstrip("/") + "/"
        self.client = client or HttpClient.from_settings(settings, name="pwc", min_interval=0.0)

    def describe(self) -> str:
        """The base URL, without query string or credentials."""
        return redact_url(self.base_url)

    def fetch(self, name: str, previous: dict | None, work_dir: Path, *, reusable: bool) -> Fetched:
        """Download ``name`` (.json.gz first, then .json) unless the server says 304 Not Modified."""
        for suffix in SUFFIXES:
            file_name = f"{name}{suffix}"
            url = self.base_url + file_name
            headers = {}
            if reusable and previous and previous.get("file") == file_name:
                if previous.get("etag"):
                    headers["If-None-Match"] = previous["etag"]
                if previous.get("last_modified"):
                    headers["If-Modified-Since"] = previous["last_modified"]
            fetched = self._get(name, file_name, url, headers, Path(work_dir))
            if fetched is None:
                continue
            if fetched.outcome == "fetched" and _same_content(previous, file_name, fetched.sha256, reusable):
                fetched.discard()
                return Fetched(name, "unchanged", fetched.location, file_name, sha256=fetched.sha256,
                               etag=fetched.etag, last_modified=fetched.last_modified,
                               detail="same SHA-256 as the last processed file")
            if fetched.outcome == "unchanged":
                fetched.sha256 = previous.get("sha256")
                fetched.etag, fetched.last_modified = previous.get("etag"), previous.get("last_modified")
            return fetched
        return Fetched(name, "missing", self.describe(),
                       detail=f"no {name}.json.gz or {name}.json under {self.describe()} (HTTP 404)")

    def _get(self, name: str, file_name: str, url: str, headers: dict, work_dir: Path) -> Fetched | None:
        safe = redact_url(url)
        problem = ""
        for attempt in range(self.client.max_retries + 1):
            response = self.client.get(url, headers=headers, stream=True, ok_statuses=_ANSWERS)
            with closing(response):
                if response.status_code in (404, 410):
                    return None
                if response.status_code == 304:
                    return Fetched(name, "unchanged", safe, file_name, detail="HTTP 304 Not Modified")
                work_dir.mkdir(parents=True, exist_ok=True)
                dest = work_dir / file_name
                try:
                    sha = _stream_to_file(response, dest)
                except _BrokenTransfer as exc:
                    dest.unlink(missing_ok=True)
                    problem = str(exc)
                else:
                    return Fetched(name, "fetched", safe, file_name, path=dest, temporary=True, sha256=sha,
                                   etag=response.headers.get("ETag"),
                                   last_modified=response.headers.get("Last-Modified"))
            if attempt < self.client.max_retries:
                wait = self.client.backoff * (2 ** attempt)
                log.warning("pwc: download of %s broke off (%s); retry %d/%d in %.1f s", safe, problem,
                            attempt + 1, self.client.max_retries, wait)
                self.client.sleep(wait)
        raise SourceError(f"pwc: download of {safe} broke off {self.client.max_retries + 1} times "
                          f"(last: {problem})")

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.close()


def _stream_to_file(response: requests.Response, dest: Path) -> str:
    """Write the body to ``dest`` as sent (no content decoding) and return its SHA-256."""
    digest = hashlib.sha256()
    received = 0
    expected = response.headers.get("Content-Length")
    try:
        with open(dest, "wb") as out:
            # decode_content=False: the checksum and the gzip stream are those of the file as served.
            for chunk in response.raw.stream(_CHUNK, decode_content=False):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
    except (urllib3.exceptions.HTTPError, requests.RequestException, ConnectionError) as exc:
        raise _BrokenTransfer(f"connection broke after {received:,} bytes ({type(exc).__name__})") from None
    if expected and expected.isdigit() and received != int(expected):
        raise _BrokenTransfer(f"received {received:,} of {int(expected):,} bytes")
    return digest.hexdigest()


def open_location(settings) -> DirectoryDumps | HttpDumps:
    """The dump location from ``settings.pwc_dumps`` (unset is a ConfigError naming MLGRAPH_PWC_DUMPS)."""
    raw = require_source(settings, "pwc_dumps")
    if raw.startswith(("http://", "https://")):
        return HttpDumps(settings, raw)
    if raw.startswith("file://"):
        path = Path(urllib.request.url2pathname(urlsplit(raw).path))
    elif "://" in raw:
        raise ConfigError(f"MLGRAPH_PWC_DUMPS: unsupported URL scheme in {redact_url(raw)!r} "
                          "(use http(s)://, file:// or a directory)")
    else:
        path = Path(raw).expanduser()
    if not path.is_dir():
        raise ConfigError(f"MLGRAPH_PWC_DUMPS: {path} is not a directory")
    return DirectoryDumps(path)
