"""Fault-injection hook for the crash tests: ``MLGRAPH_FAULT_KILL=point[@n]`` SIGKILLs the process.

The kill matrix in ``tests/faults/`` runs the CLI in a subprocess with this variable set, so a kill
lands exactly between two steps of a commit or a publish; unset (always, outside tests) it costs one
dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def point(name: str) -> None:
    """Die here (SIGKILL, no cleanup) if the fault variable names this point and its hit count."""
    target = os.environ.get("MLGRAPH_FAULT_KILL")
    if not target:
        return
    wanted, _, nth = target.partition("@")
    if wanted != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
