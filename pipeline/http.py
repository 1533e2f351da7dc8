"""One HTTP client for every source: politeness interval, bounded retries, Retry-After, no secrets in logs."""

from __future__ import annotations

import email.utils
import http.client
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from pipeline.errors import SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie"})
# Transport failures worth another attempt: the connection broke (before or mid-body), the body
# was cut short or its chunking/encoding torn.  requests wraps most of these, but not all.
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError, http.client.IncompleteRead,
                    http.client.RemoteDisconnected, urllib3.exceptions.ProtocolError,
                    urllib3.exceptions.ReadTimeoutError, ConnectionError, TimeoutError)


class _Session(requests.Session):
    """A session whose credentials never follow a redirect to another host.

    requests' own ``rebuild_auth`` drops only ``Authorization``; the S2 key travels as
    ``x-api-key`` (and a cookie may be set by hand), so every secret header goes when the host,
    scheme or port changes.
    """

    def rebuild_auth(self, prepared_request, response):
        """Strip secret headers on a cross-host redirect, then let requests do the rest."""
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in list(prepared_request.headers):
                if name.lower() in _SECRET_HEADERS:
                    del prepared_request.headers[name]
        super().rebuild_auth(prepared_request, response)


def redact_url(url: str) -> str:
    """URL without query string or credentials, safe to log."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), timezone.utc)
    return max(0.0, (when - now_dt).total_seconds())


def _read_bounded(response: requests.Response, limit: int, name: str, safe_url: str) -> None:
    """Read the body into ``response.content``, refusing one longer than ``limit`` bytes."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        response.close()
        raise SourceError(f"{name}: {safe_url} announces a {int(declared):,}-byte body, more than the "
                          f"{limit:,}-byte limit (http_max_body_bytes)")
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 20):
        size += len(chunk)
        if size > limit:
            response.close()
            raise SourceError(f"{name}: {safe_url} sent more than {limit:,} bytes (http_max_body_bytes); refused")
        chunks.append(chunk)
    # requests' own cache of a read body: .content/.text/.json() then work as without streaming.
    response._content = b"".join(chunks)
    response._content_consumed = True
    response.close()


class HttpClient:
    """A requests session with a minimum interval between requests and bounded retries.

    Retries transient transport errors (``TRANSIENT_ERRORS``: resets, cut or torn bodies,
    timeouts) and 429/5xx, waiting ``Retry-After`` when the server
    sends one (capped by ``max_retry_after``) and exponential backoff with jitter otherwise.
    Other 4xx fail at once. Failures raise :class:`SourceError` with a readable message.
    """

    def __init__(self, *, name: str, min_interval: float = 0.0, timeout: float = 60.0,
                 max_retries: int = 5, backoff: float = 2.0, max_retry_after: float = 600.0,
                 headers: Mapping[str, str] | None = None, user_agent: str = "mlgraph",
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 max_body_bytes: int | None = 512 * 1024 * 1024):
        self.name = name
        self.max_body_bytes = max_body_bytes
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.clock = clock
        self.session = _Session()
        self.session.headers["User-Agent"] = user_agent
        if headers:
            self.session.headers.update(headers)
        self._last_request: float | None = None
        self.requests_made = 0
        self.retries_made = 0

    @classmethod
    def from_settings(cls, settings, *, name: str, min_interval: float, headers=None, **kw) -> "HttpClient":
        """A client configured from :class:`pipeline.config.Settings`."""
        return cls(name=name, min_interval=min_interval, timeout=settings.http_timeout_seconds,
                   max_retries=settings.http_max_retries, backoff=settings.http_backoff_seconds,
                   max_retry_after=settings.http_max_retry_after_seconds, headers=headers,
                   user_agent=settings.user_agent,
                   max_body_bytes=getattr(settings, "http_max_body_bytes", 512 * 1024 * 1024), **kw)

    def _pace(self) -> None:
        if self._last_request is not None and self.min_interval > 0:
            wait = self.min_interval - (self.clock() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = self.clock()

    def request(self, method: str, url: str, *, ok_statuses: frozenset[int] = frozenset({200}),
                **kwargs) -> requests.Response:
        """Send a request, retrying as described above; returns a response with an ok status."""
        kwargs.setdefault("timeout", self.timeout)
        # Unless the caller streams the body itself, read it here, bounded by max_body_bytes, so
        # that a break mid-body is retried like any other transport error.
        bounded = not kwargs.get("stream") and self.max_body_bytes is not None
        if bounded:
            kwargs["stream"] = True
        safe_url = redact_url(url)
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self._pace()
            self.requests_made += 1
            wait: float | None = None
            try:
                response = self.session.request(method, url, **kwargs)
                if bounded:
                    _read_bounded(response, self.max_body_bytes, self.name, safe_url)
            except TRANSIENT_ERRORS as exc:
                last_problem = f"{type(exc).__name__}"
                if type(exc) is requests.ConnectionError:
                    last_problem = "connection failed"
            except requests.RequestException as exc:
                raise SourceError(f"{self.name}: bad request to {safe_url}: {exc}") from None
            else:
                if response.status_code in ok_statuses:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    body = response.text[:300].strip().replace("\n", " ")
                    raise SourceError(f"{self.name}: {method} {safe_url} answered HTTP "
                                      f"{response.status_code}: {body}")
                last_problem = f"HTTP {response.status_code}"
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise SourceError(f"{self.name}: {safe_url} asked us to retry after {wait:.0f} s, "
                                      f"more than the configured maximum {self.max_retry_after:.0f} s")
                response.close()
            if attempt == self.max_retries:
                break
            if wait is None:
                wait = self.backoff * (2 ** attempt) * (0.5 + random.random() / 2)
            self.retries_made += 1
            log.warning("%s: %s from %s; retry %d/%d in %.1f s", self.name, last_problem, safe_url,
                        attempt + 1, self.max_retries, wait)
            self.sleep(wait)
        raise SourceError(f"{self.name}: {method} {safe_url} failed after {self.max_retries + 1} attempts "
                          f"(last: {last_problem})")

    def get(self, url: str, **kwargs) -> requests.Response:
        """GET with retries."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        """POST with retries."""
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        """Close the underlying session."""
        self.session.close()
