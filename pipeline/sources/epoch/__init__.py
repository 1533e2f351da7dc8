"""Epoch AI "Notable AI Models" source: organisation, date, domain, size and base model per model."""

from pipeline.sources.epoch.client import ingest_epoch
from pipeline.sources.epoch.parser import parse_csv

__all__ = ["ingest_epoch", "parse_csv"]
