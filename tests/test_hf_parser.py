"""The Hub model parser: real export records, and every kind of bad input the issue names."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.errors import MalformedPageError
from pipeline.models_lineage.aliases import alias_key, hub_id_from_url
from pipeline.sources.hf.parser import (normalize_model_id, parse_export, parse_model_info,
                                        read_export_file)

REAL_SCALE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-scale"
TREES = REAL_SCALE / "hf-model-trees"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _info(mid, tags=(), created="2024-01-02 03:04:05+00:00", **extra):
    d = {"id": mid, "author": mid.split("/")[0], "created_at": created, "tags": list(tags),
         "pipeline_tag": "text-generation", "library_name": "transformers",
         "config": {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}}
    d.update(extra)
    return d


def _rec(mid, depth=1, meta="default", **lists):
    info = _info(mid) if meta == "default" else meta
    rec = {"model_id": mid, "card": "---\nlicense: mit\n---\n# card", "depth": depth,
           "metadata": json.dumps(info) if isinstance(info, dict) else info}
    for key in ("children", "adapters", "quantized", "merges"):
        rec[key] = lists.get(key, [])
    return rec


def test_model_ids_are_normalised():
    assert normalize_model_id("https://huggingface.co/org/model") == "org/model"
    assert normalize_model_id(" org/model/ ") == "org/model"
    assert normalize_model_id("gpt2") == "gpt2"
    assert normalize_model_id("not a model") is None
    assert normalize_model_id(["org/model"]) is None


def test_tags_give_relations_and_arxiv_ids():
    info = _info("u/m", tags=["base_model:org/base", "base_model:adapter:org/base",
                               "base_model:quantized:org/other", "arxiv:2307.09288", "arxiv:2106.09685v2"])
    p = parse_model_info(info, tree_root="org/base", depth=1, fetched_at=NOW, location="t")
    links = {(l["base_model_id"], l["relation"], l["evidence"]) for l in p.links}
    assert links == {("org/base", "adapter", "tag"), ("org/other", "quantized", "tag")}
    assert p.models[0]["arxiv_ids"] == ["2106.09685", "2307.09288"]
    assert p.models[0]["created_at"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert p.quarantine == []


def test_card_base_list_becomes_a_merge_and_string_a_finetune():
    merged = parse_model_info(_info("u/merged", card_data="base_model:\n- a/x\n- b/y\n"),
                              tree_root=None, depth=1, fetched_at=NOW, location="t")
    assert {(l["base_model_id"], l["relation"], l["note"]) for l in merged.links} == {
        ("a/x", "merge", "base_list"), ("b/y", "merge", "base_list")}
    single = parse_model_info(_info("u/ft", cardData={"base_model": "a/x"}),
                              tree_root=None, depth=1, fetched_at=NOW, location="t")
    assert [(l["base_model_id"], l["relation"], l["evidence"]) for l in single.links] == [("a/x", "finetune", "card")]


def test_self_reference_is_quarantined_and_the_model_kept():
    p = parse_model_info(_info("u/m", tags=["base_model:finetune:u/m", "base_model:finetune:a/b"]),
                         tree_root=None, depth=1, fetched_at=NOW, location="t")
    assert [l["base_model_id"] for l in p.links] == ["a/b"]
    assert len(p.models) == 1
    assert [q["reason"] for q in p.quarantine] == ["self-reference: base_model names the model itself"]


def test_missing_created_at_is_recorded_and_the_model_kept():
    p = parse_model_info(_info("u/m", created=None), tree_root=None, depth=1, fetched_at=NOW, location="t")
    assert p.models[0]["created_at"] is None
    assert "missing created_at" in p.quarantine[0]["reason"]


def test_export_quirks_html_na_and_base_outside_tree():
    doc = {"models": [
        _rec("org/base", depth=0, children=["https://huggingface.co/u/a", "u/gone"], quantized=["org/base"]),
        _rec("https://huggingface.co/u/a", meta=_info("u/a", tags=["base_model:finetune:org/base",
                                                                  "base_model:finetune:elsewhere/x"])),
        _rec("u/html", meta="<!DOCTYPE html><html><body>502</body></html>"),
        _rec("u/gone", meta="N/A"),
        "not an object",
    ]}
    p = parse_export(doc, name="t.json", fetched_at=NOW)
    ids = {m["model_id"]: m["info_status"] for m in p.models}
    assert ids == {"org/base": "ok", "u/a": "ok", "u/html": "unavailable", "u/gone": "unavailable"}
    pairs = {(l["base_model_id"], l["model_id"], l["evidence"], l["note"]) for l in p.links}
    assert ("org/base", "u/a", "listing", None) in pairs
    assert ("org/base", "u/gone", "listing", None) in pairs
    assert ("org/base", "u/a", "tag", None) in pairs
    assert ("elsewhere/x", "u/a", "tag", "base_outside_tree") in pairs
    reasons = " | ".join(q["reason"] for q in p.quarantine)
    assert "an HTML page" in reasons
    assert "no model_info (N/A)" in reasons
    assert "lists itself" in reasons
    assert "not an object" in reasons


def test_unreadable_export_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(MalformedPageError, match="x.json.gz"):
        read_export_file(bad)
    (tmp_path / "y.json").write_text('{"nomodels": []}')
    with pytest.raises(MalformedPageError, match="models"):
        read_export_file(tmp_path / "y.json")


def test_alias_key_joins_the_three_spellings():
    assert alias_key("meta-llama/Llama-2-7b-hf", hub_id=True) == alias_key("Llama 2-7B") == alias_key("LLaMA-2-7B")
    assert alias_key("meta-llama/Llama-2-7b-chat-hf", hub_id=True) != alias_key("Llama 2-7B")
    assert alias_key("ViT-G/14") != alias_key("x/14", hub_id=True)
    assert alias_key("x/14", hub_id=True) is None
    assert hub_id_from_url("https://huggingface.co/01-ai/Yi-34B") == "01-ai/Yi-34B"
    assert hub_id_from_url("https://huggingface.co/datasets/x/y") is None


@pytest.mark.skipif(not TREES.is_dir(), reason="real HF model trees not present")
def test_real_trees_parse_with_every_record_handled():
    models = 0
    for path in sorted(TREES.glob("*.json.gz")):
        doc = read_export_file(path)
        p = parse_export(doc, name=path.name, fetched_at=NOW)
        # Every entry becomes exactly one model row; nothing is silently dropped.
        assert len({m["model_id"] for m in p.models}) == len(doc["models"])
        models += len(doc["models"])
        for q in p.quarantine:
            assert q["reason"].startswith("export has no model_info"), q["reason"]
    assert models == 1085
