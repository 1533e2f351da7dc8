"""Epoch AI notable models into the lake, from ``epoch_models`` (a path or URL of the CSV)."""

from __future__ import annotations

import hashlib
import logging

from pipeline.manifest import IngestResult, Manifest
from pipeline.sources.epoch.parser import parse_csv
from pipeline.sources.fetch import read_bytes, replace_version

log = logging.getLogger(__name__)
SOURCE = "epoch"


def ingest_epoch(settings, path: str | None = None) -> IngestResult:
    """Load the CSV into ``epoch/models`` (partition = content hash); skipped when not configured."""
    location = path or settings.epoch_models
    if not location:
        log.info("epoch: not configured (MLGRAPH_EPOCH_MODELS); skipped")
        return IngestResult(source=SOURCE, target="skipped", outcome="skipped",
                            detail="not configured: set MLGRAPH_EPOCH_MODELS or --path")
    with Manifest(settings.state).record(SOURCE, "notable_models", url=str(location)) as result:
        data, label = read_bytes(settings, str(location), name="epoch")
        version = hashlib.sha256(data).hexdigest()[:16]
        rows, bad = parse_csv(data, location=label)
        replace_version(settings, version, {"epoch/models": rows, "epoch/quarantine": bad})
        result.partition, result.checksum = version, version
        result.rows, result.quarantined = {"epoch/models": len(rows)}, len(bad)
    return result
