"""``mlgraph ingest``: one subcommand per source, plus ``sample`` for the whole bundled sample."""

from __future__ import annotations

import json
from datetime import date

from pipeline.errors import MlgraphError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MlgraphError(f"not a date (YYYY-MM-DD): {text!r}") from None


def configure(parser) -> None:
    """Arguments of ``mlgraph ingest``."""
    sub = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)

    p = sub.add_parser("arxiv", help="harvest one OAI-PMH date window (ListRecords)")
    p.add_argument("--from", dest="date_from", required=True, type=_date, help="first day, YYYY-MM-DD")
    p.add_argument("--until", dest="date_until", required=True, type=_date, help="last day (inclusive)")
    p.add_argument("--set", dest="sets", action="append", help="OAI set (repeatable); default from config: cs, stat, eess")
    p.add_argument("--format", dest="metadata_format", choices=["arXivRaw", "arXiv"], help="metadataPrefix (default arXivRaw)")

    p = sub.add_parser("arxiv-snapshot", help="bootstrap history from the arXiv metadata snapshot (JSON lines, plain or gzip)")
    p.add_argument("--path", help="path or URL of the snapshot (default MLGRAPH_ARXIV_SNAPSHOT or the sample's)")

    p = sub.add_parser("pwc", help="Papers With Code dumps (skipped when unchanged)")
    p.add_argument("--force", action="store_true", help="reprocess dumps even when unchanged")
    p.add_argument("--only", action="append", help="only this dump (papers-with-abstracts, methods, …); repeatable")

    p = sub.add_parser("s2", help="Semantic Scholar references for papers never fetched or stale")
    p.add_argument("--batch", help="partition name for this fetch run (default: today's UTC date)")
    p.add_argument("--limit", type=int, help="ask for at most this many papers")

    sub.add_parser("sample", help="everything from the bundled sample, through the real clients on loopback")
    for p in sub.choices.values():
        p.add_argument("--allow-shrink", action="store_true",
                       help="accept new data even when it holds far fewer rows than the lake had")
        p.add_argument("--json", action="store_true", help="print the ingest results as JSON")


def run(args, settings) -> int:
    """Dispatch to the chosen source."""
    if getattr(args, "allow_shrink", False):
        from dataclasses import replace

        settings = replace(settings, allow_shrink=True)
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
    else:
        from pipeline.sample.ingest import ingest_sample

        results = ingest_sample(settings)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    else:
        print_results(results)
    return 0


def print_results(results) -> None:
    """One readable line per ingest result."""
    for r in results:
        rows = ", ".join(f"{k}={v}" for k, v in sorted(r.rows.items())) or "no rows"
        extra = f", quarantined={r.quarantined}" if r.quarantined else ""
        print(f"{r.source:17s} {r.target:40s} {r.outcome:9s} {rows}{extra}")
