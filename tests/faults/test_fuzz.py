"""Item 5 of issue 13: poison records go to quarantine; a fuzz run over real records has 0 crashes."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

import fuzz
from pipeline import lake
from pipeline.sources.arxiv.parser import parse_page
from pipeline.sources.pwc.parser import QUARANTINE, parse_dump
from pipeline.sources.semantic_scholar.parser import parse_batch

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _unhandled(report):
    return {k: v for k, v in report["outcomes"].items() if k.endswith((":unhandled", ":unit-lost"))}


def test_fuzz_fast(real_data, tmp_path):
    report = fuzz.run(real_data, cases=900, seed=13, work=tmp_path)
    assert _unhandled(report) == {}, "\n".join(report["unhandled"])
    assert sum(report["outcomes"].values()) == 900


@pytest.mark.slow
def test_fuzz_ten_thousand(real_data, tmp_path):
    report = fuzz.run(real_data, cases=10_500, seed=2026, work=tmp_path)
    assert _unhandled(report) == {}, "\n".join(report["unhandled"])
    ok = sum(v for k, v in report["outcomes"].items() if k.endswith(":ok"))
    assert ok > 5_000  # most mutated records must still load (rows or quarantine), not fail their unit


def test_s2_citation_count_past_int64_and_lone_surrogate_are_quarantined(real_data):
    paper = json.loads((real_data / "s2-semanticscholar-py" / "Paper.json").read_text())
    big = dict(paper, citationCount=2**63)
    surrogate = dict(paper, title="\ud800 broken")
    body = json.dumps([big, surrogate, paper])  # ensure_ascii: the surrogate travels as \\ud800
    parsed = parse_batch(["2501.00001", "2501.00002", "2501.00003"], body, NOW)
    assert [p["arxiv_id"] for p in parsed.papers] == ["2501.00003"]
    reasons = [q["reason"] for q in parsed.quarantine]
    assert any("citationCount" in r and "out of range" in r for r in reasons)
    assert any("surrogate" in r for r in reasons)
    lake.table_from_rows("semantic_scholar/quarantine", parsed.quarantine)
    lake.table_from_rows("semantic_scholar/papers", parsed.papers)


def test_pwc_1e300_and_a_non_utf8_byte_cost_one_record_each(tmp_path):
    items = [{"url": "https://paperswithcode.com/method/a", "name": "A", "num_papers": 1e300},
             {"url": "https://paperswithcode.com/method/b", "name": "B"},
             {"url": "https://paperswithcode.com/method/c", "name": "C"}]
    data = json.dumps(items).encode().replace(b'"B"', b'"B\xff"')
    path = tmp_path / "methods.json.gz"
    path.write_bytes(gzip.compress(data))
    out = {}
    for key, table in parse_dump("methods", path, ingested_at=NOW):
        out.setdefault(key, []).extend(table.to_pylist())
    assert [r["method_url"] for r in out["pwc/methods"]] == ["https://paperswithcode.com/method/c"]
    reasons = sorted(r["reason"] for r in out[QUARANTINE])
    assert len(reasons) == 2 and "out of range" in reasons[0] and "not UTF-8" in reasons[1]


def test_an_oai_record_with_an_unbound_prefix_is_quarantined_alone(real_data):
    page = (real_data / "arxiv-oaipmh-arxivraw-saelim" / "ListRecordsResponse.xml").read_bytes()
    good = parse_page(page)
    at = page.index(b"<title>")
    broken = page[:at] + b"<bad:note>x</bad:note>" + page[at:]
    parsed = parse_page(broken)
    assert len(parsed.rows) == len(good.rows) - 1
    assert len(parsed.quarantined) == len(good.quarantined) + 1
    assert "not well-formed" in parsed.quarantined[-1]["reason"] or any(
        "not well-formed" in q["reason"] for q in parsed.quarantined)
    assert parsed.token == good.token


def test_table_from_rows_quarantines_per_row_with_the_real_exception_classes():
    spec = "semantic_scholar/papers"
    rows = [{"arxiv_id": "2501.00001", "s2_paper_id": "a", "citation_count": 2**63, "fetched_at": NOW},
            {"arxiv_id": "2501.00002", "s2_paper_id": "b", "title": "\ud800", "fetched_at": NOW},
            {"arxiv_id": "2501.00003", "s2_paper_id": "c", "fetched_at": NOW}]
    rejects: list = []
    table = lake.table_from_rows(spec, rows, rejects)
    assert table.column("arxiv_id").to_pylist() == ["2501.00003"]
    assert [type_ for _, type_ in rejects] and len(rejects) == 2
    assert "OverflowError" in rejects[0][1] or "ArrowInvalid" in rejects[0][1]
    assert "UnicodeEncodeError" in rejects[1][1]
    with pytest.raises(Exception, match="do not fit"):
        lake.table_from_rows(spec, rows)
    lake.table_from_rows(QUARANTINE, lake.reject_rows(spec, rejects, NOW, "test", key="arxiv_id"))
