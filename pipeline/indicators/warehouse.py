"""Build step: every ``ind_`` table, run by the warehouse builder after the marts and graphs."""

from __future__ import annotations

import logging

from pipeline.errors import MlgraphError

# (group, required input tables, builder "module:function"); order matters where a group reads
# another group's ind_ table (adoption and attachment read ind_family_share).
GROUPS: list[tuple[str, tuple[str, ...], str]] = [
    ("family share, concentration, unification", ("dim_papers", "fct_paper_families"), "shares:build_shares"),
    ("bias-corrected unification", ("dim_papers", "fct_paper_families"), "unification_null:build_unification_corrected"),
    ("methodological diversity", ("dim_papers", "fct_paper_families", "fct_family_lineage"),
     "diversity:build_diversity"),
    ("adoption and portability", ("ind_family_share",), "shares:build_adoption"),
    ("lock-in and switching", ("dim_papers", "fct_authorships", "fct_citations", "ind_family_share"),
     "lockin:build_all"),
    ("chance-corrected persistence", ("fct_author_transitions",), "kappa:build_lockin_kappa"),
    ("switching hazard by tenure", ("fct_author_transitions",), "durations:build_switching_hazard"),
    ("preferential attachment", ("dim_papers", "fct_citations", "ind_family_share"), "attachment:build_attachment"),
    ("citation concentration", ("dim_papers", "fct_citations", "fct_paper_families"), "citations:build_citation_share"),
    ("CD index", ("dim_papers", "fct_citations"), "citations:build_cd_index"),
    ("leaderboard dominance", ("fct_leaderboard_results",), "ecosystem:build_leaderboard"),
    ("framework path dependency", ("fct_code_links", "fct_authorships", "dim_papers"), "ecosystem:build_frameworks"),
    ("one model, many models", ("fct_method_downstream_by_year",), "ecosystem:build_downstream"),
]


def build_indicators(con, ctx) -> None:
    """Materialise all ind_* tables in ``con``.

    Their comments come from ``warehouse/indicators/ind_*.yml``, applied by the warehouse runner
    as soon as the tables exist (``materialized: python``).
    """
    import importlib

    from pipeline.indicators.db import has_table

    log = getattr(ctx, "log", None) or logging.getLogger("pipeline.indicators")
    missing_inputs = []
    for label, needs, target in GROUPS:
        absent = [t for t in needs if not has_table(con, t)]
        if absent:
            # an upstream step that did not deliver must not take the other indicators down with it
            log.warning("indicators: skipping %s (missing %s)", label, ", ".join(absent))
            missing_inputs.append((label, absent))
            continue
        module, func = target.split(":")
        getattr(importlib.import_module(f"pipeline.indicators.{module}"), func)(con, log)
    if len(missing_inputs) == len(GROUPS):
        raise MlgraphError("indicators: no input tables found (is dim_papers built?)")
