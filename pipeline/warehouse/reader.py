"""Opening a built warehouse for reading (CLI stages, digests, notebooks' helpers)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import MlgraphError


def open_readonly(path, required: Iterable[str] = ()):
    """A read-only DuckDB connection to a warehouse file, or a readable MlgraphError.

    Fails when the file is missing or unreadable, or lacks any ``required`` table or view.
    """
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise MlgraphError(f"no warehouse at {path}; run `mlgraph build` (or `make run`) first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise MlgraphError(f"cannot open warehouse {path}: {exc}") from None
    missing = sorted(set(required) - {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()})
    if missing:
        con.close()
        raise MlgraphError(f"warehouse {path} lacks {', '.join(missing)}; rebuild it with `mlgraph build`")
    return con
