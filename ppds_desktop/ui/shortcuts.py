"""Keyboard shortcuts that more than one screen names, and how the platform writes them."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

IMPORT_DATA = QKeySequence("Ctrl+I")
LOCK_VAULT = QKeySequence("Ctrl+L")


def native_text(sequence: QKeySequence) -> str:
    """A shortcut as the platform writes it: "Ctrl+I" on Windows and Linux, "⌘I" on macOS
    (where Qt maps Ctrl to the Command key)."""
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)
