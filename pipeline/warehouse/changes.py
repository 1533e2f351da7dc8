"""What a build changed relative to the published warehouse: the contract between the
incremental build and the gates that validate only what changed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """The lake partitions a build read anew and the warehouse rows it rebuilt.

    ``raw_partitions`` maps a raw dataset name (as in ``schemas/``) to the partition values that
    were added or changed since the published build; ``removed_partitions`` likewise.
    ``tables`` maps a warehouse table to a SQL predicate selecting its rebuilt rows, or to None
    when the table was rebuilt in full. ``full`` means there was no usable previous build, so
    everything is new and must be validated as such.
    """

    full: bool = True
    raw_partitions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    removed_partitions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tables: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def everything(cls) -> "Changes":
        """A first or full build: every partition and every table is new."""
        return cls(full=True)
