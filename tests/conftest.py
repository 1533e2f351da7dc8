"""Shared fixtures: an isolated MLGRAPH_HOME per test and the real-format samples in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("MLGRAPH_REAL_DATA", REPO.parent / "shared" / "data" / "real"))


@pytest.fixture
def real_data() -> Path:
    """The folder of real-format samples; skips the test when it is absent (a user's clone)."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real-format samples not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings rooted in a temporary MLGRAPH_HOME, no politeness delays, fast retries."""
    from pipeline.config import load_settings

    for key in list(os.environ):
        if key.startswith("MLGRAPH_") and key != "MLGRAPH_REAL_DATA":
            monkeypatch.delenv(key)
    return load_settings(env={}, home=tmp_path / "home", oai_delay_seconds=0.0,
                         s2_requests_per_second=0.0, http_backoff_seconds=0.01, http_max_retries=3,
                         http_timeout_seconds=5.0)
