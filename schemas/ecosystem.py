"""Stanford CRFM Ecosystem Graphs: assets (models, datasets, applications) and their dependencies.

Partitioned by ``version``: the first 16 hex digits of the SHA-256 over the files read.
"""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

_V = "version"

ASSETS = register(
    DatasetSpec(
        source="ecosystem_graphs", name="assets", partition_key=_V,
        grain="one row per (type, name, organization) per version",
        key_columns=("asset_type", "name", "organization"),
        description="Ecosystem Graphs assets with organisation, creation date and dependencies.",
        schema=pa.schema([
            pa.field("asset_type", pa.string(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("organization", pa.string()),
            pa.field("created_date", pa.date32()),
            pa.field("modality", pa.string()),
            pa.field("access", pa.string()),
            pa.field("license", pa.string()),
            pa.field("size", pa.string()),
            pa.field("url", pa.string()),
            pa.field("model_card", pa.string()),
            pa.field("dependencies", pa.list_(pa.string())),
            pa.field("description", pa.string()),
            pa.field("source_file", pa.string()),
        ]),
        column_docs={
            "asset_type": "model, dataset or application",
            "name": "asset name as given",
            "organization": "organisation(s) as given",
            "created_date": "created_date (a plain date, or the value of {value, explanation}); null when unknown",
            "modality": "modality as given (e.g. 'text; text')",
            "access": "open, limited, closed",
            "license": "licence (the value of {value, explanation} when structured)",
            "size": "size as given",
            "url": "asset URL",
            "model_card": "model card URL (often a Hugging Face page)",
            "dependencies": "names of the assets it depends on",
            "description": "description as given",
            "source_file": "organisation file (or CSV) the asset came from",
        },
    )
)

QUARANTINE = quarantine_spec("ecosystem_graphs", _V)
