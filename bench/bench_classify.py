"""Benchmark: text-classifier throughput (and agreement with the generator's planted families).

    .venv/bin/python bench/bench_classify.py [--papers 20000] [--seed 1]

Abstracts come from the sample generator's TextMaker (the same writer as the bundled corpus:
proposals, secondary components, comparison/baseline negatives, ambiguous papers), plus the real
arXiv snapshot head when ../shared/data/real is present. Prints JSON: papers/s single-process, and
accuracy of the primary family against the planted one (ambiguous papers expect 'other').
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.classify import get_classifier  # noqa: E402
from pipeline.classify.taxonomy import FAMILIES  # noqa: E402
from pipeline.sample.catalog import FAMILY_TEXT, TASKS  # noqa: E402
from pipeline.sample.text import TextMaker  # noqa: E402

REAL_HEAD = REPO.parent / "shared" / "data" / "real" / "arxiv-kaggle-snapshot" / "arxiv-metadata-oai-snapshot.head.jsonl"


def generated(n: int, seed: int):
    rnd = random.Random(seed)
    maker = TextMaker(seed)
    fams = [f for f in FAMILIES if f in FAMILY_TEXT]
    out = []
    for _ in range(n):
        domain = rnd.choice([d for d in TASKS if TASKS[d]])
        task = rnd.choice(TASKS[domain])
        primary = rnd.choice(fams)
        others = [f for f in fams if f != primary]
        secondaries = tuple(rnd.sample(others, rnd.choice((0, 0, 1))))
        negatives = tuple(rnd.sample([f for f in others if f not in secondaries], rnd.choice((0, 1, 2))))
        ambiguous = rnd.random() < 0.1
        dataset = task[2][0] if task[2] else "a standard benchmark"
        title, abstract, _, _ = maker.paper(domain=domain, year=rnd.randint(2012, 2025), primary=primary,
                                            secondaries=secondaries, task=task[0], dataset=dataset,
                                            negatives=negatives, ambiguous=ambiguous)
        out.append((title, abstract, "other" if ambiguous else primary, secondaries, negatives))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    clf = get_classifier()
    papers = generated(args.papers, args.seed)
    t0 = time.perf_counter()
    verdicts = [clf.classify(t, a) for t, a, *_ in papers]
    dt = time.perf_counter() - t0
    correct = sum(v.primary_family == p[2] for v, p in zip(verdicts, papers))
    neg_leak = sum(any(n in v.families for n in p[4]) for v, p in zip(verdicts, papers))
    with_neg = sum(bool(p[4]) for p in papers)
    result = {
        "generated": {"papers": len(papers), "seconds": round(dt, 3), "papers_per_s": round(len(papers) / dt),
                      "mean_abstract_chars": round(sum(len(p[1]) for p in papers) / len(papers)),
                      "primary_accuracy": round(correct / len(papers), 4),
                      "negative_family_leaks": neg_leak, "papers_with_negatives": with_neg},
    }
    if REAL_HEAD.exists():
        recs = [json.loads(line) for line in REAL_HEAD.read_text().splitlines() if line.strip()]
        reps = max(1, 20000 // len(recs))
        t0 = time.perf_counter()
        for _ in range(reps):
            for r in recs:
                clf.classify(r.get("title"), r.get("abstract"))
        dt = time.perf_counter() - t0
        result["real_arxiv_head"] = {"papers": len(recs) * reps, "seconds": round(dt, 3),
                                     "papers_per_s": round(len(recs) * reps / dt),
                                     "mean_abstract_chars": round(sum(len(r.get("abstract") or "") for r in recs) / len(recs))}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
