"""Mutation fuzzing of the three parsers with real records (issue 13, item 5).

Each case takes one real record from ``../shared/data/real/``, applies one to three random
mutations (poison values at the JSON level: 2**63, 1e300, lone surrogates, wrong types, huge
strings; at the byte level: bytes that are not UTF-8, an unbound namespace prefix, control
characters, cut or duplicated spans) and runs it through the code path the client runs: parse,
then build the lake tables strictly.  The outcome of a case is "ok" (rows and/or quarantine), a
clear ``MlgraphError`` for a unit that is really unreadable (bad JSON syntax, a cut page), "unit-lost"
when a value the parser let through makes the strict table build fail (the whole batch would be
lost), or "unhandled" — any other exception.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import traceback
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from pipeline import lake
from pipeline.errors import MlgraphError, SchemaDriftError

POISON_VALUES = [2**63, -(2**63) - 1, 2**64 + 7, 10**30, 1e300, -1e300, float("inf"), float("nan"), 1.5,
                 True, False, None, "", "\ud800", "x\udfffy", "\x00", "\u202e\u0000", "２５１１.９０００５",
                 [], [None], [1, "a"], {}, {"a": {"b": []}}, "a" * 70_000, -1, 0]
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _mutate_json(rng: random.Random, obj):
    """One structural mutation of a JSON value (in place where possible); returns the new value."""
    if isinstance(obj, dict) and obj and rng.random() < 0.85:
        key = rng.choice(list(obj))
        roll = rng.random()
        if roll < 0.15:
            del obj[key]
        elif roll < 0.25:
            obj[key + rng.choice(["_", "\ud800", "Id"])] = obj.pop(key)
        elif roll < 0.55 and isinstance(obj[key], (dict, list)) and obj[key]:
            obj[key] = _mutate_json(rng, obj[key])
        else:
            obj[key] = copy.deepcopy(rng.choice(POISON_VALUES))
        return obj
    if isinstance(obj, list) and obj and rng.random() < 0.85:
        i = rng.randrange(len(obj))
        if rng.random() < 0.5:
            obj[i] = _mutate_json(rng, obj[i])
        else:
            obj[i] = copy.deepcopy(rng.choice(POISON_VALUES))
        return obj
    return copy.deepcopy(rng.choice(POISON_VALUES))


def _mutate_bytes(rng: random.Random, data: bytes, xml: bool = False) -> bytes:
    """One byte-level mutation."""
    if not data:
        return data
    i = rng.randrange(len(data))
    roll = rng.random()
    if roll < 0.2:
        return data[:i] + bytes([rng.choice([0xFF, 0xFE, 0xC3, 0x80, 0xED])]) + data[i:]
    if roll < 0.3:
        return data[:i] + data[i + rng.randrange(1, 40):]
    if roll < 0.4:
        j = min(len(data), i + rng.randrange(1, 200))
        return data[:j] + data[i:j] + data[j:]
    if roll < 0.5:
        return data[:i] + bytes([rng.randrange(0, 32)]) + data[i:]
    if xml and roll < 0.8:
        # Insert an element with an unbound prefix (or a huge text node) just after a tag ends.
        at = data.find(b">", i)
        if at < 0:
            return data
        inserted = rng.choice([b"<bad:x>1</bad:x>", b"<y bad:a='1'/>", b"&#0;", b"&undefined;",
                               b"<![CDATA[" + b"z" * 11_000_000 + b"]]>" if rng.random() < 0.02 else b"\xff"])
        return data[:at + 1] + inserted + data[at + 1:]
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]


# --- the three targets -----------------------------------------------------------------------------

def _strict_tables(datasets: dict[str, list[dict]]) -> None:
    for key, rows in datasets.items():
        lake.table_from_rows(key, rows)  # strict: a row Arrow refuses is a parser bug here


def s2_records(real: Path) -> list[dict]:
    """Real Graph API paper objects, each with real references attached."""
    base = real / "s2-semanticscholar-py"
    papers = [json.loads((base / n).read_text()) for n in ("Paper.json", "PaperWithNullValues.json")]
    ref = json.loads((base / "Reference.json").read_text())
    cited = ref.get("citedPaper") or ref
    out = []
    for p in papers:
        # Only the fields the batch request asks for: the real Paper.json also carries 2.7 MB of
        # citations, which would make every case a slow deep copy and test nothing more.
        slim = {k: p.get(k) for k in ("paperId", "externalIds", "corpusId", "title", "year", "citationCount",
                                      "referenceCount", "influentialCitationCount")}
        refs = [r.get("citedPaper", r) if isinstance(r, dict) else r for r in (p.get("references") or [])[:4]]
        slim["references"] = [{k: r.get(k) for k in ("paperId", "externalIds", "corpusId", "title", "year")}
                              for r in refs + [cited] if isinstance(r, dict)]
        out.append(slim)
    return out


def s2_case(rng: random.Random, records: list[dict]) -> None:
    """Mutate a paper object; at times as JSON text bytes (then decoded the way the client does)."""
    from pipeline.sources.semantic_scholar.parser import parse_batch

    entry = copy.deepcopy(rng.choice(records))
    for _ in range(rng.randint(1, 3)):
        entry = _mutate_json(rng, entry)
    body = json.dumps([entry], ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.3:
        body = _mutate_bytes(rng, body)
    parsed = parse_batch(["2501.00001"], body, NOW, "fuzz")
    _strict_tables({"semantic_scholar/papers": parsed.papers, "semantic_scholar/references": parsed.references,
                    "semantic_scholar/fetch_log": parsed.fetch_log, "semantic_scholar/quarantine": parsed.quarantine})


def arxiv_pages(real: Path) -> list[bytes]:
    """Real OAI-PMH pages (arXivRaw and oai_dc)."""
    return [(real / "arxiv-oaipmh-arxivraw-saelim" / "ListRecordsResponse.xml").read_bytes(),
            (real / "arxiv-oaipmh-atomiklabs" / "ListRecords_oai_dc_cs_2024-01-25.xml").read_bytes()]


def arxiv_case(rng: random.Random, pages: list[bytes]) -> None:
    """Mutate a real page at the byte level and parse it as the harvester does."""
    from pipeline.sources.arxiv.parser import parse_page

    data = rng.choice(pages)
    for _ in range(rng.randint(1, 3)):
        data = _mutate_bytes(rng, data, xml=True)
    page = parse_page(data, location="fuzz")
    for row in page.rows:
        row["ingested_at"] = NOW
    _strict_tables({"arxiv/papers": page.rows,
                    "arxiv/quarantine": [{"dataset": "arxiv/papers", "ingested_at": NOW, **q} for q in page.quarantined]})


def pwc_items(real: Path, n: int = 300) -> list[dict]:
    """Real method objects from the 2022 methods dump."""
    items = json.loads((real / "pwc-methods-2022" / "methods.json").read_text())
    return items[:: max(1, len(items) // n)]


def pwc_case(rng: random.Random, items: list[dict], work: Path) -> None:
    """A dump of three real methods, the middle one mutated (as JSON or as bytes), parsed in full."""
    from pipeline.sources.pwc.parser import QUARANTINE, parse_dump

    good = rng.sample(items, 2)
    bad = copy.deepcopy(rng.choice(items))
    for _ in range(rng.randint(1, 3)):
        bad = _mutate_json(rng, bad)
    middle = json.dumps(bad, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.4:
        middle = _mutate_bytes(rng, middle)
    data = b"[" + json.dumps(good[0]).encode() + b",\n" + middle + b",\n" + json.dumps(good[1]).encode() + b"]"
    path = work / "methods.json.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1) if rng.random() < 0.3 else data)
    if not path.name.endswith(".gz") or data[:2] != b"\x1f\x8b":
        path = path.rename(work / "methods.json") if rng.random() < 0.5 and path.read_bytes()[:2] != b"\x1f\x8b" else path
    rows = 0
    for key, table in parse_dump("methods", path, ingested_at=NOW):
        if key != QUARANTINE:
            rows += table.num_rows
    path.unlink()


def run(real: Path, cases: int, seed: int, work: Path) -> dict:
    """Run ``cases`` fuzz cases spread over the three sources; returns counts per outcome."""
    rng = random.Random(seed)
    targets = {"s2": (s2_case, s2_records(real)), "arxiv": (arxiv_case, arxiv_pages(real)),
               "pwc": (pwc_case, pwc_items(real))}
    outcomes: Counter = Counter()
    unhandled: list[str] = []
    names = list(targets)
    for i in range(cases):
        name = names[i % len(names)]
        fn, data = targets[name]
        try:
            fn(rng, data, work) if name == "pwc" else fn(rng, data)
        except SchemaDriftError as exc:
            # The parser let through a value the lake cannot store: the whole batch would fail.
            outcomes[f"{name}:unit-lost"] += 1
            if len(unhandled) < 5:
                unhandled.append(f"{name} case {i}: {exc}")
        except MlgraphError:
            outcomes[f"{name}:clear-error"] += 1
        except Exception:  # noqa: BLE001 - counting exactly these is the point of the harness
            outcomes[f"{name}:unhandled"] += 1
            if len(unhandled) < 5:
                unhandled.append(f"{name} case {i}: {traceback.format_exc(limit=4)}")
        else:
            outcomes[f"{name}:ok"] += 1
    return {"outcomes": dict(outcomes), "unhandled": unhandled}
