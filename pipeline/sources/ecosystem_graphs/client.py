"""Ecosystem Graphs assets into the lake, from ``ecosystem_graphs``: a folder of YAML files (or its
``assets/`` subfolder), a single YAML file, or the collated CSV, as a path or URL."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pipeline.errors import MlgraphError
from pipeline.manifest import IngestResult, Manifest
from pipeline.sources.ecosystem_graphs.parser import dedupe, parse_csv, parse_yaml_file
from pipeline.sources.fetch import is_url, read_bytes, replace_version

log = logging.getLogger(__name__)
SOURCE = "ecosystem_graphs"


def _units(settings, location: str) -> list[tuple[str, bytes]]:
    if not is_url(location):
        path = Path(location).expanduser()
        if path.is_dir():
            folder = path / "assets" if (path / "assets").is_dir() else path
            files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
            if not files:
                raise MlgraphError(f"ecosystem_graphs: no *.yaml files in {folder}")
            return [(f.name, f.read_bytes()) for f in files]
    data, label = read_bytes(settings, location, name="ecosystem_graphs")
    return [(label.rsplit("/", 1)[-1], data)]


def ingest_ecosystem_graphs(settings, path: str | None = None) -> IngestResult:
    """Load every asset into ``ecosystem_graphs/assets``; skipped when not configured."""
    location = path or settings.ecosystem_graphs
    if not location:
        log.info("ecosystem_graphs: not configured (MLGRAPH_ECOSYSTEM_GRAPHS); skipped")
        return IngestResult(source=SOURCE, target="skipped", outcome="skipped",
                            detail="not configured: set MLGRAPH_ECOSYSTEM_GRAPHS or --path")
    with Manifest(settings.state).record(SOURCE, "assets", url=str(location)) as result:
        digest = hashlib.sha256()
        rows, bad = [], []
        for name, data in _units(settings, str(location)):
            digest.update(name.encode() + b"\0" + data)
            parse = parse_csv if name.lower().endswith(".csv") else parse_yaml_file
            r, b = parse(data, source_file=name)
            rows += r
            bad += b
        rows, dups = dedupe(rows)
        bad += dups
        version = digest.hexdigest()[:16]
        replace_version(settings, version, {"ecosystem_graphs/assets": rows, "ecosystem_graphs/quarantine": bad})
        result.partition, result.checksum = version, version
        result.rows, result.quarantined = {"ecosystem_graphs/assets": len(rows)}, len(bad)
    return result
