"""Semantic Scholar client against the loopback fake of the Graph API batch endpoint."""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import duckdb
import pytest
import requests

from pipeline import lake
from pipeline.errors import MalformedPageError, MlgraphError, SourceError
from pipeline.manifest import Manifest
from pipeline.sample.s2_server import Fault, S2Server
from pipeline.sources.semantic_scholar import fetch_citations
from pipeline.sources.semantic_scholar.client import FIELDS
from pipeline.state import CheckpointStore

NOW = datetime.now(timezone.utc)


def _aid(i: int) -> str:
    return f"2101.{i:05d}"


def _s2_paper(i: int) -> dict:
    ext = {"ArXiv": _aid(i), "CorpusId": 1000 + i, **({"DOI": f"10.1000/p{i}"} if i % 2 else {})}
    return {
        "paperId": f"{i:040x}", "corpusId": 1000 + i, "externalIds": ext, "title": f"Paper {i}",
        "abstract": "not requested by the client", "year": 2021, "citationCount": i, "referenceCount": 3,
        "influentialCitationCount": i // 10,
        "references": [
            {"paperId": f"{i + 1:040x}", "corpusId": 1001 + i, "externalIds": {"ArXiv": _aid(i + 1) + "v2"},
             "title": f"Paper {i + 1}", "year": 2020, "abstract": "dropped by references.* fields"},
            {"paperId": "f" * 40, "corpusId": 9, "externalIds": {"DOI": "10.5555/external"},
             "title": "An external book", "year": 1999},
            {"paperId": None, "corpusId": None, "externalIds": None, "title": "unresolved", "year": None},
        ],
    }


@pytest.fixture
def corpus(tmp_path):
    """Write arXiv papers 0..n-1 into the lake and S2 papers (minus ``missing``) into a .jsonl.gz."""

    def make(settings, n: int, missing: frozenset = frozenset()):
        now = datetime.now(timezone.utc)
        rows = [{"arxiv_id": _aid(i), "record_format": "arXivRaw", "ingested_at": now} for i in range(n)]
        lake.write_partition(settings.lake, "arxiv/papers", "snapshot", rows)
        path = tmp_path / "s2papers.jsonl.gz"
        with gzip.open(path, "wt") as fh:
            for i in range(n):
                if i not in missing:
                    fh.write(json.dumps(_s2_paper(i)) + "\n")
        return path

    return make


def _rows(settings, key: str, columns: str = "*") -> list[tuple]:
    glob = lake.dataset_glob(settings.lake, key)
    return duckdb.connect().execute(
        f"SELECT {columns} FROM read_parquet('{glob}', hive_partitioning=true, hive_types={{'batch': VARCHAR}}) "
        "ORDER BY ALL").fetchall()


def _old_fetch_log(settings, partition: str, entries: list[tuple[str, str, int]]) -> None:
    rows = [{"arxiv_id": a, "status": s, "fetched_at": NOW - timedelta(days=d), "detail": None}
            for a, s, d in entries]
    lake.write_partition(settings.lake, "semantic_scholar/fetch_log", partition, rows)


def _posts(server) -> list:
    return [r for r in server.requests if r.method == "POST"]


def test_batches_of_500_records_not_found_and_does_not_reask(settings, corpus):
    papers = corpus(settings, 1203, missing=frozenset({3, 600, 1202}))
    with S2Server(papers) as server:
        s = replace(settings, s2_api_url=server.url)
        result = fetch_citations(s, batch="b1")
        posts = _posts(server)
        assert [len(r.ids) for r in posts] == [500, 500, 203]
        assert posts[0].ids[0] == "ARXIV:2101.00000" and posts[2].ids[-1] == "ARXIV:2101.01202"
        assert all(r.fields == FIELDS and r.status == 200 for r in posts)
        assert result.outcome == "ok" and result.quarantined == 0
        assert result.rows == {"semantic_scholar/papers": 1200, "semantic_scholar/references": 3600,
                               "semantic_scholar/fetch_log": 1203}
        log = dict(_rows(s, "semantic_scholar/fetch_log", "arxiv_id, status"))
        assert [a for a, st in log.items() if st == "not_found"] == [_aid(3), _aid(600), _aid(1202)]
        assert lake.list_partitions(s.lake, "semantic_scholar/papers") == ["b1-c0001"]

        refs = _rows(s, "semantic_scholar/references", "citing_arxiv_id, position, cited_s2_paper_id, "
                     "cited_arxiv_id, cited_doi, cited_title")
        assert (_aid(0), 0, f"{1:040x}", _aid(1), None, "Paper 1") in refs
        assert (_aid(0), 1, "f" * 40, None, "10.5555/external", "An external book") in refs
        assert (_aid(0), 2, None, None, None, "unresolved") in refs
        paper = _rows(s, "semantic_scholar/papers", "arxiv_id, s2_paper_id, corpus_id, doi, citation_count")[1]
        assert paper == (_aid(1), f"{1:040x}", 1001, "10.1000/p1", 1)

        again = fetch_citations(s, batch="b2")
        assert len(_posts(server)) == 3, "found and not-found ids must not be asked again"
        assert again.outcome == "unchanged"
    entry = Manifest(s.state).entries()[1]
    assert (entry["source"], entry["target"], entry["outcome"]) == ("semantic_scholar", "batch b1", "ok")
    assert entry["rows"]["semantic_scholar/fetch_log"] == 1203 and entry["checksum"]


def test_refresh_age_respected(settings, corpus):
    papers = corpus(settings, 10)
    _old_fetch_log(settings, "2026-01-01-c0001", [
        (_aid(0), "found", 40), (_aid(1), "not_found", 40),  # stale: asked again
        (_aid(2), "found", 10), (_aid(3), "not_found", 10),  # fresh: skipped
        (_aid(4), "found", 40), (_aid(4), "found", 5),       # latest answer is fresh
        (_aid(5), "error", 1),                                # errors never count as answered
    ])
    with S2Server(papers) as server:
        s = replace(settings, s2_api_url=server.url, s2_refresh_days=30)
        fetch_citations(s, batch="b1")
        asked = {i.removeprefix("ARXIV:") for i in _posts(server)[0].ids}
    assert asked == {_aid(i) for i in (0, 1, 5, 6, 7, 8, 9)}


def test_429_and_5xx_retried_honouring_retry_after(settings, corpus):
    papers = corpus(settings, 5)
    waits: list[float] = []
    with S2Server(papers, faults=[Fault(429, retry_after="7"), Fault(503), Fault(500, retry_after="2")]) as server:
        s = replace(settings, s2_api_url=server.url)
        result = fetch_citations(s, batch="b1", sleep=waits.append)
        assert [r.status for r in server.requests] == [429, 503, 500, 200]
    assert waits[0] == 7.0 and waits[2] == 2.0
    assert 0 < waits[1] <= s.http_backoff_seconds * 2
    assert result.outcome == "ok" and result.rows["semantic_scholar/papers"] == 5


def test_bounded_failure_is_a_clear_error_and_writes_nothing(settings, corpus):
    papers = corpus(settings, 5)
    with S2Server(papers, faults=[Fault(503)] * 10) as server:
        s = replace(settings, s2_api_url=server.url)
        with pytest.raises(SourceError, match=r"failed after 4 attempts \(last: HTTP 503\)"):
            fetch_citations(s, batch="b1")
        assert len(server.requests) == 4
    for key in ("papers", "references", "fetch_log", "quarantine"):
        assert lake.list_partitions(s.lake, f"semantic_scholar/{key}") == []
    assert not any((s.lake / "_tmp").iterdir())
    assert Manifest(s.state).entries()[0]["outcome"] == "failed"


def test_malformed_response_fails_the_batch(settings, corpus):
    papers = corpus(settings, 4)
    with S2Server(papers, faults=[Fault(200, body=b'[{"paperId": "abc", ')]) as server:
        s = replace(settings, s2_api_url=server.url)
        with pytest.raises(MalformedPageError, match="not valid JSON"):
            fetch_citations(s, batch="b1")
        with S2Server(papers, faults=[Fault(200, body=b"[null]")]) as short:
            with pytest.raises(MalformedPageError, match="1 entries for 4 requested ids"):
                fetch_citations(replace(s, s2_api_url=short.url), batch="b1")
    assert lake.list_partitions(s.lake, "semantic_scholar/fetch_log") == []


def test_crash_mid_run_keeps_committed_chunks_and_resumes(settings, corpus):
    papers = corpus(settings, 12)
    s = replace(settings, s2_batch_size=2)
    with S2Server(papers, faults=[None] * 4 + [Fault(500)] * 4) as server:
        s = replace(s, s2_api_url=server.url)
        with pytest.raises(SourceError, match="2 earlier chunk.*resumes"):
            fetch_citations(s, batch="b1", calls_per_commit=2)
        assert lake.list_partitions(s.lake, "semantic_scholar/fetch_log") == ["b1-c0001", "b1-c0002"]
        assert len(_rows(s, "semantic_scholar/fetch_log")) == 8
        assert not any((s.lake / "_tmp").iterdir())
        assert CheckpointStore(s.state, "semantic_scholar").load("b1") == {"next_chunk": 3}

        before = len(_posts(server))
        result = fetch_citations(s, batch="b1", calls_per_commit=2)
        resumed = [i for r in _posts(server)[before:] for i in r.ids]
    assert resumed == [f"ARXIV:{_aid(i)}" for i in range(8, 12)]
    assert result.rows["semantic_scholar/fetch_log"] == 4
    assert lake.list_partitions(s.lake, "semantic_scholar/papers") == ["b1-c0001", "b1-c0002", "b1-c0003"]
    assert [r[0] for r in _rows(s, "semantic_scholar/fetch_log", "arxiv_id")] == [_aid(i) for i in range(12)]
    assert CheckpointStore(s.state, "semantic_scholar").load("b1") is None


def test_rate_limit_paces_requests(settings, corpus):
    papers = corpus(settings, 6)

    class FakeTime:
        now = 100.0
        sleeps: list[float] = []

        def clock(self):
            return self.now

        def sleep(self, seconds):
            self.sleeps.append(seconds)
            self.now += seconds

    t = FakeTime()
    with S2Server(papers) as server:
        s = replace(settings, s2_api_url=server.url, s2_requests_per_second=2.0, s2_batch_size=2)
        fetch_citations(s, batch="b1", sleep=t.sleep, clock=t.clock)
        assert len(_posts(server)) == 3
        assert t.sleeps == [0.5, 0.5]

        t.sleeps.clear()
        fetch_citations(replace(s, s2_requests_per_second=0.0), batch="b2", arxiv_ids=[_aid(0), _aid(1), _aid(2)],
                        sleep=t.sleep, clock=t.clock)
    assert t.sleeps == []


def test_api_key_sent_as_header_never_logged_or_recorded(settings, corpus, caplog):
    key = "s2-secret-KEY-0123456789"
    papers = corpus(settings, 3)
    caplog.set_level(logging.DEBUG)
    with S2Server(papers, api_key=key, faults=[Fault(503), Fault(429, retry_after="0")]) as server:
        s = replace(settings, s2_api_url=server.url, s2_api_key=key)
        result = fetch_citations(s, batch="b1")
        assert result.rows["semantic_scholar/papers"] == 3
        assert [r.key_ok for r in server.requests] == [True, True, True]
        with pytest.raises(SourceError, match="HTTP 403") as wrong:
            fetch_citations(replace(s, s2_api_key="not-the-key"), batch="b2", arxiv_ids=[_aid(0)])
        assert server.requests[-1].key_ok is False
        with pytest.raises(SourceError, match="HTTP 403"):
            fetch_citations(replace(s, s2_api_key=None), batch="b3", arxiv_ids=[_aid(0)])
        assert server.requests[-1].key_present is False
    assert key not in caplog.text and "not-the-key" not in caplog.text
    assert key not in str(wrong.value)
    recorded = json.dumps(Manifest(s.state).entries()) + json.dumps(result.as_dict())
    recorded += (s.state / "manifest.sqlite").read_bytes().decode("latin-1")
    assert key not in recorded and "not-the-key" not in recorded
    assert key not in repr(server.requests)


def test_rerun_of_same_batch_is_idempotent_and_replaces_it(settings, corpus):
    papers = corpus(settings, 30, missing=frozenset({7}))
    cols = "arxiv_id, status, batch"
    with S2Server(papers) as server:
        s = replace(settings, s2_api_url=server.url, s2_batch_size=5)
        first = fetch_citations(s, batch="b1", calls_per_commit=1)
        snapshot = {k: _rows(s, f"semantic_scholar/{k}", "* EXCLUDE (fetched_at)") for k in ("papers", "references")}
        log1 = _rows(s, "semantic_scholar/fetch_log", cols)
        second = fetch_citations(s, batch="b1", calls_per_commit=1)
        assert len(_posts(server)) == 12, "a rerun of the same batch asks its ids again"
        assert first.rows == second.rows
        assert _rows(s, "semantic_scholar/fetch_log", cols) == log1
        for k, rows in snapshot.items():
            assert _rows(s, f"semantic_scholar/{k}", "* EXCLUDE (fetched_at)") == rows
        assert len(lake.list_partitions(s.lake, "semantic_scholar/references")) == 6

        fetch_citations(s, batch="b1", limit=8, calls_per_commit=1)
    # A smaller rerun replaces the batch whole: chunks beyond its last one are dropped everywhere.
    for key in ("papers", "references", "fetch_log", "quarantine"):
        assert lake.list_partitions(s.lake, f"semantic_scholar/{key}") == ["b1-c0001", "b1-c0002"]
    assert len(_rows(s, "semantic_scholar/fetch_log")) == 8


def test_bad_entries_reach_the_quarantine_and_the_rest_is_kept(settings, corpus):
    papers = corpus(settings, 3)
    body = json.dumps([_s2_paper(0), {"title": "no paperId"}, None]).encode()
    with S2Server(papers, faults=[Fault(200, body=body)]) as server:
        s = replace(settings, s2_api_url=server.url)
        result = fetch_citations(s, batch="b1")
    assert result.quarantined == 1
    assert _rows(s, "semantic_scholar/fetch_log", "arxiv_id, status") == [
        (_aid(0), "found"), (_aid(1), "error"), (_aid(2), "not_found")]
    (q,) = _rows(s, "semantic_scholar/quarantine", "record_key, reason, raw")
    assert q == (_aid(1), "entry has no paperId", '{"title": "no paperId"}')
    assert Manifest(s.state).entries()[0]["quarantined"] == 1


def test_empty_lake_is_outcome_empty(settings, tmp_path):
    (tmp_path / "none.jsonl").write_text("")
    with S2Server(tmp_path / "none.jsonl") as server:
        result = fetch_citations(replace(settings, s2_api_url=server.url), batch="b1")
        assert result.outcome == "empty" and server.requests == []


def test_blank_api_url_fails_before_any_request(settings, corpus):
    from pipeline.errors import ConfigError

    corpus(settings, 4)
    with pytest.raises(ConfigError, match=r"^MLGRAPH_S2_API_URL is not set"):
        fetch_citations(settings, batch="b1")
    assert Manifest(settings.state).entries() == []
    assert not settings.sample_dir.exists()


def test_sample_profile_serves_the_sample_s2(settings, corpus, monkeypatch):
    from pipeline import sample
    from pipeline.sample.sources import sample_sources

    papers = corpus(settings, 4, missing=frozenset({2}))
    (papers.parent / "s2").mkdir()
    papers.rename(papers.parent / "s2" / "papers.jsonl.gz")
    monkeypatch.setattr(sample, "ensure_sample", lambda s: papers.parent)
    with sample_sources(settings, ("s2",)) as local:
        result = fetch_citations(local, batch="b1")
    assert result.rows["semantic_scholar/papers"] == 3
    assert result.url.startswith("http://127.0.0.1:") and result.profile == "sample"


# --- the fake server itself behaves like the real endpoint ---------------------------------------

def test_server_answers_like_the_graph_api(tmp_path, corpus, settings):
    papers = corpus(settings, 3)
    with S2Server(papers, api_key=None, max_batch=5) as server:
        url = server.url + "/paper/batch"
        got = requests.post(url, params={"fields": "title,references"},
                            json={"ids": ["ARXIV:2101.00001", "CorpusId:1002", "10.1000/p1", "0" * 40, "ARXIV:9999.99999"]})
        a, b, c, d, e = got.json()
        assert set(a) == {"paperId", "title", "references"} and a == c
        assert a["references"][0] == {"paperId": f"{2:040x}", "title": "Paper 2"}
        assert b["paperId"] == f"{2:040x}" and d["paperId"] == "0" * 40 and e is None
        assert requests.post(url, json={"ids": ["ARXIV:2101.00000"]}).json() == [
            {"paperId": f"{0:040x}", "title": "Paper 0"}]

        too_many = requests.post(url, json={"ids": ["ARXIV:1"] * 6})
        assert too_many.status_code == 400 and "more than 5 ids" in too_many.json()["error"]
        bad = requests.post(url, data=b"{not json")
        assert bad.status_code == 400 and "error" in bad.json()
        unknown = requests.post(url, params={"fields": "title,unknown"}, json={"ids": []})
        assert unknown.json() == {"error": "Unrecognized or unsupported fields: [unknown]"}
    with S2Server(papers, api_key="k") as keyed:
        denied = requests.post(keyed.url + "/paper/batch", json={"ids": []}, headers={"x-api-key": "x"})
        assert denied.status_code == 403 and denied.json() == {"message": "Forbidden"}


def test_cli_ingest_s2_and_readable_errors(settings, corpus, monkeypatch, capsys):
    from pipeline.cli import main

    papers = corpus(settings, 3)
    with S2Server(papers) as server:
        monkeypatch.setenv("MLGRAPH_S2_API_URL", server.url)
        monkeypatch.setenv("MLGRAPH_S2_REQUESTS_PER_SECOND", "0")
        assert main(["--home", str(settings.home), "ingest", "s2", "--batch", "nightly", "--json"]) == 0
        (out,) = json.loads(capsys.readouterr().out)
        assert (out["target"], out["outcome"], out["rows"]["semantic_scholar/papers"]) == ("batch nightly", "ok", 3)
        assert main(["--home", str(settings.home), "ingest", "s2", "--batch", "../escape"]) == 2
        assert "batch name '../escape'" in capsys.readouterr().err
    with pytest.raises(MlgraphError, match="not arXiv ids: 'doi:10.1/x'"):
        fetch_citations(replace(settings, s2_api_url="http://127.0.0.1:9/graph/v1"), batch="b1",
                        arxiv_ids=["2101.00001", "doi:10.1/x"])
