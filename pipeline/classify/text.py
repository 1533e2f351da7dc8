"""Rule-based architecture-family classifier for a paper's title and abstract.

It reads like a careful annotator: a family counts only when the paper uses or proposes it.
Mentions in comparisons ("outperforms LSTM baselines", "unlike CNNs", "than RNN-based methods")
are discarded; proposal cues ("we propose", "our", "based on", "-based", "backbone") and title
mentions weigh more; background mentions ("such as", "recent") weigh less; weak cues
("self-attention", "MLP") count only for a family that has other evidence, or when no family has
any. With no evidence the answer is ``other`` with a low confidence, never a guess.

All regular expressions are compiled once per taxonomy; the lexicon is one trie-shaped regex so a
scan costs one pass over the text whatever the lexicon size.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from pipeline.classify.taxonomy import FAMILIES, Taxonomy, load_taxonomy_file

PROVENANCE = "text"
_SEP = "\x00"                       # trie unit standing for "spaces/hyphens or nothing"
_SEP_RE = r"[\s\-]*"
_VERSION_RE = r"(?:[\s\-]?v?\d+(?:\.\d+)*[a-z]?)?"
_PLURAL_RE = r"(?:e?s)?"
_NORMALIZE = re.compile(r"[^a-z0-9+]")
# A sentence break, but not the dot of "e.g.", "i.e.", "vs.", "et al.", "cf.".
_SENT_BREAK = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!vs)(?<! al)(?<!cf)[.!?;]\s")
_FREE_AFTER = re.compile(r"^[\s\-]*free\b", re.IGNORECASE)
_NON_BEFORE = re.compile(r"\bnon[\s\-]*$", re.IGNORECASE)


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


def trie_regex(sequences) -> str:
    """A regex alternation of unit sequences shaped as a trie (longest alternative tried first)."""
    root: dict = {}
    for units in sequences:
        node = root
        for unit in units:
            node = node.setdefault(unit, {})
        node[""] = {}

    def serialize(node: dict) -> str:
        alts = [(_SEP_RE if unit == _SEP else unit) + serialize(child)
                for unit, child in sorted(node.items()) if unit != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return "(?:" + body + ")?" if len(alts) > 1 or len(body) > 1 else body + "?"
        return body

    return serialize(root)


def _normalize(text: str) -> str:
    return _NORMALIZE.sub("", text.lower())


def _cue_regex(phrases) -> re.Pattern:
    """Case-insensitive word-bounded alternation of cue phrases ('*' = any word ending)."""
    alts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        words = phrase.split()
        parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
        alts.append(r"\W+".join(parts))
    return re.compile(r"\b(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


class TextClassifier:
    """Compiled rule-based classifier for one taxonomy version."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        ctx = taxonomy.context
        self.window = int(ctx["window_words"])
        self.kind_weight = {"backbones": float(ctx["backbone_weight"]), "cased": float(ctx["backbone_weight"]),
                            "phrases": float(ctx["phrase_weight"]), "weak": float(ctx["weak_weight"])}
        self.title_weight = float(ctx["title_weight"])
        self.proposal_weight = float(ctx["proposal_weight"])
        self.background_weight = float(ctx["background_weight"])
        self.min_score = float(ctx["min_family_score"])
        self.secondary_ratio = float(ctx["secondary_ratio"])
        self.other_confidence = float(ctx["other_confidence"])
        self.family_order = {f: i for i, f in enumerate(FAMILIES)}

        # normalised phrase -> (families, kind); the strongest kind wins when a phrase repeats.
        rank = {"backbones": 0, "phrases": 1, "weak": 2}
        entries: dict[str, tuple[tuple[str, ...], str]] = {}
        sequences = []
        for family, kinds in taxonomy.lexicon.items():
            for kind in ("backbones", "phrases", "weak"):
                for phrase in kinds[kind]:
                    key = _normalize(phrase)
                    old = entries.get(key)
                    if old is None:
                        entries[key] = ((family,), kind)
                        sequences.append(phrase_units(phrase))
                    else:
                        fams = old[0] if family in old[0] else old[0] + (family,)
                        entries[key] = (fams, min(old[1], kind, key=rank.__getitem__))
        self.entries = entries
        self.lexicon_re = re.compile(
            r"(?<![A-Za-z0-9])(" + trie_regex(sequences) + ")" + _VERSION_RE + _PLURAL_RE + r"(?![A-Za-z0-9])",
            re.IGNORECASE)
        cased = [f"(?P<{family}>{'|'.join(kinds['cased'])})"
                 for family, kinds in taxonomy.lexicon.items() if kinds["cased"]]
        self.cased_re = re.compile("|".join(cased)) if cased else None

        self.comparison_re = _cue_regex(ctx["comparison"])
        self.weak_negation_re = _cue_regex(ctx["weak_negation"])
        self.ownership_re = _cue_regex(ctx["ownership"])
        self.baseline_after_re = _cue_regex(ctx["baseline_after"])
        self.proposal_before_re = _cue_regex(ctx["proposal_before"])
        self.proposal_after_re = re.compile(r"^[\s\-]*" + _cue_regex(ctx["proposal_after"]).pattern,
                                            re.IGNORECASE)
        self.background_re = _cue_regex(ctx["background"])

    # -- matching ---------------------------------------------------------------------------
    def _mentions(self, text: str):
        """(start, end, term, families, kind) of every lexicon hit, uncased hits taking precedence."""
        hits = []
        spans = []
        for m in self.lexicon_re.finditer(text):
            entry = self.entries.get(_normalize(m.group(1)))
            if entry is None:  # a trie path that only the separator rule produced; cannot happen for valid keys
                continue
            hits.append((m.start(), m.end(), m.group(0), entry[0], entry[1]))
            spans.append((m.start(), m.end()))
        if self.cased_re is not None:
            for m in self.cased_re.finditer(text):
                s, e = m.start(), m.end()
                if any(s < b and a < e for a, b in spans):
                    continue
                hits.append((s, e, m.group(0), (m.lastgroup,), "cased"))
        return hits

    def _context(self, text: str, start: int, end: int) -> str:
        """'negated', 'proposal', 'background' or 'mention' for the hit at text[start:end]."""
        pre = text[max(0, start - 240):start]
        last = None
        for last in _SENT_BREAK.finditer(pre):
            pass
        if last is not None:
            pre = pre[last.end():]
        if _NON_BEFORE.search(pre):
            return "negated"
        words = pre.split()
        window = " ".join(words[-self.window:])
        post = text[end:end + 80]
        brk = _SENT_BREAK.search(post)
        if brk is not None:
            post = post[:brk.start()]
        if _FREE_AFTER.match(post):
            return "negated"
        if self.baseline_after_re.search(" ".join(post.split()[:4])):
            return "negated"
        comp = None
        for comp in self.comparison_re.finditer(window):
            pass
        if comp is not None and not self.ownership_re.search(window, comp.end()):
            return "negated"
        near = " ".join(words[-3:])
        if self.weak_negation_re.search(near) and not self.ownership_re.search(near):
            return "negated"
        if self.proposal_before_re.search(window) or self.proposal_after_re.match(post):
            return "proposal"
        if self.background_re.search(window):
            return "background"
        return "mention"

    # -- classification ---------------------------------------------------------------------
    def classify(self, title: str | None, abstract: str | None) -> Classification:
        """Classify one paper from its title and abstract."""
        strong: dict[str, float] = {}
        weak: dict[str, float] = {}
        evidence: list[str] = []
        for text, where_weight in ((title or "", self.title_weight), (abstract or "", 1.0)):
            if not text:
                continue
            for start, end, term, families, kind in self._mentions(text):
                verdict = self._context(text, start, end)
                if verdict == "negated":
                    evidence.append(f"-{term.strip()}")
                    continue
                weight = self.kind_weight[kind] * where_weight
                if verdict == "proposal":
                    weight *= self.proposal_weight
                elif verdict == "background":
                    weight *= self.background_weight
                target = weak if kind == "weak" else strong
                for family in families:
                    target[family] = target.get(family, 0.0) + weight
                evidence.append(f"{term.strip()}:{'/'.join(families)}:{weight:g}")
        scores = dict(strong)
        if strong:
            for family, value in weak.items():
                if family in scores:
                    scores[family] += value
        else:
            scores = weak
        if not scores:
            return Classification("other", ("other",), self.other_confidence, PROVENANCE, tuple(evidence))
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.family_order[kv[0]]))
        top_family, top = ranked[0]
        if top < self.min_score:
            return Classification("other", ("other",), self.other_confidence, PROVENANCE, tuple(evidence))
        kept = tuple(f for f, s in ranked if s >= self.min_score and s >= self.secondary_ratio * top)
        share = top / sum(scores.values())
        confidence = share * (1.0 - math.exp(-top / 2.5))
        confidence = round(min(0.99, max(0.2, confidence)), 3)
        return Classification(top_family, kept, confidence, PROVENANCE, tuple(evidence))


@functools.lru_cache(maxsize=4)
def _classifier_for(path: str | None) -> TextClassifier:
    return TextClassifier(load_taxonomy_file(path))


def get_classifier(taxonomy_path=None) -> TextClassifier:
    """The compiled classifier for a taxonomy file (the repo's seed by default), cached."""
    return _classifier_for(str(taxonomy_path) if taxonomy_path is not None else None)
