"""Semantic Scholar Graph API source: S2 ids, citation counts and references of arXiv papers."""

from pipeline.sources.semantic_scholar.client import fetch_citations
from pipeline.sources.semantic_scholar.parser import ParsedBatch, parse_batch

__all__ = ["fetch_citations", "parse_batch", "ParsedBatch"]
