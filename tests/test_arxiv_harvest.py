"""OAI-PMH harvesting through the loopback OaiServer: paging, resume, retries, OAI errors, idempotency."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

import schemas

from pipeline import lake
from pipeline.errors import MalformedPageError, SourceError
from pipeline.manifest import Manifest
from pipeline.sample.oai_server import Fault, OaiServer, set_specs
from pipeline.sources.arxiv import client as arxiv_client
from pipeline.sources.arxiv import harvest_window, ingest_snapshot
from pipeline.state import CheckpointStore

JAN_FROM, JAN_UNTIL = date(2025, 1, 1), date(2025, 1, 31)
CATEGORY_CYCLE = ["cs.LG stat.ML", "cs.CV", "stat.ME", "eess.SP cs.LG", "math.OC", "hep-th"]


def rfc822(day: datetime) -> str:
    return day.strftime("%a, %-d %b %Y %H:%M:%S GMT")


def make_corpus(path, n=40, start=datetime(2025, 1, 1, 9, 0, tzinfo=timezone.utc)) -> list[dict]:
    """Kaggle-snapshot-format records spread over January 2025 (a few with a v2 in February)."""
    records = []
    for i in range(n):
        v1 = start + timedelta(hours=17 * i)
        versions = [{"version": "v1", "created": rfc822(v1)}]
        if i % 7 == 3:
            versions.append({"version": "v2", "created": rfc822(v1 + timedelta(days=40))})
        records.append({
            "id": f"2501.{i + 1:05d}", "submitter": f"Submitter {i}",
            "authors": f"Ann Author{i}, Bob Builder and Carla de la Cruz",
            "title": f"Paper number {i}\n  on things", "comments": "10 pages", "journal-ref": None,
            "doi": None, "report-no": None, "categories": CATEGORY_CYCLE[i % len(CATEGORY_CYCLE)],
            "license": "http://creativecommons.org/licenses/by/4.0/",
            "abstract": f"  We study problem {i} &amp; more.\n", "versions": versions,
            "update_date": (v1.date()).isoformat(),
            "authors_parsed": [[f"Author{i}", "Ann", ""], ["Builder", "Bob", ""], ["de la Cruz", "Carla", ""]],
        })
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return records


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.jsonl.gz"
    records = make_corpus(path)
    return path, records


def expected_ids(records, sets, start=JAN_FROM, until=JAN_UNTIL):
    """Ids the window should hold: datestamp (last version) inside the window and in one of the sets."""
    out = set()
    for rec in records:
        stamp = datetime.strptime(rec["versions"][-1]["created"], "%a, %d %b %Y %H:%M:%S GMT").date()
        specs = set_specs(rec["categories"].split())
        if start <= stamp <= until and any(s == w or s.startswith(w + ":") for s in specs for w in sets):
            out.add(rec["id"])
    return out


def lake_rows(settings, key="arxiv/papers"):
    glob = lake.dataset_glob(settings.lake, key)
    con = duckdb.connect()
    rows = con.execute(f"SELECT * EXCLUDE (ingested_at) FROM read_parquet('{glob}') ORDER BY ALL").fetchall()
    con.close()
    return rows


def with_url(settings, url):
    return dataclasses.replace(settings, arxiv_oai_url=url)


def recording_client(monkeypatch):
    """Make the harvester's HttpClient record its waits instead of sleeping (zero-delay test settings)."""
    waits: list[float] = []

    class Recording(arxiv_client.HttpClient):
        def __init__(self, **kw):
            super().__init__(**{**kw, "sleep": waits.append})

    monkeypatch.setattr(arxiv_client, "HttpClient", Recording)
    return waits


def test_pages_through_resumption_tokens(settings, corpus):
    path, records = corpus
    with OaiServer(path, page_size=4) as server:
        result = harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs"])
        requests = list(server.requests)
    want = expected_ids(records, ["cs"])
    assert result.outcome == "ok" and result.rows == {"arxiv/papers": len(want)} and result.quarantined == 0
    pages = -(-len(want) // 4)
    assert len(requests) == pages
    assert requests[0] == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2025-01-01",
                           "until": "2025-01-31", "set": "cs"}
    assert all(set(r) == {"verb", "resumptionToken"} for r in requests[1:])
    ids = [r[0] for r in lake_rows(settings)]
    assert sorted(ids) == sorted(want)
    assert lake.list_partitions(settings.lake, "arxiv/papers") == ["2025-01-01_2025-01-31"]
    assert lake.list_partitions(settings.lake, "arxiv/quarantine") == ["2025-01-01_2025-01-31"]
    # Staging and checkpoint are gone once the window is published.
    assert not (settings.state / "staging" / "arxiv" / "2025-01-01_2025-01-31").exists()
    assert CheckpointStore(settings.state, "arxiv").load("2025-01-01_2025-01-31") is None
    entry = Manifest(settings.state).entries("arxiv")[0]
    assert entry["target"] == "oai 2025-01-01..2025-01-31 arXivRaw" and entry["outcome"] == "ok"
    assert entry["url"] == server.url and entry["rows"] == {"arxiv/papers": len(want)}


def test_sets_are_merged_and_cross_lists_deduplicated(settings, corpus):
    path, records = corpus
    with OaiServer(path, page_size=5) as server:
        result = harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs", "stat", "eess"])
    want = expected_ids(records, ["cs", "stat", "eess"])
    ids = [r[0] for r in lake_rows(settings)]
    assert len(ids) == len(set(ids)) == len(want) == result.rows["arxiv/papers"]
    con = duckdb.connect()
    row = con.execute(
        f"SELECT authors, categories, abstract, first_version_date FROM read_parquet('{lake.dataset_glob(settings.lake, 'arxiv/papers')}') "
        "WHERE arxiv_id = '2501.00001'").fetchone()
    assert row[0][2] == {"keyname": "de la Cruz", "forenames": "Carla", "suffix": None}
    assert row[1] == ["cs.LG", "stat.ML"] and row[2] == "We study problem 0 & more."
    assert row[3] == date(2025, 1, 1)


def test_arxiv_format_gives_the_same_papers(settings, corpus):
    path, records = corpus
    with OaiServer(path, page_size=6) as server:
        raw = harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs"])
        raw_rows = {r[0]: r for r in lake_rows(settings)}
        seen = len(server.requests)
        fmt = harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs"], metadata_format="arXiv")
        assert server.requests[seen]["metadataPrefix"] == "arXiv"
    rows = {r[0]: r for r in lake_rows(settings)}
    assert fmt.rows == raw.rows and set(rows) == set(raw_rows)
    con = duckdb.connect()
    glob = lake.dataset_glob(settings.lake, "arxiv/papers")
    fields = con.execute(f"SELECT DISTINCT record_format, latest_version IS NULL FROM read_parquet('{glob}')").fetchall()
    assert fields == [("arXiv", True)]
    (authors,) = con.execute(f"SELECT authors FROM read_parquet('{glob}') WHERE arxiv_id = '2501.00001'").fetchone()
    assert authors[2]["keyname"] == "de la Cruz"


def test_resume_after_a_kill_requests_only_the_remaining_pages(settings, corpus):
    path, records = corpus
    want = expected_ids(records, ["cs"])
    with OaiServer(path, page_size=4, faults={3: Fault("truncate")}) as server:
        s = with_url(settings, server.url)
        with pytest.raises(MalformedPageError):
            harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        # The failed window left the lake alone but kept two staged pages and the checkpoint.
        assert lake.list_partitions(settings.lake, "arxiv/papers") == []
        ckpt = CheckpointStore(settings.state, "arxiv").load("2025-01-01_2025-01-31")
        assert ckpt["pages"] == 2 and ckpt["set"] == "cs" and ckpt["token"].endswith("|8")
        staged = sorted(p.name for p in (settings.state / "staging" / "arxiv" / "2025-01-01_2025-01-31" / "cs").iterdir())
        assert staged == ["papers-000001.parquet", "papers-000002.parquet",
                          "quarantine-000001.parquet", "quarantine-000002.parquet"]
        assert Manifest(settings.state).entries("arxiv")[0]["outcome"] == "failed"
        seen_before = len(server.requests)
        result = harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        resumed = server.requests[seen_before:]
    assert resumed[0] == {"verb": "ListRecords", "resumptionToken": ckpt["token"]}
    assert len(resumed) == -(-len(want) // 4) - 2
    assert result.rows["arxiv/papers"] == len(want)
    assert sorted(r[0] for r in lake_rows(settings)) == sorted(want)


def test_503_retry_after_is_honoured_and_politeness_delay_applies(settings, corpus, monkeypatch):
    path, _ = corpus
    waits = recording_client(monkeypatch)
    faults = {2: Fault("status", status=503, retry_after="7"), 3: Fault("status", status=500)}
    with OaiServer(path, page_size=10, faults=faults) as server:
        s = dataclasses.replace(with_url(settings, server.url), oai_delay_seconds=0.5)
        result = harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        requests = list(server.requests)
    assert result.outcome == "ok"
    assert 7.0 in waits  # the server's Retry-After, not our own backoff
    # The 503'd and 500'd requests are repeated verbatim; politeness waits never exceed the interval.
    assert requests[1] == requests[2] == requests[3]
    assert any(0 < w <= 0.5 for w in waits)


def test_a_timed_out_request_is_retried(settings, corpus):
    path, records = corpus
    with OaiServer(path, page_size=10, faults={2: Fault("slow", delay=1.0)}) as server:
        s = dataclasses.replace(with_url(settings, server.url), http_timeout_seconds=0.3)
        result = harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        requests = list(server.requests)
    assert requests[1] == requests[2] and "resumptionToken" in requests[1]
    assert result.rows["arxiv/papers"] == len(expected_ids(records, ["cs"]))


def test_no_records_match_is_an_empty_window_not_a_failure(settings, corpus):
    path, _ = corpus
    with OaiServer(path) as server:
        result = harvest_window(with_url(settings, server.url), date(2030, 1, 1), date(2030, 1, 31), sets=["cs", "stat"])
    assert result.outcome == "empty" and result.rows == {"arxiv/papers": 0}
    assert lake.list_partitions(settings.lake, "arxiv/papers") == ["2030-01-01_2030-01-31"]
    assert lake_rows(settings) == []
    assert Manifest(settings.state).entries("arxiv")[0]["outcome"] == "empty"


def test_bad_resumption_token_restarts_the_set_once(settings, corpus):
    path, records = corpus
    want = expected_ids(records, ["cs"])
    with OaiServer(path, page_size=4, faults={3: Fault("bad_token")}) as server:
        result = harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs"])
        requests = list(server.requests)
    assert "metadataPrefix" in requests[0] and "metadataPrefix" in requests[3]  # the set started again
    assert result.rows["arxiv/papers"] == len(want)
    ids = [r[0] for r in lake_rows(settings)]
    assert sorted(ids) == sorted(want)


def test_bad_resumption_token_twice_fails_and_leaves_the_lake(settings, corpus):
    path, _ = corpus
    with OaiServer(path, page_size=4, faults={2: Fault("bad_token"), 4: Fault("bad_token")}) as server:
        with pytest.raises(SourceError, match="rejected again"):
            harvest_window(with_url(settings, server.url), JAN_FROM, JAN_UNTIL, sets=["cs"])
    assert lake.list_partitions(settings.lake, "arxiv/papers") == []


def test_not_an_oai_endpoint_is_a_clear_error(settings, corpus):
    path, _ = corpus
    with OaiServer(path) as server:
        with pytest.raises(SourceError, match="HTTP 404"):
            harvest_window(with_url(settings, server.url + "-nope"), JAN_FROM, JAN_UNTIL, sets=["cs"])


def test_same_window_twice_gives_an_identical_lake(settings, corpus):
    path, _ = corpus
    with OaiServer(path, page_size=7) as server:
        s = with_url(settings, server.url)
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs", "stat"])
        first = lake_rows(s)
        files_first = sorted(p.name for p in lake.partition_dir(s.lake, schemas.get("arxiv/papers"),
                                                                  "2025-01-01_2025-01-31").iterdir())
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs", "stat"])
        second = lake_rows(s)
    assert first == second and len(first) > 0
    assert files_first == ["part-00000.parquet"]


def test_harvesting_other_sets_keeps_the_union_of_the_window(settings, corpus):
    path, records = corpus
    with OaiServer(path, page_size=50) as server:
        s = with_url(settings, server.url)
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["stat"])
        union = lake_rows(s)
        assert sorted(r[0] for r in union) == sorted(expected_ids(records, ["cs", "stat"]))
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
        assert lake_rows(s) == union
        empty = harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["q-fin"])
        assert empty.outcome == "empty" and lake_rows(s) == union
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["physics"])
        physics = expected_ids(records, ["physics"])
        assert physics and sorted(r[0] for r in lake_rows(s)) == sorted(expected_ids(records, ["cs", "stat", "physics"]))


def test_server_error_responses_and_get_record(corpus):
    import requests

    path, _ = corpus
    with OaiServer(path) as server:
        def get(**params):
            return requests.get(server.url, params=params, timeout=5).text

        assert 'code="badVerb"' in get(verb="Nope")
        assert 'code="badArgument"' in get(verb="ListRecords")
        assert 'code="cannotDisseminateFormat"' in get(verb="ListRecords", metadataPrefix="oai_marc")
        assert 'code="badResumptionToken"' in get(verb="ListRecords", resumptionToken="stale|100")
        assert 'code="noRecordsMatch"' in get(verb="ListRecords", metadataPrefix="arXivRaw", set="q-fin")
        assert 'code="idDoesNotExist"' in get(verb="GetRecord", metadataPrefix="arXiv", identifier="oai:arXiv.org:0813.2274")
        record = get(verb="GetRecord", metadataPrefix="arXivRaw", identifier="oai:arXiv.org:2501.00002")
        assert "<id>2501.00002</id>" in record and "<setSpec>cs</setSpec>" in record
        assert "<granularity>YYYY-MM-DD</granularity>" in get(verb="Identify")
    # Tokens die with the server, as with the real service.
    with OaiServer(path, page_size=3) as first:
        token = requests.get(first.url, params={"verb": "ListRecords", "metadataPrefix": "arXiv"}, timeout=5).text
    stale = token.split('completeListSize="')[1].split(">")[1].split("<")[0]
    with OaiServer(path, page_size=3) as second:
        again = requests.get(second.url, params={"verb": "ListRecords", "resumptionToken": stale}, timeout=5).text
    assert 'code="badResumptionToken"' in again


def test_set_specs_follow_arxiv():
    from pipeline.sources.arxiv.parser import set_specs as client_set_specs

    # The server and the client each implement arXiv's set rule; both must match arXiv's.
    for impl in (set_specs, client_set_specs):
        assert impl(["cs.LG", "stat.ML", "cs.CV"]) == ["cs", "stat"]
        assert impl(["hep-th", "math-ph", "math.MP", "physics.optics", "q-bio.NC"]) == [
            "physics:hep-th", "physics:math-ph", "math", "physics:physics", "q-bio"]


def test_blank_locations_fail_before_any_request_naming_the_setting(settings):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^MLGRAPH_ARXIV_OAI_URL is not set"):
        harvest_window(settings, date(2025, 1, 1), date(2025, 3, 31))
    with pytest.raises(ConfigError, match=r"^MLGRAPH_ARXIV_SNAPSHOT is not set"):
        ingest_snapshot(settings)
    # Nothing was attempted: no manifest row, no sample generated, nothing in the lake.
    assert Manifest(settings.state).entries() == []
    assert not settings.sample_dir.exists() and not settings.lake.exists()


def test_the_sample_profile_serves_the_bundled_sample(settings):
    from pipeline.sample.sources import sample_sources

    s = dataclasses.replace(settings, sample_papers=200)
    with sample_sources(s, ("arxiv", "arxiv-snapshot")) as local:
        assert local.profile == "sample" and local.pwc_dumps is None and local.s2_api_url is None
        result = harvest_window(local, date(2025, 1, 1), date(2025, 3, 31))
        assert result.url.startswith("http://127.0.0.1:") and result.url.endswith("/oai")
        with gzip.open(s.sample_dir / "arxiv" / "corpus.jsonl.gz", "rt") as fh:
            records = [json.loads(line) for line in fh]
        want = expected_ids(records, list(s.arxiv_sets), date(2025, 1, 1), date(2025, 3, 31))
        assert sorted(r[0] for r in lake_rows(s)) == sorted(want) and want
        snap = ingest_snapshot(local)
    assert snap.partition == "snapshot" and snap.rows["arxiv/papers"] > 0 and snap.quarantined == 0
    assert {e["profile"] for e in Manifest(s.state).entries()} == {"sample"}
