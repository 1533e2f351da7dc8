"""``mlgraph check``: run the quality gates on a built warehouse (the published one by default)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import MlgraphError


def configure(parser) -> None:
    """Arguments of ``mlgraph check``."""
    parser.add_argument("--warehouse", help="DuckDB file to validate (default: the published warehouse)")
    parser.add_argument("--previous", help="warehouse to compare row counts against (default: none for the "
                                           "published warehouse, else the published one)")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw lake suite")
    parser.add_argument("--max-drop", type=float, default=0.5,
                        help="fail a table that lost more than this fraction of its rows (default 0.5)")
    parser.add_argument("--changed", action="store_true",
                        help="validate only what the build recorded as changed, plus the whole-table "
                             "aggregates (default: everything)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args, settings) -> int:
    """Validate and print the report; exit 2 (via QualityGateError) when a suite fails."""
    from pipeline.quality import run_gates
    from pipeline.quality.suites import WAREHOUSE_LAYERS
    from pipeline.warehouse.changes import Changes

    target = Path(args.warehouse) if args.warehouse else settings.warehouse
    if not target.exists():
        raise MlgraphError(f"no warehouse at {target}: run `mlgraph build` (or `make run`) first")
    previous = Path(args.previous) if args.previous else None
    layers = WAREHOUSE_LAYERS if args.no_raw else ("raw",) + WAREHOUSE_LAYERS
    # A check by hand looks at everything unless asked; the nightly audit uses the build's record.
    changes = None if args.changed else Changes.everything()
    report = run_gates(settings, target, previous, layers=layers, max_drop=args.max_drop, changes=changes)
    print(json.dumps(report.as_dict(), indent=2, default=str) if args.json else report.summary())
    return 0
