"""The one contract registry: every YAML sidecar under ``warehouse/<layer>/`` as one :class:`Model`.

The runner (build order, type checks, SQL row tests), the quality gates and the data dictionary
all read these objects; nothing else parses the YAML. A model is

- a SQL model (``NAME.sql`` beside ``NAME.yml``, ``materialized: view | table``), whose
  dependencies are the other models named in its SQL text, or
- a table made by a Python step (``materialized: python``) that declares
  ``step: "module:function"`` and ``inputs: [relations]``; several tables may share one step,
  whose inputs are then the union of theirs.

Every column declares ``type:`` (the DuckDB type as ``information_schema`` reports it), a
description and optional ``tests:`` (``not_null``, ``unique``, ``accepted_values``,
``relationships``, ``range: {min, max}``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import MlgraphError

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE_DIR = REPO / "warehouse"
LAYERS = ("staging", "intermediate", "marts", "indicators")
MATERIALIZATIONS = ("view", "table", "python")
TEST_KINDS = ("not_null", "unique", "accepted_values", "relationships", "range")

_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STEP = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class ModelError(MlgraphError):
    """A model file is malformed, its dependencies are cyclic, or its columns break its YAML."""


@dataclass(frozen=True)
class Check:
    """One check on one table, read by both the SQL row tests and the Great Expectations gates."""

    suite: str                 # raw | staging | intermediate | marts | indicators | row_counts
    table: str                 # warehouse table, or lake dataset key
    kind: str                  # not_null | unique | accepted_values | relationship | range | regex | between | row_count
    columns: tuple[str, ...] = ()
    params: dict = field(default_factory=dict, hash=False, compare=False)
    origin: str = field(default="", compare=False)  # where it comes from (YAML, schema), for the summary

    def describe(self) -> str:
        """Short human label, e.g. ``unique(citing_paper_id, cited_paper_id)``."""
        cols = ", ".join(self.columns)
        if self.kind == "relationship":
            return f"relationships({cols} -> {self.params['to']}.{self.params['field']})"
        if self.kind == "range":
            return f"range({cols} in [{self.params.get('min')}, {self.params.get('max')}])"
        return f"{self.kind}({cols})" if cols else self.kind


@dataclass
class Column:
    """One documented column: its DuckDB type, description and tests."""

    name: str
    type: str
    description: str
    tests: list = field(default_factory=list)


@dataclass
class Model:
    """One warehouse model: its YAML contract and (for SQL models) its SQL."""

    name: str
    layer: str
    materialized: str
    description: str
    grain: str | None
    unique_key: list[str]
    columns: dict[str, Column]
    yaml_path: Path
    sql_path: Path | None = None
    sql: str | None = None
    step: str | None = None
    inputs: list[str] = field(default_factory=list)
    depends_on: set[str] = field(default_factory=set)
    docs: str | None = None
    incremental: object = None   # the raw ``incremental:`` declaration; validated by incremental_spec

    @property
    def is_python(self) -> bool:
        """Whether a Python step (not SQL) creates this table."""
        return self.materialized == "python"

    def column_types(self) -> dict[str, str]:
        """Declared column → DuckDB type, in YAML order."""
        return {c.name: c.type for c in self.columns.values()}

    def column_tests(self) -> list[tuple[str, object]]:
        """(column, test spec) pairs in YAML order."""
        return [(c.name, t) for c in self.columns.values() for t in c.tests]

    def checks(self) -> list[Check]:
        """The YAML's tests as check objects: unique_key first, then each column's tests."""
        origin = self.yaml_path.name
        out: list[Check] = []
        if self.unique_key:
            out.append(Check(self.layer, self.name, "unique_key", tuple(self.unique_key), origin=f"{origin}: unique_key"))
        for col, test in self.column_tests():
            kind, arg = parse_test(test, self.yaml_path, col)
            where = f"{origin}: {col}"
            if kind in ("not_null", "unique"):
                out.append(Check(self.layer, self.name, kind, (col,), origin=where))
            elif kind == "accepted_values":
                values = arg.get("values", []) if isinstance(arg, dict) else arg
                # A list column's test applies to each element.
                out.append(Check(self.layer, self.name, kind, (col,),
                                 {"values": list(values), "list": self.columns[col].type.endswith("[]")}, origin=where))
            elif kind == "relationships":
                out.append(Check(self.layer, self.name, "relationship", (col,),
                                 {"to": arg["to"], "field": arg.get("field", col)}, origin=where))
            elif kind == "range":
                out.append(Check(self.layer, self.name, "range", (col,),
                                 {"min": arg.get("min"), "max": arg.get("max")}, origin=where))
        return out


def parse_test(test, yaml_path: Path, col: str) -> tuple[str, object]:
    """(kind, argument) of one YAML test entry; an unknown or malformed test is a ModelError."""
    if isinstance(test, str):
        kind, arg = test, None
    elif isinstance(test, dict) and len(test) == 1:
        (kind, arg), = test.items()
    else:
        raise ModelError(f"{yaml_path}: column {col!r}: cannot read test {test!r}")
    if kind not in TEST_KINDS:
        raise ModelError(f"{yaml_path}: unknown test {test!r} on column {col!r}")
    if kind == "accepted_values" and not (isinstance(arg, list) or (isinstance(arg, dict) and "values" in arg)):
        raise ModelError(f"{yaml_path}: column {col!r}: accepted_values needs a list of values")
    if kind == "relationships" and not (isinstance(arg, dict) and "to" in arg):
        raise ModelError(f"{yaml_path}: column {col!r}: relationships needs 'to'")
    if kind == "range" and not (isinstance(arg, dict) and ("min" in arg or "max" in arg)
                                and set(arg) <= {"min", "max"}):
        raise ModelError(f"{yaml_path}: column {col!r}: range needs {{min: ..., max: ...}}")
    return kind, arg


# libyaml's safe loader builds the same objects ~8x faster: each step process of the build and
# of bench_indicator_steps parses all ~100 contracts once (0.4–1.2 s with the pure-Python loader)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ModelError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a mapping at the top level")
    return data


def parse_model(yaml_path: Path, layer: str) -> Model:
    """One YAML sidecar (and its SQL, if any) as a validated Model."""
    data = _load_yaml(yaml_path)
    name = data.get("name") or yaml_path.stem
    if name != yaml_path.stem:
        raise ModelError(f"{yaml_path}: name {name!r} differs from the file name")
    if data.get("layer", layer) != layer:
        raise ModelError(f"{yaml_path}: layer {data.get('layer')!r} but the file is in {layer}/")
    sql_path = yaml_path.with_suffix(".sql")
    # Staging too defaults to a table: the published file must never read the live lake.
    materialized = data.get("materialized") or "table"
    if materialized not in MATERIALIZATIONS:
        raise ModelError(f"{yaml_path}: materialized must be one of {MATERIALIZATIONS}")
    if materialized == "python" and sql_path.exists():
        raise ModelError(f"{yaml_path}: materialized: python but {sql_path.name} exists")
    if materialized != "python" and not sql_path.exists():
        raise ModelError(f"{yaml_path}: no {sql_path.name} beside it (say materialized: python for a Python step's table)")
    step, inputs = data.get("step"), data.get("inputs")
    if materialized == "python":
        if not isinstance(step, str) or not _STEP.fullmatch(step):
            raise ModelError(f"{yaml_path}: a Python model needs step: \"module:function\" (got {step!r})")
        if inputs is None:
            inputs = []
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ModelError(f"{yaml_path}: inputs must be a list of relation names")
    elif step is not None or inputs is not None:
        raise ModelError(f"{yaml_path}: step/inputs are only for materialized: python (SQL models' inputs come from their SQL)")
    if not data.get("description"):
        raise ModelError(f"{yaml_path}: a model needs a description")
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise ModelError(f"{yaml_path}: columns must be a non-empty mapping name → {{type, description, tests}}")
    columns = {}
    for col, spec in raw_columns.items():
        if not isinstance(spec, dict) or not spec.get("description"):
            raise ModelError(f"{yaml_path}: column {col!r} needs a description")
        if not isinstance(spec.get("type"), str) or not spec["type"].strip():
            raise ModelError(f"{yaml_path}: column {col!r} needs a type (the DuckDB type, e.g. VARCHAR, BIGINT, DOUBLE)")
        tests = spec.get("tests") or []
        if not isinstance(tests, list):
            raise ModelError(f"{yaml_path}: column {col!r}: tests must be a list")
        for test in tests:
            parse_test(test, yaml_path, col)
        columns[col] = Column(name=col, type=spec["type"].strip(), description=str(spec["description"]).strip(),
                              tests=tests)
    unique_key = data.get("unique_key") or []
    if isinstance(unique_key, str):
        unique_key = [unique_key]
    for col in unique_key:
        if col not in columns:
            raise ModelError(f"{yaml_path}: unique_key column {col!r} is not documented")
    model = Model(name=name, layer=layer, materialized=materialized, description=str(data["description"]).strip(),
                  grain=data.get("grain"), unique_key=list(unique_key), columns=columns, yaml_path=yaml_path,
                  step=step if materialized == "python" else None, inputs=list(inputs or []), docs=data.get("docs"),
                  incremental=data.get("incremental"))
    if materialized != "python":
        model.sql_path = sql_path
        model.sql = sql_path.read_text()
    return model


def discover_models(root: Path = WAREHOUSE_DIR) -> dict[str, Model]:
    """Every model under ``root/<layer>/`` keyed by name, with dependencies resolved."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        folder = Path(root) / layer
        if not folder.is_dir():
            continue
        for sql_path in sorted(folder.glob("*.sql")):
            if not sql_path.with_suffix(".yml").exists():
                raise ModelError(f"{sql_path}: no YAML sidecar {sql_path.with_suffix('.yml').name}")
        for yaml_path in sorted(folder.glob("*.yml")):
            model = parse_model(yaml_path, layer)
            if model.name in models:
                raise ModelError(f"model {model.name!r} defined twice ({models[model.name].yaml_path}, {yaml_path})")
            models[model.name] = model
    for model in models.values():
        if model.sql is not None:
            text = _SQL_COMMENT.sub(" ", model.sql)
            model.depends_on = {other for other in models if other != model.name
                                and re.search(rf"\b{re.escape(other)}\b", text)}
    steps = python_steps(models)
    for model in models.values():
        if model.is_python:
            undeclared = sorted(i for i in model.inputs if i not in models)
            if undeclared:
                raise ModelError(f"{model.yaml_path}: input(s) {undeclared} of step {model.step} are not "
                                 f"declared models (add their YAML, or fix the name)")
            # The step's other tables are not its inputs: it makes them itself.
            model.depends_on = {i for i in model.inputs if i not in steps[model.step]}
    return models


@functools.lru_cache(maxsize=8)
def _registry(root: str) -> dict[str, Model]:
    return discover_models(Path(root))


def registry(root: Path | None = None) -> dict[str, Model]:
    """The models under ``root`` (default: the repository's ``warehouse/``), loaded once per process."""
    return _registry(str(Path(root or WAREHOUSE_DIR).resolve()))


def contract(name: str, root: Path | None = None) -> Model:
    """The contract of one model by name; a clear error when no YAML declares it."""
    try:
        return registry(root)[name]
    except KeyError:
        raise ModelError(f"no YAML contract declares {name!r} (add warehouse/<layer>/{name}.yml)") from None


def python_steps(models: dict[str, Model]) -> dict[str, list[str]]:
    """Python step → the tables it declares, in name order."""
    steps: dict[str, list[str]] = {}
    for m in sorted(models.values(), key=lambda m: m.name):
        if m.is_python:
            steps.setdefault(m.step, []).append(m.name)
    return steps


@dataclass
class Node:
    """One unit of the build: a SQL model, or a Python step with the tables it declares."""

    kind: str                       # "sql" | "step"
    name: str                       # model name, or "module:function"
    outputs: list[str]
    depends_on: set[str]            # node names


def build_order(models: dict[str, Model], select=None) -> list[Node]:
    """SQL models and Python steps in dependency order (a topological sort of the declarations).

    ``select`` (model names) limits the build to those models and everything upstream of them; a
    Python step always runs whole. A cycle, or a model reading a later layer, is a ModelError.
    """
    rank = {name: LAYERS.index(m.layer) for name, m in models.items()}
    for m in models.values():
        later = sorted(d for d in m.depends_on if rank[d] > rank[m.name])
        if later:
            raise ModelError(f"{m.name} ({m.layer}) depends on later-layer model(s) {later}")
    producer = {name: (m.step if m.is_python else name) for name, m in models.items()}
    nodes: dict[str, Node] = {}
    for name, m in models.items():
        key = producer[name]
        node = nodes.setdefault(key, Node("step" if m.is_python else "sql", key, [], set()))
        node.outputs.append(name)
        node.depends_on |= {producer[d] for d in m.depends_on} - {key}
    if select is not None:
        unknown = sorted(set(select) - set(models))
        if unknown:
            raise ModelError(f"select names unknown model(s) {unknown}")
        wanted: set[str] = set()
        stack = [producer[n] for n in select]
        while stack:
            key = stack.pop()
            if key not in wanted:
                wanted.add(key)
                stack.extend(nodes[key].depends_on)
        nodes = {k: v for k, v in nodes.items() if k in wanted}

    def sort_key(key: str) -> tuple:
        node = nodes[key]
        return (min(rank[o] for o in node.outputs), node.kind == "step", key)

    ordered: list[Node] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(key: str, path: list[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            cycle = path[path.index(key):]
            raise ModelError("dependency cycle between models: " + " → ".join(cycle))
        state[key] = 1
        for dep in sorted(nodes[key].depends_on, key=sort_key):
            visit(dep, path + [dep])
        state[key] = 2
        nodes[key].outputs.sort()
        ordered.append(nodes[key])

    for key in sorted(nodes, key=sort_key):
        visit(key, [key])
    return ordered
