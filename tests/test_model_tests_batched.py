"""run_model_tests batches a table's row tests into one scan and pre-checks unique keys by hash:
the failures it reports are the ones each test alone would report."""

from __future__ import annotations

import duckdb

from pipeline.warehouse.contracts import discover_models
from pipeline.warehouse.runner import check_query, run_model_tests
from test_warehouse_runner import write_model

TESTS = """unique_key: [k1, k2]
"""


def _models(tmp_path):
    write_model(tmp_path, "marts", "fct_t", "SELECT 1", {"k1": "VARCHAR", "k2": "INTEGER", "v": "DOUBLE",
                                                           "tag": "VARCHAR", "tags": "VARCHAR[]"}, TESTS)
    yml = tmp_path / "marts" / "fct_t.yml"
    text = yml.read_text()
    for col, tests in (("v", "[not_null, {range: {min: 0, max: 1}}]"), ("tag", "[{accepted_values: [a, b]}]"),
                       ("tags", "[{accepted_values: [a, b]}]")):
        text = text.replace(f"    description: column {col}\n", f"    description: column {col}\n    tests: {tests}\n")
    yml.write_text(text)
    return discover_models(tmp_path)


def _each_alone(con, models) -> list[str]:
    out = []
    for check in models["fct_t"].checks():
        try:
            bad = con.execute(check_query(check)).fetchone()[0]
        except duckdb.Error:
            bad = "error"
        out.append(bad)
    return out


def test_batched_failures_equal_each_test_alone(tmp_path):
    models = _models(tmp_path)
    con = duckdb.connect()
    con.execute("""CREATE TABLE fct_t AS SELECT * FROM (VALUES
        (NULL, 1, 0.5, 'a', ['a']), (NULL, 1, NULL, 'c', ['c', NULL]), ('x', 1, 2.0, 'b', ['b']),
        ('x', 2, -1.0, NULL, NULL), ('y', 2, 0.0, 'a', [])) t(k1, k2, v, tag, tags)""")
    failures = run_model_tests(con, models)
    assert failures == [
        "fct_t: unique_key (k1, k2): 1 offending row(s)",
        "fct_t: v: not_null: 1 offending row(s)",
        "fct_t: v: range [0, 1]: 2 offending row(s)",
        "fct_t: tag: accepted_values: 1 offending row(s)",
        "fct_t: tags: accepted_values: 1 offending row(s)",
    ]
    assert _each_alone(con, models) == [1, 1, 2, 1, 1]
    con.execute("DELETE FROM fct_t WHERE tag = 'c' OR v > 1 OR v < 0")
    assert run_model_tests(con, models) == []


def test_one_broken_test_does_not_hide_the_others(tmp_path):
    """A test that cannot run (here: a list test on a column that is not a list) fails the shared
    scan; the row tests are then run one by one, so the others still report their own counts."""
    models = _models(tmp_path)
    con = duckdb.connect()
    con.execute("""CREATE TABLE fct_t AS SELECT * FROM (VALUES
        ('x', 1, NULL, 'c', 7), ('x', 2, 0.5, 'a', 8)) t(k1, k2, v, tag, tags)""")
    failures = run_model_tests(con, models)
    assert failures[:2] == ["fct_t: v: not_null: 1 offending row(s)", "fct_t: tag: accepted_values: 1 offending row(s)"]
    assert len(failures) == 3 and failures[2].startswith("fct_t: tags: accepted_values: could not run (")


def test_a_night_tests_only_the_rows_it_rebuilt(tmp_path):
    """In an incremental night (``scope``) an unchanged table is not re-tested and a table
    rebuilt by key is tested on its rebuilt keys only: the other rows passed under the same code
    when they were published. Here a bad published row stays unreported, a bad rebuilt one fails."""
    models = _models(tmp_path)
    con = duckdb.connect()
    con.execute("""CREATE TABLE fct_t AS SELECT * FROM (VALUES
        ('kept', 1, 2.0, 'a', ['a']), ('kept', 1, 0.5, 'a', ['a']),
        ('new', 1, 0.5, 'a', ['a']), ('new', 2, NULL, 'z', ['a'])) t(k1, k2, v, tag, tags)""")
    con.execute("CREATE TEMP TABLE rebuilt AS SELECT 'new' AS k")
    assert run_model_tests(con, models, scope={"fct_t": None}) == []
    assert run_model_tests(con, models, scope={"fct_t": ("k1", "rebuilt")}) == [
        "fct_t: v: not_null: 1 offending row(s)",
        "fct_t: tag: accepted_values: 1 offending row(s)",
    ]
    con.execute("INSERT INTO fct_t VALUES ('new', 1, 0.5, 'a', ['a'])")     # a duplicate among rebuilt keys
    assert run_model_tests(con, models, scope={"fct_t": ("k1", "rebuilt")})[0] == \
        "fct_t: unique_key (k1, k2): 1 offending row(s)"
    # Whole, the table fails every test a row breaks.
    assert len(run_model_tests(con, models)) == 4
