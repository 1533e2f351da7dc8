"""The sample profile: the bundled sample served on loopback, with the settings pointed at it.

The source clients take only real locations; this is the one place that turns "run on the
sample" into locations: it generates (or reuses) the sample, starts the fake servers of this
package for the duration of the block, and hands back settings that point at them. Every ingest
recorded inside the block is marked as coming from the sample profile in the manifest.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import replace

SOURCES = ("arxiv", "arxiv-snapshot", "pwc", "s2", "hf")
# Sources the sample has no data for: under the sample profile they stay unset, so they skip.
UNSAMPLED = ("epoch", "ecosystem-graphs")


@contextmanager
def sample_sources(settings, sources=SOURCES):
    """Serve the sample's ``sources`` on loopback; yields settings pointing at them (profile 'sample').

    Only the servers asked for are started (the OAI and S2 servers load their corpus into
    memory). Politeness delays are dropped: the servers are our own.
    """
    from pipeline.manifest import ingest_profile
    from pipeline.sample import ensure_sample

    unknown = sorted(set(sources) - set(SOURCES) - set(UNSAMPLED))
    if unknown:
        raise ValueError(f"unknown sample sources: {', '.join(unknown)}")
    sample_dir = ensure_sample(settings)
    changes = {"profile": "sample", "oai_delay_seconds": 0.0, "s2_requests_per_second": 0.0,
               "arxiv_oai_url": None, "arxiv_snapshot": None, "pwc_dumps": None, "s2_api_url": None,
               "hf_api_url": None, "hf_export_path": None, "epoch_models": None, "ecosystem_graphs": None}
    with ExitStack() as stack:
        if "arxiv" in sources:
            from pipeline.sample.oai_server import OaiServer

            changes["arxiv_oai_url"] = stack.enter_context(OaiServer(sample_dir / "arxiv" / "corpus.jsonl.gz")).url
        if "arxiv-snapshot" in sources:
            changes["arxiv_snapshot"] = str(sample_dir / "arxiv" / "arxiv-metadata-oai-snapshot.jsonl.gz")
        if "pwc" in sources:
            from pipeline.sample.file_server import FileServer

            changes["pwc_dumps"] = stack.enter_context(FileServer(sample_dir / "pwc")).url
        if "s2" in sources:
            from pipeline.sample.s2_server import S2Server

            changes["s2_api_url"] = stack.enter_context(S2Server(sample_dir / "s2" / "papers.jsonl.gz")).url
        if "hf" in sources:
            # the sample's model trees, crawled through the real Hub client from a loopback fake Hub
            from pipeline.sample.hf_server import HubServer, load_exports
            from pipeline.sample.hf_tree import seeds

            hub = stack.enter_context(HubServer(load_exports([sample_dir / "hf" / "trees"]), page_size=50))
            changes.update(hf_api_url=hub.url, hf_seed_models=tuple(seeds(sample_dir / "hf")), hf_max_depth=4,
                           hf_max_requests=10_000, hf_requests_per_second=0.0, hf_token=None)
        stack.enter_context(ingest_profile("sample"))
        yield replace(settings, **changes)


def profile_sources(settings, sources=SOURCES):
    """``sample_sources`` under the sample profile; the settings unchanged (real locations) otherwise."""
    if settings.profile == "sample":
        return sample_sources(settings, sources)
    return nullcontext(settings)
