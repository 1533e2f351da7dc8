"""docker-compose.yml: a CeleryExecutor deployment that validates and is wired as documented."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _docker_compose(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose to run this check)")
    return subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_docker_compose_config_validates(tmp_path):
    result = _docker_compose("-f", "docker-compose.yml", "--env-file", ".env.example", "config", "-q")
    assert result.returncode == 0, result.stderr
    # Without real source locations the deployment does not start, and says which one is missing.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _docker_compose("-f", str(COMPOSE), "--env-file", str(empty), "config", "-q", cwd=tmp_path)
    assert result.returncode != 0 and "MLGRAPH_" in result.stderr, result.stderr


SOURCE_VARS = ("MLGRAPH_ARXIV_OAI_URL", "MLGRAPH_ARXIV_SNAPSHOT", "MLGRAPH_PWC_DUMPS", "MLGRAPH_S2_API_URL")


def test_sources_are_required_and_the_example_sets_them(compose):
    env = compose["x-airflow-common"]["environment"]
    assert env["MLGRAPH_PROFILE"] == "production"
    for var in SOURCE_VARS:
        assert re.fullmatch(r"\$\{%s:\?.+\}" % var, env[var]), (var, env[var])
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                   if line.strip() and not line.startswith("#"))
    for var in SOURCE_VARS:
        assert example.get(var, "").strip(), f"{var} is blank in .env.example"
    assert example["MLGRAPH_ARXIV_OAI_URL"] == "https://oaipmh.arxiv.org/oai"
    assert example["MLGRAPH_S2_API_URL"] == "https://api.semanticscholar.org/graph/v1"


def test_the_validator_rejects_a_broken_file(tmp_path):
    # Proves the check above can fail: an unknown key and a dangling depends_on are refused.
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["airflow-worker"]["scale_me"] = 2
    broken["services"]["airflow-scheduler"]["depends_on"] = {"nonexistent": {"condition": "service_healthy"}}
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(broken))
    result = _docker_compose("-f", "docker-compose.yml", "config", "-q", cwd=tmp_path)
    assert result.returncode != 0


def test_services_of_a_celery_deployment(compose):
    services = compose["services"]
    assert {"postgres", "redis"} | AIRFLOW_SERVICES <= set(services)
    commands = {name: " ".join(s["command"]) if isinstance(s.get("command"), list) else s.get("command", "")
                for name, s in services.items()}
    assert "api-server" in commands["airflow-apiserver"]
    assert "scheduler" in commands["airflow-scheduler"]
    assert "dag-processor" in commands["airflow-dag-processor"]
    assert "triggerer" in commands["airflow-triggerer"]
    assert "celery worker" in commands["airflow-worker"]
    init = commands["airflow-init"]
    assert "airflow db migrate" in init and "ensure_pools" in init
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://"), name
        assert env["MLGRAPH_HOME"] == "/data/mlgraph", name
        assert "mlgraph-data:/data/mlgraph" in services[name]["volumes"], name   # shared lake + warehouse


def test_worker_scales_and_services_wait_for_their_dependencies(compose):
    services = compose["services"]
    worker = services["airflow-worker"]
    assert "container_name" not in worker           # --scale airflow-worker=N needs distinct names
    assert worker["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    for name, service in services.items():
        for dep in service.get("depends_on", {}):
            assert dep in services, (name, dep)
    assert {"postgres-db", "mlgraph-data"} <= set(compose["volumes"])


def test_secrets_come_from_env_and_only_the_example_is_committed(compose):
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert used <= set(example), used - set(example)
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"):
        assert f"${{{secret}}}" in text
    assert "change-me" not in text                   # no literal secrets in the compose file
    assert ".env" in (REPO / ".gitignore").read_text().split()
