# Everything bootstraps from python3 alone: a tools venv with a pinned uv, then the locked env.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
MLGRAPH_HOME ?= $(CURDIR)/mlgraph-data
export MLGRAPH_HOME

.PHONY: help setup run test test-slow test-all test-distributed test-report bench lint clean

help:
	@echo "make run              - whole pipeline on the bundled sample (no network)"
	@echo "make test             - the test suite (offline, < 10 min; long runs excluded)"
	@echo "make test-slow        - the long runs (marker slow: kill matrix, fuzz, coverage, dag.test)"
	@echo "make test-distributed - Airflow + Celery + PostgreSQL + Redis on loopback"
	@echo "make test-report      - the report of the sample in headless Chromium (installs it)"
	@echo "make bench            - benchmarks (numbers go in README.md)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/mlgraph run

test: setup
	$(VENV)/bin/python -m pytest -m "not distributed and not slow and not browser" -q

# Long runs (end-to-end DAG runs, kill matrix, fuzz, interval coverage over seeds); .ci/run calls it.
test-slow: setup
	$(VENV)/bin/python -m pytest -m "slow and not distributed and not browser" -q

test-all: test test-slow

test-distributed: setup
	bash scripts/test-distributed.sh

test-report: setup
	bash scripts/test-report.sh

bench: setup
	$(VENV)/bin/python bench/run_all.py

clean:
	rm -rf $(TOOLS) $(VENV) mlgraph-data .pytest_cache
