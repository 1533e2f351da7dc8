"""Items 11 + 12 of issue 13: identifiers are ASCII-only; a ' in MLGRAPH_HOME breaks nothing."""

from __future__ import annotations

import dataclasses
import re

import pytest

from pipeline.ids import ARXIV_ID_PATTERN, normalize_arxiv_id, split_arxiv_id
from pipeline.sample.oai_server import OaiServer
from pipeline.sources.arxiv import harvest_window
from test_arxiv_harvest import JAN_FROM, JAN_UNTIL, make_corpus


@pytest.mark.parametrize("raw", ["２５１１.９０００５", "٢٥١١.٩٠٠٠٥", "2511.9000５", "math/０３０９１３６",
                                 "arXiv:२५११.९०००५", "2511.90005v２"])
def test_non_ascii_digits_are_not_arxiv_ids(raw):
    assert normalize_arxiv_id(raw) is None and split_arxiv_id(raw) is None
    assert not re.match(ARXIV_ID_PATTERN, raw)


def test_ascii_ids_still_normalise():
    assert split_arxiv_id("arXiv:2511.90005v3") == ("2511.90005", 3)
    assert normalize_arxiv_id("https://arxiv.org/abs/math.GT/0309136v1") == "math/0309136"


def test_the_quality_suite_regex_rejects_fullwidth_ids():
    from pipeline.quality.suites import ARXIV_ID_REGEX

    assert re.fullmatch(ARXIV_ID_REGEX, "2511.90005")
    assert not re.fullmatch(ARXIV_ID_REGEX, "２５１１.９０００５")


def test_a_quote_in_the_home_path_harvests(settings, tmp_path):
    corpus = tmp_path / "corpus.jsonl.gz"
    make_corpus(corpus)
    home = tmp_path / "o'brien's data"
    with OaiServer(corpus, page_size=7) as server:
        s = dataclasses.replace(settings, home=home, arxiv_oai_url=server.url)
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["stat"])   # the keep-other-sets query reads the lake
    import duckdb

    from pipeline import lake

    n = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)",
                                 [lake.dataset_glob(s.lake, "arxiv/papers")]).fetchone()[0]
    assert n > 10


@pytest.mark.slow
def test_a_quote_in_mlgraph_home_ingest_sample_and_build_end_to_end(tmp_path, monkeypatch, capsys):
    from pipeline.cli import main

    for key in ("MLGRAPH_CONFIG",):
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "o'brien"
    monkeypatch.setenv("MLGRAPH_HOME", str(home))
    monkeypatch.setenv("MLGRAPH_SAMPLE_PAPERS", "300")
    monkeypatch.setenv("MLGRAPH_OAI_DELAY_SECONDS", "0")
    monkeypatch.setenv("MLGRAPH_S2_REQUESTS_PER_SECOND", "0")
    assert main(["ingest", "sample"]) == 0
    assert main(["build"]) == 0
    assert (home / "warehouse" / "mlgraph.duckdb").exists()
    assert (home / "warehouse" / "exports" / "DATA_DICTIONARY.md").exists()
