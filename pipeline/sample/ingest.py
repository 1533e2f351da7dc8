"""``mlgraph ingest sample``: the whole bundled sample through the real clients on loopback.

The sample's endpoints are served the way the real services are (OAI-PMH over HTTP, the PwC dumps
over HTTP with ETags, the Semantic Scholar batch API), so paging, conditional download, retries and
parsing run exactly the code a production run uses. Politeness delays are dropped because the
servers are our own, on loopback.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from pipeline.manifest import IngestResult


def sample_windows(sample_dir) -> list[tuple[date, date]]:
    """The OAI-PMH windows that, after the snapshot, cover the sample corpus."""
    meta = json.loads((sample_dir / "sample.json").read_text())
    return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in meta["oai_windows"]]


def ingest_sample(settings) -> list[IngestResult]:
    """Snapshot, every OAI window, the PwC dumps and S2 references of the bundled sample."""
    from pipeline.sample import ensure_sample
    from pipeline.sample.file_server import FileServer
    from pipeline.sample.oai_server import OaiServer
    from pipeline.sample.s2_server import S2Server
    from pipeline.sources.arxiv import harvest_window, ingest_snapshot
    from pipeline.sources.pwc import ingest_dumps
    from pipeline.sources.semantic_scholar import fetch_citations

    sample_dir = ensure_sample(settings)
    results: list[IngestResult] = []
    with OaiServer(sample_dir / "arxiv" / "corpus.jsonl.gz") as oai, \
            FileServer(sample_dir / "pwc") as dumps, \
            S2Server(sample_dir / "s2" / "papers.jsonl.gz") as s2:
        local = replace(settings, arxiv_oai_url=oai.url, pwc_dumps=dumps.url, s2_api_url=s2.url,
                        arxiv_snapshot=str(sample_dir / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz"),
                        oai_delay_seconds=0.0, s2_requests_per_second=0.0)
        results.append(ingest_snapshot(local))
        for date_from, date_until in sample_windows(sample_dir):
            results.append(harvest_window(local, date_from, date_until))
        results.extend(ingest_dumps(local))
        results.append(fetch_citations(local))
    results.append(ingest_sample_models(settings, sample_dir))
    return results


def ingest_sample_models(settings, sample_dir) -> IngestResult:
    """The sample's model trees, crawled through the real Hub client from a loopback fake Hub."""
    from pipeline.sample.hf_server import HubServer, load_exports
    from pipeline.sample.hf_tree import seeds, write_hf_tree
    from pipeline.sources.hf import crawl_hub

    hf_dir = sample_dir / "hf"
    if not (hf_dir / "truth.json").exists():  # a sample generated before the model trees existed
        write_hf_tree(hf_dir, settings.sample_seed)
    with HubServer(load_exports([hf_dir / "trees"]), page_size=50) as hub:
        local = replace(settings, hf_api_url=hub.url, hf_requests_per_second=0.0, hf_max_depth=4,
                        hf_max_requests=10_000, hf_token=None)
        return crawl_hub(local, seeds=seeds(hf_dir), batch="sample")
