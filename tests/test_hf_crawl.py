"""The Hub API crawler against the loopback fake Hub: pagination, bounded depth, faults, the token."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipeline.sample.hf_server import HubData, HubServer, load_exports
from pipeline.sources.hf import crawl_hub

REAL_SCALE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-scale"
TREES = REAL_SCALE / "hf-model-trees"
SMALL_TREES = ("bloom_", "Kokoro-82M_", "Janus-Pro-7B_", "DeepSeek-V3_", "ControlNet_", "openjourney_")


def _bare(s: str) -> str:
    return s.split("huggingface.co/", 1)[-1].strip("/")


def count_links(files) -> tuple[set, list[str]]:
    """(base, child) pairs straight from the raw files, and the tree roots: written without the parser."""
    pairs, roots = set(), []
    for f in files:
        for rec in json.load(gzip.open(f))["models"]:
            mid = _bare(rec["model_id"])
            if rec["depth"] == 0:
                roots.append(mid)
            for key in ("children", "adapters", "quantized", "merges"):
                pairs |= {(mid, _bare(c)) for c in rec[key]}
            try:
                meta = json.loads(rec["metadata"])
            except ValueError:
                continue
            for t in meta.get("tags", []):
                p = t.split(":", 2)
                if p[0] == "base_model" and len(p) == 3 and p[1] in ("finetune", "adapter", "quantized", "merge"):
                    pairs.add((p[2], mid))
    return pairs, roots


def lake_pairs(settings) -> set:
    glob = str(settings.lake / "raw" / "hf" / "links" / "*" / "*.parquet")
    return set(duckdb.sql(f"SELECT DISTINCT base_model_id, model_id FROM read_parquet('{glob}')").fetchall())


def _hub_settings(settings, url, **kw):
    return replace(settings, hf_api_url=url, hf_requests_per_second=0.0, **kw)


def _tiny() -> HubData:
    def rec(mid, depth, tags=(), **lists):
        meta = {"id": mid, "author": mid.split("/")[0], "created_at": "2024-01-01 00:00:00+00:00",
                "tags": list(tags), "pipeline_tag": "text-generation", "config": {"model_type": "llama"}}
        return {"model_id": mid, "depth": depth, "metadata": json.dumps(meta),
                **{k: lists.get(k, []) for k in ("children", "adapters", "quantized", "merges")}}
    data = HubData()
    data.add_export({"models": [
        rec("org/base", 0, children=["u/a", "u/b", "u/c", "u/gated", "u/html", "u/deleted"], adapters=["u/lora"]),
        rec("u/a", 1, ["base_model:finetune:org/base"], children=["u/a2"]),
        rec("u/b", 1, ["base_model:finetune:org/base"]),
        rec("u/c", 1, ["base_model:finetune:org/base"]),
        rec("u/gated", 1, ["base_model:finetune:org/base"]),
        rec("u/html", 1, ["base_model:finetune:org/base"]),
        rec("u/lora", 1, ["base_model:adapter:org/base"]),
        rec("u/a2", 2, ["base_model:finetune:u/a"]),
    ]})
    return data


def test_crawl_follows_link_pagination_and_records_every_fault(settings):
    with HubServer(_tiny(), page_size=2, gated={"u/gated"}, html_error={"u/html"}) as hub:
        result = crawl_hub(_hub_settings(settings, hub.url, hf_max_depth=5), seeds=["org/base"], batch="t")
        cursors = [e for e in hub.log if e.path == "/api/models" and "cursor" in e.query]
    assert result.outcome == "ok"
    assert cursors, "the six fine-tunes need three pages of two"
    assert ("org/base", "u/deleted") in lake_pairs(settings)
    assert ("u/a", "u/a2") in lake_pairs(settings)
    glob = str(settings.lake / "raw" / "hf")
    status = dict(duckdb.sql(f"SELECT model_id, info_status FROM read_parquet('{glob}/models/*/*.parquet')").fetchall())
    assert status["u/gated"] == "gated" and status["u/deleted"] == "not_found"
    assert status["u/html"] == "unavailable" and status["u/a2"] == "ok"
    reasons = [r[0] for r in duckdb.sql(f"SELECT reason FROM read_parquet('{glob}/quarantine/*/*.parquet')").fetchall()]
    assert any("gated" in r for r in reasons) and any("not_found" in r for r in reasons)
    assert any("HTML" in r for r in reasons)
    log = dict(duckdb.sql(f"SELECT model_id || ' ' || url, http_status FROM read_parquet('{glob}/fetch_log/*/*.parquet') "
                          "WHERE url LIKE '%/api/models/u/%'").fetchall())
    assert log[f"u/gated {hub.url}/api/models/u/gated"] == 401


def test_depth_and_request_budget_bound_the_crawl(settings):
    with HubServer(_tiny()) as hub:
        crawl_hub(_hub_settings(settings, hub.url, hf_max_depth=1), seeds=["org/base"], batch="d1")
        assert ("u/a", "u/a2") not in lake_pairs(settings)
        assert not any(e.path == "/api/models/u/a2" for e in hub.log)
        result = crawl_hub(_hub_settings(settings, hub.url, hf_max_requests=3), seeds=["org/base"], batch="d2")
        assert len(hub.log) <= 3 + 5 + 9  # the first crawl's 1 + 4 listings + 7 infos (+ pages), then 3
    assert result.outcome == "partial" and "budget" in result.detail


def test_retry_after_is_honoured_and_the_token_goes_only_to_the_hub(settings, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    waits = []
    with HubServer(_tiny(), token="s3cret", gated={"u/gated"}, faults=[(429, "2"), (503, None)]) as hub:
        from pipeline.http import HttpClient
        http = HttpClient(name="hf", max_retries=3, backoff=0.0, sleep=waits.append)
        s = _hub_settings(settings, hub.url, hf_token="s3cret", hf_max_depth=1)
        crawl_hub(s, seeds=["org/base"], batch="tok", http=http)
        assert 2.0 in waits
        assert all(e.authorization and e.token_ok for e in hub.log)
        assert ("org/base", "u/gated") in lake_pairs(settings)
        status = dict(duckdb.sql(f"SELECT model_id, info_status FROM read_parquet('{settings.lake}/raw/hf/models/*/*.parquet')").fetchall())
        assert status["u/gated"] == "ok"
    assert "s3cret" not in repr(s) and "s3cret" not in caplog.text
    assert "retry" in caplog.text  # the 429 and 503 were logged, without the token
    from pipeline.errors import ConfigError
    with pytest.raises(ConfigError):
        crawl_hub(replace(s, hf_max_requests=0), seeds=["org/base"], batch="bad")
    # A next link to another host gets no token.
    from pipeline.sources.hf.client import HubCrawler
    crawler = HubCrawler(s, "http://127.0.0.1:1")
    assert crawler._headers("http://evil.example/api/models") == {}
    assert crawler._headers("http://127.0.0.1:1/api/models") == {"Authorization": "Bearer s3cret"}


@pytest.mark.skipif(not TREES.is_dir(), reason="real HF model trees not present")
def test_crawl_of_real_trees_over_http_finds_every_link(settings):
    files = [f for f in sorted(TREES.glob("*.json.gz")) if f.name.startswith(SMALL_TREES)]
    expected, roots = count_links(files)
    with HubServer(load_exports(files)) as hub:
        result = crawl_hub(_hub_settings(settings, hub.url, hf_max_depth=4, hf_max_requests=20000),
                           seeds=roots, batch="real")
    assert result.outcome == "ok"
    assert len(expected) > 200
    missing = expected - lake_pairs(settings)
    assert not missing, sorted(missing)[:5]
