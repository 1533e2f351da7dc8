"""``mlgraph ingest sample``: the whole bundled sample through the real clients on loopback.

The sample's endpoints are served the way the real services are (OAI-PMH over HTTP, the PwC dumps
over HTTP with ETags, the Semantic Scholar batch API), so paging, conditional download, retries and
parsing run exactly the code a production run uses.
"""

from __future__ import annotations

import json
from datetime import date

from pipeline.manifest import IngestResult


def sample_windows(sample_dir) -> list[tuple[date, date]]:
    """The OAI-PMH windows that, after the snapshot, cover the sample corpus."""
    meta = json.loads((sample_dir / "sample.json").read_text())
    return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in meta["oai_windows"]]


def ingest_sample(settings) -> list[IngestResult]:
    """Snapshot, every OAI window, the PwC dumps, S2 references and the model trees of the bundled sample."""
    from pipeline.sample.sources import sample_sources
    from pipeline.sources.arxiv import harvest_window, ingest_snapshot
    from pipeline.sources.hf import crawl_hub
    from pipeline.sources.pwc import ingest_dumps
    from pipeline.sources.semantic_scholar import fetch_citations

    results: list[IngestResult] = []
    with sample_sources(settings) as local:
        results.append(ingest_snapshot(local))
        for date_from, date_until in sample_windows(local.sample_dir):
            results.append(harvest_window(local, date_from, date_until))
        results.extend(ingest_dumps(local))
        results.append(fetch_citations(local))
        results.append(crawl_hub(local, batch="sample"))
    return results


def ingest_sample_models(settings) -> IngestResult:
    """Only the sample's model trees, crawled through the real Hub client from the loopback fake Hub."""
    from pipeline.sample.sources import sample_sources
    from pipeline.sources.hf import crawl_hub

    with sample_sources(settings, ("hf",)) as local:
        return crawl_hub(local, batch="sample")
