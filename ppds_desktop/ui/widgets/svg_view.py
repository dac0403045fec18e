"""Show an SVG chart made by ``core/charts.py`` (one chart implementation for GUI and reports).

``SvgChart`` keeps the chart's aspect ratio when the widget is resized, and reports a size hint
from the SVG's own size so layouts give it room.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import QSizePolicy, QWidget


class SvgChart(QSvgWidget):
    def __init__(self, svg: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._svg = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 100)
        if svg:
            self.set_svg(svg)

    def set_svg(self, svg: str) -> None:
        """Show ``svg`` (a complete ``<svg>`` document as text); an empty string clears."""
        self._svg = svg or ""
        self.load(QByteArray(self._svg.encode("utf-8")))
        # per document: each load starts a new one that ignores the aspect ratio
        self.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.updateGeometry()
        self.update()

    def svg(self) -> str:
        return self._svg

    def is_valid(self) -> bool:
        return bool(self._svg) and self.renderer().isValid()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self.is_valid():
            size = self.renderer().defaultSize()
            if size.isValid() and not size.isEmpty():
                return size
        return QSize(480, 300)
