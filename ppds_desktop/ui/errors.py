"""How the GUI shows an error: one non-blocking dialog, written for the user.

A ``PPDSError`` shows its message with the hint underneath, in words (a recipe field as its
column and setting) and without the command-line options the CLI's copy of it names (pages
that show an error inline use :func:`error_line`, the same text on one line). Anything else is
a bug: the dialog says "Unexpected error" and keeps the technical details collapsed behind
"Show Details…".
The box is opened window-modal with ``open()`` rather than ``exec()``, so no nested event loop
runs (tests and background jobs keep working) and the caller gets the box back.
"""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.errors import PPDSError
from ..services import plain


def as_sentence(text: str) -> str:
    """'check Caps Lock' -> 'Check Caps Lock.' (hints are written as clauses)."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def error_line(exc: BaseException) -> str:
    """An error for a page's inline error or status label: the message in words, then the hint
    as a sentence, without the command-line options the CLI's copy of it names."""
    if not isinstance(exc, PPDSError):
        return str(exc)
    hint = plain.hint_text(exc)
    return plain.error_text(exc) + (" " + as_sentence(hint) if hint else "")


def show_error(parent: QWidget | None, exc: BaseException, *, title: str = "") -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    if isinstance(exc, PPDSError):
        box.setWindowTitle(f"{title} failed" if title else "PPDS Desktop")
        box.setText(plain.error_text(exc))           # in words, without command-line options
        hint = plain.hint_text(exc)
        if hint:
            box.setInformativeText(as_sentence(hint))
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Unexpected error")
        box.setText(f"Unexpected error{' during ' + title if title else ''}.")
        box.setInformativeText("This is a bug in PPDS Desktop; nothing was saved by the step that "
                               "failed. The details below help to fix it.")
        box.setDetailedText("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setDefaultButton(QMessageBox.StandardButton.Ok)
    box.open()
    return box
