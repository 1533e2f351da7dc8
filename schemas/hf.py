"""Hugging Face Hub model trees: model_info records, base → derived links, and the fetch log.

Every dataset is partitioned by ``batch``: one ingest run (a local export or an API crawl), replaced
whole when the run is repeated. The warehouse keeps the latest batch per model.
"""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

_B = "batch"

MODELS = register(
    DatasetSpec(
        source="hf", name="models", partition_key=_B,
        grain="one row per model_id per batch",
        key_columns=("model_id",),
        description="Hub model_info of every model in the crawled or exported trees.",
        schema=pa.schema([
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("author", pa.string()),
            pa.field("created_at", pa.timestamp("us", tz="UTC")),
            pa.field("last_modified", pa.timestamp("us", tz="UTC")),
            pa.field("downloads", pa.int64()),
            pa.field("likes", pa.int64()),
            pa.field("library_name", pa.string()),
            pa.field("pipeline_tag", pa.string()),
            pa.field("model_type", pa.string()),
            pa.field("architectures", pa.list_(pa.string())),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("arxiv_ids", pa.list_(pa.string())),
            pa.field("gated", pa.string()),
            pa.field("card_text", pa.string()),
            pa.field("tree_root", pa.string()),
            pa.field("depth", pa.int32()),
            pa.field("info_status", pa.string(), nullable=False),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]),
        column_docs={
            "model_id": "Hub repository id <owner>/<name> (a https://huggingface.co/ prefix is stripped)",
            "author": "owner namespace (organisation or user) as the Hub gives it, else the id's prefix",
            "created_at": "repository creation time (UTC); null when the Hub gave none",
            "last_modified": "last commit time (UTC)",
            "downloads": "downloads in the last 30 days at fetch time",
            "likes": "likes at fetch time",
            "library_name": "library_name (transformers, diffusers, peft, gguf…)",
            "pipeline_tag": "pipeline_tag (text-generation, text-to-image…)",
            "model_type": "config.model_type (llama, phi, qwen2…)",
            "architectures": "config.architectures (LlamaForCausalLM…)",
            "tags": "every Hub tag of the model, as given",
            "arxiv_ids": "normalised arXiv ids from arxiv:<id> tags",
            "gated": "gated flag as the Hub gives it (false, auto, manual)",
            "card_text": "model card text (README), truncated to 20,000 characters",
            "tree_root": "the seed model whose tree the record was found in",
            "depth": "distance from the seed in the crawl (0 = the seed)",
            "info_status": "ok (model_info read), unavailable (export had no model_info), not_found, gated",
            "fetched_at": "when the record was read (UTC)",
        },
    )
)

LINKS = register(
    DatasetSpec(
        source="hf", name="links", partition_key=_B,
        grain="one row per (base_model_id, model_id, relation, evidence) per batch",
        key_columns=("base_model_id", "model_id", "relation", "evidence"),
        description="Base → derived model links, each with where it was read.",
        schema=pa.schema([
            pa.field("base_model_id", pa.string(), nullable=False),
            pa.field("model_id", pa.string(), nullable=False),
            pa.field("relation", pa.string(), nullable=False),
            pa.field("evidence", pa.string(), nullable=False),
            pa.field("tree_root", pa.string()),
            pa.field("note", pa.string()),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]),
        column_docs={
            "base_model_id": "the base model's Hub id",
            "model_id": "the derived model's Hub id",
            "relation": "finetune, adapter, quantized or merge",
            "evidence": "tag (base_model:<relation>:<id>), card (card_data.base_model) or listing (the base's children/adapters/quantized/merges list, or an API filter answer)",
            "tree_root": "the seed model whose tree the link was found in",
            "note": "a quirk seen while reading it (base_list: card named several bases), else null",
            "fetched_at": "when the link was read (UTC)",
        },
    )
)

FETCH_LOG = register(
    DatasetSpec(
        source="hf", name="fetch_log", partition_key=_B,
        grain="one row per Hub API request per batch",
        key_columns=("request_no",),
        description="Every Hub API request of a crawl and its outcome (gated, deleted, HTML…).",
        schema=pa.schema([
            pa.field("request_no", pa.int32(), nullable=False),
            pa.field("url", pa.string(), nullable=False),
            pa.field("model_id", pa.string()),
            pa.field("status", pa.string(), nullable=False),
            pa.field("http_status", pa.int32()),
            pa.field("detail", pa.string()),
            pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]),
        column_docs={
            "request_no": "1-based number of the request in the crawl",
            "url": "request URL without query string or credentials",
            "model_id": "model asked about (model_info) or whose derivatives were listed",
            "status": "ok, not_found, gated, malformed or error",
            "http_status": "HTTP status of the final answer",
            "detail": "why it was not ok, else null",
            "fetched_at": "when the answer was received (UTC)",
        },
    )
)

QUARANTINE = quarantine_spec("hf", _B)
