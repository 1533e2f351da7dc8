"""The kill matrix of issue 13: SIGKILL the real CLI at every step of a lake commit and a publish.

Each case starts from a lake (or warehouse) holding good data, runs one command in a subprocess
with ``MLGRAPH_FAULT_KILL=<point>`` (``pipeline/faults.py``), checks what a reader sees right
after the kill (the old data or the new, never a gap), reruns the command without the fault and
counts the records missing from the result.  A case *survives* when the process was killed at
its point, the reader saw no gap and the rerun restored every record.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from pipeline import lake

REPO = Path(__file__).resolve().parents[2]
COMMIT_POINTS = ["lake.commit.closed", "lake.commit.linked", "lake.commit.moved@1", "lake.commit.moved@2",
                 "lake.commit.before_swap", "lake.swap.before_rename", "lake.swap.after_rename",
                 "lake.commit.swapped", "lake.commit.collected"]
JAN = ("2025-01-01", "2025-01-31")


def _cli(home: Path, args: list[str], point: str | None, extra_env: dict) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLGRAPH_")}
    env.update({"MLGRAPH_HOME": str(home), "MLGRAPH_OAI_DELAY_SECONDS": "0", "MLGRAPH_HTTP_BACKOFF_SECONDS": "0.01",
                **extra_env})
    if point:
        env["MLGRAPH_FAULT_KILL"] = point
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300).returncode


def _ids(lake_path: Path, key: str, column: str) -> set[str]:
    glob = lake.dataset_glob(lake_path, key)
    try:
        return {r[0] for r in duckdb.connect().execute(
            f"SELECT {column} FROM read_parquet(?)", [glob]).fetchall()}
    except duckdb.IOException:
        return set()  # no files at all: the dataset vanished (a gap)


def arxiv_case(settings, oai_url: str, point: str, sets: list[str], expected: set[str]) -> dict:
    """Window holds cs+stat; re-harvest ``sets`` with a kill at ``point``; rerun; count losses."""
    from pipeline.sources.arxiv import harvest_window

    s = dataclasses.replace(settings, arxiv_oai_url=oai_url)
    harvest_window(s, date(2025, 1, 1), date(2025, 1, 31), sets=["cs", "stat"])
    before = _ids(s.lake, "arxiv/papers", "arxiv_id")
    args = ["ingest", "arxiv", "--from", JAN[0], "--until", JAN[1]]
    for one in sets:
        args += ["--set", one]
    rc = _cli(s.home, args, point, {"MLGRAPH_ARXIV_OAI_URL": oai_url})
    seen = _ids(s.lake, "arxiv/papers", "arxiv_id")
    harvest_window(s, date(2025, 1, 1), date(2025, 1, 31), sets=sets)
    after = _ids(s.lake, "arxiv/papers", "arxiv_id")
    return _verdict(rc, seen == before, expected - after)


def pwc_case(settings, dumps: Path, point: str, expected: set[str], bump) -> dict:
    """PwC papers dump v1 in the lake; v2 loaded with a kill at ``point``; rerun; count losses."""
    from pipeline.sources.pwc import ingest_dumps

    s = dataclasses.replace(settings, pwc_dumps=str(dumps))
    ingest_dumps(s, only="papers-with-abstracts")
    before = _ids(s.lake, "pwc/papers", "paper_url")
    bump()  # a new dump version: one more paper
    rc = _cli(s.home, ["ingest", "pwc", "--only", "papers-with-abstracts"], point, {"MLGRAPH_PWC_DUMPS": str(dumps)})
    seen = _ids(s.lake, "pwc/papers", "paper_url")
    ingest_dumps(s, only="papers-with-abstracts")
    after = _ids(s.lake, "pwc/papers", "paper_url")
    return _verdict(rc, seen == before or seen == expected, expected - after)


def _verdict(rc: int, no_gap: bool, lost: set) -> dict:
    killed = rc == -signal.SIGKILL
    return {"killed": killed, "no_gap": no_gap, "lost": len(lost), "survived": killed and no_gap and not lost}


def summarise(results: dict[str, dict]) -> dict:
    """``tried / survived / lost`` over every case."""
    return {"tried": len(results), "survived": sum(r["survived"] for r in results.values()),
            "lost": sum(r["lost"] for r in results.values())}


def write_report(path: Path, results: dict[str, dict]) -> None:
    """Save the per-case results and the summary (the README figures come from this file)."""
    path.write_text(json.dumps({"summary": summarise(results), "cases": results}, indent=2, sort_keys=True))
