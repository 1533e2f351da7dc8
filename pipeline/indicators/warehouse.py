"""Build steps for the ``ind_`` tables that need NumPy (bootstrap intervals, fits, sampling).

Each function here is a Python step declared in ``warehouse/indicators/ind_*.yml``
(``step: "pipeline.indicators.warehouse:NAME"`` with its ``inputs``); the indicators that are
plain SQL are ``.sql`` models in ``warehouse/indicators/``. The warehouse runner orders all of
them from those declarations. :func:`build_indicators` builds the whole indicators layer on a
connection that already holds the marts (tests and benchmarks use it).
"""

from __future__ import annotations

import logging
import time

from pipeline.indicators import attachment, citations, diversity, durations, ecosystem, kappa, lockin, shares, unification_null


def _log(ctx) -> logging.Logger:
    return getattr(ctx, "log", None) or logging.getLogger("pipeline.indicators")


def family_shares(con, ctx) -> None:
    """ind_family_share, ind_concentration, ind_unification."""
    shares.build_shares(con, _log(ctx))


def unification_corrected(con, ctx) -> None:
    """ind_unification_corrected."""
    unification_null.build_unification_corrected(con, _log(ctx))


def methodological_diversity(con, ctx) -> None:
    """ind_diversity."""
    diversity.build_diversity(con, _log(ctx))


def lockin_kappa(con, ctx) -> None:
    """ind_lockin_kappa."""
    kappa.build_lockin_kappa(con, _log(ctx))


def switching_hazard(con, ctx) -> None:
    """ind_switching_hazard."""
    durations.build_switching_hazard(con, _log(ctx))


def lock_in(con, ctx) -> None:
    """ind_transition_matrix, ind_lockin, ind_lockin_stationary, ind_switch_rate, ind_switch_penalty."""
    lockin.build_all(con, _log(ctx))


def preferential_attachment(con, ctx) -> None:
    """ind_preferential_attachment."""
    attachment.build_attachment(con, _log(ctx))


def citation_concentration(con, ctx) -> None:
    """ind_citation_family_share, ind_citation_gini."""
    citations.build_citation_share(con, _log(ctx))


def cd_index(con, ctx) -> None:
    """ind_cd_index, ind_cd_family_year."""
    citations.build_cd_index(con, _log(ctx))


def leaderboard(con, ctx) -> None:
    """ind_leaderboard_dominance."""
    ecosystem.build_leaderboard(con, _log(ctx))


def frameworks(con, ctx) -> None:
    """ind_framework_share, ind_framework_switch_rate."""
    ecosystem.build_frameworks(con, _log(ctx))


def build_indicators(con, ctx, timings: dict | None = None) -> None:
    """Build every indicators-layer model (SQL and Python) in declared order on ``con``.

    The marts they read should already be in ``con``; a model or step whose inputs are absent is
    skipped with a warning (a small test world need not hold every mart — the warehouse build
    itself is strict). Tables are documented from their YAML; ``timings`` (optional) receives
    seconds per model or step.
    """
    from pipeline.warehouse.contracts import build_order, registry
    from pipeline.warehouse.runner import document, render_sql, resolve_step

    models = registry()
    wanted = [n for n, m in models.items() if m.layer == "indicators"]
    for node in build_order(models, select=wanted):
        if not all(models[o].layer == "indicators" for o in node.outputs):
            continue  # upstream marts: the caller provides them
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        absent = sorted({d for o in node.outputs for d in models[o].depends_on} - present - set(node.outputs))
        if absent:
            _log(ctx).warning("indicators: skipping %s (missing %s)", node.name, ", ".join(absent))
            continue
        started = time.perf_counter()
        if node.kind == "sql":
            model = models[node.name]
            body = render_sql(model.sql, con, lake=None).strip().rstrip(";")
            con.execute(f'CREATE OR REPLACE TABLE "{model.name}" AS\n{body}')
        else:
            resolve_step(node.name)(con, ctx)
        for name in node.outputs:
            document(con, models[name])
        if timings is not None:
            timings[node.name] = round(time.perf_counter() - started, 2)
