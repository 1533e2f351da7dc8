"""arXiv source: OAI-PMH window harvests and the bulk metadata snapshot, into the raw lake."""

from pipeline.sources.arxiv.client import harvest_window
from pipeline.sources.arxiv.snapshot import ingest_snapshot

__all__ = ["harvest_window", "ingest_snapshot"]
