"""The bundled sample: a deterministic synthetic corpus in the sources' real formats, with truth.

Importing this package is cheap (numpy is loaded only when a sample is generated), because the
loopback servers in this package are imported by stages that never generate anything.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

# Bump whenever the output for a given (papers, seed) changes, so cached samples are regenerated.
GENERATOR_VERSION = 4
SNAPSHOT_CUTOFF = date(2025, 1, 1)
CORPUS_END = date(2025, 12, 31)
# Written by generate() itself besides the writers' files.
TRUTH_FILES = ("truth.json", "truth_papers.jsonl.gz", "sample.json")


def __getattr__(name: str):
    # SAMPLE_FILES is computed from the registered writers on first use, so that importing this
    # package stays cheap and a new writer's files are listed without another edit.
    if name == "SAMPLE_FILES":
        from pipeline.sample.writers import registered

        return tuple(f for cls in registered() for f in cls.files) + TRUTH_FILES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def generate(out_dir, papers: int, seed: int) -> dict:
    """Write a sample of ``papers`` papers with ``seed`` into ``out_dir``; return the truth dict."""
    from pipeline.sample.generator import generate as _generate

    return _generate(out_dir, papers, seed)


def ensure_sample(settings) -> Path:
    """Generate the default sample into ``settings.sample_dir`` once; reuse it when params match."""
    from pipeline.sample.cache import ensure_sample as _ensure

    return _ensure(settings)


__all__ = ["CORPUS_END", "GENERATOR_VERSION", "SAMPLE_FILES", "SNAPSHOT_CUTOFF", "ensure_sample", "generate"]
