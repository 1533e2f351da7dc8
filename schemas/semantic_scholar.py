"""Semantic Scholar Graph API batch responses: paper ids, citation counts and references.

Every dataset is partitioned by ``batch``: one fetch run (e.g. the Airflow data interval's date),
replaced whole when the run is repeated.
"""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

_B = "batch"

PAPERS = register(
    DatasetSpec(
        source="semantic_scholar", name="papers", partition_key=_B,
        grain="one row per requested arxiv_id per batch that S2 found",
        key_columns=("arxiv_id",),
        description="Papers S2 returned for ARXIV:<id> lookups.",
        schema=pa.schema([
            pa.field("arxiv_id", pa.string(), nullable=False),
            pa.field("s2_paper_id", pa.string(), nullable=False),
            pa.field("corpus_id", pa.int64()),
            pa.field("doi", pa.string()),
            pa.field("title", pa.string()),
            pa.field("year", pa.int32()),
            pa.field("citation_count", pa.int64()),
            pa.field("reference_count", pa.int64()),
            pa.field("influential_citation_count", pa.int64()),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]),
        column_docs={
            "arxiv_id": "normalised arXiv id that was requested",
            "s2_paper_id": "S2 paperId (40 hex)",
            "corpus_id": "S2 corpusId",
            "doi": "DOI from externalIds",
            "title": "title as S2 gives it",
            "year": "publication year",
            "citation_count": "citationCount at fetch time",
            "reference_count": "referenceCount at fetch time",
            "influential_citation_count": "influentialCitationCount at fetch time",
            "fetched_at": "when the response was received (UTC)",
        },
    )
)

REFERENCES = register(
    DatasetSpec(
        source="semantic_scholar", name="references", partition_key=_B,
        grain="one row per (citing_arxiv_id, reference position) per batch",
        key_columns=("citing_arxiv_id", "position"),
        description="References of each fetched paper with the cited paper's external ids.",
        schema=pa.schema([
            pa.field("citing_arxiv_id", pa.string(), nullable=False),
            pa.field("position", pa.int32(), nullable=False),
            pa.field("cited_s2_paper_id", pa.string()),
            pa.field("cited_corpus_id", pa.int64()),
            pa.field("cited_arxiv_id", pa.string()),
            pa.field("cited_doi", pa.string()),
            pa.field("cited_title", pa.string()),
            pa.field("cited_year", pa.int32()),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]),
        column_docs={
            "citing_arxiv_id": "normalised arXiv id of the citing paper",
            "position": "0-based position in S2's reference list",
            "cited_s2_paper_id": "S2 paperId of the cited paper; null when S2 could not resolve it",
            "cited_corpus_id": "S2 corpusId of the cited paper",
            "cited_arxiv_id": "normalised arXiv id of the cited paper, when it has one",
            "cited_doi": "DOI of the cited paper, when it has one",
            "cited_title": "title of the cited paper",
            "cited_year": "year of the cited paper",
            "fetched_at": "when the response was received (UTC)",
        },
    )
)

FETCH_LOG = register(
    DatasetSpec(
        source="semantic_scholar", name="fetch_log", partition_key=_B,
        grain="one row per requested arxiv_id per batch",
        key_columns=("arxiv_id",),
        description="Outcome of every id asked for, so not-found ids are not re-asked every night.",
        schema=pa.schema([
            pa.field("arxiv_id", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
            pa.field("detail", pa.string()),
        ]),
        column_docs={
            "arxiv_id": "normalised arXiv id that was requested",
            "status": "found, not_found (S2 answered null) or error",
            "fetched_at": "when the answer was received (UTC)",
            "detail": "error text for status=error, else null",
        },
    )
)

QUARANTINE = quarantine_spec("semantic_scholar", _B)
