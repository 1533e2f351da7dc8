"""The classifier on a real arXiv corpus: gold-set accuracy, coverage, domain agreement, reliability.

The corpus is read in place (a Kaggle-snapshot JSON-lines file, gzipped or not, e.g. the shared
2025 cs listings) and streamed; the gold set (``tests/data/gold_2025.csv``) holds only arXiv ids
and the labels a person gave after reading each abstract, never the text.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.errors import MlgraphError

REPO = Path(__file__).resolve().parents[2]
GOLD_PATH = REPO / "tests" / "data" / "gold_2025.csv"
DEFAULT_CORPUS = (REPO.parent / "shared" / "data" / "real-scale" / "arxiv-cs-2025"
                  / "arxiv-metadata-oai-snapshot.cs-2025.jsonl.gz")
# The warehouse's ML selection rule (warehouse/intermediate/int_papers.sql), on categories alone.
ML_CATEGORIES = frozenset({"cs.LG", "stat.ML", "cs.CL", "cs.CV", "cs.AI", "cs.NE", "cs.IR", "cs.RO", "cs.SD",
                           "eess.AS", "eess.IV", "eess.SP"})
# The gold set's sampling groups by primary category (3 papers per group and month, the rest is "other"):
# its shares are weighted back to the corpus' mix of these groups.
GOLD_GROUPS = ("cs.CV", "cs.CL", "cs.AI", "cs.LG")
GOLD_BOOTSTRAP_B = 2000
# Categories whose domain is a free label for checking the text-domain rules.
FREE_LABEL_CATEGORIES = ("cs.CV", "cs.CL", "cs.RO", "eess.AS", "cs.SD")
_PATTERN_WORD = re.compile(r"[a-z][a-z\-]+")
_PATTERN_STOP = frozenset("a an the of for and in on with to via from by towards toward using is are at as its "
                          "into over under based".split())


class CorpusError(MlgraphError):
    """The real corpus or the gold set is missing or malformed."""


def is_ml(categories: list[str]) -> bool:
    """The warehouse's ML rule applied to a category list."""
    cats = set(categories)
    if cats & ML_CATEGORIES:
        return True
    if "cs.SI" in cats and "cs.LG" in cats:
        return True
    return any(c.startswith("q-bio.") for c in cats) and bool(cats & {"cs.LG", "stat.ML"})


def iter_corpus(path: Path):
    """Yield (arxiv_id, title, abstract, categories list, month 'YYYY-MM') from a snapshot file."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"corpus not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}: line {lineno}: invalid JSON ({exc.msg})") from None
            cats = (rec.get("categories") or "").split()
            date = rec.get("update_date") or ""
            yield rec.get("id"), rec.get("title"), rec.get("abstract"), cats, date[:7]


def load_gold(path: Path = GOLD_PATH) -> dict[str, tuple[str, str]]:
    """arxiv id -> (primary family, domain) from the gold CSV."""
    from pipeline.classify.domain import DOMAINS
    from pipeline.classify.taxonomy import FAMILIES

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise CorpusError(f"gold set not found: {path}") from None
    gold = {}
    for i, row in enumerate(rows, start=2):
        if row.get("primary_family") not in FAMILIES or row.get("domain") not in DOMAINS:
            raise CorpusError(f"{path}: line {i}: unknown family or domain {row}")
        gold[row["arxiv_id"]] = (row["primary_family"], row["domain"])
    return gold


@dataclass
class ReliabilityBin:
    """One bin of the reliability diagram."""

    low: float
    high: float
    n: int
    mean_confidence: float | None
    accuracy: float | None


@dataclass
class RealReport:
    """Everything ``mlgraph classify --evaluate`` measures on a real corpus."""

    corpus: str
    papers: int
    ml_papers: int
    unclassified_share: float
    coverage_by_domain: dict = field(default_factory=dict)      # domain -> {papers, unclassified_share}
    coverage_by_month: dict = field(default_factory=dict)       # YYYY-MM -> {papers, unclassified_share}
    domain_shares: dict = field(default_factory=dict)           # domain -> share of ML papers
    domain_sources: dict = field(default_factory=dict)          # domain_source -> papers
    category_domain_shares: dict = field(default_factory=dict)  # domain -> share of ML papers listing one of its categories
    text_domain_agreement: dict = field(default_factory=dict)   # category -> {papers, named, agree, agree_when_named}
    unclassified_title_patterns: list = field(default_factory=list)
    gold: dict = field(default_factory=dict)
    reliability: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def reliability_bins(pairs, edges=(0.0, 0.15, 0.4, 0.55, 0.7, 0.85, 1.0001)) -> list[ReliabilityBin]:
    """Predicted confidence vs observed accuracy in fixed bins for (confidence, correct) pairs."""
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = [(c, ok) for c, ok in pairs if lo <= c < hi]
        n = len(sel)
        out.append(ReliabilityBin(round(lo, 3), round(min(hi, 1.0), 3), n,
                                  round(sum(c for c, _ in sel) / n, 3) if n else None,
                                  round(sum(ok for _, ok in sel) / n, 3) if n else None))
    return out


def _title_pattern(title: str) -> str:
    """A title reduced to a pattern: its first two content words, lower-cased ('gaussian splatting')."""
    words = [w for w in _PATTERN_WORD.findall((title or "").lower()) if w not in _PATTERN_STOP]
    return " ".join(words[:2])


def evaluate_corpus(path: Path = DEFAULT_CORPUS, gold_path: Path | None = GOLD_PATH) -> RealReport:
    """Classify every ML paper of the corpus and measure coverage, domain agreement and the gold set."""
    from pipeline.classify.domain import DOMAINS, GENERAL, category_domain, get_domain_classifier
    from pipeline.classify.text import get_classifier

    clf, dom = get_classifier(), get_domain_classifier()
    gold = load_gold(gold_path) if gold_path is not None else {}  # a gold file named but missing is an error
    papers = ml = unclassified = 0
    by_domain: dict[str, Counter] = defaultdict(Counter)
    by_month: dict[str, Counter] = defaultdict(Counter)
    domains: Counter = Counter()
    sources: Counter = Counter()
    listed: Counter = Counter()
    agreement: dict[str, Counter] = defaultdict(Counter)
    patterns: Counter = Counter()
    groups: Counter = Counter()
    gold_rows = []
    for arxiv_id, title, abstract, cats, month in iter_corpus(path):
        papers += 1
        if not is_ml(cats):
            continue
        ml += 1
        family = clf.classify(title, abstract)
        verdict = dom.decide(title, abstract, cats)
        none = family.primary_family == "other"
        unclassified += none
        by_domain[verdict.domain]["papers"] += 1
        by_domain[verdict.domain]["unclassified"] += none
        by_month[month]["papers"] += 1
        by_month[month]["unclassified"] += none
        domains[verdict.domain] += 1
        sources[verdict.domain_source] += 1
        for d in {category_domain(c) for c in cats} - {GENERAL}:
            listed[d] += 1
        if none:
            patterns[_title_pattern(title)] += 1
        primary = cats[0] if cats else None
        groups[_gold_group(primary)] += 1
        if primary in FREE_LABEL_CATEGORIES:
            text, _ = dom.text_domain(title, abstract)
            agreement[primary]["papers"] += 1
            agreement[primary]["named"] += text is not None
            agreement[primary]["agree"] += text == category_domain(primary)
        if arxiv_id in gold:
            gold_rows.append((arxiv_id, gold[arxiv_id], family, verdict, _gold_group(primary)))
    if not ml:
        raise CorpusError(f"{path}: no ML papers")

    def cov(counter: dict[str, Counter]) -> dict:
        return {k: {"papers": v["papers"], "unclassified_share": round(v["unclassified"] / v["papers"], 4)}
                for k, v in sorted(counter.items())}

    report = RealReport(
        corpus=str(path), papers=papers, ml_papers=ml, unclassified_share=round(unclassified / ml, 4),
        coverage_by_domain=cov(by_domain), coverage_by_month=cov(by_month),
        domain_shares={d: round(domains[d] / ml, 4) for d in DOMAINS},
        domain_sources=dict(sources.most_common()),
        category_domain_shares={d: round(listed[d] / ml, 4) for d in DOMAINS if d != GENERAL},
        text_domain_agreement={c: {"papers": a["papers"], "named": a["named"],
                                   "agree": round(a["agree"] / a["papers"], 4) if a["papers"] else None,
                                   "agree_when_named": round(a["agree"] / a["named"], 4) if a["named"] else None}
                               for c, a in sorted(agreement.items())},
        unclassified_title_patterns=[[p, n] for p, n in patterns.most_common(20)],
    )
    if gold_rows:
        fam_ok = [fam.primary_family == g[0] for _, g, fam, _, _ in gold_rows]
        dom_ok = [v.domain == g[1] for _, g, _, v, _ in gold_rows]
        labelled = [(g, fam) for _, g, fam, _, _ in gold_rows if g[0] != "other"]
        report.gold = {
            "papers": len(gold_rows), "missing_from_corpus": len(gold) - len(gold_rows),
            "family_accuracy": round(sum(fam_ok) / len(fam_ok), 4),
            "domain_accuracy": round(sum(dom_ok) / len(dom_ok), 4),
            "with_family": len(labelled),
            "with_family_predicted_other": sum(f.primary_family == "other" for _, f in labelled),
            "gold_other_predicted_family": sum(fam.primary_family != "other" for _, g, fam, _, _ in gold_rows
                                               if g[0] == "other"),
            "no_architecture_weighted": no_architecture_share(
                groups, [(grp, g[0] == "other") for _, g, _, _, grp in gold_rows]),
        }
        report.reliability = [asdict(b) for b in reliability_bins(
            [(fam.confidence, fam.primary_family == g[0]) for _, g, fam, _, _ in gold_rows])]
    return report


def _gold_group(primary: str | None) -> str:
    return primary if primary in GOLD_GROUPS else "other"


def no_architecture_share(corpus_groups: Counter, gold: list[tuple[str, bool]], b: int = GOLD_BOOTSTRAP_B) -> dict:
    """Share of the corpus' ML papers that name no architecture, estimated from the gold labels.

    The gold set samples its groups equally, so each group's share of gold papers labelled 'other'
    is weighted by the group's share of the corpus (groups without a gold paper are left out and
    the weights renormalised); the interval is a percentile bootstrap resampling the gold papers
    within each group (fixed seed).
    """
    import numpy as np

    from pipeline.indicators import stats

    by_group: dict[str, list[bool]] = defaultdict(list)
    for group, none in gold:
        by_group[group].append(none)
    present = sorted(g for g in by_group if corpus_groups.get(g))
    if not present:
        return {}
    total = sum(corpus_groups[g] for g in present)
    weights = np.array([corpus_groups[g] / total for g in present])
    shares = np.array([np.mean(by_group[g]) for g in present])
    rng = stats.rng_for("gold_no_architecture")
    reps = np.zeros(b)
    for w, g in zip(weights, present):
        labels = np.array(by_group[g], dtype=float)
        reps += w * rng.choice(labels, size=(b, labels.size)).mean(axis=1)
    lo, hi = stats.percentile_ci(reps)
    return {"estimate": round(float(weights @ shares), 4), "ci_low": round(float(lo), 4), "ci_high": round(float(hi), 4),
            "by_group": {g: {"ml_papers": corpus_groups[g], "gold": len(by_group[g]),
                             "gold_no_architecture": int(sum(by_group[g]))} for g in present}}


def format_real_report(r: RealReport) -> str:
    """The real-corpus report as text."""
    lines = [f"real corpus: {r.corpus}", f"papers: {r.papers}, ML papers: {r.ml_papers}, "
             f"unclassified (no family): {r.unclassified_share:.1%}", "", "coverage by domain (primary):"]
    for d, v in r.coverage_by_domain.items():
        listed = r.category_domain_shares.get(d)
        # general_ml has no categories of its own: it is what the others leave
        listed = f"papers listing its categories: {listed:.1%}" if listed is not None else "no categories of its own"
        lines.append(f"  {d:<16}{v['papers']:>7}  share {r.domain_shares.get(d, 0):6.1%}  unclassified "
                     f"{v['unclassified_share']:6.1%}  ({listed})")
    lines.append("coverage by month:")
    for m, v in r.coverage_by_month.items():
        lines.append(f"  {m:<8}{v['papers']:>7}  unclassified {v['unclassified_share']:6.1%}")
    lines.append("domain decided by: " + ", ".join(f"{k} {v}" for k, v in r.domain_sources.items()))
    lines.append("text domain vs category domain (free labels):")
    for c, a in r.text_domain_agreement.items():
        lines.append(f"  {c:<8}{a['papers']:>7}  text names a domain {a['named']:>6}  agree {a['agree']:.1%}"
                     f"  agree when named {a['agree_when_named'] if a['agree_when_named'] is None else format(a['agree_when_named'], '.1%')}")
    lines.append("most frequent unclassified title patterns:")
    lines.append("  " + "; ".join(f"{p or '(empty)'} {n}" for p, n in r.unclassified_title_patterns))
    if r.gold:
        g = r.gold
        lines += ["", f"gold set ({g['papers']} real 2025 abstracts labelled by reading): family accuracy "
                      f"{g['family_accuracy']:.1%}, domain accuracy {g['domain_accuracy']:.1%}; "
                      f"{g['with_family_predicted_other']} of {g['with_family']} papers with a family got none, "
                      f"{g['gold_other_predicted_family']} without one got a family"]
        na = g.get("no_architecture_weighted")
        if na:
            lines.append(f"papers naming no architecture, the gold set weighted to the corpus' primary categories: "
                         f"{na['estimate']:.1%} [{na['ci_low']:.1%}, {na['ci_high']:.1%}] (unclassified here: "
                         f"{r.unclassified_share:.1%})")
        lines.append("reliability (confidence bin: n, mean confidence, observed accuracy):")
        for b in r.reliability:
            lines.append(f"  [{b['low']:.2f}, {b['high']:.2f})  n={b['n']:>4}  conf "
                         f"{'-' if b['mean_confidence'] is None else format(b['mean_confidence'], '.2f')}  acc "
                         f"{'-' if b['accuracy'] is None else format(b['accuracy'], '.2f')}")
    return "\n".join(lines)


CALIBRATION_PATH = REPO / "warehouse" / "seeds" / "classify_calibration.csv"
CALIBRATION_EDGES = (0.2, 0.4, 0.55, 0.7, 0.85, 1.0)


def isotonic_bins(pairs, edges=CALIBRATION_EDGES) -> list[dict]:
    """Observed accuracy per raw-confidence bin, made non-decreasing by pooling adjacent violators.

    ``pairs`` are (raw confidence, correct) for papers given a family. An empty bin borrows its
    neighbours' pooled value; each bin keeps its own n.
    """
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        last = hi == edges[-1]
        sel = [ok for c, ok in pairs if lo <= c < hi or (last and c == hi)]
        bins.append({"raw_low": lo, "raw_high": hi, "n": len(sel), "correct": sum(sel)})
    # pool adjacent violators over the non-empty bins (weights = n)
    blocks = [[b["correct"], b["n"], [i]] for i, b in enumerate(bins) if b["n"]]
    merged: list = []
    for blk in blocks:
        merged.append(blk)
        while len(merged) > 1 and merged[-2][0] / merged[-2][1] > merged[-1][0] / merged[-1][1]:
            c, n, idx = merged.pop()
            merged[-1][0] += c
            merged[-1][1] += n
            merged[-1][2] += idx
    value = {}
    for c, n, idx in merged:
        for i in idx:
            value[i] = c / n
    known = sorted(value)
    for i, b in enumerate(bins):
        if i not in value:   # empty bin: nearest non-empty bin's value
            nearest = min(known, key=lambda k: (abs(k - i), k)) if known else None
            value[i] = value[nearest] if nearest is not None else (b["raw_low"] + b["raw_high"]) / 2
        b["confidence"] = round(value[i], 3)
    return bins


def gold_pairs(corpus: Path = DEFAULT_CORPUS, gold_path: Path = GOLD_PATH):
    """(arxiv id, raw confidence, correct) of the gold papers the classifier gives a family."""
    from pipeline.classify.text import get_classifier

    clf = get_classifier()
    gold = load_gold(gold_path)
    out = []
    for arxiv_id, title, abstract, _, _ in iter_corpus(corpus):
        if arxiv_id in gold:
            verdict = clf.classify(title, abstract, calibrated=False)
            if verdict.primary_family != "other":
                out.append((arxiv_id, verdict.confidence, verdict.primary_family == gold[arxiv_id][0]))
    if not out:
        raise CorpusError(f"none of the gold papers of {gold_path} is in {corpus}")
    return out


def fit_calibration(corpus: Path = DEFAULT_CORPUS, gold_path: Path = GOLD_PATH,
                    out_path: Path = CALIBRATION_PATH) -> dict:
    """Fit the raw-confidence -> calibrated map on the gold set and write it as a seed CSV.

    Also returns a 2-fold cross-fitted reliability table (each half scored by the map fitted on the
    other half, halves split by a hash of the id) so the diagram is not measured on its own fit.
    """
    import hashlib

    from pipeline.classify.taxonomy import load_taxonomy_file

    pairs = gold_pairs(corpus, gold_path)
    bins = isotonic_bins([(c, ok) for _, c, ok in pairs])
    version = load_taxonomy_file().version
    tmp = Path(str(out_path) + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["taxonomy_version", "raw_low", "raw_high", "n", "correct", "confidence"])
        for b in bins:
            w.writerow([version, b["raw_low"], b["raw_high"], b["n"], b["correct"], b["confidence"]])
    tmp.replace(out_path)   # never a half-written seed

    half = {aid: int(hashlib.sha256(aid.encode()).hexdigest(), 16) % 2 for aid, _, _ in pairs}
    scored = []
    for k in (0, 1):
        fitted = isotonic_bins([(c, ok) for aid, c, ok in pairs if half[aid] != k])
        for aid, c, ok in pairs:
            if half[aid] == k:
                scored.append((calibrate_with(fitted, c), ok))
    return {"taxonomy_version": version, "papers": len(pairs), "bins": bins, "path": str(out_path),
            "cross_fitted_reliability": [asdict(b) for b in reliability_bins(
                scored, edges=(0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001))]}


def calibrate_with(bins: list[dict], raw: float) -> float:
    """The calibrated confidence of a raw confidence under a bin table."""
    for b in bins:
        if b["raw_low"] <= raw < b["raw_high"]:
            return b["confidence"]
    return bins[-1]["confidence"] if raw >= bins[-1]["raw_low"] else bins[0]["confidence"]
