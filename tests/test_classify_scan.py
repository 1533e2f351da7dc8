"""The classifier's faster scans find exactly what the plain patterns they replace find."""

from __future__ import annotations

import random
import re

import pytest

from pipeline.classify.text import _SENT_BREAK, _cue_regex, cue_sequences, get_classifier, trie_regex

PIECES = ["transformer", "Transformers", "cnn", "CNN", "-based", "c++", "+", "lstm", "ViT-B/16", "GANet", "GAN",
          "LLaMA", "LLM", "LLMs", "e.g.", "i.e.", "vs.", "et al.", "cf.", ". ", "; ", "! ", "?", "\n", "  ", " ",
          "-", "_", "é", "non-", "free", "our", "we propose", "compared to", "unlike", "such as", "based on",
          "Net", "former", "Former", "2vec", "word2vec", "resnet50", "u-net", "mamba", "x", "1", "ours",
          "self-attention",
          "diffusion models", "graph neural network", "SD3.5", "SAM 2", "Phi-3", "BERTs"]


def _texts(n: int, seed: int = 7):
    rnd = random.Random(seed)
    for _ in range(n):
        yield "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 40)))


@pytest.fixture(scope="module")
def clf():
    return get_classifier()


def test_sentence_breaks_unchanged():
    reference = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!vs)(?<! al)(?<!cf)[.!?;]\s")
    for text in _texts(3000):
        assert [m.span() for m in _SENT_BREAK.finditer(text)] == [m.span() for m in reference.finditer(text)]


def test_lexicon_scan_finds_the_lexicon_matches(clf):
    for text in _texts(3000, 8):
        low = text.lower()
        assert list(clf._lexicon_hits(low)) == [(m.start(), m.end(), m.group(1)) for m in clf.lexicon_re.finditer(low)]


def test_literal_scan_finds_every_guard_literal(clf):
    literals = {lit for lit, *_ in clf.cased if lit}
    for text in _texts(3000, 9):
        assert clf._literals(text) == {lit for lit in literals if lit in text}


def test_guarded_cue_regex_matches_the_word_bounded_one(clf):
    ctx = clf.taxonomy.context
    for key in ("comparison", "weak_negation", "ownership", "baseline_after", "proposal_before", "background",
                "proposal_after", "component_after"):
        fast = _cue_regex(ctx[key])
        plain = re.compile(r"\b(?:" + trie_regex(cue_sequences(ctx[key])) + r")(?!\w)")
        assert not fast.pattern.startswith(r"\b")
        for text in _texts(1000, 10):
            low = text.lower()
            assert [m.span() for m in fast.finditer(low)] == [m.span() for m in plain.finditer(low)]
            for pos in (0, 3, 7):  # searches from a position (ownership_re.search(window, comp.end()))
                got, want = fast.search(low, pos), plain.search(low, pos)
                assert (got and got.span()) == (want and want.span())
