"""Benchmark: text-classifier throughput (and agreement with the generator's planted families).

    .venv/bin/python bench/bench_classify.py [--papers 20000] [--seed 1]

Abstracts come from the sample generator's TextMaker (the same writer as the bundled corpus:
proposals, secondary components, comparison/baseline negatives, ambiguous papers), plus the real
arXiv snapshot head when ../shared/data/real is present, and the real 2025 cs listings
(../shared/data/real-scale, CPU time per core beside a bare-regex anchor). Prints JSON: papers/s single-process, and
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

REAL_2025 = (REPO.parent / "shared" / "data" / "real-scale" / "arxiv-cs-2025"
             / "arxiv-metadata-oai-snapshot.cs-2025.jsonl.gz")
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
    ap.add_argument("--real-papers", type=int, default=20000,
                    help="how many of the real 2025 listings to time (0 = all)")
    ap.add_argument("--step-rows", type=int, default=0,
                    help="also time the warehouse step classify_papers on this many generated ML papers")
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
    if REAL_2025.exists():
        result["real_2025"] = bench_real_2025(clf, args.real_papers)
    if args.step_rows:
        result["classify_papers_step"] = bench_step(papers, args.step_rows)
    print(json.dumps(result, indent=2))


def bench_real_2025(clf, limit: int) -> dict:
    """Abstracts/s per core (CPU time of this process) on the real 2025 listings, beside an anchor.

    The anchor is one bare regular-expression scan (four family words) over the same lower-cased
    texts: the ratio says how much the classifier costs relative to the cheapest possible pass,
    which stays meaningful on a busy shared machine where wall time is not.
    """
    import gzip
    import re

    from pipeline.classify.domain import get_domain_classifier

    texts = []
    with gzip.open(REAL_2025, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            texts.append((rec.get("title"), rec.get("abstract"), rec.get("categories")))
            if limit and len(texts) >= limit:
                break
    dom = get_domain_classifier()
    clf.classify("warm", "up")
    t0 = time.process_time()
    for title, abstract, _ in texts:
        clf.classify(title, abstract)
    fam_s = time.process_time() - t0
    t0 = time.process_time()
    for title, abstract, cats in texts:
        clf.classify(title, abstract)
        dom.decide(title, abstract, cats)
    both_s = time.process_time() - t0
    anchor = re.compile(r"\b(?:transformer|convolutional|recurrent|diffusion)\b")
    t0 = time.process_time()
    for title, abstract, _ in texts:
        anchor.findall((title or "").lower())
        anchor.findall((abstract or "").lower())
    anchor_s = time.process_time() - t0
    n = len(texts)
    return {"papers": n, "mean_abstract_chars": round(sum(len(a or "") for _, a, _ in texts) / n),
            "family_per_core_s": round(n / fam_s), "family_and_domain_per_core_s": round(n / both_s),
            "anchor_bare_regex_per_core_s": round(n / anchor_s),
            "classifier_cost_vs_anchor": round(fam_s / anchor_s, 1)}


def bench_step(papers, rows: int) -> dict:
    """Time classify_papers on an in-memory int_papers of ``rows`` rows: cold, cached, 1 % changed.

    The cold run fills a classification cache in a temporary MLGRAPH_HOME; the second run is a
    rebuild (every verdict from the cache); the third changes 1 % of the abstracts, as a nightly
    run adds new papers. The ratios to the cold run are the numbers to compare across runs.
    """
    import logging
    import tempfile
    from pathlib import Path
    from types import SimpleNamespace

    import duckdb
    import pyarrow as pa

    from pipeline.classify import warehouse as wh

    reps = -(-rows // len(papers))
    titles = [p[0] for p in papers] * reps
    abstracts = [p[1] for p in papers] * reps
    con = duckdb.connect()
    con.register("t", pa.table({"paper_id": [f"p{i}" for i in range(rows)], "title": titles[:rows],
                                "abstract": abstracts[:rows], "is_ml": [True] * rows}))
    con.execute("CREATE TABLE int_papers AS SELECT * FROM t")
    con.unregister("t")
    out = {"parallel": rows >= wh.PARALLEL_MIN_ROWS}
    with tempfile.TemporaryDirectory(prefix="bench-classify-") as home:
        ctx = SimpleNamespace(settings=SimpleNamespace(home=Path(home)), exports_dir=None, run_id="bench",
                              log=logging.getLogger("bench"))
        for run in ("cold", "cached", "one_percent_changed"):
            if run == "one_percent_changed":
                con.execute("UPDATE int_papers SET abstract = abstract || ' (revised)' "
                            "WHERE hash(paper_id) % 100 = 0")
            t0 = time.perf_counter()
            wh.classify_papers(con, ctx)
            out[f"{run}_seconds"] = round(time.perf_counter() - t0, 2)
    out["rows"] = con.execute("SELECT count(*) FROM int_paper_text_families").fetchone()[0]
    out["papers_per_s_cold"] = round(out["rows"] / out["cold_seconds"])
    out["cached_vs_cold"] = round(out["cached_seconds"] / out["cold_seconds"], 3)
    out["one_percent_changed_vs_cold"] = round(out["one_percent_changed_seconds"] / out["cold_seconds"], 3)
    return out


if __name__ == "__main__":
    main()
