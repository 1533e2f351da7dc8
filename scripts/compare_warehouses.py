"""Compare every table of two warehouse files: same tables, columns, types and rows (floats to 1e-9).

Used to prove a refactor of the build keeps its outputs: build the sample warehouse before and
after, then ``python scripts/compare_warehouses.py BEFORE.duckdb AFTER.duckdb``. Exit 0 when all
tables match, 1 with one line per difference otherwise.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

TOLERANCE = 1e-9
_FLOATS = ("DOUBLE", "FLOAT", "REAL")


def _tables(con, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = 'main' ORDER BY table_name, ordinal_position",
        [catalog]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, col, typ in rows:
        out.setdefault(table, []).append((col, typ))
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sorted_rows(con, catalog: str, table: str, columns: list[tuple[str, str]]) -> list[tuple]:
    # Order by the exact columns first and by floats rounded to well inside the tolerance, so
    # both sides sort the same even when a float differs in its last bits.
    exact = [_q(c) for c, t in columns if t not in _FLOATS]
    fuzzy = [f"round({_q(c)}, 6)" for c, t in columns if t in _FLOATS]
    order = ", ".join(f"{e} NULLS FIRST" for e in exact + fuzzy) or "1"
    select = ", ".join(_q(c) for c, _ in columns)
    return con.execute(f"SELECT {select} FROM {_q(catalog)}.main.{_q(table)} ORDER BY {order}").fetchall()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two warehouse files, one readable line each (empty = identical)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{before}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{after}' AS b (READ_ONLY)")
    ta, tb = _tables(con, "a"), _tables(con, "b")
    diffs = [f"{t}: only in {before.name}" for t in sorted(set(ta) - set(tb))]
    diffs += [f"{t}: only in {after.name}" for t in sorted(set(tb) - set(ta))]
    for table in sorted(set(ta) & set(tb)):
        if sorted(ta[table]) != sorted(tb[table]):
            diffs.append(f"{table}: columns differ: {ta[table]} vs {tb[table]}")
            continue
        cols = sorted(ta[table])
        ra, rb = _sorted_rows(con, "a", table, cols), _sorted_rows(con, "b", table, cols)
        if len(ra) != len(rb):
            diffs.append(f"{table}: {len(ra)} rows vs {len(rb)}")
            continue
        bad = [i for i, (x, y) in enumerate(zip(ra, rb)) if not _same(x, y)]
        if bad:
            diffs.append(f"{table}: {len(bad)} of {len(ra)} rows differ, e.g. {ra[bad[0]]} vs {rb[bad[0]]}")
    con.close()
    return diffs


def main(argv: list[str]) -> int:
    """CLI: print the differences and exit 1 when there are any."""
    if len(argv) != 2:
        print("usage: compare_warehouses.py BEFORE.duckdb AFTER.duckdb", file=sys.stderr)
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    diffs = compare(before, after)
    for line in diffs:
        print(line)
    if not diffs:
        import duckdb

        with duckdb.connect(str(after), read_only=True) as con:
            n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'").fetchone()[0]
        print(f"identical: {n} relations (floats to {TOLERANCE})")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
