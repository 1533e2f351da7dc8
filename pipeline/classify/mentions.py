"""Named models a paper builds on, from its title and abstract, resolved through the alias seed.

A mention counts only when the paper itself builds on, fine-tunes or uses the model. Each hit of
the alias regex is judged from the words of its own sentence:

- excluded when a comparison cue ("outperforms", "than", "compared with", "baselines", "evaluate")
  stands before it in the sentence window with no ownership cue ("we", "our", "proposed") after
  that cue, or when a baseline word follows it ("GPT-4o baselines");
- otherwise the cue right after it decides ("CLIP-based", "SigLIP as the vision encoder",
  "a Llama 3 fine-tuned on"), else the nearest cue before it ("we fine-tune", "built on", "using");
  list words ("such as", "and", ",") are transparent, background cues ("the success of",
  "previous", "recent") stop the search;
- a mention with no cue at all is not kept: naming a model is not building on it.

Alias normalisation (the documented rule; `warehouse/seeds/model_aliases.csv`): aliases are
matched case-insensitively (``match = cased`` aliases such as ``CLIP``, ``SAM``, ``FLUX`` only as
written, since they are also English words); an alias is split into letter runs, digit runs (with
their dots: ``2.5``) and single symbols, and any run of spaces, hyphens and underscores, or
nothing, may stand between two parts, so ``Llama 2``, ``llama2``, ``LLaMA-2`` are one spelling.
Versions are kept (the longest alias wins: ``Qwen2.5-VL`` before ``Qwen2.5`` before ``Qwen``); size
and variant suffixes (``-7B``, ``-70b``, ``8x7B``, ``-chat-hf``, ``-Instruct``, ``-base``,
``-large``, ``/14``) are consumed as part of the mention and ignored for the key. An alias ending
in ``*`` takes any version number (``resnet*`` → ResNet-50, ResNet101; ``yolov*`` → YOLOv8). A hit
followed by another number (``Llama-5``) is an unknown version and is not resolved.
"""

from __future__ import annotations

import bisect
import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.errors import MlgraphError

ALIASES_PATH = Path(__file__).resolve().parents[2] / "warehouse" / "seeds" / "model_aliases.csv"
ALIAS_COLUMNS = ("alias", "match", "model_key", "model_name", "family", "base_model", "foundation_method",
                 "organisation", "release_year")
RELATIONS = ("builds_on", "fine_tunes", "uses")
WINDOW_WORDS = 12
MAX_SPAN = 400

_SEP = r"[\s\-_]*"
_PART = re.compile(r"[a-z]+|\d+(?:\.\d+)*|[^a-z\d\s\-_]", re.IGNORECASE)
_VERSION_TAIL = r"(?:[\s\-_]?v?\d+(?:\.\d+)*[a-z]?)"
_SUFFIX = re.compile(
    r"(?:[\s\-_/]?(?:\d+(?:\.\d+)?[bmkt]|\d+x\d+b|a\d+(?:\.\d+)?b|[bslhg]/\d+|/\d+|chat|instruct|it|hf|base|large|"
    r"small|medium|tiny|mini|nano|xl|xxl|huge|giant|turbo|preview|lite|flash|sonnet|opus|haiku|pro|plus|max|"
    r"distill|uncased|cased|v\d+(?:\.\d+)*)(?![a-z0-9]))*")
_UNKNOWN_VERSION = re.compile(r"[\s\-_.]?\d")
# The punctuation comes first so the regex engine can skip to candidates; the lookbehinds then
# include it ("e.g." etc. are not breaks). Eight times faster than checking them at every position.
_SENT_BREAK = re.compile(r"[.!?;](?<!e\.g[.!?;])(?<!i\.e[.!?;])(?<!vs[.!?;])(?<! al[.!?;])(?<!cf[.!?;])\s")
_WORD = re.compile(r"\S+")
_BOUND_L, _BOUND_R = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])(?!\.\d)"
# Case-sensitive even inside (?i): under case folding [^A-Za-z0-9] would also exclude U+017F and U+212A.
_RE2_NON_ALNUM = "(?-i:[^A-Za-z0-9])"



class AliasTableError(MlgraphError):
    """The model alias seed is malformed."""


def _cues(phrases: str) -> re.Pattern:
    """A word-bounded alternation of ``|``-separated cue phrases ('*' = any word ending, ' ' = any gap)."""
    alts = []
    for phrase in phrases.split("|"):
        words = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in phrase.split()]
        alts.append(r"[\s\-]+".join(words))
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(alts, key=len, reverse=True)) + r")(?![a-z0-9])")


# Cues before a mention, by what they mean. Applied to lower-cased text.
_COMPARISON = _cues(
    "than|compared*|comparing|comparison*|comparable|versus|vs|unlike|outperform*|surpass*|beat|beats|beating|"
    "exceed*|against|rival*|superior to|competitive with|on par with|matches|matching|improve* over|"
    "improve* upon|gain* over|relative to|baseline*|competitor*|evaluat*|benchmark*|assess*|even|"
    "lag* behind|falls short|fall short|instead of|rather than|in contrast to|replac*|alternative to|gap|gaps|"
    "test|tests|tested|testing|represented by|analy*|probing|probe|study|studies|investigat*|audit*")
_OWNERSHIP = _cues("we|our|ours|proposed|this paper|this work|the proposed")
_BACKGROUND = _cues(
    "success of|successes of|inspired by|recent|recently|have shown|has shown|have demonstrated|"
    "has demonstrated|era of|rise of|advent of|advances in|existing|previous|prior|conventional|traditional|"
    "popular|proprietary|closed source|state of the art|sota|such models|survey*|review*|widely used|current|"
    "commonly|typically|often|most|many|mainstream")
_FINE_TUNE = _cues(
    "fine tun*|finetun*|fine tune|instruction tun*|lora|qlora|sft|post train*|further pretrain*|continual* pre train*|"
    "continual* pretrain*|rl tun*|grpo|dpo|ppo|rlhf|distill* into|tune|tunes|tuning|adapt|adapts|adapted|adapting|"
    "adaptation|adaptations")
_BUILDS_ON = _cues(
    "based on|build* on|built on|build* upon|built upon|on top of|atop|initializ* from|initializ* with|"
    "initialis* from|extend*|variant of|version of|backbone*|inherit*|derived from|starting from|start from|"
    "upon|modify|modifies|modified")
_USES = _cues(
    "using|use|uses|used|utiliz*|utilis*|leverag*|employ*|adopt*|via|powered by|driven by|equipped with|"
    "integrat*|incorporat*|prompt*|apply|applies|applied|applying|query*|harness*|exploit*|rely on|relies on|"
    "relying on|through|with|by|from|combin*|plug* into|pair* with|feed*|generated by|annotated by|"
    "labeled by|labelled by|distill*|teacher|train|trains|trained|pretrain*|pre train*")
_WEAK_USES = frozenset({"with", "by", "from", "through", "via"})

# Cues right after a mention (matched at the start of the following text).
_AFTER_BASELINE = re.compile(
    r"[\s\-]*(?:(?:\w+[\s\-]+)?(?:baselines?|counterparts?|competitors?|alternatives?)\b|(?:\w+\s+)?"
    r"(?:achiev|perform|obtain|scor|reach|attain|lead|rank|struggl|fail|lag|trail|excel)\w*)")
_AFTER_BUILDS = re.compile(
    r"[\s\-]*(?:based|backbones?|initiali[sz]ed|as\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:\w+\s+)?"
    r"(?:backbone|base|base\s+model|foundation|starting\s+point|initiali[sz]ation|policy|language\s+model))\b")
_AFTER_BACKGROUND = re.compile(
    r"[\s\-,)]*(?:has|have|had)\s+(?:\w+\s+)?(?:made|shown|achieved|become|emerged|gained|demonstrated|"
    r"revolutioni[sz]ed|transformed|attracted|drawn|enabled|been)\b")
_LIST_MARKER = re.compile(r"(?<![a-z0-9])(?:such as|like|e\.?g\.?|including|for example|for instance)(?![a-z0-9])")
_AFTER_FINE = re.compile(r"[\s\-]*(?:(?!and\b|or\b|with\b)\w+\s+)?(?:(?:is|was|were|are)\s+)?"
                         r"(?:fine[\s\-]?tuned|finetuned|lora|adapted|distilled)\b")
_AFTER_USES = re.compile(
    r"[\s\-]*(?:as\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:\w+\s+)?(?:teacher|judge|encoder|feature\s+extractor|"
    r"annotator|evaluator|planner|agent|reasoner|generator|tokenizer|reward\s+model|verifier|labeler|backend|"
    r"controller|critic|oracle|embedder|vision\s+encoder|text\s+encoder|image\s+encoder|decoder)|"
    r"(?:generated|annotated|labell?ed|encoded|extracted|produced|powered|driven|guided)|"
    r"(?:encoders?|embeddings?|features|representations|tokenizer|image\s+encoder|vision\s+encoder|text\s+encoder|"
    r"visual\s+encoder)\b)")

_CONFIDENCE = {"after:builds_on": 0.9, "after:fine_tunes": 0.9, "after:uses": 0.8,
               "builds_on": 0.85, "fine_tunes": 0.85, "uses": 0.7, "weak": 0.55}


@dataclass(frozen=True)
class ModelInfo:
    """One canonical model of the alias seed."""

    model_key: str
    model_name: str
    family: str
    base_model: str | None
    foundation_method: str | None
    organisation: str | None
    release_year: int | None


@dataclass(frozen=True)
class Mention:
    """One alias hit in a text and the verdict on it (relation None = not kept, with the reason in cue)."""

    model_key: str
    mention_text: str
    start: int
    end: int
    relation: str | None
    cue: str
    confidence: float
    evidence_span: str
    in_title: bool


def _units(alias: str) -> list[str]:
    """Regex units of one alias: its parts, separators between them, and a version tail for '*'."""
    star = alias.endswith("*")
    parts = _PART.findall(alias[:-1] if star else alias)
    if not parts:
        raise AliasTableError(f"model alias {alias!r} has no letters or digits")
    units: list[str] = []
    for i, part in enumerate(parts):
        if i:
            units.append(_SEP)
        units.append(re.escape(part))
    if star:
        units.append(_VERSION_TAIL + "?")
    return units


def _trie(sequences: list[list[str]]) -> str:
    """An alternation of unit sequences shaped as a trie, longer continuations tried first."""
    root: dict = {}
    for units in sequences:
        node = root
        for unit in units:
            node = node.setdefault(unit, {})
        node[""] = {}

    def render(node: dict) -> str:
        # Reverse order puts "2\\.5" before its prefix "2", so the longer version is tried first.
        alts = [unit + render(child) for unit, child in sorted(node.items(), key=lambda kv: kv[0], reverse=True) if unit]
        if not alts:
            return ""
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if "" in node else body

    return render(root)


class MentionExtractor:
    """Compiled alias matcher and relation rules for one alias table."""

    def __init__(self, rows: list[dict]):
        self.models: dict[str, ModelInfo] = {}
        nocase: dict[str, str] = {}
        cased: dict[str, str] = {}
        for n, row in enumerate(rows, start=2):
            missing = [c for c in ("alias", "match", "model_key", "model_name", "family") if not (row.get(c) or "").strip()]
            if missing:
                raise AliasTableError(f"model_aliases.csv line {n}: empty {', '.join(missing)}")
            key = row["model_key"].strip()
            year = (row.get("release_year") or "").strip()
            info = ModelInfo(key, row["model_name"].strip(), row["family"].strip(),
                             (row.get("base_model") or "").strip() or None,
                             (row.get("foundation_method") or "").strip() or None,
                             (row.get("organisation") or "").strip() or None, int(year) if year.isdigit() else None)
            if self.models.setdefault(key, info) != info:
                raise AliasTableError(f"model_aliases.csv line {n}: model {key!r} described differently than before")
            alias, match = row["alias"].strip(), row["match"].strip()
            if match not in ("nocase", "cased"):
                raise AliasTableError(f"model_aliases.csv line {n}: match must be nocase or cased, not {match!r}")
            table = nocase if match == "nocase" else cased
            norm = alias.lower() if match == "nocase" else alias
            if table.setdefault(norm, key) != key:
                raise AliasTableError(f"model_aliases.csv line {n}: alias {alias!r} names both {table[norm]!r} and {key!r}")
        for key, info in self.models.items():
            if info.base_model and info.base_model not in self.models:
                raise AliasTableError(f"model_aliases.csv: base_model {info.base_model!r} of {key!r} is not a model")
        # The regex finds where a known alias starts and ends; which alias it was is read back by
        # normalising the matched text (so the trie need not carry one group per alias).
        self._nocase_keys = {self._norm(a): k for a, k in nocase.items()}
        self._cased_keys = {self._norm(a, lower=False): k for a, k in cased.items()}
        self._star_nocase = {self._norm(a): k for a, k in nocase.items() if a.endswith("*")}
        self._star_cased = {self._norm(a, lower=False): k for a, k in cased.items() if a.endswith("*")}
        bound_l, bound_r = _BOUND_L, _BOUND_R
        self.nocase_re = re.compile(bound_l + "(" + _trie([_units(a) for a in nocase]) + ")" + bound_r) if nocase else None
        self.cased_re = re.compile(bound_l + "(" + _trie([_units(a) for a in cased]) + ")" + bound_r) if cased else None
        # Cheap pre-filter for cased aliases: their first letters.
        self._cased_firsts = {a[0] for a in cased}

    def prefilter_patterns(self) -> tuple[str | None, str | None]:
        """RE2 patterns (nocase, cased) that match every text in which ``hits`` can find an alias.

        A superset, for DuckDB to drop texts before they reach Python: the lookarounds become
        "start/end or a non-alphanumeric", separators any non-alphanumeric, ``\\d`` any Unicode
        digit, and the nocase pattern runs case-insensitively on the original text instead of on
        ``str.lower()``. U+0130 is the one character whose lower case is two characters, so a text
        holding it always passes.
        """
        return (("(?s)(?:\\x{130}|(?i:" + _re2_superset(self.nocase_re.pattern) + "))") if self.nocase_re else None,
                ("(?s)" + _re2_superset(self.cased_re.pattern)) if self.cased_re else None)

    @staticmethod
    def _norm(alias: str, lower: bool = True) -> str:
        text = alias.lower() if lower else alias
        return "".join(_PART.findall(text.rstrip("*")))

    def _key_for(self, matched: str, cased: bool) -> str | None:
        norm = self._norm(matched, lower=not cased)
        keys = self._cased_keys if cased else self._nocase_keys
        if norm in keys:
            return keys[norm]
        stars = self._star_cased if cased else self._star_nocase
        for prefix in sorted((p for p in stars if norm.startswith(p)), key=len, reverse=True):
            return stars[prefix]
        return None

    # -- finding ---------------------------------------------------------------------------------
    def hits(self, text: str) -> list[tuple[int, int, str, int]]:
        """(start, end, model_key, alias_end) of every alias hit, leftmost-longest, no overlaps.

        ``end`` includes the size/variant suffix, ``alias_end`` does not.
        """
        low = text.lower()
        found: list[tuple[int, int, str]] = []
        if self.nocase_re is not None:
            for m in self.nocase_re.finditer(low):
                key = self._key_for(m.group(1), cased=False)
                if key:
                    found.append((m.start(), m.end(), key))
        if self.cased_re is not None and any(c in text for c in self._cased_firsts):
            for m in self.cased_re.finditer(text):
                key = self._key_for(m.group(1), cased=True)
                if key:
                    found.append((m.start(), m.end(), key))
        found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[int, int, str, int]] = []
        last_end = -1
        for start, end, key in found:
            if start < last_end:
                continue
            alias_end = end
            end = _SUFFIX.match(low, end).end()
            if end == alias_end and _UNKNOWN_VERSION.match(low, end):
                continue  # "Llama-5", "GPT-4.7": a version the table does not know (after "-7B-151" it is not one)
            out.append((start, end, key, alias_end))
            last_end = end
        return out

    # -- judging ---------------------------------------------------------------------------------
    def _judge(self, low: str, sent_start: int, sent_end: int, start: int, end: int) -> tuple[str | None, str, float]:
        """(relation or None, cue, confidence) for the hit low[start:end] in its sentence."""
        post = low[end:min(sent_end, end + 80)]
        if _AFTER_BASELINE.match(post):
            return None, "baseline_after", 0.0
        pre_text = low[sent_start:start]
        words = _WORD.findall(pre_text)
        window = " ".join(words[-WINDOW_WORDS:])
        last_comp = None
        for last_comp in _COMPARISON.finditer(window):
            pass
        if last_comp is not None and not _OWNERSHIP.search(window, last_comp.end()):
            return None, "comparison:" + last_comp.group(0), 0.0
        if _AFTER_BACKGROUND.match(post):
            return None, "background_after", 0.0
        others = None
        for others in _BACKGROUND.finditer(window):
            pass
        owned_after_background = others is None or _OWNERSHIP.search(window, others.end()) is not None
        for pattern, relation in ((_AFTER_FINE, "fine_tunes"), (_AFTER_BUILDS, "builds_on"), (_AFTER_USES, "uses")):
            m = pattern.match(post)
            if m:
                if not owned_after_background:  # "recent advances in Gaussian Splatting-based rendering"
                    return None, "background:" + others.group(0), 0.0
                return relation, "after:" + " ".join(m.group(0).split()), _CONFIDENCE["after:" + relation]
        best = None
        for pattern, relation in ((_FINE_TUNE, "fine_tunes"), (_BUILDS_ON, "builds_on"), (_USES, "uses"),
                                  (_BACKGROUND, None)):
            for m in pattern.finditer(window):
                if best is None or m.end() > best[0].end() or (m.end() == best[0].end() and m.start() < best[0].start()):
                    best = (m, relation)
        if best is None:
            return None, "no_cue", 0.0
        m, relation = best
        cue = m.group(0)
        if relation is None:
            return None, "background:" + cue, 0.0
        others = None
        for others in _BACKGROUND.finditer(window, 0, m.start()):
            pass
        if others is not None and not _OWNERSHIP.search(window, others.end()):
            return None, "background:" + others.group(0), 0.0  # "existing methods built on ResNet"
        if cue in _WEAK_USES and _LIST_MARKER.search(window, m.end()):
            return None, "background:" + cue + " ... such as", 0.0  # "with models like SDXL"
        distance = len(_WORD.findall(window[m.end():]))
        base = _CONFIDENCE["weak"] if relation == "uses" and cue in _WEAK_USES else _CONFIDENCE[relation]
        return relation, cue, round(max(0.3, base - 0.03 * max(0, distance - 3)), 3)

    def scan(self, text: str, in_title: bool = False) -> list[Mention]:
        """Every alias hit of one text with its verdict (kept or not)."""
        if not text:
            return []
        found = self.hits(text)
        if not found:
            return []
        low = text.lower()
        breaks = [m.end() for m in _SENT_BREAK.finditer(low)]
        out = []
        for start, end, key, _ in found:
            i = bisect.bisect_right(breaks, start)
            sent_start = breaks[i - 1] if i else 0
            sent_end = breaks[i] if i < len(breaks) else len(low)
            relation, cue, confidence = self._judge(low, sent_start, sent_end, start, end)
            span = " ".join(text[sent_start:sent_end].split())
            if len(span) > MAX_SPAN:  # keep the part of a run-on sentence around the mention
                left = max(sent_start, start - MAX_SPAN // 2)
                span = " ".join(text[left:min(sent_end, left + MAX_SPAN)].split())
            out.append(Mention(key, text[start:end], start, end, relation, cue, confidence, span, in_title))
        return out

    def extract(self, title: str | None, abstract: str | None) -> list[Mention]:
        """The models one paper builds on, fine-tunes or uses: the best kept mention per model."""
        best: dict[str, Mention] = {}
        for text, in_title in ((title or "", True), (abstract or "", False)):
            for m in self.scan(text, in_title):
                if m.relation is None:
                    continue
                old = best.get(m.model_key)
                if old is None or m.confidence > old.confidence:
                    best[m.model_key] = m
        return sorted(best.values(), key=lambda m: (not m.in_title, m.start))

    def model_of(self, name: str | None) -> str | None:
        """The model key a bare model name (a leaderboard row's model_name) resolves to, if any."""
        found = self.hits(name or "")
        if not found:
            return None
        # The first hit, unless the next one follows it directly and derives from it:
        # "meta-llama-Llama-2-7b-chat-hf" is llama-2, not llama; "CLIP ViT-L/14" stays clip.
        _, best_end, best, _ = found[0]
        for start, end, key, _ in found[1:]:
            if name[best_end:start].strip(" -_/") or best not in self.ancestors(key)[1:]:
                break
            best_end, best = end, key
        return best

    def ancestors(self, key: str) -> list[str]:
        """The model and its base-model chain, nearest first (a cycle in the seed stops the walk)."""
        chain = []
        while key and key not in chain and key in self.models:
            chain.append(key)
            key = self.models[key].base_model
        return chain


def _re2_superset(pattern: str) -> str:
    """An RE2 pattern matching wherever the alias regex ``pattern`` can match (see prefilter_patterns)."""
    if not (pattern.startswith(_BOUND_L) and pattern.endswith(_BOUND_R)):
        raise MlgraphError("alias regex lost its boundaries; the RE2 prefilter would not be a superset")
    body = pattern[len(_BOUND_L):-len(_BOUND_R)].replace(r"[\s\-_]", _RE2_NON_ALNUM).replace(r"\d", r"\p{Nd}")
    if "(?<" in body or "(?=" in body or "(?!" in body or "\\s" in body:
        raise MlgraphError("alias regex has a construct the RE2 prefilter does not translate")
    return f"(?:^|{_RE2_NON_ALNUM})" + body + f"(?:$|{_RE2_NON_ALNUM})"


def read_alias_rows(path: Path | str | None = None) -> list[dict]:
    """Rows of the alias seed as dicts; a clear error when the file or a column is missing."""
    path = Path(path) if path is not None else ALIASES_PATH
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ALIAS_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise AliasTableError(f"{path}: missing column(s) {', '.join(missing)}")
            return list(reader)
    except FileNotFoundError:
        raise AliasTableError(f"model alias seed not found: {path}") from None


@functools.lru_cache(maxsize=4)
def _extractor_for(path: str | None) -> MentionExtractor:
    return MentionExtractor(read_alias_rows(path))


def get_extractor(path=None) -> MentionExtractor:
    """The compiled extractor for an alias seed (the repo's seed by default), cached."""
    return _extractor_for(str(path) if path is not None else None)


def extract_mentions(title: str | None, abstract: str | None) -> list[Mention]:
    """The models one paper builds on (pure function over its text; the repo's alias seed)."""
    return get_extractor().extract(title, abstract)


MENTIONS_SCHEMA = pa.schema([
    ("paper_id", pa.string()),
    ("model_key", pa.string()),
    ("mention_text", pa.string()),
    ("evidence_span", pa.string()),
    ("relation", pa.string()),
    ("cue", pa.string()),
    ("confidence", pa.float64()),
    ("in_title", pa.bool_()),
])


def extract_batch(batch: pa.RecordBatch, extractor: MentionExtractor | None = None) -> pa.RecordBatch:
    """Mentions of one Arrow batch of (paper_id, title, abstract), one row per (paper, model)."""
    extractor = extractor or get_extractor()
    cols: dict[str, list] = {f.name: [] for f in MENTIONS_SCHEMA}
    ids = batch.column(0).to_pylist()
    titles = batch.column(1).to_pylist()
    abstracts = batch.column(2).to_pylist()
    for pid, title, abstract in zip(ids, titles, abstracts):
        for m in extractor.extract(title, abstract):
            cols["paper_id"].append(pid)
            cols["model_key"].append(m.model_key)
            cols["mention_text"].append(m.mention_text)
            cols["evidence_span"].append(m.evidence_span)
            cols["relation"].append(m.relation)
            cols["cue"].append(m.cue)
            cols["confidence"].append(m.confidence)
            cols["in_title"].append(m.in_title)
    return pa.record_batch([pa.array(cols[f.name], f.type) for f in MENTIONS_SCHEMA], schema=MENTIONS_SCHEMA)


__all__ = ["Mention", "MentionExtractor", "ModelInfo", "AliasTableError", "extract_mentions", "extract_batch",
           "get_extractor", "read_alias_rows", "MENTIONS_SCHEMA", "RELATIONS"]
