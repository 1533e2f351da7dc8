"""``mlgraph status`` after good and failed nights: the published build, what the next build has
to do, and what failed or killed runs left behind; and the newest partition by commit time.

One small lake (``warehouse_fixtures``) is built and published once; each test works on a copy of
that home whose lake files are hard links (the lake's fingerprints are file identities, so a copy
keeps the published build's view of the lake).
"""

from __future__ import annotations

import json
import os
import shutil
from argparse import Namespace
from datetime import date

import pytest

from pipeline import faults, status
from pipeline.config import load_settings
from pipeline.lake import write_partition
from pipeline.warehouse import builder, contracts

from warehouse_fixtures import _paper, copy_models, write_small_lake

NEW_WINDOW = "2026-01-07_2026-01-07"


@pytest.fixture(scope="module")
def published_home(tmp_path_factory):
    """(home, models folder) with the small lake built and published as run ``night-1``."""
    base = tmp_path_factory.mktemp("status")
    settings = load_settings(env={}, home=base / "home")
    write_small_lake(settings.lake)
    root = copy_models(base / "models")
    builder.build_and_publish(settings, gates=False, models_root=root, run_id="night-1")
    return settings.home, root


def _copy(src, dst):
    # Lake files must keep their inode (the fingerprint); everything else is copied so that a test
    # writing a file never changes the shared home.
    if str(src).endswith(".parquet"):
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


@pytest.fixture
def home(published_home, tmp_path, monkeypatch):
    """(settings, models folder) on a private copy of the published home; status fingerprints the
    copied models, as the build did (the code is then unchanged)."""
    for key in list(os.environ):
        if key.startswith("MLGRAPH_"):
            monkeypatch.delenv(key)
    src, root = published_home
    shutil.copytree(src, tmp_path / "home", symlinks=True, copy_function=_copy)
    monkeypatch.setattr(contracts, "WAREHOUSE_DIR", root)
    return load_settings(env={}, home=tmp_path / "home"), root


def _text(settings, capsys) -> str:
    assert status.run(Namespace(json=False), settings) == 0
    return capsys.readouterr().out


def _section(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("warehouse build"))
    return lines[start:]


def _new_window(settings):
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [
        _paper("2601.00001", "New G", ["cs.LG"], date(2026, 1, 7), date(2026, 1, 7), [("Roe", "Ann")])])


def test_no_warehouse_is_one_line(settings, capsys):
    write_small_lake(settings.lake)
    assert _section(_text(settings, capsys)) == [
        "warehouse build: none published yet (run `mlgraph build`, or `make run` for the sample)"]
    w = status.collect(settings)["warehouse_state"]
    assert w["published"] is None and w["next_build"] is None and w["failed_candidates"] == []


def test_a_published_build_shows_run_mode_and_that_nothing_is_to_do(home, capsys):
    settings, _ = home
    section = "\n".join(_section(_text(settings, capsys)))
    assert "published     run night-1 (full, built " in section
    assert "dim_papers 6 rows" in section
    assert "nothing to do: the lake and the code are as the published build saw them" in section
    assert "exports       exports.d/night-1 (the published run's)" in section
    assert "FAILED" not in section and "PUBLISH" not in section and "MISMATCH" not in section
    w = json.loads(json.dumps(status.collect(settings)))["warehouse_state"]   # JSON-safe as --json prints it
    assert w["published"]["run_id"] == "night-1" and w["published"]["mode"] == "full"
    assert len(w["published"]["code"]) == 12 and w["published"]["built_at"].endswith("Z")
    assert w["next_build"]["unchanged"] is True and w["exports"]["matches_published"] is True


def test_a_new_partition_is_work_for_the_next_build(home, capsys):
    settings, _ = home
    _new_window(settings)
    section = _section(_text(settings, capsys))
    assert "  next build    has work: lake changed since the published build" in section
    assert f"                arxiv/papers: 1 new partition(s): {NEW_WINDOW}" in section
    assert "  next build    incremental on the published build (same code)" in section
    n = status.collect(settings)["warehouse_state"]["next_build"]
    assert n["added"] == {"arxiv/papers": [NEW_WINDOW]} and not n["unchanged"] and n["incremental"]
    # The very comparison the builder decides on: it too sees work (and builds incrementally).
    assert not builder.against_published(settings).unchanged


def test_a_failed_night_and_a_killed_publish_are_reported(home, capsys, monkeypatch):
    settings, root = home
    _new_window(settings)

    def explode(con, ctx):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        builder.build_and_publish(settings, gates=False, models_root=root, run_id="night-2",
                                  steps={"pipeline.warehouse.citations:build_citation_metrics": explode})

    # A kill right after the publish journal is written (the kill matrix's point), as an exception.
    def killed(name):
        if name == "publish.journalled":
            raise KeyboardInterrupt(name)

    monkeypatch.setattr(faults, "point", killed)
    with pytest.raises(KeyboardInterrupt):
        builder.build_and_publish(settings, gates=False, models_root=root, run_id="night-3")
    monkeypatch.undo()
    monkeypatch.setattr(contracts, "WAREHOUSE_DIR", root)

    section = "\n".join(_section(_text(settings, capsys)))
    assert "published     run night-1 (full" in section                   # still the last good build
    assert "lake changed since the published build" in section and "arxiv/papers" in section
    assert "FAILED        candidate failed-night-2 (" in section and "after the published build" in section
    assert ("PUBLISH       interrupted publish of run night-3 pending (publish.json): the next build, publish or "
            "rollback rolls it forward (swaps its file in and its exports)") in section
    w = status.collect(settings)["warehouse_state"]
    assert [c["name"] for c in w["failed_candidates"]] == ["failed-night-2"]
    assert w["publish_journal"]["run"] == "night-3" and w["publish_journal"]["candidate_present"]
    assert w["publish_journal"]["then_unchanged"] is True          # night-3 saw the new window
    assert "against run night-3, the next build then has nothing to do" in section

    # What status announced is what the next run does: it finishes the publish of night-3.
    with builder.build_lock(settings):
        builder.cleanup(settings)
    after = status.collect(settings)["warehouse_state"]
    assert after["published"]["run_id"] == "night-3" and after["publish_journal"] is None
    assert after["exports"]["matches_published"] and after["next_build"]["unchanged"]


def test_an_exports_link_to_another_run_is_flagged(home, capsys):
    settings, _ = home
    wdir = builder.warehouse_dir(settings)
    (wdir / "exports.d" / "night-0").mkdir()
    builder._point(wdir / "exports", wdir / "exports.d" / "night-0")
    section = _section(_text(settings, capsys))
    assert ("  EXPORTS       MISMATCH: exports points at run night-0's exports, not the published run night-1's"
            in section)
    e = status.collect(settings)["warehouse_state"]["exports"]
    assert e["run"] == "night-0" and not e["matches_published"]


def test_latest_partition_is_the_one_committed_last_not_the_last_name(settings, capsys):
    paper = _paper("2101.00001", "A", ["cs.LG"], date(2021, 1, 1), date(2021, 1, 1), [("Roe", "Ann")])
    write_partition(settings.lake, "arxiv/papers", "snapshot", [paper])
    write_partition(settings.lake, "arxiv/papers", "2026-01-06_2026-01-06", [paper])
    write_partition(settings.lake, "arxiv/papers", NEW_WINDOW, [paper])
    d = status.collect(settings)["datasets"]["arxiv/papers"]
    assert d["partitions"] == 3 and d["latest"] == NEW_WINDOW and d["latest_committed_at"].endswith("Z")
    assert f"latest {NEW_WINDOW}" in _text(settings, capsys)
    # A snapshot loaded again afterwards is the newest data, though its name sorts the same.
    write_partition(settings.lake, "arxiv/papers", "snapshot", [paper])
    assert status.collect(settings)["datasets"]["arxiv/papers"]["latest"] == "snapshot"
