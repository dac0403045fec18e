"""The release report: every action and every figure of a release, as JSON and as HTML.

``build_report(...)`` makes the JSON-ready dict (stored with the release in the vault and
carried in bundles); ``render_html(report)`` turns it into one self-contained HTML page with
the charts (inline SVG from ``core.charts``, inline CSS, no scripts, no external assets).
"""

from .build import REPORT_VERSION, build_report
from .html import render_html

__all__ = ["REPORT_VERSION", "build_report", "render_html"]
