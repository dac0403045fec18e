"""The release report as HTML: ``render_html(report)`` turns the JSON-ready report
(``core.recipe.report.build_report``, stored with the release in the vault and carried in
bundles) into one self-contained HTML page with the charts (inline SVG from ``core.charts``,
inline CSS, no scripts, no external assets)."""

from .html import render_html

__all__ = ["render_html"]
