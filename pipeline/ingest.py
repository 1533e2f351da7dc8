"""``mlgraph ingest``: one subcommand per source, plus ``sample`` for the whole bundled sample.

Each source reads its real location from the settings; under the sample profile
(``MLGRAPH_PROFILE=sample``) the chosen source is served from the bundled sample instead.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from pipeline.errors import ConfigError, MlgraphError


def parse_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date (a bad one is argparse's one-line usage error)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum`` (a bad value is one line, exit 2, not a traceback)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse




def configure(parser) -> None:
    """Arguments of ``mlgraph ingest``."""
    sub = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)

    p = sub.add_parser("arxiv", help="harvest one OAI-PMH date window (ListRecords)")
    p.add_argument("--from", dest="date_from", required=True, type=parse_date, help="first day, YYYY-MM-DD")
    p.add_argument("--until", dest="date_until", required=True, type=parse_date, help="last day (inclusive)")
    p.add_argument("--set", dest="sets", action="append", help="OAI set (repeatable); default from config: cs, stat, eess")
    p.add_argument("--format", dest="metadata_format", choices=["arXivRaw", "arXiv"], help="metadataPrefix (default arXivRaw)")

    p = sub.add_parser("arxiv-snapshot", help="bootstrap history from the arXiv metadata snapshot (JSON lines, plain or gzip)")
    p.add_argument("--path", help="path or URL of the snapshot (default MLGRAPH_ARXIV_SNAPSHOT)")

    p = sub.add_parser("pwc", help="Papers With Code dumps (skipped when unchanged)")
    p.add_argument("--force", action="store_true", help="reprocess dumps even when unchanged")
    p.add_argument("--only", action="append", help="only this dump (papers-with-abstracts, methods, …); repeatable")

    p = sub.add_parser("s2", help="Semantic Scholar references for papers never fetched or stale")
    p.add_argument("--batch", help="partition name for this fetch run (default: today's UTC date)")
    p.add_argument("--limit", type=int_at_least(0), help="ask for at most this many papers")

    p = sub.add_parser("hf", help="Hugging Face model trees: a local export directory (--path) or the Hub API crawl")
    p.add_argument("--path", help="directory of model-tree export files ({\"models\": [...]}, .json or .json.gz)")
    p.add_argument("--batch", help="partition name for this run (default: today's UTC date)")
    p = sub.add_parser("epoch", help="Epoch AI notable-models CSV (path or URL)")
    p.add_argument("--path", help="path or URL of the CSV (default MLGRAPH_EPOCH_MODELS)")
    p = sub.add_parser("ecosystem-graphs", help="CRFM Ecosystem Graphs assets: YAML folder or collated CSV (path or URL)")
    p.add_argument("--path", help="folder, YAML or CSV file, or URL (default MLGRAPH_ECOSYSTEM_GRAPHS)")

    sub.add_parser("sample", help="everything from the bundled sample, through the real clients on loopback")
    for p in sub.choices.values():
        p.add_argument("--allow-shrink", action="store_true",
                       help="accept new data even when it holds far fewer rows than the lake had")
        p.add_argument("--json", action="store_true", help="print the ingest results as JSON")


def run(args, settings) -> int:
    """Dispatch to the chosen source (served from the sample under the sample profile)."""
    if getattr(args, "allow_shrink", False):
        from dataclasses import replace

        settings = replace(settings, allow_shrink=True)
    if args.source == "sample":
        from pipeline.sample.ingest import ingest_sample

        results = ingest_sample(settings)
    else:
        from pipeline.sample.sources import profile_sources

        if settings.profile == "sample" and getattr(args, "path", None):
            raise ConfigError("--path names a real snapshot; it cannot be used under the sample profile")
        with profile_sources(settings, (args.source,)) as local:
            results = _ingest(args, local)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    else:
        print_results(results)
    return 0


def _ingest(args, settings) -> list:
    if args.source == "arxiv":
        from pipeline.sources.arxiv import harvest_window

        if args.date_until < args.date_from:
            raise MlgraphError("--until is before --from")
        results = [harvest_window(settings, args.date_from, args.date_until, sets=args.sets,
                                  metadata_format=args.metadata_format)]
    elif args.source == "arxiv-snapshot":
        from pipeline.sources.arxiv import ingest_snapshot

        results = [ingest_snapshot(settings, args.path)]
    elif args.source == "pwc":
        from pipeline.sources.pwc import ingest_dumps

        results = ingest_dumps(settings, force=args.force, only=args.only)
    elif args.source == "s2":
        from pipeline.sources.semantic_scholar import fetch_citations

        results = [fetch_citations(settings, batch=args.batch, limit=args.limit)]
    elif args.source == "hf":
        from pipeline.sources.hf import ingest_hf

        results = [ingest_hf(settings, path=args.path, batch=args.batch)]
    elif args.source == "epoch":
        from pipeline.sources.epoch import ingest_epoch

        results = [ingest_epoch(settings, args.path)]
    elif args.source == "ecosystem-graphs":
        from pipeline.sources.ecosystem_graphs import ingest_ecosystem_graphs

        results = [ingest_ecosystem_graphs(settings, args.path)]
    return results


def print_results(results) -> None:
    """One readable line per ingest result."""
    for r in results:
        rows = ", ".join(f"{k}={v}" for k, v in sorted(r.rows.items())) or "no rows"
        extra = f", quarantined={r.quarantined}" if r.quarantined else ""
        print(f"{r.source:17s} {r.target:40s} {r.outcome:9s} {rows}{extra}")
