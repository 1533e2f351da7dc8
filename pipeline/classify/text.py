"""Rule-based architecture-family classifier for a paper's title and abstract.

It reads like a careful annotator: a family counts only when the paper uses or proposes it.
Mentions in comparisons ("outperforms LSTM baselines", "unlike CNNs", "than RNN-based methods")
are discarded; proposal cues ("we propose", "our", "based on", "-based", "backbone") and title
mentions weigh more; background mentions ("such as", "recent") weigh less; weak cues
("self-attention", "MLP") count only for a family that has other evidence, or when no family has
any; hints ("feature maps", "attention module", a proposed "*Net") count only when no family has
strong evidence. With no evidence the answer is ``other`` with a low confidence, never a guess.

All regular expressions are compiled once per taxonomy; the lexicon is one trie-shaped regex so a
scan costs one pass over the text whatever the lexicon size.
"""

from __future__ import annotations

import bisect
import csv
import functools
import heapq
import math
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.classify.taxonomy import FAMILIES, Taxonomy, load_taxonomy_file

PROVENANCE = "text"
_SEP = "\x00"                       # trie unit standing for "spaces/hyphens or nothing"
_SEP_RE = r"[\s\-]*"
_VERSION_RE = r"(?:[\s\-]?v?\d+(?:\.\d+)*[a-z]?)?"
_PLURAL_RE = r"(?:e?s)?"
_NORMALIZE = re.compile(r"[^a-z0-9+]")
# A sentence break, but not the dot of "e.g.", "i.e.", "vs.", "et al.", "cf.". The lookbehinds come
# after the punctuation (and include it) so that the pattern starts with a character class, which
# lets `re` skip to candidate positions in C instead of trying the whole pattern at every one.
_SENT_BREAK = re.compile(r"[.!?;](?<!e\.g[.!?;])(?<!i\.e[.!?;])(?<!vs[.!?;])(?<! al[.!?;])(?<!cf[.!?;])\s")
# _SENT_BREAK's breaks of a text without '!', '?' or ';'. Starting with a literal, it is found by
# `re`'s character search, several times faster than the test of a class at every position.
_DOT_BREAK = re.compile(r"\.(?<!e\.g\.)(?<!i\.e\.)(?<!vs\.)(?<! al\.)(?<!cf\.)\s")
_FREE_AFTER = re.compile(r"[\s\-]*free\b")
_NON_BEFORE = re.compile(r"(?:^|.*[^a-z0-9])non[\s\-]?$")  # "non-CNN", on the last 5 chars


@dataclass(frozen=True)
class Classification:
    """The text classifier's verdict for one paper."""

    primary_family: str
    families: tuple[str, ...]
    confidence: float
    provenance: str = PROVENANCE
    evidence: tuple[str, ...] = ()

    def to_record(self, paper_id) -> dict:
        """The JSON-lines output record of ``mlgraph classify``."""
        return {"id": paper_id, "primary_family": self.primary_family, "families": list(self.families),
                "confidence": self.confidence, "provenance": self.provenance}


def phrase_units(phrase: str) -> list[str]:
    """Split a lexicon phrase into trie units: escaped characters, with separators between words."""
    units: list[str] = []
    for i, word in enumerate(phrase.lower().split()):
        if i:
            units.append(_SEP)
        units.extend(re.escape(ch) for ch in word)
    return units


def trie_regex(sequences, first_guard=None) -> str:
    """A regex alternation of unit sequences shaped as a trie (longest alternative tried first).

    ``first_guard(unit)``, when given, returns an assertion placed right after the first unit of each
    sequence. A boundary check written there instead of before the alternation (for instance
    ``a(?<![A-Za-z0-9]a)`` for ``(?<![A-Za-z0-9])a``) matches the same strings, but the pattern then
    starts with literals, from which `re` builds a first-character set and skips non-candidate
    positions in C: about 2-3x faster scans of long texts.
    """
    root: dict = {}
    for units in sequences:
        node = root
        for unit in units:
            node = node.setdefault(unit, {})
        node[""] = {}

    def serialize(node: dict, top: bool = False) -> str:
        alts = [(_SEP_RE if unit == _SEP else unit) + (first_guard(unit) if top and first_guard else "")
                + serialize(child)
                for unit, child in sorted(node.items()) if unit != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return "(?:" + body + ")?" if len(alts) > 1 or len(body) > 1 else body + "?"
        return body

    return serialize(root, top=True)


def _single_char(unit: str) -> str | None:
    """The character a trie unit (one escaped character) stands for; None for a class or quantifier."""
    if len(unit) == 1 and unit not in r"\.^$*+?{}[]|()":
        return unit
    if len(unit) == 2 and unit[0] == "\\" and not unit[1].isalnum():
        return unit[1]
    return None


def _not_after(chars: str):
    """first_guard for ``(?<![chars])`` before a sequence: the lookbehind re-checks the first character."""
    def guard(unit: str) -> str:
        if _single_char(unit) is None:
            raise ValueError(f"cannot guard trie unit {unit!r}")
        return f"(?<![{chars}]{unit})"
    return guard


def _word_boundary(unit: str) -> str:
    """first_guard for ``\\b`` before a sequence: after a word character's start, or a non-word one's."""
    ch = _single_char(unit)
    if ch is None:
        raise ValueError(f"cannot guard trie unit {unit!r}")
    return f"(?<!\\w{unit})" if re.match(r"\w", ch) else f"(?<=\\w{unit})"


def required_literal(pattern: str) -> str:
    """The longest literal run every match of a simple ``pattern`` must contain ('' if none is sure)."""
    core = re.sub(r"\(\?<?[!=][^)]*\)", "", pattern)      # lookarounds
    while True:  # non-capturing groups (may hold alternatives), innermost first so nesting is removed
        core, n = re.subn(r"\(\?:[^()]*\)[?*+]?", " ", core)
        if not n:
            break
    if "|" in core:
        return ""
    core = re.sub(r"\\[bBdDwWsS]", " ", core)              # escapes such as \b and \d
    core = re.sub(r"\[[^\]]*\][?*+]?", " ", core)          # character classes (with a quantifier)
    core = re.sub(r".[?*]", " ", core)                       # optional characters
    core = re.sub(r"\(\?:[^)]*\)[?*]?|[()+{}]", " ", core)  # groups
    pieces = re.findall(r"[A-Za-z0-9]+", core)
    return max(pieces, key=len) if pieces else ""


# What skippable moves a \b behind: a run of ASCII letters and digits, or a class of only those
# (not optional), so that the text before them is what decides the boundary.
_ASCII_WORD_HEAD = re.compile(r"\[(?:[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9])+\](?![?*{])|[A-Za-z0-9]+")


def _lookahead_end(pattern: str) -> int | None:
    """The index after the group opening ``pattern`` (parentheses balanced, escapes skipped); None if unsure."""
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 1
        elif ch == "[":  # a class may hold parentheses: not worth parsing
            return None
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if not depth:
                return i + 1
        i += 1
    return None


def skippable(pattern: str) -> str:
    r"""``pattern`` with its leading ``\b`` moved after its first literal run or class, for fast scans.

    A pattern starting with ``\b`` gives `re` no first character to skip to, so a search tries the
    whole pattern at every position of the text. ``\bCLIP`` matches where ``CLIP(?<!\wCLIP)`` does
    (the head is made of word characters, so the boundary before it is "no word character before
    it"), and a leading lookahead ``(?!X)`` still looks from the head's start inside a lookbehind
    ``(?<=(?!X)CLIP)``; with a literal or class first, `re` skips in C to the positions it can start
    at. Patterns of any other shape are returned unchanged.
    """
    if not pattern.startswith(r"\b"):
        return pattern
    rest, ahead = pattern[2:], ""
    if rest.startswith("(?!"):
        end = _lookahead_end(rest)
        if end is None:
            return pattern
        ahead, rest = rest[:end], rest[end:]
    m = _ASCII_WORD_HEAD.match(rest)
    if m is None:
        return pattern
    head, tail = m.group(0), rest[m.end():]
    if head.startswith("["):
        if tail.startswith("+"):  # X+ is XX*: the same matches, tried in the same order
            tail = head + "*" + tail[1:]
    elif tail[:1] in ("?", "*", "+", "{"):  # the quantifier binds the last character only
        head, tail = head[:-1], head[-1] + tail
        if not head:
            return pattern
    guard = f"(?<!\\w{head})" + (f"(?<={ahead}{head})" if ahead else "")
    return head + guard + tail


def _normalize(text: str) -> str:
    return _NORMALIZE.sub("", text.lower())


def cue_sequences(phrases) -> list[list[str]]:
    """Trie units of lower-case cue phrases: words joined by ``\\W+``, '*' = any word ending."""
    sequences = []
    for phrase in phrases:
        units: list[str] = []
        for i, word in enumerate(phrase.lower().split()):
            if i:
                units.append(r"\W+")
            star = word.endswith("*")
            units.extend(re.escape(ch) for ch in (word[:-1] if star else word))
            if star:
                units.append(r"\w*")
        sequences.append(units)
    return sequences


def _cue_regex(phrases) -> re.Pattern:
    """Word-bounded, trie-shaped alternation of lower-case cue phrases ('*' = any word ending).

    Applied to lower-cased text, so it is compiled case-sensitively (faster than IGNORECASE). The
    word boundary is checked after each phrase's first character (see trie_regex): the same matches
    as ``\\b(?:...)(?!\\w)``, found faster.
    """
    sequences = cue_sequences(phrases)
    try:
        return re.compile(r"(?:" + trie_regex(sequences, _word_boundary) + r")(?!\w)")
    except ValueError:  # a cue starting with '*': keep the plain form
        return re.compile(r"\b(?:" + trie_regex(sequences) + r")(?!\w)")


def _cue_scan(phrases) -> re.Pattern:
    """The cues of :func:`_cue_regex` behind one consumed character, to search in " " + text.

    A match of ``_cue_regex(phrases)`` at i of a text is one of this pattern at i (before its
    first cue character) of " " + text, and the other way round. Cues starting with a word
    character (all the taxonomy's) make the consumed one a non-word character: the pattern then
    starts with a class, and `re` skips in C to the few positions a cue can follow (the start of
    a word) rather than to every letter a cue starts with.
    """
    sequences = cue_sequences(phrases)
    firsts = {_single_char(units[0]) if units else None for units in sequences}
    word_first = None not in firsts and all(re.match(r"\w", ch) for ch in firsts)
    return re.compile((r"\W" if word_first else r"(?s:.)\b") + "(?:" + trie_regex(sequences) + r")(?!\w)")


def _inside_span(starts: list[int], ends: list[int], s: int, e: int) -> bool:
    """Whether [s, e) lies inside one of the sorted, disjoint spans [starts[k], ends[k])."""
    k = bisect.bisect_right(starts, s) - 1
    return k >= 0 and e <= ends[k]


def _lower(text: str) -> str:
    """Lower-case ``text`` keeping every offset (the few characters that grow are left as they are)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class TextClassifier:
    """Compiled rule-based classifier for one taxonomy version."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        ctx = taxonomy.context
        self.window = int(ctx["window_words"])
        self.kind_weight = {"backbones": float(ctx["backbone_weight"]), "cased": float(ctx["backbone_weight"]),
                            "phrases": float(ctx["phrase_weight"]), "weak": float(ctx["weak_weight"]),
                            "hints": float(ctx["weak_weight"])}
        self.title_weight = float(ctx["title_weight"])
        self.proposal_weight = float(ctx["proposal_weight"])
        self.background_weight = float(ctx["background_weight"])
        self.min_score = float(ctx["min_family_score"])
        # Strong evidence (a named model or family phrase) decides even when only in background
        # ("recent diffusion models ..."): papers of 2025 often name their architecture once.
        self.min_strong_score = float(ctx.get("min_strong_score", self.min_score))
        self.secondary_ratio = float(ctx["secondary_ratio"])
        self.other_confidence = float(ctx["other_confidence"])
        self.family_order = {f: i for i, f in enumerate(FAMILIES)}
        self.calibration = _load_calibration(taxonomy.version)

        # normalised phrase -> (families, kind); the strongest kind wins when a phrase repeats.
        rank = {"backbones": 0, "phrases": 1, "weak": 2, "hints": 3}
        entries: dict[str, tuple[tuple[str, ...], str]] = {}
        sequences = []
        for family, kinds in taxonomy.lexicon.items():
            for kind in ("backbones", "phrases", "weak", "hints"):
                for phrase in kinds[kind]:
                    key = _normalize(phrase)
                    old = entries.get(key)
                    if old is None:
                        entries[key] = ((family,), kind)
                        sequences.append(phrase_units(phrase))
                    else:
                        fams = old[0] if family in old[0] else old[0] + (family,)
                        entries[key] = (fams, min(old[1], kind, key=rank.__getitem__))
        for phrase in taxonomy.stopphrases:
            key = _normalize(phrase)
            if key not in entries:
                sequences.append(phrase_units(phrase))
            entries[key] = ((), "stop")
        self.entries = entries
        # What _mentions needs of a scanned term (its spelling as found: "Transformers", "graph-neural
        # network"), so each spelling is normalised and looked up once per process, not once per hit.
        self._term_info: dict[str, tuple | None] = {}
        trie = trie_regex(sequences)
        self.lexicon_re = re.compile(r"(?<![A-Za-z0-9])(" + trie + ")" + _VERSION_RE + _PLURAL_RE + r"(?![A-Za-z0-9])")
        # The same pattern for the scan, with its boundary consumed instead of looked behind: starting
        # with a character class, `re` skips in C over letters and digits (most of a text) to the few
        # positions a hit can follow. It is searched in " " + text (so a hit can start the text),
        # each search resuming on a hit's last character, so every position the lexicon_re scan
        # tries is tried, in the same order, with the same outcome (see _lexicon_hits).
        self.lexicon_scan_re = re.compile(r"[^A-Za-z0-9](" + trie + ")" + _VERSION_RE + _PLURAL_RE + r"(?![A-Za-z0-9])")
        # Case-sensitive patterns, each guarded by a literal it cannot match without (a cheap
        # substring test skips most patterns for most abstracts).
        # hints_cased: names such as "SE-Net" that suggest a family without naming it.
        self.cased = [(required_literal(pattern), re.compile(skippable(pattern)), family,
                       "hints" if kind == "hints_cased" else "cased")
                      for family, kinds in taxonomy.lexicon.items() for kind in ("cased", "hints_cased")
                      for pattern in kinds.get(kind, ())]
        # One scan for all the guard literals instead of one substring test per pattern. It resumes
        # one character after each match, so every position is tried and reports the longest literal
        # starting there: a literal occurs in the text iff it is a prefix of a reported one. As a trie
        # (longest first, like the list by length it replaces), a position's first character is
        # compared once instead of once per literal: a quarter faster.
        literals = sorted({lit for lit, *_ in self.cased if lit}, key=lambda lit: (-len(lit), lit))
        self.literal_re = (re.compile(trie_regex([re.escape(ch) for ch in lit] for lit in literals))
                           if literals else None)
        self.literal_prefixes = {m: frozenset(lit for lit in literals if m.startswith(lit)) for m in literals}
        self.cased_for_literal = {lit: [i for i, c in enumerate(self.cased) if c[0] == lit] for lit in literals}
        self.cased_always = [i for i, c in enumerate(self.cased) if not c[0]]
        self.component_families = frozenset(ctx["component_families"])
        # per cased pattern: its hit's (families, kind, evidence label, may be a component)
        self.cased_info = [((family,), kind, family, family in self.component_families)
                           for _lit, _pattern, family, kind in self.cased]
        self._weight_text: dict[float, str] = {}

        # The context cues, searched in " " + words (see _cue_scan).
        self.comparison_scan = _cue_scan(ctx["comparison"])
        self.weak_negation_scan = _cue_scan(ctx["weak_negation"])
        self.ownership_scan = _cue_scan(ctx["ownership"])
        self.baseline_after_scan = _cue_scan(ctx["baseline_after"])
        self.proposal_before_scan = _cue_scan(ctx["proposal_before"])
        self.proposal_after_re = re.compile(r"[\s\-]*" + _cue_regex(ctx["proposal_after"]).pattern)
        self.background_scan = _cue_scan(ctx["background"])
        # "such as CNNs": a family named only as an example of something else.
        self.enumeration_scan = _cue_scan(ctx.get("enumeration") or ["such as"])
        self.enumeration_weight = float(ctx.get("enumeration_weight", self.background_weight))
        self.verdict_weight = {"proposal": self.proposal_weight, "background": self.background_weight,
                               "enumeration": self.enumeration_weight}
        self.component_after_re = re.compile(r"[\s\-]*" + _cue_regex(ctx["component_after"]).pattern)
        # Any cue searched in a hit's preceding words: with none in them, _context skips those searches.
        self.window_cue_scan = _cue_scan(sorted({cue for key in ("comparison", "weak_negation", "proposal_before",
                                                                 "background") for cue in ctx[key]}
                                                | set(ctx.get("enumeration") or ["such as"])))
        self.tail_words = max(self.window, 4)
        # Unions searched once where the cues of two kinds are usually both absent: a window without
        # either settles both searches (the 3 and 4 last words are in the window when it has as many).
        enumeration = ctx.get("enumeration") or ["such as"]
        self.negation_scan = _cue_scan(sorted(set(ctx["comparison"]) | set(ctx["weak_negation"]))) \
            if self.window >= 3 else None
        self.example_scan = _cue_scan(sorted(set(enumeration) | set(ctx["background"]))) if self.window >= 4 else None

    def _calibrate(self, raw: float) -> float:
        for low, high, value in self.calibration:
            if low <= raw < high or (raw == high and high == self.calibration[-1][1]):
                return round(min(0.99, value), 3)
        return raw

    # -- matching ---------------------------------------------------------------------------
    def _lexicon_hits(self, low: str):
        """(start, end, lexicon group) of every match of lexicon_re in ``low``, found by lexicon_scan_re."""
        padded = " " + low
        search = self.lexicon_scan_re.search
        m = search(padded)
        while m is not None:
            end = m.end()
            yield m.start(1) - 1, end - 1, m.group(1)
            m = search(padded, end - 1)

    def _literals(self, text: str) -> set[str]:
        """The guard literals of the cased patterns that occur in ``text``."""
        return set(self._literal_starts(text))

    def _literal_starts(self, text: str) -> dict[str, list[int]]:
        """Where each guard literal of the cased patterns occurs in ``text``: {literal: [start, ...]}."""
        found: dict[str, list[int]] = {}
        if self.literal_re is None:
            return found
        search = self.literal_re.search
        prefixes = self.literal_prefixes
        m = search(text)
        while m is not None:
            start = m.start()
            for lit in prefixes[m.group(0)]:
                if lit in found:
                    found[lit].append(start)
                else:
                    found[lit] = [start]
            m = search(text, start + 1)
        return found

    def _term_entry(self, term: str) -> tuple | None:
        """(families, kind, evidence label, may be a component) of a scanned term; ("stop",) or None if none."""
        entry = self.entries.get(_normalize(term))
        if entry is None:  # defensive: every trie path ends on a lexicon key
            info = None
        elif entry[1] == "stop":
            info = ("stop",)
        else:
            info = (entry[0], entry[1], "/".join(entry[0]), not self.component_families.isdisjoint(entry[0]))
        if len(self._term_info) > 200_000:  # spellings are few; this only bounds a pathological corpus
            self._term_info.clear()
        self._term_info[term] = info
        return info

    def _mentions(self, text: str, low: str):
        """(start, end, term, families, kind, label, component) of every lexicon hit, uncased hits first.

        ``label`` is the families as the evidence writes them; ``component`` whether one of them is a
        component family (an "MLP head").
        """
        hits = []
        spans = []
        # _lexicon_hits, inlined: a generator's resumption per hit costs more than the rest of the loop
        padded = " " + low
        search = self.lexicon_scan_re.search
        term_info = self._term_info
        m = search(padded)
        while m is not None:
            end = m.end() - 1
            start = m.start(1) - 1
            term = m.group(1)
            info = term_info[term] if term in term_info else self._term_entry(term)
            if info is not None:
                spans.append((start, end))
                if len(info) > 1:
                    hits.append((start, end, text[start:end]) + info)
            m = search(padded, end)
        present = self._literal_starts(text)
        if not present and not self.cased_always:
            return hits
        # the patterns whose literal occurs, in the taxonomy's order (earlier hits take precedence)
        order = sorted(self.cased_always + [i for lit in present for i in self.cased_for_literal[lit]])
        cased, cased_info = self.cased, self.cased_info
        # The taken spans stay sorted and disjoint (the lexicon scan yields them so, and a cased match
        # is taken only where it overlaps none), so each test below is a bisection or one merge pass:
        # the pairwise tests they replace were quadratic, minutes for a 1 MB abstract of model names.
        starts = [a for a, _ in spans]
        ends = [b for _, b in spans]
        for i in order:
            literal, pattern = cased[i][0], cased[i][1]
            if literal:
                # Every match contains an occurrence of the literal: when each occurrence lies inside
                # a hit already taken ("former" in a lexicon "Transformer"), every match would overlap
                # one and be dropped, so the scan is skipped (half the scans on generated texts, three
                # quarters on real ones).
                n = len(literal)
                if all(_inside_span(starts, ends, q, q + n) for q in present[literal]):
                    continue
            taken = []
            j, n_spans = 0, len(starts)
            for m in pattern.finditer(text):  # in text order, never overlapping each other
                s, e = m.start(), m.end()
                while j < n_spans and ends[j] <= s:
                    j += 1
                if j < n_spans and starts[j] < e:
                    continue
                taken.append((s, e))
                hits.append((s, e, m.group(0)) + cased_info[i])
            if taken:
                merged = list(heapq.merge(zip(starts, ends), taken))
                starts = [a for a, _ in merged]
                ends = [b for _, b in merged]
        return hits

    def _context(self, low: str, starts: list[int], ends: list[int], start: int, end: int) -> str:
        """'negated', 'proposal', 'enumeration', 'background' or 'mention' for the hit at low[start:end].

        ``starts``/``ends`` are the sentence-break spans of the text (a context never crosses one).
        """
        i = bisect.bisect_right(ends, start)      # breaks ending at or before the hit
        sent_start = ends[i - 1] if i else 0
        sent_end = starts[i] if i < len(starts) else len(low)
        pre = low[max(sent_start, start - 160):start]
        tail = pre[-5:]
        if "non" in tail and _NON_BEFORE.match(tail):
            return "negated"
        post = low[end:min(sent_end, end + 80)]
        if "free" in post and _FREE_AFTER.match(post):
            return "negated"
        # A cue found in the first words of post (or in the last words of pre, below) is found in
        # post (pre) too: the words are slices of it, joined by one space where it has a run of
        # white space, which the cues' \W+ and word boundaries see alike. So a search of post (pre)
        # that finds nothing stands for the searches of its words.
        if self.baseline_after_scan.search(" " + post) and \
                self.baseline_after_scan.search(" " + " ".join(post.split(None, 4)[:4])):
            return "negated"
        if self.window_cue_scan.search(" " + pre) is None:
            return "proposal" if self.proposal_after_re.match(post) else "mention"
        words = pre.rsplit(None, self.tail_words)  # the last tail_words words are pre.split()'s
        window = " " + " ".join(words[-self.window:])
        if self.negation_scan is not None and self.negation_scan.search(window) is None:
            pass  # neither a comparison in the window nor a weak negation in its last 3 words
        else:
            verdict = self._negation(window, words)
            if verdict is not None:
                return verdict
        if self.proposal_before_scan.search(window) or self.proposal_after_re.match(post):
            return "proposal"
        if self.example_scan is not None and self.example_scan.search(window) is None:
            return "mention"
        if self.enumeration_scan.search(" " + " ".join(words[-4:])):
            return "enumeration"
        if self.background_scan.search(window):
            return "background"
        return "mention"

    def _negation(self, window: str, words: list[str]) -> str | None:
        """'negated' when the window's last comparison is not followed by an ownership cue, or its
        last 3 words hold a weak negation and no ownership cue; else None."""
        search = self.comparison_scan.search
        comp_end = 0
        m = search(window)
        while m is not None:  # to the last comparison, each search resuming on a cue's last character
            comp_end = m.end()
            m = search(window, comp_end - 1)
        if comp_end and not self.ownership_scan.search(window, comp_end - 1):
            return "negated"
        near = " " + " ".join(words[-3:])
        if self.weak_negation_scan.search(near) and not self.ownership_scan.search(near):
            return "negated"
        return None

    # -- classification ---------------------------------------------------------------------
    def classify(self, title: str | None, abstract: str | None, calibrated: bool = True) -> Classification:
        """Classify one paper from its title and abstract.

        With ``calibrated`` the confidence of a family is the calibration seed's observed accuracy
        for its raw evidence strength (warehouse/seeds/classify_calibration.csv); 'other' keeps
        ``other_confidence``.
        """
        strong: dict[str, float] = {}
        weak: dict[str, float] = {}
        hints: dict[str, float] = {}
        evidence: list[str] = []
        weight_texts = self._weight_text  # a handful of distinct weights: format each once
        kind_weight, verdict_weight = self.kind_weight, self.verdict_weight
        for text, where_weight in ((title or "", self.title_weight), (abstract or "", 1.0)):
            if not text:
                continue
            low = text.lower()
            if len(low) != len(text):
                low = _lower(text)
            hits = self._mentions(text, low)
            if not hits:
                continue
            starts, ends = [], []
            breaks = _SENT_BREAK if "!" in low or "?" in low or ";" in low else _DOT_BREAK
            for brk in breaks.finditer(low):
                starts.append(brk.start())
                ends.append(brk.end())
            seen_weak: set[str] = set()
            for start, end, term, families, kind, label, component in hits:
                if component and kind != "weak" and self.component_after_re.match(low, end):
                    kind = "weak"  # "an MLP head": a part of some other architecture
                if kind in ("weak", "hints"):
                    key = low[start:end]
                    if key in seen_weak:  # a weak cue repeated is still one weak cue
                        continue
                    seen_weak.add(key)
                verdict = self._context(low, starts, ends, start, end)
                if verdict == "negated":
                    evidence.append(f"-{term.strip()}")
                    continue
                weight = kind_weight[kind] * where_weight
                factor = verdict_weight.get(verdict)
                if factor is not None:
                    weight *= factor
                target = weak if kind == "weak" else hints if kind == "hints" else strong
                for family in families:
                    target[family] = target.get(family, 0.0) + weight
                weight_text = weight_texts.get(weight)
                if weight_text is None:
                    weight_text = f"{weight:g}"
                    if weight:  # 0.0 and -0.0 are one key but two texts
                        weight_texts[weight] = weight_text
                evidence.append(f"{term.strip()}:{label}:{weight_text}")
        scores = dict(strong)
        if strong:
            for family, value in weak.items():
                if family in scores:
                    scores[family] += value
            threshold = self.min_strong_score
        else:
            # Hints (what a paper writes instead of naming its architecture) decide only here:
            # added to a named family they would only blur which one the paper is about.
            scores = dict(weak)
            for family, value in hints.items():
                scores[family] = scores.get(family, 0.0) + value
            threshold = self.min_score
        if not scores:
            return Classification("other", ("other",), self.other_confidence, PROVENANCE, tuple(evidence))
        ranked = (sorted(scores.items(), key=lambda kv: (-kv[1], self.family_order[kv[0]])) if len(scores) > 1
                  else list(scores.items()))
        top_family, top = ranked[0]
        if top < threshold:
            return Classification("other", ("other",), self.other_confidence, PROVENANCE, tuple(evidence))
        kept = (top_family,) + tuple(f for f, s in ranked[1:] if s >= self.min_score and s >= self.secondary_ratio * top)
        share = top / sum(scores.values())
        confidence = share * (1.0 - math.exp(-top / 2.5))
        confidence = round(min(0.99, max(0.2, confidence)), 3)
        if calibrated and self.calibration:
            confidence = self._calibrate(confidence)
        return Classification(top_family, kept, confidence, PROVENANCE, tuple(evidence))


CALIBRATION_PATH = Path(__file__).resolve().parents[2] / "warehouse" / "seeds" / "classify_calibration.csv"


def _load_calibration(version: str) -> tuple[tuple[float, float, float], ...]:
    """(raw_low, raw_high, confidence) bins of the calibration seed fitted for this taxonomy version.

    A seed fitted for another version is not used (its raw scores meant something else): the raw
    confidence is reported instead, and ``mlgraph classify --calibrate`` refits it.
    """
    try:
        with open(CALIBRATION_PATH, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        return ()
    return tuple((float(r["raw_low"]), float(r["raw_high"]), float(r["confidence"]))
                 for r in rows if r.get("taxonomy_version") == version)


@functools.lru_cache(maxsize=4)
def _classifier_for(path: str | None) -> TextClassifier:
    return TextClassifier(load_taxonomy_file(path))


def get_classifier(taxonomy_path=None) -> TextClassifier:
    """The compiled classifier for a taxonomy file (the repo's seed by default), cached."""
    return _classifier_for(str(taxonomy_path) if taxonomy_path is not None else None)


@dataclass(frozen=True)
class PaperClassification:
    """Family and domain of one paper read from its text (and categories when given)."""

    primary_family: str
    families: tuple[str, ...]
    confidence: float
    domain: str
    domain_source: str
    provenance: str = PROVENANCE
    evidence: tuple[str, ...] = ()

    def to_record(self, paper_id) -> dict:
        """The JSON-lines output record of ``mlgraph classify``."""
        return {"id": paper_id, "primary_family": self.primary_family, "families": list(self.families),
                "confidence": self.confidence, "domain": self.domain, "domain_source": self.domain_source,
                "provenance": self.provenance}


def classify_text(title: str | None, abstract: str | None, categories=None) -> PaperClassification:
    """Classify one paper (or a short model name such as 'ViT-H/14') into family and domain.

    ``categories`` is the snapshot's space-separated string or a list; the first is the primary.
    """
    from pipeline.classify.domain import get_domain_classifier

    family = get_classifier().classify(title, abstract)
    domain = get_domain_classifier().decide(title, abstract, categories)
    return PaperClassification(family.primary_family, family.families, family.confidence, domain.domain,
                               domain.domain_source, family.provenance, family.evidence)


def classify_texts(titles, abstracts, categories=None) -> dict[str, list]:
    """Columns primary_family, families, confidence, domain, domain_source for parallel lists."""
    from pipeline.classify.domain import get_domain_classifier

    clf, dom = get_classifier(), get_domain_classifier()
    cats = categories if categories is not None else [None] * len(titles)
    out: dict[str, list] = {k: [] for k in ("primary_family", "families", "confidence", "domain", "domain_source")}
    for title, abstract, cat in zip(titles, abstracts, cats):
        family = clf.classify(title, abstract)
        domain = dom.decide(title, abstract, cat)
        out["primary_family"].append(family.primary_family)
        out["families"].append(list(family.families))
        out["confidence"].append(family.confidence)
        out["domain"].append(domain.domain)
        out["domain_source"].append(domain.domain_source)
    return out
