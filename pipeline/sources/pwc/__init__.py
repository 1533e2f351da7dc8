"""Papers With Code: the five dumps (JSON files or the archive's Parquet shards), conditionally fetched
and streamed into the lake."""

from pipeline.sources.pwc.loader import ingest_dumps

__all__ = ["ingest_dumps"]
