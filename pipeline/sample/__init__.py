"""The bundled sample: a deterministic synthetic corpus in the sources' real formats, with truth.

Importing this package is cheap (numpy is loaded only when a sample is generated), because the
loopback servers in this package are imported by stages that never generate anything.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

# Bump whenever the output for a given (papers, seed) changes, so cached samples are regenerated.
GENERATOR_VERSION = 3
SNAPSHOT_CUTOFF = date(2025, 1, 1)
CORPUS_END = date(2025, 12, 31)
SAMPLE_FILES = (
    "arxiv/corpus.jsonl.gz",
    "arxiv/arxiv-metadata-oai-snapshot.jsonl.gz",
    "pwc/papers-with-abstracts.json.gz",
    "pwc/methods.json.gz",
    "pwc/evaluation-tables.json.gz",
    "pwc/links-between-papers-and-code.json.gz",
    "pwc/datasets.json.gz",
    "s2/papers.jsonl.gz",
    "truth.json",
    "truth_papers.jsonl.gz",
    "sample.json",
    "hf/truth.json",
    "hf/trees/Acme-LM-7B_finetunes_20250422_000000.json.gz",
    "hf/trees/Acme-LM-1B_finetunes_20250422_000000.json.gz",
    "hf/trees/PixelDiffusion-1_finetunes_20250422_000000.json.gz",
    "hf/trees/VoxTTS-82M_finetunes_20250422_000000.json.gz",
)


def generate(out_dir, papers: int, seed: int) -> dict:
    """Write a sample of ``papers`` papers with ``seed`` into ``out_dir``; return the truth dict."""
    from pipeline.sample.generator import generate as _generate

    return _generate(out_dir, papers, seed)


def ensure_sample(settings) -> Path:
    """Generate the default sample into ``settings.sample_dir`` once; reuse it when params match."""
    from pipeline.sample.generator import ensure_sample as _ensure

    return _ensure(settings)


__all__ = ["CORPUS_END", "GENERATOR_VERSION", "SAMPLE_FILES", "SNAPSHOT_CUTOFF", "ensure_sample", "generate"]
