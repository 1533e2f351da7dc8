"""Writers: one per source format, each turning the simulated world into that source's files.

A writer is a class with ``name`` and three hooks, called by :func:`pipeline.sample.generator.generate`:

- ``start(world, out)`` — open its files under the sample folder ``out``;
- ``paper(i, abstract)`` — called once per paper in date order during the world's single pass (the
  abstract exists only then: it is not kept);
- ``finish()`` — write everything that needs the whole corpus, close files, add to ``world.counts``.

Writers draw from their own random streams (seeded from the sample seed and a fixed stream
number), so adding one never changes another's output. To add a format: write a module here with
a :class:`Writer` subclass (``name``, ``files``, the hooks) and add one line to :data:`WRITERS`.
"""

from __future__ import annotations

import gzip
import importlib
import json
from pathlib import Path

# The writers of a sample, in the order their hooks run: "module:Class", one line each.
WRITERS = (
    "pipeline.sample.writers.arxiv:ArxivWriter",
    "pipeline.sample.writers.pwc:PwcJsonWriter",
    "pipeline.sample.writers.s2:S2Writer",
    "pipeline.sample.writers.hf:HfTreeWriter",
)


class Writer:
    """Base class of a source-format writer (hooks do nothing by default)."""

    name = ""
    # Every file the writer creates, relative to the sample folder (checked after ``finish``; their
    # top folders are cleared before a sample is regenerated).
    files: tuple[str, ...] = ()

    def start(self, world, out: Path) -> None:
        """Remember the world and the output folder; subclasses open their files here."""
        self.w, self.c, self.out = world, world.c, Path(out)

    def paper(self, i: int, abstract: str) -> None:
        """One paper of the date-ordered pass."""

    def finish(self) -> None:
        """Write the rest and close every file."""


class GzJsonLines:
    """Deterministic gzip writer (mtime 0, no file name in the header) for JSON lines or arrays."""

    def __init__(self, path: Path, array: bool = False):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.raw = open(path, "wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=1)
        self.array, self.count, self.buf = array, 0, []
        if array:
            self.buf.append("[")

    def write(self, obj) -> None:
        """Write one value as JSON."""
        self.write_raw(json.dumps(obj))  # the default encoder escapes non-ASCII, as the real dumps do

    def write_raw(self, line: str) -> None:
        """Write one already-encoded JSON value."""
        if self.array:
            self.buf.append(("\n" if self.count == 0 else ",\n") + line)
        else:
            self.buf.append(line + "\n")
        self.count += 1
        if len(self.buf) >= 4000:
            self.flush()

    def flush(self) -> None:
        """Write the buffered values out."""
        self.gz.write("".join(self.buf).encode("utf-8"))  # ASCII unless a caller disabled escaping
        self.buf = []

    def close(self) -> None:
        """Terminate the array (if any) and close the file."""
        if self.array:
            self.buf.append("\n]\n" if self.count else "]\n")
        self.flush()
        self.gz.close()
        self.raw.close()



def registered() -> list[type[Writer]]:
    """The writer classes listed in :data:`WRITERS`, in order."""
    out = []
    for spec in WRITERS:
        module, _, cls = spec.partition(":")
        out.append(getattr(importlib.import_module(module), cls))
    return out
