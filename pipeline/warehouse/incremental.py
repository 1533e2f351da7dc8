"""Incremental builds: what a night may take from the published warehouse instead of recomputing.

Three ways a table gets into an incremental candidate, decided node by node in build order:

- **reuse**: nothing it reads changed (no lake partition of a dataset its SQL names, no upstream
  table), so it is copied from the published warehouse as it is;
- **incremental**: its YAML declares ``incremental: {key: COL, from: {INPUT: INPUT_COL, ...}}``,
  promising that its rows with ``COL = k`` depend only on the rows of each listed input with
  ``INPUT_COL = k`` (and on unlisted inputs only if those did not change). Then the keys touched
  tonight are recomputed from the filtered inputs and replace the published rows with those keys.
  A listed lake dataset qualifies when it only gained partitions; a listed model when it was
  itself rebuilt by that key or did not change (either way it is read filtered by the keys);
- the same, with **lookups**: ``lookups: {INPUT: [COLUMNS]}`` and ``touched: FILE.sql`` name
  inputs the model looks rows up in (the corpus papers a reference resolves to). Such an input
  may have changed in any way: the rows whose looked-up columns differ from the published ones
  (old and new versions, as temp table ``changed_<INPUT>``) go to the model's ``touched`` query,
  which returns (column ``k``) every key whose rows those changes can alter; those keys are
  recomputed too. The touched query may read the model's inputs only (they are built by then).
  A view is transparent: its inputs count as the model's.
- **full**: anything else, as in a full build.

The candidate file starts as a copy of the published one (``in_place``), so a reused table is
already there and costs nothing, and a table rebuilt by key loses its touched keys' rows and
gains their recomputed rows in place, instead of every published row being copied across files.
Tables rebuilt in full are dropped first, so a step that fails to recreate one is caught.

The code fingerprint must equal the published one (any change of SQL, YAML, seeds, taxonomy or
pipeline code makes the whole build full), so reused and kept rows are what this code computes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.warehouse.changes import LakeDiff
from pipeline.warehouse.contracts import Model, ModelError, Node
from pipeline.warehouse.runner import _quote as _q, _sql_str, materialize

log = logging.getLogger("mlgraph.warehouse")

PUBLISHED = "_mlgraph_published"   # the alias the published warehouse is attached under, read-only
_LAKE_DATASET = r"\{\{\s*lake\(\s*'([^']+)'\s*\)\s*\}\}"


@dataclass(frozen=True)
class Incremental:
    """A model's ``incremental:`` declaration."""

    key: str
    sources: dict[str, str]         # input (model name, or lake dataset ``source/name``) → its key column
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)   # looked-up input → columns read
    touched_sql: str = ""           # the keys that changed lookup rows touch (column k)
    export_by_month: bool = False   # exported as one Parquet file per arXiv month of the key


def incremental_spec(model: Model) -> Incremental | None:
    """The model's declared incremental scheme, or None; a malformed one is a ModelError."""
    raw = model.incremental
    if raw is None:
        return None
    where = f"{model.yaml_path}: incremental"
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not isinstance(raw.get("from"), dict) \
            or not raw["from"] or not all(isinstance(v, str) for v in raw["from"].values()):
        raise ModelError(f"{where} needs key: COLUMN and from: {{input: column, ...}} (got {raw!r})")
    if raw["key"] not in model.columns:
        raise ModelError(f"{where}: key {raw['key']!r} is not a documented column")
    if model.is_python or model.materialized == "view":
        raise ModelError(f"{where}: only SQL tables can be rebuilt by key")
    lookups, touched_sql = raw.get("lookups") or {}, ""
    if lookups:
        if not isinstance(lookups, dict) or not all(isinstance(c, list) and c and all(isinstance(x, str) for x in c)
                                                    for c in lookups.values()):
            raise ModelError(f"{where}: lookups needs {{input: [column, ...], ...}} (got {lookups!r})")
        if not isinstance(raw.get("touched"), str):
            raise ModelError(f"{where}: lookups need touched: FILE.sql (the keys their changes touch)")
        touched = model.yaml_path.parent / raw["touched"]
        if not touched.is_file():
            raise ModelError(f"{where}: touched query {touched} not found")
        touched_sql = touched.read_text()
    export = raw.get("export")
    if export not in (None, "files_by_key_month"):
        raise ModelError(f"{where}: export must be files_by_key_month (got {export!r})")
    return Incremental(key=raw["key"], sources=dict(raw["from"]),
                       lookups={k: tuple(v) for k, v in lookups.items()}, touched_sql=touched_sql,
                       export_by_month=export == "files_by_key_month")


def effective_inputs(model: Model, models: dict[str, Model]) -> tuple[set[str], set[str]]:
    """(tables, lake datasets) a model reads, through views: a view is recomputed on every read."""
    tables, datasets, stack, seen = set(), set(lake_datasets(model)), list(model.depends_on), set()
    while stack:
        name = stack.pop()
        if name in seen or name not in models:
            continue
        seen.add(name)
        if models[name].materialized == "view":
            datasets |= lake_datasets(models[name])
            stack.extend(models[name].depends_on)
        else:
            tables.add(name)
    return tables, datasets


def lake_datasets(model: Model) -> set[str]:
    """The lake datasets a SQL model reads."""
    import re

    return set(re.findall(_LAKE_DATASET, model.sql or ""))


@dataclass
class IncrementalPlan:
    """Decisions of one incremental build against the published warehouse ``published``."""

    published: Path
    diff: LakeDiff
    lake: Path
    base_run: str = ""                                          # run id of the published build
    decisions: dict[str, str] = field(default_factory=dict)     # table → reuse | incremental | full
    keys: dict[str, str] = field(default_factory=dict)          # incremental table → its keys' temp table
    key_columns: dict[str, str] = field(default_factory=dict)   # incremental table → its key column
    in_place: bool = False                                      # the candidate started as a copy of published
    _published_tables: set[str] = field(default_factory=set)

    def attach(self, con) -> None:
        """Attach the published warehouse read-only (detached before the candidate is closed)."""
        con.execute(f"ATTACH {_sql_str(self.published)} AS {PUBLISHED} (READ_ONLY)")
        self._published_tables = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
            [PUBLISHED]).fetchall()}

    def detach(self, con, failing: bool = False) -> None:
        """Detach the published warehouse: the candidate must not refer to it."""
        if not failing:
            con.execute(f"DETACH DATABASE IF EXISTS {PUBLISHED}")
            return
        # The build is failing already: a step that died mid-query leaves a result open, and
        # DuckDB then refuses the DETACH; that refusal must not hide the step's own error.
        try:
            con.execute(f"DETACH DATABASE IF EXISTS {PUBLISHED}")
        except Exception as exc:  # noqa: BLE001 — duckdb raises several classes; the candidate is discarded
            log.warning("could not detach the published warehouse from the failing build: %s",
                        str(exc).splitlines()[0])

    @property
    def published_relations(self) -> set[str]:
        """The relations of the published warehouse this night's candidate started as a copy of."""
        return set(self._published_tables)

    def decide(self, con, node: Node, models: dict[str, Model]) -> str:
        """How to build ``node``: reuse, incremental or full (recorded per output table)."""
        how = self._decide(node, models)
        for name in node.outputs:
            self.decisions[name] = how
        return how

    def _decide(self, node: Node, models: dict[str, Model]) -> str:
        outputs = [models[o] for o in node.outputs]
        if any(m.materialized == "view" or m.name not in self._published_tables for m in outputs):
            return "full"
        tables, datasets = set(), set()
        for m in outputs:
            t, d = effective_inputs(m, models)
            tables |= t
            datasets |= d
        tables -= set(node.outputs)
        changed_models = {d for d in tables if self.decisions.get(d) != "reuse"}
        changed_data = datasets & self.diff.dirty()
        if not changed_models and not changed_data:
            return "reuse"
        if node.kind != "sql":
            return "full"
        spec = incremental_spec(outputs[0])
        if spec is None:
            return "full"
        for d in changed_data:
            if d not in spec.sources or not self._appended_only(d):
                return "full"
        for d in changed_models:
            if d in spec.lookups and d in self._published_tables:
                continue
            if d not in spec.sources or self.decisions.get(d) != "incremental" \
                    or incremental_spec(models[d]).key != spec.sources[d]:
                return "full"
        return "incremental"

    def _appended_only(self, dataset: str) -> bool:
        import schemas
        from pipeline.lake import is_versioned_snapshot

        # A new version of a dump replaces the old one as a whole: never an append.
        return self.diff.appended_only(dataset) and not is_versioned_snapshot(schemas.get(dataset))

    def copy(self, con, name: str) -> None:
        """The published table ``name``, copied into the candidate (already there when in place)."""
        if not self.in_place:
            con.execute(f"CREATE OR REPLACE TABLE {_q(name)} AS SELECT * FROM {PUBLISHED}.main.{_q(name)}")

    def drop_for_rebuild(self, con, names) -> None:
        """In place, drop the published versions of tables about to be rebuilt in full."""
        if not self.in_place:
            return
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                 "WHERE table_catalog = current_database() AND table_schema = 'main'").fetchall())
        for name in names:
            if name in kinds:
                con.execute(f"DROP {'VIEW' if kinds[name] == 'VIEW' else 'TABLE'} {_q(name)}")

    def rebuild_by_key(self, con, model: Model, lake: Path) -> None:
        """Recompute the keys touched tonight and keep the published rows of every other key."""
        spec = incremental_spec(model)
        keys = f"_mlgraph_keys_{model.name}"
        parts = []
        for source, column in sorted(spec.sources.items()):
            if "/" in source and source in self.diff.added:
                files = ", ".join(_sql_str(f) for f in _partition_files(lake, source, self.diff.added[source]))
                if files:
                    parts.append(f"SELECT {_q(column)} AS k FROM read_parquet([{files}], union_by_name = true)")
            elif source in self.keys:
                parts.append(f"SELECT k FROM {self.keys[source]}")
        changed = [self._changed_rows(con, name, columns) for name, columns in sorted(spec.lookups.items())]
        if any(changed):
            parts.append(f"SELECT k FROM ({spec.touched_sql.strip().rstrip(';')})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {keys} AS " + (" UNION ".join(parts) or "SELECT NULL AS k LIMIT 0"))
        for name in spec.lookups:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{_q('changed_' + name)}")
        if con.execute(f"SELECT count(*) FROM {keys} WHERE k IS NULL").fetchone()[0]:
            # A NULL key is no key: its rows cannot be told apart, so rebuild the table whole.
            self.decisions[model.name] = "full"
            self.drop_for_rebuild(con, [model.name])
            materialize(con, model, lake)
            return
        db = con.execute("SELECT current_database()").fetchone()[0]
        in_keys = f"IN (SELECT k FROM {keys})"
        # Every listed table is filtered by the keys, rebuilt by key tonight or not.
        shadowed = [s for s in spec.sources if "/" not in s]
        try:
            # A temp view shadows the full input for this model's SQL only.
            for source in shadowed:
                con.execute(f"CREATE OR REPLACE TEMP VIEW {_q(source)} AS SELECT * FROM {_q(db)}.main.{_q(source)} "
                            f"WHERE {_q(spec.sources[source])} {in_keys}")
            lake_filters = {s: f"{_q(c)} {in_keys}" for s, c in spec.sources.items() if "/" in s}
            materialize(con, model, lake, into="_mlgraph_delta", lake_filters=lake_filters)
        finally:
            for source in shadowed:
                con.execute(f"DROP VIEW IF EXISTS temp.main.{_q(source)}")
        key = _q(spec.key)
        stray = con.execute(f"SELECT count(*) FROM _mlgraph_delta WHERE {key} IS NULL OR {key} NOT {in_keys}").fetchone()[0]
        if stray:
            # The declaration promised rows keyed by the inputs' keys; a recomputation that makes
            # other rows proves it wrong, and keeping them would duplicate rows.
            raise ModelError(f"{model.yaml_path}: incremental: recomputing {con.execute(f'SELECT count(*) FROM {keys}').fetchone()[0]} "
                             f"key(s) gave {stray} row(s) with other keys; {model.name} is not keyed by {spec.key} "
                             f"on {sorted(spec.sources)} (remove its incremental declaration)")
        if self.in_place:
            # Same rows in the same order as the copy below: the kept rows, then the recomputed ones.
            con.execute(f"DELETE FROM {_q(model.name)} WHERE {key} {in_keys}")
            con.execute(f"INSERT INTO {_q(model.name)} BY NAME SELECT * FROM _mlgraph_delta")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {_q(model.name)} AS "
                        f"SELECT * FROM {PUBLISHED}.main.{_q(model.name)} WHERE {key} IS NULL OR {key} NOT {in_keys} "
                        f"UNION ALL BY NAME SELECT * FROM _mlgraph_delta")
        con.execute("DROP TABLE _mlgraph_delta")
        self.keys[model.name] = keys
        self.key_columns[model.name] = spec.key

    def _changed_rows(self, con, name: str, columns) -> int:
        """``changed_<name>``: the published and new versions of rows whose ``columns`` differ."""
        cols = ", ".join(_q(c) for c in columns)
        db = con.execute("SELECT current_database()").fetchall()[0][0]
        new, old = f"{_q(db)}.main.{_q(name)}", f"{PUBLISHED}.main.{_q(name)}"
        if self.decisions.get(name) == "reuse":
            query = f"SELECT {cols} FROM {new} LIMIT 0"
        else:
            query = (f"(SELECT {cols} FROM {new} EXCEPT SELECT {cols} FROM {old}) "
                     f"UNION (SELECT {cols} FROM {old} EXCEPT SELECT {cols} FROM {new})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_q('changed_' + name)} AS {query}")
        return con.execute(f"SELECT count(*) FROM temp.main.{_q('changed_' + name)}").fetchall()[0][0]

    def changed_tables(self) -> dict[str, str | None]:
        """Table → predicate of its rebuilt rows (None: rebuilt whole); reused tables are absent."""
        from pipeline.warehouse.changes import META_SCHEMA

        out: dict[str, str | None] = {}
        for name, how in sorted(self.decisions.items()):
            if how == "full":
                out[name] = None
            elif how == "incremental":
                out[name] = (f"CAST({_q(self.key_columns[name])} AS VARCHAR) IN (SELECT key FROM {META_SCHEMA}.changed_keys "
                             f"WHERE table_name = {_sql_str(name)})")
        return out

    def test_scope(self) -> dict[str, tuple[str, str] | None]:
        """For run_model_tests: reused tables → None, tables rebuilt by key → (key column, keys' temp table)."""
        scope: dict[str, tuple[str, str] | None] = {n: None for n, how in self.decisions.items() if how == "reuse"}
        scope.update({n: (self.key_columns[n], self.keys[n]) for n, how in self.decisions.items() if how == "incremental"})
        return scope

    def key_queries(self) -> dict[str, str]:
        """Incremental table → a query of its rebuilt keys as VARCHAR (for the build record)."""
        return {name: f"SELECT CAST(k AS VARCHAR) AS k FROM {table}" for name, table in self.keys.items()
                if self.decisions.get(name) == "incremental"}

    def summary(self) -> str:
        """One line: how many tables were reused, rebuilt by key and rebuilt whole."""
        counts = {how: sum(1 for v in self.decisions.values() if v == how) for how in ("reuse", "incremental", "full")}
        return (f"{counts['reuse']} table(s) copied unchanged, {counts['incremental']} rebuilt by key, "
                f"{counts['full']} rebuilt in full")


def _partition_files(lake: Path, dataset: str, values) -> list[str]:
    import schemas
    from pipeline.lake import current_generation

    spec = schemas.get(dataset)
    gen = current_generation(Path(lake))
    return [str(f) for v in values for f in sorted((gen / spec.source / spec.name / f"{spec.partition_key}={v}")
                                                  .glob("*.parquet"))]
