"""The text a user sees on a window, and the rules it must keep (issue 14: plain language);
the inputs a screen reader could not name.

``visible_texts(window)`` reads what is on screen: labels, buttons, group boxes, tab titles,
table and list headers, combo box items, list items, placeholder texts, read-only text boxes and
the window title, as rendered (mnemonic ampersands removed where Qt removes them, rich text as
plain text). ``problems(text)`` names what a clinician should never have to read there.
"""

from __future__ import annotations

import re

from PySide6.QtGui import Qt  # QtGui adds mightBeRichText to the namespace
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QAccessible, QTextDocumentFragment
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QCheckBox,
                               QComboBox, QGroupBox, QLabel, QLineEdit, QListWidget,
                               QPlainTextEdit,
                               QTabBar, QTableWidget, QTextEdit, QWidget, QWizard)

RULES = [
    ("snake_case name", re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w]*\.\w)")),
    ("name=value pair", re.compile(r"(?<![\w=!<>])[A-Za-z_]\w*=(?![=\s])")),
    ("raw JSON", re.compile(r"[{\[]\s*\"|\"[\w ]+\"\s*:")),
    ("stray &", re.compile(r"&(?=[A-Za-z])")),
    ("command-line flag", re.compile(r"(?<![\w-])--[a-z][\w-]*")),
    ("UTC timestamp", re.compile(r"\bUTC\b|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?"
                                 r"(Z|[+-]00:?00)\b|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")),
]


def _plain(text: str) -> str:
    if Qt.mightBeRichText(text):
        return QTextDocumentFragment.fromHtml(text).toPlainText()
    return text


def _without_mnemonic(text: str) -> str:
    """What Qt draws for a text with a mnemonic: '&&' is one '&', '&x' is 'x'."""
    return re.sub(r"&(&|(?=\S))", lambda m: "&" if m.group(1) == "&" else "", text)


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def visible_texts(window: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every piece of text visible on ``window``."""
    out: list[tuple[str, str]] = []

    def add(widget, text):
        text = (text or "").strip()
        if text:
            out.append((type(widget).__name__, text))

    add(window, window.windowTitle())
    if isinstance(window, QWizard) and window.currentPage() is not None:
        add(window, window.currentPage().title())
        add(window, _plain(window.currentPage().subTitle()))
    for w in window.findChildren(QWidget):
        if not _shown(w):
            continue
        if isinstance(w, QLabel):
            text = w.text()
            text = _plain(text) if w.textFormat() != Qt.TextFormat.PlainText else text
            add(w, _without_mnemonic(text) if w.buddy() is not None else text)
        elif isinstance(w, QAbstractButton):
            add(w, _without_mnemonic(w.text()))
        elif isinstance(w, QGroupBox):
            add(w, _without_mnemonic(w.title()))
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                if w.isTabVisible(i):
                    add(w, _without_mnemonic(w.tabText(i)))
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                add(w, w.itemText(i))
        elif isinstance(w, QLineEdit):
            add(w, w.placeholderText())
            if w.isReadOnly():
                add(w, w.text())
        elif isinstance(w, (QPlainTextEdit, QTextEdit)):
            add(w, w.placeholderText())
            add(w, w.toPlainText())
        if isinstance(w, QAbstractItemView) and hasattr(w, "horizontalHeader") \
                and w.model() is not None and w.horizontalHeader().isVisible():
            model, header = w.model(), w.horizontalHeader()
            for section in range(model.columnCount(QModelIndex())):
                if not header.isSectionHidden(section):
                    add(w, str(model.headerData(section, Qt.Orientation.Horizontal) or ""))
        if isinstance(w, QListWidget):
            for r in range(min(w.count(), 50)):
                if not w.item(r).isHidden():
                    add(w, w.item(r).text())
        elif isinstance(w, QTableWidget):
            for r in range(min(w.rowCount(), 50)):
                for c in range(w.columnCount()):
                    if w.item(r, c) is not None and not w.isColumnHidden(c):
                        add(w, w.item(r, c).text())
    return out


def problems(text: str) -> list[str]:
    """The rules ``text`` breaks."""
    return [name for name, rule in RULES if rule.search(text)]


INPUTS = (QLineEdit, QAbstractSpinBox, QComboBox, QCheckBox)


def unnamed_inputs(window: QWidget) -> list[str]:
    """Inputs a screen reader would announce without a name: line edits, spin boxes, combo
    boxes and check boxes with no accessible name (set, or taken from a buddy label or their
    own text), and buttons showing no text. Qt's own parts (``qt_…``) are left out."""
    missing = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.objectName().startswith("qt_") or (
                isinstance(w, QLineEdit) and isinstance(w.parentWidget(),
                                                        (QComboBox, QAbstractSpinBox))):
            continue
        if not (isinstance(w, INPUTS) or (isinstance(w, QAbstractButton) and not w.text())):
            continue
        iface = QAccessible.queryAccessibleInterface(w)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        if not (name or "").strip():
            missing.append(f"{type(w).__name__} {w.objectName()} in "
                           f"{type(w.parentWidget()).__name__}".replace("  ", " "))
    return missing
