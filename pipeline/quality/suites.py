"""What the quality gates check, as plain data: derived from the lake schemas and the model contracts.

Nothing here imports Great Expectations; :mod:`pipeline.quality.gates` turns each :class:`Check`
into a GX expectation. The model contracts come from the one registry,
:mod:`pipeline.warehouse.contracts`; the gates keep only what the build's SQL row tests do not
cover: raw-lake checks (grain, id format, dates), typed ranges and row-count drops.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from pipeline.ids import ARXIV_ID_PATTERN
from pipeline.warehouse.contracts import LAYERS as WAREHOUSE_LAYERS
from pipeline.warehouse.contracts import WAREHOUSE_DIR as MODELS_DIR
from pipeline.warehouse.contracts import Check, Model

__all__ = ["Check", "Model", "MODELS_DIR", "WAREHOUSE_LAYERS", "model_checks", "typed_checks", "raw_checks",
           "row_count_floor", "date_floor", "date_ceiling"]


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


def model_checks(model: Model) -> list[Check]:
    """The YAML checks Great Expectations adds to the build's SQL row tests: typed ranges.

    not_null, unique, accepted_values and relationships run once, in SQL over the full table,
    in the build (``pipeline.warehouse.runner.run_model_tests``); the ``range`` checks are the
    same objects the build runs, validated here again with GX's result documents.
    """
    return [c for c in model.checks() if c.kind == "range"]


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
