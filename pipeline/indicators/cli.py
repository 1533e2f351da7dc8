"""``mlgraph indicators``: print the headline digest of a built warehouse."""

from __future__ import annotations

import json


def configure(parser) -> None:
    """Add the indicators stage's arguments."""
    parser.add_argument("--json", action="store_true", help="print the digest as JSON")
    parser.add_argument("--warehouse", help="DuckDB file to read (default: the published warehouse)")


def run(args, settings) -> int:
    """Print the digest of ``--warehouse`` or the published warehouse, opened read-only."""
    from pipeline.indicators import digest, format_digest

    d = digest(args.warehouse or settings.warehouse)
    print(json.dumps(d, indent=2, default=str) if args.json else format_digest(d))
    return 0
