"""Contracts of the raw Parquet lake: one explicit pyarrow schema per dataset.

Every Parquet file the pipeline writes under ``<lake>/raw/<source>/<dataset>/`` is checked
against the schema registered here (``pipeline.lake.write_partition``); a drifting column
fails the write and names the column.  The warehouse's staging views read these datasets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class DatasetSpec:
    """A raw-lake dataset: where it lives, how it is partitioned, its schema and grain."""

    source: str
    name: str
    schema: pa.Schema
    partition_key: str
    grain: str
    description: str
    column_docs: dict[str, str] = field(default_factory=dict)
    # The grain as columns: unique (and not null) within one partition; () when rows have no key.
    key_columns: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``source/name``, the dataset's id in the registry and the manifest."""
        return f"{self.source}/{self.name}"


REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a dataset to the registry (called by the per-source schema modules)."""
    missing = [f.name for f in spec.schema if f.name not in spec.column_docs]
    if missing:
        raise ValueError(f"{spec.key}: undocumented columns {missing}")
    unknown = [c for c in spec.key_columns if c not in spec.schema.names]
    if unknown:
        raise ValueError(f"{spec.key}: key columns {unknown} are not in the schema")
    REGISTRY[spec.key] = spec
    return spec


def get(key: str) -> DatasetSpec:
    """Look up a dataset spec by ``source/name``."""
    _load_all()
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown lake dataset {key!r}; known: {sorted(REGISTRY)}") from None


def all_specs() -> list[DatasetSpec]:
    """Every registered dataset, sorted by key."""
    _load_all()
    return [REGISTRY[k] for k in sorted(REGISTRY)]


def _load_all() -> None:
    from schemas import arxiv, common, ecosystem, epoch, hf, pwc, semantic_scholar  # noqa: F401  (registration side effect)


def schema_docs(spec: DatasetSpec) -> pa.Schema:
    """The spec's schema with each field's description attached as Parquet field metadata."""
    fields = [f.with_metadata({"description": spec.column_docs[f.name]}) for f in spec.schema]
    return pa.schema(fields, metadata={"grain": spec.grain, "description": spec.description})
