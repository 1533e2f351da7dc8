"""Research domain of a paper: from its arXiv primary category, else from cue phrases in its text.

The category mapping is the warehouse's own seed (``warehouse/seeds/domains.csv``, the same rows
``int_paper_domains.sql`` joins); the text cues are versioned in ``warehouse/seeds/taxonomy.toml``
under ``[domain_cues]``. One compiled alternation (a named group per domain) scans the lower-cased
title and abstract once; a cue counts at most ``max_repeats`` times, a title cue ``title_weight`` times. The best
domain must reach ``min_score`` and lead the runner-up by ``min_lead``; otherwise the text names no
domain and the paper stays ``general_ml``.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.classify.taxonomy import DEFAULT_PATH, load_taxonomy_file
from pipeline.classify.text import trie_regex
from pipeline.errors import ConfigError

DOMAINS: tuple[str, ...] = ("nlp", "vision", "speech_audio", "graphs", "rl_robotics", "time_series",
                            "tabular_classic", "bio_medicine", "general_ml")
GENERAL = "general_ml"
SEED_PATH = DEFAULT_PATH.parent / "domains.csv"
# domain_source values, shared with warehouse/intermediate/int_paper_domains.sql
SOURCE_CATEGORY = "arxiv_primary_category"
SOURCE_TEXT = "text"
SOURCE_DEFAULT = "default_general_ml"
SOURCE_CROSS_LIST = "arxiv_cross_list_text"


@dataclass(frozen=True)
class DomainVerdict:
    """The domain of one paper and the rule that decided it."""

    domain: str
    domain_source: str
    text_domain: str | None = None   # what the text alone says (None: no domain cue decided)
    text_score: float = 0.0


@functools.lru_cache(maxsize=4)
def category_map(path: str | None = None) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """(exact arXiv category -> domain, (prefix, domain) pairs) from the domains seed."""
    exact: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    seed = Path(path) if path else SEED_PATH
    try:
        with open(seed, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["source"] == "arxiv_category":
                    exact[row["key"]] = row["domain"]
                elif row["source"] == "arxiv_category_prefix":
                    prefixes.append((row["key"], row["domain"]))
    except FileNotFoundError:
        raise ConfigError(f"domain seed not found: {seed}") from None
    return exact, tuple(prefixes)


def split_categories(categories) -> list[str]:
    """Categories as a list, from a space-separated string (the snapshot's form) or a sequence."""
    if categories is None:
        return []
    if isinstance(categories, str):
        return categories.split()
    return [c for c in categories if isinstance(c, str) and c]


def category_domain(category: str | None) -> str:
    """The seed's domain of one arXiv category (general_ml when it has none)."""
    if not category:
        return GENERAL
    exact, prefixes = category_map()
    if category in exact:
        return exact[category]
    for prefix, domain in prefixes:
        if category.startswith(prefix):
            return domain
    return GENERAL


class DomainClassifier:
    """Compiled domain cue rules of one taxonomy version."""

    def __init__(self, spec: dict):
        if not isinstance(spec, dict):
            raise ConfigError("taxonomy: [domain_cues] must be a table")
        self.min_score = float(spec.get("min_score", 2.0))
        self.min_lead = float(spec.get("min_lead", 1.0))
        self.title_weight = float(spec.get("title_weight", 2.0))
        self.max_repeats = int(spec.get("max_repeats", 3))
        # Domains whose papers are mostly filed under another primary category (speech under cs.CL):
        # a cross-listed category of the domain that the text also names decides the domain.
        self.cross_list_domains = frozenset(spec.get("cross_list_domains", []))
        if not self.cross_list_domains <= set(DOMAINS) - {GENERAL}:
            raise ConfigError(f"taxonomy: domain_cues.cross_list_domains has unknown domains "
                              f"{sorted(self.cross_list_domains - set(DOMAINS))}")
        parts = []
        every_sequence = []
        for domain in DOMAINS:
            cues = spec.get(domain, [])
            if domain == GENERAL or not cues:
                continue
            if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
                raise ConfigError(f"taxonomy: domain_cues.{domain} must be a list of non-empty strings")
            sequences = []
            for phrase in cues:
                units: list[str] = []
                for i, word in enumerate(phrase.lower().split()):
                    if i:
                        units.append(r"[\s\-]+")
                    star = word.endswith("*")
                    units.extend(re.escape(ch) for ch in (word[:-1] if star else word))
                    if star:
                        units.append(r"\w*")
                sequences.append(units)
            every_sequence.extend(sequences)
            parts.append(f"(?P<{domain}>{trie_regex(sequences)})")
        unknown = set(spec) - set(DOMAINS) - {"min_score", "min_lead", "title_weight", "max_repeats", "cross_list_domains"}
        if unknown:
            raise ConfigError(f"taxonomy: domain_cues has unknown keys {sorted(unknown)}")
        self.pattern = re.compile(r"\b(?:" + "|".join(parts) + r")(?!\w)") if parts else None
        # The same cues behind a consumed non-word character instead of \b: starting with a class,
        # `re` skips in C over the word characters (most of a text) to the few positions a cue can
        # follow. Only when every cue starts with a word character (then \b means what \W does).
        word_first = all(re.match(r"\w", cue.lower()) for domain in DOMAINS for cue in spec.get(domain, []))
        self.scan_pattern = re.compile(r"\W(?:" + "|".join(parts) + r")(?!\w)") if parts and word_first else None
        # The union of every domain's cues as one trie without groups: it matches at the same
        # positions as scan_pattern (the same strings, only tried in another order), but each
        # candidate position costs one walk of one trie instead of entering the group of every
        # domain in turn. It finds where the next cue is; scan_pattern.match there says which.
        self.find_pattern = (re.compile(r"\W(?:" + trie_regex(every_sequence) + r")(?!\w)")
                             if self.scan_pattern is not None else None)

    def scores(self, title: str | None, abstract: str | None) -> dict[str, float]:
        """Cue score per domain (distinct cues; title cues weighted)."""
        out: dict[str, float] = {}
        if self.pattern is None:
            return out
        seen: dict[str, int] = {}
        for text, weight in ((title, self.title_weight), (abstract, 1.0)):
            if not text:
                continue
            for key, domain in self.cues(text.lower()):
                n = seen.get(key, 0)
                if n >= self.max_repeats:   # one word said ten times is not ten cues
                    continue
                seen[key] = n + 1
                out[domain] = out.get(domain, 0.0) + weight
        return out

    def cues(self, low: str):
        """(cue, domain) of every match of ``pattern`` in the lower-cased ``low``, in order."""
        if self.scan_pattern is None:
            for m in self.pattern.finditer(low):
                yield m.group(0), m.lastgroup
            return
        # Searched in " " + low (so a cue can start the text), each search resuming on a cue's last
        # character: every position finditer tries is tried, with the same outcome.
        padded = " " + low
        find, match = self.find_pattern.search, self.scan_pattern.match
        f = find(padded)
        while f is not None:
            m = match(padded, f.start())
            end = m.end()
            yield padded[m.start() + 1:end], m.lastgroup
            f = find(padded, end - 1)

    def text_domain(self, title: str | None, abstract: str | None) -> tuple[str | None, float]:
        """(domain, score) that the text names, or (None, best score) when no domain clearly leads."""
        scores = self.scores(title, abstract)
        if not scores:
            return None, 0.0
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], DOMAINS.index(kv[0])))
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top < self.min_score or top - second < self.min_lead:
            return None, top
        return best, top

    def cross_listed(self, categories) -> frozenset[str]:
        """Cross-list domains of the secondary categories that could override the primary category's."""
        cats = split_categories(categories)
        if not cats or not self.cross_list_domains:
            return frozenset()
        primary = category_domain(cats[0])
        return frozenset(category_domain(c) for c in cats[1:]) & self.cross_list_domains - {primary}

    def decide(self, title: str | None, abstract: str | None, categories=None) -> DomainVerdict:
        """The domain: a cross-listed domain the text names; a specific primary category; the text; general_ml."""
        cats = split_categories(categories)
        from_category = category_domain(cats[0]) if cats else GENERAL
        listed = self.cross_listed(cats)
        if listed:
            text, score = self.text_domain(title, abstract)
            if text in listed:
                return DomainVerdict(text, SOURCE_CROSS_LIST, text, score)
        if from_category != GENERAL:
            return DomainVerdict(from_category, SOURCE_CATEGORY)
        text, score = self.text_domain(title, abstract)
        if text is not None:
            return DomainVerdict(text, SOURCE_TEXT, text, score)
        return DomainVerdict(GENERAL, SOURCE_DEFAULT, None, score)


@functools.lru_cache(maxsize=4)
def _domain_classifier_for(path: str | None) -> DomainClassifier:
    taxonomy = load_taxonomy_file(path)
    return DomainClassifier(taxonomy.domain_cues)


def get_domain_classifier(taxonomy_path=None) -> DomainClassifier:
    """The compiled domain rules of a taxonomy file (the repo's seed by default), cached."""
    return _domain_classifier_for(str(taxonomy_path) if taxonomy_path is not None else None)
