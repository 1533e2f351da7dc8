"""Python steps' Arrow results as warehouse tables, typed by their contracts."""

from __future__ import annotations

import pyarrow as pa


def create_from_arrow(con, name: str, table: pa.Table, order: str | None = None) -> None:
    """``CREATE OR REPLACE TABLE name`` from Arrow rows, each column cast to its declared type.

    An empty result (``pa.Table.from_pylist([])`` has no columns at all) still gets every declared
    column, so a lake without a source's data builds the same schema. Tables without a contract
    (a step's temp tables) keep the Arrow types.
    """
    from pipeline.warehouse.contracts import registry

    model = registry().get(name)
    types = model.column_types() if model else {}
    if table.num_columns == 0 and types:
        select = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in types.items())
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT {select} LIMIT 0')
        return
    select = ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' if c in types else f'"{c}"' for c in table.column_names)
    view = f"_arrow_{name}"
    con.register(view, table)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT {select} FROM "{view}"'
                    + (f" ORDER BY {order}" if order else ""))
    finally:
        con.unregister(view)
