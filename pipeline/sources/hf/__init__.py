"""Hugging Face Hub source: model trees (model_info + base-model links) from the API or an export."""

from pipeline.sources.hf.client import crawl_hub, ingest_export, ingest_hf
from pipeline.sources.hf.parser import normalize_model_id, parse_export, parse_model_info

__all__ = ["crawl_hub", "ingest_export", "ingest_hf", "normalize_model_id", "parse_export", "parse_model_info"]
