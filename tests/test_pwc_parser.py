"""PwC dump parsers: the real samples (methods, evaluation tables, code links) and hand-written
papers-with-abstracts / datasets dumps in the real field layout.

The hand-written dumps and ``write_dump``/``write_all`` at the top are reused by test_pwc_ingest.py.
"""

from __future__ import annotations

import collections
import copy
import gzip
import json
import zlib
from datetime import date
from pathlib import Path

TRANSFORMER = {
    "name": "Transformer", "full_name": "Transformer",
    "description": "A **Transformer** is a model architecture that eschews recurrence.",
    "introduced_year": 2000, "source_url": "http://arxiv.org/abs/1706.03762v5",
    "source_title": "Attention Is All You Need", "code_snippet_url": None,
    "main_collection": {"name": "Transformers", "description": "Transformers are a type of neural network.",
                        "parent": "Language Models", "area": "Natural Language Processing"},
}
ADAM = {
    "name": "Adam", "full_name": "Adam", "description": "**Adam** is an adaptive learning rate optimizer.",
    "introduced_year": 2014, "source_url": "http://arxiv.org/abs/1412.6980v9",
    "source_title": "Adam: A Method for Stochastic Optimization", "code_snippet_url": None,
    "main_collection": {"name": "Stochastic Optimization", "description": "", "parent": None, "area": "General"},
}
ATTENTION = {
    "paper_url": "https://paperswithcode.com/paper/attention-is-all-you-need",
    "arxiv_id": "1706.03762",
    "title": "Attention Is All You Need",
    "abstract": "The dominant sequence transduction models are based on complex recurrent networks.",
    "url_abs": "https://arxiv.org/abs/1706.03762v5",
    "url_pdf": "https://arxiv.org/pdf/1706.03762v5.pdf",
    "proceeding": "NeurIPS 2017 12",
    "authors": ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"],
    "tasks": ["Machine Translation", "Constituency Parsing", "Machine Translation"],
    "date": "2017-06-12",
    "methods": [TRANSFORMER, ADAM],
}
RESNET_PAPER = {
    "paper_url": "https://paperswithcode.com/paper/deep-residual-learning-for-image",
    "arxiv_id": None,
    "title": "Deep Residual Learning for Image Recognition",
    "abstract": "Deeper neural networks are more difficult to train.",
    "url_abs": "http://arxiv.org/abs/1512.03385v1",
    "url_pdf": "http://arxiv.org/pdf/1512.03385v1.pdf",
    "proceeding": "CVPR 2016 6",
    "authors": ["Kaiming He", "Xiangyu Zhang"],
    "tasks": ["Image Classification"],
    "date": "2015-12-10",
    "methods": [{"name": "ResNet", "full_name": "Residual Network", "description": "", "introduced_year": 2015,
                 "source_url": None, "source_title": None, "code_snippet_url": None, "main_collection": None}],
}
JOURNAL_PAPER = {
    "paper_url": "https://paperswithcode.com/paper/a-journal-only-paper",
    "arxiv_id": None, "title": "A Journal-Only Paper", "abstract": "", "url_abs": "https://www.nature.com/articles/x1",
    "url_pdf": None, "proceeding": None, "authors": [], "tasks": [], "date": None, "methods": [],
}
BAD_METHODS_PAPER = {
    "paper_url": "https://paperswithcode.com/paper/dropout-a-simple-way",
    "arxiv_id": None, "title": "Dropout", "abstract": "", "url_abs": None, "url_pdf": None, "proceeding": None,
    "authors": ["Nitish Srivastava"], "tasks": ["Image Classification"], "date": "2014-01-01",
    "methods": ["oops", {"full_name": "a method without a name"},
                {"name": "Dropout", "full_name": "Dropout", "introduced_year": 2000, "main_collection": None}],
}


def papers_items() -> list:
    """papers-with-abstracts items: 4 good papers, 1 exact duplicate, 3 unusable records."""
    return [
        ATTENTION,
        RESNET_PAPER,
        JOURNAL_PAPER,
        copy.deepcopy(ATTENTION),                               # exact duplicate row → dropped
        42,                                                     # not an object → quarantined
        {"title": "no paper_url"},                              # missing key → quarantined
        {"paper_url": "https://paperswithcode.com/paper/bad-types", "title": 12345},  # wrong type
        BAD_METHODS_PAPER,                                      # 2 bad method entries quarantined
    ]


def methods_items() -> list:
    """methods items with the real quirks: placeholder year, paper null, missing/null areas."""
    return [
        {"url": "https://paperswithcode.com/method/transformer", "name": "Transformer", "full_name": "Transformer",
         "description": "A Transformer...", "paper": {"title": "Attention Is All You Need",
                                                      "url": "https://paperswithcode.com/paper/attention-is-all-you-need"},
         "introduced_year": 2000, "source_url": "http://arxiv.org/abs/1706.03762v5",
         "source_title": "Attention Is All You Need", "code_snippet_url": None, "num_papers": 7000,
         "collections": [{"collection": "Transformers", "area_id": "natural-language-processing",
                          "area": "Natural Language Processing"}]},
        {"url": "https://paperswithcode.com/method/adam", "name": "Adam", "full_name": "Adam", "description": "",
         "paper": None, "introduced_year": 2014, "source_url": None, "source_title": None,
         "code_snippet_url": None, "num_papers": 9000,
         "collections": [{"collection": "Stochastic Optimization", "area_id": None, "area": None},
                         {"collection": "Adaptive Optimizers"}]},
    ]


def eval_items() -> list:
    """evaluation-tables items: a task with a subtask, a subdataset and varied metric cells."""
    row = {"code_links": [], "model_links": [], "uses_additional_data": False}
    return [{
        "task": "Question Answering", "description": "QA", "categories": ["Natural Language Processing"],
        "synonyms": [], "source_link": None,
        "datasets": [{
            "dataset": "SQuAD1.1", "description": "", "dataset_citations": [], "dataset_links": [],
            "sota": {"metrics": ["EM", "F1"], "rows": [
                {**row, "model_name": "BERT", "paper_title": "BERT", "paper_url": "https://arxiv.org/abs/1810.04805v2",
                 "paper_date": "2018-10-11", "metrics": {"EM": "85.1", "F1": "91.8%"}},
                {**row, "model_name": "Human", "paper_title": "", "paper_url": "", "paper_date": None,
                 "metrics": {"EM": "-", "F1": 91.2}},
            ]},
            "subdatasets": [{"subdataset": "Dev", "sota": {"metrics": ["EM"], "rows": [
                {**row, "model_name": "X", "paper_title": "", "paper_url": "", "paper_date": "",
                 "metrics": {"EM": "1,234"}}]}}],
        }],
        "subtasks": [{"task": "Open-Domain Question Answering", "description": "", "categories": [],
                      "datasets": [], "subtasks": []}],
    }]


def links_items() -> list:
    """links-between-papers-and-code items (full dump fields), with one exact duplicate."""
    link = {"paper_url": "https://paperswithcode.com/paper/attention-is-all-you-need",
            "paper_title": "Attention Is All You Need", "paper_arxiv_id": "1706.03762v5",
            "paper_url_abs": "https://arxiv.org/abs/1706.03762v5", "paper_url_pdf": "https://arxiv.org/pdf/1706.03762v5.pdf",
            "repo_url": "https://github.com/tensorflow/tensor2tensor", "is_official": True,
            "mentioned_in_paper": True, "mentioned_in_github": True, "framework": "tf"}
    other = {**link, "repo_url": "https://github.com/jadore801120/attention-is-all-you-need-pytorch",
             "is_official": False, "mentioned_in_paper": False, "framework": "pytorch"}
    return [link, other, dict(link)]


def datasets_items() -> list:
    """datasets items with the real field names."""
    return [
        {"url": "https://paperswithcode.com/dataset/imagenet", "name": "ImageNet", "full_name": "ImageNet",
         "homepage": "http://image-net.org/", "description": "The ImageNet dataset...",
         "paper": {"title": "ImageNet: A large-scale hierarchical image database",
                   "url": "https://paperswithcode.com/paper/imagenet-a-large-scale-hierarchical-image"},
         "introduced_date": "2009-06-20", "warning": None, "modalities": ["Images"],
         "tasks": [{"task": "Image Classification", "url": "https://paperswithcode.com/task/image-classification"},
                   {"task": "Object Detection", "url": "https://paperswithcode.com/task/object-detection"}],
         "languages": [], "variants": ["ImageNet", "ImageNet-1k"], "num_papers": 12000,
         "data_loaders": [{"url": "https://pytorch.org/vision/", "repo": "https://github.com/pytorch/vision",
                           "frameworks": ["pytorch"]}]},
        {"url": "https://paperswithcode.com/dataset/squad", "name": "SQuAD", "full_name": "Stanford Question Answering Dataset",
         "homepage": None, "description": "", "paper": None, "introduced_date": None, "warning": None,
         "modalities": ["Texts"], "tasks": [], "languages": ["English"], "variants": [], "num_papers": 2000,
         "data_loaders": []},
    ]


ITEMS = {
    "papers-with-abstracts": papers_items,
    "methods": methods_items,
    "evaluation-tables": eval_items,
    "links-between-papers-and-code": links_items,
    "datasets": datasets_items,
}


def write_dump(directory: Path, name: str, items, gz: bool = True) -> Path:
    """Write one dump file as the real dumps are: a JSON array, optionally gzipped."""
    directory.mkdir(parents=True, exist_ok=True)
    data = json.dumps(items, indent=1).encode()
    path = directory / f"{name}.json{'.gz' if gz else ''}"
    # mtime=0 keeps the gzip bytes (and so the version) deterministic.
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def write_all(directory: Path, gz: bool = True) -> Path:
    """All five hand-written dumps into ``directory``."""
    for name, items in ITEMS.items():
        write_dump(directory, name, items(), gz=gz)
    return directory


# --- tests -----------------------------------------------------------------------------------------

import pyarrow as pa  # noqa: E402
import pytest  # noqa: E402

import schemas  # noqa: E402
from pipeline.errors import MalformedPageError  # noqa: E402
from pipeline.ids import normalize_arxiv_id  # noqa: E402
from pipeline.sources.pwc.parser import (  # noqa: E402
    DUMPS, FEEDS, QUARANTINE, iter_items, parse_dump, parse_metric,
)


def parse_all(name: str, path: Path, batch_rows: int = 20_000) -> dict[str, pa.Table]:
    """Every batch of a dump concatenated per dataset."""
    parts: dict[str, list[pa.Table]] = collections.defaultdict(list)
    for key, table in parse_dump(name, path, batch_rows=batch_rows):
        assert table.schema.equals(schemas.get(key).schema)
        parts[key].append(table)
    return {key: pa.concat_tables(tables) for key, tables in parts.items()}


def rows_of(table: pa.Table) -> list[dict]:
    return table.to_pylist() if table is not None else []


def test_grain_keys_match_the_declared_schemas():
    assert set(DUMPS) == set(FEEDS)
    for keys in FEEDS.values():
        for key in keys:
            spec = schemas.get(key)
            assert spec.key_columns, key
            for column in spec.key_columns:
                assert column in spec.grain
                assert not spec.schema.field(column).nullable


# --- real samples ------------------------------------------------------------------------------

@pytest.mark.parametrize("file_name", ["methods.json", "methods.json.gz"])
def test_real_methods_dump(real_data, file_name):
    path = real_data / "pwc-methods-2022" / file_name
    raw = json.loads((real_data / "pwc-methods-2022" / "methods.json").read_text())
    out = parse_all("methods", path, batch_rows=500)
    methods, collections_ = rows_of(out["pwc/methods"]), rows_of(out["pwc/method_collections"])
    assert QUARANTINE not in out
    assert len(methods) == len(raw) == 1924
    expected_links = [(m["url"], c["collection"]) for m in raw for c in m["collections"]]
    assert [(r["method_url"], r["collection"]) for r in collections_] == expected_links
    assert len({r["collection"] for r in collections_}) == 348
    # introduced_year 2000 is PwC's placeholder: null, never 2000.
    placeholder = sum(1 for m in raw if m["introduced_year"] == 2000)
    assert placeholder == 1866
    assert sum(1 for r in methods if r["introduced_year"] is None) == placeholder
    assert all(r["introduced_year"] != 2000 for r in methods)
    # paper: null → null paper columns; otherwise the nested paper is kept.
    assert sum(1 for m in raw if m["paper"] is None) == 178
    assert sum(1 for r in methods if r["paper_url"] is None) == 178
    by_url = {r["method_url"]: r for r in methods}
    for m in raw[:50]:
        row = by_url[m["url"]]
        assert (row["name"], row["full_name"], row["num_papers"]) == (m["name"], m["full_name"], m["num_papers"])
        assert row["paper_title"] == (m["paper"] or {}).get("title")


def test_real_methods_json_and_gzip_agree(real_data):
    folder = real_data / "pwc-methods-2022"
    plain, gz = parse_all("methods", folder / "methods.json"), parse_all("methods", folder / "methods.json.gz")
    for key in plain:
        assert plain[key].equals(gz[key])


def _walk_eval(tasks) -> dict:
    """Independent count of the evaluation tables with plain json (the reference for the parser)."""
    c = {"tasks": 0, "subtasks": 0, "datasets": 0, "subdatasets": 0, "rows": 0, "cells": 0,
         "task_keys": set(), "dataset_keys": set(), "result_keys": set(), "arxiv_cells": 0}

    def dataset(task, d, parent):
        name = d["dataset"] if parent is None else f"{parent} / {d.get('subdataset') or d.get('dataset')}"
        c["datasets"] += 1
        c["subdatasets"] += parent is not None
        c["dataset_keys"].add((task, name))
        for i, row in enumerate((d.get("sota") or {}).get("rows") or []):
            c["rows"] += 1
            for metric in row.get("metrics") or {}:
                c["cells"] += 1
                c["result_keys"].add((task, name, i, metric))
                c["arxiv_cells"] += "arxiv.org/" in (row.get("paper_url") or "")
        for sub in d.get("subdatasets") or []:
            dataset(task, sub, name)

    def task(t, parent):
        c["tasks"] += 1
        c["subtasks"] += parent is not None
        c["task_keys"].add(t["task"])
        for d in t.get("datasets") or []:
            dataset(t["task"], d, None)
        for sub in t.get("subtasks") or []:
            task(sub, t["task"])

    for t in tasks:
        task(t, None)
    return c


def test_real_evaluation_tables(real_data):
    files = sorted((real_data / "pwc-sota-extractor").glob("*.json"))
    assert len(files) == 12
    totals = collections.Counter()
    for path in files:
        ref = _walk_eval(json.loads(path.read_text()))
        out = parse_all("evaluation-tables", path, batch_rows=300)
        assert QUARANTINE not in out, path.name
        tasks, datasets, results = (rows_of(out.get(k)) for k in FEEDS["evaluation-tables"])
        # Before the loader's dedupe every task/dataset/metric cell is one row.
        assert len(tasks) == ref["tasks"], path.name
        assert len(datasets) == ref["datasets"], path.name
        assert len(results) == ref["cells"], path.name
        assert {r["task"] for r in tasks} == ref["task_keys"]
        assert {(r["task"], r["dataset"]) for r in datasets} == ref["dataset_keys"]
        assert {(r["task"], r["dataset"], r["row_index"], r["metric_name"]) for r in results} == ref["result_keys"]
        assert len({(r["task"], r["dataset"], r["row_index"]) for r in results}) <= ref["rows"]
        assert sum(r["parent_task"] is not None for r in tasks) == ref["subtasks"]
        assert sum(r["parent_dataset"] is not None for r in datasets) == ref["subdatasets"]
        assert sum(r["arxiv_id"] is not None for r in results) == ref["arxiv_cells"]
        totals.update(tasks=ref["tasks"], datasets=ref["datasets"], rows=ref["rows"],
                      subtasks=ref["subtasks"], subdatasets=ref["subdatasets"])
        for r in results:
            if r["arxiv_id"]:
                assert r["arxiv_id"] in r["paper_url"]
    assert (totals["tasks"], totals["datasets"], totals["rows"]) == (194, 372, 3826)
    assert totals["subtasks"] > 0 and totals["subdatasets"] > 0


def test_real_evaluation_rows_without_dates_and_odd_cells(real_data):
    out = parse_all("evaluation-tables", real_data / "pwc-sota-extractor" / "nlpprogress.json")
    results = rows_of(out["pwc/eval_results"])
    assert any(r["paper_date"] is None for r in results)
    assert all(isinstance(r["paper_date"], date) for r in results if r["paper_date"] is not None)
    unparsed = [r for r in results if r["metric_value"] is None and r["metric_value_raw"]]
    assert unparsed and all(r["metric_value_raw"] for r in unparsed)
    numeric = [r for r in results if r["metric_value"] is not None]
    assert len(numeric) > len(results) / 2


def test_real_code_links_projection(real_data):
    path = real_data / "pwc-links-grimrepor" / "links_projection.json"
    raw = json.loads(path.read_text())
    out = parse_all("links-between-papers-and-code", path, batch_rows=1000)
    links = rows_of(out["pwc/code_links"])
    assert len(links) == len(raw) == 2297
    assert QUARANTINE not in out
    assert [(r["paper_url"], r["repo_url"]) for r in links] == [(r["paper_url"], r["repo_url"]) for r in raw]
    assert sum(r["arxiv_id"] is not None for r in links) == sum(
        normalize_arxiv_id(r["paper_arxiv_id"]) is not None for r in raw)
    assert collections.Counter(r["framework"] for r in links) == collections.Counter(r["framework"] for r in raw)
    # The projection has only six of the dump's columns: the others are null, not invented.
    assert all(r["mentioned_in_paper"] is None and r["paper_url_abs"] is None for r in links)


# --- hand-written dumps in the real layout -------------------------------------------------------

def test_papers_with_abstracts_flattened(tmp_path):
    path = write_dump(tmp_path, "papers-with-abstracts", papers_items())
    out = parse_all("papers-with-abstracts", path)
    papers = rows_of(out["pwc/papers"])
    assert [p["paper_url"] for p in papers] == [ATTENTION["paper_url"], RESNET_PAPER["paper_url"],
                                                JOURNAL_PAPER["paper_url"], ATTENTION["paper_url"],
                                                BAD_METHODS_PAPER["paper_url"]]
    first = papers[0]
    assert first["arxiv_id"] == "1706.03762"
    assert first["authors"] == ATTENTION["authors"]
    assert first["date"] == date(2017, 6, 12)
    assert papers[1]["arxiv_id"] == "1512.03385"  # from url_abs when arxiv_id is null
    assert papers[2]["arxiv_id"] is None and papers[2]["date"] is None
    tasks = [(r["paper_url"], r["task"]) for r in rows_of(out["pwc/paper_tasks"])]
    assert tasks[:3] == [(ATTENTION["paper_url"], t) for t in ATTENTION["tasks"]]  # dedupe is the loader's job
    methods = {(r["paper_url"], r["method_name"]): r for r in rows_of(out["pwc/paper_methods"])}
    transformer = methods[(ATTENTION["paper_url"], "Transformer")]
    assert transformer["introduced_year"] is None  # placeholder 2000
    assert (transformer["main_collection"], transformer["main_collection_area"]) == (
        "Transformers", "Natural Language Processing")
    assert methods[(ATTENTION["paper_url"], "Adam")]["introduced_year"] == 2014
    resnet = methods[(RESNET_PAPER["paper_url"], "ResNet")]
    assert resnet["main_collection"] is None and resnet["introduced_year"] == 2015
    assert methods[(BAD_METHODS_PAPER["paper_url"], "Dropout")]["arxiv_id"] is None


def test_unusable_records_are_quarantined_with_reason_raw_and_location(tmp_path):
    path = write_dump(tmp_path, "papers-with-abstracts", papers_items(), gz=False)
    quarantine = rows_of(parse_all("papers-with-abstracts", path)[QUARANTINE])
    by_location = {q["location"]: q for q in quarantine}
    assert set(by_location) == {
        "papers-with-abstracts.json#item 4", "papers-with-abstracts.json#item 5",
        "papers-with-abstracts.json#item 6", "papers-with-abstracts.json#item 7.methods[0]",
        "papers-with-abstracts.json#item 7.methods[1]"}
    assert "expected an object" in by_location["papers-with-abstracts.json#item 4"]["reason"]
    assert by_location["papers-with-abstracts.json#item 4"]["raw"] == "42"
    missing = by_location["papers-with-abstracts.json#item 5"]
    assert "paper_url" in missing["reason"] and json.loads(missing["raw"]) == {"title": "no paper_url"}
    wrong = by_location["papers-with-abstracts.json#item 6"]
    assert wrong["record_key"] == "https://paperswithcode.com/paper/bad-types"
    assert "'title'" in wrong["reason"] and wrong["dataset"] == "pwc/papers"
    nested = by_location["papers-with-abstracts.json#item 7.methods[1]"]
    assert nested["dataset"] == "pwc/paper_methods" and "'name'" in nested["reason"]
    assert all(q["ingested_at"] is not None for q in quarantine)


def test_quarantined_raw_is_truncated(tmp_path):
    huge = {"paper_url": "https://paperswithcode.com/paper/huge", "title": ["not", "a", "string"],
            "abstract": "x" * 200_000}
    path = write_dump(tmp_path, "papers-with-abstracts", [huge])
    quarantine = rows_of(parse_all("papers-with-abstracts", path)[QUARANTINE])
    assert len(quarantine) == 1 and len(quarantine[0]["raw"]) == 64 * 1024


def test_methods_quirks_missing_areas_and_null_paper(tmp_path):
    out = parse_all("methods", write_dump(tmp_path, "methods", methods_items()))
    methods = {r["name"]: r for r in rows_of(out["pwc/methods"])}
    assert methods["Transformer"]["introduced_year"] is None
    assert methods["Adam"]["paper_url"] is None and methods["Adam"]["introduced_year"] == 2014
    collections_ = rows_of(out["pwc/method_collections"])
    assert [(r["method_name"], r["collection"], r["area"]) for r in collections_] == [
        ("Transformer", "Transformers", "Natural Language Processing"),
        ("Adam", "Stochastic Optimization", None), ("Adam", "Adaptive Optimizers", None)]


def test_evaluation_tables_subtasks_subdatasets_and_metric_cells(tmp_path):
    out = parse_all("evaluation-tables", write_dump(tmp_path, "evaluation-tables", eval_items()))
    tasks = rows_of(out["pwc/eval_tasks"])
    assert [(t["task"], t["parent_task"]) for t in tasks] == [
        ("Question Answering", None), ("Open-Domain Question Answering", "Question Answering")]
    datasets = rows_of(out["pwc/eval_datasets"])
    assert [(d["dataset"], d["parent_dataset"], d["metrics"]) for d in datasets] == [
        ("SQuAD1.1", None, ["EM", "F1"]), ("SQuAD1.1 / Dev", "SQuAD1.1", ["EM"])]
    results = [(r["dataset"], r["row_index"], r["metric_name"], r["metric_value_raw"], r["metric_value"],
                r["arxiv_id"], r["paper_date"]) for r in rows_of(out["pwc/eval_results"])]
    assert results == [
        ("SQuAD1.1", 0, "EM", "85.1", 85.1, "1810.04805", date(2018, 10, 11)),
        ("SQuAD1.1", 0, "F1", "91.8%", 91.8, "1810.04805", date(2018, 10, 11)),
        ("SQuAD1.1", 1, "EM", "-", None, None, None),
        ("SQuAD1.1", 1, "F1", "91.2", 91.2, None, None),
        ("SQuAD1.1 / Dev", 0, "EM", "1,234", 1234.0, None, None),
    ]


def test_bad_leaderboard_row_is_quarantined_alone(tmp_path):
    items = eval_items()
    items[0]["datasets"][0]["sota"]["rows"].insert(1, "not a row")
    items[0]["datasets"][0]["sota"]["rows"].append({"model_name": "Y", "metrics": {"EM": "1"}, "paper_date": "someday"})
    out = parse_all("evaluation-tables", write_dump(tmp_path, "evaluation-tables", items))
    quarantine = rows_of(out[QUARANTINE])
    assert [q["location"] for q in quarantine] == [
        "evaluation-tables.json.gz#item 0.datasets[0].sota.rows[1]",
        "evaluation-tables.json.gz#item 0.datasets[0].sota.rows[3]"]
    assert "paper_date" in quarantine[1]["reason"]
    assert len(rows_of(out["pwc/eval_results"])) == 5  # the good rows all survive


def test_datasets_dump(tmp_path):
    out = parse_all("datasets", write_dump(tmp_path, "datasets", datasets_items()))
    rows = rows_of(out["pwc/datasets"])
    imagenet, squad = rows
    assert imagenet["tasks"] == ["Image Classification", "Object Detection"]
    assert imagenet["introduced_date"] == date(2009, 6, 20)
    assert imagenet["paper_title"].startswith("ImageNet") and imagenet["num_papers"] == 12000
    assert squad["paper_url"] is None and squad["languages"] == ["English"] and squad["tasks"] == []


@pytest.mark.parametrize("cell, expected", [
    ("93.2", 93.2), ("93.2%", 93.2), ("1,234", 1234.0), ("1,234.5", 1234.5), ("-", None), ("--", None),
    ("", None), ("−", None), ("−1.5", -1.5), ("**88.1**", 88.1), ("88.1*", 88.1), ("\ufeff45.2", 45.2),
    ("0.9386 ± 0.0012", 0.9386), ("12M", 12e6), ("1.5B", 1.5e9), ("88.1/90.2", None), ("Yes", None),
    ("94,2k", None), ("63.2 (measured by Ge et al., 2019)", 63.2), (91.2, 91.2), (7, 7.0), (None, None),
])
def test_metric_cells(cell, expected):
    raw, value = parse_metric(cell)
    assert value == (pytest.approx(expected) if expected is not None else None)
    if cell is None:
        assert raw is None
    elif isinstance(cell, str):
        assert raw == cell


# --- malformed files -----------------------------------------------------------------------------

def test_truncated_json_fails_naming_file_and_position(tmp_path):
    data = json.dumps(papers_items()[:3]).encode()
    path = tmp_path / "papers-with-abstracts.json"
    path.write_bytes(data[: len(data) - 40])
    expected = r"papers-with-abstracts\.json: invalid JSON after 2 complete items \(near decompressed byte [0-9,]+\)"
    with pytest.raises(MalformedPageError, match=expected + ": parse error"):
        list(parse_dump("papers-with-abstracts", path))


def test_invalid_json_syntax_fails(tmp_path):
    path = tmp_path / "methods.json"
    path.write_bytes(b'[{"url": "a", "name": "b"}, {url: 1}]')
    expected = r"methods\.json: invalid JSON after 1 complete items .*invalid char.*url: 1"
    with pytest.raises(MalformedPageError, match=expected):
        list(parse_dump("methods", path))


def test_corrupt_gzip_fails(tmp_path):
    good = gzip.compress(json.dumps(methods_items() * 200).encode(), mtime=0)
    truncated = tmp_path / "methods.json.gz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(MalformedPageError, match=r"methods\.json\.gz: corrupt or truncated"):
        list(parse_dump("methods", truncated))
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    truncated.write_bytes(bytes(flipped))
    with pytest.raises(MalformedPageError, match=r"methods\.json\.gz"):
        list(parse_dump("methods", truncated))
    truncated.write_bytes(b"<html>Not Found</html>")
    with pytest.raises(MalformedPageError, match="not a gzip file"):
        list(parse_dump("methods", truncated))


def test_not_an_array_fails(tmp_path):
    path = tmp_path / "datasets.json"
    path.write_text('{"results": []}')
    with pytest.raises(MalformedPageError, match="not a JSON array"):
        list(iter_items(path))
    path.write_text("")
    with pytest.raises(MalformedPageError, match="empty"):
        list(iter_items(path))


def test_batches_are_bounded(tmp_path):
    items = [{**ATTENTION, "paper_url": f"https://paperswithcode.com/paper/p{i}", "methods": []} for i in range(250)]
    path = write_dump(tmp_path, "papers-with-abstracts", items)
    sizes = [(key, t.num_rows) for key, t in parse_dump("papers-with-abstracts", path, batch_rows=100)]
    assert max(n for _, n in sizes) <= 100 + 3  # one item's rows past the threshold at most
    assert sum(n for key, n in sizes if key == "pwc/papers") == 250
