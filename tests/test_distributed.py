"""Scale-out for real: PostgreSQL, Redis, scheduler, dag-processor, api-server and two Celery workers.

Runs ``scripts/test-distributed.sh`` (which starts and always stops every process itself). Marked
``distributed``: excluded from ``make test``; run with ``make test-distributed`` or
``pytest -m distributed``. Needs the OS packages postgresql and redis-server (the script installs
them with apt-get when missing).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "test-distributed.sh"

pytestmark = pytest.mark.distributed


def _run(*args: str) -> dict:
    result = subprocess.run(["bash", str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = next(json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
    return summary


def test_two_celery_workers_share_a_fan_out():
    summary = _run("--smoke")
    assert summary["state"] == "success"
    assert set(summary["per_worker"]) == {"worker-1", "worker-2"}


def test_nightly_dag_runs_on_two_workers_and_publishes():
    summary = _run()
    assert summary["state"] == "success"
    assert set(summary["per_worker"]) == {"worker-1", "worker-2"}
    assert summary["warehouse_tables"] > 0
