"""``mlgraph sample``: write a synthetic corpus (real source formats + truth.json) to a folder."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pipeline.errors import ConfigError


def configure(parser) -> None:
    """Add the sample stage's arguments."""
    parser.add_argument("--papers", type=int, default=None, help="number of papers (default: settings.sample_papers)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: settings.sample_seed)")
    parser.add_argument("--out", default=None, help="output folder (default: <home>/sample, reused when unchanged)")
    parser.add_argument("--json", action="store_true", help="print the truth summary as JSON")


def run(args, settings) -> int:
    """Generate the sample and print where it is and its headline truth."""
    from dataclasses import replace

    from pipeline.sample import ensure_sample, generate

    papers = settings.sample_papers if args.papers is None else args.papers
    seed = settings.sample_seed if args.seed is None else args.seed
    if papers < 400:
        raise ConfigError(f"--papers must be at least 400 (got {papers})")
    start = time.perf_counter()
    if args.out is None:
        out = ensure_sample(replace(settings, sample_papers=papers, sample_seed=seed))
        truth = json.loads((out / "truth.json").read_text())
    else:
        out = Path(args.out)
        truth = generate(out, papers, seed)
    elapsed = time.perf_counter() - start
    summary = {
        "out": str(out), "papers": papers, "seed": seed, "seconds": round(elapsed, 2),
        "takeover": {d: [v["family"], v["planted_year"], v["realised_year"]] for d, v in truth["takeover"].items()},
        "author_persistence": truth["author_persistence"],
        "switch_penalty": truth["switch_penalty"],
        "attachment_exponent": truth["attachment_exponent"],
        "counts": truth["counts"],
    }
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(f"sample written to {out} ({papers} papers, seed {seed}, {elapsed:.1f} s)")
        print("takeover (family, planted, realised):")
        for dom, (fam, planted, realised) in summary["takeover"].items():
            print(f"  {dom:16s} {fam:14s} {planted!s:>5s} {realised!s:>5s}")
        print(f"author persistence: planted {truth['author_persistence']['planted']}, "
              f"realised {truth['author_persistence']['realised']}")
        sp = truth["switch_penalty"]
        print(f"switch penalty ({sp['window_years']} y): planted {sp['planted_productivity_ratio']}, "
              f"realised {sp['realised_productivity_ratio']}")
        print(f"truth: {out / 'truth.json'}")
    return 0
