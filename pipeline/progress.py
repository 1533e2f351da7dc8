"""Progress bars for long work; silent when stderr is not a terminal (Airflow logs, CI)."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


def enabled() -> bool:
    """Whether to draw bars: MLGRAPH_PROGRESS=1/0 forces, otherwise only on a terminal."""
    forced = os.environ.get("MLGRAPH_PROGRESS")
    if forced is not None:
        return forced not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def bar(iterable=None, *, total=None, desc: str = "", unit: str = "it", **kw) -> tqdm:
    """A tqdm bar, disabled unless :func:`enabled`."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled(),
                dynamic_ncols=True, leave=False, **kw)
