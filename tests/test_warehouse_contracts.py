"""The contract registry: every YAML is typed, the typed writer follows it, and the before/after comparison."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline.errors import MlgraphError
from pipeline.indicators.db import load_sql, write_table
from pipeline.warehouse.contracts import WAREHOUSE_DIR, discover_models, python_steps

REPO = Path(__file__).resolve().parents[1]


def test_every_repository_model_is_typed_and_every_python_model_declares_its_step():
    models = discover_models(WAREHOUSE_DIR)
    assert all(c.type for m in models.values() for c in m.columns.values())
    steps = python_steps(models)
    assert all(m.step in steps and isinstance(m.inputs, list) for m in models.values() if m.is_python)
    # plain-SQL indicators are SQL models now; ind_framework_share has one builder
    for name in ("ind_adoption", "ind_family_spread", "ind_downstream_by_year", "ind_downstream_concentration"):
        assert models[name].sql is not None and "final AS" in models[name].sql
    assert models["ind_framework_share"].step == "pipeline.indicators.warehouse:frameworks"


def test_typed_writer_uses_the_yaml_types_even_for_an_empty_result():
    con = duckdb.connect()
    empty = {c: [] for c in ("year", "framework", "links", "links_total", "links_share", "links_share_ci_low",
                             "links_share_ci_high", "links_unknown_framework", "low_n")}
    write_table(con, "ind_framework_share", empty)
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name = 'ind_framework_share'").fetchall())
    assert types == {"year": "BIGINT", "framework": "VARCHAR", "links": "BIGINT", "links_total": "BIGINT",
                     "links_share": "DOUBLE", "links_share_ci_low": "DOUBLE", "links_share_ci_high": "DOUBLE",
                     "links_unknown_framework": "BIGINT", "low_n": "BOOLEAN"}
    # NaN becomes NULL; a value is cast to the declared type
    write_table(con, "ind_framework_share", {**{k: [1] for k in empty}, "framework": ["jax"], "low_n": [True],
                                             "links_share": np.array([np.nan])})
    assert con.execute("SELECT links_share, links FROM ind_framework_share").fetchall() == [(None, 1)]
    with pytest.raises(MlgraphError, match=r"ind_framework_share: the step's columns differ from its YAML "
                                           r"\(extra \['bogus'\], missing \['low_n'\]\)"):
        write_table(con, "ind_framework_share", {**{k: [] for k in empty if k != "low_n"}, "bogus": []})


def test_indicator_sql_parameters_are_checked():
    full = dict(window=5, l_references=5, min_references=5, keep_self=0)
    assert "5 AS window_years" in load_sql("cd_index", **full)
    with pytest.raises(MlgraphError, match="needs parameter 'window'"):
        load_sql("cd_index", **{k: v for k, v in full.items() if k != "window"})
    with pytest.raises(MlgraphError, match="must be a number"):
        load_sql("cd_index", **{**full, "min_references": "1; DROP TABLE x"})


def _db(path: Path, value: float, extra: bool = False) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1, 0.5), ('b', 2, ?)) v(k, n, x)", [value])
        if extra:
            con.execute("CREATE TABLE only_here AS SELECT 1 AS y")
    return path


def test_warehouse_comparison_tolerates_1e_minus_12_and_reports_real_differences(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from compare_warehouses import compare
    finally:
        sys.path.pop(0)
    before = _db(tmp_path / "before.duckdb", 0.25)
    assert compare(before, _db(tmp_path / "same.duckdb", 0.25 + 1e-12)) == []
    diffs = compare(before, _db(tmp_path / "other.duckdb", 0.26, extra=True))
    assert diffs[0] == "only_here: only in other.duckdb"
    assert diffs[1].startswith("t: 1 of 2 rows differ")
