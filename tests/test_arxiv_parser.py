"""arXiv OAI-PMH page parsing: real arXivRaw/oai_dc samples, the arXiv format, quarantine, safety."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.errors import MalformedPageError, SourceError
from pipeline.sources.arxiv.parser import OaiError, parse_page, parse_rfc822, split_authors, tex_to_unicode

SAELIM = "arxiv-oaipmh-arxivraw-saelim"

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            '<responseDate>2025-01-02T00:00:00Z</responseDate><request verb="ListRecords">http://x/oai</request>'
            "<ListRecords>{records}{token}</ListRecords></OAI-PMH>")


def raw_record(arxiv_id="2501.00001", datestamp="2025-01-02", versions=(("v1", "Mon, 30 Dec 2024 10:00:00 GMT"),),
               title="A title", authors="A. Smith and B. Jones", extra="", status=None):
    """An arXivRaw <record> as export.arxiv.org writes it."""
    vs = "".join(f'<version version="{v}"><date>{d}</date><size>10kb</size></version>' for v, d in versions)
    id_el = f"<id>{arxiv_id}</id>" if arxiv_id is not None else ""
    status_attr = f' status="{status}"' if status else ""
    return (f"<record><header{status_attr}><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
            f"<datestamp>{datestamp}</datestamp><setSpec>cs</setSpec></header>"
            f'<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">{id_el}<submitter>A. Smith</submitter>'
            f"{vs}<title>{title}</title><authors>{authors}</authors><categories>cs.LG stat.ML</categories>{extra}"
            "<abstract>  Some\n  abstract.\n</abstract></arXivRaw></metadata></record>")


def page(*records, token="", doctype="") -> bytes:
    return ENVELOPE.format(doctype=doctype, records="".join(records), token=token).encode()


def test_real_arxivraw_listrecords_page(real_data):
    result = parse_page((real_data / SAELIM / "ListRecordsResponse.xml").read_bytes())
    assert [r["arxiv_id"] for r in result.rows] == ["0704.0471", "0704.0716", "0704.0874", "0704.1109",
                                                    "0704.1114", "0704.1586"]
    assert result.quarantined == [] and result.error is None
    assert result.token.value == "726959|1001"
    assert (result.token.complete_list_size, result.token.cursor) == (58011, 0)
    assert result.next_token == "726959|1001"
    by_id = {r["arxiv_id"]: r for r in result.rows}
    limit = by_id["0704.0716"]
    assert limit["latest_version"] == 4 and [v["version"] for v in limit["versions"]] == [1, 2, 3, 4]
    assert limit["first_version_date"] == date(2007, 4, 5)
    assert limit["last_updated_date"] == date(2008, 11, 14)
    assert limit["oai_datestamp"] == date(2014, 12, 22)
    assert limit["categories"] == ["math-ph", "math.MP"] and limit["primary_category"] == "math-ph"
    assert limit["versions"][0]["created"] == datetime(2007, 4, 5, 12, 45, 3, tzinfo=timezone.utc)
    assert limit["versions"][0]["size"] == "43kb"
    assert limit["record_format"] == "arXivRaw" and limit["submitter"] == "Christoph Richard"
    shetty = by_id["0704.0471"]
    # "D.V. Shetty, S.J. Yennello, and G.A. Souliotis": Oxford comma before "and".
    assert [(a["keyname"], a["forenames"]) for a in shetty["authors"]] == [
        ("Shetty", "D. V."), ("Yennello", "S. J."), ("Souliotis", "G. A.")]
    assert shetty["authors_raw"] == "D.V. Shetty, S.J. Yennello, and G.A. Souliotis"
    assert shetty["title"] == ("Density dependence of the symmetry energy and the nuclear equation of state: "
                               "A Dynamical and Statistical model perspective")
    assert '"\u00a0stiff' not in shetty["abstract"] and 'extremely " stiff " and " soft "' in shetty["abstract"]
    assert "\n" not in shetty["abstract"] and not shetty["abstract"].startswith(" ")
    assert shetty["doi"] == "10.1103/PhysRevC.76.024606 10.1103/PhysRevC.76.039902"
    assert shetty["journal_ref"].startswith("Phys.Rev.C76:024606,2007")


def test_real_getrecord(real_data):
    result = parse_page((real_data / SAELIM / "GetRecordResponse.xml").read_bytes())
    (row,) = result.rows
    assert row["arxiv_id"] == "1302.2146" and result.token is None
    assert [(v["version"], v["size"]) for v in row["versions"]] == [(1, "853kb"), (2, "849kb")]
    assert row["first_version_date"] == date(2013, 2, 8) and row["last_updated_date"] == date(2013, 4, 2)
    assert [a["keyname"] for a in row["authors"]] == ["Berger", "Perelstein", "Saelim", "Tanedo"]
    assert row["license"] == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


@pytest.mark.parametrize("name, code", [("ErrorResponseNoRecordsMatch.xml", "noRecordsMatch"),
                                        ("ErrorResponseBadResumptionToken.xml", "badResumptionToken")])
def test_real_errors_with_a_meaning_come_back_typed(real_data, name, code):
    result = parse_page((real_data / SAELIM / name).read_bytes())
    assert result.error.code == code and result.rows == [] and result.next_token is None
    assert result.error.message


@pytest.mark.parametrize("name, code", [("ErrorResponseBadArgument.xml", "badArgument"),
                                        ("ErrorResponseBadVerb.xml", "badVerb"),
                                        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist")])
def test_real_other_errors_raise_source_error(real_data, name, code):
    with pytest.raises(OaiError) as info:
        parse_page((real_data / SAELIM / name).read_bytes())
    assert info.value.code == code and isinstance(info.value, SourceError)
    assert code in str(info.value)


def test_real_oai_dc_page_envelope_and_token(real_data):
    # oai_dc is not a format we ingest: the envelope and token parse, records are quarantined, not guessed.
    result = parse_page((real_data / "arxiv-oaipmh-atomiklabs" / "ListRecords_oai_dc_cs_2024-01-25.xml").read_bytes())
    assert result.token.value == "6960524|1001" and result.token.complete_list_size == 1162
    assert result.rows == [] and len(result.quarantined) == 5
    assert result.quarantined[0]["record_key"] == "oai:arXiv.org:1303.2033"
    assert "unsupported metadata format" in result.quarantined[0]["reason"]
    assert "<dc:title>Extended Fourier analysis of signals</dc:title>" in result.quarantined[0]["raw"]


def test_arxiv_format_page():
    body = page(
        '<record><header><identifier>oai:arXiv.org:math/0309136</identifier><datestamp>2025-01-03</datestamp>'
        '<setSpec>math</setSpec></header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        "<id>math.GT/0309136</id><created>2003-09-08</created><updated>2025-01-02</updated>"
        "<authors><author><keyname>Smith</keyname><forenames>John A.</forenames><suffix>Jr</suffix></author>"
        "<author><keyname>van der Berg</keyname><forenames>Anna</forenames><affiliation>MIT</affiliation></author>"
        "</authors><title>Knots\n   and  links &amp;amp; more</title><categories>math.GT math.AG</categories>"
        "<doi>10.1/x</doi><abstract> Knots. </abstract></arXiv></metadata></record>"
        '<record><header status="deleted"><identifier>oai:arXiv.org:2501.00009</identifier>'
        "<datestamp>2025-01-03</datestamp></header></record>",
        token='<resumptionToken cursor="1000" completeListSize="1002"></resumptionToken>')
    result = parse_page(body)
    (row,) = result.rows
    assert result.deleted == 1 and result.next_token is None and result.token.cursor == 1000
    assert row["arxiv_id"] == "math/0309136"
    assert row["record_format"] == "arXiv" and row["versions"] is None and row["latest_version"] is None
    assert row["first_version_date"] == date(2003, 9, 8) and row["last_updated_date"] == date(2025, 1, 2)
    assert row["authors"] == [{"keyname": "Smith", "forenames": "John A.", "suffix": "Jr"},
                              {"keyname": "van der Berg", "forenames": "Anna", "suffix": None}]
    assert row["title"] == "Knots and links & more"
    assert row["categories"] == ["math.GT", "math.AG"] and row["primary_category"] == "math.GT"


def test_malformed_records_are_quarantined_and_the_rest_proceeds():
    body = page(
        raw_record("2501.00001"),
        raw_record(None),
        raw_record("not-an-id"),
        raw_record("2501.00004", versions=(("v1", "yesterday-ish"),)),
        raw_record("2501.00005", datestamp="2025-13-45"),
        raw_record("2501.00006v2", versions=(("v2", "Tue, 31 Dec 2024 10:00:00 GMT"),
                                              ("v1", "Mon, 30 Dec 2024 10:00:00 GMT"))),
    )
    result = parse_page(body, location="test page")
    assert [r["arxiv_id"] for r in result.rows] == ["2501.00001", "2501.00006"]
    assert result.rows[1]["latest_version"] == 2 and result.rows[1]["first_version_date"] == date(2024, 12, 30)
    reasons = {q["record_key"]: q["reason"] for q in result.quarantined}
    assert reasons == {
        "oai:arXiv.org:None": "record has no <id>",
        "oai:arXiv.org:not-an-id": "unparseable arXiv id 'not-an-id'",
        "oai:arXiv.org:2501.00004": "bad date 'yesterday-ish' for version v1",
        "oai:arXiv.org:2501.00005": "bad header datestamp '2025-13-45'",
    }
    bad_date = next(q for q in result.quarantined if q["record_key"].endswith("2501.00004"))
    assert "<date>yesterday-ish</date>" in bad_date["raw"] and bad_date["location"] == "test page record 4"


def test_truncated_page_raises_malformed():
    body = page(raw_record("2501.00001"), raw_record("2501.00002"))
    with pytest.raises(MalformedPageError, match="not well-formed"):
        parse_page(body[: len(body) // 2])
    with pytest.raises(MalformedPageError):
        parse_page(b"<html><body>Service unavailable")


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"REMOTE-ENTITY")

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        doctype = (f'<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file://{secret}">'
                   f'<!ENTITY net SYSTEM "http://127.0.0.1:{httpd.server_address[1]}/x">'
                   '<!ENTITY lol "lollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n')
        body = page(raw_record("2501.00001", title="Leak &xxe; &net; &lol2; end"), doctype=doctype)
        result = parse_page(body)
    finally:
        httpd.shutdown()
        httpd.server_close()
    (row,) = result.rows
    assert "TOP-SECRET" not in row["title"] and "REMOTE" not in row["title"] and "lollol" not in row["title"]
    assert row["title"].startswith("Leak") and row["title"].endswith("end")
    assert hits == []


@pytest.mark.parametrize("raw, expected", [
    ("Joshua Berger, Maxim Perelstein, Michael Saelim and Philip Tanedo",
     [("Berger", "Joshua"), ("Perelstein", "Maxim"), ("Saelim", "Michael"), ("Tanedo", "Philip")]),
    ("A. Smith (MIT), B. van der Berg (1 and 2), C. Doe, Jr. and D. E. Fox ((1) Stanford, (2) Oxford)",
     [("Smith", "A."), ("van der Berg", "B."), ("Doe", "C."), ("Fox", "D. E.")]),
    ("The ATLAS Collaboration", [("The ATLAS Collaboration", None)]),
    ("Plato", [("Plato", None)]),
    ("A. Smith, et al", [("Smith", "A.")]),
    ("", []),
])
def test_split_authors(raw, expected):
    assert [(a["keyname"], a["forenames"]) for a in split_authors(raw)] == expected


def test_split_authors_agrees_with_arxivs_own_parse_on_real_records(real_data):
    # The snapshot's authors_parsed is arXiv's parse of the same raw string; OAI arXivRaw rows must
    # match it or one author gets two identities downstream (TeX accents, glued initials, affiliations).
    lines = (real_data / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl").read_text().splitlines()
    for line in lines:
        rec = json.loads(line)
        ours = [(a["keyname"], a["forenames"] or "") for a in split_authors(" ".join(rec["authors"].split()))]
        assert ours == [(k, f) for k, f, *_ in rec["authors_parsed"]], rec["authors"]


def test_tex_accents_become_unicode():
    assert tex_to_unicode("Bal\\'azs") == "Balázs"
    assert tex_to_unicode("{\\O}bro \\v{S}r\\'amek Erd\\H{o}s Stra\\ss e") == "Øbro Šrámek Erdős Straße"
    assert tex_to_unicode("$x^2$ plain") == "$x^2$ plain"


def test_split_authors_suffix():
    assert split_authors("C. Doe, Jr. and John Roe III")[0]["suffix"] == "Jr."
    assert split_authors("C. Doe, Jr. and John Roe III")[1] == {"keyname": "Roe", "forenames": "John", "suffix": "III"}


def test_parse_rfc822():
    assert parse_rfc822("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=timezone.utc)
    assert parse_rfc822("garbage") is None and parse_rfc822("") is None


def _both_paths(body: bytes):
    """The page through parse_page (columnar when it can) and through the per-record reference path."""
    from pipeline.sources.arxiv import parser

    fast = parse_page(body)
    columnar = fast.table is not None
    return columnar, fast.rows, parser._parse(body, None).rows


@pytest.mark.parametrize("fmt", ["arXivRaw", "arXiv"])
def test_columnar_path_equals_the_per_record_path_on_real_records(real_data, fmt):
    # The 200 real Kaggle records (TeX accents, affiliations, glued initials, old-style ids)
    # served as OAI pages: the columnar conversion must give exactly the per-record rows.
    import requests

    from pipeline.sample.oai_server import OaiServer

    kaggle = real_data / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl"
    with OaiServer(kaggle, page_size=80) as server:
        params = {"verb": "ListRecords", "metadataPrefix": fmt}
        pages = 0
        while True:
            body = requests.get(server.url, params=params, timeout=60).content
            columnar, rows, reference = _both_paths(body)
            assert columnar and rows == reference and len(rows) > 0
            pages += 1
            token = parse_page(body).next_token
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token}
    assert pages == 3
    for name in ("ListRecordsResponse.xml", "GetRecordResponse.xml"):
        columnar, rows, reference = _both_paths((real_data / SAELIM / name).read_bytes())
        assert columnar and rows == reference


def test_columnar_path_hands_what_it_cannot_convert_exactly_to_the_reference():
    # Author strings, dates and texts at the edges of the columnar rules; and pages it must leave.
    tricky = [
        raw_record("2501.00001", authors="J.P. Hague, A. van der Berg, C. Doe, Jr. and D. E. Fox", title="A  b\tc"),
        raw_record("2501.00002", authors="A. Smith (MIT) and The ATLAS Collaboration", title="x &amp;amp; y"),
        raw_record("2501.00003", authors="B. Jones; C.-P. Yuan and D..E. Ham", title="  caf\u00e9 \u00a0 au lait "),
        raw_record("2501.00004v3", authors="Bal\\'azs C. and M\u00fcller K. and et al",
                   versions=(("v2", "Tue, 29 Feb 2000 10:00:00 GMT"), ("v1", "Mon, 3 Jan 2000 10:00:00 GMT"))),
        raw_record("math.GT/0309136v2", authors="Plato, Aristotle IV, S. Ii", extra="<doi> 10.1/x\n </doi>"),
        raw_record("2501.00006", authors="", title=""),
        raw_record("2501.00009", authors="J.P.K. Hague, A.-B. Smith and Carl Friedrich Gauss, and R. Roe AND T. Tee"),
    ]
    columnar, rows, reference = _both_paths(page(*tricky))
    assert columnar and rows == reference and len(rows) == 7
    assert rows[-1]["authors"][0] == {"keyname": "Hague", "forenames": "J. P. K.", "suffix": None}
    # A date the columnar parser would roll over (31 Feb), and a record to quarantine: the page
    # goes record by record, so the result is the reference's, quarantine included.
    for odd in (raw_record("2501.00007", versions=(("v1", "Sat, 31 Feb 2007 10:00:00 GMT"),)),
                raw_record("2501.00008", versions=(("v1", "2 Apr 2007 19:18:42 +0000"),)), raw_record("bad-id")):
        result = parse_page(page(tricky[0], odd))
        assert result.table is None
        assert result.rows == _both_paths(page(tricky[0], odd))[2]
