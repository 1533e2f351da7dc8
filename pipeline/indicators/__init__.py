"""Indicators of unification, path dependency and switching cost (the ``ind_`` warehouse tables)."""

from pipeline.indicators.digest import digest, format_digest

__all__ = ["digest", "format_digest"]
