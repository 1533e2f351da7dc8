"""``mlgraph status``: the newest partition of a dataset is the one committed last."""

from __future__ import annotations

from argparse import Namespace
from datetime import date

from pipeline import status
from pipeline.lake import write_partition

from warehouse_fixtures import _paper

NEW_WINDOW = "2026-01-07_2026-01-07"


def _text(settings, capsys) -> str:
    assert status.run(Namespace(json=False), settings) == 0
    return capsys.readouterr().out


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
