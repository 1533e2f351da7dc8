"""The cached default sample under ``<home>/sample``: generated once, reused while its parameters match."""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from pathlib import Path

from pipeline.sample import GENERATOR_VERSION


def _matches(target: Path, want: dict) -> bool:
    """True when ``target`` holds a complete sample generated with ``want``'s parameters."""
    try:
        meta = json.loads((target / "sample.json").read_text())
    except (OSError, ValueError):
        return False
    return all(meta.get(k) == v for k, v in want.items()) and all((target / f).exists() for f in meta.get("files", {}))


def ensure_sample(settings) -> Path:
    """Generate the default sample into ``settings.sample_dir`` unless an identical one is there.

    Generation happens in a temporary sibling folder that is renamed into place, so a killed run
    never leaves a half sample; when several processes race, the first complete sample wins.
    """
    target = Path(settings.sample_dir)
    want = {"generator_version": GENERATOR_VERSION, "papers": int(settings.sample_papers), "seed": int(settings.sample_seed)}
    if _matches(target, want):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = target.parent / f".{target.name}.tmp-{tag}"
    old = target.parent / f".{target.name}.old-{tag}"
    try:
        from pipeline.sample.generator import generate

        generate(tmp, want["papers"], want["seed"])
        try:
            os.rename(tmp, target)  # fails if the target exists and is not empty
        except OSError:
            if _matches(target, want):  # another process finished the same sample first
                return target
            os.rename(target, old)  # a stale sample (other parameters or version)
            os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target
