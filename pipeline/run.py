"""``mlgraph run``: the whole pipeline on the bundled sample, by running the Airflow DAGs in-process.

It is the sample demo: it always runs under the sample profile (``MLGRAPH_PROFILE=sample`` for
every task), so each ingestion task serves the sample from loopback; the real deployment runs the
same DAGs under the production profile with real source locations.

This is not a second orchestration: it executes the very DAG files in ``dags/`` with Airflow's
``dag.test()`` against a throwaway SQLite metadata database under ``<home>/airflow`` (never
``~/airflow``). Airflow reads its configuration when first imported, so the ``AIRFLOW_*``
variables are set before that import — or, if this process already imported Airflow with another
home, the run re-executes itself in a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

from pipeline.errors import MlgraphError

DAGS_DIR = Path(__file__).resolve().parents[1] / "dags"
NIGHTLY, BOOTSTRAP = "mlgraph_nightly", "mlgraph_bootstrap"


def airflow_environment(airflow_home: Path, dags_folder: Path = DAGS_DIR) -> dict[str, str]:
    """The AIRFLOW_* variables of a self-contained Airflow home with a SQLite metadata DB."""
    airflow_home = Path(airflow_home).resolve()
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dags_folder).resolve()),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home}/airflow.db",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }


def sample_environment(settings) -> dict[str, str]:
    """MLGRAPH_* variables the tasks need: this command's home, the sample profile, no retries."""
    return {"MLGRAPH_HOME": str(Path(settings.home).resolve()), "MLGRAPH_PROFILE": "sample",
            "MLGRAPH_TASK_RETRIES": "0"}


def init_airflow(airflow_home: Path, fresh: bool = True) -> None:
    """Point this process's Airflow at ``airflow_home``, create its metadata DB and the pools.

    Must run before anything imports ``airflow`` (configuration is read at import).
    """
    airflow_home = Path(airflow_home).resolve()
    if Path.home() / "airflow" == airflow_home:
        raise MlgraphError("refusing to use ~/airflow as the throwaway Airflow home")
    env = airflow_environment(airflow_home)
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != env["AIRFLOW_HOME"]:
        raise MlgraphError(f"Airflow was already imported with AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME')}")
    airflow_home.mkdir(parents=True, exist_ok=True)
    if fresh:
        for leftover in airflow_home.glob("airflow.db*"):
            leftover.unlink()
    os.environ.update(env)
    from airflow.utils import db

    from pipeline.orchestration import ensure_pools

    db.initdb()
    ensure_pools()


def load_dag(dag_id: str):
    """Parse ``dags/`` (failing on any import error) and return one DAG."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise MlgraphError("DAG import errors: " + "; ".join(f"{k}: {v}" for k, v in bag.import_errors.items()))
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise MlgraphError(f"DAG {dag_id} not found in {DAGS_DIR}")
    return dag


def task_instances(dag_id: str, run_id: str) -> dict[str, tuple[str, float | None]]:
    """(state, seconds) of every task instance of a run (mapped ones as ``task[i]``)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id).all()
        return {(ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"):
                (str(ti.state), round(ti.duration, 1) if ti.duration is not None else None) for ti in tis}


def run_dag_test(dag_id: str, **kwargs) -> dict:
    """``dag.test()`` one DAG; returns run id, state, data interval and task states; raises on failure."""
    started = time.monotonic()
    dag = load_dag(dag_id)
    dr = dag.test(**kwargs)
    tis = task_instances(dag_id, dr.run_id)
    states = {task: state for task, (state, _) in tis.items()}
    out = {"dag_id": dag_id, "run_id": dr.run_id, "state": str(dr.state), "tasks": states,
           "task_seconds": {task: seconds for task, (_, seconds) in tis.items()},
           "data_interval": [str(dr.data_interval_start), str(dr.data_interval_end)],
           "seconds": round(time.monotonic() - started, 1)}
    if str(dr.state) != "success":
        failed = sorted(t for t, s in states.items() if s not in ("success", "skipped"))
        raise MlgraphError(f"DAG {dag_id} run {dr.run_id} ended {dr.state}; not successful: {', '.join(failed)}"
                           + _gate_hint(failed))
    return out


def refuse_real_lake(settings) -> None:
    """The sample demo never writes into a lake that holds rows from real sources."""
    from pipeline.provenance import lake_provenance, some_keys

    real = sorted(k for k, v in lake_provenance(settings).items() if "production" in v["profiles"])
    if real:
        raise MlgraphError(f"`mlgraph run` is the sample demo, and the lake at {settings.lake} holds rows from "
                           f"real sources ({some_keys(real)}): run it with a separate MLGRAPH_HOME (or --home)")


_TASK_ERROR = re.compile(r"^(pipeline\.[\w.]*(?:Error|Exception)): (.*)$")


def task_errors(log_path: Path, start: int = 0, most: int = 3) -> list[str]:
    """Our own errors that failed tasks logged after byte ``start`` of the Airflow log (last ``most``, distinct)."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(start)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    found: list[str] = []
    for line in text.splitlines():
        m = _TASK_ERROR.match(line)
        if m and m.group(2) not in found:
            found.append(m.group(2))
    return found[-most:]


def _gate_hint(failed: list[str]) -> str:
    if "quality_gates" not in failed:
        return ""
    from pipeline.orchestration import settings

    runs = sorted((Path(settings().home) / "quality").glob("*/summary.txt"), key=lambda p: p.stat().st_mtime)
    return f"\n{runs[-1].read_text()}" if runs else ""


@contextmanager
def output_to(log_path: Path, verbose: bool = False):
    """Send this process's stdout/stderr (Airflow's task logs included) to ``log_path``.

    Airflow logs every task step at INFO to the console; on a terminal that buries the summary a
    user ran the command for, so the log goes to a file the summary points at (``-v`` keeps it).
    """
    if verbose:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def nightly_logical_date(day: date) -> datetime:
    """The logical date whose @daily data interval is exactly ``day`` (Airflow infers [day, day+1))."""
    return datetime.combine(day + timedelta(days=1), dtime(0, 0), tzinfo=timezone.utc)


def sample_plan(sample_dir: Path) -> dict:
    """Bootstrap months and the nightly day covering the sample's OAI windows."""
    windows = json.loads((Path(sample_dir) / "sample.json").read_text())["oai_windows"]
    last = date.fromisoformat(windows[-1][1])
    return {"start": windows[0][0][:7], "end": windows[-1][0][:7], "nightly_day": last}


def _day_arg(text: str) -> date:
    from pipeline.ingest import parse_date

    return parse_date(text)


def configure(parser) -> None:
    """Arguments of ``mlgraph run``."""
    parser.add_argument("--dag", choices=["all", "bootstrap", "nightly"], default="all",
                        help="which DAG(s) to run: the bootstrap (snapshot + monthly OAI windows) then the "
                             "nightly (default), or one of them")
    parser.add_argument("--day", type=_day_arg,
                        help="the nightly's day to harvest (YYYY-MM-DD; default: the sample's last day)")
    parser.add_argument("--sample", action="store_true", default=True,
                        help="run under the sample profile (always: `mlgraph run` is the sample demo)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")


def run(args, settings) -> int:
    """Run the DAGs on the sample with dag.test(), then print the digest and where things are."""
    refuse_real_lake(settings)
    env = sample_environment(settings)
    if getattr(args, "config", None):
        env["MLGRAPH_CONFIG"] = str(Path(args.config).resolve())
    airflow_home = Path(settings.home).resolve() / "airflow"
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow_home):
        cmd = [sys.executable, "-m", "pipeline.cli", "--home", str(settings.home), "run", "--dag", args.dag]
        if args.day:
            cmd += ["--day", args.day.isoformat()]
        if args.json:
            cmd.append("--json")
        return subprocess.run(cmd, env={**os.environ, **env, **airflow_environment(airflow_home)}).returncode
    os.environ.update(env)
    from pipeline.config import load_settings
    from pipeline.sample import ensure_sample

    settings = load_settings()
    t0 = time.monotonic()
    sample_dir = ensure_sample(settings)
    plan = sample_plan(sample_dir)
    day = args.day or plan["nightly_day"]
    log_path = airflow_home / "run.log"
    verbose = bool(getattr(args, "verbose", 0))
    runs = []
    todo = []
    if args.dag in ("all", "bootstrap"):
        todo.append((BOOTSTRAP, {"run_conf": {"start": plan["start"], "end": plan["end"]}},
                     f"snapshot + OAI windows {plan['start']}..{plan['end']} + PwC + S2, build, gates, publish"))
    if args.dag in ("all", "nightly"):
        todo.append((NIGHTLY, {"logical_date": nightly_logical_date(day)},
                     f"the night of {day}: OAI window, S2, PwC check, build, gates, publish"))
    if not args.json:
        print(f"sample: {sample_dir}  (Airflow task logs: {log_path})", flush=True)
    with output_to(log_path, verbose):
        init_airflow(airflow_home)
    for dag_id, kwargs, what in todo:
        if not args.json:
            print(f"running {dag_id}: {what} ...", flush=True)
        log_start = log_path.stat().st_size if log_path.exists() else 0
        try:
            with output_to(log_path, verbose):
                runs.append(run_dag_test(dag_id, **kwargs))
        except MlgraphError as exc:
            why = "".join(f"\n  {line}" for line in task_errors(log_path, log_start))
            raise MlgraphError(f"{exc}{why}\n(full Airflow log: {log_path})") from None
        if not args.json:
            r = runs[-1]
            print(f"  {r['state']} in {r['seconds']} s ({len(r['tasks'])} task instances)", flush=True)
    from pipeline import summary
    from pipeline.orchestration import digest

    with output_to(log_path, verbose):  # digest() also logs it for the Airflow task log
        text = digest(settings.warehouse, cfg=settings)
    quality = sorted((settings.home / "quality").glob("*/summary.txt"), key=lambda p: p.stat().st_mtime)
    where = {"home": str(settings.home.resolve()), "lake": str(settings.lake.resolve()),
             "warehouse": str(settings.warehouse.resolve()),
             "quality_results": str(quality[-1].parent) if quality else None,
             "airflow_home": str(airflow_home), "seconds": round(time.monotonic() - t0, 1)}
    if args.json:
        print(json.dumps({"runs": runs, "where": where, "digest": text}, indent=2, default=str))
        return 0
    print()
    print(summary.format_lake_rows(summary.lake_rows(settings)))
    print()
    print(summary.headline_rows(settings.warehouse))
    print()
    print(text)
    print()
    # the duckdb Python package is installed, its CLI need not be
    print(f"query it:        {sys.executable} -c \"import duckdb; print(duckdb.connect('{where['warehouse']}', "
          f"read_only=True).sql('SHOW TABLES'))\"   (or the duckdb CLI: duckdb -readonly <path>)")
    print(f"lake:            {where['lake']}")
    print(f"quality results: {where['quality_results']}")
    print(f"airflow home:    {where['airflow_home']}   (throwaway metadata DB; log: {log_path})")
    print(f"total: {where['seconds']} s — `mlgraph status` lists what was ingested")
    print(f"report:          {settings.warehouse.resolve().parent / 'exports' / 'report' / 'index.html'}")
    return 0
