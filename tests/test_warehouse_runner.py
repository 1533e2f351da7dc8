"""The model runner (discovery, ordering, documentation checks), write–audit–publish and PageRank."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import duckdb
import networkx as nx
import numpy as np
import pytest

from pipeline.errors import MlgraphError
from pipeline.warehouse import build, build_and_publish, publish, rollback
from pipeline.warehouse.builder import candidates_dir, previous_path
from pipeline.warehouse.citations import pagerank
from pipeline.warehouse.contracts import ModelError, build_order, discover_models
from warehouse_fixtures import copy_models, write_small_lake


def write_model(root: Path, layer: str, name: str, sql: str | None, columns: dict[str, str], extra: str = "") -> None:
    """A model file pair; ``sql=None`` makes a Python model (put step/inputs in ``extra``).

    ``columns`` maps a column to its DuckDB type.
    """
    (root / layer).mkdir(parents=True, exist_ok=True)
    if sql is not None:
        (root / layer / f"{name}.sql").write_text(sql)
    else:
        extra = "materialized: python\n" + extra
    cols = "".join(f"  {c}:\n    type: {t}\n    description: column {c}\n" for c, t in columns.items())
    (root / layer / f"{name}.yml").write_text(f"name: {name}\ndescription: test model {name}\n{extra}columns:\n{cols}")


X = {"x": "INTEGER"}


def test_models_ordered_by_their_references(tmp_path):
    write_model(tmp_path, "marts", "c_last", "SELECT x FROM b_middle", X)
    write_model(tmp_path, "marts", "b_middle", "SELECT x FROM a_first -- not c_last", X)
    write_model(tmp_path, "marts", "a_first", "SELECT 1 AS x", X)
    models = discover_models(tmp_path)
    assert models["c_last"].depends_on == {"b_middle"}
    assert models["b_middle"].depends_on == {"a_first"}  # names in comments are not references
    assert [n.name for n in build_order(models)] == ["a_first", "b_middle", "c_last"]


# Python steps for the declaration tests, found by "test_warehouse_runner:NAME" (tests/ is on sys.path).
def make_pair(con, ctx):
    con.execute("CREATE TABLE py_pair_a AS SELECT x + 10 AS x FROM int_base")
    con.execute("CREATE TABLE py_pair_b AS SELECT x, 'b' AS tag FROM int_base")


def make_one_only(con, ctx):
    con.execute("CREATE TABLE py_pair_a AS SELECT 1 AS x")


def make_pair_and_rogue(con, ctx):
    make_pair(con, ctx)
    con.execute("CREATE TABLE rogue AS SELECT 1 AS x")


def make_wrong_type(con, ctx):
    con.execute("CREATE TABLE py_pair_a AS SELECT CAST(x AS VARCHAR) AS x FROM int_base")
    con.execute("CREATE TABLE py_pair_b AS SELECT x, 'b' AS tag FROM int_base")


def pair_fixture(root: Path, step: str = "make_pair") -> None:
    """SQL int_base → one Python step making py_pair_a and py_pair_b → SQL marts reading both."""
    write_model(root, "intermediate", "int_base", "SELECT 1 AS x UNION ALL SELECT 2", X)
    declared = f'step: "test_warehouse_runner:{step}"\n'
    write_model(root, "marts", "py_pair_a", None, X, declared + "inputs: [int_base]\n")
    write_model(root, "marts", "py_pair_b", None, {"x": "INTEGER", "tag": "VARCHAR"}, declared + "inputs: [int_base]\n")
    write_model(root, "marts", "fct_after", "SELECT a.x, b.tag FROM py_pair_a a JOIN py_pair_b b ON a.x - 10 = b.x",
                {"x": "INTEGER", "tag": "VARCHAR"})
    write_model(root, "indicators", "ind_last", "SELECT count(*) AS n FROM fct_after", {"n": "BIGINT"})


def test_order_comes_from_sql_text_and_declared_inputs(tmp_path):
    pair_fixture(tmp_path)
    order = build_order(discover_models(tmp_path))
    assert [(n.kind, n.name) for n in order] == [
        ("sql", "int_base"), ("step", "test_warehouse_runner:make_pair"), ("sql", "fct_after"), ("sql", "ind_last")]
    assert order[1].outputs == ["py_pair_a", "py_pair_b"]  # one step, two tables
    # select: the model and its upstream only
    assert [n.name for n in build_order(discover_models(tmp_path), select={"py_pair_b"})] == [
        "int_base", "test_warehouse_runner:make_pair"]


def test_declared_order_builds_sql_and_python_models(settings, tmp_path):
    pair_fixture(tmp_path)
    candidate = build(settings, models_root=tmp_path)
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("SELECT * FROM fct_after ORDER BY x").fetchall() == [(11, "b"), (12, "b")]
        assert con.execute("SELECT n FROM ind_last").fetchall() == [(2,)]
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'py_pair_b'").fetchall() == [
            ("test model py_pair_b",)]


def test_dependency_cycle_is_a_clear_error(tmp_path):
    write_model(tmp_path, "intermediate", "int_a", "SELECT x FROM int_b", X)
    write_model(tmp_path, "intermediate", "int_b", "SELECT x FROM int_a", X)
    with pytest.raises(ModelError, match="dependency cycle between models: int_a → int_b → int_a"):
        build_order(discover_models(tmp_path))


def test_cycle_through_a_python_step_is_a_clear_error(tmp_path):
    write_model(tmp_path, "marts", "fct_a", "SELECT x FROM py_b", X)
    write_model(tmp_path, "marts", "py_b", None, X, 'step: "test_warehouse_runner:make_pair"\ninputs: [fct_a]\n')
    with pytest.raises(ModelError, match="dependency cycle between models: fct_a → test_warehouse_runner:make_pair → fct_a"):
        build_order(discover_models(tmp_path))


def test_undeclared_input_is_a_clear_error(tmp_path):
    write_model(tmp_path, "marts", "py_b", None, X, 'step: "test_warehouse_runner:make_pair"\ninputs: [dim_nowhere]\n')
    with pytest.raises(ModelError, match=r"input\(s\) \['dim_nowhere'\] of step test_warehouse_runner:make_pair "
                                         r"are not declared models"):
        discover_models(tmp_path)


def test_python_model_needs_a_step_and_columns_need_types(tmp_path):
    write_model(tmp_path, "marts", "py_b", None, X)
    with pytest.raises(ModelError, match=r'py_b.yml: a Python model needs step: "module:function"'):
        discover_models(tmp_path)
    (tmp_path / "marts" / "py_b.yml").unlink()
    (tmp_path / "marts" / "dim_t.sql").write_text("SELECT 1 AS x")
    (tmp_path / "marts" / "dim_t.yml").write_text("name: dim_t\ndescription: d\ncolumns:\n  x:\n    description: x\n")
    with pytest.raises(ModelError, match="dim_t.yml: column 'x' needs a type"):
        discover_models(tmp_path)


def test_reference_to_a_later_layer_is_refused(tmp_path):
    write_model(tmp_path, "staging", "stg_x", "SELECT x FROM dim_y", X)
    write_model(tmp_path, "marts", "dim_y", "SELECT 1 AS x", X)
    with pytest.raises(ModelError, match=r"stg_x \(staging\) depends on later-layer model\(s\) \['dim_y'\]"):
        build_order(discover_models(tmp_path))


def test_sql_without_yaml_and_undocumented_column_fail(settings, tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "lonely.sql").write_text("SELECT 1 AS x")
    with pytest.raises(ModelError, match="no YAML sidecar lonely.yml"):
        discover_models(tmp_path)
    (tmp_path / "marts" / "lonely.sql").unlink()
    write_model(tmp_path, "marts", "dim_t", "SELECT 1 AS x, 2 AS y", {"x": "INTEGER", "z": "INTEGER"})
    with pytest.raises(ModelError, match=r"dim_t: undocumented column\(s\) \['y'\]; documented but missing column\(s\) \['z'\]"):
        build(settings, models_root=tmp_path)
    # the failed candidate is kept under a clearly failed name, nothing else is left behind
    names = sorted(p.name for p in candidates_dir(settings).iterdir())
    assert len(names) == 1 and names[0].startswith("failed-") and names[0].endswith(".duckdb")
    assert not settings.warehouse.exists()


def test_type_mismatch_names_model_column_and_both_types(settings, tmp_path):
    write_model(tmp_path, "marts", "dim_t", "SELECT 1 AS x, 'a' AS y", {"x": "BIGINT", "y": "VARCHAR"})
    with pytest.raises(ModelError, match="model dim_t: column type.* differ from dim_t.yml: x is INTEGER but the YAML says BIGINT"):
        build(settings, models_root=tmp_path)


def test_python_step_type_mismatch_fails(settings, tmp_path):
    pair_fixture(tmp_path, "make_wrong_type")
    with pytest.raises(ModelError, match="model py_pair_a: .*x is VARCHAR but the YAML says INTEGER"):
        build(settings, models_root=tmp_path)


def test_missing_step_module_is_a_clear_error(settings, tmp_path):
    write_model(tmp_path, "marts", "py_b", None, X, 'step: "pipeline.nonexistent.warehouse:step"\ninputs: []\n')
    with pytest.raises(MlgraphError, match="module pipeline.nonexistent does not exist"):
        build(settings, models_root=tmp_path)


def test_step_not_creating_a_declared_table_fails(settings, tmp_path):
    pair_fixture(tmp_path, "make_one_only")
    with pytest.raises(ModelError, match=r"step test_warehouse_runner:make_one_only did not create the table\(s\) "
                                         r"it declares: \['py_pair_b'\]"):
        build(settings, models_root=tmp_path)


def test_step_creating_an_undeclared_table_fails(settings, tmp_path):
    pair_fixture(tmp_path, "make_pair_and_rogue")
    with pytest.raises(ModelError, match=r"step test_warehouse_runner:make_pair_and_rogue created undeclared table\(s\) \['rogue'\]"):
        build(settings, models_root=tmp_path)


def test_step_override_must_replace_a_declared_step(settings, tmp_path):
    pair_fixture(tmp_path)
    with pytest.raises(ModelError, match=r"step override\(s\) \['nowhere:step'\] replace no declared step"):
        build(settings, models_root=tmp_path, steps={"nowhere:step": make_pair})


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def small_lake(settings, tmp_path):
    write_small_lake(settings.lake)
    return settings, copy_models(tmp_path / "models")


def test_publish_is_atomic_for_open_readers(small_lake):
    settings, root = small_lake
    first = build_and_publish(settings, gates=False, models_root=root)
    assert first == settings.warehouse and not previous_path(settings).exists()
    reader = duckdb.connect(str(settings.warehouse), read_only=True)
    assert reader.execute("SELECT count(*) FROM dim_papers").fetchall() == [(6,)]
    old_digest = sha(settings.warehouse)

    # the next build sees one more ML paper
    from pipeline.lake import write_partition
    from warehouse_fixtures import _paper
    from datetime import date

    write_partition(settings.lake, "arxiv/papers", "2025-02-01_2025-02-28", [
        _paper("2502.00001", "New G", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])])
    candidate = build(settings, models_root=root)
    assert sha(settings.warehouse) == old_digest  # building never touches the published file
    assert not candidate.with_name(candidate.name + ".wal").exists()
    publish(settings, candidate)

    # the open reader keeps its consistent old view; new readers see the new warehouse
    assert reader.execute("SELECT count(*) FROM dim_papers").fetchall() == [(6,)]
    reader.close()
    with duckdb.connect(str(settings.warehouse), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM dim_papers").fetchall() == [(7,)]
    assert sha(previous_path(settings)) == old_digest
    assert (settings.warehouse.parent / "exports" / "DATA_DICTIONARY.md").exists()
    assert not candidate.exists()

    new_digest = sha(settings.warehouse)
    exports = settings.warehouse.parent / "exports"
    new_exports = exports.resolve()
    rollback(settings)
    assert sha(settings.warehouse) == old_digest and sha(previous_path(settings)) == new_digest
    # the exports follow the file: the previous build's again, and the rolled-back one's kept beside it
    assert exports.resolve() != new_exports and (settings.warehouse.parent / "exports-previous").resolve() == new_exports
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM '{exports}/parquet/dim_papers.parquet'").fetchall() == [(6,)]
    rollback(settings)   # undone: file and exports both forward again
    assert sha(settings.warehouse) == new_digest and exports.resolve() == new_exports


def test_a_candidate_older_than_the_published_build_is_not_published(small_lake):
    """Two candidates of one lake: publishing the older after the newer would undo the newer's night."""
    from datetime import date

    from pipeline.lake import write_partition
    from warehouse_fixtures import _paper

    settings, root = small_lake
    build_and_publish(settings, gates=False, models_root=root, run_id="base")
    older = build(settings, models_root=root, run_id="older", full=True)
    write_partition(settings.lake, "arxiv/papers", "2025-02-01_2025-02-28", [
        _paper("2502.00001", "New G", ["cs.LG"], date(2025, 2, 1), date(2025, 2, 1), [("Roe", "Ann")])])
    build_and_publish(settings, gates=False, models_root=root, run_id="newer")
    digest = sha(settings.warehouse)
    with pytest.raises(MlgraphError, match=r"candidate older was built at .* before the published build newer"):
        publish(settings, older)
    assert sha(settings.warehouse) == digest and older.exists()


def test_failed_build_leaves_published_warehouse_byte_identical(small_lake):
    settings, root = small_lake
    build_and_publish(settings, gates=False, models_root=root)
    digest = sha(settings.warehouse)

    def explode(con, ctx):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        build_and_publish(settings, gates=False, models_root=root,
                          steps={"pipeline.warehouse.citations:build_citation_metrics": explode})
    assert sha(settings.warehouse) == digest
    assert not previous_path(settings).exists()
    leftovers = [p.name for p in candidates_dir(settings).iterdir()]
    assert all(name.startswith("failed-") for name in leftovers) and leftovers


def test_failing_gate_blocks_publishing(small_lake, monkeypatch):
    settings, root = small_lake
    build_and_publish(settings, gates=False, models_root=root)
    digest = sha(settings.warehouse)
    import pipeline.quality
    from pipeline.errors import QualityGateError

    seen = {}

    def failing_gates(settings_, candidate, previous=None):
        seen["candidate_rows"] = duckdb.connect(str(candidate), read_only=True).execute(
            "SELECT count(*) FROM dim_papers").fetchall()
        seen["previous"] = previous
        raise QualityGateError("dim_papers: row count collapsed")

    monkeypatch.setattr(pipeline.quality, "run_gates", failing_gates)
    with pytest.raises(QualityGateError):
        build_and_publish(settings, gates=True, models_root=root, full=True)  # an unchanged night skips the gates
    assert seen == {"candidate_rows": [(6,)], "previous": settings.warehouse}
    assert sha(settings.warehouse) == digest


def random_graph(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


@pytest.mark.parametrize("n, m, seed", [(60, 150, 1), (300, 600, 2), (1, 0, 3)])
def test_pagerank_equals_networkx(n, m, seed):
    src, dst = random_graph(n, m, seed)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(src.tolist(), dst.tolist()))
    assert any(graph.out_degree(v) == 0 for v in graph) or n == 1  # dangling nodes are exercised
    expected = nx.pagerank(graph, alpha=0.85, tol=1e-13, max_iter=10_000)
    got = pagerank(src.astype(np.int32), dst.astype(np.int32), n, tol=1e-13)
    assert max(abs(got[i] - expected[i]) for i in range(n)) < 1e-9
    assert abs(got.sum() - 1.0) < 1e-12


def test_pagerank_default_tolerance_is_within_1e9_of_converged_networkx():
    src, dst = random_graph(2000, 8000, 7)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(2000))
    graph.add_edges_from(zip(src.tolist(), dst.tolist()))
    expected = nx.pagerank(graph, tol=1e-14, max_iter=10_000)
    got = pagerank(src, dst, 2000)
    assert max(abs(got[i] - expected[i]) for i in range(2000)) < 1e-9


def test_pagerank_nonconvergence_is_reported():
    src, dst = random_graph(50, 200, 4)
    with pytest.raises(MlgraphError, match="did not converge in 2 iterations"):
        pagerank(src, dst, 50, max_iter=2)


def test_build_logs_each_step(small_lake, caplog):
    settings, root = small_lake
    with caplog.at_level(logging.INFO, logger="mlgraph.warehouse"):
        build(settings, models_root=root)
    messages = [r.message for r in caplog.records]
    assert any(m.startswith("model dim_papers done") for m in messages)
    assert any(m.startswith("step pipeline.warehouse.citations:build_citation_metrics done") for m in messages)


def test_build_cli_errors_are_readable(settings, capsys):
    from pipeline.cli import main

    (candidates_dir(settings)).mkdir(parents=True)
    (candidates_dir(settings) / "nightly-1.duckdb").write_bytes(b"")
    assert main(["--home", str(settings.home), "build", "--no-publish", "--run-id", "nightly-1"]) == 2
    assert "a candidate for run nightly-1 already exists" in capsys.readouterr().err
    assert main(["--home", str(settings.home), "build", "--run-id", "../escape"]) == 2
    assert "must be letters, digits" in capsys.readouterr().err
    assert main(["--home", str(settings.home), "build", "--rollback"]) == 2
    assert "no previous warehouse" in capsys.readouterr().err
    assert not settings.warehouse.exists()


def count_lake_papers(con, ctx):
    con.execute("CREATE TABLE py_lake_count AS SELECT count(DISTINCT arxiv_id) AS n FROM stg_arxiv__papers")


def test_python_step_reads_the_lake_through_a_staging_view(small_lake):
    settings, root = small_lake
    write_model(root, "marts", "py_lake_count", None, {"n": "BIGINT"},
                'step: "test_warehouse_runner:count_lake_papers"\ninputs: [stg_arxiv__papers]\n')
    order = build_order(discover_models(root), select={"py_lake_count"})
    assert [n.name for n in order] == ["stg_arxiv__papers", "test_warehouse_runner:count_lake_papers"]
    candidate = build(settings, models_root=root, select={"py_lake_count"})
    with duckdb.connect(str(candidate), read_only=True) as con:
        assert con.execute("SELECT n FROM py_lake_count").fetchall() == [(6,)]
        assert "dim_papers" not in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_bad_declarations_fail_before_any_candidate_file(settings, tmp_path):
    pair_fixture(tmp_path)
    with pytest.raises(ModelError, match=r"select names unknown model\(s\) \['nope'\]"):
        build(settings, models_root=tmp_path, select={"nope"})
    write_model(tmp_path, "marts", "py_loop", None, X, 'step: "test_warehouse_runner:make_pair"\ninputs: [fct_after]\n')
    with pytest.raises(ModelError, match="dependency cycle"):
        build(settings, models_root=tmp_path)
    assert not candidates_dir(settings).exists()


def test_cli_says_published_then_unchanged(small_lake, capsys, monkeypatch):
    """`mlgraph build` says "published" after a publish (publish returns the published path, which the
    old check took for an unchanged night) and "unchanged" when nothing changed since."""
    import argparse
    from functools import partial

    from pipeline.warehouse import builder, cli

    settings, root = small_lake
    monkeypatch.setattr(builder, "build_and_publish", partial(builder.build_and_publish, models_root=root))
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--no-gates"])
    assert cli.run(args, settings) == 0
    assert capsys.readouterr().out.startswith("warehouse published: ")
    assert cli.run(args, settings) == 0
    assert capsys.readouterr().out.startswith("warehouse unchanged (nothing rebuilt, nothing published): ")
