"""A fingerprint shown the same way on every screen: three lines of four 5-digit groups,
large monospace, and a dialog to compare it with what the peer reads out."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from ...core.errors import PPDSError
from ...services.sharing import fingerprint_lines, normalise_fingerprint


def fingerprint_label(fp: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(fingerprint_lines(fp) if fp else "", parent)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(max(font.pointSize(), 10) + 4)
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setAccessibleName("Fingerprint")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class CompareFingerprintDialog(QDialog):
    """Verify a contact: both people read their screens to each other; the user may also type
    what they hear, and the dialog says at once whether it matches."""

    def __init__(self, contact_name: str, fingerprint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Verify {contact_name}")
        self.expected = fingerprint
        intro = QLabel(f"Call <b>{escape(contact_name)}</b> (or meet them) and ask them to read the "
                       "fingerprint shown under <i>Your identity</i> on their screen. It must be "
                       "exactly this:")
        intro.setWordWrap(True)
        self.typed = QLineEdit()
        self.typed.setPlaceholderText("Optional: type the 60 digits you hear")
        self.typed.setAccessibleName("The fingerprint you hear")
        self.typed.textChanged.connect(self._check)
        self.verdict = QLabel("")
        self.buttons = QDialogButtonBox()
        self.confirm = self.buttons.addButton("They &match — mark verified",
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.typed.setToolTip("Spaces and dashes do not matter. Leave empty if you compared "
                              "the digits by reading them aloud.")
        self.setMinimumWidth(520)        # the 60 typed digits stay readable in one line
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(fingerprint_label(fingerprint))
        layout.addWidget(self.typed)
        layout.addWidget(self.verdict)
        layout.addWidget(self.buttons)

    def _check(self, text: str) -> None:
        if not text.strip():
            self.verdict.setText("")
            self.confirm.setEnabled(True)
            return
        try:
            ok = normalise_fingerprint(text) == self.expected
        except PPDSError:
            self.verdict.setText("Keep typing: a fingerprint has 60 digits.")
            self.confirm.setEnabled(False)
            return
        self.verdict.setText("✔ The fingerprints match." if ok else
                             "✘ MISMATCH: do not trust this card.")
        self.confirm.setEnabled(ok)

    @property
    def typed_fingerprint(self) -> str | None:
        return self.typed.text().strip() or None
