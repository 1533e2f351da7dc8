"""PwC ingest end to end: conditional download through a loopback FileServer, directory mode,
atomic failure, quarantine, duplicates, pruning of old versions, idempotency, the manifest."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import requests

import schemas
from pipeline import lake
from pipeline.errors import ConfigError, MalformedPageError, MlgraphError, SourceError
from pipeline.manifest import Manifest
from pipeline.sample.file_server import FileServer
from pipeline.sources.pwc import ingest_dumps
from pipeline.sources.pwc.client import load_state
from pipeline.sources.pwc.parser import DUMPS, FEEDS, QUARANTINE
from test_pwc_parser import ATTENTION, methods_items, papers_items, write_all, write_dump

ALL_DATASETS = sorted({key for keys in FEEDS.values() for key in keys} | {QUARANTINE})


def lake_files(settings) -> dict[str, str]:
    """Every file of the raw lake → SHA-256 of its bytes (the lake's exact state)."""
    root = settings.lake / "raw"
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def lake_contents(settings) -> dict[str, list]:
    """Rows of every dataset (ingest timestamps left out), with partition values."""
    out = {}
    for key in ALL_DATASETS:
        rows = []
        for value in lake.list_partitions(settings.lake, key):
            for f in sorted(lake.partition_dir(settings.lake, schemas.get(key), value).glob("*.parquet")):
                table = pq.read_table(f)
                if "ingested_at" in table.column_names:
                    table = table.drop_columns(["ingested_at"])
                rows.extend((value, json.dumps(r, default=str, sort_keys=True)) for r in table.to_pylist())
        out[key] = rows
    return out


def query(settings, key: str, sql_tail: str = "") -> list[tuple]:
    """Read a dataset the way staging does: DuckDB over the dataset glob."""
    con = duckdb.connect()
    try:
        glob = lake.dataset_glob(settings.lake, key)
        return con.execute(f"SELECT * FROM read_parquet('{glob}') {sql_tail}").fetchall()
    finally:
        con.close()


def by_target(results) -> dict:
    return {r.target: r for r in results}


@pytest.fixture
def dumps(tmp_path) -> Path:
    return write_all(tmp_path / "dumps")


def test_directory_ingest_all_five(settings, dumps):
    results = ingest_dumps(replace(settings, pwc_dumps=str(dumps)))
    assert [r.target for r in results] == list(DUMPS)
    assert {r.outcome for r in results} == {"ok"}
    r = by_target(results)
    assert r["papers-with-abstracts"].rows == {"pwc/papers": 4, "pwc/paper_tasks": 4, "pwc/paper_methods": 4}
    assert r["papers-with-abstracts"].quarantined == 5
    assert r["methods"].rows == {"pwc/methods": 2, "pwc/method_collections": 3}
    assert r["evaluation-tables"].rows == {"pwc/eval_tasks": 2, "pwc/eval_datasets": 2, "pwc/eval_results": 5}
    assert r["links-between-papers-and-code"].rows == {"pwc/code_links": 2}
    assert r["datasets"].rows == {"pwc/datasets": 2}
    version = hashlib.sha256((dumps / "methods.json.gz").read_bytes()).hexdigest()[:16]
    assert r["methods"].partition == version
    assert lake.list_partitions(settings.lake, "pwc/methods") == [version]
    # Readable by DuckDB exactly as the staging views read it.
    assert sorted(row[1] for row in query(settings, "pwc/methods")) == ["Adam", "Transformer"]
    manifest = Manifest(settings.state).entries("pwc")
    assert sorted(e["target"] for e in manifest) == sorted(DUMPS)
    assert all(e["outcome"] == "ok" and e["checksum"] for e in manifest)


def test_duplicates_dropped_keeping_the_first(settings, tmp_path):
    items = papers_items()
    later = {**ATTENTION, "title": "a later, different row for the same paper_url"}
    items.append(later)
    folder = tmp_path / "d"
    write_dump(folder, "papers-with-abstracts", items)
    result = ingest_dumps(replace(settings, pwc_dumps=str(folder)), only=["papers-with-abstracts"])[0]
    papers = query(settings, "pwc/papers", "ORDER BY paper_url")
    urls = [p[0] for p in papers]
    assert len(urls) == len(set(urls)) == 4
    attention = [p for p in papers if p[0] == ATTENTION["paper_url"]][0]
    assert attention[2] == ATTENTION["title"]  # the first row wins
    tasks = query(settings, "pwc/paper_tasks")
    assert len(tasks) == len({(t[0], t[2]) for t in tasks}) == 4
    assert "pwc/papers=2" in result.detail and "pwc/paper_tasks" in result.detail


def test_bad_records_quarantined_rest_proceeds(settings, dumps):
    ingest_dumps(replace(settings, pwc_dumps=str(dumps)), only=["papers-with-abstracts"])
    quarantine = query(settings, QUARANTINE, "ORDER BY location")
    locations = [q[4] for q in quarantine]
    assert locations == sorted(["papers-with-abstracts.json.gz#item 4", "papers-with-abstracts.json.gz#item 5",
                                "papers-with-abstracts.json.gz#item 6",
                                "papers-with-abstracts.json.gz#item 7.methods[0]",
                                "papers-with-abstracts.json.gz#item 7.methods[1]"])
    assert all(q[2] and q[3] for q in quarantine)  # reason and raw text kept
    assert query(settings, "pwc/paper_methods", "WHERE method_name = 'Dropout'")


def test_http_second_run_is_304_unchanged(settings, dumps):
    with FileServer(dumps) as server:
        local = replace(settings, pwc_dumps=server.url)
        first = ingest_dumps(local)
        before = lake_files(settings)
        state = load_state(settings.state, "methods")
        assert state["etag"] and state["last_modified"] and state["file"] == "methods.json.gz"
        server.requests_log.clear()
        second = ingest_dumps(local)
    assert {r.outcome for r in first} == {"ok"}
    assert {r.outcome for r in second} == {"unchanged"}
    assert [r.checksum for r in second] == [r.checksum for r in first]
    assert lake_files(settings) == before  # nothing rewritten, no new partition
    assert [(q.status, q.if_none_match is not None, q.if_modified_since is not None)
            for q in server.requests_log] == [(304, True, True)] * 5
    outcomes = [e["outcome"] for e in Manifest(settings.state).entries("pwc")]
    assert outcomes.count("unchanged") == 5 and outcomes.count("ok") == 5


def test_http_changed_file_replaces_the_old_version(settings, dumps):
    with FileServer(dumps) as server:
        local = replace(settings, pwc_dumps=server.url)
        ingest_dumps(local)
        old_methods = lake.list_partitions(settings.lake, "pwc/methods")
        old_quarantine = set(lake.list_partitions(settings.lake, QUARANTINE))
        changed = methods_items() + [{**methods_items()[0], "url": "https://paperswithcode.com/method/vit",
                                      "name": "ViT", "full_name": "Vision Transformer", "introduced_year": 2020}]
        write_dump(dumps, "methods", changed + ["bad record"])
        results = by_target(ingest_dumps(local))
    assert results["methods"].outcome == "ok"
    assert results["datasets"].outcome == "unchanged"
    new = lake.list_partitions(settings.lake, "pwc/methods")
    assert len(new) == 1 and new != old_methods and new[0] == results["methods"].partition
    assert lake.list_partitions(settings.lake, "pwc/method_collections") == new
    assert sorted(r[1] for r in query(settings, "pwc/methods")) == ["Adam", "Transformer", "ViT"]
    assert query(settings, "pwc/methods", "WHERE name = 'ViT'")[0][6] == 2020
    # quarantine: the methods dump's old version is gone, the other dumps' versions stay.
    quarantine = set(lake.list_partitions(settings.lake, QUARANTINE))
    assert old_methods[0] not in quarantine and new[0] in quarantine
    assert old_quarantine - {old_methods[0]} <= quarantine


def test_http_without_validators_compares_checksums(settings, dumps):
    with FileServer(dumps, validators=False) as server:
        local = replace(settings, pwc_dumps=server.url)
        ingest_dumps(local, only=["methods"])
        before = lake_files(settings)
        server.requests_log.clear()
        result = ingest_dumps(local, only=["methods"])[0]
    assert result.outcome == "unchanged" and "SHA-256" in result.detail
    assert [q.status for q in server.requests_log] == [200]  # downloaded, compared, skipped
    assert lake_files(settings) == before


def test_directory_checksum_skip_and_force(settings, dumps):
    local = replace(settings, pwc_dumps=dumps.as_uri())  # file:// URL works like the directory
    ingest_dumps(local)
    before_files, before_rows = lake_files(settings), lake_contents(settings)
    again = ingest_dumps(local)
    assert {r.outcome for r in again} == {"unchanged"}
    assert lake_files(settings) == before_files
    forced = ingest_dumps(local, force=True)
    assert {r.outcome for r in forced} == {"ok"}
    # Idempotent: reprocessing the same dumps gives the identical lake (same partitions, same rows).
    assert lake_contents(settings) == before_rows
    assert sorted(lake_files(settings)) == sorted(before_files)


def test_force_over_http_sends_no_validators(settings, dumps):
    with FileServer(dumps) as server:
        local = replace(settings, pwc_dumps=server.url)
        ingest_dumps(local, only=["datasets"])
        server.requests_log.clear()
        result = ingest_dumps(local, force=True, only=["datasets"])[0]
    assert result.outcome == "ok"
    assert [(q.status, q.if_none_match) for q in server.requests_log] == [(200, None)]


def test_lake_deleted_behind_our_back_is_reingested(settings, dumps):
    local = replace(settings, pwc_dumps=str(dumps))
    ingest_dumps(local, only=["datasets"])
    shutil.rmtree(settings.lake / "raw" / "pwc" / "datasets")
    result = ingest_dumps(local, only=["datasets"])[0]
    assert result.outcome == "ok" and len(query(settings, "pwc/datasets")) == 2


def test_plain_json_used_when_no_gzip(settings, tmp_path):
    folder = write_all(tmp_path / "plain", gz=False)
    with FileServer(folder) as server:
        results = ingest_dumps(replace(settings, pwc_dumps=server.url))
        paths = server.paths_requested()
    assert {r.outcome for r in results} == {"ok"}
    assert paths[:2] == ["/papers-with-abstracts.json.gz", "/papers-with-abstracts.json"]
    assert all(r.url.endswith(".json") for r in results)


def test_missing_dump_is_an_outcome_all_missing_is_an_error(settings, tmp_path):
    folder = tmp_path / "partial"
    write_dump(folder, "methods", methods_items())
    results = by_target(ingest_dumps(replace(settings, pwc_dumps=str(folder))))
    assert results["methods"].outcome == "ok"
    assert {results[n].outcome for n in DUMPS if n != "methods"} == {"missing"}
    assert "datasets.json.gz" in results["datasets"].detail
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MlgraphError, match="no PwC dump files found"):
        ingest_dumps(replace(settings, pwc_dumps=str(empty)))
    with FileServer(empty) as server, pytest.raises(MlgraphError, match="no PwC dump files found"):
        ingest_dumps(replace(settings, pwc_dumps=server.url))


def test_bad_configuration_is_readable(settings, tmp_path):
    with pytest.raises(ConfigError, match="not a directory"):
        ingest_dumps(replace(settings, pwc_dumps=str(tmp_path / "nowhere")))
    with pytest.raises(ConfigError, match="unsupported URL scheme"):
        ingest_dumps(replace(settings, pwc_dumps="ftp://example.org/pwc"))
    with pytest.raises(MlgraphError, match="unknown PwC dump"):
        ingest_dumps(replace(settings, pwc_dumps=str(tmp_path)), only=["papers"])


@pytest.mark.parametrize("damage", ["corrupt gzip", "truncated json"])
def test_malformed_dump_fails_and_leaves_the_lake_as_it_was(settings, dumps, damage):
    local = replace(settings, pwc_dumps=str(dumps))
    ingest_dumps(local)
    before = lake_files(settings)
    methods = dumps / "methods.json.gz"
    data = json.dumps(methods_items() * 50).encode()
    if damage == "corrupt gzip":
        packed = gzip.compress(data, mtime=0)
        methods.write_bytes(packed[: len(packed) - 30])
        expected = r"methods\.json\.gz: corrupt or truncated"
    else:
        methods.write_bytes(gzip.compress(data[:-300], mtime=0))
        expected = r"methods\.json\.gz: invalid JSON after \d+ complete items \(near decompressed byte"
    write_dump(dumps, "datasets", [{"url": "https://paperswithcode.com/dataset/new", "name": "New"}])
    with pytest.raises(MalformedPageError, match=expected):
        ingest_dumps(local)
    after = lake_files(settings)
    datasets_prefix = "pwc/datasets/"
    # The broken dump's datasets are exactly as before; the healthy changed dump still went in.
    assert {k: v for k, v in after.items() if not k.startswith((datasets_prefix, "pwc/quarantine/"))} == {
        k: v for k, v in before.items() if not k.startswith((datasets_prefix, "pwc/quarantine/"))}
    assert [r[1] for r in query(settings, "pwc/datasets")] == ["New"]
    assert not list((settings.lake / "_tmp").glob("*/pwc"))  # no half-written transaction left
    failed = [e for e in Manifest(settings.state).entries("pwc") if e["outcome"] == "failed"]
    assert [e["target"] for e in failed] == ["methods"] and "methods.json.gz" in failed[0]["detail"]
    # The state still points at the good version, so a later good file is handled normally.
    write_dump(dumps, "methods", methods_items())
    assert ingest_dumps(local, only=["methods"])[0].outcome == "unchanged"


def test_http_retries_5xx_and_broken_transfers(settings, dumps):
    with FileServer(dumps) as server:
        local = replace(settings, pwc_dumps=server.url)
        server.fail_next(2, status=503, retry_after="0")
        server.truncate_next(1, keep_bytes=50)
        result = ingest_dumps(local, only=["methods"])[0]
        statuses = [q.status for q in server.requests_log]
    assert result.outcome == "ok" and result.rows["pwc/methods"] == 2
    assert statuses == [503, 503, 200, 200]  # two 503s, one cut-short body, then the good one


def test_http_persistent_truncation_fails_cleanly(settings, dumps):
    with FileServer(dumps) as server:
        local = replace(settings, pwc_dumps=server.url)
        ingest_dumps(local, only=["methods"])
        before = lake_files(settings)
        write_dump(dumps, "methods", methods_items()[:1])
        server.truncate_next(10, keep_bytes=20)
        with pytest.raises(SourceError, match=r"methods\.json\.gz broke off 4 times"):
            ingest_dumps(local, only=["methods"])
    assert lake_files(settings) == before
    assert not any((settings.lake / "_tmp").glob("pwc-download-*"))


def test_http_error_status_is_a_source_error(settings, dumps):
    with FileServer(dumps) as server:
        server.fail_next(10, status=500)
        with pytest.raises(SourceError, match="HTTP 500"):
            ingest_dumps(replace(settings, pwc_dumps=server.url), only=["methods"])


def test_real_dumps_over_http(settings, real_data, tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    shutil.copy(real_data / "pwc-methods-2022" / "methods.json.gz", folder / "methods.json.gz")
    shutil.copy(real_data / "pwc-sota-extractor" / "nlpprogress.json", folder / "evaluation-tables.json")
    shutil.copy(real_data / "pwc-links-grimrepor" / "links_projection.json",
                folder / "links-between-papers-and-code.json")
    with FileServer(folder) as server:
        results = by_target(ingest_dumps(replace(settings, pwc_dumps=server.url)))
    assert results["methods"].rows == {"pwc/methods": 1924, "pwc/method_collections": 2397}
    assert results["links-between-papers-and-code"].rows == {"pwc/code_links": 2297}
    tasks = json.loads((folder / "evaluation-tables.json").read_text())
    # nlpprogress.json repeats some tasks and (task, dataset) tables: the grain keeps the first.
    task_names = set()

    def walk(t):
        task_names.add(t["task"])
        for sub in t.get("subtasks") or []:
            walk(sub)
    for t in tasks:
        walk(t)
    assert results["evaluation-tables"].rows["pwc/eval_tasks"] == len(task_names)
    assert "pwc/eval_tasks=" in results["evaluation-tables"].detail
    con = duckdb.connect()
    placeholder = con.execute(
        f"SELECT count(*) FILTER (introduced_year IS NULL), count(*) FILTER (introduced_year = 2000) "
        f"FROM read_parquet('{lake.dataset_glob(settings.lake, 'pwc/methods')}')").fetchone()
    assert placeholder == (1866, 0)
    dup = con.execute(
        f"SELECT count(*) - count(DISTINCT (task, dataset, row_index, metric_name)) "
        f"FROM read_parquet('{lake.dataset_glob(settings.lake, 'pwc/eval_results')}')").fetchone()
    assert dup == (0,)
    con.close()


def test_file_server_validators_and_log(tmp_path):
    (tmp_path / "a.json").write_text("[1, 2, 3]")
    with FileServer(tmp_path) as server:
        first = requests.get(server.url + "a.json", timeout=5)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.content == b"[1, 2, 3]" and first.headers["Content-Length"] == "9"
        assert requests.get(server.url + "a.json", headers={"If-None-Match": etag}, timeout=5).status_code == 304
        assert requests.get(server.url + "a.json", headers={"If-None-Match": '"other"'}, timeout=5).status_code == 200
        assert requests.get(server.url + "a.json", headers={"If-Modified-Since": modified}, timeout=5).status_code == 304
        assert requests.get(server.url + "a.json", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
                            timeout=5).status_code == 200
        assert requests.head(server.url + "a.json", timeout=5).headers["ETag"] == etag
        assert requests.get(server.url + "../etc/passwd", timeout=5).status_code == 404
        assert requests.get(server.url + "nope.json", timeout=5).status_code == 404
        server.fail_next(1, status=503, retry_after="7")
        failed = requests.get(server.url + "a.json", timeout=5)
        assert (failed.status_code, failed.headers["Retry-After"]) == (503, "7")
        (tmp_path / "a.json").write_text("[1, 2, 3, 4]")
        changed = requests.get(server.url + "a.json", headers={"If-None-Match": etag}, timeout=5)
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [r.status for r in server.requests_log] == [200, 304, 200, 304, 200, 200, 404, 404, 503, 200]


def test_the_sample_from_a_directory_and_over_http_gives_the_same_lake(settings, tmp_path):
    from pipeline.sample import ensure_sample

    small = replace(settings, sample_papers=300)
    direct = ingest_dumps(replace(small, pwc_dumps=str(ensure_sample(small) / "pwc")))
    assert {r.outcome for r in direct} == {"ok"}
    assert all(r.url.startswith(str(small.sample_dir)) for r in direct)
    assert all(sum(r.rows.values()) > 0 for r in direct)
    over_http = replace(small, home=tmp_path / "other-home")
    with FileServer(small.sample_dir / "pwc") as server:
        served = ingest_dumps(replace(over_http, pwc_dumps=server.url))
    assert [(r.rows, r.checksum, r.quarantined) for r in served] == [(r.rows, r.checksum, r.quarantined) for r in direct]
    assert lake_contents(over_http) == lake_contents(small)


def test_blank_location_fails_before_any_download_naming_the_setting(settings):
    assert settings.pwc_dumps is None
    with pytest.raises(ConfigError, match=r"^MLGRAPH_PWC_DUMPS is not set"):
        ingest_dumps(settings)
    assert Manifest(settings.state).entries() == []
    assert not settings.sample_dir.exists() and not settings.lake.exists()
