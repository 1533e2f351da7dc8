"""The RE2 prefilter of the mentions step: every text in which the Python alias regex can hit passes it."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from pipeline.classify.mentions import get_extractor, read_alias_rows
from pipeline.classify.mentions_warehouse import candidates_sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from bench_mentions import LISTINGS  # noqa: E402


def passes(texts: list[str | None]) -> list[bool]:
    """The prefilter's verdict on each text, through the step's own SQL file."""
    nocase, cased = get_extractor().prefilter_patterns()
    con = duckdb.connect()
    con.execute("SET VARIABLE mention_nocase_re = ?", [nocase])
    con.execute("SET VARIABLE mention_cased_re = ?", [cased])
    con.execute("CREATE TABLE int_papers (paper_id VARCHAR, title VARCHAR, abstract VARCHAR, is_ml BOOLEAN)")
    con.executemany("INSERT INTO int_papers VALUES (?, NULL, ?, true)", [(str(i), t) for i, t in enumerate(texts)])
    kept = {r[0] for r in con.execute(candidates_sql(con)).fetchall() if r[2] is not None}
    return [str(i) in kept for i in range(len(texts))]


def spellings(alias: str) -> list[str]:
    """The alias as written, upper/lower cased, its parts joined by odd separators, with a version."""
    base = alias.rstrip("*")
    out = [base, base.lower(), base.upper(), base.title()]
    for sep in ("-", " ", "_", "\u00a0", "\u2009", ""):
        out.append(sep.join(base.replace("-", " ").split()))
    if alias.endswith("*"):
        out += [base + "-50", base + "v8", base + " \u0663"]  # U+0663: an Arabic-Indic digit is a \d
    return out


def test_every_alias_spelling_that_hits_passes_the_prefilter():
    ex = get_extractor()
    texts = []
    for row in read_alias_rows():
        for s in spellings(row["alias"].strip()):
            texts += [s, f"We fine-tune {s}-7B on code.", f"({s}), built on {s}.", f"x{s}", f"\u017f{s}",
                      f"\u212a{s}", f"\u0130{s}"]
    hit = [bool(ex.hits(t)) for t in texts]
    assert sum(hit) > len(texts) // 3  # the spellings really exercise the regex
    missed = [t for t, h, p in zip(texts, hit, passes(texts)) if h and not p]
    assert missed == []


def test_only_one_character_lowers_to_more_than_one_or_into_ascii_unexpectedly():
    """The superset argument's premise: str.lower() maps non-ASCII to ASCII alphanumerics only for
    U+212A (Kelvin, which RE2's case folding knows) and U+0130 (which always passes)."""
    odd = []
    for cp in range(0x80, 0x110000):
        c = chr(cp)
        if unicodedata.category(c) == "Cn":
            continue
        low = c.lower()
        if len(low) > 1 or any(ch.isascii() and ch.isalnum() for ch in low):
            odd.append(cp)
    assert odd == [0x130, 0x212A]


def test_prefilter_drops_texts_without_an_alias():
    texts = ["A study of graph colouring.", "Llama 2", "We use BERT.", "the clip of a video", "CLIP features", None]
    assert passes(texts) == [False, True, True, False, True, False]


@pytest.mark.slow
def test_real_listings_lose_no_hit_and_most_texts_are_dropped():
    if not LISTINGS.exists():
        pytest.skip(f"real 2025 listings not found at {LISTINGS}")
    con = duckdb.connect()
    rows = con.execute(f"SELECT title, abstract FROM read_json('{LISTINGS}', format = 'newline_delimited') "
                       "LIMIT 4000").fetchall()
    texts = [t for row in rows for t in row]
    ex = get_extractor()
    hit = [bool(ex.hits(t or "")) for t in texts]
    verdict = passes(texts)
    assert [t for t, h, p in zip(texts, hit, verdict) if h and not p] == []
    # a prefilter that passes everything would be correct but useless
    assert sum(verdict) < 0.5 * len(texts)


def test_sentence_breaks_equal_the_lookbehind_first_form():
    """_SENT_BREAK checks its lookbehinds after the punctuation; the breaks are the same as before."""
    import re

    from pipeline.classify.mentions import _SENT_BREAK

    reference = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!vs)(?<! al)(?<!cf)[.!?;]\s")
    texts = ["We use BERT. Then e.g. GPT; i.e. more vs. less! Smith et al. show cf. this? Yes.\nNo",
             ". .. e.g.; vs! al? cf.\t", "e.g.e.g. x. al. y", "", "...\n\n!!!  ;;"]
    for text in texts:
        assert [m.span() for m in _SENT_BREAK.finditer(text)] == [m.span() for m in reference.finditer(text)]
