"""Bulk snapshot ingest: real Kaggle lines, plain/gzip/URL, quarantine with line numbers, corrupt gzip."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import threading
from datetime import date, datetime, timezone
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from pipeline import lake
from pipeline.errors import MalformedPageError
from pipeline.ids import split_arxiv_id
from pipeline.manifest import Manifest
from pipeline.sample.oai_server import OaiServer
from pipeline.sources.arxiv import harvest_window, ingest_snapshot
from pipeline.sources.arxiv import snapshot as snapshot_module

KAGGLE = "arxiv-kaggle-snapshot/arxiv-metadata-oai-snapshot.head.jsonl"


def record(arxiv_id, title="A paper", versions=("Mon, 2 Apr 2007 19:18:42 GMT",), **extra):
    rec = {"id": arxiv_id, "submitter": "Some One", "authors": "Some One and Other Person", "title": title,
           "comments": None, "journal-ref": None, "doi": None, "report-no": None, "categories": "cs.LG stat.ML",
           "license": None, "abstract": "  An\n abstract.\n",
           "versions": [{"version": f"v{i + 1}", "created": c} for i, c in enumerate(versions)],
           "update_date": "2020-01-01", "authors_parsed": [["One", "Some", ""], ["Person", "Other", ""]]}
    rec.update(extra)
    return json.dumps(rec)


def papers(settings):
    con = duckdb.connect()
    rows = con.execute(f"SELECT * EXCLUDE (ingested_at) FROM read_parquet('{lake.dataset_glob(settings.lake, 'arxiv/papers')}') "
                       "ORDER BY arxiv_id").fetchall()
    cols = [d[0] for d in con.description]
    return [dict(zip(cols, r)) for r in rows]


def quarantine(settings):
    con = duckdb.connect()
    return con.execute(f"SELECT record_key, reason, raw, location FROM read_parquet("
                       f"'{lake.dataset_glob(settings.lake, 'arxiv/quarantine')}') ORDER BY location").fetchall()


def test_real_kaggle_lines(settings, real_data):
    path = real_data / KAGGLE
    result = ingest_snapshot(settings, str(path))
    assert result.rows == {"arxiv/papers": 200} and result.quarantined == 0 and result.outcome == "ok"
    assert result.checksum == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    rows = {r["arxiv_id"]: r for r in papers(settings)}
    first = rows["0704.0001"]
    assert first["title"] == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert first["latest_version"] == 2 and first["first_version_date"] == date(2007, 4, 2)
    assert first["last_updated_date"] == date(2007, 7, 24)  # latest version, not update_date 2008-11-26
    assert first["versions"][0]["created"] == datetime(2007, 4, 2, 19, 18, 42, tzinfo=timezone.utc)
    assert first["authors"][0] == {"keyname": "Balázs", "forenames": "C.", "suffix": None}
    assert first["authors_raw"] == "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan"
    assert first["categories"] == ["hep-ph"] and first["doi"] == "10.1103/PhysRevD.76.013009"
    assert first["report_no"] == "ANL-HEP-PR-07-12" and first["record_format"] == "snapshot"
    assert first["abstract"].startswith("A fully differential calculation") and "\n" not in first["abstract"]
    assert rows["0704.0002"]["categories"] == ["math.CO", "cs.CG"] and rows["0704.0002"]["primary_category"] == "math.CO"
    entry = Manifest(settings.state).entries("arxiv")[0]
    assert entry["partition"] == "snapshot" and entry["checksum"] == result.checksum


def test_snapshot_rows_agree_with_the_oai_harvest_of_the_same_records(settings, real_data):
    ingest_snapshot(settings, str(real_data / KAGGLE))
    snap = {r["arxiv_id"]: r for r in papers(settings)}
    with OaiServer(real_data / KAGGLE, page_size=50) as server:
        harvest_window(dataclasses.replace(settings, arxiv_oai_url=server.url), date(2007, 1, 1), date(2030, 1, 1),
                       sets=["cs", "math", "physics", "q-bio", "stat", "nlin"])
    con = duckdb.connect()
    glob = lake.dataset_glob(settings.lake, "arxiv/papers").replace("*/*.parquet", "window=2007*/*.parquet")
    oai = {r[0]: r for r in con.execute(f"SELECT arxiv_id, title, abstract, categories, first_version_date, "
                                        f"last_updated_date, latest_version, doi, journal_ref FROM read_parquet('{glob}')").fetchall()}
    assert len(oai) >= 190
    for arxiv_id, row in oai.items():
        s = snap[arxiv_id]
        assert row[1:] == (s["title"], s["abstract"], s["categories"], s["first_version_date"],
                           s["last_updated_date"], s["latest_version"], s["doi"], s["journal_ref"]), arxiv_id


def test_plain_and_gzip_give_the_same_rows(settings, tmp_path):
    lines = [record(f"2101.{i:05d}", title=f"Paper {i} &amp; co", categories="cs.LG  stat.ML cs.LG") for i in range(1, 51)]
    plain = tmp_path / "snap.json"
    plain.write_text("\n".join(lines) + "\n")
    gz = tmp_path / "snap.json.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("\n".join(lines))  # no final newline: the last line still counts
    ingest_snapshot(settings, str(plain))
    first = papers(settings)
    ingest_snapshot(settings, str(gz))
    assert papers(settings) == first and len(first) == 50
    assert first[0]["title"] == "Paper 1 & co" and first[0]["abstract"] == "An abstract."
    assert first[0]["categories"] == ["cs.LG", "stat.ML"] and first[0]["primary_category"] == "cs.LG"
    assert lake.list_partitions(settings.lake, "arxiv/papers") == ["snapshot"]


def test_bad_lines_are_quarantined_with_line_numbers(settings, tmp_path, monkeypatch):
    # Small blocks so the bad lines fall in different blocks and line numbering crosses blocks.
    monkeypatch.setattr(snapshot_module, "BLOCK_BYTES", 1500)
    lines = [record(f"2101.{i:05d}") for i in range(1, 21)]
    lines[3] = '{"id": "2101.99999", "title": "truncated'
    lines[7] = record(None)
    lines[11] = record("math.GT/0309136v2")
    lines[12] = record("not an id")
    lines[15] = record("2101.77777", versions=("sometime in 2007",))
    lines[17] = ""
    lines[18] = json.dumps({"id": "2101.88888", "versions": "v1"})
    path = tmp_path / "snap.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = ingest_snapshot(settings, str(path))
    rows = papers(settings)
    ids = [r["arxiv_id"] for r in rows]
    assert "math/0309136" in ids and len(ids) == 14 and result.rows["arxiv/papers"] == 14
    bad = {int(loc.rsplit(" ", 1)[1]): (key, reason, raw) for key, reason, raw, loc in quarantine(settings)}
    assert sorted(bad) == [4, 8, 13, 16, 19] and result.quarantined == 5
    assert bad[4][1].startswith("invalid JSON") and bad[4][2] == lines[3]
    assert bad[8][1] == "record has no id"
    assert bad[13][1].startswith("unparseable arXiv id") and bad[13][0] == "not an id"
    assert bad[16][1].startswith("bad version label or date") and json.loads(bad[16][2])["id"] == "2101.77777"
    assert bad[19][1].startswith("does not fit the snapshot layout")


@pytest.mark.parametrize("compress", [False, True])
def test_rows_rejected_by_the_mapping_are_located_despite_blank_lines(settings, tmp_path, compress, monkeypatch):
    # Valid JSON throughout, so the one-query path runs; blank lines must not shift line numbers.
    monkeypatch.setattr(snapshot_module, "_block_path", lambda *a: pytest.fail("fell back to the block path"))
    lines = [record(f"2101.{i:05d}") for i in range(1, 9)]
    lines[2] = ""
    lines[3] = "   "
    lines[5] = record(None)
    lines[6] = record("2101.00007", versions=("32 Foo 2007",))
    text = "\n".join(lines) + "\n"
    path = tmp_path / ("snap.jsonl.gz" if compress else "snap.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    result = ingest_snapshot(settings, str(path))
    assert result.rows["arxiv/papers"] == 4 and result.quarantined == 2
    bad = {int(loc.rsplit(" ", 1)[1]): (key, reason, raw) for key, reason, raw, loc in quarantine(settings)}
    assert sorted(bad) == [6, 7]
    assert bad[6][1] == "record has no id" and bad[6][2] == lines[5]
    assert bad[7][0] == "2101.00007" and bad[7][2] == lines[6]


def test_corrupt_gzip_fails_cleanly_and_keeps_the_previous_snapshot(settings, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(record(f"2101.{i:05d}") for i in range(1, 11)) + "\n")
    ingest_snapshot(settings, str(good))
    before = papers(settings)
    payload = gzip.compress(("\n".join(record(f"2201.{i:05d}", title="x" * 200) for i in range(1, 400)) + "\n").encode())
    broken = bytearray(payload)
    for i in range(len(broken) // 2, len(broken) // 2 + 64):
        broken[i] ^= 0x5A
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(bytes(broken))
    with pytest.raises(MalformedPageError, match="corrupt gzip"):
        ingest_snapshot(settings, str(corrupt))
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(MalformedPageError, match="corrupt gzip"):
        ingest_snapshot(settings, str(truncated))
    assert papers(settings) == before
    assert list((settings.lake / "_tmp").glob("*")) == []  # aborted transactions left nothing behind
    assert [e["outcome"] for e in Manifest(settings.state).entries("arxiv")] == ["failed", "failed", "ok"]


def test_a_file_without_any_record_never_replaces_the_snapshot(settings, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(record("2101.00001") + "\n")
    ingest_snapshot(settings, str(good))
    html = tmp_path / "error.html"
    html.write_text("<html>\n<body>Service unavailable</body>\n</html>\n")
    with pytest.raises(MalformedPageError, match="no readable record"):
        ingest_snapshot(settings, str(html))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(MalformedPageError):
        ingest_snapshot(settings, str(empty))
    assert [r["arxiv_id"] for r in papers(settings)] == ["2101.00001"]
    assert quarantine(settings) == []


def test_snapshot_from_a_url(settings, tmp_path):
    (tmp_path / "files").mkdir()
    path = tmp_path / "files" / "arxiv-metadata-oai-snapshot.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(record(f"2101.{i:05d}") for i in range(1, 6)) + "\n")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(tmp_path / "files")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/{path.name}?token=secret"
        result = ingest_snapshot(settings, url)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.rows == {"arxiv/papers": 5}
    assert result.url == url.split("?")[0] and "secret" not in result.url
    assert result.checksum == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert list((settings.state / "downloads").iterdir()) == []


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_sql_id_normalisation_agrees_with_pipeline_ids():
    samples = ["0704.0001", "0704.0001v3", "2101.00001v12", "math/0309136", "math.GT/0309136v2", "hep-th/9901001",
               "Math.GT/0309136", "arXiv:1706.03762v7", "cond-mat.str-el/0101001", "1706.3762", "math/030913",
               "10.1103/PhysRevD.76.013009", "cs/0101001v1"]
    con = duckdb.connect()
    got = con.execute(
        f"SELECT raw, {snapshot_module._ID_SQL} FROM (SELECT raw, regexp_replace(lower(trim(raw)), '^arxiv:', '') AS _rid "
        "FROM unnest($samples) t(raw))", {"samples": samples}).fetchall()
    for raw, sql_id in got:
        expected = split_arxiv_id(raw)
        assert sql_id == (expected[0] if expected else None), raw


def test_text_columns_are_cleaned_as_the_oai_parser_cleans_them(settings, tmp_path):
    # The query turns newlines into spaces and Arrow trims; whatever else a value needs goes to
    # the parser's own clean_text / collapse_text, which are the reference here.
    from pipeline.sources.arxiv.parser import clean_text, collapse_text

    texts = ["plain", "  lead and trail \n", "a\nb", "a\r\nb", "a\tb", "a  b", "a\u00a0b", "\u2003x\u2003", "x &amp; y",
             "&lt;b&gt;", "caf\u00e9", "a\u2028b", "\nnew\nlines\n", "   ", "", None, "amp & alone", "tr\u00e8s  \n long"]
    lines = [record(f"2101.{i:05d}", title=t, abstract=t, comments=t, doi=t, license=t, submitter=t, authors=t,
                    **{"journal-ref": t, "report-no": t}) for i, t in enumerate(texts, start=1)]
    path = tmp_path / "texts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    ingest_snapshot(settings, str(path))
    rows = papers(settings)
    assert len(rows) == len(texts)
    for row, text in zip(rows, texts):
        for column in ("title", "abstract", "comments", "journal_ref", "report_no", "submitter"):
            assert row[column] == clean_text(text), (column, text)
        for column in ("doi", "license", "authors_raw"):
            assert row[column] == collapse_text(text), (column, text)
