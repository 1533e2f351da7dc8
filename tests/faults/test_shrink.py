"""Items 1 + 2 of issue 13: a source that returns far less than the lake holds is refused, not applied."""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import threading
from datetime import date

import pytest

from pipeline import lake
from pipeline.cli import main
from pipeline.errors import SuspectShrinkError
from pipeline.manifest import Manifest
from pipeline.sample.oai_server import OaiServer
from pipeline.sources.arxiv import harvest_window
from pipeline.sources.pwc import ingest_dumps
from test_arxiv_harvest import JAN_FROM, JAN_UNTIL, lake_rows, make_corpus
from test_pwc_parser import write_all


def _methods_rows(settings):
    return len(lake_rows_of(settings.lake, "pwc/methods"))


def test_an_empty_pwc_dump_keeps_the_previous_version(settings, tmp_path):
    dumps = write_all(tmp_path / "d")
    s = dataclasses.replace(settings, pwc_dumps=str(dumps))
    ingest_dumps(s, only="methods")
    before = _methods_rows(s)
    old_parts = lake.list_partitions(s.lake, "pwc/methods")
    assert before > 0
    (dumps / "methods.json.gz").write_bytes(gzip.compress(b"[]"))
    with pytest.raises(SuspectShrinkError, match=r"pwc/methods would shrink from \d+ to 0"):
        ingest_dumps(s, only="methods")
    assert _methods_rows(s) == before and lake.list_partitions(s.lake, "pwc/methods") == old_parts
    assert Manifest(s.state).entries("pwc")[0]["outcome"] == "suspect_shrink"
    # Told to, it accepts the shrink.
    ingest_dumps(dataclasses.replace(s, allow_shrink=True), only="methods")
    assert _methods_rows(s) == 0


def test_the_cli_exits_2_with_one_line_unless_allow_shrink(settings, tmp_path, monkeypatch, capsys):
    dumps = write_all(tmp_path / "d")
    monkeypatch.setenv("MLGRAPH_HOME", str(settings.home))
    monkeypatch.setenv("MLGRAPH_PWC_DUMPS", str(dumps))
    assert main(["ingest", "pwc", "--only", "methods"]) == 0
    (dumps / "methods.json.gz").write_bytes(gzip.compress(b"[]"))
    capsys.readouterr()
    assert main(["ingest", "pwc", "--only", "methods"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "would shrink" in err[0] and "--allow-shrink" in err[0]
    assert main(["ingest", "pwc", "--only", "methods", "--allow-shrink"]) == 0


class _Fixed(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_a_spurious_no_records_match_does_not_wipe_a_window(settings, tmp_path, real_data):
    corpus = tmp_path / "corpus.jsonl.gz"
    make_corpus(corpus)
    with OaiServer(corpus) as server:
        s = dataclasses.replace(settings, arxiv_oai_url=server.url)
        harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs", "stat"])
    before = lake_rows(s)
    assert len(before) > 10
    handler = type("NoRecords", (_Fixed,), {
        "body": (real_data / "arxiv-oaipmh-arxivraw-saelim" / "ErrorResponseNoRecordsMatch.xml").read_bytes()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        s = dataclasses.replace(settings, arxiv_oai_url=f"http://127.0.0.1:{httpd.server_port}/oai")
        with pytest.raises(SuspectShrinkError, match="arxiv/papers would shrink"):
            harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs", "stat"])
        assert lake_rows(s) == before
        assert Manifest(s.state).entries("arxiv")[0]["outcome"] == "suspect_shrink"
        # A window that never held anything is still just empty.
        assert harvest_window(s, date(2030, 1, 1), date(2030, 1, 31), sets=["cs"]).outcome == "empty"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_guard_ratio_is_a_setting(tmp_path):
    from datetime import datetime, timezone

    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rows = [{"dataset": "x", "location": "l", "record_key": str(i), "reason": "r", "raw": "{}", "ingested_at": now}
            for i in range(10)]
    lake.write_partition(tmp_path, "arxiv/quarantine", "w", rows)
    guard = lake.ShrinkGuard(("arxiv/quarantine",), ratio=0.5)
    with lake.transaction(tmp_path, guard) as txn:
        txn.write("arxiv/quarantine", "w", rows[:6])      # 60 % of before: accepted
    with pytest.raises(SuspectShrinkError):
        with lake.transaction(tmp_path, dataclasses.replace(guard, ratio=0.9)) as txn:
            txn.write("arxiv/quarantine", "w", rows[:5])
    assert len(lake_rows_of(tmp_path)) == 6


def lake_rows_of(lake_path, key="arxiv/quarantine"):
    import duckdb

    return duckdb.connect().execute(f"SELECT * FROM read_parquet('{lake.dataset_glob(lake_path, key)}')").fetchall()
