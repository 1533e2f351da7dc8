"""Hugging Face model trees into the lake: from a local export directory, or by crawling the Hub API.

The crawl starts from ``hf_seed_models`` and walks breadth-first to ``hf_max_depth``:

- ``GET {hf_api_url}/api/models/<id>`` for each model's ``model_info`` (401/403 = gated, 404 =
  deleted, a non-JSON body such as an HTML error page = malformed; each is logged and the crawl goes on);
- ``GET {hf_api_url}/api/models?filter=base_model:<relation>:<id>`` for each relation, following the
  ``Link: <…>; rel="next"`` cursor, for the derivatives one level down. A gated or deleted base is
  still listed: its public derivatives' tags name it.

Requests are paced to ``hf_requests_per_second``, retried on 429/5xx honouring Retry-After
(:class:`pipeline.http.HttpClient`), and capped at ``hf_max_requests`` (the crawl stops, the outcome
is ``partial``). The token goes only to the configured host, as ``Authorization: Bearer``, and is never
logged. Both paths write one lake transaction (partition ``batch``) and one manifest row.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from pipeline import lake
from pipeline.errors import ConfigError, MlgraphError, SourceError
from pipeline.http import HttpClient, redact_url
from pipeline.manifest import IngestResult, Manifest
from pipeline.sources.hf.parser import (RELATIONS, Parsed, iter_export_dir, normalize_model_id,
                                        parse_model_info, placeholder_model)

log = logging.getLogger(__name__)

SOURCE = "hf"
PAGE_LIMIT = 100
_BATCH_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+$")
_STATUS_RANK = {"ok": 0, "gated": 1, "unavailable": 2, "not_found": 3}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _batch(batch: str | None) -> str:
    batch = batch or _now().strftime("%Y-%m-%d")
    if not _BATCH_NAME.match(batch):
        raise MlgraphError(f"batch name {batch!r} may only contain letters, digits and _ . : -")
    return batch


def _merge_models(rows: list[dict]) -> list[dict]:
    """One row per model: a readable model_info wins over a placeholder, then the shallower record."""
    best: dict[str, dict] = {}
    for row in rows:
        cur = best.get(row["model_id"])
        rank = (_STATUS_RANK.get(row["info_status"], 9), row["depth"] if row["depth"] is not None else 1 << 30)
        if cur is None or rank < (_STATUS_RANK.get(cur["info_status"], 9),
                                  cur["depth"] if cur["depth"] is not None else 1 << 30):
            best[row["model_id"]] = row
    return list(best.values())


def _dedupe_links(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for row in rows:
        key = (row["base_model_id"], row["model_id"], row["relation"], row["evidence"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _write(settings, batch: str, parsed: Parsed, fetch_log: list[dict], result: IngestResult) -> None:
    models = _merge_models(parsed.models)
    links = _dedupe_links(parsed.links)
    with lake.transaction(settings.lake) as txn:
        txn.write("hf/models", batch, models)
        txn.write("hf/links", batch, links)
        txn.write("hf/fetch_log", batch, fetch_log)
        txn.write("hf/quarantine", batch, parsed.quarantine)
    result.rows = {"hf/models": len(models), "hf/links": len(links), "hf/fetch_log": len(fetch_log)}
    result.quarantined = len(parsed.quarantine)


def ingest_export(settings, path, batch: str | None = None) -> IngestResult:
    """Load a directory of model-tree export files (``{"models": [...]}``, plain or gzip)."""
    directory = Path(path)
    if not directory.is_dir():
        raise MlgraphError(f"hf export {path} is not a directory")
    batch = _batch(batch)
    with Manifest(settings.state).record(SOURCE, "export", partition=batch, url=str(directory)) as result:
        now = _now()
        parsed = Parsed()
        digest = hashlib.sha256()
        files = 0
        for file, part in iter_export_dir(directory, now):
            files += 1
            digest.update(file.name.encode() + file.read_bytes())
            parsed.extend(part)
        if not files:
            raise MlgraphError(f"hf export {path} holds no *.json or *.json.gz files")
        result.checksum = digest.hexdigest()[:16]
        _write(settings, batch, parsed, [], result)
        log.info("hf export %s: %d files, %d models, %d links, %d quarantined", directory, files,
                 result.rows["hf/models"], result.rows["hf/links"], result.quarantined)
    return result


class HubCrawler:
    """Breadth-first crawl of the Hub API from seed models (see the module docstring)."""

    def __init__(self, settings, base_url: str, *, http: HttpClient | None = None):
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.token = settings.hf_token
        rps = settings.hf_requests_per_second
        self.http = http or HttpClient.from_settings(settings, name="hf", min_interval=1.0 / rps if rps > 0 else 0.0)
        self.max_requests = settings.hf_max_requests
        self.max_depth = settings.hf_max_depth
        self.requests = 0
        self.fetch_log: list[dict] = []
        self.parsed = Parsed()
        self.truncated = False

    def _headers(self, url: str) -> dict:
        # The token is for the configured host only: a Link header pointing elsewhere gets none.
        if self.token and urlsplit(url).netloc == self.host:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def _get(self, url: str, model_id: str, params=None):
        """(status, JSON or None, response or None); logs the request; never raises for 401/403/404."""
        if self.requests >= self.max_requests:
            self.truncated = True
            return "budget", None, None
        self.requests += 1
        entry = {"request_no": self.requests, "url": redact_url(url), "model_id": model_id,
                 "status": "ok", "http_status": None, "detail": None, "fetched_at": _now()}
        self.fetch_log.append(entry)
        try:
            response = self.http.get(url, params=params, headers=self._headers(url),
                                     ok_statuses=frozenset({200, 401, 403, 404}))
        except SourceError as exc:
            entry.update(status="error", detail=str(exc)[:500])
            return "error", None, None
        entry["http_status"] = response.status_code
        entry["fetched_at"] = _now()
        if response.status_code in (401, 403):
            entry.update(status="gated", detail=f"HTTP {response.status_code}: gated or private")
            return "gated", None, response
        if response.status_code == 404:
            entry.update(status="not_found", detail="HTTP 404: deleted, renamed or never existed")
            return "not_found", None, response
        try:
            data = response.json()
        except ValueError:
            kind = "an HTML page" if response.text.lstrip()[:1] == "<" else "not JSON"
            entry.update(status="malformed", detail=f"answer is {kind} ({response.headers.get('Content-Type')})")
            return "malformed", None, response
        return "ok", data, response

    def _quarantine(self, model_id: str, reason: str, raw, url: str) -> None:
        self.parsed.quarantine.append({"dataset": "hf/models", "record_key": model_id, "reason": reason,
                                       "raw": None if raw is None else str(raw)[:65536],
                                       "location": redact_url(url), "ingested_at": _now()})

    def _info(self, model_id: str, root: str, depth: int) -> None:
        url = f"{self.base_url}/api/models/{model_id}"
        status, data, response = self._get(url, model_id)
        if status == "ok" and not isinstance(data, dict):
            status = "malformed"
            self.fetch_log[-1].update(status="malformed", detail="model_info is not a JSON object")
        if status == "ok":
            data.setdefault("id", model_id)
            part = parse_model_info(data, tree_root=root, depth=depth, fetched_at=_now(), location=redact_url(url))
            self.parsed.extend(part)
            return
        if status == "budget":
            return
        mapped = {"gated": "gated", "not_found": "not_found"}.get(status, "unavailable")
        self.parsed.models.append(placeholder_model(model_id, mapped, tree_root=root, depth=depth, fetched_at=_now()))
        raw = response.text[:2000] if response is not None else None
        self._quarantine(model_id, f"model_info {status}: {self.fetch_log[-1]['detail']}", raw, url)

    def _children(self, model_id: str, root: str) -> list[str]:
        found: list[str] = []
        for relation in RELATIONS:
            url = f"{self.base_url}/api/models"
            params = {"filter": f"base_model:{relation}:{model_id}", "limit": PAGE_LIMIT}
            while url:
                status, data, response = self._get(url, model_id, params)
                if status != "ok":
                    if status not in ("budget",):
                        self._quarantine(model_id, f"listing of {relation} derivatives {status}: "
                                                   f"{self.fetch_log[-1]['detail']}",
                                         response.text[:2000] if response is not None else None, url)
                    break
                if not isinstance(data, list):
                    self.fetch_log[-1].update(status="malformed", detail="listing is not a JSON array")
                    self._quarantine(model_id, "listing is not a JSON array", str(data)[:2000], url)
                    break
                for item in data:
                    child = normalize_model_id(item.get("id") or item.get("modelId")) if isinstance(item, dict) else None
                    if child is None:
                        self._quarantine(model_id, "listing item has no readable id", item, url)
                    elif child == model_id:
                        self._quarantine(model_id, "self-reference: the model is listed as its own derivative", item, url)
                    else:
                        self.parsed.links.append({"base_model_id": model_id, "model_id": child, "relation": relation,
                                                  "evidence": "listing", "tree_root": root, "note": None,
                                                  "fetched_at": _now()})
                        found.append(child)
                nxt = response.links.get("next", {}).get("url")
                if nxt and urlsplit(nxt).netloc != self.host:
                    log.warning("hf: not following a next link to another host (%s)", redact_url(nxt))
                    nxt = None
                url, params = nxt, None  # the cursor URL carries the query
        return found

    def crawl(self, seeds) -> None:
        """Walk from each seed; a model reached twice (e.g. through a merge) is fetched once."""
        seen: set[str] = set()
        queue: deque[tuple[str, str, int]] = deque()
        for seed in seeds:
            sid = normalize_model_id(seed)
            if sid is None:
                raise MlgraphError(f"hf seed {seed!r} is not a Hub model id (owner/name)")
            if sid not in seen:
                seen.add(sid)
                queue.append((sid, sid, 0))
        while queue and not self.truncated:
            model_id, root, depth = queue.popleft()
            self._info(model_id, root, depth)
            if depth >= self.max_depth:
                continue
            for child in self._children(model_id, root):
                if child not in seen:
                    seen.add(child)
                    queue.append((child, root, depth + 1))


def crawl_hub(settings, seeds=None, batch: str | None = None, *, http: HttpClient | None = None) -> IngestResult:
    """Crawl the Hub API from the seeds (default ``hf_seed_models``) and load the result."""
    seeds = list(seeds or settings.hf_seed_models)
    if not settings.hf_api_url:
        raise MlgraphError("hf: MLGRAPH_HF_API_URL is not set (e.g. https://huggingface.co)")
    if not seeds:
        raise MlgraphError("hf: no seed models (set MLGRAPH_HF_SEED_MODELS, e.g. meta-llama/Llama-2-7b-hf)")
    if settings.hf_max_depth < 0 or settings.hf_max_requests < 1 or settings.hf_requests_per_second < 0:
        raise ConfigError("hf: hf_max_depth must be >= 0, hf_max_requests >= 1 and hf_requests_per_second >= 0")
    batch = _batch(batch)
    with Manifest(settings.state).record(SOURCE, "api", partition=batch, url=redact_url(settings.hf_api_url)) as result:
        crawler = HubCrawler(settings, settings.hf_api_url, http=http)
        crawler.crawl(seeds)
        _write(settings, batch, crawler.parsed, crawler.fetch_log, result)
        if crawler.truncated:
            result.outcome = "partial"
            result.detail = f"request budget of {settings.hf_max_requests} reached; crawl stopped early"
        log.info("hf crawl: %d requests, %d models, %d links", crawler.requests, result.rows["hf/models"],
                 result.rows["hf/links"])
    return result


def ingest_hf(settings, path=None, batch: str | None = None) -> IngestResult:
    """``mlgraph ingest hf``: an export directory when given (or configured), else the API crawl."""
    path = path or settings.hf_export_path
    if path:
        return ingest_export(settings, path, batch)
    if settings.hf_api_url and settings.hf_seed_models:
        return crawl_hub(settings, batch=batch)
    log.info("hf: not configured (MLGRAPH_HF_API_URL + MLGRAPH_HF_SEED_MODELS, or MLGRAPH_HF_EXPORT_PATH); skipped")
    return IngestResult(source=SOURCE, target="skipped", outcome="skipped",
                        detail="not configured: set MLGRAPH_HF_API_URL and MLGRAPH_HF_SEED_MODELS, or --path")
