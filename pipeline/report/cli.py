"""``mlgraph report``: write the static report site of a warehouse."""

from __future__ import annotations

from pathlib import Path


def configure(parser) -> None:
    """Arguments of ``mlgraph report``."""
    parser.add_argument("--warehouse", help="a warehouse file other than the published one")
    parser.add_argument("--out", help="the report folder (default: <warehouse dir>/exports/report for the published "
                             "warehouse, <name>.exports/report beside another file)")
    parser.add_argument("--json", action="store_true", help="print what was built as JSON")


def run(args, settings) -> int:
    """Build the report and print where it is."""
    import json

    from pipeline.report import build_report

    info = build_report(settings, Path(args.warehouse) if args.warehouse else None,
                        Path(args.out) if args.out else None)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(f"report: {info['index']}  ({len(info['charts'])} charts, {info['seconds']} s)")
    for s in info["skipped"]:
        print(f"  left out {s['id']}: {s['reason']}")
    return 0
