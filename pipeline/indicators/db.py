"""DuckDB helpers for the indicator steps: SQL files by name, Arrow round trips, the typed writer."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.classify.taxonomy import FAMILIES
from pipeline.errors import MlgraphError

SQL_DIR = Path(__file__).with_name("sql")

ALL_DOMAINS = "all"


@lru_cache(maxsize=None)
def _sql_text(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise MlgraphError(f"indicator SQL {name!r} not found at {path}")
    return path.read_text()


_PARAM = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def load_sql(name: str, **params) -> str:
    """The SQL of ``pipeline/indicators/sql/NAME.sql`` with ``{{ key }}`` replaced by numeric params."""
    def sub(match: re.Match) -> str:
        key = match.group(1)
        if key not in params:
            raise MlgraphError(f"indicator SQL {name!r} needs parameter {key!r}")
        value = params[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise MlgraphError(f"indicator SQL {name!r}: parameter {key!r} must be a number, got {value!r}")
        return repr(value)

    return _PARAM.sub(sub, _sql_text(name))


def fetch_arrays(con, sql: str, params=None, codes: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Run a query and return its columns as NumPy arrays (strings as object arrays).

    Each string column named in ``codes`` comes back instead as int64 codes numbered in sorted
    string order, so ``np.unique`` gives the inverse it gives on the strings, without millions of
    Python strings (an author-id column at 1M papers: ~10 s of object sorting saved per use); its
    sorted distinct values are under ``"<name>:values"``.
    """
    table = (con.sql(sql, params=params) if params else con.sql(sql)).to_arrow_table()
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if name in codes:
            out[name], out[name + ":values"] = sorted_codes(col, name)
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out[name] = np.array(col.to_pylist(), dtype=object)
        else:
            out[name] = col.to_numpy(zero_copy_only=False)
    return out


def sorted_codes(column: pa.ChunkedArray, name: str = "column") -> tuple[np.ndarray, np.ndarray]:
    """(int64 code per value, sorted distinct values) of a non-null string column; code = rank.

    Arrow sorts UTF-8 by bytes, which is code-point order, the order NumPy sorts Python strings in.
    """
    import pyarrow.compute as pc

    if column.null_count:
        raise MlgraphError(f"{name}: {column.null_count} NULL values where an identifier is required")
    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    order = pc.array_sort_indices(encoded.dictionary)
    rank = np.empty(len(encoded.dictionary), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(encoded.dictionary))
    values = np.array(encoded.dictionary.take(order).to_pylist(), dtype=object)
    return rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)], values


def _clean(value) -> pa.Array:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return pa.array(value, mask=np.isnan(value))
    return pa.array(value)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_table(con, name: str, columns: dict, order_by: str | None = None) -> None:
    """Materialise equal-length columns as table ``name`` with the types its YAML declares.

    NaN floats become NULL. The columns must be exactly the YAML's; each is cast to its declared
    type, so an empty result gets the same schema as a full one.
    """
    from pipeline.warehouse.contracts import contract

    declared = contract(name).column_types()
    if set(columns) != set(declared):
        extra, missing = sorted(set(columns) - set(declared)), sorted(set(declared) - set(columns))
        raise MlgraphError(f"{name}: the step's columns differ from its YAML (extra {extra}, missing {missing})")
    table = pa.table({k: _clean(v) for k, v in columns.items()})
    view = f"_ind_arrow_{name}"
    con.register(view, table)
    try:
        select = ", ".join(f"CAST({_q(c)} AS {declared[c]}) AS {_q(c)}" for c in columns)
        order = f" ORDER BY {order_by}" if order_by else ""
        con.execute(f"CREATE OR REPLACE TABLE {_q(name)} AS SELECT {select} FROM {view}{order}")
    finally:
        con.unregister(view)


def family_vocabulary(con) -> list[str]:
    """The taxonomy's family list plus any extra family present in fct_paper_families."""
    seen = [r[0] for r in con.execute(
        "SELECT DISTINCT family FROM fct_paper_families WHERE family IS NOT NULL ORDER BY 1").fetchall()]
    return list(FAMILIES) + [f for f in seen if f not in FAMILIES]
