"""Write PwC dump records in the surviving archive's Parquet layout, as the HF ``datasets`` converter does.

The community archive (``pwc-archive`` on the Hugging Face Hub) holds each dump as
``<dataset>/data/train-0000i-of-0000N.parquet``: the JSON records turned into one Arrow table
(nested objects → structs over the union of their keys, absent keys → null, lists → lists), cut
into N shards.  This module writes the same from the sample's JSON dumps, so the source's Parquet
path is tested on files laid out like the real ones.  It imports nothing from the PwC client: the
layout is written from its description, not from the reader under test.

A JSON dump is read whole here: this is for the sample and for tests, never for a real dump.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DUMPS = ("papers-with-abstracts", "methods", "evaluation-tables", "links-between-papers-and-code", "datasets")
# The archive's dataset folder names (the code links folder has no "s" in "paper").
ARCHIVE_NAMES = {"links-between-papers-and-code": "links-between-paper-and-code"}
DEFAULT_SHARDS = {"papers-with-abstracts": 4}


def archive_name(dump: str) -> str:
    """The archive's dataset folder for a dump name."""
    return ARCHIVE_NAMES.get(dump, dump)


def _kinds(value, path: tuple, out: dict[tuple, set]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _kinds(v, path + (k,), out)
    elif isinstance(value, list):
        for v in value:
            _kinds(v, path + ("[]",), out)
    elif value is not None:
        out.setdefault(path, set()).add("str" if isinstance(value, str) else "bool" if isinstance(value, bool)
                                        else "num")


def _stringify(value, path: tuple, mixed: set[tuple]):
    if isinstance(value, dict):
        return {k: _stringify(v, path + (k,), mixed) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v, path + ("[]",), mixed) for v in value]
    if path in mixed and value is not None and not isinstance(value, str):
        # repr of a number is what the JSON path keeps as its raw text, so both paths agree.
        return json.dumps(value) if isinstance(value, bool) else repr(value)
    return value


def records_table(records: list) -> pa.Table:
    """One Arrow table of the records, typed by inference over all of them as the converter does.

    A field holding both text and numbers (leaderboard cells: "91.8%" beside 91.2) cannot be one
    Arrow type; there the numbers are written as their text, which is how a converter given a
    string feature stores them.
    """
    try:
        return _infer(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        kinds: dict[tuple, set] = {}
        for record in records:
            _kinds(record, (), kinds)
        mixed = {path for path, found in kinds.items() if "str" in found and len(found) > 1}
        return _infer([_stringify(r, (), mixed) for r in records])


def _infer(records: list) -> pa.Table:
    # Not Table.from_pylist: it takes the column names from the first record alone and silently
    # drops a key that record lacks; inference over one struct array unites the keys of all.
    if not records:
        return pa.table({})
    return pa.Table.from_struct_array(pa.array(records))


def write_records(records: list, out_dir: Path, dump: str, shards: int = 1,
                  layout: str = "archive") -> list[Path]:
    """Write one dump's records as ``<archive name>/data/train-*-of-*.parquet`` (or one ``<dump>.parquet``)."""
    if layout not in ("archive", "single"):
        raise ValueError(f"layout must be 'archive' or 'single', not {layout!r}")
    table = records_table(records)
    out_dir = Path(out_dir)
    if layout == "single":
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{dump}.parquet"
        pq.write_table(table, path)
        return [path]
    data = out_dir / archive_name(dump) / "data"
    data.mkdir(parents=True, exist_ok=True)
    shards = max(1, min(shards, max(1, table.num_rows)))
    step = -(-table.num_rows // shards)
    paths = []
    for i in range(shards):
        path = data / f"train-{i:05d}-of-{shards:05d}.parquet"
        # Small row groups, so a reader's batches cross row-group boundaries as on the Hub's files.
        pq.write_table(table.slice(i * step, step), path, row_group_size=1_000)
        paths.append(path)
    return paths


def read_dump(path: Path) -> list:
    """The records of a JSON dump file (gzip or plain)."""
    path = Path(path)
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def write_archive(json_dir: Path, out_dir: Path, shards: dict[str, int] | None = None,
                  dumps: Iterable[str] = DUMPS, layout: str = "archive") -> dict[str, list[Path]]:
    """Convert the JSON dumps in ``json_dir`` (the sample's ``pwc/``) to the archive layout in ``out_dir``."""
    counts = {**DEFAULT_SHARDS, **(shards or {})}
    written = {}
    for dump in dumps:
        for suffix in (".json.gz", ".json"):
            source = Path(json_dir) / f"{dump}{suffix}"
            if source.is_file():
                written[dump] = write_records(read_dump(source), out_dir, dump, counts.get(dump, 1), layout)
                break
    return written
