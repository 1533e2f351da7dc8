"""The ingest manifest: one row per ingest attempt (source, partition, URL, rows, checksum, outcome).

Kept in SQLite (``<state>/manifest.sqlite``) because concurrent Airflow tasks append to it and
SQLite serialises writers for us.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

_DDL = """
CREATE TABLE IF NOT EXISTS ingests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    partition TEXT,
    url TEXT,
    rows_json TEXT NOT NULL DEFAULT '{}',
    quarantined INTEGER NOT NULL DEFAULT 0,
    checksum TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    profile TEXT
)
"""
# Manifests written before provenance was recorded lack the column; NULL there reads as 'unknown'.

# The profile every ingest recorded in this context belongs to. The sources know nothing of the
# sample, so the sample profile (pipeline.sample.sources) sets this for the span of its servers
# instead of each source passing it along.
_PROFILE: ContextVar[str] = ContextVar("mlgraph_ingest_profile", default="production")


@contextmanager
def ingest_profile(profile: str):
    """Record every ingest started inside the block as coming from ``profile``."""
    token = _PROFILE.set(profile)
    try:
        yield profile
    finally:
        _PROFILE.reset(token)


def current_profile() -> str:
    """The profile ingests are recorded under right now ('production' unless inside ingest_profile)."""
    return _PROFILE.get()


_ADDED_COLUMNS = (("profile", "TEXT"), ("pid", "INTEGER"), ("host", "TEXT"))
STALE_RUNNING_HOURS = 24


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class IngestResult:
    """What one ingest did: filled in by the source while it runs, recorded in the manifest."""

    source: str
    target: str
    partition: str | None = None
    url: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    checksum: str | None = None
    outcome: str = "running"
    detail: str | None = None
    profile: str = "production"

    def as_dict(self) -> dict:
        """Plain dict for JSON output and Airflow XCom."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Manifest:
    """Append-only record of every ingest."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / "manifest.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(_DDL)
        # Added columns (additive: older manifests gain them on first use).
        have = {r[1] for r in conn.execute("PRAGMA table_info(ingests)")}
        for name, decl in _ADDED_COLUMNS:
            if name not in have:
                try:
                    conn.execute(f"ALTER TABLE ingests ADD COLUMN {name} {decl}")
                except sqlite3.OperationalError:
                    pass  # another process added it first
        return conn

    def mark_interrupted(self) -> int:
        """Rows left 'running' by a process that is gone become 'interrupted'; returns how many.

        Same host: the recorded PID no longer runs.  Another host (or no PID, from older
        manifests): the row started more than STALE_RUNNING_HOURS ago.
        """
        if not self.path.exists():
            return 0
        host = socket.gethostname()
        cutoff = datetime.fromtimestamp(time.time() - STALE_RUNNING_HOURS * 3600, timezone.utc)
        with closing(self._connect()) as conn, conn:
            rows = conn.execute("SELECT id, pid, host, started_at FROM ingests WHERE outcome = 'running'").fetchall()
            dead = [row_id for row_id, pid, row_host, started in rows
                    if (row_host == host and pid is not None and not _alive(pid))
                    or ((row_host != host or pid is None) and started < cutoff.isoformat(timespec="seconds"))]
            for row_id in dead:
                conn.execute("UPDATE ingests SET outcome='interrupted', ended_at=?, detail=coalesce(detail, ?)"
                             " WHERE id=? AND outcome='running'",
                             (_now(), "the process running this ingest died", row_id))
        return len(dead)

    @contextmanager
    def record(self, source: str, target: str, partition: str | None = None, url: str | None = None):
        """Record an ingest: yields an IngestResult to fill; outcome 'ok' on success, 'failed' on error.

        A source may set ``result.outcome`` itself (e.g. 'unchanged', 'empty') before returning.
        A refused shrink (SuspectShrinkError) is recorded as 'suspect_shrink'.
        """
        result = IngestResult(source=source, target=target, partition=partition, url=url,
                              profile=current_profile())
        self.mark_interrupted()
        started = _now()
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO ingests (source, target, partition, url, started_at, outcome, profile, pid, host)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (source, target, partition, url, started, "running", result.profile, os.getpid(), socket.gethostname()),
            )
            row_id = cur.lastrowid
        try:
            yield result
        except BaseException as exc:
            from pipeline.errors import SuspectShrinkError

            result.outcome = "suspect_shrink" if isinstance(exc, SuspectShrinkError) else "failed"
            result.detail = f"{type(exc).__name__}: {exc}"[:2000]
            self._finish(row_id, result)
            raise
        if result.outcome == "running":
            result.outcome = "ok"
        self._finish(row_id, result)

    def _finish(self, row_id: int, r: IngestResult) -> None:
        for attempt in range(5):
            try:
                with closing(self._connect()) as conn, conn:
                    conn.execute(
                        "UPDATE ingests SET partition=?, url=?, rows_json=?, quarantined=?, checksum=?,"
                        " ended_at=?, outcome=?, detail=? WHERE id=?",
                        (r.partition, r.url, json.dumps(r.rows, sort_keys=True), r.quarantined, r.checksum,
                         _now(), r.outcome, r.detail, row_id),
                    )
                return
            except sqlite3.OperationalError:
                time.sleep(0.2 * (attempt + 1))

    def entries(self, source: str | None = None, limit: int | None = None) -> list[dict]:
        """Ingests, newest first."""
        if not self.path.exists():
            return []
        sql = "SELECT * FROM ingests" + (" WHERE source = ?" if source else "") + " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with closing(self._connect()) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(sql, (source,) if source else ()).fetchall()
        out = []
        for row in rows:
            d = dict(row)
            d["rows"] = json.loads(d.pop("rows_json"))
            d["profile"] = d.get("profile") or "unknown"
            d.pop("pid", None)
            d.pop("host", None)
            out.append(d)
        return out

    def last_success(self, source: str, target: str) -> dict | None:
        """The latest successful (ok/unchanged) ingest of a target, e.g. a PwC dump file."""
        for e in self.entries(source):
            if e["target"] == target and e["outcome"] in ("ok", "unchanged", "empty"):
                return e
        return None

    def summary(self) -> dict:
        """Per source: ingest counts by outcome and the latest ingest."""
        out: dict[str, dict] = {}
        for e in reversed(self.entries()):
            s = out.setdefault(e["source"], {"ingests": 0, "outcomes": {}, "profiles": {}, "latest": None})
            s["ingests"] += 1
            s["outcomes"][e["outcome"]] = s["outcomes"].get(e["outcome"], 0) + 1
            s["profiles"][e["profile"]] = s["profiles"].get(e["profile"], 0) + 1
            s["latest"] = {k: e[k] for k in ("target", "partition", "rows", "outcome", "ended_at", "profile")}
        return out
