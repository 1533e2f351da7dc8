"""Stanford CRFM Ecosystem Graphs source: models, datasets and applications with their dependencies."""

from pipeline.sources.ecosystem_graphs.client import ingest_ecosystem_graphs
from pipeline.sources.ecosystem_graphs.parser import parse_csv, parse_yaml_file

__all__ = ["ingest_ecosystem_graphs", "parse_csv", "parse_yaml_file"]
