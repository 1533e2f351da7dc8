"""``mlgraph status``: where things are and what has been ingested."""

from __future__ import annotations

import json

import schemas
from pipeline import lake
from pipeline.manifest import Manifest


def collect(settings) -> dict:
    """Lake and warehouse paths, partitions per dataset, and the manifest summary."""
    datasets = {}
    for spec in schemas.all_specs():
        parts = lake.list_partitions(settings.lake, spec)
        if parts:
            datasets[spec.key] = {"partitions": len(parts), "latest": parts[-1]}
    return {
        "home": str(settings.home.resolve()),
        "lake": str(settings.lake.resolve()),
        "warehouse": str(settings.warehouse.resolve()),
        "warehouse_exists": settings.warehouse.exists(),
        "datasets": datasets,
        "manifest": Manifest(settings.state).summary(),
    }


def configure(parser) -> None:
    """Arguments of ``mlgraph status``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args, settings) -> int:
    """Print the status."""
    info = collect(settings)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"home:      {info['home']}")
    print(f"lake:      {info['lake']}")
    print(f"warehouse: {info['warehouse']}" + ("" if info["warehouse_exists"] else "  (not built yet)"))
    if not info["datasets"]:
        print("lake is empty: run `mlgraph ingest sample` (or `make run`)")
    for key, d in sorted(info["datasets"].items()):
        print(f"  {key:32s} {d['partitions']:4d} partition(s), latest {d['latest']}")
    for source, s in sorted(info["manifest"].items()):
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(s["outcomes"].items()))
        print(f"  ingests {source:18s} {s['ingests']:4d} ({outcomes})")
    return 0
