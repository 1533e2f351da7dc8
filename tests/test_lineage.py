"""The architecture-lineage graph: dating, edges, cycles, metrics, tables, exports and CLI."""

from __future__ import annotations

import json
import logging
from datetime import date
from types import SimpleNamespace

import duckdb
import networkx as nx
import pyarrow.parquet as pq
import pytest

from pipeline.classify.warehouse import load_taxonomy
from pipeline.lineage import graph as lg
from pipeline.lineage.warehouse import build_lineage

# name, full_name, description, introducing paper_url, introduced_year (staging already nulls 2000), collections
METHODS = [
    ("Multi-Head Attention", "Multi-Head Attention", "Runs several attention heads in parallel.", "pwc/attn", None, ["Attention Modules"]),
    ("Transformer", "Transformer", "The Transformer stacks Multi-Head Attention layers.", "pwc/attn", None, ["Transformers"]),
    ("BERT", "BERT", "A bidirectional encoder.", "pwc/bert", None, ["Transformers"]),
    ("Vision Transformer", "Vision Transformer", "Applies a Transformer to image patches.", "pwc/vit", None, ["Vision Transformers"]),
    ("DeiT", "Data-efficient Image Transformer", "A data-efficient Vision Transformer.", "pwc/deit", None, ["Vision Transformers"]),
    ("ResNet", "Residual Network", "Deep residual learning.", "pwc/resnet", None, ["Convolutional Neural Networks"]),
    ("Adam", "Adam", "An optimizer used by the Transformer.", "pwc/adam", None, ["Stochastic Optimization"]),
    ("OldNet", "Old Network", "Anticipates BERT by a decade (a PwC mislink).", "pwc/old", None, ["Transformers"]),
    ("CycA", "Cycle A", "Like CycB but better.", None, None, ["Transformers"]),
    ("CycB", "Cycle B", "Like CycA but faster.", None, None, ["Transformers"]),
    ("LSTM", "Long Short-Term Memory", "Gated recurrence.", None, 1997, ["Recurrent Neural Networks"]),
    ("Undated", "Undated Thing", "No paper, no year; builds on LSTM.", None, None, ["Recurrent Neural Networks"]),
]
# paper_url, arxiv_id, methods used
PAPER_METHODS = [
    ("pwc/bert", "1810.04805", ["Transformer", "Multi-Head Attention", "Adam"]),
    ("pwc/vit", "2010.11929", ["Transformer", "ResNet", "Adam"]),
    ("pwc/x1", "2005.00001", ["BERT"]),
    ("pwc/x2", "2101.00002", ["DeiT", "Adam"]),
    ("pwc/x3", "2102.00003", ["Adam"]),
    ("pwc/x4", None, ["BERT"]),  # not on arXiv: dated by the PwC paper record
]
# paper_id, pwc_paper_url, published_date
PAPERS = [
    ("1706.03762", "pwc/attn", date(2017, 6, 12)), ("1810.04805", "pwc/bert", date(2018, 10, 11)),
    ("2010.11929", "pwc/vit", date(2020, 10, 22)), ("2012.12877", "pwc/deit", date(2020, 12, 23)),
    ("1512.03385", "pwc/resnet", date(2015, 12, 10)), ("2005.00001", "pwc/x1", date(2020, 5, 1)),
    ("2101.00002", "pwc/x2", date(2021, 1, 5)), ("2102.00003", "pwc/x3", date(2021, 2, 1)),
]


@pytest.fixture
def built(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_pwc__methods (method_url VARCHAR, name VARCHAR, full_name VARCHAR, "
                "description VARCHAR, paper_url VARCHAR, paper_title VARCHAR, introduced_year INTEGER)")
    con.execute("CREATE TABLE stg_pwc__method_collections (method_url VARCHAR, method_name VARCHAR, "
                "collection VARCHAR, area_id VARCHAR, area VARCHAR)")
    con.execute("CREATE TABLE stg_pwc__paper_methods (paper_url VARCHAR, arxiv_id VARCHAR, method_name VARCHAR)")
    con.execute("CREATE TABLE stg_pwc__papers (paper_url VARCHAR, arxiv_id VARCHAR, title VARCHAR, date DATE)")
    con.execute("CREATE TABLE int_papers (paper_id VARCHAR, arxiv_id VARCHAR, pwc_paper_url VARCHAR, title VARCHAR, "
                "abstract VARCHAR, published_date DATE, year INTEGER, is_ml BOOLEAN)")
    for name, full, desc, url, year, cols in METHODS:
        con.execute("INSERT INTO stg_pwc__methods VALUES (?, ?, ?, ?, ?, NULL, ?)", [f"m/{name}", name, full, desc, url, year])
        for c in cols:
            con.execute("INSERT INTO stg_pwc__method_collections VALUES (?, ?, ?, NULL, NULL)", [f"m/{name}", name, c])
    for url, arxiv, used in PAPER_METHODS:
        for m in used:
            con.execute("INSERT INTO stg_pwc__paper_methods VALUES (?, ?, ?)", [url, arxiv, m])
    for pid, url, d in PAPERS:
        con.execute("INSERT INTO int_papers VALUES (?, ?, ?, 't', 'a', ?, ?, true)", [pid, pid, url, d, d.year])
        con.execute("INSERT INTO stg_pwc__papers VALUES (?, ?, 't', ?)", [url, pid, d])
    # OldNet's paper is known to PwC only (not on arXiv): dated from the PwC paper record.
    con.execute("INSERT INTO stg_pwc__papers VALUES ('pwc/old', NULL, 'old', DATE '2010-03-01')")
    con.execute("INSERT INTO stg_pwc__papers VALUES ('pwc/x4', NULL, 'x4', DATE '2022-03-01')")
    ctx = SimpleNamespace(settings=None, exports_dir=tmp_path / "exports", run_id="t", log=logging.getLogger("t"))
    load_taxonomy(con, ctx)
    build_lineage(con, ctx)
    return con, ctx


def q(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def test_methods_dated_by_introducing_paper_never_placeholder(built):
    con, _ = built
    got = {r[0]: r[1:] for r in q(con, "SELECT method_name, introduced_date, introduced_year, date_source, "
                                       "introducing_paper_id FROM dim_methods")}
    assert got["Transformer"] == (date(2017, 6, 12), 2017, "arxiv", "1706.03762")
    assert got["OldNet"] == (date(2010, 3, 1), 2010, "pwc_paper", None)
    assert got["LSTM"] == (None, 1997, "introduced_year", None)
    assert got["Undated"] == (None, None, "undated", None)
    assert all(r[1] != 2000 for r in got.values())
    assert q(con, "SELECT family, in_lineage FROM dim_methods WHERE method_name = 'Adam'") == [(None, False)]


def test_edges_from_paper_methods_and_descriptions(built):
    con, _ = built
    edges = {(p, c): e for p, c, e in q(con, "SELECT parent_method, child_method, evidence FROM fct_lineage_edges")}
    assert edges[("Transformer", "BERT")] == "paper_methods"
    assert edges[("Multi-Head Attention", "Transformer")] == "description"
    assert edges[("Transformer", "Vision Transformer")] == "description+paper_methods"
    assert edges[("ResNet", "Vision Transformer")] == "paper_methods"
    assert edges[("Vision Transformer", "DeiT")] == "description"
    assert edges[("LSTM", "Undated")] == "description"
    assert not any("Adam" in pc for pc in edges)  # generic methods are not in the lineage
    assert q(con, "SELECT child_date FROM fct_lineage_edges WHERE child_method = 'BERT' LIMIT 1") == [(date(2018, 10, 11),)]


def test_backward_edges_are_dropped_and_kept_aside(built):
    con, _ = built
    assert q(con, "SELECT parent_method, child_method FROM lineage_dropped_edges") == [("BERT", "OldNet")]
    assert q(con, "SELECT count(*) FROM fct_lineage_edges WHERE child_method = 'OldNet'") == [(0,)]


def test_cycle_reported_and_depth_finite(built):
    con, _ = built
    assert q(con, "SELECT cycle_id, methods, size FROM lineage_cycles") == [(1, ["CycA", "CycB"], 2)]
    rows = dict((r[0], r[1:]) for r in q(con, "SELECT method_name, depth, cycle_id, ancestors, descendants "
                                             "FROM fct_method_lineage WHERE method_name LIKE 'Cyc%'"))
    assert rows == {"CycA": (0, 1, 1, 1), "CycB": (0, 1, 1, 1)}


def test_ancestors_descendants_depth_and_downstream(built):
    con, _ = built
    m = {r[0]: r[1:] for r in q(con, "SELECT method_name, ancestors, descendants, depth, downstream_papers, "
                                     "is_foundation FROM fct_method_lineage")}
    assert m["Multi-Head Attention"][:3] == (0, 4, 0)       # Transformer, BERT, ViT, DeiT
    assert m["Transformer"][:3] == (1, 3, 1)
    assert m["BERT"][:3] == (2, 0, 2)
    assert m["Vision Transformer"][:3] == (3, 1, 2)         # ancestors: Transformer, MHA, ResNet
    assert m["DeiT"][:3] == (4, 0, 3)
    # papers using Transformer or a descendant: bert, vit (Transformer), x1, x4 (BERT), x2 (DeiT)
    assert m["Transformer"][3] == 5
    assert m["Multi-Head Attention"][3] == 5                # bert uses MHA; the rest via descendants
    assert not any(v[4] for v in m.values())                # nothing has >= 5 descendants here
    assert q(con, "SELECT year, downstream_methods, downstream_papers FROM fct_method_downstream_by_year "
                  "WHERE root_method = 'Transformer' ORDER BY year") == [(2018, 1, 1), (2020, 2, 2), (2021, 0, 1),
                                                                   (2022, 0, 1)]


def test_family_lineage(built):
    con, _ = built
    fam = {(p, c): n for p, c, n in q(con, "SELECT * FROM fct_family_lineage")}
    assert fam[("cnn", "transformer")] == 1
    assert fam[("rnn", "rnn")] == 1
    assert fam[("transformer", "transformer")] == 7  # MHA->T, MHA->BERT, T->BERT, T->ViT, ViT->DeiT, CycA<->CycB


def test_exports_readable(built):
    _, ctx = built
    g = nx.read_graphml(ctx.exports_dir / "lineage.graphml")
    assert g.has_edge("Transformer", "BERT") and g.nodes["Transformer"]["family"] == "transformer"
    assert g.nodes["Transformer"]["introduced_date"] == "2017-06-12"
    fg = nx.read_graphml(ctx.exports_dir / "family_lineage.graphml")
    assert fg.edges["cnn", "transformer"]["edges"] == 1
    edges = pq.read_table(ctx.exports_dir / "lineage_edges.parquet")
    assert {"parent_method", "child_method", "evidence", "child_date"} <= set(edges.column_names)
    assert pq.read_table(ctx.exports_dir / "lineage_nodes.parquet").num_rows == 11


def test_graph_cycle_handling_is_bounded():
    nodes = [{"method_name": n, "family": "cnn"} for n in "abcdef"]
    g = lg.build_graph(nodes, [("a", "b", "x"), ("b", "c", "x"), ("c", "a", "x"), ("c", "d", "x"),
                               ("d", "e", "x"), ("e", "d", "x"), ("e", "f", "x"), ("f", "f", "x")])
    assert lg.find_cycles(g) == [["a", "b", "c"], ["d", "e"]]
    assert lg.depths(g) == {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 2}
    assert lg.descendants(g, "d") == {"e", "f"} and lg.ancestors(g, "d") == {"a", "b", "c", "e"}
    m = lg.method_metrics(g, min_descendants=2, max_ancestors=2)
    assert m["a"]["is_foundation"] and not m["d"]["is_foundation"] and m["a"]["cycle_id"] == 1


def test_backward_rule_uses_finest_common_precision():
    assert lg.is_backward({"introduced_date": date(2020, 5, 1)}, {"introduced_date": date(2020, 1, 1)})
    assert not lg.is_backward({"introduced_year": 2020}, {"introduced_date": date(2020, 1, 1), "introduced_year": 2020})
    assert lg.is_backward({"introduced_year": 2021}, {"introduced_year": 2020})
    assert not lg.is_backward({}, {"introduced_year": 2020})


def test_name_matcher_rules():
    mm = lg.NameMatcher([("GAN", "Generative Adversarial Network"), ("ResNet", "Residual Network"),
                         ("mix", None), ("Attention", None), ("AE", None)],
                        min_len=3, short_len=4, stoplist=["Attention"])
    assert mm.named_in("A ResNet-50 backbone with a GAN loss") == {"ResNet", "GAN"}
    assert mm.named_in("BiGAN and resnets and a mix of Attention in an AE") == set()
    assert mm.named_in("uses generative adversarial networks") == set()  # plural is another word
    assert mm.named_in("a generative adversarial network") == {"GAN"}


def _publish(con, path):
    con.execute(f"ATTACH '{path}' AS pub")
    for t in ("dim_methods", "fct_lineage_edges", "fct_method_lineage", "fct_family_lineage"):
        con.execute(f"CREATE TABLE pub.{t} AS SELECT * FROM {t}")
    con.execute("DETACH pub")


def test_cli_queries_published_warehouse_read_only(built, settings, capsys, tmp_path):
    from pipeline.cli import main

    con, _ = built
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    _publish(con, settings.warehouse)
    home = ["--home", str(settings.home)]
    assert main(home + ["lineage", "--json", "ancestors", "ViT"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "Vision Transformer"
    assert {r["method"] for r in out["ancestors"]} == {"Transformer", "Multi-Head Attention", "ResNet"}
    assert main(home + ["lineage", "top", "--limit", "2", "--json"]) == 0
    assert [r["method"] for r in json.loads(capsys.readouterr().out)] == ["Multi-Head Attention", "Transformer"]
    assert main(home + ["lineage", "descendants", "transformer"]) == 0
    assert "descendants of Transformer: 3" in capsys.readouterr().out
    gml = tmp_path / "out.graphml"
    assert main(home + ["lineage", "export", "--graphml", str(gml)]) == 0
    assert nx.read_graphml(gml).number_of_edges() == q(con, "SELECT count(*) FROM fct_lineage_edges")[0][0]
    assert main(home + ["lineage", "ancestors", "NoSuchNet"]) == 2
    assert "no method named" in capsys.readouterr().err


def test_yaml_documented_tests_pass_on_built_tables(built):
    from pipeline.warehouse.runner import discover_models, run_model_tests

    con, _ = built
    from pipeline.classify.warehouse import classify_papers
    classify_papers(con, SimpleNamespace(settings=None, exports_dir=None, run_id="t", log=logging.getLogger("t")))
    names = ["dim_families", "int_collection_families", "int_method_families", "int_paper_text_families",
             "dim_methods", "fct_lineage_edges", "lineage_dropped_edges", "lineage_cycles", "fct_method_lineage",
             "fct_family_lineage", "fct_method_downstream_by_year"]
    models = {n: m for n, m in discover_models().items() if n in names}
    assert sorted(models) == sorted(names) and all(m.materialized == "python" for m in models.values())
    assert run_model_tests(con, models) == []
    for name, model in models.items():  # every documented column exists
        cols = {r[0] for r in q(con, "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", name)}
        assert set(model.columns) <= cols, name
