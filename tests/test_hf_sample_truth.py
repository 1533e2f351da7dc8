"""The sample's planted model trees, crawled over loopback HTTP and built: the tables recover what
the generator planted (links, fan-out by relation, descendants, cycles, time to the 10th/100th)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import duckdb
import pytest

from pipeline.sample.ingest import ingest_sample_models
from pipeline.warehouse import build
from pipeline.warehouse.runner import SEEDS_DIR


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from pipeline.config import load_settings

    root = tmp_path_factory.mktemp("hf_truth")
    # the trees do not depend on the paper count: a small paper sample keeps this quick
    settings = load_settings(env={}, home=root / "home", http_backoff_seconds=0.01, sample_papers=300)
    result = ingest_sample_models(settings)
    truth = json.loads((settings.sample_dir / "hf" / "truth.json").read_text())
    candidate = build(settings, run_id="truth")
    con = duckdb.connect(str(candidate), read_only=True)
    yield truth, result, con
    con.close()


def _closure(links):
    children, has_base = defaultdict(set), set()
    for b, c, _ in links:
        children[b].add(c)
        has_base.add(c)
    out = {}
    for root in set(children) - has_base:
        seen, stack = set(), [root]
        while stack:
            for c in children[stack.pop()]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        out[root] = seen
    return out


@pytest.mark.slow
def test_links_fanout_and_descendants_are_the_planted_ones(planted):
    truth, result, con = planted
    assert result.outcome == "ok"
    links = {(b, c) for b, c, _ in truth["links"]}
    got = set(con.execute("SELECT base_model_id, model_id FROM fct_model_lineage WHERE source = 'hf'").fetchall())
    assert got == links and len(links) == truth["n_links"]
    rel = {(b, c): r for b, c, r in truth["links"]}
    got_rel = {(b, c): r for b, c, r in con.execute(
        "SELECT base_model_id, model_id, relation FROM fct_model_lineage WHERE source = 'hf'").fetchall()}
    assert got_rel == rel

    direct = defaultdict(lambda: defaultdict(int))
    for b, _, r in truth["links"]:
        direct[b][r] += 1
    fan = {r[0]: r[1:] for r in con.execute(
        "SELECT model_id, n_finetune, n_adapter, n_quantized, n_merge FROM mart_model_fanout").fetchall()}
    for fid in truth["foundation_models"]:
        want = tuple(direct[fid][r] for r in ("finetune", "adapter", "quantized", "merge"))
        assert fan[fid] == want, fid

    desc = defaultdict(set)
    for f, m in con.execute("SELECT foundation_model_id, model_id FROM fct_model_descendants").fetchall():
        desc[f].add(m)
    assert dict(desc) == _closure(truth["links"])
    cycles = [sorted(r[0]) for r in con.execute("SELECT models FROM model_lineage_cycles").fetchall()]
    assert cycles == truth["cycles"]


@pytest.mark.slow
def test_time_to_derivatives_and_reach_are_the_planted_ones(planted):
    truth, _, con = planted
    ttd = {r[0]: r[1:] for r in con.execute(
        "SELECT foundation_model_id, days_to_10, days_to_100 FROM ind_model_time_to_derivatives").fetchall()}
    # Acme-LM-1B also gains a merge from another tree, so its own-tree planted numbers do not apply.
    for fid in ("acme-ai/Acme-LM-7B", "pixel-labs/PixelDiffusion-1", "voxco/VoxTTS-82M"):
        t = truth["foundation_models"][fid]
        assert ttd[fid] == (t["days_to_10"], t["days_to_100"]), fid
    assert ttd["acme-ai/Acme-LM-7B"][1] is not None
    with open(SEEDS_DIR / "pipeline_tag_domains.csv", newline="") as fh:
        tag_domain = {r["pipeline_tag"]: r["domain"] for r in csv.DictReader(fh)}
    reach = dict(con.execute("SELECT foundation_model_id, n_hub_domains FROM ind_model_reach").fetchall())
    acme = truth["foundation_models"]["acme-ai/Acme-LM-7B"]
    assert reach["acme-ai/Acme-LM-7B"] == len({tag_domain[t] for t in acme["pipeline_tags"]}) == 3


@pytest.mark.slow
def test_planted_bad_input_is_recorded_and_the_rest_loads(planted):
    truth, result, con = planted
    models = con.execute("SELECT count(*) FROM dim_models WHERE source = 'hf'").fetchall()[0][0]
    assert models == sum(t["models_in_tree"] for t in truth["foundation_models"].values())
    assert result.quarantined >= len(truth["quarantine_reasons"])
    fam = dict(con.execute("SELECT model_id, family FROM dim_models").fetchall())
    assert fam["pixel-labs/PixelDiffusion-1"] == "diffusion"
    assert fam["acme-ai/Acme-LM-7B"] == "transformer"
    assert fam["voxco/VoxTTS-82M"] == "gan"
