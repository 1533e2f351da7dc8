"""The classifier's faster scans find exactly what the plain patterns they replace find."""

from __future__ import annotations

import functools
import random
import re

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from pipeline.classify.text import (_DOT_BREAK, _SENT_BREAK, _cue_regex, _cue_scan, cue_sequences, get_classifier,
                                     skippable, trie_regex)

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


def test_dot_breaks_are_the_sentence_breaks_of_texts_without_other_stops():
    for text in _texts(3000, 15):
        text = text.replace("!", ".").replace("?", " ").replace(";", ",")
        assert [m.span() for m in _DOT_BREAK.finditer(text)] == [m.span() for m in _SENT_BREAK.finditer(text)]


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


CASED_PIECES = ["BERT", "RoBERTa", "GPT", "ChatGPT", "ViT", "Transformer", "Conformer", "CLIP", "LLaMA", "Claude",
                " Shannon", "SAM", "SAM 2", "SAM2.1", "Phi-3", "OPT-1", "LLM", "LLMs", "VLM", "LLaVA", "Inception",
                "-v3", "-ResNet", "ResNet", "ImageNet", "DeepNets", "U-Net", "Net", "Nets", "++", "V2", "GNNs", "KAN",
                "FLUX.1", "SDXL", "SD3.5", "GAN", "VAEs", "word2vec", "wav2vec", "Wav2Vec", "Node2Vec", "GA", "Glow",
                "a", "x", "Z", "9", "_", "é", "É", "-", ".", " ", "\n", "(", "/"]
SHAPES = [r"\bAB\b", r"\bABs?\b", r"\bA?B", r"\b[A-Z]+x\b", r"\b[A-Z]?x", r"\b(?!Ax)[A-Z][a-z]*x\b", r"\bA|B\b",
          r"\b[A-Za-z0-9\-]*AB", r"\b(?![)])A", r"\b9a{2}", r"\bA(?=B)"]


def _cased_texts(n: int, seed: int):
    rnd = random.Random(seed)
    for _ in range(n):
        yield "".join(rnd.choice(CASED_PIECES) for _ in range(rnd.randint(0, 30)))


def _same_matches(pattern: str, fast: str, texts) -> None:
    plain, quick = re.compile(pattern), re.compile(fast)
    for text in texts:
        assert [(m.span(), m.groups()) for m in quick.finditer(text)] == \
            [(m.span(), m.groups()) for m in plain.finditer(text)], (pattern, fast, text)
        for pos in (1, 5):
            got, want = quick.search(text, pos), plain.search(text, pos)
            assert (got and got.span()) == (want and want.span()), (pattern, fast, text, pos)


def test_skippable_cased_patterns_match_the_taxonomy_ones(clf):
    patterns = [p for kinds in clf.taxonomy.lexicon.values() for kind in ("cased", "hints_cased")
                for p in kinds.get(kind, ())]
    rewritten = [p for p in patterns if skippable(p) != p]
    assert len(rewritten) > len(patterns) // 2  # the point: most patterns no longer start with \b
    for i, pattern in enumerate(patterns):
        _same_matches(pattern, skippable(pattern), _cased_texts(400, 20 + i))


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CASED_PIECES + ["A", "B", "AB", "Ax", "ab", "aa", "x)"]), max_size=25))
def test_skippable_shapes_match_their_plain_pattern(pieces):
    text = "".join(pieces)
    for pattern in SHAPES:
        _same_matches(pattern, skippable(pattern), [text])


def test_skippable_leaves_other_shapes_alone():
    for pattern in (r"\b[A-Z]?x", r"\b[A-Za-z0-9\-]*AB", r"\b(?![)])A", r"[A-Z]\b", r"(?i)\bab"):
        assert skippable(pattern) == pattern
    assert skippable(r"\bCLIP\b") == r"CLIP(?<!\wCLIP)\b"
    assert skippable(r"\bGNNs?\b") == r"GNN(?<!\wGNN)s?\b"


@functools.lru_cache(maxsize=1)
def _plain_cues(clf):
    return {key: _cue_regex(clf.taxonomy.context.get(key) or ["such as"])
            for key in ("comparison", "weak_negation", "ownership", "baseline_after", "proposal_before", "background",
                        "enumeration")}


def _plain_context(clf, low, starts, ends, start, end):
    """_context as it was: every cue searched with _cue_regex in the words it reads."""
    import bisect

    from pipeline.classify.text import _FREE_AFTER, _NON_BEFORE

    cue = _plain_cues(clf)
    i = bisect.bisect_right(ends, start)
    sent_start = ends[i - 1] if i else 0
    sent_end = starts[i] if i < len(starts) else len(low)
    pre = low[max(sent_start, start - 160):start]
    if _NON_BEFORE.match(pre[-5:]):
        return "negated"
    post = low[end:min(sent_end, end + 80)]
    if _FREE_AFTER.match(post) or cue["baseline_after"].search(" ".join(post.split()[:4])):
        return "negated"
    words = pre.split()
    window = " ".join(words[-clf.window:])
    comp = None
    for comp in cue["comparison"].finditer(window):
        pass
    if comp is not None and not cue["ownership"].search(window, comp.end()):
        return "negated"
    near = " ".join(words[-3:])
    if cue["weak_negation"].search(near) and not cue["ownership"].search(near):
        return "negated"
    if cue["proposal_before"].search(window) or clf.proposal_after_re.match(post):
        return "proposal"
    if cue["enumeration"].search(" ".join(words[-4:])):
        return "enumeration"
    if cue["background"].search(window):
        return "background"
    return "mention"


CONTEXT_PIECES = ["transformer", "cnn", "lstm", " ", "  ", "\n", "\t", "\xa0", "\u2003", ".", ". ", "; ", ",", "-", "(",
                  "_", "é", "x", "non", "non-", "free", "-free", "baseline", "baselines", "than", "our", "we",
                  "unlike",
                  "compared to", "we propose", "such as", "e.g.", "e g", "like", "recent", "based", "-based", "using",
                  "with a", "existing", "various", "in contrast to", "backbone", "including", "for example", "review",
                  "off the shelf", "on par with", "competitor", "a", "of", "the"]


def test_cue_scan_finds_the_cue_regex_matches(clf):
    ctx = clf.taxonomy.context
    for key in ("comparison", "weak_negation", "ownership", "baseline_after", "proposal_before", "background",
                "enumeration"):
        plain, scan = _cue_regex(ctx[key]), _cue_scan(ctx[key])
        assert scan.pattern.startswith(r"\W")  # the taxonomy's cues start with a letter: the fast form
        for text in _texts(1000, 13):
            low = text.lower()
            for pos in range(0, len(low) + 1, 4):
                got, want = scan.search(" " + low, pos), plain.search(low, pos)
                assert (got and (got.start(), got.end() - 1)) == (want and want.span()), (key, low, pos)
    odd = ["-based", "*former", "e g", "our"]  # cues not starting with a letter take the general form
    plain, scan = _cue_regex(odd), _cue_scan(odd)
    assert not scan.pattern.startswith(r"\W")
    for text in _texts(2000, 14):
        low = text.lower()
        for pos in range(0, len(low) + 1, 4):
            got, want = scan.search(" " + low, pos), plain.search(low, pos)
            assert (got and (got.start(), got.end() - 1)) == (want and want.span()), (low, pos)


def _assert_context_matches_plain_form(clf, seed: int, texts: int) -> None:
    """_context equals _plain_context at every third position of random cue-laden texts."""
    rnd = random.Random(seed)
    for _ in range(texts):
        low = "".join(rnd.choice(CONTEXT_PIECES) for _ in range(rnd.randint(0, 60)))
        starts, ends = [], []
        for brk in _SENT_BREAK.finditer(low):
            starts.append(brk.start())
            ends.append(brk.end())
        for start in range(0, len(low), 3):
            end = min(len(low), start + rnd.randint(1, 12))
            assert clf._context(low, starts, ends, start, end) == _plain_context(clf, low, starts, ends, start, end), \
                (low, start, end)


def test_context_matches_its_plain_form(clf):
    _assert_context_matches_plain_form(clf, 11, 4000)


DOMAIN_PIECES = ["language model", "language models", "llm", "llms", "image", "images", "video", "vision", "speech",
                 "graph", "graphs", "node", "time series", "time-series", "time - series", "robot", "robotics",
                 "tabular data", "medical", "clinical", "patients", "reinforcement learning", "rl", " ", "  ", "\n",
                 "-", ".", "_", "é", "x", "1", "(", "nlp", "asr", "forecasting", "spoken", "audio"]


def test_domain_scan_finds_the_domain_pattern_matches():
    from pipeline.classify.domain import get_domain_classifier

    dom = get_domain_classifier()
    assert dom.scan_pattern is not None  # the repo's cues all start with a word character
    rnd = random.Random(12)
    for _ in range(5000):
        low = "".join(rnd.choice(DOMAIN_PIECES) for _ in range(rnd.randint(0, 30)))
        assert list(dom.cues(low)) == [(m.group(0), m.lastgroup) for m in dom.pattern.finditer(low)], low


# Cues of different domains that overlap, so that the order in which they are tried decides the domain:
# the union trie alone would take "language models" for vision, the domain pattern takes "language" for nlp.
OVERLAPPING_CUES = {"nlp": ["language", "text*", "graph language"], "vision": ["language model*", "image", "text image"],
                    "graphs": ["graph*", "graph language model"], "speech_audio": ["speech", "speech-text*"]}
OVERLAP_PIECES = ["language", "model", "models", "text", "texts", "image", "graph", "graphs", "speech", "-", " ",
                  "  ", "x", "_", ".", "é"]


@hsettings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(OVERLAP_PIECES), max_size=30))
def test_domain_union_scan_keeps_the_domain_order(pieces):
    from pipeline.classify.domain import DomainClassifier

    dom = DomainClassifier(OVERLAPPING_CUES)
    low = "".join(pieces)
    assert list(dom.cues(low)) == [(m.group(0), m.lastgroup) for m in dom.pattern.finditer(low)], low


def test_domain_union_scan_differs_from_the_domain_pattern_where_order_matters():
    from pipeline.classify.domain import DomainClassifier

    dom = DomainClassifier(OVERLAPPING_CUES)
    # the union trie's own match is not the answer: only where the next cue starts
    assert dom.find_pattern.search(" language models").group(0) == " language models"
    assert list(dom.cues("language models")) == [("language", "nlp")]


def _plain_mentions(clf, text, low):
    """_mentions as it was: the lexicon through lexicon_re, every cased pattern whose literal occurs run."""
    from pipeline.classify.text import _normalize

    hits, spans = [], []
    for m in clf.lexicon_re.finditer(low):
        entry = clf.entries.get(_normalize(m.group(1)))
        if entry is None:
            continue
        spans.append(m.span())
        if entry[1] != "stop":
            hits.append((m.start(), m.end(), text[m.start():m.end()], entry[0], entry[1]))
    for literal, pattern, family, kind in clf.cased:
        if literal not in text:
            continue
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < b and a < e for a, b in spans):
                continue
            spans.append((s, e))
            hits.append((s, e, m.group(0), (family,), kind))
    return hits


# Lexicon words holding cased literals ("Transformer" holds "former" and "Former"), so that cased scans are
# skipped because their literal is covered, next to the same literals uncovered ("Conformer", "xformer").
MENTION_PIECES = CASED_PIECES + ["Transformer", "transformers", "Conformer", "xformer", "Xformer", "ResNets",
                                 "Neural Network", "GPT-4", "BERT-based", "LLM-based", "Swin Transformer", "ConvNet",
                                 "word2vec", "GANs", "VAE", "MLP head", "mlp", "MLP", " ", " ", "-", "former"]


@hsettings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(MENTION_PIECES), max_size=30))
def test_mentions_match_their_plain_form(pieces):
    clf = get_classifier()
    text = "".join(pieces)
    low = text.lower()
    assert [h[:5] for h in clf._mentions(text, low)] == _plain_mentions(clf, text, low), text
    for h in clf._mentions(text, low):  # the label and component flag stand for the families
        assert h[5] == "/".join(h[3]) and h[6] == bool(clf.component_families & set(h[3]))


def test_mentions_match_their_plain_form_on_random_texts():
    clf = get_classifier()
    rnd = random.Random(21)
    for _ in range(3000):
        text = "".join(rnd.choice(MENTION_PIECES) for _ in range(rnd.randint(0, 30)))
        low = text.lower()
        assert [h[:5] for h in clf._mentions(text, low)] == _plain_mentions(clf, text, low), text


def test_literal_starts_are_every_occurrence(clf):
    literals = {lit for lit, *_ in clf.cased if lit}
    for text in _cased_texts(2000, 22):
        want = {lit: [i for i in range(len(text)) if text.startswith(lit, i)] for lit in literals}
        assert clf._literal_starts(text) == {lit: pos for lit, pos in want.items() if pos}, text


@pytest.mark.parametrize("window", [2, 3, 7])
def test_context_matches_its_plain_form_for_other_windows(window):
    """The negation and example unions assume the 3 and 4 last words lie in the window; narrower windows skip them."""
    import dataclasses

    from pipeline.classify.taxonomy import load_taxonomy_file
    from pipeline.classify.text import TextClassifier

    tax = load_taxonomy_file()
    clf = TextClassifier(dataclasses.replace(tax, context={**tax.context, "window_words": window}))
    assert (clf.negation_scan is None) == (window < 3) and (clf.example_scan is None) == (window < 4)
    _plain_cues.cache_clear()
    _assert_context_matches_plain_form(clf, 30 + window, 1500)
