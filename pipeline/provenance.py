"""Where the lake's rows came from: the sample profile or real sources, per dataset.

Every ingest is recorded in the manifest with the profile it ran under (``production`` or
``sample``). A lake partition belongs to the latest successful ingest of its source that wrote
that partition (S2 batches write ``<batch>-cNNNN`` chunks). Partitions no recorded ingest wrote
(manifests from before provenance was kept, data written by hand) are ``unknown``.
"""

from __future__ import annotations

import re

import schemas
from pipeline import lake
from pipeline.errors import MlgraphError
from pipeline.manifest import Manifest

# 'unchanged' wrote nothing: the partition still holds what an earlier ingest (maybe the sample's) wrote.
_WROTE = ("ok", "empty")
_CHUNK = re.compile(r"-c\d{4,}$")


class SampleMixError(MlgraphError):
    """The lake holds both sample rows and rows from real sources."""


def lake_provenance(settings) -> dict[str, dict]:
    """Per dataset in the lake: partitions by profile and whether it holds sample rows."""
    latest: dict[tuple[str, str], str] = {}
    for e in reversed(Manifest(settings.state).entries()):  # oldest first: the newest write wins
        if e["outcome"] in _WROTE and e["partition"]:
            latest[(e["source"], e["partition"])] = e["profile"]
    out = {}
    for spec in schemas.all_specs():
        parts = lake.list_partitions(settings.lake, spec)
        if not parts:
            continue
        source = spec.key.split("/", 1)[0]
        profiles: dict[str, int] = {}
        for part in parts:
            profile = latest.get((source, part)) or latest.get((source, _CHUNK.sub("", part))) or "unknown"
            profiles[profile] = profiles.get(profile, 0) + 1
        out[spec.key] = {"profiles": profiles, "sample": "sample" in profiles}
    return out


def check_no_sample_mix(settings, provenance: dict[str, dict] | None = None) -> None:
    """Raise SampleMixError when the lake holds sample rows next to rows from real sources."""
    provenance = lake_provenance(settings) if provenance is None else provenance
    sample = sorted(k for k, v in provenance.items() if "sample" in v["profiles"])
    real = sorted(k for k, v in provenance.items() if "production" in v["profiles"])
    if sample and real:
        raise SampleMixError(
            f"the lake at {settings.lake} mixes synthetic sample rows ({some_keys(sample)}) with rows from "
            f"real sources ({some_keys(real)}); `mlgraph status` shows which; use a separate MLGRAPH_HOME "
            "for the sample, or pass --allow-sample-mix to build anyway")


def some_keys(keys: list[str], shown: int = 3) -> str:
    """The first ``shown`` keys, then how many more ("a, b, c and 4 more")."""
    more = len(keys) - shown
    return ", ".join(keys[:shown]) + (f" and {more} more" if more > 0 else "")
