"""A passphrase field: hidden text, an eye button to show it, and a Caps Lock hint.

Qt cannot read the Caps Lock state portably, so it is inferred from what is typed: a capital
letter without Shift, or a small one with Shift, means Caps Lock is probably on ("may be on":
a keyboard layout can fool it). The eye button is a real button (Tab reaches it, Space
toggles it) with an accessible name. A shown passphrase copied to the clipboard is wiped from
it after 30 seconds (:mod:`.secret_clipboard`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from ...paths import resource
from .secret_clipboard import forget_later

CAPS_LOCK_HINT = "Caps Lock may be on."


def caps_lock_suspected(text: str, shift: bool) -> bool | None:
    """From one typed key: True if Caps Lock looks on, False if off, None if the key (not a
    letter with two cases) tells nothing."""
    if len(text) != 1 or text.lower() == text.upper():
        return None
    return text.isupper() != shift


class SecretField(QWidget):
    """``edit`` is the QLineEdit (text, signals); ``reveal`` the eye button; ``caps`` the
    hint under the field, shown while Caps Lock seems to be on."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *,
                 name: str = "Passphrase"):
        super().__init__(parent)
        self._name = name
        self.edit = QLineEdit(text)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(name)
        self.edit.installEventFilter(self)
        self.reveal = QToolButton()
        self.reveal.setCheckable(True)
        self.reveal.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.reveal.toggled.connect(self._set_shown)
        self.caps = QLabel(CAPS_LOCK_HINT)
        self.caps.setObjectName("error")
        self.caps.setAccessibleName("Caps Lock warning")
        self.caps.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.reveal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.caps)
        self.setFocusProxy(self.edit)
        QGuiApplication.clipboard().dataChanged.connect(self._clipboard_changed)
        self._set_shown(False)

    def text(self) -> str:
        return self.edit.text()

    @property
    def shown(self) -> bool:
        return self.reveal.isChecked()

    def _set_shown(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else
                              QLineEdit.EchoMode.Password)
        what = self._name.lower()
        self.reveal.setIcon(QIcon(str(resource("icons/eye-off.svg" if shown else
                                               "icons/eye.svg"))))
        self.reveal.setText("Hide" if shown else "Show")
        self.reveal.setAccessibleName(f"Hide {what}" if shown else f"Show {what}")
        self.reveal.setToolTip(f"Hide the {what}" if shown else
                               f"Show the {what} (mind who can see your screen)")

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            caps = caps_lock_suspected(event.text(), shift)
            if caps is not None:
                self.caps.setVisible(caps)
        elif watched is self.edit and event.type() == QEvent.Type.FocusOut:
            self.caps.setVisible(False)
        return False

    def _clipboard_changed(self) -> None:
        """A shown passphrase copied from this field is wiped from the clipboard later."""
        copied = QGuiApplication.clipboard().text()
        if copied and self.edit.text() and copied in self.edit.text():
            forget_later(copied)
