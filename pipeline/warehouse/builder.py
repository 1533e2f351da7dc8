"""Write–audit–publish: build a candidate DuckDB file, test it, then swap it in atomically.

Layout under ``<home>/warehouse/``:
- ``mlgraph.duckdb`` — the published warehouse (``settings.warehouse``);
- ``previous.duckdb`` — the one it replaced (rollback; the gates compare row counts with it);
- ``candidates/<run_id>.building.duckdb`` while a build runs, ``<run_id>.duckdb`` once closed,
  ``failed-<run_id>.duckdb`` when the build or the gates failed (the newest few are kept);
- ``exports/`` — GraphML/Parquet exports and the data dictionary of the published build.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import MlgraphError
from pipeline.warehouse.context import BuildContext
from pipeline.warehouse.contracts import REPO, WAREHOUSE_DIR, build_order, discover_models
from pipeline.warehouse.runner import ModelTestError, data_dictionary, run_build, run_model_tests

log = logging.getLogger("mlgraph.warehouse")
KEEP_FAILED = 3


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


def export_parquet(con, models, folder: Path) -> list[Path]:
    """Write every mart and indicator table to ``folder/<table>.parquet`` for readers without DuckDB."""
    folder.mkdir(parents=True, exist_ok=True)
    present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    written = []
    for model in sorted(models.values(), key=lambda m: m.name):
        if model.layer not in EXPORTED_LAYERS or model.name not in present:
            continue
        path = folder / f"{model.name}.parquet"
        con.execute(f'COPY (SELECT * FROM "{model.name}") TO \'{path}\' (FORMAT parquet, COMPRESSION zstd)')
        written.append(path)
    return written


def build(settings: Settings, run_id: str | None = None, *, select: Iterable[str] | None = None,
          steps: Mapping[str, Callable] | None = None, memory_limit: str | None = None,
          threads: int | None = None, write_docs: bool = False, models_root: Path | None = None,
          allow_sample_mix: bool = False) -> Path:
    """Build a new candidate warehouse file from the lake; returns its path (published file untouched).

    The order comes from the models' declarations (``pipeline.warehouse.contracts``); ``select``
    builds only those models and their upstream, ``steps`` replaces declared Python steps by
    callables (test stand-ins); ``models_root`` is the folder of model files (default: the
    repository's ``warehouse/``). A lake mixing sample and real rows is refused unless
    ``allow_sample_mix``.
    """
    import duckdb

    from pipeline.provenance import check_no_sample_mix

    if not allow_sample_mix:
        check_no_sample_mix(settings)
    run_id = run_id or new_run_id()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", run_id):
        raise MlgraphError(f"run id {run_id!r} must be letters, digits, '_', '.' or '-' (it names files)")
    # Malformed contracts, a cycle or an unknown select fail before any file is created.
    models = discover_models(models_root or WAREHOUSE_DIR)
    build_order(models, None if select is None else set(select))
    cdir = candidates_dir(settings)
    cdir.mkdir(parents=True, exist_ok=True)
    building = cdir / f"{run_id}.building.duckdb"
    final = cdir / f"{run_id}.duckdb"
    if final.exists() or building.exists():
        raise MlgraphError(f"a candidate for run {run_id} already exists in {cdir}")
    exports = exports_for(final)
    exports.mkdir(parents=True, exist_ok=True)
    ctx = BuildContext(settings=settings, exports_dir=exports, run_id=run_id, log=log, candidate=building)
    spill = cdir / f"{run_id}.spill"
    try:
        con = duckdb.connect(str(building))
        try:
            if memory_limit:
                con.execute(f"SET memory_limit = '{memory_limit}'")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute(f"SET temp_directory = '{spill}'")
            con.execute("SET preserve_insertion_order = false")
            models = run_build(con, ctx, models, select=select, steps=steps)
            failures = run_model_tests(con, models)
            if failures:
                raise ModelTestError(f"{len(failures)} model test(s) failed in run {run_id}:\n  - "
                                     + "\n  - ".join(failures))
            dictionary = data_dictionary(con, models)
            (exports / "DATA_DICTIONARY.md").write_text(dictionary)
            export_parquet(con, models, exports / "parquet")
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
    os.replace(building, final)
    log.info("built candidate %s", final)
    return final


def publish(settings: Settings, candidate: Path) -> Path:
    """Atomically swap ``candidate`` into ``settings.warehouse``; the old file becomes previous.duckdb.

    ``os.replace`` is atomic on POSIX: a reader opening the warehouse sees the old or the new
    file, never a mix, and readers that already have the old file open keep reading it.
    """
    candidate = Path(candidate)
    if not candidate.exists():
        raise MlgraphError(f"candidate {candidate} does not exist")
    if candidate.with_name(candidate.name + ".wal").exists():
        raise MlgraphError(f"candidate {candidate} has an un-checkpointed WAL; close it before publishing")
    target = settings.warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # Hard-link the old file as previous.duckdb first, so the published path never disappears.
        tmp = target.with_name(f".previous-{uuid.uuid4().hex}.duckdb")
        try:
            os.link(target, tmp)
        except OSError:
            shutil.copy2(target, tmp)
        os.replace(tmp, previous_path(settings))
    os.replace(candidate, target)
    exports = exports_for(candidate)
    if exports.exists():
        current = warehouse_dir(settings) / "exports"
        if current.exists():
            old = warehouse_dir(settings) / "exports-previous"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(current, old)
        os.replace(exports, current)
    log.info("published %s", target)
    return target


def rollback(settings: Settings) -> Path:
    """Atomically put previous.duckdb back in place; the replaced file becomes previous.duckdb."""
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
    log.info("rolled back %s to the previous build", target)
    return target


def audit(settings: Settings, candidate: Path, **gate_options):
    """Quality gates on a candidate (``pipeline.quality.run_gates``); returns the GateReport.

    A failing candidate is set aside as ``failed-<run>.duckdb`` before the error propagates, so a
    re-run rebuilds from the lake instead of reusing it; the published file is never touched.
    """
    from pipeline.quality import run_gates

    candidate = Path(candidate)
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
                      models_root: Path | None = None, allow_sample_mix: bool = False) -> Path:
    """Build → quality gates (``pipeline.quality.run_gates``) → publish; failures publish nothing."""
    candidate = build(settings, run_id, select=select, steps=steps, write_docs=write_docs, memory_limit=memory_limit,
                      threads=threads, models_root=models_root, allow_sample_mix=allow_sample_mix)
    if gates:
        audit(settings, candidate, previous=settings.warehouse if settings.warehouse.exists() else None)
    return publish(settings, candidate)
