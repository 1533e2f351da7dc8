"""A small model runner: SQL files + YAML sidecars → a documented DuckDB warehouse.

Models live in ``warehouse/<layer>/NAME.sql`` with ``NAME.yml`` beside them (tables made by Python
steps have only the YAML, ``materialized: python``). SQL may use two placeholders, substituted
before execution (no Jinja):

- ``{{ lake('arxiv/papers') }}`` → ``read_parquet(<lake glob>, hive_partitioning, union_by_name)``,
  or an empty relation typed from the pyarrow schema in ``schemas/`` when no file exists yet;
- ``{{ seed('domains') }}`` → ``read_csv('warehouse/seeds/domains.csv')`` (all columns VARCHAR).

Dependencies between SQL models are found by looking for other models' names in the SQL text.
"""

from __future__ import annotations

import glob as globlib
import importlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import MlgraphError

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE_DIR = REPO / "warehouse"
SEEDS_DIR = WAREHOUSE_DIR / "seeds"
LAYERS = ("staging", "intermediate", "marts", "indicators")
MATERIALIZATIONS = ("view", "table", "python")

# The build plan: "sql:<layer>" runs that layer's SQL models; "module:function" is a Python step
# (imported only when it runs). Order is CONTRACTS §3.
DEFAULT_PLAN: tuple[str, ...] = (
    "sql:staging",
    "pipeline.classify.warehouse:load_taxonomy",
    "sql:intermediate",
    "pipeline.classify.warehouse:classify_papers",
    "pipeline.classify.mentions_warehouse:build_mentions",
    "sql:marts",
    "pipeline.warehouse.citations:build_citation_metrics",
    "pipeline.lineage.warehouse:build_lineage",
    "pipeline.classify.mentions_warehouse:build_builds_on_downstream",
    "pipeline.indicators.warehouse:build_indicators",
    "sql:indicators",
)

_LAKE_REF = re.compile(r"\{\{\s*lake\(\s*'([^']+)'\s*\)\s*\}\}")
_SEED_REF = re.compile(r"\{\{\s*seed\(\s*'([^']+)'\s*\)\s*\}\}")
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class ModelError(MlgraphError):
    """A model file is malformed, its dependencies are cyclic, or its columns break its YAML."""


class ModelTestError(MlgraphError):
    """One or more YAML-declared model tests failed on the built warehouse."""


@dataclass
class Model:
    """One warehouse model: its YAML documentation and (for SQL models) its SQL."""

    name: str
    layer: str
    materialized: str
    description: str
    grain: str | None
    unique_key: list[str]
    columns: dict[str, dict]
    yaml_path: Path
    sql_path: Path | None = None
    sql: str | None = None
    depends_on: set[str] = field(default_factory=set)

    def column_tests(self) -> list[tuple[str, object]]:
        """(column, test spec) pairs in YAML order."""
        return [(col, t) for col, spec in self.columns.items() for t in (spec.get("tests") or [])]


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a mapping at the top level")
    return data


def _parse_model(yaml_path: Path, layer: str) -> Model:
    data = _load_yaml(yaml_path)
    name = data.get("name") or yaml_path.stem
    if name != yaml_path.stem:
        raise ModelError(f"{yaml_path}: name {name!r} differs from the file name")
    if data.get("layer", layer) != layer:
        raise ModelError(f"{yaml_path}: layer {data.get('layer')!r} but the file is in {layer}/")
    sql_path = yaml_path.with_suffix(".sql")
    materialized = data.get("materialized") or ("view" if layer == "staging" else "table")
    if materialized not in MATERIALIZATIONS:
        raise ModelError(f"{yaml_path}: materialized must be one of {MATERIALIZATIONS}")
    if materialized == "python" and sql_path.exists():
        raise ModelError(f"{yaml_path}: materialized: python but {sql_path.name} exists")
    if materialized != "python" and not sql_path.exists():
        raise ModelError(f"{yaml_path}: no {sql_path.name} beside it (say materialized: python for a Python step's table)")
    if not data.get("description"):
        raise ModelError(f"{yaml_path}: a model needs a description")
    columns = data.get("columns") or {}
    if not isinstance(columns, dict) or not columns:
        raise ModelError(f"{yaml_path}: columns must be a non-empty mapping name → {{description, tests}}")
    for col, spec in columns.items():
        if not isinstance(spec, dict) or not spec.get("description"):
            raise ModelError(f"{yaml_path}: column {col!r} needs a description")
    unique_key = data.get("unique_key") or []
    if isinstance(unique_key, str):
        unique_key = [unique_key]
    for col in unique_key:
        if col not in columns:
            raise ModelError(f"{yaml_path}: unique_key column {col!r} is not documented")
    model = Model(name=name, layer=layer, materialized=materialized, description=data["description"].strip(),
                  grain=data.get("grain"), unique_key=list(unique_key), columns=columns, yaml_path=yaml_path)
    if materialized != "python":
        model.sql_path = sql_path
        model.sql = sql_path.read_text()
    return model


def discover_models(root: Path = WAREHOUSE_DIR) -> dict[str, Model]:
    """Every model under ``root/<layer>/`` keyed by name, with SQL dependencies resolved."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        folder = Path(root) / layer
        if not folder.is_dir():
            continue
        for sql_path in sorted(folder.glob("*.sql")):
            if not sql_path.with_suffix(".yml").exists():
                raise ModelError(f"{sql_path}: no YAML sidecar {sql_path.with_suffix('.yml').name}")
        for yaml_path in sorted(folder.glob("*.yml")):
            model = _parse_model(yaml_path, layer)
            if model.name in models:
                raise ModelError(f"model {model.name!r} defined twice ({models[model.name].yaml_path}, {yaml_path})")
            models[model.name] = model
    for model in models.values():
        if model.sql is None:
            continue
        text = _SQL_COMMENT.sub(" ", model.sql)
        model.depends_on = {other for other in models if other != model.name
                            and re.search(rf"\b{re.escape(other)}\b", text)}
    return models


def order_models(models: dict[str, Model], layer: str) -> list[Model]:
    """SQL models of one layer in dependency order; a cycle or a forward layer reference fails."""
    rank = {name: LAYERS.index(m.layer) for name, m in models.items()}
    todo = {n: m for n, m in models.items() if m.layer == layer and m.sql is not None}
    for m in todo.values():
        later = sorted(d for d in m.depends_on if rank[d] > rank[m.name])
        if later:
            raise ModelError(f"{m.name} ({m.layer}) depends on later-layer model(s) {later}")
    ordered: list[Model] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise ModelError("dependency cycle between models: " + " → ".join(cycle))
        state[name] = 1
        for dep in sorted(todo[name].depends_on):
            if dep in todo:
                visit(dep, path + [dep])
        state[name] = 2
        ordered.append(todo[name])

    for name in sorted(todo):
        visit(name, [name])
    return ordered


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


def render_sql(sql: str, con, lake: Path, seeds_dir: Path = SEEDS_DIR) -> str:
    """Substitute ``{{ lake('source/name') }}`` and ``{{ seed('name') }}`` placeholders."""
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
        return (f"read_parquet({_sql_str(pattern)}, hive_partitioning = true, union_by_name = true, "
                f"hive_types_autocast = false)")

    def seed_ref(match: re.Match) -> str:
        path = Path(seeds_dir) / f"{match.group(1)}.csv"
        if not path.exists():
            raise ModelError(f"seed {match.group(1)!r} not found at {path}")
        return f"read_csv({_sql_str(path)}, header = true, all_varchar = true)"

    return _SEED_REF.sub(seed_ref, _LAKE_REF.sub(lake_ref, sql))


def materialize(con, model: Model, lake: Path) -> None:
    """Create the model's view or table (replacing it)."""
    seeds_dir = model.yaml_path.parent.parent / "seeds"
    body = render_sql(model.sql, con, lake, seeds_dir).strip().rstrip(";")
    kind = "VIEW" if model.materialized == "view" else "TABLE"
    try:
        con.execute(f"CREATE OR REPLACE {kind} \"{model.name}\" AS\n{body}")
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
    """Fail loudly when the live columns and the YAML's documented columns differ."""
    live = [c for c, _ in live_columns(con, model.name)]
    undocumented = [c for c in live if c not in model.columns]
    missing = [c for c in model.columns if c not in live]
    if undocumented or missing:
        parts = []
        if undocumented:
            parts.append(f"undocumented column(s) {undocumented}")
        if missing:
            parts.append(f"documented but missing column(s) {missing}")
        raise ModelError(f"model {model.name}: {'; '.join(parts)} (fix {model.yaml_path.name})")


def apply_comments(con, model: Model) -> None:
    """``COMMENT ON`` the relation and each of its columns from the YAML."""
    kind = relation_kind(con, model.name)
    text = model.description if not model.grain else f"{model.description} Grain: {model.grain}."
    statements = [f"COMMENT ON {kind.upper()} \"{model.name}\" IS {_sql_str(text)}"]
    statements += [f"COMMENT ON COLUMN \"{model.name}\".\"{col}\" IS {_sql_str(spec['description'].strip())}"
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
            if m.grain:
                meta.append(f"- grain: {m.grain}")
            if m.unique_key:
                meta.append(f"- unique key: {', '.join(m.unique_key)}")
            if rows is not None:
                meta.append(f"- rows in this build: {rows}")
            out += meta + ["", "| column | type | description | tests |", "|---|---|---|---|"]
            for col, dtype in live_columns(con, m.name):
                spec = m.columns.get(col, {})
                desc = " ".join(str(spec.get("description", "")).split()).replace("|", "\\|")
                tests = "; ".join(_test_label(t) for t in spec.get("tests") or []).replace("|", "\\|")
                out.append(f"| `{col}` | {dtype} | {desc} | {tests} |")
            out.append("")
    return "\n".join(out)


# --- model tests --------------------------------------------------------------------------------

def _quote(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def model_test_queries(model: Model) -> list[tuple[str, str]]:
    """(label, SQL counting offending rows) for every test of a model (unique_key included)."""
    t = _quote(model.name)
    queries = []
    if model.unique_key:
        keys = ", ".join(_quote(c) for c in model.unique_key)
        queries.append((f"unique_key ({', '.join(model.unique_key)})",
                        f"SELECT count(*) FROM (SELECT {keys} FROM {t} GROUP BY ALL HAVING count(*) > 1)"))
    for col, test in model.column_tests():
        c = _quote(col)
        if test == "not_null":
            queries.append((f"{col}: not_null", f"SELECT count(*) FROM {t} WHERE {c} IS NULL"))
        elif test == "unique":
            queries.append((f"{col}: unique",
                            f"SELECT count(*) FROM (SELECT {c} FROM {t} WHERE {c} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"))
        elif isinstance(test, dict) and "accepted_values" in test:
            arg = test["accepted_values"]
            values = arg.get("values") if isinstance(arg, dict) else arg
            listed = ", ".join(_sql_str(v) for v in values)
            queries.append((f"{col}: accepted_values",
                            f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({listed})"))
        elif isinstance(test, dict) and "relationships" in test:
            rel = test["relationships"]
            to, fld = _quote(rel["to"]), _quote(rel["field"])
            queries.append((f"{col}: relationships → {rel['to']}.{rel['field']}",
                            f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {fld} FROM {to})"))
        else:
            raise ModelError(f"{model.yaml_path}: unknown test {test!r} on column {col!r}")
    return queries


def run_model_tests(con, models: dict[str, Model] | None = None) -> list[str]:
    """Run every YAML test on the relations that exist; return readable failures (empty = pass).

    Views (staging) are skipped: their tests would re-scan the lake, and the marts built on them
    carry the tests that matter. A relationship to a missing table is a failure.
    """
    models = discover_models() if models is None else models
    failures = []
    for model in sorted(models.values(), key=lambda m: m.name):
        if relation_kind(con, model.name) != "table":
            continue
        for label, sql in model_test_queries(model):
            try:
                bad = con.execute(sql).fetchone()[0]
            except Exception as exc:  # a broken test is as bad as a failing one
                failures.append(f"{model.name}: {label}: could not run ({str(exc).splitlines()[0]})")
                continue
            if bad:
                failures.append(f"{model.name}: {label}: {bad} offending row(s)")
    return failures


# --- plan execution -----------------------------------------------------------------------------

Step = str | Callable


def resolve_step(step: Step) -> Callable:
    """Import a ``module:function`` step lazily; a missing module is a clear MlgraphError."""
    if callable(step):
        return step
    module_name, _, func = step.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise MlgraphError(f"build step {step} is not available: module {exc.name} does not exist "
                               f"(run with a plan that leaves it out, e.g. `mlgraph build --skip-missing`)") from None
        raise
    try:
        return getattr(module, func)
    except AttributeError:
        raise MlgraphError(f"build step {step}: {module_name} has no function {func}") from None


def step_available(step: Step) -> bool:
    """Whether a plan entry can run here (SQL layers and callables always can)."""
    if callable(step) or step.startswith("sql:"):
        return True
    try:
        resolve_step(step)
    except MlgraphError:
        return False
    return True


def available_plan(plan: Sequence[Step] = DEFAULT_PLAN) -> list[Step]:
    """The plan without Python steps whose module does not exist yet."""
    return [s for s in plan if step_available(s)]


def _step_name(step: Step) -> str:
    return step if isinstance(step, str) else getattr(step, "__qualname__", repr(step))


def run_plan(con, ctx, plan: Sequence[Step] = DEFAULT_PLAN, models: dict[str, Model] | None = None) -> dict[str, Model]:
    """Execute the plan on ``con``; document every model; returns the models discovered."""
    models = discover_models() if models is None else models
    for step in plan:  # fail on a missing step before building anything
        if not callable(step) and not step.startswith("sql:"):
            resolve_step(step)
    documented: set[str] = set()
    for step in plan:
        started = time.perf_counter()
        if isinstance(step, str) and step.startswith("sql:"):
            layer = step[4:]
            if layer not in LAYERS:
                raise ModelError(f"unknown layer in plan entry {step!r}")
            for model in order_models(models, layer):
                model_started = time.perf_counter()
                materialize(con, model, ctx.settings.lake)
                ctx.log.debug("model %s built in %.2fs", model.name, time.perf_counter() - model_started)
                document(con, model)
                documented.add(model.name)
        else:
            resolve_step(step)(con, ctx)
        # Python steps' tables are documented as soon as they exist.
        for model in models.values():
            if model.materialized == "python" and model.name not in documented and relation_kind(con, model.name):
                document(con, model)
                documented.add(model.name)
        ctx.log.info("step %s done in %.2fs", _step_name(step), time.perf_counter() - started)
    # A later step may have replaced an earlier step's table (losing its comments): document again.
    for name in documented:
        if models[name].materialized == "python":
            document(con, models[name])
    missing = sorted(m.name for m in models.values() if m.materialized == "python" and m.name not in documented)
    if missing:
        if list(plan) == list(DEFAULT_PLAN):
            raise ModelError(f"Python-step tables declared in YAML were not created: {missing}")
        ctx.log.warning("tables declared in YAML but not built by this plan: %s", ", ".join(missing))
    undocumented = sorted(r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main'").fetchall()
        if r[0] not in models)
    if undocumented:
        raise ModelError(f"relations without a YAML sidecar: {undocumented} (add warehouse/<layer>/NAME.yml)")
    return models
