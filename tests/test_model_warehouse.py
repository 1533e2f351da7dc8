"""The model-lineage warehouse on the real trees: every link lands, and the indicators agree with a
plain-Python reference implementation written here from the definitions."""

from __future__ import annotations

import gzip
import json
import os
from collections import defaultdict, deque
from pathlib import Path

import duckdb
import networkx as nx
import pytest

from pipeline.models_lineage.warehouse import descendants_of_roots, lineage_graph

REAL_SCALE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-scale"
TREES = REAL_SCALE / "hf-model-trees"


def _bare(s: str) -> str:
    return s.split("huggingface.co/", 1)[-1].strip("/")


def raw_links(files) -> set:
    """(base, child) pairs read straight from the export files (tags and listings), no parser."""
    pairs = set()
    for f in files:
        for rec in json.load(gzip.open(f))["models"]:
            mid = _bare(rec["model_id"])
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
    return pairs


@pytest.fixture(scope="module")
def real_wh(tmp_path_factory):
    if not TREES.is_dir():
        pytest.skip("real HF model trees not present")
    from pipeline.cli import main
    from pipeline.config import load_settings

    home = tmp_path_factory.mktemp("models_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLGRAPH_")}
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        assert main(["--home", str(home), "ingest", "hf", "--path", str(TREES)]) == 0
        epoch = REAL_SCALE / "epoch-notable-models" / "notable_ai_models.unlabelled-subset.csv"
        if epoch.is_file():
            assert main(["--home", str(home), "ingest", "epoch", "--path", str(epoch)]) == 0
        if (REAL_SCALE / "crfm-ecosystem-graphs").is_dir():
            assert main(["--home", str(home), "ingest", "ecosystem-graphs", "--path",
                         str(REAL_SCALE / "crfm-ecosystem-graphs")]) == 0
        assert main(["--home", str(home), "build", "--no-gates"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(old)
    settings = load_settings(env={}, home=home)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con, settings
    con.close()


@pytest.mark.slow
def test_every_raw_link_is_in_fct_model_lineage(real_wh):
    con, _ = real_wh
    expected = raw_links(sorted(TREES.glob("*.json.gz")))
    got = set(con.execute("SELECT base_model_id, model_id FROM fct_model_lineage WHERE source = 'hf'").fetchall())
    assert len(expected) == 3633
    assert got == expected


@pytest.mark.slow
def test_models_per_tree_and_families(real_wh):
    con, _ = real_wh
    per_root = dict(con.execute("SELECT tree_root, count(*) FROM dim_models WHERE info_status IS NOT NULL "
                                "GROUP BY 1").fetchall())
    assert per_root["meta-llama/Llama-2-7b-chat-hf"] == 465
    assert per_root["microsoft/phi-2"] == 315
    fam = dict(con.execute("SELECT model_id, family FROM dim_models").fetchall())
    assert fam["stabilityai/stable-diffusion-2-1"] == "diffusion"
    assert fam["meta-llama/Llama-2-7b-chat-hf"] == "transformer"
    assert fam["microsoft/phi-2"] == "transformer"


def _reference_descendants(edges) -> dict[str, dict[str, int]]:
    """Foundation model → {descendant: depth} by breadth-first search (graph here is acyclic)."""
    children, has_base = defaultdict(set), set()
    for b, c in edges:
        children[b].add(c)
        has_base.add(c)
    out = {}
    for root in sorted(set(children) - has_base):
        depth, queue = {root: 0}, deque([root])
        while queue:
            n = queue.popleft()
            for c in children[n]:
                if c not in depth:
                    depth[c] = depth[n] + 1
                    queue.append(c)
        del depth[root]
        out[root] = depth
    return out


@pytest.mark.slow
def test_indicators_match_the_reference_implementation(real_wh):
    con, _ = real_wh
    assert con.execute("SELECT count(*) FROM model_lineage_cycles").fetchall()[0][0] == 0
    lineage = con.execute("SELECT base_model_id, model_id, relation, created_year FROM fct_model_lineage").fetchall()
    created = dict(con.execute("SELECT model_id, created_date FROM dim_models").fetchall())
    org = dict(con.execute("SELECT model_id, coalesce(organisation, 'unknown') FROM dim_models").fetchall())

    # Descendants and time to the 10th / 100th derivative.
    ref = _reference_descendants({(b, c) for b, c, _, _ in lineage})
    built = defaultdict(dict)
    for f, m, d in con.execute("SELECT foundation_model_id, model_id, depth FROM fct_model_descendants").fetchall():
        built[f][m] = d
    assert dict(built) == ref
    ttd = {r[0]: r[1:] for r in con.execute(
        "SELECT foundation_model_id, days_to_10, days_to_100, low_n FROM ind_model_time_to_derivatives").fetchall()}
    for root, desc in ref.items():
        dates = sorted(created[m] for m in desc if created.get(m))
        want10 = (dates[9] - created[root]).days if len(dates) >= 10 and created.get(root) else None
        want100 = (dates[99] - created[root]).days if len(dates) >= 100 and created.get(root) else None
        assert ttd[root][:2] == (want10, want100), root
        assert ttd[root][2] == (len(dates) < 10)

    # HHI across base models and base organisations, and the top-5 organisation share, all years.
    derived = [(b, c) for b, c, rel, _ in lineage if rel != "dependency"]
    k = defaultdict(set)
    for b, c in derived:
        k[c].add(b)
    by_base, by_org = defaultdict(float), defaultdict(float)
    for b, c in set(derived):
        by_base[b] += 1 / len(k[c])
        by_org[org.get(b, "unknown")] += 1 / len(k[c])
    total = sum(by_base.values())
    hhi_base = sum((v / total) ** 2 for v in by_base.values())
    hhi_org = sum((v / total) ** 2 for v in by_org.values())
    top5 = sum(sorted(by_org.values(), reverse=True)[:5]) / total
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT level, n_derived, hhi, top5_org_share FROM ind_model_concentration WHERE period = 'all'").fetchall()}
    assert got["base_model"][0] == pytest.approx(total)
    assert got["base_model"][1] == pytest.approx(hhi_base)
    assert got["base_organisation"][1] == pytest.approx(hhi_org)
    assert got["base_organisation"][2] == pytest.approx(top5)

    # Direct derivatives per base, year and relation.
    per = defaultdict(set)
    for b, c, rel, y in lineage:
        if y is not None:
            per[(b, y, rel)].add(c)
    rows = con.execute("SELECT base_model_id, year, relation, n_direct FROM ind_model_derivatives WHERE n_direct > 0").fetchall()
    assert {(b, y, r): n for b, y, r, n in rows} == {key: len(v) for key, v in per.items()}


@pytest.mark.slow
def test_graphml_export_has_every_edge(real_wh):
    con, settings = real_wh
    g = nx.read_graphml(settings.warehouse.parent / "exports" / "model_lineage.graphml")
    n_edges = con.execute("SELECT count(DISTINCT (base_model_id, model_id)) FROM fct_model_lineage").fetchall()[0][0]
    assert g.number_of_edges() == n_edges
    assert g.nodes["microsoft/phi-2"]["organisation"] == "Microsoft"


def test_cycles_through_merges_are_condensed_never_walked():
    # a ← root; b merges a and c; c merges b (a cycle b ↔ c); d fine-tunes c.
    edges = [("root", "a", "finetune", "hf"), ("a", "b", "merge", "hf"), ("c", "b", "merge", "hf"),
             ("b", "c", "merge", "hf"), ("c", "d", "finetune", "hf")]
    g = lineage_graph(edges)
    desc = {(r["foundation_model_id"], r["model_id"]): r["depth"] for r in descendants_of_roots(g)}
    assert desc == {("root", "a"): 1, ("root", "b"): 2, ("root", "c"): 2, ("root", "d"): 3}


@pytest.mark.slow
def test_model_tables_are_documented_in_the_database_and_the_docs(real_wh):
    import yaml

    from pipeline.warehouse.runner import REPO, discover_models, run_model_tests

    con, _ = real_wh
    models = {n: m for n, m in discover_models().items()
              if n.startswith(("ind_model_", "fct_model_", "dim_models", "mart_model_", "model_lineage_",
                               "int_model_", "stg_hf__", "stg_epoch__", "stg_ecosystem__"))}
    assert len(models) == 16
    for name, model in models.items():
        comments = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?",
                                    [name]).fetchall())
        assert comments and all(comments.values()), name
        spec = yaml.safe_load(model.yaml_path.read_text())
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = ?", [name]).fetchall())
        for col, cspec in spec["columns"].items():
            assert cspec.get("type") == types[col], (name, col, types[col])
        if model.layer == "indicators":
            doc = REPO / spec["docs"]
            assert f"`{name}`" in doc.read_text()
            assert "low_n" in spec["columns"]
    assert run_model_tests(con, models) == []
