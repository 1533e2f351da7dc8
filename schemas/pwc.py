"""Papers With Code dumps (archived since the site closed in 2025), flattened into tidy tables.

Every dataset is partitioned by ``version``: the first 16 hex digits of the SHA-256 of the dump
file it came from, so an unchanged dump maps to the same partition and a re-run replaces it.
"""

import pyarrow as pa

from schemas import DatasetSpec, register
from schemas.common import quarantine_spec

_V = "version"

PAPERS = register(
    DatasetSpec(
        source="pwc", name="papers", partition_key=_V,
        grain="one row per paper_url",
        key_columns=("paper_url",),
        description="Papers from papers-with-abstracts.json(.gz).",
        schema=pa.schema([
            pa.field("paper_url", pa.string(), nullable=False),
            pa.field("arxiv_id", pa.string()),
            pa.field("title", pa.string()),
            pa.field("abstract", pa.string()),
            pa.field("url_abs", pa.string()),
            pa.field("url_pdf", pa.string()),
            pa.field("proceeding", pa.string()),
            pa.field("authors", pa.list_(pa.string())),
            pa.field("date", pa.date32()),
        ]),
        column_docs={
            "paper_url": "PwC paper page URL (the dump's key for a paper)",
            "arxiv_id": "normalised arXiv id (no version) from arxiv_id or url_abs; null when not on arXiv",
            "title": "title as given",
            "abstract": "abstract as given",
            "url_abs": "abstract page URL (arXiv or publisher)",
            "url_pdf": "PDF URL",
            "proceeding": "venue/proceedings name when given",
            "authors": "author names in order",
            "date": "publication date as given by PwC",
        },
    )
)

PAPER_TASKS = register(
    DatasetSpec(
        source="pwc", name="paper_tasks", partition_key=_V,
        grain="one row per (paper_url, task)",
        key_columns=("paper_url", "task"),
        description="Tasks PwC attaches to each paper (papers-with-abstracts 'tasks').",
        schema=pa.schema([
            pa.field("paper_url", pa.string(), nullable=False),
            pa.field("arxiv_id", pa.string()),
            pa.field("task", pa.string(), nullable=False),
        ]),
        column_docs={
            "paper_url": "PwC paper page URL",
            "arxiv_id": "normalised arXiv id of the paper, when known",
            "task": "task name as given",
        },
    )
)

PAPER_METHODS = register(
    DatasetSpec(
        source="pwc", name="paper_methods", partition_key=_V,
        grain="one row per (paper_url, method_name)",
        key_columns=("paper_url", "method_name"),
        description="Methods PwC says each paper uses (papers-with-abstracts 'methods').",
        schema=pa.schema([
            pa.field("paper_url", pa.string(), nullable=False),
            pa.field("arxiv_id", pa.string()),
            pa.field("method_name", pa.string(), nullable=False),
            pa.field("method_full_name", pa.string()),
            pa.field("main_collection", pa.string()),
            pa.field("main_collection_area", pa.string()),
            pa.field("introduced_year", pa.int32()),
        ]),
        column_docs={
            "paper_url": "PwC paper page URL",
            "arxiv_id": "normalised arXiv id of the paper, when known",
            "method_name": "method short name (joins pwc/methods.name)",
            "method_full_name": "method full name",
            "main_collection": "the method's main collection name, when given",
            "main_collection_area": "area of the main collection, when given",
            "introduced_year": "year the method was introduced; null when PwC gives the placeholder 2000 or nothing",
        },
    )
)

METHODS = register(
    DatasetSpec(
        source="pwc", name="methods", partition_key=_V,
        grain="one row per method_url",
        key_columns=("method_url",),
        description="The PwC methods taxonomy (methods.json(.gz)).",
        schema=pa.schema([
            pa.field("method_url", pa.string(), nullable=False),
            pa.field("name", pa.string(), nullable=False),
            pa.field("full_name", pa.string()),
            pa.field("description", pa.string()),
            pa.field("paper_title", pa.string()),
            pa.field("paper_url", pa.string()),
            pa.field("introduced_year", pa.int32()),
            pa.field("source_url", pa.string()),
            pa.field("source_title", pa.string()),
            pa.field("code_snippet_url", pa.string()),
            pa.field("num_papers", pa.int64()),
        ]),
        column_docs={
            "method_url": "PwC method page URL (key)",
            "name": "short name, e.g. ViT",
            "full_name": "full name, e.g. Vision Transformer",
            "description": "markdown description as given",
            "paper_title": "title of the introducing paper; null when PwC gives paper: null",
            "paper_url": "PwC URL of the introducing paper; null when PwC gives paper: null",
            "introduced_year": "year introduced; null when PwC gives the placeholder 2000",
            "source_url": "URL of the introducing source",
            "source_title": "title of the introducing source",
            "code_snippet_url": "reference implementation URL",
            "num_papers": "number of papers PwC links to the method",
        },
    )
)

METHOD_COLLECTIONS = register(
    DatasetSpec(
        source="pwc", name="method_collections", partition_key=_V,
        grain="one row per (method_url, collection)",
        key_columns=("method_url", "collection"),
        description="Collections (and their areas) each method belongs to.",
        schema=pa.schema([
            pa.field("method_url", pa.string(), nullable=False),
            pa.field("method_name", pa.string(), nullable=False),
            pa.field("collection", pa.string(), nullable=False),
            pa.field("area_id", pa.string()),
            pa.field("area", pa.string()),
        ]),
        column_docs={
            "method_url": "PwC method page URL",
            "method_name": "method short name",
            "collection": "collection name, e.g. Transformers",
            "area_id": "area slug, e.g. computer-vision; null when missing",
            "area": "area name; null when missing",
        },
    )
)

EVAL_TASKS = register(
    DatasetSpec(
        source="pwc", name="eval_tasks", partition_key=_V,
        grain="one row per task (subtasks included, with their parent)",
        key_columns=("task",),
        description="Tasks of evaluation-tables.json(.gz), subtasks flattened.",
        schema=pa.schema([
            pa.field("task", pa.string(), nullable=False),
            pa.field("parent_task", pa.string()),
            pa.field("description", pa.string()),
            pa.field("categories", pa.list_(pa.string())),
        ]),
        column_docs={
            "task": "task name",
            "parent_task": "parent task name for a subtask, else null",
            "description": "task description",
            "categories": "task categories (areas) as given; empty when missing",
        },
    )
)

EVAL_DATASETS = register(
    DatasetSpec(
        source="pwc", name="eval_datasets", partition_key=_V,
        grain="one row per (task, dataset) (subdatasets included, with their parent)",
        key_columns=("task", "dataset"),
        description="Benchmark datasets per task in evaluation-tables, subdatasets flattened.",
        schema=pa.schema([
            pa.field("task", pa.string(), nullable=False),
            pa.field("dataset", pa.string(), nullable=False),
            pa.field("parent_dataset", pa.string()),
            pa.field("description", pa.string()),
            pa.field("metrics", pa.list_(pa.string())),
        ]),
        column_docs={
            "task": "task name",
            "dataset": "dataset name",
            "parent_dataset": "parent dataset for a subdataset, else null",
            "description": "dataset description",
            "metrics": "metric names of the leaderboard table",
        },
    )
)

EVAL_RESULTS = register(
    DatasetSpec(
        source="pwc", name="eval_results", partition_key=_V,
        grain="one row per (task, dataset, row_index, metric_name)",
        key_columns=("task", "dataset", "row_index", "metric_name"),
        description="Leaderboard (SOTA) rows, one row per metric value.",
        schema=pa.schema([
            pa.field("task", pa.string(), nullable=False),
            pa.field("dataset", pa.string(), nullable=False),
            pa.field("row_index", pa.int32(), nullable=False),
            pa.field("model_name", pa.string()),
            pa.field("paper_title", pa.string()),
            pa.field("paper_url", pa.string()),
            pa.field("arxiv_id", pa.string()),
            pa.field("paper_date", pa.date32()),
            pa.field("uses_additional_data", pa.bool_()),
            pa.field("metric_name", pa.string(), nullable=False),
            pa.field("metric_value_raw", pa.string()),
            pa.field("metric_value", pa.float64()),
        ]),
        column_docs={
            "task": "task name",
            "dataset": "dataset name",
            "row_index": "position of the row in the dump's table (0-based)",
            "model_name": "model name as given",
            "paper_title": "paper title as given (may be empty)",
            "paper_url": "paper URL as given (PwC or arXiv; may be empty)",
            "arxiv_id": "normalised arXiv id when paper_url is an arXiv URL, else null",
            "paper_date": "paper date; null when missing",
            "uses_additional_data": "whether the result used extra training data",
            "metric_name": "metric name",
            "metric_value_raw": "metric value text as given",
            "metric_value": "metric value parsed as a number (%, commas stripped); null when unparseable",
        },
    )
)

CODE_LINKS = register(
    DatasetSpec(
        source="pwc", name="code_links", partition_key=_V,
        grain="one row per (paper_url, repo_url)",
        key_columns=("paper_url", "repo_url"),
        description="links-between-papers-and-code.json(.gz); exact duplicate rows dropped.",
        schema=pa.schema([
            pa.field("paper_url", pa.string(), nullable=False),
            pa.field("paper_title", pa.string()),
            pa.field("arxiv_id", pa.string()),
            pa.field("paper_url_abs", pa.string()),
            pa.field("paper_url_pdf", pa.string()),
            pa.field("repo_url", pa.string(), nullable=False),
            pa.field("is_official", pa.bool_()),
            pa.field("mentioned_in_paper", pa.bool_()),
            pa.field("mentioned_in_github", pa.bool_()),
            pa.field("framework", pa.string()),
        ]),
        column_docs={
            "paper_url": "PwC paper page URL",
            "paper_title": "paper title",
            "arxiv_id": "normalised arXiv id, when given",
            "paper_url_abs": "abstract page URL",
            "paper_url_pdf": "PDF URL",
            "repo_url": "code repository URL",
            "is_official": "whether the authors' own repository",
            "mentioned_in_paper": "whether the paper mentions the repository",
            "mentioned_in_github": "whether the repository mentions the paper",
            "framework": "framework as given: pytorch, tf, jax, mxnet, paddle, none…",
        },
    )
)

DATASETS = register(
    DatasetSpec(
        source="pwc", name="datasets", partition_key=_V,
        grain="one row per dataset_url",
        key_columns=("dataset_url",),
        description="datasets.json(.gz): the dataset catalogue.",
        schema=pa.schema([
            pa.field("dataset_url", pa.string(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("full_name", pa.string()),
            pa.field("homepage", pa.string()),
            pa.field("description", pa.string()),
            pa.field("paper_title", pa.string()),
            pa.field("paper_url", pa.string()),
            pa.field("introduced_date", pa.date32()),
            pa.field("modalities", pa.list_(pa.string())),
            pa.field("languages", pa.list_(pa.string())),
            pa.field("tasks", pa.list_(pa.string())),
            pa.field("num_papers", pa.int64()),
        ]),
        column_docs={
            "dataset_url": "PwC dataset page URL (key)",
            "name": "short name",
            "full_name": "full name",
            "homepage": "homepage URL",
            "description": "description",
            "paper_title": "introducing paper title",
            "paper_url": "introducing paper URL",
            "introduced_date": "date introduced",
            "modalities": "modalities, e.g. Images, Texts",
            "languages": "languages",
            "tasks": "task names the dataset is used for",
            "num_papers": "number of papers using it",
        },
    )
)

QUARANTINE = quarantine_spec("pwc", _V)
