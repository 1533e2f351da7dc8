"""Item 3 of issue 13: every reader is bounded; past a bound the record is quarantined, never loaded whole."""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import json
import threading
import time
import tracemalloc

import duckdb
import pytest

from pipeline import lake
from pipeline.errors import MalformedPageError, SourceError
from pipeline.http import HttpClient
from pipeline.sources.arxiv import ingest_snapshot
from pipeline.sources.arxiv import snapshot as snap
from pipeline.sources.arxiv.parser import parse_page
from pipeline.sources.pwc.parser import QUARANTINE, parse_dump

MB = 1024 * 1024


def _count(lake_path, key):
    return duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)",
                                    [lake.dataset_glob(lake_path, key)]).fetchone()[0]


def test_snapshot_block_reader_skips_a_line_past_the_bound(tmp_path):
    path = tmp_path / "zeros.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(b'{"id": "a"}\n' + b"0" * (40 * MB) + b'\n{"id": "b"}\n' + b"\0" * (30 * MB))
    reader = snap._CountingReader(open(path, "rb"))
    blocks = list(snap._raw_blocks(path, reader, max_line=4 * MB))
    assert max(len(b) for b, _, _ in blocks) <= 4 * MB + snap.BLOCK_BYTES
    lines = b"".join(b if b.endswith(b"\n") else b + b"\n" for b, _, _ in blocks).splitlines()
    assert lines[0] == b'{"id": "a"}' and lines[2] == b'{"id": "b"}'
    assert lines[1].startswith(b"line skipped: 41,943,040 bytes") and lines[3].startswith(b"line skipped")
    assert [first for _, first, _ in blocks][0] == 1
    with pytest.raises(MalformedPageError, match="decompresses to more than"):
        list(snap._raw_blocks(path, snap._CountingReader(open(path, "rb")), max_line=4 * MB, max_total=10 * MB))


def test_a_snapshot_with_a_huge_line_loads_the_rest_and_quarantines_it(settings, tmp_path, real_data):
    real = (real_data / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl").read_bytes().splitlines()
    path = tmp_path / "snapshot.jsonl"
    huge = b'{"id": "2501.99999", "abstract": "' + b"z" * (24 * MB) + b'"}'
    path.write_bytes(b"\n".join(real[:50] + [huge] + real[50:]) + b"\n")
    s = dataclasses.replace(settings, reader_max_line_bytes=2 * MB)
    result = ingest_snapshot(s, str(path))
    assert result.rows["arxiv/papers"] == len(real) and result.quarantined == 1
    # Whichever path read it (DuckDB's own reader or the bounded block reader), the record is
    # quarantined with a bounded raw text, never stored whole.
    raw = duckdb.connect().execute("SELECT max(length(raw)) FROM read_parquet(?)",
                                   [lake.dataset_glob(s.lake, "arxiv/quarantine")]).fetchone()[0]
    assert raw <= 64 * 1024


def test_a_huge_pwc_string_field_costs_one_record_not_the_memory(tmp_path):
    items = [{"url": "https://paperswithcode.com/method/a", "name": "A", "description": "d" * (60 * MB)},
             {"url": "https://paperswithcode.com/method/b", "name": "B", "description": "fine"}]
    path = tmp_path / "methods.json"
    path.write_text(json.dumps(items))
    tracemalloc.start()
    started = time.monotonic()
    out = {}
    for key, table in parse_dump("methods", path, max_field_bytes=1 * MB):
        out.setdefault(key, []).extend(table.to_pylist())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [r["name"] for r in out["pwc/methods"]] == ["B"]
    assert "longer than 1,048,576 bytes" in out[QUARANTINE][0]["reason"]
    assert peak < 40 * MB and time.monotonic() - started < 30


def test_an_oai_record_with_a_huge_text_node_is_quarantined_not_the_window(real_data):
    page = (real_data / "arxiv-oaipmh-arxivraw-saelim" / "ListRecordsResponse.xml").read_bytes()
    good = parse_page(page)
    at = page.index(b"<abstract>") + len(b"<abstract>")
    huge = page[:at] + b"y" * (12 * MB) + page[at:]   # past libxml2's 10 MB text-node bound (huge_tree off)
    parsed = parse_page(huge)
    assert len(parsed.rows) == len(good.rows) - 1 and len(parsed.quarantined) == len(good.quarantined) + 1
    assert len(parsed.quarantined[-1]["raw"]) <= 64 * 1024


class _Big(http.server.BaseHTTPRequestHandler):
    chunked = False

    def do_GET(self):  # noqa: N802
        body = b"x" * (3 * MB)
        self.send_response(200)
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 65536):
                part = body[i:i + 65536]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("chunked", [False, True])
def test_an_http_body_past_the_bound_is_refused(chunked):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("B", (_Big,), {"chunked": chunked}))
    server.protocol_version = "HTTP/1.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(SourceError, match="http_max_body_bytes"):
            HttpClient(name="t", max_body_bytes=1 * MB, sleep=lambda s: None).get(url)
        assert len(HttpClient(name="t", max_body_bytes=4 * MB).get(url).content) == 3 * MB
    finally:
        server.shutdown()
        server.server_close()
