"""Write–audit–publish: build a candidate DuckDB file, test it, then swap it in atomically.

Layout under ``<home>/warehouse/``:
- ``mlgraph.duckdb`` — the published warehouse (``settings.warehouse``);
- ``previous.duckdb`` — the one it replaced (rollback; the gates compare row counts with it);
- ``candidates/<run_id>.building.duckdb`` while a build runs, ``<run_id>.duckdb`` once closed,
  ``failed-<run_id>.duckdb`` when the build or the gates failed (the newest few are kept);
- ``exports`` — a symlink to ``exports.d/<run_id>/``, the GraphML/Parquet exports and the data
  dictionary of the published build (``exports-previous`` points at the one before);
- ``build.lock`` — held (flock) by the one build or publish running, with its PID and host;
- ``publish.json`` — the intent of a publish in progress: a publish killed half-way is rolled
  forward by the next run, so ``mlgraph.duckdb`` and ``exports`` never stay out of step.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from pipeline.config import Settings
from pipeline import faults
from pipeline.errors import LockedError, MlgraphError
from pipeline.warehouse.changes import (BuildState, Changes, LakeDiff, changes_of, code_fingerprint, diff_lake,
                                        lake_state, read_state, record)
from pipeline.warehouse.context import BuildContext
from pipeline.warehouse.contracts import REPO, WAREHOUSE_DIR, build_order, discover_models
from pipeline.warehouse.runner import ModelTestError, data_dictionary, run_build, run_model_tests

log = logging.getLogger("mlgraph.warehouse")
KEEP_FAILED = 3
KEEP_CANDIDATES = 2        # closed, unpublished candidates kept for a later publish (Airflow's split tasks)


def warehouse_dir(settings: Settings) -> Path:
    """Folder holding the published, previous and candidate warehouse files."""
    return settings.warehouse.parent


def candidates_dir(settings: Settings) -> Path:
    """Where candidate builds are written."""
    return warehouse_dir(settings) / "candidates"


def previous_path(settings: Settings) -> Path:
    """The previously published warehouse, kept for rollback and row-count comparisons."""
    return warehouse_dir(settings) / "previous.duckdb"


def exports_for(candidate: Path) -> Path:
    """The exports folder that belongs to a candidate file."""
    return candidate.with_name(candidate.name.removesuffix(".duckdb") + ".exports")


def new_run_id() -> str:
    """A sortable, unique run id: UTC timestamp plus a random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


_held_locks: dict[str, int] = {}


@contextmanager
def build_lock(settings: Settings, what: str = "build"):
    """One build or publish at a time: ``build.lock`` (flock) carries the holder's PID and host.

    A second build fails fast with LockedError naming the holder.  The kernel drops a flock when
    its process dies, so a lock file left by a killed build is stale by construction: the next
    build takes it over (and says so).  Re-entrant within a process (build_and_publish).
    """
    path = warehouse_dir(settings) / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    if _held_locks.get(key):
        _held_locks[key] += 1
        try:
            yield
        finally:
            _held_locks[key] -= 1
        return
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = _lock_info(fh.read())
            raise LockedError(f"another {holder.get('what', 'build')} is running (pid {holder.get('pid', '?')} on "
                              f"{holder.get('host', '?')} since {holder.get('since', '?')}); lock {path}") from None
        fh.seek(0)
        stale = _lock_info(fh.read())
        if stale:
            log.warning("taking over a stale build lock of pid %s on %s (since %s): that build died",
                        stale.get("pid"), stale.get("host"), stale.get("since"))
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                             "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
        fh.flush()
        _held_locks[key] = 1
        try:
            yield
        finally:
            _held_locks.pop(key, None)
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def _lock_info(text: str) -> dict:
    try:
        info = json.loads(text)
        return info if isinstance(info, dict) else {}
    except ValueError:
        return {}


def cleanup(settings: Settings) -> dict[str, int]:
    """Start-of-run cleanup (under the build lock): finish a half-done publish, drop debris.

    Rolls a killed publish forward; removes orphan ``*.building`` candidates (no build can be
    running: we hold the lock) and closed candidates beyond the newest KEEP_CANDIDATES; sweeps
    dead transactions from ``lake/_tmp``; marks manifest rows of dead ingests ``interrupted``.
    """
    from pipeline import lake
    from pipeline.manifest import Manifest

    done = {"publish_rolled_forward": int(_recover_publish(settings))}
    cdir = candidates_dir(settings)
    removed = 0
    if cdir.exists():
        for p in cdir.glob("*.building.duckdb"):
            _remove_db(p)
            removed += 1
        for p in list(cdir.glob("*.spill")) + [e for e in cdir.glob("*.building.exports")]:
            shutil.rmtree(p, ignore_errors=True)
        closed = sorted((p for p in cdir.glob("*.duckdb") if not p.name.startswith("failed-")
                         and ".building" not in p.name), key=lambda p: p.stat().st_mtime)
        for p in closed[:-KEEP_CANDIDATES] if len(closed) > KEEP_CANDIDATES else []:
            _remove_db(p)
            shutil.rmtree(exports_for(p), ignore_errors=True)
            removed += 1
        for e in cdir.glob("*.exports"):
            if not e.with_name(e.name.removesuffix(".exports") + ".duckdb").exists():
                shutil.rmtree(e, ignore_errors=True)
    done["candidates_removed"] = removed
    done["lake_tmp_removed"] = len(lake.cleanup_tmp(settings.lake))
    done["manifest_interrupted"] = Manifest(settings.state).mark_interrupted()
    return done


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _mark_failed(building: Path, exports: Path, run_id: str) -> Path:
    """Keep a failed candidate as ``failed-<run_id>.duckdb`` and prune older failures."""
    failed = building.with_name(f"failed-{run_id}.duckdb")
    if building.exists():
        os.replace(building, failed)
    wal = building.with_name(building.name + ".wal")
    if wal.exists():
        os.replace(wal, failed.with_name(failed.name + ".wal"))
    if exports.exists():
        shutil.rmtree(exports, ignore_errors=True)
    olds = sorted(building.parent.glob("failed-*.duckdb"))[:-KEEP_FAILED]
    for old in olds:
        _remove_db(old)
    return failed


# Layers whose tables are the analysis surface; staging views and intermediates stay in the file.
EXPORTED_LAYERS = ("marts", "indicators")


# The arXiv month (yymm) of a paper key, new-style (2601.00001) or old-style (cs/0501001) id;
# 'other' for keys that are no arXiv id. Nights touch few months, so a file per month keeps
# the rewrite to what the night changed.
_KEY_MONTH_SQL = "coalesce(nullif(regexp_extract(CAST({col} AS VARCHAR), '^(?:[A-Za-z.-]+/)?([0-9]{{4}})', 1), ''), 'other')"
_EXPORT_OPTIONS = "FORMAT parquet, COMPRESSION zstd"


def export_parquet(con, models, folder: Path, plan=None, published: Path | None = None) -> list[Path]:
    """Write every mart and indicator table to ``folder`` for readers without DuckDB; returns the paths.

    A table is ``<table>.parquet``, or with ``incremental: {export: files_by_key_month}`` a folder
    ``<table>/`` of ``<yymm>.parquet`` files, one per arXiv month of its key (read it whole with
    ``read_parquet('<table>/*.parquet')`` or ``pandas.read_parquet('<table>')``). On an incremental
    night (``plan``, and ``published`` = the published build's Parquet folder) a table copied
    unchanged is hard-linked from the published export, and a month folder rewrites only the
    months of its rebuilt keys: exports are never modified once written, so a link is a copy.
    """
    from pipeline.warehouse.incremental import incremental_spec

    folder.mkdir(parents=True, exist_ok=True)
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    decisions = plan.decisions if plan is not None and published is not None and published.is_dir() else {}
    written = []
    for model in sorted(models.values(), key=lambda m: m.name):
        if model.layer not in EXPORTED_LAYERS or model.name not in present:
            continue
        spec = incremental_spec(model) if model.materialized != "python" else None
        how = decisions.get(model.name)
        if spec is not None and spec.export_by_month:
            dest = folder / model.name
            keys = plan.keys.get(model.name) if how == "incremental" else None
            files = _export_by_month(con, model.name, spec.key, dest,
                                     published / model.name if how in ("reuse", "incremental") else None, keys)
            if how in ("reuse", "incremental") and not _rows_match(con, model.name, f"{dest}/*.parquet"):
                shutil.rmtree(dest)
                files = _export_by_month(con, model.name, spec.key, dest, None, None)
            written += files
            continue
        path = folder / f"{model.name}.parquet"
        if how == "reuse" and _link(published / path.name, path):
            if _rows_match(con, model.name, str(path)):
                written.append(path)
                continue
            path.unlink()
        con.execute(f'COPY (SELECT * FROM "{model.name}") TO {_sql_str(path)} ({_EXPORT_OPTIONS})')
        written.append(path)
    return written


def _rows_match(con, table: str, files: str) -> bool:
    """Whether the export ``files`` hold as many rows as ``table`` (Parquet footers: cheap).

    A published export someone edited or pruned must not be carried forward: it is rewritten."""
    import duckdb

    try:
        exported = con.execute(f"SELECT count(*) FROM read_parquet({_sql_str(files)})").fetchall()[0][0]
    except duckdb.Error:  # no file matched: an emptied table exports no month
        exported = 0
    ok = exported == con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    if not ok:
        log.warning("the published export of %s does not match its table; writing it again", table)
    return ok


def _link(source: Path, dest: Path) -> bool:
    """Hard-link (else copy) an export file of the published build; False when it is not there."""
    if not source.is_file():
        return False
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)
    return True


def _export_by_month(con, table: str, key: str, dest: Path, published: Path | None, keys: str | None) -> list[Path]:
    """Export ``table`` as ``dest/<month>.parquet``; with ``published``, months whose keys did not
    change tonight (all of them when ``keys`` is None: the table was copied) are linked from there."""
    month = _KEY_MONTH_SQL.format(col=f'"{key}"')
    dest.mkdir(parents=True, exist_ok=True)
    where, linked = "", []
    if published is not None and published.is_dir():
        changed = set() if keys is None else {r[0] for r in con.execute(
            f"SELECT DISTINCT {_KEY_MONTH_SQL.format(col='k')} FROM {keys}").fetchall()}
        for old in sorted(published.glob("*.parquet")):
            if old.name.split(".", 1)[0] not in changed and _link(old, dest / old.name):
                linked.append(dest / old.name)
        if not changed:
            return linked
        where = "WHERE {} IN ({})".format(month, ", ".join(_sql_str(m) for m in sorted(changed)))
    staging = dest.with_name(dest.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    con.execute(f'COPY (SELECT *, {month} AS _mlgraph_month FROM "{table}" {where}) TO {_sql_str(staging)} '
                f"({_EXPORT_OPTIONS}, PARTITION_BY (_mlgraph_month))")
    written = []
    for part in sorted(staging.glob("_mlgraph_month=*")):
        name = part.name.split("=", 1)[1]
        for i, f in enumerate(sorted(part.glob("*.parquet"))):
            target = dest / (f"{name}.parquet" if i == 0 else f"{name}.{i}.parquet")
            os.replace(f, target)
            written.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    return linked + written


def build(settings: Settings, run_id: str | None = None, *, select: Iterable[str] | None = None,
          steps: Mapping[str, Callable] | None = None, memory_limit: str | None = None,
          threads: int | None = None, write_docs: bool = False, models_root: Path | None = None,
          allow_sample_mix: bool = False, full: bool = False) -> Path:
    """Build a new candidate warehouse file from the lake; returns its path (published file untouched).

    The order comes from the models' declarations (``pipeline.warehouse.contracts``); ``select``
    builds only those models and their upstream, ``steps`` replaces declared Python steps by
    callables (test stand-ins); ``models_root`` is the folder of model files (default: the
    repository's ``warehouse/``). A lake mixing sample and real rows is refused unless
    ``allow_sample_mix``.

    Unless ``full`` (or ``select``), the build is incremental against the published warehouse
    when that one recorded the same code fingerprint (:mod:`pipeline.warehouse.incremental`).
    When the lake is exactly as the published build saw it too, nothing is built: the published
    file's path is returned (:func:`is_unchanged` says so), and audit and publish skip it.
    """
    from pipeline.provenance import check_no_sample_mix

    if not allow_sample_mix:
        check_no_sample_mix(settings)
    run_id = run_id or new_run_id()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", run_id):
        raise MlgraphError(f"run id {run_id!r} must be letters, digits, '_', '.' or '-' (it names files)")
    # Malformed contracts, a cycle or an unknown select fail before any file is created.
    models = discover_models(models_root or WAREHOUSE_DIR)
    build_order(models, None if select is None else set(select))
    with build_lock(settings, "build"):
        cleanup(settings)
        state, plan = _plan(settings, run_id, models_root, select=select, steps=steps, full=full)
        if plan is not None and plan.diff.empty:
            log.info("warehouse unchanged: the lake and the code are as published by run %s; nothing rebuilt, "
                     "nothing to publish", plan.base_run)
            return settings.warehouse
        return _build(settings, run_id, models, select=select, steps=steps, memory_limit=memory_limit,
                      threads=threads, write_docs=write_docs, state=state, plan=plan, full=full)


def _plan(settings: Settings, run_id: str, models_root, *, select, steps, full: bool):
    """This build's state (lake, code) and, when the published build can be the base, its plan."""
    from pipeline.warehouse.incremental import IncrementalPlan

    # A subset, or stand-ins for declared steps (tests), is no base for a later build nor built on one.
    partial = select is not None or bool(steps)
    if full or partial:
        return BuildState(run_id, "partial" if partial else "full", code_fingerprint(models_root),
                          lake_state(settings.lake)), None
    outlook = against_published(settings, models_root)
    previous = outlook.published
    if not outlook.base:
        if previous is not None:
            # a warning, so that a nightly log says why this night costs a full rebuild
            log.warning("full build: the published build %s %s; rebuilding every table", previous.run_id,
                        "was partial" if previous.mode == "partial" else "was built by other code (or taxonomy)")
        return BuildState(run_id, "full", outlook.code, outlook.lake), None
    plan = IncrementalPlan(published=settings.warehouse, diff=outlook.diff, lake=settings.lake,
                           base_run=previous.run_id)
    return BuildState(run_id, "incremental", outlook.code, outlook.lake), plan


@dataclass(frozen=True)
class Outlook:
    """The lake and code now, against what the published build recorded: what the next build will do."""

    published: BuildState | None           # the published build's record (None: none, or unreadable)
    code: str                              # the code fingerprint now
    lake: dict[str, dict[str, str]]        # lake_state now
    diff: LakeDiff | None                  # lake now vs the published build's lake (None without a record)

    @property
    def base(self) -> bool:
        """Whether the next build can be incremental on the published one (same code, not partial)."""
        p = self.published
        return p is not None and p.mode != "partial" and p.code == self.code

    @property
    def unchanged(self) -> bool:
        """Whether the next build would rebuild nothing (the builder's "warehouse unchanged")."""
        return self.base and self.diff.empty


def against_published(settings: Settings, models_root: Path | None = None, warehouse: Path | None = None) -> Outlook:
    """Compare the lake and the code now with the published build's record (what build() decides on).

    ``warehouse`` compares with another file's record instead, e.g. the candidate an interrupted
    publish will swap in before the next build plans.
    """
    code = code_fingerprint(models_root)
    lake_now = lake_state(settings.lake)
    previous = _published_state(settings, warehouse)
    return Outlook(previous, code, lake_now, diff_lake(previous.lake, lake_now) if previous is not None else None)


def _published_state(settings: Settings, path: Path | None = None):
    try:
        return read_state(path or settings.warehouse)
    except Exception as exc:  # duckdb raises several error classes; an unreadable record means "no base"
        log.warning("full build: cannot read the published build's record (%s)", str(exc).splitlines()[0])
        return None


def is_unchanged(settings: Settings, candidate) -> bool:
    """Whether a build returned the published warehouse itself (nothing changed since it)."""
    target = settings.warehouse
    return target.exists() and Path(candidate).resolve() == target.resolve()


def _changes(state: BuildState, plan, models: dict, built: set[str]) -> Changes:
    if plan is None:
        return Changes(full=True, raw_partitions={ds: tuple(sorted(p)) for ds, p in state.lake.items()},
                       tables={name: None for name in sorted(built) if models[name].materialized != "view"})
    d = plan.diff
    raw = {ds: tuple(sorted(set(d.added.get(ds, ())) | set(d.rewritten.get(ds, ())))) for ds in d.added.keys() | d.rewritten.keys()}
    return Changes(full=False, raw_partitions=dict(sorted(raw.items())), removed_partitions=dict(d.removed),
                   tables=plan.changed_tables())


def _build(settings: Settings, run_id: str, models, *, select, steps, memory_limit, threads, write_docs,
           state: BuildState, plan, full: bool = False) -> Path:
    import duckdb

    cdir = candidates_dir(settings)
    cdir.mkdir(parents=True, exist_ok=True)
    building = cdir / f"{run_id}.building.duckdb"
    final = cdir / f"{run_id}.duckdb"
    if final.exists() or building.exists():
        raise MlgraphError(f"a candidate for run {run_id} already exists in {cdir}")
    exports = exports_for(final)
    exports.mkdir(parents=True, exist_ok=True)
    # --full takes nothing from the published build, not even a step's cache of its own.
    published = settings.warehouse if settings.warehouse.exists() and not full else None
    ctx = BuildContext(settings=settings, exports_dir=exports, run_id=run_id, log=log, candidate=building,
                       published=published)
    spill = cdir / f"{run_id}.spill"
    try:
        if plan is not None:
            # Start from the published file: reused tables cost nothing and by-key rebuilds edit
            # in place (pipeline.warehouse.incremental). The published file is only ever replaced
            # whole, never written, so this copy is a consistent snapshot of it.
            shutil.copyfile(plan.published, building)
            plan.in_place = True
        con = duckdb.connect(str(building))
        try:
            if memory_limit:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute("SET temp_directory = " + _sql_str(spill))
            con.execute("SET preserve_insertion_order = false")
            models = run_build(con, ctx, models, select=select, steps=steps, plan=plan)
            built = {o for n in build_order(models, None if select is None else set(select)) for o in n.outputs}
            state = replace(state, changes=_changes(state, plan, models, built))
            record(con, state, plan.key_queries() if plan is not None else {})
            if plan is not None:
                log.info("incremental build against %s: %s", plan.base_run, plan.summary())
            failures = run_model_tests(con, models, scope=plan.test_scope() if plan is not None else None)
            if failures:
                raise ModelTestError(f"{len(failures)} model test(s) failed in run {run_id}:\n  - "
                                     + "\n  - ".join(failures))
            dictionary = data_dictionary(con, models)
            (exports / "DATA_DICTIONARY.md").write_text(dictionary)
            export_parquet(con, models, exports / "parquet", plan, _published_exports(settings, plan))
            if write_docs:
                (REPO / "docs").mkdir(exist_ok=True)
                (REPO / "docs" / "DATA_DICTIONARY.md").write_text(dictionary)
            # A checkpoint folds the WAL into the file, so the candidate is one self-contained file.
            con.execute("CHECKPOINT")
        finally:
            con.close()
    except BaseException:
        failed = _mark_failed(building, exports, run_id)
        log.error("build %s failed; candidate kept as %s", run_id, failed)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    if building.with_name(building.name + ".wal").exists():
        _mark_failed(building, exports, run_id)
        raise MlgraphError(f"candidate {building} left a WAL after close; not publishing it")
    faults.point("build.before_close")
    os.replace(building, final)
    log.info("built candidate %s", final)
    return final


def _sql_str(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def publish(settings: Settings, candidate: Path) -> Path:
    """Atomically swap ``candidate`` into ``settings.warehouse``; the old file becomes previous.duckdb.

    ``os.replace`` is atomic on POSIX: a reader opening the warehouse sees the old or the new
    file, never a mix, and readers that already have the old file open keep reading it.  The
    exports folder is swapped the same way (a symlink to its versioned folder), and the whole
    publish is journalled in ``publish.json`` first: a kill at any step is rolled forward by the
    next run (``cleanup``), so the file and its exports are never missing nor left out of step.
    """
    from pipeline.state import atomic_write_json

    candidate = Path(candidate)
    if is_unchanged(settings, candidate):
        log.info("warehouse unchanged: %s stays published as it is", settings.warehouse)
        return settings.warehouse
    with build_lock(settings, "publish"):
        _recover_publish(settings)
        if not candidate.exists():
            raise MlgraphError(f"candidate {candidate} does not exist")
        _refuse_older_than_published(settings, candidate)
        if candidate.with_name(candidate.name + ".wal").exists():
            raise MlgraphError(f"candidate {candidate} has an un-checkpointed WAL; close it before publishing")
        target = settings.warehouse
        target.parent.mkdir(parents=True, exist_ok=True)
        run = candidate.name.removesuffix(".duckdb")
        atomic_write_json(_journal(settings), {"candidate": str(candidate.resolve()), "run": run,
                                               "exports": str(exports_for(candidate).resolve())})
        faults.point("publish.journalled")
        _publish_steps(settings, candidate, run, exports_for(candidate))
    log.info("published %s", target)
    return target


def _published_exports(settings: Settings, plan) -> Path | None:
    """The published build's Parquet exports an incremental night may link from, when they are its own.

    A folder is named by its run (``exports.d/<run>``): one of another run (left by a rollback of an
    older tree, say) would carry forward tables that are not the published ones.
    """
    if plan is None:
        return None
    link = warehouse_dir(settings) / "exports"
    if not link.is_symlink() or link.resolve().name != plan.base_run:
        log.warning("the published exports are not those of the published build %s; exporting every table",
                    plan.base_run)
        return None
    return link / "parquet"


def _built_at(path: Path):
    """When the build of ``path`` recorded its state (None when it recorded none)."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT run_id, built_at FROM mlgraph_meta.build").fetchone()
    except duckdb.Error:
        return None
    return row


def _refuse_older_than_published(settings: Settings, candidate: Path) -> None:
    """A candidate built before the published warehouse would undo that build's night: refused."""
    mine, theirs = _built_at(candidate), _built_at(settings.warehouse) if settings.warehouse.exists() else None
    if mine is not None and theirs is not None and mine[1] < theirs[1]:
        raise MlgraphError(f"candidate {mine[0]} was built at {mine[1]:%Y-%m-%d %H:%M:%S %Z}, before the published "
                           f"build {theirs[0]} ({theirs[1]:%Y-%m-%d %H:%M:%S %Z}): publishing it would undo that "
                           "build; build again from the current lake")


def _journal(settings: Settings) -> Path:
    return warehouse_dir(settings) / "publish.json"


def _recover_publish(settings: Settings) -> bool:
    """Finish a publish a kill interrupted (its journal is still there); True when there was one."""
    journal = _journal(settings)
    try:
        intent = json.loads(journal.read_text())
    except FileNotFoundError:
        return False
    except ValueError:
        journal.unlink(missing_ok=True)
        return False
    log.warning("finishing the publish of %s that was interrupted", intent.get("run"))
    _publish_steps(settings, Path(intent["candidate"]), intent["run"], Path(intent["exports"]))
    return True


def _publish_steps(settings: Settings, candidate: Path, run: str, exports: Path) -> None:
    """The publish proper; every step is idempotent so that a rerun can complete it."""
    target = settings.warehouse
    if candidate.exists():
        if target.exists():
            # Hard-link the old file as previous.duckdb first, so the published path never disappears.
            tmp = target.with_name(f".previous-{uuid.uuid4().hex}.duckdb")
            try:
                os.link(target, tmp)
            except OSError:
                shutil.copy2(target, tmp)
            os.replace(tmp, previous_path(settings))
            faults.point("publish.previous_linked")
        os.replace(candidate, target)
        faults.point("publish.file_swapped")
    wdir = warehouse_dir(settings)
    versions = wdir / "exports.d"
    versions.mkdir(exist_ok=True)
    dest = versions / run
    if exports.exists() and not dest.exists():
        os.replace(exports, dest)
        faults.point("publish.exports_moved")
    current = wdir / "exports"
    if dest.exists():
        previous = current.resolve() if current.is_symlink() else None
        if current.exists() and not current.is_symlink():
            # A folder from before versioned exports: it becomes a version of its own.
            os.replace(current, versions / f"legacy-{uuid.uuid4().hex[:6]}")
            previous = None
        if previous is None or previous.name != run:
            _point(wdir / "exports", dest)
            faults.point("publish.exports_swapped")
            if previous is not None and previous.exists():
                _point(wdir / "exports-previous", previous)
        keep = {dest.name}
        for link in ("exports", "exports-previous"):
            if (wdir / link).is_symlink():
                keep.add(Path(os.readlink(wdir / link)).name)
        for old in versions.iterdir():
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
    _journal(settings).unlink(missing_ok=True)


def _point(link: Path, target: Path) -> None:
    """Atomically make ``link`` a symlink to ``target`` (relative, so the folder can move)."""
    tmp = link.with_name(f".{link.name}-{uuid.uuid4().hex[:6]}")
    os.symlink(os.path.relpath(target, link.parent), tmp)
    if link.exists() and link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp, link)


def rollback(settings: Settings) -> Path:
    """Atomically put previous.duckdb back in place; the replaced file becomes previous.duckdb."""
    with build_lock(settings, "rollback"):
        _recover_publish(settings)
        previous = previous_path(settings)
        target = settings.warehouse
        if not previous.exists():
            raise MlgraphError(f"no previous warehouse at {previous} to roll back to")
        swapped = None
        if target.exists():
            swapped = target.with_name(f".rollback-{uuid.uuid4().hex}.duckdb")
            os.link(target, swapped)
        os.replace(previous, target)
        if swapped is not None:
            os.replace(swapped, previous)  # so that a rollback can itself be undone
        _swap_exports(settings)
    log.info("rolled back %s to the previous build", target)
    return target


def _swap_exports(settings: Settings) -> None:
    """Swap the ``exports`` and ``exports-previous`` links, as rollback swaps the two files.

    Without the previous build's exports, ``exports`` is removed: no folder may stand for a file it
    does not describe (the next build then exports every table again).
    """
    wdir = warehouse_dir(settings)
    current, prior = wdir / "exports", wdir / "exports-previous"
    now = current.resolve() if current.is_symlink() else None
    before = prior.resolve() if prior.is_symlink() else None
    if before is not None and before.is_dir():
        _point(current, before)
        if now is not None and now.is_dir():
            _point(prior, now)
        return
    log.warning("rollback: the previous build's exports are gone; %s is removed until the next publish", current)
    if current.is_symlink():
        current.unlink()
    elif current.is_dir():
        shutil.rmtree(current)


def audit(settings: Settings, candidate: Path, **gate_options):
    """Quality gates on a candidate (``pipeline.quality.run_gates``); returns the GateReport
    (None for the unchanged published warehouse, which was audited when it was published).

    A failing candidate is set aside as ``failed-<run>.duckdb`` before the error propagates, so a
    re-run rebuilds from the lake instead of reusing it; the published file is never touched.
    """
    from pipeline.quality import run_gates

    candidate = Path(candidate)
    if is_unchanged(settings, candidate):
        log.info("quality gates skipped: the warehouse is unchanged and was audited when it was published")
        return None
    try:
        return run_gates(settings, candidate, **gate_options)
    except BaseException:
        if candidate.exists():
            failed = _mark_failed(candidate, exports_for(candidate), candidate.stem)
            log.error("quality gates failed; candidate kept as %s, published warehouse untouched", failed)
        raise


def build_and_publish(settings: Settings, gates: bool = True, *, run_id: str | None = None,
                      select: Iterable[str] | None = None, steps: Mapping[str, Callable] | None = None,
                      write_docs: bool = False,
                      memory_limit: str | None = None, threads: int | None = None,
                      models_root: Path | None = None, allow_sample_mix: bool = False, full: bool = False) -> Path:
    """Build → quality gates (``pipeline.quality.run_gates``) → publish; failures publish nothing.

    Incremental unless ``full``; a night where nothing changed publishes nothing (see :func:`build`).
    """
    from pipeline.provenance import check_no_sample_mix

    if not allow_sample_mix:
        check_no_sample_mix(settings)  # before the lock: a refused build leaves nothing behind
    with build_lock(settings, "build"):
        candidate = build(settings, run_id, select=select, steps=steps, write_docs=write_docs,
                          memory_limit=memory_limit, threads=threads, models_root=models_root,
                          allow_sample_mix=allow_sample_mix, full=full)
        if is_unchanged(settings, candidate):
            return candidate
        if gates:
            audit(settings, candidate, previous=settings.warehouse if settings.warehouse.exists() else None)
        return publish(settings, candidate)
