"""What a warehouse build step receives besides its DuckDB connection."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Settings


@dataclass
class BuildContext:
    """Per-build facts handed to every Python step: ``step(con, ctx) -> None``.

    ``exports_dir`` belongs to this candidate build (GraphML/Parquet exports, the data
    dictionary); it is published together with the warehouse file. ``published`` is the
    warehouse this candidate would replace (None on a first build): incremental steps may read
    their previous results from it, read-only, and must give what a full build would. During an
    incremental build the runner has it attached to ``con`` as ``_mlgraph_published``
    (``pipeline.warehouse.incremental.PUBLISHED``); a step may also ATTACH it itself. ``mlgraph
    build --full`` sets it to None. A build that is full because the code changed still sets it:
    a step that reuses previous results must check that they are still valid (e.g. by version).
    """

    settings: Settings
    exports_dir: Path
    run_id: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mlgraph.warehouse"))
    candidate: Path | None = None
    published: Path | None = None
