"""A visible one-line explanation under a setting or figure (not only a tooltip)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("help")
    label.setWordWrap(True)
    return label


def with_help(field, text: str):
    """``field`` with its one-line explanation right under it, as one form field."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(field)
    layout.addWidget(help_label(text))
    return box
