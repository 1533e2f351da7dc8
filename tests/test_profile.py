"""The sample profile versus real sources: blank settings fail, provenance is recorded and shown,
the build refuses a lake that mixes the two, and the fake servers share no code with the clients."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.errors import ConfigError
from pipeline.manifest import Manifest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PKG = REPO / "pipeline" / "sample"
FAKE_SERVERS = ("oai_server.py", "file_server.py", "s2_server.py")
# Everything that produces the sample; only sources.py and ingest.py (which drive the real
# clients against the fake servers) may import the clients.
SAMPLE_PRODUCERS = FAKE_SERVERS + ("simulate.py", "truth.py", "cache.py", "generator.py", "catalog.py",
                                   "text.py", "writers/__init__.py", "writers/arxiv.py", "writers/pwc.py",
                                   "writers/s2.py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("name", SAMPLE_PRODUCERS)
def test_the_sample_imports_nothing_from_the_clients(name):
    imported = _imports(SAMPLE_PKG / name)
    assert not [m for m in imported if m == "pipeline.sources" or m.startswith("pipeline.sources.")], imported
    # nor anything else of the pipeline but the sample package itself
    assert not [m for m in imported if m.startswith("pipeline.") and not m.startswith("pipeline.sample")], imported


def test_the_fake_servers_load_without_the_clients():
    code = ("import sys; import pipeline.sample.oai_server, pipeline.sample.file_server, pipeline.sample.s2_server; "
            "print([m for m in sys.modules if m.startswith('pipeline.sources')])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_analysis_test_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from pipeline.sources.pwc.client import file_sha256\nimport pipeline.sources.arxiv.parser\n")
    assert {"pipeline.sources.pwc.client", "pipeline.sources.arxiv.parser"} <= _imports(bad)


def test_profile_setting():
    assert load_settings(env={}).profile == "production"
    assert load_settings(env={"MLGRAPH_PROFILE": "sample"}).profile == "sample"
    assert load_settings(env={"MLGRAPH_PROFILE": ""}).profile == "production"
    with pytest.raises(ConfigError, match="MLGRAPH_PROFILE must be one of production, sample"):
        load_settings(env={"MLGRAPH_PROFILE": "demo"})


@pytest.mark.parametrize("argv, variable", [
    (["ingest", "arxiv", "--from", "2025-01-01", "--until", "2025-01-31"], "MLGRAPH_ARXIV_OAI_URL"),
    (["ingest", "arxiv-snapshot"], "MLGRAPH_ARXIV_SNAPSHOT"),
    (["ingest", "pwc"], "MLGRAPH_PWC_DUMPS"),
    (["ingest", "s2"], "MLGRAPH_S2_API_URL"),
])
def test_a_blank_source_fails_before_any_download_naming_it(settings, capsys, argv, variable):
    assert main(["--home", str(settings.home), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"error: {variable} is not set" in err and "Traceback" not in err
    assert not settings.home.exists()  # no manifest row, no sample, no lake


@pytest.mark.parametrize("argv, message", [
    (["ingest", "arxiv", "--from", "2025-13-01", "--until", "2025-12-31"], "not a date (YYYY-MM-DD): '2025-13-01'"),
    (["ingest", "arxiv", "--from", "2025-01-01", "--until", "soon"], "not a date (YYYY-MM-DD): 'soon'"),
    (["ingest", "s2", "--limit", "ten"], "not an integer: 'ten'"),
    (["ingest", "s2", "--limit", "-1"], "must be at least 0"),
    (["run", "--day", "2025-02-30"], "not a date"),
    (["build", "--threads", "many"], "not an integer: 'many'"),
    (["build", "--threads", "0"], "must be at least 1"),
    (["build", "--memory-limit", "lots"], "not a memory size"),
    (["sample", "--papers", "1e3"], "invalid int value"),
])
def test_bad_arguments_print_one_line_and_exit_2(settings, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--home", str(settings.home), *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err and "usage:" not in err


def test_an_unreadable_classify_input_is_one_line(settings, capsys, tmp_path):
    assert main(["--home", str(settings.home), "classify", "--input", str(tmp_path / "absent.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot open" in err and "absent.jsonl" in err


def test_sample_profile_then_real_data_is_shown_and_the_build_refuses_the_mix(settings, monkeypatch, capsys, tmp_path):
    home = str(settings.home)
    monkeypatch.setenv("MLGRAPH_SAMPLE_PAPERS", "400")
    monkeypatch.setenv("MLGRAPH_PROFILE", "sample")
    assert main(["--home", home, "ingest", "pwc", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert {r["outcome"] for r in results} == {"ok"} and {r["profile"] for r in results} == {"sample"}
    assert all(r["url"].startswith("http://127.0.0.1:") for r in results)  # served, not read from disk

    assert main(["--home", home, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["profile"] == "sample" and status["sample_mix"] is None
    assert status["datasets"]["pwc/methods"]["sample"] is True
    assert status["datasets"]["pwc/methods"]["profiles"] == {"sample": 1}

    # Now a production ingest into the same home (real-format files from a directory).
    monkeypatch.delenv("MLGRAPH_PROFILE")
    real = tmp_path / "real-pwc"
    shutil.copytree(settings.sample_dir / "pwc", real)
    monkeypatch.setenv("MLGRAPH_PWC_DUMPS", str(real))
    assert main(["--home", home, "ingest", "pwc", "--only", "methods", "--force"]) == 0
    capsys.readouterr()
    assert main(["--home", home, "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["datasets"]["pwc/methods"] == {**status["datasets"]["pwc/methods"],
                                                 "profiles": {"production": 1}, "sample": False}
    assert status["datasets"]["pwc/papers"]["sample"] is True
    assert "mixes synthetic sample rows" in status["sample_mix"]
    assert main(["--home", home, "status"]) == 0
    text = capsys.readouterr().out
    assert "pwc/methods" in text and "[real sources]" in text and "[SAMPLE]" in text and "WARNING" in text

    assert main(["--home", home, "build", "--no-gates"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mixes synthetic sample rows" in err and "--allow-sample-mix" in err
    assert not (settings.home / "warehouse").exists()
    profiles = [e["profile"] for e in Manifest(settings.state).entries()]
    assert profiles.count("production") == 1 and profiles.count("sample") == 5

    # the sample demo refuses a home whose lake holds real rows, before it writes anything
    assert main(["--home", home, "run", "--dag", "bootstrap"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is the sample demo" in err and "pwc/methods" in err
    assert [e["profile"] for e in Manifest(settings.state).entries()] == profiles


def test_orchestration_tasks_serve_the_sample_only_under_the_sample_profile(settings):
    from pipeline import orchestration

    with pytest.raises(ConfigError, match="MLGRAPH_PWC_DUMPS is not set"):
        orchestration.refresh_pwc(settings)
    results = orchestration.refresh_pwc(replace(settings, profile="sample", sample_papers=400))
    assert {r["profile"] for r in results} == {"sample"} and {r["outcome"] for r in results} == {"ok"}


def test_a_failed_run_names_the_errors_its_tasks_logged(tmp_path):
    from pipeline.run import task_errors

    log = tmp_path / "run.log"
    log.write_text("old run\npipeline.errors.ConfigError: from an earlier run\n")
    start = log.stat().st_size
    with open(log, "a") as fh:
        fh.write('Traceback (most recent call last):\n  File "x.py", line 1\n'
                 "pipeline.errors.SuspectShrinkError: pwc/methods would shrink from 1924 to 113 rows\n"
                 "2026-12-04T01:07:30Z [info] Task instance state updated\n"
                 "pipeline.errors.SuspectShrinkError: pwc/methods would shrink from 1924 to 113 rows\n"
                 "ValueError: not ours\n")
    assert task_errors(log, start) == ["pwc/methods would shrink from 1924 to 113 rows"]
    assert task_errors(log) == ["from an earlier run", "pwc/methods would shrink from 1924 to 113 rows"]
    assert task_errors(tmp_path / "absent.log") == []


def test_run_puts_its_tasks_under_the_sample_profile(settings):
    from pipeline.run import sample_environment

    env = sample_environment(settings)
    assert env["MLGRAPH_PROFILE"] == "sample"
    assert load_settings(env=env).profile == "sample"
