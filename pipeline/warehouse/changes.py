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


# --- what a build records about its inputs -----------------------------------------------------

META_SCHEMA = "mlgraph_meta"        # outside ``main``: not a model, not exported, not compared
_CODE_GLOBS = (("warehouse", "**/*"), ("pipeline", "**/*.py"), ("pipeline", "**/*.sql"), ("schemas", "*.py"),
               (".", "pyproject.toml"))


@dataclass(frozen=True)
class BuildState:
    """What a warehouse was built from: lake partition fingerprints and the code fingerprint."""

    run_id: str
    mode: str                                  # full | incremental | partial (select or step stand-ins)
    code: str
    lake: dict[str, dict[str, str]]            # dataset key → partition value → fingerprint
    changes: Changes = field(default_factory=Changes.everything)


# Partitions up to this size have their Parquet footers read to see whether they hold any row.
_SMALL_PARTITION_BYTES = 64 * 1024


def _holds_rows(files) -> bool:
    """Whether any of these Parquet files has a row (an unreadable file counts as holding rows)."""
    import pyarrow.parquet as pq

    for f in files:
        try:
            if pq.read_metadata(f).num_rows:
                return True
        except Exception:  # not ours to judge here: the build's read reports a damaged file
            return True
    return False


def lake_state(lake) -> dict[str, dict[str, str]]:
    """Fingerprint of every raw partition, from its files' identities (name, inode, size, mtime).

    A commit hard-links the partitions it keeps into the new generation, so an unchanged
    partition keeps its inodes; a rewritten one gets new files. A partition holding no rows (a
    night whose OAI window was empty) adds nothing to any table, so it is left out: such a night
    is no change. Only the footers of small files are read to see that (an empty Parquet file is
    a few KB); big partitions are fingerprinted without reading.
    """
    import hashlib
    from pathlib import Path

    import schemas
    from pipeline.lake import current_generation

    gen = current_generation(Path(lake))
    state: dict[str, dict[str, str]] = {}
    if gen is None:
        return state
    for spec in schemas.all_specs():
        folder = gen / spec.source / spec.name
        if not folder.is_dir():
            continue
        prefix = f"{spec.partition_key}="
        parts = {}
        for part in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(prefix)):
            digest = hashlib.sha256()
            files = sorted(part.glob("*.parquet"))
            stats = [f.stat() for f in files]
            if sum(st.st_size for st in stats) <= _SMALL_PARTITION_BYTES and not _holds_rows(files):
                continue
            for f, st in zip(files, stats):
                digest.update(f"{f.name}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}\n".encode())
            parts[part.name[len(prefix):]] = digest.hexdigest()[:32]
        if parts:
            state[spec.key] = parts
    return state


def code_fingerprint(models_root=None, extra: str = "") -> str:
    """Hash of what decides a table's content besides the lake: the warehouse SQL, YAML, seeds and
    taxonomy, the pipeline's Python and SQL, the lake schemas and the package version."""
    import hashlib
    from importlib import metadata
    from pathlib import Path

    from pipeline.warehouse.contracts import REPO, WAREHOUSE_DIR

    roots = {"warehouse": Path(models_root or WAREHOUSE_DIR), "pipeline": REPO / "pipeline",
             "schemas": REPO / "schemas", ".": REPO}
    digest = hashlib.sha256()
    try:
        digest.update(metadata.version("mlgraph").encode())
    except metadata.PackageNotFoundError:
        pass
    for root_name, pattern in _CODE_GLOBS:
        root = roots[root_name]
        for path in sorted(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{root_name}/{path.relative_to(root)}\n".encode())
            digest.update(path.read_bytes())
    digest.update(extra.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class LakeDiff:
    """Partitions added, rewritten and removed between two lake states."""

    added: dict[str, tuple[str, ...]]
    rewritten: dict[str, tuple[str, ...]]
    removed: dict[str, tuple[str, ...]]

    @property
    def empty(self) -> bool:
        """Whether the lake is exactly as it was."""
        return not (self.added or self.rewritten or self.removed)

    def dirty(self) -> set[str]:
        """Datasets with any difference."""
        return set(self.added) | set(self.rewritten) | set(self.removed)

    def appended_only(self, dataset: str) -> bool:
        """Whether ``dataset`` only gained new partitions (its old ones are untouched)."""
        return dataset not in self.rewritten and dataset not in self.removed


def diff_lake(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> LakeDiff:
    """Compare two :func:`lake_state` results."""
    added, rewritten, removed = {}, {}, {}
    for ds in sorted(set(old) | set(new)):
        a, b = old.get(ds, {}), new.get(ds, {})
        if plus := tuple(sorted(set(b) - set(a))):
            added[ds] = plus
        if minus := tuple(sorted(set(a) - set(b))):
            removed[ds] = minus
        if moved := tuple(sorted(p for p in set(a) & set(b) if a[p] != b[p])):
            rewritten[ds] = moved
    return LakeDiff(added, rewritten, removed)


def record(con, state: BuildState, changed_keys: dict[str, str]) -> None:
    """Write ``state`` into the candidate (schema ``mlgraph_meta``); ``changed_keys`` maps an
    incrementally rebuilt table to a query of its rebuilt keys (as VARCHAR) on ``con``."""
    import json

    c = state.changes
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(f"CREATE OR REPLACE TABLE {META_SCHEMA}.build (run_id VARCHAR, mode VARCHAR, code_fingerprint VARCHAR, "
                "built_at TIMESTAMPTZ, changes JSON)")
    payload = json.dumps({"full": c.full, "raw_partitions": c.raw_partitions,
                          "removed_partitions": c.removed_partitions, "tables": c.tables})
    con.execute(f"INSERT INTO {META_SCHEMA}.build VALUES (?, ?, ?, now(), ?)", [state.run_id, state.mode, state.code, payload])
    con.execute(f"CREATE OR REPLACE TABLE {META_SCHEMA}.lake_partitions (dataset VARCHAR, partition_value VARCHAR, "
                "fingerprint VARCHAR)")
    rows = [(ds, p, fp) for ds, parts in sorted(state.lake.items()) for p, fp in sorted(parts.items())]
    if rows:
        con.executemany(f"INSERT INTO {META_SCHEMA}.lake_partitions VALUES (?, ?, ?)", rows)
    con.execute(f"CREATE OR REPLACE TABLE {META_SCHEMA}.changed_keys (table_name VARCHAR, key VARCHAR)")
    for table, query in sorted(changed_keys.items()):
        con.execute(f"INSERT INTO {META_SCHEMA}.changed_keys SELECT ?, k FROM ({query})", [table])


def read_state(path) -> BuildState | None:
    """The state a warehouse file recorded, or None (no file, or built before states were recorded)."""
    import json
    from pathlib import Path

    import duckdb

    if path is None or not Path(path).exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        has = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'build'",
                          [META_SCHEMA]).fetchone()[0]
        if not has:
            return None
        run_id, mode, code, payload = con.execute(
            f"SELECT run_id, mode, code_fingerprint, changes FROM {META_SCHEMA}.build").fetchone()
        lake: dict[str, dict[str, str]] = {}
        for ds, p, fp in con.execute(f"SELECT dataset, partition_value, fingerprint FROM {META_SCHEMA}.lake_partitions").fetchall():
            lake.setdefault(ds, {})[p] = fp
    finally:
        con.close()
    c = json.loads(payload)
    changes = Changes(full=c["full"], raw_partitions={k: tuple(v) for k, v in c["raw_partitions"].items()},
                      removed_partitions={k: tuple(v) for k, v in c["removed_partitions"].items()},
                      tables=dict(c["tables"]))
    return BuildState(run_id=run_id, mode=mode, code=code, lake=lake, changes=changes)


def changes_of(candidate) -> Changes:
    """What ``candidate`` changed relative to the warehouse it was built to replace, as it
    recorded it; ``Changes.everything()`` for a file that recorded nothing."""
    state = read_state(candidate)
    return state.changes if state is not None else Changes.everything()
