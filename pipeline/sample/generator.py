"""Generate a sample: simulate the world, run every registered writer over it, derive the truth.

Everything is written streaming (gzip, mtime 0, fixed key order), so the same seed and size give
byte-identical files. ``sample.json`` lists every file with its SHA-256, for the cache.
"""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

from pipeline.sample import CORPUS_END, GENERATOR_VERSION, SNAPSHOT_CUTOFF


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def generate(out_dir, papers: int, seed: int) -> dict:
    """Write a complete sample into ``out_dir`` (created/overwritten) and return the truth dict."""
    from pipeline.sample.simulate import World
    from pipeline.sample.truth import truth as derive_truth, write_truth_papers
    from pipeline.sample.writers import registered

    out = Path(out_dir)
    writers = [cls() for cls in registered()]
    for sub in sorted({Path(f).parts[0] for w in writers for f in w.files if len(Path(f).parts) > 1}):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    # millions of small long-lived containers and no reference cycles: the cyclic GC would only
    # rescan them again and again (superlinear time at 1M papers)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        world = World(int(papers), int(seed))
        for writer in writers:
            writer.start(world, out)
        for i, abstract in world.papers():
            for writer in writers:
                writer.paper(i, abstract)
        for writer in writers:
            writer.finish()
            missing = [f for f in writer.files if not (out / f).is_file()]
            if missing:
                raise RuntimeError(f"sample writer {writer.name} did not write {', '.join(missing)}")
        write_truth_papers(world, out)
        truth = derive_truth(world)
    finally:
        if gc_was_enabled:
            gc.enable()
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    files = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "sample.json":
            files[str(path.relative_to(out))] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
    meta = {
        "generator_version": GENERATOR_VERSION, "papers": int(papers), "seed": int(seed),
        "snapshot_cutoff": SNAPSHOT_CUTOFF.isoformat(), "corpus_end": CORPUS_END.isoformat(),
        "oai_windows": [[date(2025, m, 1).isoformat(),
                         ((date(2025, m + 1, 1) if m < 12 else date(2026, 1, 1)) - timedelta(days=1)).isoformat()]
                        for m in range(1, 13)],
        "counts": world.counts, "files": files,
    }
    (out / "sample.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return truth
