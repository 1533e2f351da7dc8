"""Shapes shared by every source: the quarantine of rejected records."""

import pyarrow as pa

from schemas import DatasetSpec, register

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("record_key", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
        pa.field("location", pa.string()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

QUARANTINE_DOCS = {
    "dataset": "lake dataset the record was meant for (source/name)",
    "record_key": "the record's id where one could be read (arXiv id, URL…), else null",
    "reason": "why the record was rejected, human readable",
    "raw": "the record's raw text (XML fragment, JSON object), truncated to 64 KiB",
    "location": "where it came from: URL or file, page, line or item number",
    "ingested_at": "when the batch containing it was ingested (UTC)",
}


def quarantine_spec(source: str, partition_key: str) -> DatasetSpec:
    """Register ``<source>/quarantine``, partitioned like the source's own datasets."""
    return register(
        DatasetSpec(
            source=source,
            name="quarantine",
            partition_key=partition_key,
            grain="one row per rejected record per ingest partition",
            description=f"{source} records a parser rejected, kept verbatim with the reason.",
            schema=QUARANTINE_SCHEMA,
            column_docs=QUARANTINE_DOCS,
        )
    )
