"""A visible one-line explanation under a setting or figure (not only a tooltip)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("help")
    label.setWordWrap(True)
    return label
