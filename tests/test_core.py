"""Core plumbing: ids, configuration, lake writes, manifest, HTTP retries."""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pyarrow as pa
import pytest

import schemas
from pipeline import lake
from pipeline.config import load_settings
from pipeline.errors import ConfigError, SchemaDriftError, SourceError
from pipeline.http import HttpClient, parse_retry_after, redact_url
from pipeline.ids import normalize_arxiv_id, split_arxiv_id
from pipeline.manifest import Manifest


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2101.00001v3", ("2101.00001", 3)),
        ("2101.00001", ("2101.00001", None)),
        ("0704.0001", ("0704.0001", None)),
        ("cs/0101001", ("cs/0101001", None)),
        ("math.GT/0309136v2", ("math/0309136", 2)),
        ("oai:arXiv.org:cs/0101001", ("cs/0101001", None)),
        ("arXiv:1706.03762v7", ("1706.03762", 7)),
        ("https://arxiv.org/abs/1706.03762v5", ("1706.03762", 5)),
        ("http://arxiv.org/pdf/1706.03762.pdf", ("1706.03762", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("10.1103/PhysRevD.76.013009", None),
        ("", None),
        (None, None),
    ],
)
def test_arxiv_ids_normalise(raw, expected):
    assert split_arxiv_id(raw) == expected
    assert normalize_arxiv_id(raw) == (expected[0] if expected else None)


def test_settings_precedence_env_over_toml(tmp_path):
    cfg = tmp_path / "mlgraph.toml"
    cfg.write_text('[mlgraph]\nhome = "/from/toml"\narxiv_sets = ["cs"]\ns2_refresh_days = 7\n')
    s = load_settings(env={"MLGRAPH_HOME": "/from/env"}, toml_path=cfg)
    assert str(s.home) == "/from/env"
    assert s.arxiv_sets == ("cs",)
    assert s.s2_refresh_days == 7
    assert s.lake == s.home / "lake"


def test_settings_errors_are_readable(tmp_path):
    with pytest.raises(ConfigError, match="MLGRAPH_S2_REFRESH_DAYS"):
        load_settings(env={"MLGRAPH_S2_REFRESH_DAYS": "soon"})
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'nonsense'"):
        load_settings(env={}, toml_path=bad)


def test_api_key_never_in_repr_or_public_dict():
    s = load_settings(env={"MLGRAPH_S2_API_KEY": "topsecret"})
    assert "topsecret" not in repr(s)
    assert "topsecret" not in str(s.public_dict())
    assert s.s2_api_key == "topsecret"


def _quarantine_rows(n):
    from datetime import datetime, timezone

    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [{"dataset": "arxiv/papers", "record_key": f"k{i}", "reason": "bad", "raw": "<x/>",
             "location": "page 1", "ingested_at": now} for i in range(n)]


def test_partition_write_is_idempotent_and_replaces(tmp_path):
    spec = schemas.get("arxiv/quarantine")
    lake.write_partition(tmp_path, spec, "2024-01-01_2024-01-31", _quarantine_rows(3))
    lake.write_partition(tmp_path, spec, "2024-01-01_2024-01-31", _quarantine_rows(2))
    lake.write_partition(tmp_path, spec, "2024-02-01_2024-02-29", _quarantine_rows(4))
    n = duckdb.connect().execute(f"select count(*) from read_parquet('{lake.dataset_glob(tmp_path, spec)}')").fetchone()[0]
    assert n == 6
    assert lake.list_partitions(tmp_path, spec) == ["2024-01-01_2024-01-31", "2024-02-01_2024-02-29"]
    assert not any((tmp_path / "_tmp").iterdir())


def test_schema_drift_names_the_column(tmp_path):
    spec = schemas.get("arxiv/quarantine")
    table = lake.table_from_rows(spec, _quarantine_rows(1))
    with pytest.raises(SchemaDriftError, match="'reason'"):
        lake.write_partition(tmp_path, spec, "w", table.drop_columns(["reason"]))
    drifted = table.set_column(table.schema.get_field_index("location"), "location", pa.array([1], pa.int64()))
    with pytest.raises(SchemaDriftError, match="'location' has type int64"):
        lake.write_partition(tmp_path, spec, "w", drifted)
    with pytest.raises(SchemaDriftError, match="'extra'"):
        lake.write_partition(tmp_path, spec, "w", table.append_column("extra", pa.array([1])))
    assert lake.list_partitions(tmp_path, spec) == []


def test_failed_transaction_leaves_lake_as_it_was(tmp_path):
    spec = schemas.get("arxiv/quarantine")
    lake.write_partition(tmp_path, spec, "w", _quarantine_rows(5))
    with pytest.raises(RuntimeError):
        with lake.transaction(tmp_path) as txn:
            txn.write(spec, "w", _quarantine_rows(1))
            raise RuntimeError("page 3 was truncated")
    n = duckdb.connect().execute(f"select count(*) from read_parquet('{lake.dataset_glob(tmp_path, spec)}')").fetchone()[0]
    assert n == 5


def test_every_schema_column_is_documented():
    for spec in schemas.all_specs():
        assert spec.grain and spec.description
        assert set(spec.column_docs) == set(spec.schema.names), spec.key


def test_manifest_records_success_and_failure(tmp_path):
    m = Manifest(tmp_path)
    with m.record("arxiv", "window 2024-01-01..2024-01-31", partition="2024-01-01_2024-01-31") as r:
        r.rows["arxiv/papers"] = 10
    with pytest.raises(ValueError):
        with m.record("pwc", "methods.json.gz"):
            raise ValueError("corrupt gzip")
    entries = m.entries()
    assert [e["outcome"] for e in entries] == ["failed", "ok"]
    assert entries[1]["rows"] == {"arxiv/papers": 10}
    assert "corrupt gzip" in entries[0]["detail"]
    assert m.summary()["arxiv"]["outcomes"] == {"ok": 1}


class _Flaky(BaseHTTPRequestHandler):
    script: list = []
    seen: list = []

    def do_GET(self):  # noqa: N802
        self.seen.append(dict(self.headers))
        status, headers, body = self.script.pop(0) if self.script else (200, {}, b"ok")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def flaky_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Flaky.script, _Flaky.seen = [], []
    yield f"http://127.0.0.1:{server.server_port}", _Flaky
    server.shutdown()


def test_http_honours_retry_after_then_succeeds(flaky_server):
    url, handler = flaky_server
    handler.script = [(503, {"Retry-After": "7"}, b"busy"), (429, {}, b"slow down"), (200, {}, b"done")]
    waits = []
    client = HttpClient(name="test", sleep=waits.append, backoff=0.5, max_retries=3,
                        headers={"x-api-key": "secret-key"})
    assert client.get(url + "/x?api_key=zzz").text == "done"
    assert waits[0] == 7.0
    assert 0.25 <= waits[1] <= 1.0
    assert handler.seen[0]["x-api-key"] == "secret-key"


def test_http_gives_up_after_bounded_retries(flaky_server, caplog):
    url, handler = flaky_server
    handler.script = [(500, {}, b"oops")] * 10
    client = HttpClient(name="test", sleep=lambda s: None, max_retries=2, headers={"x-api-key": "secret-key"})
    with pytest.raises(SourceError, match="failed after 3 attempts"):
        client.get(url + "/y?token=abc")
    assert len(handler.seen) == 3
    assert "secret-key" not in caplog.text and "token=abc" not in caplog.text


def test_http_client_error_fails_at_once(flaky_server):
    url, handler = flaky_server
    handler.script = [(404, {}, b"no such thing")]
    with pytest.raises(SourceError, match="HTTP 404: no such thing"):
        HttpClient(name="test", sleep=lambda s: None).get(url + "/z")
    assert len(handler.seen) == 1


def test_http_unreachable_host_is_a_readable_error():
    client = HttpClient(name="test", sleep=lambda s: None, max_retries=1, timeout=1)
    with pytest.raises(SourceError, match="connection failed"):
        client.get("http://127.0.0.1:9/nothing-listens-here")


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("garbage") is None
    assert redact_url("https://user:pw@api.example.org/graph/v1/paper/batch?fields=x") == \
        "https://api.example.org/graph/v1/paper/batch"


def test_cli_help_lists_every_stage(capsys):
    from pipeline.cli import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name, _, _ in COMMANDS:
        assert name in out


def test_cli_expected_errors_have_no_traceback(capsys, tmp_path):
    from pipeline.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("this is not toml [")
    assert main(["--config", str(bad), "status"]) == 2
    err = capsys.readouterr().err
    assert "not valid TOML" in err and "Traceback" not in err


def test_status_json_has_lake_and_warehouse(capsys, tmp_path):
    import json

    from pipeline.cli import main

    assert main(["--home", str(tmp_path), "status", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["lake"].endswith("lake") and info["warehouse"].endswith(".duckdb")
    assert "manifest" in info


def test_nullable_fields_of_matching_types_are_accepted(tmp_path):
    spec = schemas.get("arxiv/quarantine")
    table = lake.table_from_rows(spec, _quarantine_rows(2))
    loose = pa.table({f.name: table.column(f.name) for f in spec.schema})  # all fields nullable
    assert lake.write_partition(tmp_path, spec, "w", loose) == 2
