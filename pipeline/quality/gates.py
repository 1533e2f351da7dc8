"""Write–audit–publish: validate a candidate warehouse (and the raw lake) with Great Expectations.

GX 1.x cannot validate DuckDB through its SQL datasource, so each table's needed columns are
queried read-only from DuckDB into a pandas DataFrame and validated in an ephemeral GX context.
GX keeps only what the build's SQL row tests do not do: raw-lake checks, typed ranges (dates,
years, arXiv ids, the YAML's ``range`` tests) and row-count drops against the previous publish.

A night's build declares what it changed (:class:`pipeline.warehouse.changes.Changes`). Then GX
validates only the changed raw partitions and the rebuilt rows, and every table also gets cheap
whole-table checks as one SQL aggregate query in DuckDB (duplicate keys, NULLs in required
columns, values outside ``range``/date/year bounds, exact over all rows) whose one-row summary GX
validates, so its results and Data Docs stay. Row-level checks no aggregate expresses (the arXiv id
format) hold for unchanged rows because they were validated when those rows arrived.

A table the night rebuilt whole is not validated whole either: with the published warehouse at
hand, GX sees only its rows that are new or changed against the published table, compared on the
declared key plus the columns the row-level checks read (a row check's verdict depends on those
columns alone, and a published row passed the same checks, the date ceiling only moving later).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from pipeline.errors import MlgraphError, QualityGateError
from pipeline.quality import suites as S
from pipeline.warehouse.changes import Changes

log = logging.getLogger(__name__)

DEFAULT_MAX_DROP = 0.5          # a table losing more than half its rows vs the last publish fails
DEFAULT_MAX_ROWS = 5_000_000    # larger tables are validated on a deterministic reservoir sample
ROW_COUNT_LAYERS = ("intermediate", "marts", "indicators")
WHOLE_TABLE_SUITE = "whole_tables"  # GX results of the SQL aggregate summaries
_EXAMPLES = 5
# BASIC still reports unexpected counts and examples, and skips SUMMARY's extra value-count metrics.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 10}
# A summary names each failing row by its check: COMPLETE lists every one (summaries are small).
SUMMARY_RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["check_id", "table", "check"]}


@dataclass
class Failure:
    """One failed expectation, with enough context to find the bad rows."""

    suite: str
    table: str
    expectation: str
    check: str
    origin: str
    unexpected_count: int | None = None
    element_count: int | None = None
    examples: list = field(default_factory=list)
    detail: str | None = None

    def line(self) -> str:
        """One readable line for the failure summary."""
        what = f"{self.suite} / {self.table}: {self.expectation} {self.check}"
        where = f" [{self.origin}]" if self.origin else ""
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            what += f" — {self.unexpected_count}{of} unexpected"
            if self.examples:
                what += f", e.g. {self.examples}"
        if self.detail:
            what += f" — {self.detail}"
        return what + where


@dataclass
class GateReport:
    """The outcome of one quality-gate run (also written as summary.json in ``results_dir``)."""

    run_id: str
    candidate: str
    previous: str | None
    results_dir: str
    success: bool = True
    expectations: int = 0
    suites: dict[str, dict] = field(default_factory=dict)   # suite -> {tables, expectations, failed}
    failures: list[Failure] = field(default_factory=list)
    sampled: dict[str, int] = field(default_factory=dict)   # table -> rows validated when sampled
    scope: str = "full"                                      # full | changes
    validated_rows: dict[str, int] = field(default_factory=dict)  # suite.table -> rows GX validated row by row
    phase_seconds: dict[str, float] = field(default_factory=dict)  # raw, warehouse (of which aggregates), …
    new_rows: dict[str, int] = field(default_factory=dict)  # suite.table rebuilt whole -> rows not in the previous publish
    duration_seconds: float = 0.0

    def summary(self) -> str:
        """Human-readable summary: counts per suite and every failure with examples."""
        status = "passed" if self.success else "FAILED — publishing blocked"
        lines = [f"quality gates {status}: {self.expectations} expectations, "
                 f"{len(self.failures)} failed ({self.duration_seconds:.1f} s); results in {self.results_dir}"]
        if self.scope != "full":
            lines.append(f"  scope: what changed — {len(self.validated_rows)} changed raw dataset(s)/rebuilt table(s) "
                         f"row by row ({sum(self.validated_rows.values())} rows), every table by SQL aggregates")
            if self.new_rows:
                lines.append(f"  {len(self.new_rows)} table(s) rebuilt whole: only their {sum(self.new_rows.values())} "
                             f"row(s) new or changed against {Path(self.previous).name if self.previous else 'the publish'}")
        for name, s in self.suites.items():
            lines.append(f"  {name:12s} {s['tables']:3d} table(s) {s['expectations']:5d} expectations "
                         f"{s['failed']:3d} failed")
        for table, rows in self.sampled.items():
            lines.append(f"  note: {table} validated on a sample of {rows} rows")
        for f in self.failures:
            lines.append("  FAIL " + f.line())
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Plain JSON-able dict (for XCom and summary.json)."""
        return asdict(self)


def safe_run_id(run_id: str | None) -> str:
    """A filesystem-safe run id; a fresh timestamped one when none is given."""
    if not run_id:
        run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", run_id).strip("_")


def _import_gx():
    # GX sets its module loggers to INFO and logs at import; under Airflow's logging config that
    # floods the task log, so import with INFO disabled and quieten every GX logger afterwards.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        import great_expectations as gx
    finally:
        logging.disable(previous)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return gx


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Validator:
    """One ephemeral GX context; validates (frame, checks) pairs and collects failures."""

    def __init__(self, results_dir: Path):
        self.gx = _import_gx()
        self.context = self.gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False, "metric_calculations": False}
        # One asset for every frame: adding an asset re-validates the whole datasource config, so
        # an asset per table made the run quadratic in the number of tables.
        source = self.context.data_sources.add_pandas("mlgraph")
        self.frames = source.add_dataframe_asset("frames").add_batch_definition_whole_dataframe("all")
        self.results_dir = results_dir
        self.results: dict[str, list] = {}
        self.failures: list[Failure] = []
        self.counts: dict[str, dict] = {}
        self._tables: dict[str, set] = {}

    def _expectation(self, check: S.Check, index: int, frame_columns: dict[str, str]):
        E = self.gx.expectations
        meta = {"check": check.describe(), "origin": check.origin, "index": index}
        col = frame_columns.get(check.columns[0]) if check.columns else None
        if check.kind == "not_null":
            return E.ExpectColumnValuesToNotBeNull(column=col, meta=meta)
        if check.kind == "unique":
            if len(check.columns) == 1:
                return E.ExpectColumnValuesToBeUnique(column=col, meta=meta)
            return E.ExpectCompoundColumnsToBeUnique(column_list=[frame_columns[c] for c in check.columns], meta=meta)
        if check.kind == "regex":
            return E.ExpectColumnValuesToMatchRegex(column=col, regex=check.params["regex"], meta=meta)
        if check.kind == "between":
            lo, hi = check.params["min"], check.params["max"]
            if check.params.get("date"):
                import pandas as pd

                lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
            return E.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi, meta=meta)
        if check.kind == "range":
            return E.ExpectColumnValuesToBeBetween(column=col, min_value=check.params.get("min"),
                                                   max_value=check.params.get("max"), meta=meta)
        raise ValueError(f"unknown check kind {check.kind}")

    def _run(self, suite: str, table: str, frame, expectations: list, result_format: dict) -> dict:
        # The constructor, not add_expectation: that compares each new expectation with every
        # earlier one (quadratic; 12 s of a 700-expectation run).
        gx_suite = self.gx.ExpectationSuite(name=f"{suite}.{table}", expectations=expectations)
        batch = self.frames.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(gx_suite, result_format=result_format).to_json_dict()
        self.results.setdefault(suite, []).append({"table": table, "result": result})
        return result

    def validate(self, suite: str, table: str, frame, checks: list[S.Check], frame_columns: dict[str, str]) -> None:
        """Validate ``frame`` against ``checks``; ``frame_columns`` maps check column -> frame column."""
        result = self._run(suite, table, frame, [self._expectation(c, i, frame_columns) for i, c in enumerate(checks)],
                           RESULT_FORMAT)
        stats = self._stats(suite, table)
        stats["expectations"] += len(checks)
        for r in result["results"]:
            if r["success"]:
                continue
            stats["failed"] += 1
            meta = r["expectation_config"].get("meta") or {}
            check = checks[meta.get("index", 0)]
            res = r.get("result") or {}
            exc = r.get("exception_info") or {}
            detail = exc.get("exception_message") if exc.get("raised_exception") else None
            self.failures.append(Failure(suite=suite, table=table, expectation=r["expectation_config"]["type"],
                                         check=check.describe(), origin=check.origin,
                                         unexpected_count=res.get("unexpected_count"),
                                         element_count=res.get("element_count"),
                                         examples=list(res.get("partial_unexpected_list") or [])[:_EXAMPLES],
                                         detail=detail))

    def validate_summary(self, suite: str, group: str, frame, checks: list[S.Check], expectation, failure) -> None:
        """Validate a DuckDB-computed summary, one row per check (column ``check_id``), with one expectation.

        GX reports the failing rows by ``check_id``; ``failure(check, row)`` turns each into a Failure.
        """
        result = self._run(suite, group, frame, [expectation], SUMMARY_RESULT_FORMAT)
        for check in checks:
            self._stats(suite, check.table)["expectations"] += 1
        rows = frame.set_index("check_id", drop=False)
        for r in result["results"]:
            exc = r.get("exception_info") or {}
            if exc.get("raised_exception"):
                raise MlgraphError(f"GX could not validate the {suite} summary: {exc.get('exception_message')}")
            for bad in (r.get("result") or {}).get("unexpected_index_list") or []:
                check = checks[int(bad["check_id"])]
                self._stats(suite, check.table)["failed"] += 1
                self.failures.append(failure(check, rows.loc[int(bad["check_id"])], r["expectation_config"]["type"]))

    def _stats(self, suite: str, table: str) -> dict:
        stats = self.counts.setdefault(suite, {"tables": 0, "expectations": 0, "failed": 0})
        seen = self._tables.setdefault(suite, set())
        if table not in seen:
            seen.add(table)
            stats["tables"] += 1
        return stats

    def fail(self, suite: str, table: str, check: str, origin: str, detail: str) -> None:
        """Record a failure found before GX could run (a missing table or column)."""
        stats = self._stats(suite, table)
        stats["expectations"] += 1
        stats["failed"] += 1
        self.failures.append(Failure(suite=suite, table=table, expectation="table_structure", check=check,
                                     origin=origin, detail=detail))

    def write(self) -> None:
        """Keep every suite's full GX validation results as JSON."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        for suite, results in self.results.items():
            (self.results_dir / f"{suite}.json").write_text(json.dumps(results, indent=1, default=str))


def _columns(con, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall()
    return {name: typ for name, typ in rows}


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main'").fetchall()}


def _select_expr(col: str, typ: str, source_alias: str = "") -> str:
    ref = source_alias + _q(col)
    # Time-zone-aware timestamps are compared as UTC wall time; pandas then holds naive values.
    if typ.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        return f"CAST(timezone('UTC', {ref}) AS TIMESTAMP) AS {_q(col)}"
    return f"{ref} AS {_q(col)}"


def _frame(con, table_sql: str, exprs: list[str], max_rows: int) -> tuple[object, int | None]:
    total = con.execute(f"SELECT count(*) FROM {table_sql}").fetchone()[0]
    select = ", ".join(exprs) if exprs else "1 AS _row"
    if total > max_rows:
        sql = f"SELECT {select} FROM {table_sql} USING SAMPLE reservoir({int(max_rows)} ROWS) REPEATABLE (42)"
        return con.execute(sql).df(), max_rows
    return con.execute(f"SELECT {select} FROM {table_sql}").df(), None


def _present(v: _Validator, suite: str, table: str, checks: list[S.Check], columns: dict[str, str]) -> list[S.Check]:
    """The checks whose columns exist; each other check is recorded as a structure failure."""
    present = []
    for c in checks:
        missing = [col for col in c.columns if col not in columns]
        if missing:
            v.fail(suite, table, c.describe(), c.origin, f"column(s) {missing} not in the table")
        else:
            present.append(c)
    return present


def _validate_table(v: _Validator, con, suite: str, table: str, table_sql: str, columns: dict[str, str],
                    checks: list[S.Check], max_rows: int, sampled: dict[str, int], skip_empty: bool = False) -> int | None:
    """Validate all checks of one table on one frame of the columns they need; returns its rows."""
    scalar = _present(v, suite, table, checks, columns)
    if not scalar:
        return None
    needed = list(dict.fromkeys(col for c in scalar for col in c.columns))
    frame, n = _frame(con, table_sql, [_select_expr(col, columns[col]) for col in needed], max_rows)
    if n:
        sampled[f"{suite}.{table}"] = n
    if skip_empty and frame.empty:  # a table the night rebuilt no row of: nothing for GX to look at
        return 0
    v.validate(suite, table, frame, scalar, {col: col for col in needed})
    return len(frame)


def _bound(value, typ: str) -> str:
    """A check's bound as a SQL literal comparable with a column of DuckDB type ``typ``."""
    if hasattr(value, "isoformat"):
        kind = "DATE" if typ.upper() == "DATE" else "TIMESTAMP"
        return f"{kind} '{value.isoformat()}'"
    if isinstance(value, (int, float)):
        return repr(value)
    from pipeline.lake import sql_literal

    return sql_literal(value)


def _aggregate_metric(check: S.Check, columns: dict[str, str]) -> tuple[str, str | None] | None:
    """(aggregate counting the rows that break ``check``, condition selecting examples) or None.

    Only checks an aggregate can answer exactly are here; regexes, accepted values and
    relationships stay row-level (GX on changed rows, the build's SQL tests on all rows).
    """
    cols = check.columns
    if check.kind == "unique_key":
        row = "row(" + ", ".join(_q(c) for c in cols) + ")"
        return f"count(*) - count(DISTINCT {row})", None
    if check.kind == "unique":
        return f"count({_q(cols[0])}) - count(DISTINCT {_q(cols[0])})", None
    if check.kind == "not_null":
        return f"count(*) - count({_q(cols[0])})", None
    if check.kind in ("range", "between"):
        typ = columns[cols[0]]
        ref = _q(cols[0])
        if typ.upper().startswith("TIMESTAMP WITH TIME ZONE"):
            ref = f"CAST(timezone('UTC', {ref}) AS TIMESTAMP)"
        outside = [f"{ref} {op} {_bound(check.params[side], typ)}"
                   for side, op in (("min", "<"), ("max", ">")) if check.params.get(side) is not None]
        if not outside:
            return None
        condition = " OR ".join(outside)
        return f"count(*) FILTER (WHERE {condition})", condition
    return None


_KEY_CHECKS = ("unique_key", "unique")


class _Summaries:
    """Whole-table checks: one SQL aggregate scan per table; GX validates each layer's summary."""

    def __init__(self, v: _Validator):
        self.v = v
        self.rows: dict[str, list[dict]] = {}
        self.checks: dict[str, list[S.Check]] = {}

    def add(self, con, group: str, table: str, table_sql: str, columns: dict[str, str], checks: list[S.Check],
            rebuilt: str | None = None, keys: bool = True) -> None:
        """Aggregate ``checks`` over every row of ``table`` into the summary of ``group``.

        Key checks (duplicate ``unique_key``/``unique`` values) need a hash of every key, the one
        costly aggregate (~30 s for 25M rows under load), so with ``rebuilt`` (the predicate of
        the rebuilt rows) they count only duplicates of rebuilt keys, across the whole table,
        and with ``keys=False`` (nothing rebuilt) they are skipped: the rest of the table passed
        them when it was published.
        """
        metrics = [(c, m) for c in checks if (m := _aggregate_metric(c, columns)) is not None
                   and (keys or c.kind not in _KEY_CHECKS)]
        if not metrics:
            return
        select = ", ".join(f"{expr if rebuilt is None or c.kind not in _KEY_CHECKS else 0} AS m{i}"
                           for i, (c, (expr, _)) in enumerate(metrics))
        rows, *values = con.execute(f"SELECT count(*), {select} FROM {table_sql}").fetchone()
        if rebuilt is not None:
            for i, (c, (expr, _)) in enumerate(metrics):
                if c.kind in _KEY_CHECKS:
                    on = ", ".join(_q(k) for k in c.columns)
                    values[i] = con.execute(
                        f"SELECT {expr} FROM {table_sql} SEMI JOIN (SELECT DISTINCT {on} FROM {table_sql} "
                        f"WHERE {rebuilt}) USING ({on})").fetchone()[0]
        summary, kept = self.rows.setdefault(group, []), self.checks.setdefault(group, [])
        for (check, (_, condition)), value in zip(metrics, values):
            examples = []
            if value and check.kind in ("unique_key", "unique"):
                keys = ", ".join(_q(c) for c in check.columns)
                examples = [list(r) if len(r) > 1 else r[0] for r in con.execute(
                    f"SELECT {keys} FROM {table_sql} GROUP BY ALL HAVING count(*) > 1 LIMIT {_EXAMPLES}").fetchall()]
            elif value and condition:
                examples = [r[0] for r in con.execute(
                    f"SELECT {_q(check.columns[0])} FROM {table_sql} WHERE {condition} LIMIT {_EXAMPLES}").fetchall()]
            summary.append({"check_id": len(kept), "table": table, "check": check.describe(), "rows": rows,
                            "violations": int(value), "examples": json.dumps(examples, default=_plain)})
            kept.append(check)

    def validate(self) -> None:
        """One GX validation per group: the summary's ``violations`` must all be 0."""
        import pandas as pd

        E = self.v.gx.expectations
        for group, rows in self.rows.items():
            expectation = E.ExpectColumnValuesToBeBetween(column="violations", min_value=0, max_value=0,
                                                          meta={"what": "rows breaking each check, whole table"})
            self.v.validate_summary(WHOLE_TABLE_SUITE, group, pd.DataFrame(rows), self.checks[group], expectation,
                                    _aggregate_failure)
        self.rows, self.checks = {}, {}


def _plain(value):
    # DECIMAL columns come back as Decimal: show them as the numbers they are, the rest as text.
    return float(value) if isinstance(value, Decimal) else str(value)


def _aggregate_failure(check: S.Check, row, expectation: str) -> Failure:
    return Failure(suite=WHOLE_TABLE_SUITE, table=check.table, expectation=expectation, check=check.describe(),
                   origin=f"{check.origin}; whole table, SQL aggregate", unexpected_count=int(row["violations"]),
                   element_count=int(row["rows"]), examples=json.loads(row["examples"]))


def _bad_predicate(v: _Validator, model: S.Model, predicate, exc: Exception) -> None:
    v.fail(model.layer, model.name, "rebuilt rows", "build changes",
           f"cannot select the rebuilt rows with {predicate!r}: {str(exc).splitlines()[0]}")


_PUBLISHED = "_mlgraph_published"     # the previous publish, attached read-only to diff whole rebuilds
_NEW_ROWS = "_mlgraph_new_rows"       # temp table: a whole rebuild's rows absent from the published table


def _published_columns(con, table: str) -> dict[str, str]:
    rows = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
                       "AND schema_name = 'main' AND table_name = ?", [_PUBLISHED, table]).fetchall()
    return dict(rows)


def _new_rows(con, model: S.Model, columns: dict[str, str], checks: list[S.Check]) -> tuple[str, int] | None:
    """(temp table, rows) of ``model``'s rows whose key and checked columns the published table lacks;
    None when the published table cannot be compared (absent, or the columns differ), so all rows count.

    Columns no check reads cannot change a verdict and are left out: hashing them (titles, lists)
    would be most of the cost. The key makes the count mean rows new or changed, not new values.
    """
    checked = list(dict.fromkeys(col for c in checks for col in c.columns))
    compared = list(dict.fromkeys([k for k in model.unique_key if k in columns] + checked))
    published = _published_columns(con, model.name)
    if not compared or any(published.get(col) != columns[col] for col in compared):
        return None
    cols = ", ".join(_q(c) for c in compared)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_NEW_ROWS} AS SELECT {cols} FROM main.{_q(model.name)} "
                f"EXCEPT SELECT {cols} FROM {_PUBLISHED}.main.{_q(model.name)}")
    return _NEW_ROWS, con.execute(f"SELECT count(*) FROM {_NEW_ROWS}").fetchone()[0]


def _warehouse_gates(v: _Validator, candidate: Path, models: list[S.Model], max_rows: int,
                     report: GateReport, today, changes: Changes, previous: Path | None = None) -> None:
    import duckdb

    from pipeline.lake import sql_literal

    con = duckdb.connect(str(candidate), read_only=True)
    summaries = _Summaries(v)
    try:
        tables = _tables(con)
        diff_whole = not changes.full and previous is not None and Path(previous).exists()
        if diff_whole:
            con.execute(f"ATTACH {sql_literal(str(previous))} AS {_PUBLISHED} (READ_ONLY)")
        for model in models:
            if model.name not in tables:
                v.fail(model.layer, model.name, "table exists", model.yaml_path.name,
                       f"declared in {model.yaml_path.parent.name}/{model.yaml_path.name} but missing from the candidate")
                continue
            columns = _columns(con, model.name)
            typed = S.typed_checks(model.layer, model.name, columns, model.yaml_path.name, today)
            row_checks = S.model_checks(model) + typed
            if changes.full:
                _validate_table(v, con, model.layer, model.name, _q(model.name), columns, row_checks, max_rows,
                                report.sampled)
                if f"{model.layer}.{model.name}" in report.sampled:
                    # A sample can miss the one bad row: the ranges are then also checked exactly.
                    summaries.add(con, model.layer, model.name, _q(model.name), columns,
                                  [c for c in row_checks if c.kind in ("range", "between")])
                continue
            present = _present(v, model.layer, model.name, model.checks() + typed, columns)
            started = time.monotonic()
            if model.materialized != "view":
                # A view is recomputed from tables these aggregates already check (its own YAML
                # tests run over all rows in the build); scanning it here cost 22 s at 1M.
                try:
                    summaries.add(con, model.layer, model.name, _q(model.name), columns, present,
                                  rebuilt=changes.tables.get(model.name), keys=model.name in changes.tables)
                except duckdb.Error as exc:
                    _bad_predicate(v, model, changes.tables.get(model.name), exc)
                    continue
            _add_phase(report, "whole_table_aggregates", started)
            if model.name not in changes.tables or model.materialized == "view":
                # A view holds no rows of its own: its inputs are validated on what changed, and
                # its query is code that passed the full gates (changed code builds in full).
                # Diffing a 30M-row view against the published one cost 9 s of a 39 s night.
                continue
            predicate = changes.tables[model.name]
            table_sql = _q(model.name) if predicate is None else f"(SELECT * FROM {_q(model.name)} WHERE {predicate})"
            row_level = [c for c in present if c in row_checks]
            if predicate is None and diff_whole and row_level:
                started = time.monotonic()
                new_rows = _new_rows(con, model, columns, row_level)
                _add_phase(report, "whole_rebuild_diff", started)
                if new_rows is not None:
                    table_sql, report.new_rows[f"{model.layer}.{model.name}"] = new_rows
            try:
                n = _validate_table(v, con, model.layer, model.name, table_sql, columns, row_level, max_rows,
                                    report.sampled, skip_empty=True)
            except duckdb.Error as exc:
                _bad_predicate(v, model, predicate, exc)
                continue
            if n is not None:
                report.validated_rows[f"{model.layer}.{model.name}"] = n
        started = time.monotonic()
        summaries.validate()
        _add_phase(report, "whole_table_aggregates", started)
    finally:
        if diff_whole:
            con.execute(f"DETACH DATABASE IF EXISTS {_PUBLISHED}")
        con.close()


def _changed_partition_globs(lake: Path, spec, values) -> list[str]:
    """Globs of the Parquet files of the named partitions that exist in the current generation."""
    from pipeline import lake as lake_mod

    # The generation ``raw`` points at now, as ``dataset_glob`` reads it: stable while a commit swaps.
    gen = lake_mod.current_generation(lake)
    root = gen / spec.source / spec.name if gen is not None else lake_mod.dataset_dir(lake, spec)
    globs = []
    for value in values:
        folder = root / f"{spec.partition_key}={value}"
        if list(folder.glob("*.parquet")):
            globs.append(str(folder / "*.parquet"))
        else:
            log.warning("changed partition %s=%s of %s is not in the lake; nothing to validate there",
                        spec.partition_key, value, spec.key)
    return globs


def _raw_gates(v: _Validator, lake: Path, max_rows: int, report: GateReport, today, changes: Changes) -> None:
    import duckdb

    import schemas
    from pipeline import lake as lake_mod

    if not changes.full:
        unknown = sorted(set(changes.raw_partitions) - {spec.key for spec in schemas.all_specs()})
        if unknown:
            log.warning("changes name raw dataset(s) %s that no schema declares", unknown)
    con = duckdb.connect()
    try:
        for spec in schemas.all_specs():
            if changes.full:
                if not list(lake_mod.dataset_dir(lake, spec).glob("*/*.parquet")):
                    continue
                globs = [lake_mod.dataset_glob(lake, spec)]
            else:
                # Unchanged partitions were validated by the night that wrote them.
                globs = _changed_partition_globs(lake, spec, changes.raw_partitions.get(spec.key, ()))
                if not globs:
                    continue
            files = "[" + ", ".join(lake_mod.sql_literal(g) for g in globs) + "]"
            table_sql = f"read_parquet({files}, hive_partitioning = true, union_by_name = true)"
            # DuckDB may type a partition value (a batch date) itself; the key just needs its text.
            columns = {f.name: ("VARCHAR" if str(f.type) == "string" else str(f.type)) for f in spec.schema}
            columns.update(_columns_of_sql(con, table_sql))
            checks = S.raw_checks(spec, spec.partition_key, today)
            n = _validate_table(v, con, "raw", spec.key, table_sql, columns, checks, max_rows, report.sampled)
            if not changes.full and n is not None:
                report.validated_rows[f"raw.{spec.key}"] = n
    finally:
        con.close()


def _columns_of_sql(con, table_sql: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {table_sql}").fetchall()
    return {r[0]: r[1] for r in rows}


def _row_count_gates(v: _Validator, candidate: Path, previous: Path, models: list[S.Model], max_drop: float) -> None:
    import duckdb
    import pandas as pd

    # Views are left out: counting one recomputes it, and its row count follows from its tables'.
    names = [m.name for m in models if m.layer in ROW_COUNT_LAYERS and m.materialized != "view"]
    with duckdb.connect(str(previous), read_only=True) as prev_con:
        prev_tables = _tables(prev_con)
        before = {n: prev_con.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0] for n in names if n in prev_tables}
    with duckdb.connect(str(candidate), read_only=True) as con:
        cand_tables = _tables(con)
        now = {n: con.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0] for n in before if n in cand_tables}
    # A table gone from the candidate is reported by the structure check; here only counts compare.
    compared = [n for n in before if n in now]
    if not compared:
        return
    checks = [S.Check("row_counts", n, "row_count", (n,),
                      {"previous": before[n], "min": S.row_count_floor(before[n], max_drop)},
                      origin=f"previous publish {previous.name}") for n in compared]
    frame = pd.DataFrame([{"check_id": i, "table": c.table, "check": "row count", "previous_rows": c.params["previous"],
                           "rows": now[c.table], "floor": c.params["min"]} for i, c in enumerate(checks)])
    expectation = v.gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="rows", column_B="floor", or_equal=True, meta={"what": f"row counts vs {previous.name}"})

    def failure(check: S.Check, row, kind: str) -> Failure:
        return Failure(suite="row_counts", table=check.table, expectation=kind, check="row_count", origin=check.origin,
                       detail=f"{row['rows']} rows now vs {row['previous_rows']} in the previous publish "
                              f"(floor {row['floor']})")

    # One validation of one expectation for every table: a validation each cost ~10 ms per table.
    v.validate_summary("row_counts", f"vs {previous.name}", frame, checks, expectation, failure)


def _add_phase(report: GateReport, phase: str, started: float) -> float:
    now = time.monotonic()
    report.phase_seconds[phase] = round(report.phase_seconds.get(phase, 0.0) + now - started, 2)
    return now


def resolve_changes(candidate: Path, changes: Changes | None) -> Changes:
    """The candidate's changes: as given, else the build's own record (``changes_of``), else everything."""
    if changes is not None:
        return changes
    from pipeline.warehouse.changes import changes_of

    try:
        return changes_of(candidate)
    except Exception as exc:  # noqa: BLE001 — validating everything is always safe
        log.warning("cannot tell what %s changed (%s); validating everything", candidate.name, exc)
        return Changes.everything()


def run_gates(settings, candidate: Path, previous: Path | None = None, *, changes: Changes | None = None,
              run_id: str | None = None, models_dir: Path | None = None, layers=("raw",) + S.WAREHOUSE_LAYERS,
              max_drop: float = DEFAULT_MAX_DROP, max_rows: int = DEFAULT_MAX_ROWS, today=None) -> GateReport:
    """Validate ``candidate`` (and the raw lake); raise QualityGateError with a summary on failure.

    ``previous`` is the warehouse to compare row counts against; by default the published one
    (``settings.warehouse``) when it exists and is not the candidate itself. ``changes`` (default:
    ``changes_of(candidate)`` when the build provides it) scopes the row-level checks to the
    changed raw partitions and rebuilt rows (of a table rebuilt whole, the rows not in ``previous``);
    ``None`` from both, or ``changes.full``, validates everything. Every run's GX validation results are kept as JSON under ``<home>/quality/<run_id>/``.
    """
    started = time.monotonic()
    candidate = Path(candidate)
    if not candidate.exists():
        raise MlgraphError(f"candidate warehouse {candidate} does not exist")
    if previous is None and settings.warehouse.exists() and settings.warehouse.resolve() != candidate.resolve():
        previous = settings.warehouse
    run_id = safe_run_id(run_id)
    results_dir = Path(settings.home) / "quality" / run_id
    changes = resolve_changes(candidate, changes)
    report = GateReport(run_id=run_id, candidate=str(candidate), previous=str(previous) if previous else None,
                        results_dir=str(results_dir), scope="full" if changes.full else "changes")
    mark = time.monotonic()
    v = _Validator(results_dir)
    mark = _add_phase(report, "gx_start", mark)
    from pipeline.warehouse.contracts import discover_models

    registry = discover_models(Path(models_dir or S.MODELS_DIR))
    models = [m for layer in layers if layer != "raw"
              for m in sorted(registry.values(), key=lambda m: m.name) if m.layer == layer]
    if "raw" in layers:
        _raw_gates(v, settings.lake, max_rows, report, today, changes)
        mark = _add_phase(report, "raw", mark)
    _warehouse_gates(v, candidate, models, max_rows, report, today, changes, previous)
    mark = _add_phase(report, "warehouse", mark)
    if previous is not None and Path(previous).exists():
        _row_count_gates(v, candidate, Path(previous), models, max_drop)
        mark = _add_phase(report, "row_counts", mark)
    v.write()
    report.suites = v.counts
    report.failures = v.failures
    report.expectations = sum(s["expectations"] for s in v.counts.values())
    report.success = not v.failures
    report.duration_seconds = round(time.monotonic() - started, 2)
    mark = time.monotonic()
    (results_dir / "summary.json").write_text(json.dumps(report.as_dict(), indent=2, default=str))
    (results_dir / "summary.txt").write_text(report.summary() + "\n")
    try:  # Data Docs are for people: a rendering problem must not change the gate's outcome
        from pipeline.quality.data_docs import build_data_docs

        build_data_docs(results_dir)
    except Exception as exc:  # noqa: BLE001
        log.warning("GX Data Docs not built for %s: %s", results_dir, exc)
    _add_phase(report, "data_docs", mark)
    log.info("%s", report.summary())
    if not report.success:
        error = QualityGateError(report.summary())
        error.report = report
        raise error
    return report
