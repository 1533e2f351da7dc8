"""Small durable state: atomic file writes and per-source checkpoints."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so readers see the old or the new content, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj) -> None:
    """Atomically write ``obj`` as pretty JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode())


class CheckpointStore:
    """JSON checkpoints under ``<state>/checkpoints/<source>/<key>.json``."""

    def __init__(self, state_dir: Path, source: str):
        self.dir = Path(state_dir) / "checkpoints" / source

    def _path(self, key: str) -> Path:
        return self.dir / f"{key.replace('/', '_')}.json"

    def load(self, key: str) -> dict | None:
        """The saved checkpoint, or None."""
        try:
            return json.loads(self._path(key).read_text())
        except FileNotFoundError:
            return None

    def save(self, key: str, value: dict) -> None:
        """Save atomically (a kill mid-write keeps the previous checkpoint)."""
        atomic_write_json(self._path(key), value)

    def clear(self, key: str) -> None:
        """Forget a checkpoint once its work is published."""
        self._path(key).unlink(missing_ok=True)
