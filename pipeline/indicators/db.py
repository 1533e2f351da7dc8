"""Small DuckDB helpers for the indicator steps (existence checks, Arrow round trips)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Fixed vocabulary (the taxonomy's families, pipeline.classify.taxonomy); families seen in the data but not here are appended.
FAMILIES = (
    "transformer", "cnn", "rnn", "gnn", "mlp", "diffusion", "gan", "vae", "flow", "ssm",
    "tree_ensemble", "kernel", "probabilistic", "shallow_embedding", "symbolic", "linear",
    "evolutionary", "other",
)
ALL_DOMAINS = "all"


def has_table(con, name: str) -> bool:
    """True when a table or view of that name exists in the main schema."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
        [name],
    ).fetchall()[0]
    return bool(row[0])


def has_column(con, table: str, column: str) -> bool:
    """True when ``table`` has ``column``."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table, column],
    ).fetchall()[0]
    return bool(row[0])


def fetch_arrays(con, sql: str, params=None) -> dict[str, np.ndarray]:
    """Run a query and return its columns as NumPy arrays (strings as object arrays)."""
    table = (con.sql(sql, params=params) if params else con.sql(sql)).to_arrow_table()
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out[name] = np.array(col.to_pylist(), dtype=object)
        else:
            out[name] = col.to_numpy(zero_copy_only=False)
    return out


_TEXT_COLUMNS = {"family", "domain", "area", "framework", "outcome", "kind", "unit", "author_id", "paper_id",
                 "root_method", "top_root", "dominant_family", "majority_family", "majority_domains",
                 "origin_domain", "from_family", "to_family", "from_framework", "to_framework"}


def _empty_type(name: str) -> pa.DataType:
    """Column type when a result is empty (no values to infer it from), by naming convention."""
    if name in _TEXT_COLUMNS:
        return pa.string()
    if name == "low_n" or name.startswith("is_") or name.endswith("_complete"):
        return pa.bool_()
    if name.startswith(("n_", "year", "period_", "latest_year", "first_year", "last_year")) or name.endswith(
            ("_total", "links", "results")):
        return pa.int64()
    return pa.float64()


def _clean(name: str, value) -> pa.Array:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return pa.array(value, mask=np.isnan(value))
    array = pa.array(value)
    return array.cast(_empty_type(name)) if pa.types.is_null(array.type) else array


def write_table(con, name: str, columns: dict, order_by: str | None = None) -> None:
    """Materialise a dict of equal-length columns as table ``name`` (NaN floats become NULL)."""
    table = pa.table({k: _clean(k, v) for k, v in columns.items()})
    view = f"_ind_arrow_{name}"
    con.register(view, table)
    try:
        order = f" ORDER BY {order_by}" if order_by else ""
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}{order}")
    finally:
        con.unregister(view)


def family_vocabulary(con) -> list[str]:
    """The fixed family list plus any extra family present in fct_paper_families."""
    seen = [r[0] for r in con.execute(
        "SELECT DISTINCT family FROM fct_paper_families WHERE family IS NOT NULL ORDER BY 1").fetchall()]
    return list(FAMILIES) + [f for f in seen if f not in FAMILIES]


def classified_filter(con, alias: str = "p") -> str:
    """SQL predicate keeping papers with a real family label (provenance 'none' = unclassified)."""
    if has_column(con, "dim_papers", "family_provenance"):
        return f"{alias}.primary_family IS NOT NULL AND coalesce({alias}.family_provenance, '') <> 'none'"
    return f"{alias}.primary_family IS NOT NULL"
