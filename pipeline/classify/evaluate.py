"""Precision / recall / F1 per family and accuracy of predicted families against reference labels.

Labels and predictions are mappings ``paper_id -> (primary_family, families)``. Per-family scores
are multi-label (a family is a true positive for a paper when it is in both sets); accuracy is on
the primary family. A labelled paper without a prediction counts as predicted ``other``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from pipeline.classify.taxonomy import FAMILIES

Label = tuple[str, Iterable[str]]


@dataclass(frozen=True)
class FamilyScore:
    """Scores of one family."""

    family: str
    support: int        # labelled papers having the family
    predicted: int      # papers predicted to have it
    true_positives: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class EvaluationReport:
    """The whole evaluation: per-family scores, primary accuracy, micro/macro F1."""

    papers: int
    accuracy: float | None          # primary family predicted == primary label
    primary_in_labels: float | None  # predicted primary is one of the labelled families
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    macro_f1: float | None          # mean F1 over families with support > 0
    per_family: tuple[FamilyScore, ...]
    # (bin low, high, n, mean confidence, accuracy) of the papers given a family; empty if not measured
    reliability: tuple = ()

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(labels: Mapping[str, Label], predictions: Mapping[str, Label]) -> EvaluationReport:
    """Score ``predictions`` against ``labels`` over the labelled papers."""
    support = {f: 0 for f in FAMILIES}
    predicted = {f: 0 for f in FAMILIES}
    tp = {f: 0 for f in FAMILIES}
    correct = in_labels = 0
    for paper_id, (primary, families) in labels.items():
        gold = set(families) or {primary}
        pred_primary, pred_families = predictions.get(paper_id, ("other", ("other",)))
        pred = set(pred_families) or {pred_primary}
        correct += pred_primary == primary
        in_labels += pred_primary in gold
        for f in gold:
            support[f] += 1
        for f in pred:
            predicted[f] += 1
            tp[f] += f in gold
    scores = []
    for f in FAMILIES:
        p, r = _ratio(tp[f], predicted[f]), _ratio(tp[f], support[f])
        scores.append(FamilyScore(f, support[f], predicted[f], tp[f], p, r, _f1(p, r)))
    n = len(labels)
    tp_all, pred_all, sup_all = sum(tp.values()), sum(predicted.values()), sum(support.values())
    micro_p, micro_r = _ratio(tp_all, pred_all), _ratio(tp_all, sup_all)
    f1s = [s.f1 if s.f1 is not None else 0.0 for s in scores if s.support]
    return EvaluationReport(
        papers=n, accuracy=_ratio(correct, n), primary_in_labels=_ratio(in_labels, n),
        micro_precision=micro_p, micro_recall=micro_r, micro_f1=_f1(micro_p, micro_r),
        macro_f1=sum(f1s) / len(f1s) if f1s else None, per_family=tuple(scores))


def format_report(report: EvaluationReport) -> str:
    """A fixed-width table of the report for terminals."""
    def fmt(x):
        return "   -  " if x is None else f"{x:6.3f}"

    lines = [f"{'family':<18} {'support':>7} {'pred':>6} {'tp':>6} {'prec':>6} {'recall':>6} {'f1':>6}"]
    for s in report.per_family:
        if s.support or s.predicted:
            lines.append(f"{s.family:<18} {s.support:>7} {s.predicted:>6} {s.true_positives:>6} "
                         f"{fmt(s.precision)} {fmt(s.recall)} {fmt(s.f1)}")
    lines.append("")
    lines.append(f"papers evaluated:            {report.papers}")
    lines.append(f"primary-family accuracy:     {fmt(report.accuracy).strip()}")
    lines.append(f"primary within PwC families: {fmt(report.primary_in_labels).strip()}")
    lines.append(f"micro P/R/F1:                {fmt(report.micro_precision).strip()} / "
                 f"{fmt(report.micro_recall).strip()} / {fmt(report.micro_f1).strip()}")
    lines.append(f"macro F1 (families seen):    {fmt(report.macro_f1).strip()}")
    if report.reliability:
        lines.append("reliability (papers given a family; right = primary among PwC's families):")
        for b in report.reliability:
            if b["n"]:
                lines.append(f"  [{b['low']:.2f}, {b['high']:.2f})  n={b['n']:>5}  conf {b['mean_confidence']:.2f}"
                             f"  acc {b['accuracy']:.2f}")
    return "\n".join(lines)
