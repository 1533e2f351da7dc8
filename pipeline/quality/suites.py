"""What the quality gates check, as plain data: derived from the lake schemas and the warehouse YAML.

Nothing here imports Great Expectations; :mod:`pipeline.quality.gates` turns each :class:`Check`
into a GX expectation. Keeping the derivation separate lets tests inspect the suites cheaply and
keeps one source of truth: the ``tests:`` entries in ``warehouse/<layer>/NAME.yml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipeline.errors import MlgraphError
from pipeline.ids import ARXIV_ID_PATTERN

# Repository checkout: the model YAML ships next to the package (editable install / Docker image).
MODELS_DIR = Path(__file__).resolve().parents[2] / "warehouse"
WAREHOUSE_LAYERS = ("staging", "intermediate", "marts", "indicators")


# Dates of corpus papers cannot precede arXiv (1991); a looser floor applies to columns that
# describe older things (a method introduced in 1958, a cited textbook) — they still must not
# lie in the future, the commonest corruption (a swapped day/month, a unit error).
PAPER_DATE_FLOOR = date(1990, 1, 1)
OLD_THINGS_FLOOR = date(1000, 1, 1)
_OLD_THINGS = re.compile(r"(introduced|cited_|parent_|root_|^first_seen)")
_YEAR_COLUMN = re.compile(r"(^|_)year$")
_ARXIV_COLUMN = re.compile(r"(^|_)arxiv_id$")
# pandas warns about capturing groups in str.contains; the id pattern's group is only for grouping.
ARXIV_ID_REGEX = re.sub(r"\((?!\?)", "(?:", ARXIV_ID_PATTERN)


@dataclass(frozen=True)
class Check:
    """One expectation to evaluate on one table (or a derived frame of it)."""

    suite: str                 # raw | staging | intermediate | marts | indicators | row_counts
    table: str                 # warehouse table, or lake dataset key
    kind: str                  # not_null | unique | accepted_values | regex | between | relationship | row_count
    columns: tuple[str, ...] = ()
    params: dict = field(default_factory=dict, hash=False, compare=False)
    origin: str = field(default="", compare=False)  # where it comes from (YAML, schema), for the summary

    def describe(self) -> str:
        """Short human label, e.g. ``unique(citing_paper_id, cited_paper_id)``."""
        cols = ", ".join(self.columns)
        if self.kind == "relationship":
            return f"relationships({cols} -> {self.params['to']}.{self.params['field']})"
        return f"{self.kind}({cols})" if cols else self.kind


@dataclass
class Model:
    """A warehouse model's YAML sidecar, reduced to what the gates need."""

    name: str
    layer: str
    path: Path
    unique_key: tuple[str, ...]
    column_tests: dict[str, list]


def date_floor(column: str, table: str = "") -> date:
    """Lower bound of a date/year column: arXiv-era for paper dates, loose for older things."""
    return OLD_THINGS_FLOOR if _OLD_THINGS.search(column) else PAPER_DATE_FLOOR


def date_ceiling(today: date | None = None) -> date:
    """Upper bound of any date: tomorrow (time zones put a paper's date up to a day ahead)."""
    return (today or date.today()) + timedelta(days=1)


def is_year_column(column: str) -> bool:
    """Integer columns named ``year`` or ``*_year`` hold calendar years."""
    return bool(_YEAR_COLUMN.search(column))


def is_arxiv_column(column: str) -> bool:
    """Columns that hold normalised arXiv ids (``arxiv_id``, ``cited_arxiv_id``…)."""
    return bool(_ARXIV_COLUMN.search(column))


def load_models(models_dir: Path | None = None, layers=WAREHOUSE_LAYERS) -> list[Model]:
    """Every model YAML under ``models_dir/<layer>/`` (sorted), validated just enough to use."""
    import yaml

    models_dir = Path(models_dir or MODELS_DIR)
    out = []
    for layer in layers:
        for path in sorted((models_dir / layer).glob("*.yml")):
            try:
                doc = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as exc:
                raise MlgraphError(f"{path}: invalid YAML: {exc}") from None
            if not isinstance(doc, dict) or "name" not in doc:
                raise MlgraphError(f"{path}: a model YAML needs at least 'name'")
            key = doc.get("unique_key") or ()
            key = (key,) if isinstance(key, str) else tuple(key)
            tests = {}
            for col, spec in (doc.get("columns") or {}).items():
                tests[col] = list((spec or {}).get("tests") or [])
            out.append(Model(name=doc["name"], layer=doc.get("layer", layer), path=path,
                             unique_key=key, column_tests=tests))
    return out


def _accepted(values) -> list:
    # dbt writes {accepted_values: {values: [...]}}; our contract writes the list directly.
    if isinstance(values, dict):
        values = values.get("values", [])
    return list(values)


def model_checks(model: Model) -> list[Check]:
    """Checks declared by one model's YAML: unique_key, and each column's tests."""
    origin = str(model.path.name)
    suite = model.layer
    checks: list[Check] = []
    if model.unique_key:
        checks.append(Check(suite, model.name, "unique", model.unique_key, origin=f"{origin}: unique_key"))
        for col in model.unique_key:
            checks.append(Check(suite, model.name, "not_null", (col,), origin=f"{origin}: unique_key"))
    for col, tests in model.column_tests.items():
        for test in tests:
            if isinstance(test, str):
                name, arg = test, None
            elif isinstance(test, dict) and len(test) == 1:
                name, arg = next(iter(test.items()))
            else:
                raise MlgraphError(f"{model.path}: column {col}: cannot read test {test!r}")
            where = f"{origin}: {col}"
            if name == "not_null":
                checks.append(Check(suite, model.name, "not_null", (col,), origin=where))
            elif name == "unique":
                checks.append(Check(suite, model.name, "unique", (col,), origin=where))
            elif name == "accepted_values":
                checks.append(Check(suite, model.name, "accepted_values", (col,),
                                    {"values": _accepted(arg)}, origin=where))
            elif name == "relationships":
                arg = arg or {}
                if "to" not in arg:
                    raise MlgraphError(f"{model.path}: column {col}: relationships needs 'to'")
                checks.append(Check(suite, model.name, "relationship", (col,),
                                    {"to": arg["to"], "field": arg.get("field", col)}, origin=where))
            else:
                # Unknown tests are SQL-model tests for the warehouse runner, not for GX.
                continue
    # A key declared twice (unique_key and a column test) is one expectation.
    seen, unique_checks = set(), []
    for c in checks:
        if c not in seen:
            seen.add(c)
            unique_checks.append(c)
    return unique_checks


def typed_checks(suite: str, table: str, columns: dict[str, str], origin: str, today: date | None = None) -> list[Check]:
    """Checks implied by column names and types: arXiv id format and dates/years in range.

    ``columns`` maps column name to its DuckDB type name.
    """
    ceiling = date_ceiling(today)
    checks = []
    for col, typ in columns.items():
        typ = typ.upper()
        if is_arxiv_column(col) and typ in ("VARCHAR", "STRING", "TEXT"):
            checks.append(Check(suite, table, "regex", (col,), {"regex": ARXIV_ID_REGEX}, origin=f"{origin}: arXiv id"))
        elif typ == "DATE" or typ.startswith("TIMESTAMP"):
            checks.append(Check(suite, table, "between", (col,),
                                {"min": date_floor(col), "max": ceiling, "date": True}, origin=f"{origin}: date range"))
        elif is_year_column(col) and typ in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT", "TINYINT", "UINTEGER", "USMALLINT"):
            checks.append(Check(suite, table, "between", (col,),
                                {"min": date_floor(col).year, "max": ceiling.year}, origin=f"{origin}: year range"))
    return checks


def raw_checks(spec, partition_column: str, today: date | None = None) -> list[Check]:
    """Checks of one raw lake dataset: keys not null and unique within a partition, ids, dates."""
    key = spec.key_columns  # the declared grain; quarantine datasets have none
    checks = []
    origin = f"schemas/{spec.source}.py"
    if key:
        checks.append(Check("raw", spec.key, "unique", (partition_column, *key), origin=f"{origin}: grain"))
        for col in key:
            checks.append(Check("raw", spec.key, "not_null", (col,), origin=f"{origin}: grain"))
    types = {}
    for f in spec.schema:
        t = str(f.type)
        types[f.name] = ("DATE" if t.startswith("date") else "TIMESTAMP" if t.startswith("timestamp")
                         else "VARCHAR" if t == "string" else "INTEGER" if t.startswith("int") else t)
    checks += typed_checks("raw", spec.key, types, origin, today)
    return checks


def row_count_floor(previous_rows: int, max_drop: float) -> int:
    """The fewest rows a table may have without counting as collapsed vs the previous publish."""
    return int(previous_rows * (1.0 - max_drop) + 0.999999)
