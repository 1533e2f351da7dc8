"""Item 4 of issue 13: a multi-partition lake commit is atomic for readers and for kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline import lake

REPO = Path(__file__).resolve().parents[2]
SPEC = "arxiv/quarantine"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _rows(n: int, tag: str) -> list[dict]:
    return [{"dataset": "arxiv/papers", "record_key": f"{tag}{i}", "reason": tag, "raw": "<r/>",
             "location": "l", "ingested_at": NOW} for i in range(n)]


def _count(lake_path) -> dict[str, int]:
    rows = duckdb.connect().execute(
        "SELECT reason, count(*) FROM read_parquet(?) GROUP BY ALL", [lake.dataset_glob(lake_path, SPEC)]).fetchall()
    return dict(rows)


def test_a_kill_between_partitions_keeps_the_old_generation_whole(tmp_path):
    with lake.transaction(tmp_path) as txn:
        txn.write(SPEC, "a", _rows(10, "old"))
        txn.write(SPEC, "b", _rows(10, "old"))
    code = textwrap.dedent(f"""
        from datetime import datetime, timezone
        from pipeline import lake
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        rows = [{{"dataset": "arxiv/papers", "record_key": f"n{{i}}", "reason": "new", "raw": "", "location": "l",
                 "ingested_at": now}} for i in range(3)]
        with lake.transaction({str(tmp_path)!r}) as txn:
            txn.write({SPEC!r}, "a", rows)
            txn.write({SPEC!r}, "b", rows)
    """)
    for point in ("lake.commit.moved@1", "lake.commit.before_swap", "lake.swap.before_rename"):
        rc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "MLGRAPH_FAULT_KILL": point},
                            timeout=120).returncode
        assert rc == -signal.SIGKILL
        assert _count(tmp_path) == {"old": 20}, point
    rc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "MLGRAPH_FAULT_KILL": "lake.swap.after_rename"},
                        timeout=120).returncode
    assert rc == -signal.SIGKILL and _count(tmp_path) == {"new": 6}
    # The debris of the killed commits (unpublished generations, _tmp folders) goes at the next commit.
    lake.write_partition(tmp_path, SPEC, "c", _rows(1, "c"))
    assert len(list((tmp_path / "_gen").glob("g*"))) <= lake.KEEP_GENERATIONS + 1
    assert list((tmp_path / "_tmp").iterdir()) == []


def test_readers_never_see_a_gap_while_partitions_are_replaced(tmp_path):
    with lake.transaction(tmp_path) as txn:
        for part in ("a", "b", "c"):
            txn.write(SPEC, part, _rows(5, "x"))
    seen: list[int] = []
    stop = threading.Event()

    def read():
        con = duckdb.connect()
        while not stop.is_set():
            seen.append(con.execute("SELECT count(*) FROM read_parquet(?)", [lake.dataset_glob(tmp_path, SPEC)]).fetchone()[0])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(25):
            with lake.transaction(tmp_path) as txn:
                for part in ("a", "b", "c"):
                    txn.write(SPEC, part, _rows(5, "x"))
    finally:
        stop.set()
        reader.join()
    assert seen and set(seen) == {15}
