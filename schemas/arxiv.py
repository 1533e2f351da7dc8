"""arXiv metadata: OAI-PMH windows (arXivRaw or arXiv format) and the bulk JSON snapshot."""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

AUTHOR = pa.struct(
    [
        pa.field("keyname", pa.string()),
        pa.field("forenames", pa.string()),
        pa.field("suffix", pa.string()),
    ]
)

VERSION = pa.struct(
    [
        pa.field("version", pa.int32()),
        pa.field("created", pa.timestamp("us", tz="UTC")),
        pa.field("size", pa.string()),
    ]
)

PAPERS = register(
    DatasetSpec(
        source="arxiv",
        name="papers",
        # window=<from>_<until> for an OAI-PMH window (ISO dates, inclusive), window=snapshot for
        # the bulk snapshot. Re-ingesting a window replaces it.
        partition_key="window",
        grain="one row per arXiv paper per ingest window (latest metadata seen in that window)",
        key_columns=("arxiv_id",),
        description="arXiv paper metadata; staging keeps the most recent row per arxiv_id across windows.",
        schema=pa.schema(
            [
                pa.field("arxiv_id", pa.string(), nullable=False),
                pa.field("latest_version", pa.int32()),
                pa.field("versions", pa.list_(VERSION)),
                pa.field("title", pa.string()),
                pa.field("abstract", pa.string()),
                pa.field("authors", pa.list_(AUTHOR)),
                pa.field("authors_raw", pa.string()),
                pa.field("categories", pa.list_(pa.string())),
                pa.field("primary_category", pa.string()),
                pa.field("first_version_date", pa.date32()),
                pa.field("last_updated_date", pa.date32()),
                pa.field("doi", pa.string()),
                pa.field("journal_ref", pa.string()),
                pa.field("license", pa.string()),
                pa.field("comments", pa.string()),
                pa.field("report_no", pa.string()),
                pa.field("submitter", pa.string()),
                pa.field("oai_datestamp", pa.date32()),
                pa.field("record_format", pa.string(), nullable=False),
                pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
            ]
        ),
        column_docs={
            "arxiv_id": "normalised arXiv id without version: 2101.00001 or cs/0101001 (lower-case archive)",
            "latest_version": "highest version number seen (v3 -> 3); null when the format gives none",
            "versions": "version history: number, submission time (UTC) and size as given by arXiv",
            "title": "title with whitespace collapsed",
            "abstract": "abstract with whitespace collapsed",
            "authors": "authors in order; keyname/forenames/suffix as arXiv gives them (parsed from the raw string for arXivRaw)",
            "authors_raw": "the authors string exactly as the source gives it",
            "categories": "arXiv categories, primary category first",
            "primary_category": "first listed category (arXiv's primary)",
            "first_version_date": "date of v1 (UTC); from <created> in the arXiv format",
            "last_updated_date": "date of the latest version or update (UTC)",
            "doi": "DOI(s) as given (space separated when several)",
            "journal_ref": "journal reference as given",
            "license": "license URL as given",
            "comments": "author comments as given",
            "report_no": "report number as given",
            "submitter": "submitter name (arXivRaw and snapshot only)",
            "oai_datestamp": "OAI-PMH header datestamp (null for snapshot rows)",
            "record_format": "where the row came from: arXivRaw, arXiv or snapshot",
            "ingested_at": "when this row was written to the lake (UTC)",
        },
    )
)

QUARANTINE = quarantine_spec("arxiv", "window")
