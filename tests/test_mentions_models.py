"""Named-model models on a tiny hand-written lake: mentions, builds-on links, downstream, leaderboard."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from pipeline.lake import write_partition
from pipeline.warehouse import build
from pipeline.warehouse.runner import WAREHOUSE_DIR, discover_models, run_model_tests
from warehouse_fixtures import PWC, _paper, copy_models, family_standin, standin_steps

MINE = {"intermediate": ["int_paper_model_mentions", "int_leaderboard_model_families"],
        "marts": ["fct_paper_model_mentions", "fct_paper_builds_on", "fct_builds_on_downstream_by_year"]}
LINEAGE_STEP = "test_mentions_models:lineage_standin"
LINEAGE_YAML = f"""name: fct_lineage_edges
layer: marts
materialized: python
step: "{LINEAGE_STEP}"
inputs: []
description: test stand-in for the lineage step's edges
columns:
  parent_method:
    type: VARCHAR
    description: parent
  child_method:
    type: VARCHAR
    description: child
"""


def _with_abstract(paper: dict, abstract: str) -> dict:
    return {**paper, "abstract": abstract}


def write_lake(lake):
    d = date
    write_partition(lake, "arxiv/papers", "snapshot", [
        _with_abstract(_paper("2501.00001", "Chart reading", ["cs.CV"], d(2025, 1, 1), d(2025, 1, 1), [("A", "B")]),
                       "We fine-tune Qwen2-VL-7B on charts. It outperforms GPT-4o and Claude 3.5 Sonnet."),
        _with_abstract(_paper("2401.00002", "Dialogue agents", ["cs.CL"], d(2024, 2, 1), d(2024, 2, 1), [("C", "D")]),
                       "Our agent is built on Llama-2-7b-chat-hf. Baselines such as Mistral-7B are weaker."),
        _with_abstract(_paper("2301.00003", "Parsing", ["cs.CL"], d(2023, 3, 1), d(2023, 3, 1), [("E", "F")]),
                       "Compared with BERT, the parser is faster."),
        _with_abstract(_paper("2301.00004", "Colourings", ["math.CO"], d(2023, 4, 1), d(2023, 4, 1), [("G", "H")]),
                       "We fine-tune Llama 2 on proofs."),  # not an ML paper: no mention row
    ])
    v = "00000000000000bb"
    write_partition(lake, "pwc/paper_methods", v, [
        {"paper_url": PWC + "p3", "arxiv_id": "2301.00003", "method_name": "Transformer"},
        {"paper_url": PWC + "p2", "arxiv_id": "2401.00002", "method_name": "Multi-Head Attention"},
    ])
    write_partition(lake, "pwc/eval_results", v, [
        {"task": "Image Classification", "dataset": "ImageNet", "row_index": 0, "model_name": "EfficientNet-L2",
         "paper_title": "Self-training with Noisy Student", "metric_name": "Top-1", "metric_value": 88.4},
        {"task": "Image Classification", "dataset": "ImageNet", "row_index": 1, "model_name": "Ours",
         "paper_title": "Very Deep ResNet Models for Recognition", "metric_name": "Top-1", "metric_value": 80.0},
        {"task": "Dialogue", "dataset": "X", "row_index": 0, "model_name": "Ours", "arxiv_id": "2401.00002",
         "paper_url": "https://arxiv.org/abs/2401.00002", "metric_name": "Acc", "metric_value": 0.7},
        {"task": "Dialogue", "dataset": "X", "row_index": 1, "model_name": "Anonymous", "paper_title": "",
         "metric_name": "Acc", "metric_value": 0.5},
        {"task": "Dialogue", "dataset": "X", "row_index": 2, "model_name": "ViT-H/14", "arxiv_id": "2401.00002",
         "paper_url": "https://arxiv.org/abs/2401.00002", "metric_name": "Acc", "metric_value": 0.4},
    ])


def lineage_standin(con, ctx):
    """fct_lineage_edges with one edge: Transformer builds on Scaled Dot-Product Attention."""
    con.execute("CREATE TABLE fct_lineage_edges (parent_method VARCHAR, child_method VARCHAR)")
    con.execute("INSERT INTO fct_lineage_edges VALUES ('Scaled Dot-Product Attention', 'Transformer')")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from pipeline.config import load_settings

    base = tmp_path_factory.mktemp("mentions")
    settings = load_settings(env={}, home=base / "home")
    write_lake(settings.lake)
    root = copy_models(base / "models")
    for layer, names in MINE.items():
        for name in names:
            for suffix in (".sql", ".yml"):
                src = WAREHOUSE_DIR / layer / (name + suffix)
                if src.exists():
                    shutil.copy(src, root / layer / src.name)
    (root / "marts" / "fct_lineage_edges.yml").write_text(LINEAGE_YAML)
    standin = family_standin(text_families=[("2401.00002", "transformer", ["transformer"], 0.9)])
    steps = {**standin_steps(standin), LINEAGE_STEP: lineage_standin}
    candidate = build(settings, steps=steps, models_root=root)
    con = duckdb.connect(str(candidate), read_only=True)
    yield con, root
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_mentions_keep_what_papers_build_on(built):
    con, _ = built
    assert rows(con, "SELECT paper_id, model_key, model_family, relation, mention_text, base_model, foundation_method, "
                     "paper_year FROM fct_paper_model_mentions ORDER BY paper_id") == [
        ("2401.00002", "llama-2", "transformer", "builds_on", "Llama-2-7b-chat-hf", "llama", "Transformer", 2024),
        ("2501.00001", "qwen2-vl", "transformer", "fine_tunes", "Qwen2-VL-7B", "qwen2", "Transformer", 2025),
    ]
    span = rows(con, "SELECT evidence_span FROM fct_paper_model_mentions WHERE paper_id = '2501.00001'")[0][0]
    assert span == "We fine-tune Qwen2-VL-7B on charts."


def test_builds_on_unions_pwc_and_text(built):
    con, _ = built
    assert rows(con, "SELECT paper_id, source, model_key, method_name, relation, year FROM fct_paper_builds_on "
                     "ORDER BY paper_id, source") == [
        ("2301.00003", "pwc", None, "Transformer", "uses", 2023),
        ("2401.00002", "pwc", None, "Multi-Head Attention", "uses", 2024),
        ("2401.00002", "text", "llama-2", "Transformer", "builds_on", 2024),
        ("2501.00001", "text", "qwen2-vl", "Transformer", "fine_tunes", 2025),
    ]


def test_downstream_continues_after_pwc_through_models_and_lineage(built):
    con, _ = built
    got = {(k, r, y): (n, t, p, c) for k, r, y, n, t, p, c in rows(
        con, "SELECT root_kind, root, year, downstream_papers, text_papers, pwc_papers, cumulative_downstream_papers "
             "FROM fct_builds_on_downstream_by_year")}
    # The 2025 paper fine-tuning Qwen2-VL is downstream of Qwen2-VL, its base models and Transformer.
    for root in ("qwen2-vl", "qwen2", "qwen"):
        assert got[("model", root, 2025)] == (1, 1, 0, 1)
    assert got[("model", "llama-2", 2024)] == (1, 1, 0, 1) and got[("model", "llama", 2024)] == (1, 1, 0, 1)
    assert got[("method", "Transformer", 2023)] == (1, 0, 1, 1)
    # 2401.00002 reaches Transformer by text only (its PwC method is Multi-Head Attention).
    assert got[("method", "Transformer", 2024)] == (1, 1, 0, 2)
    assert got[("method", "Transformer", 2025)] == (1, 1, 0, 3)
    assert got[("method", "Scaled Dot-Product Attention", 2025)] == (1, 1, 0, 3)
    assert got[("method", "Multi-Head Attention", 2024)] == (1, 0, 1, 1)
    assert ("model", "gpt-4o", 2025) not in got and ("model", "mistral", 2024) not in got
    assert ("model", "bert", 2023) not in got


def test_leaderboard_family_from_model_name_paper_then_title(built):
    con, _ = built
    assert rows(con, "SELECT task, row_index, model_key, paper_id, family, family_source FROM fct_leaderboard_results "
                     "ORDER BY task, row_index") == [
        ("Dialogue", 0, None, "2401.00002", "transformer", "paper"),
        ("Dialogue", 1, None, None, None, "none"),
        ("Dialogue", 2, "vit", "2401.00002", "transformer", "model_name"),
        ("Image Classification", 0, "efficientnet", None, "cnn", "model_name"),
        ("Image Classification", 1, None, None, "cnn", "paper_title"),
    ]


def test_model_tests_pass(built):
    con, root = built
    assert run_model_tests(con, discover_models(root)) == []


def test_parallel_batches_equal_the_serial_ones():
    """The process pool (used from PARALLEL_MIN_ROWS papers) yields the same rows in the same order."""
    import pyarrow as pa

    from pipeline.classify.mentions import get_extractor
    from pipeline.classify.mentions_warehouse import _mention_batches

    texts = ["We fine-tune Llama 2 on code.", "Built on CLIP; outperforms SAM.", "Nothing here.", None] * 50
    table = pa.table({"paper_id": [f"p{i}" for i in range(len(texts))], "title": [None] * len(texts),
                      "abstract": texts})
    serial = [b for _, b in _mention_batches(table.to_batches(max_chunksize=30), 1, get_extractor())]
    parallel = [b for _, b in _mention_batches(table.to_batches(max_chunksize=30), 2, get_extractor())]
    assert pa.Table.from_batches(parallel).equals(pa.Table.from_batches(serial))
    assert pa.Table.from_batches(serial).num_rows == 100
