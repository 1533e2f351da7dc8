"""Items 6 + 8 of issue 13: transient transport errors retried everywhere; secrets never follow a redirect.

The HTTP fault matrix: every fault of ``fault_proxy.FAULTS`` against GET and POST of the shared
client, then mid-body breaks inside a real OAI harvest and a real S2 fetch.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading

import pytest

from fault_proxy import FAULTS, FaultProxy
from pipeline.http import HttpClient
from pipeline.sample.oai_server import OaiServer
from pipeline.sample.s2_server import S2Server
from pipeline.sources.arxiv import harvest_window
from pipeline.sources.semantic_scholar import fetch_citations
from test_arxiv_harvest import JAN_FROM, JAN_UNTIL, lake_rows, make_corpus

BODY = b"0123456789abcdef" * 4096


class _Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: list = []

    def _reply(self, body: bytes):
        self.received.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        self._reply(BODY)

    def do_POST(self):  # noqa: N802
        self._reply(self.rfile.read(int(self.headers.get("Content-Length", 0))) * 3)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    handler = type("Up", (_Upstream,), {"received": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, handler
    server.shutdown()
    server.server_close()


def _client(**kw) -> HttpClient:
    return HttpClient(name="test", backoff=0.0, max_retries=2, timeout=5.0, sleep=lambda s: None, **kw)


MATRIX = [(fault, method) for fault in FAULTS for method in ("GET", "POST")]


@pytest.mark.parametrize(("fault", "method"), MATRIX)
def test_every_transport_fault_is_retried(upstream, fault, method):
    server, _ = upstream
    with FaultProxy(f"http://127.0.0.1:{server.server_address[1]}/data", {1: fault}) as proxy:
        client = _client()
        if method == "GET":
            response = client.get(proxy.url)
            assert response.content == BODY
        else:
            response = client.post(proxy.url, data=b"xyz" * 1000)
            assert response.content == b"xyz" * 3000
    assert client.retries_made == 1 and proxy.count == 2


def test_a_fault_on_every_attempt_is_one_clear_error(upstream):
    from pipeline.errors import SourceError

    server, _ = upstream
    with FaultProxy(f"http://127.0.0.1:{server.server_address[1]}/data", {1: "short", 2: "bad_chunk", 3: "reset"}) as proxy:
        with pytest.raises(SourceError, match=r"failed after 3 attempts \(last: "):
            _client().get(proxy.url)


def test_an_oai_harvest_survives_bodies_broken_mid_transfer(settings, tmp_path):
    corpus = tmp_path / "corpus.jsonl.gz"
    make_corpus(corpus)
    with OaiServer(corpus, page_size=4) as server:
        clean = dataclasses.replace(settings, home=tmp_path / "clean", arxiv_oai_url=server.url)
        harvest_window(clean, JAN_FROM, JAN_UNTIL, sets=["cs"])
        with FaultProxy(server.url, {1: "reset_mid", 3: "bad_chunk", 4: "short", 6: "cut_chunk"}) as proxy:
            s = dataclasses.replace(settings, arxiv_oai_url=proxy.url)
            result = harvest_window(s, JAN_FROM, JAN_UNTIL, sets=["cs"])
    assert result.outcome == "ok"
    assert lake_rows(s) == lake_rows(clean) and len(lake_rows(s)) > 8


def test_an_s2_fetch_survives_bodies_broken_mid_transfer(settings, tmp_path):
    from test_s2_fetch import _s2_paper

    import gzip
    import json

    from pipeline import lake

    papers = tmp_path / "s2papers.jsonl.gz"
    with gzip.open(papers, "wt") as fh:
        for i in range(30):
            fh.write(json.dumps(_s2_paper(i)) + "\n")
    ids = [p["externalIds"]["ArXiv"] for p in map(_s2_paper, range(30))]
    with S2Server(papers, max_batch=10) as server:
        with FaultProxy(server.url, {1: "short", 2: "cut_chunk", 4: "reset_mid"}) as proxy:
            s = dataclasses.replace(settings, s2_api_url=proxy.url, s2_batch_size=10)
            result = fetch_citations(s, batch="b1", arxiv_ids=ids)
    assert result.outcome == "ok" and result.rows["semantic_scholar/papers"] == 30
    assert len(lake.list_partitions(s.lake, "semantic_scholar/papers")) >= 1


@pytest.mark.parametrize("secret", ["x-api-key", "Authorization", "Cookie"])
def test_credentials_do_not_follow_a_redirect_to_another_host(upstream, secret):
    server, handler = upstream
    other = f"http://localhost:{server.server_address[1]}"       # same machine, another host name
    with FaultProxy(f"http://127.0.0.1:{server.server_address[1]}/data", {1: "redirect"},
                    redirect_to=other) as proxy:
        client = _client(headers={secret: "s3cret-value"})
        assert client.get(proxy.url).content == BODY
    assert proxy.seen[0]["headers"].get(secret.lower()) == "s3cret-value"   # the configured host got it
    assert len(handler.received) == 1
    assert secret.lower() not in {k.lower() for k in handler.received[0]}  # the redirect target did not


def test_a_same_host_redirect_keeps_the_key(upstream):
    server, handler = upstream
    with FaultProxy(f"http://127.0.0.1:{server.server_address[1]}/data", {1: "redirect"}) as proxy:
        proxy.redirect_to = f"http://127.0.0.1:{proxy.port}"
        client = _client(headers={"x-api-key": "k"})
        assert client.get(proxy.url).content == BODY
    assert proxy.seen[1]["headers"].get("x-api-key") == "k"
