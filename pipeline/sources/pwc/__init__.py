"""Papers With Code: the five dump files, conditionally fetched and streamed into the lake."""

from pipeline.sources.pwc.loader import ingest_dumps

__all__ = ["ingest_dumps"]
