"""A label's text and its kind in the style sheet (``ok``, ``error``, ``hint``…) changed together."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def restyle(label: QLabel, text: str, style: str = "") -> None:
    """Give ``label`` new text in another of the style sheet's kinds: Qt applies a changed
    object name only after the style is unpolished and polished again."""
    label.setObjectName(style)
    label.setText(text)
    label.style().unpolish(label)
    label.style().polish(label)
