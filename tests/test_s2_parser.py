"""Semantic Scholar batch-response parser, against real recorded Graph API responses."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import schemas
from pipeline import lake
from pipeline.errors import MalformedPageError
from pipeline.sources.semantic_scholar.parser import parse_batch, parse_entry

AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
S2 = "s2-semanticscholar-py"


def _recorded(path, index=0):
    """(request ids, response body) of one interaction of a recorded (VCR) exchange."""
    interaction = yaml.safe_load(path.read_text())["interactions"][index]
    body = interaction["response"].get("body", {}).get("string") or interaction["response"].get("content")
    request = interaction["request"]["body"]
    return (json.loads(request)["ids"] if request else []), body


def _fits_lake(parsed):
    for key, rows in (("semantic_scholar/papers", parsed.papers), ("semantic_scholar/references", parsed.references),
                      ("semantic_scholar/fetch_log", parsed.fetch_log),
                      ("semantic_scholar/quarantine", parsed.quarantine)):
        lake.check_batch(schemas.get(key), lake.table_from_rows(key, rows))


def test_real_batch_with_null_entry_records_not_found(real_data):
    ids, body = _recorded(real_data / S2 / "test_get_papers_return_not_found.yaml")
    assert len(ids) == 4
    # The recording asked for CorpusId/DOI/S2 ids; the parser only relies on alignment, so stand
    # arXiv ids in for them as the client would have sent ARXIV:<id>.
    asked = ["2101.00001", "2101.00002", "2101.00003", "2101.00004"]
    parsed = parse_batch(asked, body, AT, "recorded")
    assert [(r["arxiv_id"], r["status"]) for r in parsed.fetch_log] == [
        ("2101.00001", "not_found"), ("2101.00002", "found"), ("2101.00003", "found"), ("2101.00004", "found")]
    by_id = {p["arxiv_id"]: p for p in parsed.papers}
    assert set(by_id) == {"2101.00002", "2101.00003", "2101.00004"}
    first = by_id["2101.00002"]
    assert first["s2_paper_id"] == "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce"
    assert (first["corpus_id"], first["doi"], first["year"]) == (470667, "10.2139/ssrn.288970", 2001)
    assert (first["citation_count"], first["reference_count"], first["influential_citation_count"]) == (10670, 30, 578)
    assert first["title"] == "How Much Should We Trust Differences-in-Differences Estimates?"
    assert by_id["2101.00004"]["doi"] == "10.1257/rct.1355"
    assert parsed.references == [] and parsed.quarantine == []
    _fits_lake(parsed)


def test_real_paper_references_with_external_ids(real_data):
    paper = json.loads((real_data / S2 / "Paper.json").read_text())
    parsed = parse_batch(["cs/0001001"], json.dumps([paper]), AT)
    assert parsed.papers[0]["doi"] == "10.1093/MIND/LIX.236.433"
    assert parsed.papers[0]["corpus_id"] == 14636783
    refs = parsed.references
    assert [r["position"] for r in refs] == list(range(14))
    assert all(r["citing_arxiv_id"] == "cs/0001001" for r in refs)
    unresolved = [r for r in refs if r["cited_s2_paper_id"] is None]
    assert len(unresolved) == 6
    assert all(r["cited_corpus_id"] is None and r["cited_doi"] is None for r in unresolved)
    assert refs[0]["cited_doi"] == "10.2307/3610576" and refs[0]["cited_corpus_id"] == 58879058
    assert refs[0]["cited_year"] == 1951
    assert refs[9]["cited_year"] is None and refs[9]["cited_title"].startswith("Victoria University")
    assert parsed.quarantine == []
    _fits_lake(parsed)


def test_real_reference_arxiv_id_is_normalised(real_data):
    edge = json.loads((real_data / S2 / "Reference.json").read_text())
    cited = edge["citedPaper"]
    assert cited["externalIds"]["ArXiv"] == "1402.0030"
    cited = {**cited, "externalIds": {**cited["externalIds"], "ArXiv": "arXiv:1402.0030v2"}}
    entry = {"paperId": "a" * 40, "references": [cited]}
    ref = parse_batch(["1501.00001"], json.dumps([entry]), AT).references[0]
    assert ref["cited_arxiv_id"] == "1402.0030"
    assert ref["cited_s2_paper_id"] == "331f0fb3b6176c6e463e0401025b04f6ace9ccd3"
    assert ref["cited_corpus_id"] == 1981188


def test_real_paper_with_null_values(real_data):
    entry = json.loads((real_data / S2 / "PaperWithNullValues.json").read_text())
    parsed = parse_batch(["1706.03762"], json.dumps([entry]), AT)
    assert parsed.papers[0]["s2_paper_id"] == "2d5673caa9e6af3a7b82a43f19ee920992db07ad"
    assert parsed.papers[0]["doi"] is None and parsed.papers[0]["year"] is None
    assert parsed.references == [] and parsed.fetch_log[0]["status"] == "found"


def test_real_error_body_is_a_malformed_page(real_data):
    _, body = _recorded(real_data / S2 / "test_bad_query_parameters.yaml")
    with pytest.raises(MalformedPageError, match="is a dict, not a JSON array"):
        parse_batch(["2101.00001"], body, AT)


@pytest.mark.parametrize("body, message", [
    (b'[{"paperId": "abc", "title": "trunc', "not valid JSON"),
    (b"[null, null]", "2 entries for 3 requested ids"),
    (b"", "not valid JSON"),
    (b'"[]"', "is a str"),
])
def test_malformed_responses_fail_the_batch(body, message):
    with pytest.raises(MalformedPageError, match=message):
        parse_batch(["2101.00001", "2101.00002", "2101.00003"], body, AT, "call 7")


def test_bad_entries_and_references_are_quarantined_rest_kept():
    good = {"paperId": "p1", "corpusId": 1, "externalIds": {"ArXiv": "2101.00001", "DOI": "10.1/x"},
            "year": 2021, "references": [
                {"paperId": "r0", "externalIds": {"ArXiv": "1706.03762"}, "title": "Attention", "year": 2017},
                "not a reference",
                {"paperId": "r2", "year": "2019"},
                {"paperId": None, "externalIds": None, "title": "unresolved", "year": None},
                {"paperId": "r4", "externalIds": ["DOI", "10.1/y"]},
            ]}
    body = json.dumps([good, "a string", {"title": "no id"}, {"paperId": "p4", "year": True},
                       {"paperId": "p5", "references": {"paperId": "x"}}, None])
    asked = [f"2101.0000{i}" for i in range(1, 7)]
    parsed = parse_batch(asked, body, AT, "call 1")
    assert [p["arxiv_id"] for p in parsed.papers] == ["2101.00001"]
    assert [(r["position"], r["cited_arxiv_id"]) for r in parsed.references] == [(0, "1706.03762"), (3, None)]
    status = {r["arxiv_id"]: r["status"] for r in parsed.fetch_log}
    assert status == {"2101.00001": "found", "2101.00002": "error", "2101.00003": "error",
                      "2101.00004": "error", "2101.00005": "error", "2101.00006": "not_found"}
    q = {r["record_key"]: r for r in parsed.quarantine}
    assert set(q) == {"2101.00001#1", "2101.00001#2", "2101.00001#4", "2101.00002", "2101.00003",
                      "2101.00004", "2101.00005"}
    assert q["2101.00001#2"]["reason"] == "year is str '2019', expected an integer"
    assert q["2101.00001#2"]["dataset"] == "semantic_scholar/references"
    assert json.loads(q["2101.00001#2"]["raw"]) == {"paperId": "r2", "year": "2019"}
    assert q["2101.00001#4"]["reason"] == "externalIds is list, expected an object"
    assert q["2101.00003"]["reason"] == "entry has no paperId"
    assert q["2101.00004"]["reason"].startswith("year is bool")
    assert q["2101.00005"]["reason"] == "references is dict, expected a list"
    assert q["2101.00002"]["location"] == "call 1 item 1"
    assert q["2101.00001#1"]["location"] == "call 1 item 0 reference 1"
    _fits_lake(parsed)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["paperId", "corpusId", "externalIds", "title", "year", "references", "DOI",
                         "ArXiv", "citationCount"]), inner, max_size=5),
    max_leaves=12)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=_json)
def test_any_json_entry_is_parsed_or_quarantined_never_crashes(entry):
    parsed = parse_entry("2101.00001", entry, AT, "prop")
    assert len(parsed.fetch_log) == 1
    assert parsed.fetch_log[0]["status"] in ("found", "not_found", "error")
    if parsed.fetch_log[0]["status"] == "error":
        assert parsed.papers == [] and len(parsed.quarantine) == 1
    _fits_lake(parsed)
