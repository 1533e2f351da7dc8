"""The DuckDB warehouse: SQL models + YAML docs, built into a candidate file and published atomically.

``build(settings) -> Path`` makes a candidate, ``publish(settings, candidate) -> Path`` swaps it in,
``build_and_publish(settings, gates=True) -> Path`` does both with the quality gates in between;
``rollback(settings) -> Path`` swaps the previously published warehouse back.
"""

from pipeline.warehouse.builder import audit, build, build_and_publish, publish, rollback
from pipeline.warehouse.context import BuildContext
from pipeline.warehouse.contracts import build_order, discover_models
from pipeline.warehouse.runner import run_model_tests

__all__ = ["build", "audit", "publish", "build_and_publish", "rollback", "BuildContext", "build_order",
           "discover_models", "run_model_tests"]
