"""The static report: charts of every headline indicator, published beside the warehouse."""

from pipeline.report.site import build_report, default_out, publish_report

__all__ = ["build_report", "default_out", "publish_report"]
