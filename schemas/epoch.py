"""Epoch AI "Notable AI Models": one row per model of the CSV.

Partitioned by ``version``: the first 16 hex digits of the file's SHA-256, so re-reading the same
file replaces its partition.
"""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

_V = "version"

MODELS = register(
    DatasetSpec(
        source="epoch", name="models", partition_key=_V,
        grain="one row per CSV row (model) per version",
        key_columns=("row_no",),
        description="Epoch AI notable models with organisation, date, domain, size and base model.",
        schema=pa.schema([
            pa.field("row_no", pa.int32(), nullable=False),
            pa.field("model", pa.string(), nullable=False),
            pa.field("domain", pa.list_(pa.string())),
            pa.field("organization", pa.list_(pa.string())),
            pa.field("organization_category", pa.string()),
            pa.field("country", pa.string()),
            pa.field("publication_date", pa.date32()),
            pa.field("reference", pa.string()),
            pa.field("link", pa.string()),
            pa.field("arxiv_id", pa.string()),
            pa.field("parameters", pa.float64()),
            pa.field("training_compute_flop", pa.float64()),
            pa.field("base_models", pa.list_(pa.string())),
            pa.field("accessibility", pa.string()),
            pa.field("abstract", pa.string()),
        ]),
        column_docs={
            "row_no": "1-based data row number in the CSV",
            "model": "model name as Epoch writes it, whitespace normalised (e.g. 'Llama 2-7B')",
            "domain": "domains (Language, Vision, …) split on commas",
            "organization": "organisations split on commas",
            "organization_category": "Industry, Academia, … as given",
            "country": "country of the organisation(s) as given",
            "publication_date": "publication date; null when absent or unreadable",
            "reference": "title of the reference (paper or post)",
            "link": "first link given",
            "arxiv_id": "normalised arXiv id when the link is an arXiv page",
            "parameters": "parameter count",
            "training_compute_flop": "training compute in FLOP",
            "base_models": "base models (Epoch names) split on commas; empty when none",
            "accessibility": "model accessibility (Open weights, API access, …)",
            "abstract": "abstract as given",
        },
    )
)

QUARANTINE = quarantine_spec("epoch", _V)
