"""``mlgraph status``: where things are, what has been ingested, and which datasets hold sample rows."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import schemas
from pipeline import lake
from pipeline.manifest import Manifest
from pipeline.provenance import SampleMixError, check_no_sample_mix, lake_provenance


def collect(settings) -> dict:
    """Lake and warehouse paths, partitions and provenance per dataset, and the manifest summary."""
    provenance = lake_provenance(settings)
    datasets = {}
    for spec in schemas.all_specs():
        parts = lake.list_partitions(settings.lake, spec)
        if parts:
            where = provenance[spec.key]
            # By commit time: names sort "snapshot" after every OAI window, whatever holds the newest data.
            times = lake.committed_at(settings.lake, spec)
            latest = lake.newest_partition(settings.lake, spec) or parts[-1]
            datasets[spec.key] = {"partitions": len(parts), "latest": latest,
                                  "latest_committed_at": _iso(times[latest] / 1e9) if latest in times else None,
                                  "profiles": where["profiles"], "sample": where["sample"]}
    try:
        check_no_sample_mix(settings, provenance)
        mix = None
    except SampleMixError as exc:
        mix = str(exc)
    return {
        "home": str(settings.home.resolve()),
        "lake": str(settings.lake.resolve()),
        "warehouse": str(settings.warehouse.resolve()),
        "warehouse_exists": settings.warehouse.exists(),
        "profile": settings.profile,
        "datasets": datasets,
        "sample_mix": mix,
        "manifest": Manifest(settings.state).summary(),
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def configure(parser) -> None:
    """Arguments of ``mlgraph status``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _origin(d: dict) -> str:
    profiles = d["profiles"]
    if len(profiles) == 1:
        return {"sample": "SAMPLE", "production": "real sources",
                "unknown": "unknown: not in the manifest"}.get(next(iter(profiles)), next(iter(profiles)))
    return "mixed: " + ", ".join(f"{k}={v}" for k, v in sorted(profiles.items()))


def run(args, settings) -> int:
    """Print the status."""
    info = collect(settings)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"home:      {info['home']}")
    print(f"lake:      {info['lake']}")
    print(f"warehouse: {info['warehouse']}" + ("" if info["warehouse_exists"] else "  (not built yet)"))
    print(f"profile:   {info['profile']}")
    if not info["datasets"]:
        print("lake is empty: run `mlgraph ingest sample` (or `make run`) for the sample")
    for key, d in sorted(info["datasets"].items()):
        print(f"  {key:32s} {d['partitions']:4d} partition(s), latest {d['latest']}  [{_origin(d)}]")
    for source, s in sorted(info["manifest"].items()):
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(s["outcomes"].items()))
        print(f"  ingests {source:18s} {s['ingests']:4d} ({outcomes})")
    if info["sample_mix"]:
        print(f"WARNING: {info['sample_mix']}")
    return 0
