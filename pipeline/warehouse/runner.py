"""A small model runner: SQL files + YAML sidecars → a documented DuckDB warehouse.

Models live in ``warehouse/<layer>/NAME.sql`` with ``NAME.yml`` beside them (tables made by Python
steps have only the YAML, ``materialized: python``). SQL may use two placeholders, substituted
before execution (no Jinja):

- ``{{ lake('arxiv/papers') }}`` → ``read_parquet(<lake glob>, hive_partitioning, union_by_name)``,
  or an empty relation typed from the pyarrow schema in ``schemas/`` when no file exists yet;
- ``{{ seed('domains') }}`` → ``read_csv('warehouse/seeds/domains.csv')`` (all columns VARCHAR).

The contracts come from :mod:`pipeline.warehouse.contracts`; the build order is a topological
sort of SQL models (dependencies found in their SQL text) and Python steps (their declared
``inputs``). Every built relation is checked against its YAML: column names and types.
"""

from __future__ import annotations

import glob as globlib
import importlib
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pipeline.errors import MlgraphError
# REPO, WAREHOUSE_DIR, ModelError and discover_models are re-exported: callers import them from here.
from pipeline.warehouse.contracts import (LAYERS, REPO, WAREHOUSE_DIR, Check, Model, ModelError, build_order,  # noqa: F401
                                          discover_models, python_steps)

SEEDS_DIR = WAREHOUSE_DIR / "seeds"

_LAKE_REF = re.compile(r"\{\{\s*lake\(\s*'([^']+)'\s*\)\s*\}\}")
_SEED_REF = re.compile(r"\{\{\s*seed\(\s*'([^']+)'\s*\)\s*\}\}")


class ModelTestError(MlgraphError):
    """One or more YAML-declared model tests failed on the built warehouse."""


# --- SQL rendering -----------------------------------------------------------------------------

def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _empty_relation(con, dataset: str) -> str:
    """A zero-row SELECT with the dataset's columns and DuckDB types (plus the partition column)."""
    import pyarrow as pa

    import schemas

    spec = schemas.get(dataset)
    empty = pa.Table.from_pylist([], schema=spec.schema)
    rel = con.from_arrow(empty)
    cols = [f"CAST(NULL AS {dtype}) AS \"{name}\"" for name, dtype in zip(rel.columns, rel.types)]
    cols.append(f"CAST(NULL AS VARCHAR) AS \"{spec.partition_key}\"")
    return f"(SELECT {', '.join(cols)} LIMIT 0)"


def render_sql(sql: str, con, lake: Path, seeds_dir: Path = SEEDS_DIR,
               lake_filters: Mapping[str, str] | None = None) -> str:
    """Substitute ``{{ lake('source/name') }}`` and ``{{ seed('name') }}`` placeholders.

    ``lake_filters`` maps a dataset to a SQL condition on its rows (an incremental rebuild reads
    only the keys it recomputes).
    """
    from pipeline.lake import dataset_glob

    def lake_ref(match: re.Match) -> str:
        dataset = match.group(1)
        try:
            pattern = dataset_glob(lake, dataset)
        except KeyError as exc:
            raise ModelError(str(exc)) from None
        if not globlib.glob(pattern):
            return _empty_relation(con, dataset)
        # Partition values stay strings: a hex dump version like 0123… must not become a number.
        relation = (f"read_parquet({_sql_str(pattern)}, hive_partitioning = true, union_by_name = true, "
                    f"hive_types_autocast = false)")
        if lake_filters and dataset in lake_filters:
            return f"(SELECT * FROM {relation} WHERE {lake_filters[dataset]})"
        return relation

    def seed_ref(match: re.Match) -> str:
        path = Path(seeds_dir) / f"{match.group(1)}.csv"
        if not path.exists():
            raise ModelError(f"seed {match.group(1)!r} not found at {path}")
        return f"read_csv({_sql_str(path)}, header = true, all_varchar = true)"

    return _SEED_REF.sub(seed_ref, _LAKE_REF.sub(lake_ref, sql))


def materialize(con, model: Model, lake: Path, *, into: str | None = None,
                lake_filters: Mapping[str, str] | None = None) -> None:
    """Create the model's view or table (replacing it); ``into`` names another table to create."""
    seeds_dir = model.yaml_path.parent.parent / "seeds"
    body = render_sql(model.sql, con, lake, seeds_dir, lake_filters).strip().rstrip(";")
    kind = "VIEW" if model.materialized == "view" else "TABLE"
    try:
        con.execute(f"CREATE OR REPLACE {kind} {into or _quote(model.name)} AS\n{body}")
    except Exception as exc:  # duckdb raises several error classes; all mean the model is broken
        raise ModelError(f"model {model.name} ({model.sql_path}) failed: {exc}") from exc


# --- documentation ------------------------------------------------------------------------------

def relation_kind(con, name: str) -> str | None:
    """'table', 'view' or None when the relation does not exist in the main schema."""
    row = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = 'main' "
        "AND table_name = ?", [name]).fetchone()
    if row is None:
        return None
    return "view" if row[0] == "VIEW" else "table"


def live_columns(con, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a live relation, in order."""
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position", [name]).fetchall()]


def check_columns(con, model: Model) -> None:
    """Fail loudly when the live columns or their types differ from the YAML's."""
    live = live_columns(con, model.name)
    names = [c for c, _ in live]
    undocumented = [c for c in names if c not in model.columns]
    missing = [c for c in model.columns if c not in names]
    if undocumented or missing:
        parts = []
        if undocumented:
            parts.append(f"undocumented column(s) {undocumented}")
        if missing:
            parts.append(f"documented but missing column(s) {missing}")
        raise ModelError(f"model {model.name}: {'; '.join(parts)} (fix {model.yaml_path.name})")
    wrong = [f"{col} is {typ} but the YAML says {model.columns[col].type}"
             for col, typ in live if typ != model.columns[col].type]
    if wrong:
        raise ModelError(f"model {model.name}: column type(s) differ from {model.yaml_path.name}: " + "; ".join(wrong))


def apply_comments(con, model: Model) -> None:
    """``COMMENT ON`` the relation and each of its columns from the YAML."""
    kind = relation_kind(con, model.name)
    text = model.description if not model.grain else f"{model.description} Grain: {model.grain}."
    statements = [f"COMMENT ON {kind.upper()} \"{model.name}\" IS {_sql_str(text)}"]
    statements += [f"COMMENT ON COLUMN \"{model.name}\".\"{col}\" IS {_sql_str(spec.description)}"
                   for col, spec in model.columns.items()]
    # One transaction: a commit per comment would cost a disk sync each.
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in statements:
            con.execute(statement)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def document(con, model: Model) -> None:
    """Check a built model against its YAML and write its comments."""
    check_columns(con, model)
    apply_comments(con, model)


def _test_label(test) -> str:
    if isinstance(test, str):
        return test
    (kind, arg), = test.items()
    if kind == "relationships":
        return f"relationships → {arg['to']}.{arg['field']}"
    if kind == "accepted_values":
        values = arg.get("values", arg) if isinstance(arg, dict) else arg
        return "accepted_values: " + ", ".join(map(str, values))
    return f"{kind}: {arg}"


def data_dictionary(con, models: dict[str, Model]) -> str:
    """Markdown data dictionary from the YAML plus the live schema (types, row counts)."""
    out = ["# mlgraph data dictionary", "",
           "Generated by `mlgraph build --print-dictionary` from the YAML sidecars in `warehouse/` "
           "and the live schema of the built warehouse. The same descriptions are stored in the "
           "database (`SELECT * FROM duckdb_columns()`).", ""]
    for layer in LAYERS:
        present = [m for m in sorted(models.values(), key=lambda m: m.name)
                   if m.layer == layer and relation_kind(con, m.name)]
        if not present:
            continue
        out += [f"## {layer}", ""]
        for m in present:
            kind = relation_kind(con, m.name)
            rows = con.execute(f"SELECT count(*) FROM \"{m.name}\"").fetchone()[0] if kind == "table" else None
            out += [f"### `{m.name}`", "", m.description, ""]
            meta = [f"- materialized: {m.materialized} ({kind})"]
            if m.step:
                meta.append(f"- built by: `{m.step}` from {', '.join(f'`{i}`' for i in m.inputs) or 'the lake'}")
            if m.grain:
                meta.append(f"- grain: {m.grain}")
            if m.unique_key:
                meta.append(f"- unique key: {', '.join(m.unique_key)}")
            if rows is not None:
                meta.append(f"- rows in this build: {rows}")
            out += meta + ["", "| column | type | description | tests |", "|---|---|---|---|"]
            for col, dtype in live_columns(con, m.name):
                spec = m.columns.get(col)
                desc = " ".join((spec.description if spec else "").split()).replace("|", "\\|")
                tests = "; ".join(_test_label(t) for t in (spec.tests if spec else [])).replace("|", "\\|")
                out.append(f"| `{col}` | {dtype} | {desc} | {tests} |")
            out.append("")
    return "\n".join(out)


# --- model tests --------------------------------------------------------------------------------

def _quote(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _row_predicate(check: Check) -> str | None:
    """The condition a row breaking ``check`` meets, for checks judged row by row (None for the others)."""
    c = _quote(check.columns[0]) if check.columns else None
    if check.kind == "not_null":
        return f"{c} IS NULL"
    if check.kind == "accepted_values":
        listed = ", ".join(_sql_str(v) for v in check.params["values"])
        if check.params.get("list"):
            return f"len(list_filter({c}, lambda v: v IS NOT NULL AND CAST(v AS VARCHAR) NOT IN ({listed}))) > 0"
        return f"{c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({listed})"
    if check.kind == "range":
        bounds = []
        if check.params.get("min") is not None:
            bounds.append(f"{c} < {float(check.params['min'])!r}")
        if check.params.get("max") is not None:
            bounds.append(f"{c} > {float(check.params['max'])!r}")
        return " OR ".join(bounds)
    return None


def _key_columns(check: Check) -> list[str] | None:
    """The columns a uniqueness check groups by (None for other checks)."""
    if check.kind == "unique_key" or (check.kind == "unique" and len(check.columns) > 1):
        return [_quote(k) for k in check.columns]
    return None


def check_query(check: Check, relation: str | None = None) -> str:
    """SQL counting the rows of ``check.table`` (or of ``relation``, a subquery of it) that break ``check``."""
    t = relation or _quote(check.table)
    c = _quote(check.columns[0]) if check.columns else None
    keys = _key_columns(check)
    if keys:
        return f"SELECT count(*) FROM (SELECT {', '.join(keys)} FROM {t} GROUP BY ALL HAVING count(*) > 1)"
    predicate = _row_predicate(check)
    if predicate is not None:
        return f"SELECT count(*) FROM {t} WHERE {predicate}"
    if check.kind == "unique":
        return f"SELECT count(*) FROM (SELECT {c} FROM {t} WHERE {c} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
    if check.kind == "relationship":
        to, fld = _quote(check.params["to"]), _quote(check.params["field"])
        return f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {fld} FROM {to})"
    raise ModelError(f"{check.origin}: no SQL for check kind {check.kind!r}")


def _scopable(check: Check, key: str) -> bool:
    """Whether ``check`` on the rows of some keys judges them alone (uniqueness: if the key is part of it)."""
    if _key_columns(check) is not None or check.kind == "unique":
        return key in check.columns
    return True


def _check_label(check: Check) -> str:
    col = check.columns[0] if check.columns else ""
    if check.kind == "unique_key":
        return f"unique_key ({', '.join(check.columns)})"
    if check.kind == "relationship":
        return f"{col}: relationships → {check.params['to']}.{check.params['field']}"
    if check.kind == "range":
        return f"{col}: range [{check.params.get('min')}, {check.params.get('max')}]"
    return f"{col}: {check.kind}"


def model_test_queries(model: Model) -> list[tuple[str, str]]:
    """(label, SQL counting offending rows) for every test of a model (unique_key included)."""
    return [(_check_label(c), check_query(c)) for c in model.checks()]


def run_model_tests(con, models: dict[str, Model] | None = None,
                    scope: Mapping[str, tuple[str, str] | None] | None = None) -> list[str]:
    """Run every YAML test on the relations that exist; return readable failures (empty = pass).

    They run once, here, in SQL over the full tables. Views (staging) are skipped: their tests
    would re-scan the lake, and the marts built on them carry the tests that matter. A
    relationship to a missing table is a failure. The row-by-row tests of a table share one scan;
    a unique key is first grouped by its hash (equal keys hash alike, so no duplicate can hide),
    and only a collision sends it to the exact GROUP BY over the key columns.

    ``scope`` (an incremental night) maps a table to None when it is the published table as it
    was, or to (key column, temp table of rebuilt keys) when only those keys' rows were rebuilt.
    The published rows passed these tests under the same code, so only what is new can fail:
    an unchanged table is tested only for relationships into changed tables, and a table
    rebuilt by key only on its rebuilt keys (its uniqueness too, when the key is part of it;
    relationships in full when their target changed).
    """
    models = discover_models() if models is None else models
    scope = scope or {}
    failures = []
    for model in sorted(models.values(), key=lambda m: m.name):
        if relation_kind(con, model.name) != "table":
            continue
        checks = model.checks()
        t = _quote(model.name)
        relation, whole = t, set()          # what the checks read; indexes of checks read in full
        if model.name in scope:
            unchanged = {name for name, how in scope.items() if how is None}
            if scope[model.name] is None:
                checks = [c for c in checks if c.kind == "relationship" and c.params["to"] not in unchanged]
                whole = set(range(len(checks)))
            else:
                key, key_table = scope[model.name]
                relation = f"(SELECT * FROM {t} WHERE {_quote(key)} IN (SELECT k FROM {key_table}))"
                whole = {i for i, c in enumerate(checks) if not _scopable(c, key)
                         or c.kind == "relationship" and c.params["to"] not in unchanged}
            if not checks:
                continue
        row_wise = [i for i, check in enumerate(checks) if _row_predicate(check) is not None and i not in whole]
        counts: dict[int, int] = {}
        if row_wise:
            filters = ", ".join(f"count(*) FILTER (WHERE ({_row_predicate(checks[i])}))" for i in row_wise)
            try:
                counts = dict(zip(row_wise, con.execute(f"SELECT {filters} FROM {relation}").fetchone()))
            except Exception:  # one broken test must not hide the others: run them one by one below
                counts = {}
        for i, check in enumerate(checks):
            label = _check_label(check)
            try:
                if i in counts:
                    bad = counts[i]
                else:
                    keys = _key_columns(check)
                    read = t if i in whole else relation
                    bad = 1
                    if keys:
                        bad = con.execute(f"SELECT count(*) FROM (SELECT hash({', '.join(keys)}) AS h FROM {read} "
                                          "GROUP BY h HAVING count(*) > 1)").fetchone()[0]
                    if bad:
                        bad = con.execute(check_query(check, None if read == t else read)).fetchone()[0]
            except Exception as exc:  # a broken test is as bad as a failing one
                failures.append(f"{model.name}: {label}: could not run ({str(exc).splitlines()[0]})")
                continue
            if bad:
                failures.append(f"{model.name}: {label}: {bad} offending row(s)")
    return failures


# --- build execution ----------------------------------------------------------------------------

def resolve_step(step: str) -> Callable:
    """Import a ``module:function`` step lazily; a missing module or function is a clear ModelError."""
    module_name, _, func = step.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ModelError(f"build step {step} is not available: module {exc.name} does not exist") from None
        raise
    try:
        return getattr(module, func)
    except AttributeError:
        raise ModelError(f"build step {step}: {module_name} has no function {func}") from None


def _main_relations(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main'").fetchall()}


def run_build(con, ctx, models: dict[str, Model] | None = None, *, select: Iterable[str] | None = None,
              steps: Mapping[str, Callable] | None = None, plan=None) -> dict[str, Model]:
    """Build every model (or ``select`` and its upstream) in dependency order on ``con``.

    ``steps`` maps a declared ``module:function`` to a callable run in its place (tests use it
    for stand-ins). Each relation is checked against its YAML (names, types) and commented as
    soon as it exists. A Python step that leaves a declared table uncreated, or creates a table
    it did not declare, fails the build. ``plan`` (an :class:`~pipeline.warehouse.incremental.
    IncrementalPlan`) copies the tables whose inputs did not change from the published warehouse
    and rebuilds declared incremental models by key. Returns the models discovered.
    """
    models = discover_models() if models is None else models
    steps = dict(steps or {})
    declared = python_steps(models)
    unknown = sorted(set(steps) - set(declared))
    if unknown:
        raise ModelError(f"step override(s) {unknown} replace no declared step ({sorted(declared)})")
    order = build_order(models, None if select is None else set(select))
    # Fail on a missing step before building anything.
    runnable = {n.name: steps.get(n.name) or resolve_step(n.name) for n in order if n.kind == "step"}
    if plan is not None:
        plan.attach(con)
    try:
        _run_nodes(con, ctx, models, order, runnable, plan)
    except BaseException:
        if plan is not None:
            plan.detach(con, failing=True)
        raise
    if plan is not None:
        plan.detach(con)
    built = {o for n in order for o in n.outputs}
    for name in sorted(built):  # a later step may have replaced a table and dropped its comments
        if models[name].is_python:
            apply_comments(con, models[name])
    undocumented = sorted(_main_relations(con) - set(models))
    if undocumented and plan is not None and set(undocumented) <= plan.published_relations:
        # an incremental night starts from a copy of the published file: someone wrote into it
        raise ModelError(f"the published warehouse holds relation(s) no model declares: {undocumented} (made "
                         "outside mlgraph? open it read-only; `mlgraph build --full` rebuilds without them)")
    if undocumented:
        raise ModelError(f"relations without a YAML sidecar: {undocumented} (add warehouse/<layer>/NAME.yml)")
    if select is not None:
        ctx.log.info("built %d of %d models (select)", len(built), len(models))
    return models


_HOW = {"full": "done", "reuse": "copied from the published build (inputs unchanged)", "incremental": "rebuilt by key"}


STEP_EXPORTS = "step_exports.json"


def _exports_listing(folder: Path) -> dict[str, list[str]]:
    import json

    try:
        return json.loads((Path(folder) / STEP_EXPORTS).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _record_step_exports(ctx, step: str, names: list[str]) -> None:
    """Note in the candidate's exports which files ``step`` wrote there, for a later night to carry."""
    from pipeline.state import atomic_write_json

    folder = Path(ctx.exports_dir)
    listing = _exports_listing(folder)
    listing[step] = sorted(names)
    atomic_write_json(folder / STEP_EXPORTS, listing)


def _carry_step_exports(ctx, step: str, plan) -> bool:
    """Hard-link the files a reused step wrote into the published exports; False when they are not
    all there (no listing, or exports of another run), so the step must run again."""
    import shutil

    published = Path(ctx.settings.warehouse).parent / "exports"
    if not published.is_symlink() or published.resolve().name != plan.base_run:
        return False
    names = _exports_listing(published).get(step)
    if names is None or not all((published / n).exists() for n in names):
        return False
    dest = Path(ctx.exports_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = published / name
        if source.is_dir():
            shutil.copytree(source, dest / name, copy_function=os.link, dirs_exist_ok=True)
        else:
            os.link(source, dest / name)   # exports are never modified once written: a link is a copy
    _record_step_exports(ctx, step, names)
    return True


def _run_nodes(con, ctx, models: dict[str, Model], order, runnable, plan) -> None:
    for node in order:
        started = time.perf_counter()
        how = plan.decide(con, node, models) if plan is not None else "full"
        if how == "reuse" and node.kind == "step" and not _carry_step_exports(ctx, node.name, plan):
            how = "full"   # its tables could be copied, but not the files it exports
        if how == "reuse":
            for name in node.outputs:
                plan.copy(con, name)
                document(con, models[name])
        elif how == "incremental":
            plan.rebuild_by_key(con, models[node.name], ctx.settings.lake)
            document(con, models[node.name])
        elif node.kind == "sql":
            model = models[node.name]
            if plan is not None:
                plan.drop_for_rebuild(con, node.outputs)
            materialize(con, model, ctx.settings.lake)
            document(con, model)
        else:
            if plan is not None:
                plan.drop_for_rebuild(con, node.outputs)
            before = _main_relations(con)
            exports = Path(ctx.exports_dir)
            exports.mkdir(parents=True, exist_ok=True)
            files_before = set(os.listdir(exports))
            runnable[node.name](con, ctx)
            after = _main_relations(con)
            _record_step_exports(ctx, node.name, sorted(set(os.listdir(exports)) - files_before - {STEP_EXPORTS}))
            missing = sorted(set(node.outputs) - after)
            if missing:
                raise ModelError(f"step {node.name} did not create the table(s) it declares: {missing}")
            extra = sorted(after - before - set(node.outputs))
            if extra:
                owned = [n for n in extra if n in models]
                what = (f"table(s) declared by other models {owned}" if owned
                        else f"undeclared table(s) {extra} (add warehouse/<layer>/NAME.yml with step: {node.name})")
                raise ModelError(f"step {node.name} created {what}")
            for name in node.outputs:
                document(con, models[name])
        ctx.log.info("%s %s %s in %.2fs", "model" if node.kind == "sql" else "step", node.name, _HOW[how],
                     time.perf_counter() - started)
