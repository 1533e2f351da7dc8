#!/usr/bin/env bash
# Prove the scale-out for real, without Docker: PostgreSQL + Redis from the OS packages on loopback,
# an Airflow scheduler, dag-processor and api-server, and TWO Celery workers as separate processes.
# Triggers the nightly DAG on the bundled sample, waits (bounded) for success, then asserts from
# the metadata DB that task instances ran on both workers and that the warehouse was published.
#
#   scripts/test-distributed.sh            # the nightly DAG on the sample (make test-distributed)
#   scripts/test-distributed.sh --smoke    # infrastructure only: a trivial fan-out DAG
#
# Environment: MLGRAPH_DIST_PG_PORT (55432), MLGRAPH_DIST_REDIS_PORT (56379), MLGRAPH_DIST_API_PORT
# (58080), MLGRAPH_DIST_TIMEOUT seconds (900), MLGRAPH_DIST_KEEP=1 keeps the temp dir for a look.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$REPO/.venv}"
PY="$VENV/bin/python"
AIRFLOW="$VENV/bin/airflow"
PG_PORT="${MLGRAPH_DIST_PG_PORT:-55432}"
REDIS_PORT="${MLGRAPH_DIST_REDIS_PORT:-56379}"
API_PORT="${MLGRAPH_DIST_API_PORT:-58080}"
TIMEOUT="${MLGRAPH_DIST_TIMEOUT:-900}"
MODE="nightly"
[[ "${1:-}" == "--smoke" ]] && MODE="smoke"

T0=$(date +%s)
WORK="$(mktemp -d /tmp/mlgraph-distributed.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
PG_CTL=""
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

cleanup() {
    local rc=$?
    set +e
    log "cleaning up (exit code $rc)"
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 1 20); do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.5
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    if [[ -n "$PG_CTL" && -f "$WORK/pg/data/postmaster.pid" ]]; then
        as_pg "$PG_CTL" -D "$WORK/pg/data" -m fast stop >/dev/null 2>&1
    fi
    if (( rc != 0 )); then
        for f in "$WORK"/logs/*.log; do
            [[ -f "$f" ]] || continue
            echo "----- last lines of $(basename "$f") -----"; tail -n 25 "$f"
        done
    fi
    if [[ "${MLGRAPH_DIST_KEEP:-0}" == "1" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
    log "total wall time $(( $(date +%s) - T0 )) s"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: use the postgres account the package creates.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# --- 1. OS services ------------------------------------------------------------------------
find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [[ -z "$(find_pg_bin)" ]] || ! command -v redis-server >/dev/null; then
    log "installing postgresql and redis-server from the OS packages"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql redis-server >/dev/null
fi
PG_BIN="$(find_pg_bin)"
PG_CTL="$PG_BIN/pg_ctl"
mkdir -p "$WORK/pg/data" "$WORK/pg/sock" "$WORK/redis" "$WORK/logs" "$WORK/airflow" "$WORK/home"
[[ $(id -u) -eq 0 ]] && chown -R postgres: "$WORK/pg"

log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U airflow --auth=trust -E UTF8 >/dev/null
as_pg "$PG_CTL" -D "$WORK/pg/data" -l "$WORK/pg/postgres.log" -w -t 60 start \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg/sock -c max_connections=200 -c fsync=off" >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U airflow airflow

log "starting Redis on 127.0.0.1:$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/redis" \
    >"$WORK/logs/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.2
done

# --- 2. Airflow home with the CeleryExecutor ----------------------------------------------
DAGS="$REPO/dags"
if [[ "$MODE" == "smoke" ]]; then
    DAGS="$WORK/dags"
    mkdir -p "$DAGS"
    cat >"$DAGS/distributed_smoke.py" <<'PYDAG'
"""Infrastructure smoke test: eight independent tasks for two Celery workers."""
import socket
import time
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="distributed_smoke", schedule=None, start_date=datetime(2025, 1, 1), catchup=False,
     tags=["test"], doc_md="Fan-out smoke test for the distributed setup.", default_args={"retries": 1})
def distributed_smoke():
    @task
    def work(i: int) -> str:
        time.sleep(3)
        return f"{i} on {socket.gethostname()}"

    work.expand(i=list(range(8)))


distributed_smoke()
PYDAG
    DAG_ID="distributed_smoke"
else
    DAG_ID="mlgraph_nightly"
fi

# Both workers run on this host, so each reports its own name through a hostname callable:
# that is what lands in task_instance.hostname and lets the check tell the workers apart.
mkdir -p "$WORK/pylib"
cat >"$WORK/pylib/mlgraph_worker_name.py" <<'PYHOST'
"""Per-process hostname for Airflow (two workers on one machine)."""
import os
import socket


def hostname() -> str:
    """MLGRAPH_WORKER_NAME when set (a test worker), else the machine's FQDN."""
    return os.environ.get("MLGRAPH_WORKER_NAME") or socket.getfqdn()
PYHOST

export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$WORK/pylib${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW_HOME="$WORK/airflow"
export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_FOLDER="$DAGS"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
export AIRFLOW__CORE__HOSTNAME_CALLABLE=mlgraph_worker_name.hostname
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$API_PORT/execution/"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://airflow@127.0.0.1:$PG_PORT/airflow"
# Airflow 3's async engine (used by the API server) needs an async driver: asyncpg (extra `distributed`).
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC="postgresql+asyncpg://airflow@127.0.0.1:$PG_PORT/airflow"
export AIRFLOW__CELERY__BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql+psycopg2://airflow@127.0.0.1:$PG_PORT/airflow"
export AIRFLOW__CELERY__WORKER_CONCURRENCY=1
export AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER=1
export AIRFLOW__API_AUTH__JWT_SECRET="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export AIRFLOW__API__SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
export AIRFLOW__API__PORT="$API_PORT"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$API_PORT"
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False          # only our triggered run, no cron runs
export AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$WORK/airflow/logs"
export MLGRAPH_HOME="$WORK/home"
export MLGRAPH_SAMPLE_PAPERS="${MLGRAPH_SAMPLE_PAPERS:-1500}"
# The sample profile: every ingestion task, on whichever worker, serves the sample from loopback.
export MLGRAPH_PROFILE=sample
export MLGRAPH_OAI_DELAY_SECONDS=0 MLGRAPH_S2_REQUESTS_PER_SECOND=0 MLGRAPH_TASK_RETRIES=1

log "airflow db migrate"
"$AIRFLOW" db migrate >"$WORK/logs/migrate.log" 2>&1
"$PY" -c "from pipeline.orchestration import ensure_pools; print('pools:', ensure_pools())"

if [[ "$MODE" == "nightly" ]]; then
    # Generate the sample once up front: parallel tasks on two workers must not race to create it.
    log "generating the bundled sample ($MLGRAPH_SAMPLE_PAPERS papers)"
    LOGICAL_DATE="$("$PY" - <<'PYPLAN'
from pipeline.config import load_settings
from pipeline.run import nightly_logical_date, sample_plan
from pipeline.sample import ensure_sample

plan = sample_plan(ensure_sample(load_settings()))
print(nightly_logical_date(plan["nightly_day"]).isoformat())
PYPLAN
)"
fi

# --- 3. Airflow processes ------------------------------------------------------------------
start_proc() {  # name, command...
    local name=$1; shift
    "$@" >"$WORK/logs/$name.log" 2>&1 &
    PIDS+=($!)
    log "started $name (pid $!)"
}
start_proc api-server "$AIRFLOW" api-server --port "$API_PORT" --host 127.0.0.1
start_proc scheduler "$AIRFLOW" scheduler
start_proc dag-processor "$AIRFLOW" dag-processor
MLGRAPH_WORKER_NAME=worker-1 start_proc worker-1 "$AIRFLOW" celery worker --celery-hostname "worker-1@%h" --concurrency 1
MLGRAPH_WORKER_NAME=worker-2 start_proc worker-2 "$AIRFLOW" celery worker --celery-hostname "worker-2@%h" --concurrency 1

wait_for() {  # description, seconds, python condition printing "ok"
    local what=$1 limit=$2 code=$3 deadline=$(( $(date +%s) + $2 ))
    until [[ "$("$PY" -c "$code" 2>/dev/null)" == "ok" ]]; do
        if (( $(date +%s) > deadline )); then log "timed out after ${limit}s waiting for $what"; return 1; fi
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null || { log "a service process ($pid) died while waiting for $what"; return 1; }
        done
        sleep 2
    done
    log "ready: $what"
}
DB_PY="import psycopg2; c = psycopg2.connect(host='127.0.0.1', port=$PG_PORT, user='airflow', dbname='airflow'); cur = c.cursor()"
wait_for "api-server" 120 "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$API_PORT/api/v2/version', timeout=3); print('ok')"
wait_for "DAG $DAG_ID parsed" 180 "$DB_PY; cur.execute(\"select count(*) from dag where dag_id = '$DAG_ID'\"); print('ok' if cur.fetchone()[0] else '')"
wait_for "two Celery workers" 120 "
import subprocess
out = subprocess.run(['celery', '--broker', 'redis://127.0.0.1:$REDIS_PORT/0', 'inspect', 'ping', '--timeout', '2'], capture_output=True, text=True).stdout
print('ok' if 'worker-1@' in out and 'worker-2@' in out else '')"

# --- 4. Trigger and wait -------------------------------------------------------------------
RUN_ID="distributed__$(date +%s)"
"$AIRFLOW" dags unpause "$DAG_ID" >/dev/null
if [[ "$MODE" == "nightly" ]]; then
    "$AIRFLOW" dags trigger "$DAG_ID" --run-id "$RUN_ID" --logical-date "$LOGICAL_DATE" >/dev/null
else
    "$AIRFLOW" dags trigger "$DAG_ID" --run-id "$RUN_ID" >/dev/null
fi
log "triggered $DAG_ID run $RUN_ID; waiting up to ${TIMEOUT}s"
T_RUN=$(date +%s)
wait_for "run $RUN_ID to finish" "$TIMEOUT" "$DB_PY; cur.execute(\"select state from dag_run where run_id = '$RUN_ID'\"); r = cur.fetchone(); print('ok' if r and r[0] in ('success', 'failed') else '')"
RUN_SECONDS=$(( $(date +%s) - T_RUN ))

# --- 5. Assertions from the metadata DB ----------------------------------------------------
MODE="$MODE" RUN_ID="$RUN_ID" DAG_ID="$DAG_ID" RUN_SECONDS="$RUN_SECONDS" PG_PORT="$PG_PORT" "$PY" - <<'PYCHECK'
import json
import os
import sys
from collections import Counter

import psycopg2

con = psycopg2.connect(host="127.0.0.1", port=int(os.environ["PG_PORT"]), user="airflow", dbname="airflow")
cur = con.cursor()
run_id, dag_id = os.environ["RUN_ID"], os.environ["DAG_ID"]
cur.execute("select state from dag_run where dag_id = %s and run_id = %s", (dag_id, run_id))
state = cur.fetchone()[0]
cur.execute("select task_id, map_index, state, hostname from task_instance where dag_id = %s and run_id = %s "
            "order by start_date", (dag_id, run_id))
tis = cur.fetchall()
for task_id, map_index, ti_state, host in tis:
    label = task_id if map_index < 0 else f"{task_id}[{map_index}]"
    print(f"  {label:28s} {ti_state:10s} {host}")
hosts = Counter(host for *_, host in tis if host)
problems = []
if state != "success":
    problems.append(f"run ended {state}")
if not {"worker-1", "worker-2"} <= set(hosts):
    problems.append(f"tasks did not run on both workers: {dict(hosts)}")
summary = {"mode": os.environ["MODE"], "dag_id": dag_id, "run_id": run_id, "state": state,
           "task_instances": len(tis), "per_worker": dict(hosts), "run_seconds": int(os.environ["RUN_SECONDS"])}
if os.environ["MODE"] == "nightly":
    from pipeline.config import load_settings

    warehouse = load_settings().warehouse
    summary["warehouse"] = str(warehouse)
    if not warehouse.exists():
        problems.append(f"warehouse {warehouse} was not published")
    else:
        import duckdb

        with duckdb.connect(str(warehouse), read_only=True) as wh:
            summary["warehouse_tables"] = wh.execute(
                "select count(*) from information_schema.tables where table_schema = 'main'").fetchone()[0]
print(json.dumps(summary))
if problems:
    print("FAILED: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print("distributed run OK: tasks ran on " + " and ".join(sorted(hosts)))
PYCHECK
log "DAG run took ${RUN_SECONDS}s after trigger"
