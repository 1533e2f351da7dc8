"""Items 9 + 10 of issue 13: one build at a time, cleanup of debris, atomic publish, newest dump version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import lake
from pipeline.errors import LockedError
from pipeline.manifest import Manifest
from pipeline.warehouse import builder

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _hold_lock(settings) -> subprocess.Popen:
    proc = _python(f"""
        import sys, time
        from pipeline.config import load_settings
        from pipeline.warehouse import builder
        s = load_settings(env={{}}, home={str(settings.home)!r})
        with builder.build_lock(s):
            print("held", flush=True)
            time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == b"held"
    return proc


def test_a_second_build_fails_fast_naming_the_holder_and_a_dead_holder_is_stale(settings):
    holder = _hold_lock(settings)
    try:
        started = time.monotonic()
        with pytest.raises(LockedError, match=rf"another build is running \(pid {holder.pid} on "):
            builder.build(settings, select=())
        with pytest.raises(LockedError):
            builder.publish(settings, settings.home / "nothing.duckdb")
        assert time.monotonic() - started < 5
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The killed holder's lock file still names it, but its flock died with it.
    assert str(holder.pid) in (builder.warehouse_dir(settings) / "build.lock").read_text()
    with builder.build_lock(settings):
        pass


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_cleanup_removes_debris_of_dead_runs_only(settings):
    # A transaction folder of a killed ingest, and a live one of ours.
    proc = _python(f"""
        import time
        from pipeline import lake
        lake.claim_tmp(lake.Path({str(settings.lake / '_tmp' / 'dead-txn')!r}))
        (lake.Path({str(settings.lake / '_tmp' / 'dead-txn')!r}) / "big.json.gz").write_bytes(b"x" * 1000)
        print("ready", flush=True)
        time.sleep(60)
    """)
    assert proc.stdout.readline().strip() == b"ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    live = lake.claim_tmp(settings.lake / "_tmp" / "live-txn")
    cdir = builder.candidates_dir(settings)
    cdir.mkdir(parents=True)
    (cdir / "run1.building.duckdb").write_bytes(b"half")
    (cdir / "run1.exports").mkdir()
    m = Manifest(settings.state)
    with m.record("arxiv", "window"):
        pass
    import sqlite3

    with sqlite3.connect(m.path) as conn:
        conn.execute("INSERT INTO ingests (source, target, started_at, outcome, pid, host) VALUES "
                     "('pwc', 'methods', '2026-01-01T00:00:00+00:00', 'running', ?, ?)",
                     (_dead_pid(), os.uname().nodename))
        conn.execute("INSERT INTO ingests (source, target, started_at, outcome, pid, host) VALUES "
                     "('s2', 'batch', '2099-01-01T00:00:00+00:00', 'running', ?, ?)", (os.getpid(), os.uname().nodename))
    done = builder.cleanup(settings)
    assert done["lake_tmp_removed"] == 1 and done["candidates_removed"] == 1 and done["manifest_interrupted"] == 1
    assert not (settings.lake / "_tmp" / "dead-txn").exists() and (settings.lake / "_tmp" / "live-txn").exists()
    assert not (cdir / "run1.building.duckdb").exists() and not (cdir / "run1.exports").exists()
    outcomes = {e["source"]: e["outcome"] for e in m.entries()}
    assert outcomes == {"pwc": "interrupted", "s2": "running", "arxiv": "ok"}
    live.close()


def _candidate(settings, run: str, value: int) -> Path:
    cdir = builder.candidates_dir(settings)
    cdir.mkdir(parents=True, exist_ok=True)
    path = cdir / f"{run}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    con.close()
    exports = builder.exports_for(path)
    exports.mkdir()
    (exports / "DATA_DICTIONARY.md").write_text(f"build {value}\n")
    return path


def _published(settings) -> tuple[int, str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        v = con.execute("SELECT v FROM t").fetchone()[0]
    finally:
        con.close()
    return v, (builder.warehouse_dir(settings) / "exports" / "DATA_DICTIONARY.md").read_text().strip()


PUBLISH_POINTS = ["publish.journalled", "publish.previous_linked", "publish.file_swapped",
                  "publish.exports_moved", "publish.exports_swapped"]


def publish_kill(settings, point: str) -> dict:
    """Publish build 2 over build 1 with a SIGKILL at ``point``; check, recover, check again."""
    builder.publish(settings, _candidate(settings, "r1", 1))
    second = _candidate(settings, "r2", 2)
    proc = _python(f"""
        from pathlib import Path
        from pipeline.config import load_settings
        from pipeline.warehouse import builder
        builder.publish(load_settings(env={{}}, home={str(settings.home)!r}), Path({str(second)!r}))
    """, env={"MLGRAPH_FAULT_KILL": point})
    proc.wait()
    killed = proc.returncode == -signal.SIGKILL
    seen = _published(settings)             # readers right after the kill: never missing
    in_step = seen in ((1, "build 1"), (2, "build 2"))
    builder.cleanup(settings)               # the next run rolls the publish forward
    return {"killed": killed, "in_step_after_kill": in_step, "final": _published(settings),
            "previous_ok": duckdb.connect(str(builder.previous_path(settings)), read_only=True)
            .execute("SELECT v FROM t").fetchone()[0] == 1}


@pytest.mark.parametrize("point", PUBLISH_POINTS)
def test_a_publish_killed_at_any_step_is_rolled_forward(settings, point):
    out = publish_kill(settings, point)
    assert out["killed"], "the fault point was not reached"
    assert out["final"] == (2, "build 2") and out["previous_ok"]
    if point not in ("publish.file_swapped", "publish.exports_moved"):
        assert out["in_step_after_kill"]


def test_publish_keeps_exports_a_folder_readers_can_open(settings):
    builder.publish(settings, _candidate(settings, "r1", 1))
    builder.publish(settings, _candidate(settings, "r2", 2))
    exports = builder.warehouse_dir(settings) / "exports"
    assert exports.is_dir() and (exports / "DATA_DICTIONARY.md").read_text() == "build 2\n"
    assert (builder.warehouse_dir(settings) / "exports-previous" / "DATA_DICTIONARY.md").read_text() == "build 1\n"
    builder.publish(settings, _candidate(settings, "r3", 3))
    assert sorted(p.name for p in (builder.warehouse_dir(settings) / "exports.d").iterdir()) == ["r2", "r3"]


def test_staging_reads_the_newest_dump_version_by_date_not_by_hash(tmp_path):
    rows = [{"method_url": "https://paperswithcode.com/method/x", "name": "old"}]
    lake.write_partition(tmp_path, "pwc/methods", "ffff000000000000", rows)   # older, larger hash
    time.sleep(0.02)
    lake.write_partition(tmp_path, "pwc/methods", "0000aaaaaaaaaaaa", [dict(rows[0], name="new")])
    glob = lake.dataset_glob(tmp_path, "pwc/methods")
    names = duckdb.connect().execute(f"SELECT name FROM read_parquet('{glob}')").fetchall()
    assert names == [("new",)]
