"""``mlgraph classify``: JSON lines in, architecture families out; ``--evaluate`` against PwC labels."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.errors import MlgraphError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the classify arguments."""
    parser.add_argument("--input", help='JSON lines {"id","title","abstract"[,"categories"]} (default: stdin); '
                                        'categories: space-separated arXiv categories, primary first')
    parser.add_argument("--output", help="where to write the JSON-lines results (default: stdout)")
    parser.add_argument("--evaluate", action="store_true",
                        help="score the text classifier against the families PwC's methods establish "
                             "(papers of the published warehouse)")
    parser.add_argument("--corpus", help="with --evaluate/--calibrate: a real arXiv snapshot JSON-lines file "
                                         "(.jsonl or .jsonl.gz; default: the shared 2025 cs listings when present)")
    parser.add_argument("--gold", help="with --evaluate/--calibrate: the gold CSV (default tests/data/gold_2025.csv)")
    parser.add_argument("--calibrate", action="store_true",
                        help="fit the confidence calibration on the gold set and write "
                             "warehouse/seeds/classify_calibration.csv")
    parser.add_argument("--json", action="store_true", help="with --evaluate: print the report as JSON")
    parser.add_argument("--warehouse", help="with --evaluate: a warehouse file other than the published one")


def run(args, settings) -> int:
    """Run the classify stage; exit status 1 when some input lines were malformed (the others are written)."""
    if args.calibrate:
        from pipeline.classify import realdata

        fit = realdata.fit_calibration(Path(args.corpus) if args.corpus else realdata.DEFAULT_CORPUS,
                                       Path(args.gold) if args.gold else realdata.GOLD_PATH)
        print(json.dumps(fit, indent=2))
        return 0
    if args.evaluate:
        from pipeline.classify import realdata
        from pipeline.classify.evaluate import format_report

        out: dict = {}
        texts = []
        warehouse = Path(args.warehouse) if args.warehouse else settings.warehouse
        # --warehouse alone: the PwC-label scores only (the report's JSON shape as before);
        # --corpus alone: the real corpus only; neither: both, whichever is present.
        if args.warehouse or (not args.corpus and Path(warehouse).exists()):
            report = evaluate_warehouse(warehouse)
            if not args.corpus and args.warehouse:
                print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
                return 0
            out["pwc_labels"] = report.to_dict()
            texts += ["PwC-label scores (papers of the warehouse with PwC methods):", format_report(report), ""]
        elif not args.corpus:
            texts += [f"PwC-label scores: no published warehouse at {warehouse} (build one, or name it with "
                      "--warehouse)", ""]
        corpus = Path(args.corpus) if args.corpus else realdata.DEFAULT_CORPUS
        if not args.corpus and not args.warehouse and not corpus.exists():
            texts.append(f"real corpus: none at {corpus} (name one with --corpus)")
        if args.corpus or (not args.warehouse and corpus.exists()):
            real = realdata.evaluate_corpus(corpus, Path(args.gold) if args.gold else realdata.GOLD_PATH)
            out["real_corpus"] = real.to_dict()
            texts.append(realdata.format_real_report(real))
        if not out:
            raise MlgraphError(f"nothing to evaluate: no warehouse at {warehouse} and no corpus at {corpus}")
        print(json.dumps(out, indent=2) if args.json else "\n".join(texts))
        return 0
    # bytes in: a line that is not UTF-8 is reported and skipped like any malformed line
    src = _open(args.input, "rb") if args.input else getattr(sys.stdin, "buffer", sys.stdin)
    dst = _open(args.output, "w") if args.output else sys.stdout
    try:
        bad = classify_stream(src, dst, sys.stderr)
    finally:
        if args.input:
            src.close()
        if args.output:
            dst.close()
    return 1 if bad else 0


def _open(path: str, mode: str):
    try:
        return open(path, mode) if "b" in mode else open(path, mode, encoding="utf-8")
    except OSError as exc:
        raise MlgraphError(f"cannot open {path} for {'reading' if 'r' in mode else 'writing'}: "
                           f"{exc.strerror or exc}") from None


def _parse_line(line: str | bytes) -> dict:
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        # the decoder's messages end in "at" ("Invalid control character at"), meant to be followed by a position
        raise ValueError(f"invalid JSON: {exc.msg.removesuffix(' at')} at column {exc.pos + 1}") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    if record.get("id") is None:
        raise ValueError('missing "id"')
    for key in ("title", "abstract"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise ValueError(f'"{key}" must be a string or null')
    cats = record.get("categories")
    if cats is not None and not isinstance(cats, str) and not (
            isinstance(cats, list) and all(isinstance(c, str) for c in cats)):
        raise ValueError('"categories" must be a space-separated string, a list of strings or null')
    return record


def classify_stream(src, dst, err) -> int:
    """Classify JSON lines from ``src`` into ``dst``; report bad lines on ``err``; return how many were bad."""
    from pipeline.classify.domain import get_domain_classifier
    from pipeline.classify.text import PaperClassification, get_classifier

    classifier, domains = get_classifier(), get_domain_classifier()
    bad = 0
    for lineno, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            record = _parse_line(line)
        except ValueError as exc:
            bad += 1
            print(f"mlgraph classify: line {lineno}: {exc}; skipped", file=err)
            continue
        title, abstract = record.get("title"), record.get("abstract")
        family = classifier.classify(title, abstract)
        domain = domains.decide(title, abstract, record.get("categories"))
        verdict = PaperClassification(family.primary_family, family.families, family.confidence,
                                      domain.domain, domain.domain_source, family.provenance)
        dst.write(json.dumps(verdict.to_record(record["id"]), ensure_ascii=False) + "\n")
    dst.flush()
    if bad:
        print(f"mlgraph classify: {bad} malformed line(s) skipped", file=err)
    return bad


def evaluate_warehouse(path: Path):
    """Evaluate the text classifier on the warehouse's papers that have PwC-provenance families."""
    from pipeline.classify.evaluate import evaluate
    from pipeline.classify.text import get_classifier
    from pipeline.warehouse.reader import open_readonly

    con = open_readonly(path, required=("fct_paper_families", "int_papers"))
    try:
        classifier = get_classifier()
        labels, predictions = {}, {}
        confidences: list = []
        # The classifier sees only title and abstract; the PwC labels stay on this side of the join.
        # The label's primary family is ranked from PwC evidence alone (generic mlp/linear last, then
        # most methods): is_primary may come from the text classifier and would leak its answer.
        reader = con.sql(
            """
            WITH pwc AS (
                SELECT paper_id,
                       list(family ORDER BY family IN ('mlp', 'linear'), n_methods DESC, family) AS families
                FROM fct_paper_families WHERE provenance = 'pwc'
                GROUP BY paper_id)
            SELECT p.paper_id, p.title, p.abstract, pwc.families
            FROM pwc JOIN int_papers p USING (paper_id)
            ORDER BY p.paper_id
            """).to_arrow_reader(10_000)
        for batch in reader:
            ids = batch.column(0).to_pylist()
            for pid, title, abstract, families in zip(ids, batch.column(1).to_pylist(),
                                                      batch.column(2).to_pylist(), batch.column(3).to_pylist()):
                labels[pid] = (families[0], families)
                verdict = classifier.classify(title, abstract)
                predictions[pid] = (verdict.primary_family, verdict.families)
                if verdict.primary_family != "other":
                    # right = the predicted primary is one of PwC's families for the paper
                    confidences.append((verdict.confidence, verdict.primary_family in families))
    finally:
        con.close()
    if not labels:
        raise MlgraphError(f"warehouse {path} has no papers with PwC-provenance families to evaluate on")
    from dataclasses import asdict, replace

    from pipeline.classify.realdata import reliability_bins

    return replace(evaluate(labels, predictions),
                   reliability=tuple(asdict(b) for b in reliability_bins(confidences)))
