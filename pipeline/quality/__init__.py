"""Data-quality gates (Great Expectations) between building and publishing the warehouse.

``run_gates(settings, candidate, previous=None) -> GateReport`` validates the raw lake and a
candidate warehouse and raises :class:`pipeline.errors.QualityGateError` when any expectation
fails. GX itself is imported only when gates run.
"""

from pipeline.quality.gates import Failure, GateReport, run_gates

__all__ = ["Failure", "GateReport", "run_gates"]
