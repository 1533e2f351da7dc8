"""Titles and abstracts for generated papers, written so that a careful reader (human or text
classifier) can tell the paper's own architecture from architectures named only as baselines.

Positive statements name a backbone or an architecture phrase ("built on a ResNet-50 backbone",
"We propose X, a Transformer-based encoder"); deliberate negatives name other families only in
comparisons ("outperforms strong LSTM and CNN baselines", "unlike transformer models"). A planted
fraction of abstracts is ambiguous: no architecture is named at all.
"""

from __future__ import annotations

import random
import re

from pipeline.sample.catalog import DOMAIN_PHRASES, FAMILY_TEXT, METHODS

_PREFIXES = ("Sparse", "Deep", "Fast", "Meta", "Hyper", "Omni", "Flex", "Uni", "Poly", "Multi", "Robust", "Dyna",
             "Lumen", "Astra", "Cosmo", "Nova", "Vega", "Orion", "Helix", "Quanta", "Cross", "Graph", "Aero", "Terra")
_NEUTRAL = ("Lite", "Pro", "Sync", "Align", "X", "Plus", "Core", "Star", "One", "Edge")
_ADJ = ("Efficient", "Scalable", "Robust", "Self-Supervised", "Lightweight", "Interpretable", "Unified",
        "Data-Efficient", "Hierarchical", "Adaptive", "Multi-Scale", "Contrastive")
_PURPOSE = ("capture long-range context", "model local structure", "regularise the latent space",
            "fuse multi-scale features", "encode the input sequence", "generate candidate outputs",
            "improve calibration", "handle distribution shift")
_RESULTS = ("Experiments on {ds} show consistent gains in accuracy and efficiency.",
            "On {ds}, our approach sets a new state of the art.",
            "Extensive experiments on {ds} and two further benchmarks confirm the effectiveness of the design.",
            "Ablations on {ds} show which components matter most.")
_CLOSERS = ("Code and pretrained models are publicly available.", "We release our code.",
            "We also analyse failure cases and discuss limitations.", "")

_POSITIVE = {
    "named": (
        "We propose {X}, a {B}-based {arch} for {task}.",
        "We present {X}, which is built on a {B} backbone and trained end to end for {task}.",
        "Our model, {X}, fine-tunes a pretrained {B} for {task}.",
        "We introduce {X}, an architecture for {task} that uses {B} as its core network.",
    ),
    "generic": (
        "We propose {X}, which uses {G} for {task}.",
        "We present {X}, built on {G}, for {task}.",
    ),
}
_SECONDARY = (
    "{X} further incorporates a {B2} module to {purpose}.",
    "In addition, a {B2} component is used to {purpose}.",
    "We combine it with {G2} to {purpose}.",
)
_NEGATIVE = (
    "On {ds}, {X} outperforms strong {N1} and {N2} baselines.",
    "Unlike {N1} models, {X} does not need task-specific pretraining.",
    "Compared with {N1} approaches, our method is faster and more accurate.",
    "We also compare against {N1} baselines and find clear improvements.",
)
_AMBIGUOUS = (
    "We propose {X}, a new approach for {task} that improves over prior work.",
    "We present {X}, a simple and general framework for {task}.",
    "We revisit {task} and introduce {X}, a training recipe that generalises across settings.",
)


# Training algorithms that say nothing about the network's architecture; never named as a backbone.
_NOT_BACKBONES = frozenset({"PPO"})


def _method_index():
    by_family: dict[str, list[tuple[str, int, frozenset]]] = {}
    for m in METHODS:
        name, _full, family, _cols, (year, _month), *_rest, domains, _found = m
        if name in _NOT_BACKBONES:
            continue
        by_family.setdefault(family, []).append((name, year, frozenset(domains.split())))
    return by_family


_BY_FAMILY = _method_index()


class TextMaker:
    """Deterministic title/abstract writer (one ``random.Random`` stream)."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self._cache: dict[tuple[str, str, int], list[str]] = {}

    def backbones(self, family: str, domain: str, year: int) -> list[str]:
        """Method names of ``family`` usable in ``domain`` by ``year`` (may be empty)."""
        key = (family, domain, year)
        got = self._cache.get(key)
        if got is None:
            rows = _BY_FAMILY.get(family, [])
            got = [n for n, y, ds in rows if y <= year and domain in ds] or [n for n, y, _ in rows if y <= year]
            self._cache[key] = got
        return got

    def model_name(self, family: str, ambiguous: bool) -> str:
        """A made-up model name such as 'SparseFormer' (neutral suffix when ambiguous)."""
        r = self.rnd
        suffix = r.choice(_NEUTRAL) if ambiguous or family not in FAMILY_TEXT else FAMILY_TEXT[family]["suffix"]
        return r.choice(_PREFIXES) + suffix

    def _backbone_phrase(self, family: str, domain: str, year: int) -> tuple[str | None, str]:
        names = self.backbones(family, domain, year)
        if names and self.rnd.random() < 0.8:
            name = self.rnd.choice(names)
            if name == "ResNet":
                name = self.rnd.choice(("ResNet", "ResNet-50", "ResNet-101"))
            return name, FAMILY_TEXT[family]["generic"]
        return None, FAMILY_TEXT[family]["generic"]

    def _negative_name(self, family: str, year: int) -> str:
        names = [n for n, y, _ in _BY_FAMILY.get(family, []) if y <= year and y >= 1990]
        if names and self.rnd.random() < 0.5:
            return self.rnd.choice(names)
        return self.rnd.choice(FAMILY_TEXT[family]["neg"])

    def paper(self, *, domain: str, year: int, primary: str, secondaries: tuple[str, ...], task: str,
              dataset: str, negatives: tuple[str, ...], ambiguous: bool, fixed_title: str | None = None,
              fixed_backbone: str | None = None, fixed_model: str | None = None) -> tuple[str, str, str, list[str]]:
        """(title, abstract, model name, backbones named) for one paper."""
        r = self.rnd
        X = self.model_name(primary, ambiguous)
        if fixed_model:
            X = fixed_model
        task_l = task.lower()
        sentences = [f"{task} remains a central problem in {DOMAIN_PHRASES[domain]}."]
        named: list[str] = []
        if ambiguous:
            sentences.append(r.choice(_AMBIGUOUS).format(X=X, task=task_l))
            title = fixed_title or f"{X}: Towards {r.choice(_ADJ)} {task}"
        else:
            backbone, generic = self._backbone_phrase(primary, domain, year)
            if fixed_model:
                backbone = fixed_backbone  # a landmark names what it builds on, or the generic phrase
            if backbone:
                named.append(backbone)
                sentences.append(r.choice(_POSITIVE["named"]).format(
                    X=X, B=backbone, task=task_l, arch=r.choice(("encoder", "architecture", "model", "network"))))
                title = fixed_title or r.choice((f"{X}: {r.choice(_ADJ)} {backbone}-Based Models for {task}",
                                                 f"{X}: {task} with {backbone}",
                                                 f"{r.choice(_ADJ)} {task} via {backbone}"))
            else:
                sentences.append(r.choice(_POSITIVE["generic"]).format(X=X, G=generic, task=task_l))
                noun = FAMILY_TEXT[primary]["noun"]
                adj = r.choice(_ADJ)
                article = "An" if adj[0] in "AEIOU" else "A"
                plural = noun if noun.endswith("s") else noun + "s"
                title = fixed_title or r.choice((f"{X}: {article} {adj} {noun} for {task}",
                                                 f"{r.choice(_ADJ)} {plural} for {task}"))
            for fam in secondaries:
                b2, g2 = self._backbone_phrase(fam, domain, year)
                if b2:
                    named.append(b2)
                tmpl = r.choice(_SECONDARY) if b2 else _SECONDARY[2]
                sentences.append(tmpl.format(X=X, B2=b2, G2=g2, purpose=r.choice(_PURPOSE)))
        if negatives:
            n1 = self._negative_name(negatives[0], year)
            n2 = self._negative_name(negatives[1], year) if len(negatives) > 1 else self._negative_name(negatives[0], year)
            if n2 == n1:
                n2 = FAMILY_TEXT[negatives[-1]]["neg"][0]
            sentences.append(r.choice(_NEGATIVE).format(X=X, N1=n1, N2=n2, ds=dataset))
        sentences.append(r.choice(_RESULTS).format(ds=dataset))
        closer = r.choice(_CLOSERS)
        if closer:
            sentences.append(closer)
        return title, " ".join(sentences), X, named

    def non_ml(self, base_title: str) -> tuple[str, str]:
        """Title and abstract of a paper outside ML (to be filtered out by the warehouse)."""
        r = self.rnd
        title = f"{base_title}: {r.choice(('New Bounds', 'A Sharp Estimate', 'Revisited', 'Exact Results', 'Numerical Evidence'))}"
        abstract = (f"We study {base_title.lower()}. {r.choice(('We prove', 'We derive', 'We establish'))} "
                    f"{r.choice(('a sharp bound', 'an exact formula', 'a new characterisation'))} under mild "
                    f"assumptions and discuss {r.choice(('applications', 'open problems', 'numerical checks'))}.")
        return title, abstract


_WRAP = re.compile(r"(.{1,78})(?: +|$)")


def wrap(text: str) -> str:
    """Hard-wrap at about 78 characters between words, like the arXiv snapshot's abstracts."""
    if len(text) <= 78:
        return text
    return "\n".join(_WRAP.findall(text)).rstrip("\n")
