"""Pure parsing of Graph API ``POST /paper/batch`` responses into raw-lake rows.

The batch endpoint answers a JSON array aligned with the request's ``ids``: element *i* is the
paper asked for as ``ids[i]``, or ``null`` when S2 does not know that id. Nothing here does I/O,
so the same code is exercised by the recorded real exchanges and by the loopback server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.errors import MalformedPageError
from pipeline.ids import normalize_arxiv_id
from pipeline.lake import storable

RAW_LIMIT = 64 * 1024
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


@dataclass
class ParsedBatch:
    """Rows for semantic_scholar/{papers, references, fetch_log, quarantine} from one response."""

    papers: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    fetch_log: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)

    def extend(self, other: "ParsedBatch") -> None:
        """Append another batch's rows to this one."""
        self.papers += other.papers
        self.references += other.references
        self.fetch_log += other.fetch_log
        self.quarantine += other.quarantine


class _Unusable(ValueError):
    """A record whose shape cannot be read; the message is the quarantine reason."""


def _raw(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    # A lone surrogate cannot be stored as UTF-8: keep it visible as its \\u escape instead.
    return storable(text[:RAW_LIMIT])



def _opt_int(obj: dict, key: str, *, bits32: bool = False) -> int | None:
    value = obj.get(key)
    # bool is an int subclass in Python, but a JSON true is never a count or a year.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unusable(f"{key} is {type(value).__name__} {value!r}, expected an integer")
    if abs(value) > (_INT32_MAX if bits32 else _INT64_MAX):
        raise _Unusable(f"{key} {value} is out of range")
    return value


def _opt_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return value
    if isinstance(value, str):
        if storable(value) is not value:
            raise _Unusable(f"{key} holds a lone surrogate (not valid Unicode text)")
        return value
    raise _Unusable(f"{key} is {type(value).__name__}, expected a string")


def _external_ids(obj: dict) -> dict:
    ext = obj.get("externalIds")
    if ext is None:
        return {}
    if not isinstance(ext, dict):
        raise _Unusable(f"externalIds is {type(ext).__name__}, expected an object")
    return ext


def _corpus_id(obj: dict, ext: dict) -> int | None:
    corpus_id = _opt_int(obj, "corpusId")
    return corpus_id if corpus_id is not None else _opt_int(ext, "CorpusId")


def _reference_row(citing: str, position: int, ref, fetched_at: datetime) -> dict:
    if not isinstance(ref, dict):
        raise _Unusable(f"reference is {type(ref).__name__}, expected an object")
    ext = _external_ids(ref)
    arxiv_raw = _opt_str(ext, "ArXiv")
    return {
        "citing_arxiv_id": citing,
        "position": position,
        "cited_s2_paper_id": _opt_str(ref, "paperId"),
        "cited_corpus_id": _corpus_id(ref, ext),
        # An ArXiv external id S2 got wrong is not worth losing the citation edge over; the
        # DOI / S2 id still identify the cited paper.
        "cited_arxiv_id": normalize_arxiv_id(arxiv_raw),
        "cited_doi": _opt_str(ext, "DOI"),
        "cited_title": _opt_str(ref, "title"),
        "cited_year": _opt_int(ref, "year", bits32=True),
        "fetched_at": fetched_at,
    }


def _paper_row(arxiv_id: str, entry: dict, fetched_at: datetime) -> dict:
    paper_id = _opt_str(entry, "paperId")
    if not paper_id:
        raise _Unusable("entry has no paperId")
    ext = _external_ids(entry)
    return {
        "arxiv_id": arxiv_id,
        "s2_paper_id": paper_id,
        "corpus_id": _corpus_id(entry, ext),
        "doi": _opt_str(ext, "DOI"),
        "title": _opt_str(entry, "title"),
        "year": _opt_int(entry, "year", bits32=True),
        "citation_count": _opt_int(entry, "citationCount"),
        "reference_count": _opt_int(entry, "referenceCount"),
        "influential_citation_count": _opt_int(entry, "influentialCitationCount"),
        "fetched_at": fetched_at,
    }


def decode_body(body: bytes | str, expected: int, location: str = "") -> list:
    """The response as a list of ``expected`` entries, or MalformedPageError (the batch fails)."""
    where = f" ({location})" if location else ""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPageError(f"Semantic Scholar batch response is not valid JSON{where}: {exc}") from None
    if not isinstance(data, list):
        raise MalformedPageError(f"Semantic Scholar batch response is a {type(data).__name__}, "
                                 f"not a JSON array{where}")
    if len(data) != expected:
        raise MalformedPageError(f"Semantic Scholar batch response has {len(data)} entries for "
                                 f"{expected} requested ids{where}")
    return data


def parse_batch(arxiv_ids: Sequence[str], body: bytes | str, fetched_at: datetime,
                location: str = "") -> ParsedBatch:
    """Parse one batch response for the (normalised) arXiv ids requested, in request order.

    A ``null`` entry is logged ``not_found``; an entry that is not a paper object or cannot be
    read is quarantined and logged ``error`` (so it is asked again next run); a reference that
    cannot be read is quarantined while the paper and its other references are kept.
    """
    entries = decode_body(body, len(arxiv_ids), location)
    out = ParsedBatch()
    for index, (arxiv_id, entry) in enumerate(zip(arxiv_ids, entries)):
        out.extend(parse_entry(arxiv_id, entry, fetched_at, f"{location} item {index}".strip()))
    return out


def parse_entry(arxiv_id: str, entry, fetched_at: datetime, location: str = "") -> ParsedBatch:
    """Rows for one element of a batch response (the answer for ``arxiv_id``)."""
    out = ParsedBatch()
    if entry is None:
        out.fetch_log.append({"arxiv_id": arxiv_id, "status": "not_found", "fetched_at": fetched_at,
                              "detail": None})
        return out
    try:
        if not isinstance(entry, dict):
            raise _Unusable(f"entry is {type(entry).__name__}, expected an object or null")
        paper = _paper_row(arxiv_id, entry, fetched_at)
        references = entry.get("references")
        if references is not None and not isinstance(references, list):
            raise _Unusable(f"references is {type(references).__name__}, expected a list")
    except _Unusable as exc:
        out.quarantine.append(_quarantined("semantic_scholar/papers", arxiv_id, str(exc), entry,
                                           location, fetched_at))
        out.fetch_log.append({"arxiv_id": arxiv_id, "status": "error", "fetched_at": fetched_at,
                              "detail": str(exc)})
        return out
    out.papers.append(paper)
    for position, ref in enumerate(references or ()):
        try:
            out.references.append(_reference_row(arxiv_id, position, ref, fetched_at))
        except _Unusable as exc:
            out.quarantine.append(_quarantined("semantic_scholar/references", f"{arxiv_id}#{position}",
                                               str(exc), ref, f"{location} reference {position}".strip(),
                                               fetched_at))
    out.fetch_log.append({"arxiv_id": arxiv_id, "status": "found", "fetched_at": fetched_at,
                          "detail": None})
    return out


def _quarantined(dataset: str, key: str, reason: str, raw, location: str, at: datetime) -> dict:
    return {"dataset": dataset, "record_key": storable(key), "reason": storable(reason), "raw": _raw(raw),
            "location": storable(location) or None, "ingested_at": at}
