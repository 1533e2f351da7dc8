"""``mlgraph status``: where things are, what has been ingested, which datasets hold sample rows, and
what state the warehouse is in (the published build, the next build's work, what failed nights left)."""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

import schemas
from pipeline import lake
from pipeline.manifest import Manifest
from pipeline.provenance import SampleMixError, check_no_sample_mix, lake_provenance, some_keys

# Counted for the published build when present: cheap (DuckDB keeps row counts) and they say at a
# glance whether a build came out empty.
HEADLINE_TABLES = ("dim_papers", "fct_citations")


def collect(settings) -> dict:
    """Lake and warehouse paths, partitions and provenance per dataset, the manifest summary and the warehouse state."""
    provenance = lake_provenance(settings)
    datasets = {}
    for spec in schemas.all_specs():
        parts = lake.list_partitions(settings.lake, spec)
        if parts:
            where = provenance[spec.key]
            # By commit time: names sort "snapshot" after every OAI window, whatever holds the newest data.
            times = lake.committed_at(settings.lake, spec)
            latest = lake.newest_partition(settings.lake, spec) or parts[-1]
            datasets[spec.key] = {"partitions": len(parts), "latest": latest,
                                  "latest_committed_at": _iso(times[latest] / 1e9) if latest in times else None,
                                  "profiles": where["profiles"], "sample": where["sample"]}
    try:
        check_no_sample_mix(settings, provenance)
        mix = None
    except SampleMixError as exc:
        mix = str(exc)
    return {
        "home": str(settings.home.resolve()),
        "lake": str(settings.lake.resolve()),
        "warehouse": str(settings.warehouse.resolve()),
        "warehouse_exists": settings.warehouse.exists(),
        "warehouse_state": warehouse_state(settings),
        "profile": settings.profile,
        "datasets": datasets,
        "sample_mix": mix,
        "manifest": Manifest(settings.state).summary(),
    }


def warehouse_state(settings) -> dict:
    """The published build, what the next build has to do, and what failed or killed runs left behind."""
    from pipeline.warehouse import builder

    wdir = builder.warehouse_dir(settings)
    published = _published(settings) if settings.warehouse.exists() else None
    info = {"published": published, "previous": _previous_run(settings), "next_build": None,
            **_candidates(settings, published), "publish_journal": _journal(settings),
            "exports": _exports(wdir, published), "lock": _lock(wdir)}
    if published is not None:
        info["next_build"] = _next_build(settings)
    return info


def _published(settings) -> dict:
    """Run id, mode, time, code and headline row counts of the published file, from its own record."""
    import duckdb

    out = {"run_id": None, "mode": None, "built_at": None, "code": None, "rows": {}, "error": None}
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error as exc:
        out["error"] = f"cannot open it: {str(exc).splitlines()[0]}"
        return out
    try:
        tables = {(r[0], r[1]) for r in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        if ("mlgraph_meta", "build") in tables:
            run_id, mode, code, built_ms = con.execute(
                "SELECT run_id, mode, code_fingerprint, epoch_ms(built_at) FROM mlgraph_meta.build").fetchone()
            out.update(run_id=run_id, mode=mode, code=(code or "")[:12] or None,
                       built_at=_iso(built_ms / 1000) if built_ms is not None else None)
        else:
            out["error"] = "it records no build (built before builds were recorded)"
        for table in HEADLINE_TABLES:
            if ("main", table) in tables:
                out["rows"][table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    except duckdb.Error as exc:
        out["error"] = f"cannot read its build record: {str(exc).splitlines()[0]}"
    finally:
        con.close()
    return out


def _previous_run(settings) -> str | None:
    """Run id of previous.duckdb (the rollback point), or None."""
    from pipeline.warehouse import builder
    from pipeline.warehouse.changes import read_state

    try:
        state = read_state(builder.previous_path(settings))
    except Exception:  # noqa: BLE001 — duckdb raises several classes; status must not fail on it
        return None
    return state.run_id if state is not None else None


def _next_build(settings) -> dict:
    """What the builder would decide now: the same comparison ``build()`` makes (``against_published``)."""
    from pipeline.warehouse.builder import against_published

    outlook = against_published(settings)
    p, diff = outlook.published, outlook.diff
    if p is None:
        return {"unchanged": False, "incremental": False, "reason": "the published build's record is unreadable",
                "lake_changed": None, "added": {}, "rewritten": {}, "removed": {}, "code_changed": None}
    reason = None
    if p.mode == "partial":
        reason = "the published build was partial"
    elif p.code != outlook.code:
        reason = "the code differs from the published build's"
    return {"unchanged": outlook.unchanged, "incremental": outlook.base, "reason": reason,
            "lake_changed": not diff.empty, "added": _lists(diff.added), "rewritten": _lists(diff.rewritten),
            "removed": _lists(diff.removed), "code_changed": p.code != outlook.code}


def _lists(parts: dict) -> dict:
    return {ds: list(values) for ds, values in sorted(parts.items())}


def _candidates(settings, published: dict | None) -> dict:
    """Candidate files by kind; a failure after the published build is this night's, an older one is history."""
    from pipeline.warehouse import builder

    cdir = builder.candidates_dir(settings)
    out = {"failed_candidates": [], "unpublished_candidates": [], "building_candidates": []}
    if not cdir.is_dir():
        return out
    published_at = published.get("built_at") if published else None
    found = []
    for path in cdir.glob("*.duckdb"):
        try:
            found.append((path.stat().st_mtime, path))
        except FileNotFoundError:
            continue  # a running build's cleanup or publish just moved it
    for mtime, path in sorted(found):
        entry = {"name": path.name.removesuffix(".duckdb"), "path": str(path), "at": _iso(mtime)}
        if path.name.startswith("failed-"):
            # ISO times in UTC compare as strings.
            entry["after_published"] = published_at is None or entry["at"] >= published_at
            out["failed_candidates"].append(entry)
        elif path.name.endswith(".building.duckdb"):
            out["building_candidates"].append(entry)
        else:
            out["unpublished_candidates"].append(entry)
    return out


def _journal(settings) -> dict | None:
    """A publish a kill interrupted: ``publish.json`` is still there, and the next run rolls it forward."""
    from pipeline.warehouse import builder

    path = builder.warehouse_dir(settings) / "publish.json"
    try:
        intent = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        intent = None
    if not isinstance(intent, dict):
        return {"path": str(path), "run": None, "candidate_present": False, "readable": False, "then_unchanged": None}
    candidate = intent.get("candidate")
    present = bool(candidate) and Path(candidate).exists()
    then = None
    if present:
        # The next build rolls this publish forward first and then plans against it, not against
        # today's published file.
        from pipeline.warehouse.builder import against_published

        outlook = against_published(settings, warehouse=Path(candidate))
        then = outlook.unchanged if outlook.published is not None else None
    return {"path": str(path), "run": intent.get("run"), "readable": True, "candidate_present": present,
            "then_unchanged": then}


def _exports(wdir: Path, published: dict | None) -> dict:
    """Where ``exports`` points, and whether that is the published run's exports."""
    link = wdir / "exports"
    run = published.get("run_id") if published else None
    if link.is_symlink():
        target = os.readlink(link)
        pointed = Path(target).name
        if not link.exists():
            problem = f"points at {target}, which does not exist"
        elif run is not None and pointed != run:
            problem = f"points at run {pointed}'s exports, not the published run {run}'s"
        else:
            problem = None
        return {"target": target, "run": pointed, "matches_published": run is not None and pointed == run,
                "problem": problem}
    if link.is_dir():
        return {"target": None, "run": None, "matches_published": False,
                "problem": "a folder from before versioned exports, not a link to a run's exports"}
    return {"target": None, "run": None, "matches_published": False,
            "problem": "missing: the published build has no exports link" if published else None}


def _lock(wdir: Path) -> dict | None:
    """The holder ``build.lock`` names: running, or dead (a killed build; the next build takes over)."""
    from pipeline.manifest import _alive
    from pipeline.warehouse.builder import _lock_info

    try:
        holder = _lock_info((wdir / "build.lock").read_text())
    except FileNotFoundError:
        return None
    if not holder:
        return None  # released: a finished build empties the file
    pid, host = holder.get("pid"), holder.get("host")
    if host == socket.gethostname() and isinstance(pid, int):
        state = "running" if _alive(pid) else "stale"
    else:
        state = "unknown"  # another host's process cannot be checked from here
    return {**holder, "state": state}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def configure(parser) -> None:
    """Arguments of ``mlgraph status``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _origin(d: dict) -> str:
    profiles = d["profiles"]
    if len(profiles) == 1:
        return {"sample": "SAMPLE", "production": "real sources",
                "unknown": "unknown: not in the manifest"}.get(next(iter(profiles)), next(iter(profiles)))
    return "mixed: " + ", ".join(f"{k}={v}" for k, v in sorted(profiles.items()))


def run(args, settings) -> int:
    """Print the status."""
    info = collect(settings)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print(f"home:      {info['home']}")
    print(f"lake:      {info['lake']}")
    print(f"warehouse: {info['warehouse']}" + ("" if info["warehouse_exists"] else "  (not built yet)"))
    print(f"profile:   {info['profile']}")
    if not info["datasets"]:
        print("lake is empty: run `mlgraph ingest sample` (or `make run`) for the sample")
    for key, d in sorted(info["datasets"].items()):
        print(f"  {key:32s} {d['partitions']:4d} partition(s), latest {d['latest']}  [{_origin(d)}]")
    for source, s in sorted(info["manifest"].items()):
        outcomes = ", ".join(f"{k}={v}" for k, v in sorted(s["outcomes"].items()))
        print(f"  ingests {source:18s} {s['ingests']:4d} ({outcomes})")
    if info["sample_mix"]:
        print(f"WARNING: {info['sample_mix']}")
    for line in warehouse_lines(info["warehouse_state"]):
        print(line)
    return 0


def _parts(parts: dict, what: str) -> list[str]:
    return [f"{' ' * 16}{ds}: {len(v)} {what} partition(s): {some_keys(v)}" for ds, v in parts.items()]


def warehouse_lines(w: dict) -> list[str]:
    """The "warehouse build" section of the text output, one finding a line."""
    p = w["published"]
    if p is None:
        lines = ["warehouse build: none published yet (run `mlgraph build`, or `make run` for the sample)"]
    elif p["error"] and not p["run_id"]:
        lines = ["warehouse build:", f"  published     the published file is there but {p['error']}"]
    else:
        rows = ", ".join(f"{t} {n:,} rows" for t, n in p["rows"].items())
        lines = ["warehouse build:",
                 f"  published     run {p['run_id']} ({p['mode']}, built {p['built_at']}, code {p['code']})"
                 + (f"; {rows}" if rows else "")]
    if w["previous"]:
        lines.append(f"  rollback to   run {w['previous']} (previous.duckdb)")
    n = w["next_build"]
    if n is not None:
        if n["unchanged"]:
            lines.append("  next build    nothing to do: the lake and the code are as the published build saw them")
        elif n["lake_changed"] is None:
            lines.append(f"  next build    full rebuild: {n['reason']}")
        else:
            if n["lake_changed"]:
                lines.append("  next build    has work: lake changed since the published build")
                lines += _parts(n["added"], "new") + _parts(n["rewritten"], "rewritten") + _parts(n["removed"], "removed")
            else:
                lines.append("  next build    lake unchanged since the published build")
            lines.append(f"  next build    full rebuild: {n['reason']}" if n["reason"] else
                         "  next build    incremental on the published build (same code)")
    for c in w["failed_candidates"]:
        when = "after the published build" if c["after_published"] else "before the published build"
        lines.append(f"  FAILED        candidate {c['name']} ({c['at']}, {when}); kept in candidates/ for inspection")
    journal_run = (w["publish_journal"] or {}).get("run")
    for c in w["unpublished_candidates"]:
        lines.append(f"  unpublished   candidate {c['name']} ({c['at']}): built, "
                     + ("its publish was interrupted (below)" if c["name"] == journal_run else "not published"))
    for c in w["building_candidates"]:
        lines.append(f"  building      candidate {c['name']} ({c['at']}): a build in progress, or a killed one "
                     "(the next build removes it)")
    j = w["publish_journal"]
    if j is not None:
        if not j["readable"]:
            lines.append(f"  PUBLISH       journal {j['path']} is unreadable: the next build, publish or rollback "
                         "discards it")
        else:
            step = "swaps its file in and its exports" if j["candidate_present"] else "its file is in; finishes its exports"
            lines.append(f"  PUBLISH       interrupted publish of run {j['run']} pending (publish.json): the next build, "
                         f"publish or rollback rolls it forward ({step})")
            if j["then_unchanged"] is not None:
                lines.append(f"{' ' * 16}against run {j['run']}, the next build then "
                             + ("has nothing to do" if j["then_unchanged"] else "still has work"))
    e = w["exports"]
    if e["problem"]:
        lines.append(f"  EXPORTS       MISMATCH: exports {e['problem']}")
    elif e["matches_published"]:
        lines.append(f"  exports       {e['target']} (the published run's)")
    elif e["target"]:
        lines.append(f"  exports       {e['target']} (not checked: the published file records no run id)")
    lock = w["lock"]
    if lock is not None:
        who = f"{lock.get('what', 'build')} pid {lock.get('pid')} on {lock.get('host')} since {lock.get('since')}"
        lines.append({"running": f"  lock          held: a {who} is running",
                      "stale": f"  lock          stale: the {who} died; the next build takes the lock over"}.get(
            lock["state"], f"  lock          held or left by a {who} (another host: not checked)"))
    return lines
