"""The unlock screen, and the recovery-key dialog reached from it.

Argon2id takes about a second on purpose, so unlocking runs on a ``TaskRunner``: the screen
shows a busy bar and disables its fields meanwhile. A wrong passphrase is an inline message
under the field (no dialog), the field is selected for retyping, and nothing else changes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from ..core.errors import PPDSError
from ..services import vault_ops
from .theme import app_icon
from .errors import error_line, show_error
from .widgets.passphrase import PassphraseFields
from .widgets.secret_field import SecretField
from .worker import TaskRunner


def _show_failure(window: QWidget, error: QLabel, exc: BaseException) -> bool:
    """A ``PPDSError`` (e.g. a wrong passphrase) goes in the inline ``error`` label: True.
    Anything else is a bug and gets the error dialog: False."""
    if not isinstance(exc, PPDSError):
        show_error(window, exc, title="Unlocking")
        return False
    error.setText(error_line(exc))
    return True


def _busy_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 0)  # indeterminate: key derivation gives no progress
    bar.setTextVisible(False)
    bar.setMaximumHeight(8)
    bar.setVisible(False)
    return bar


class UnlockWindow(QWidget):
    """Emits ``unlocked(vault)`` once the vault is open."""

    unlocked = Signal(object)
    open_other_requested = Signal()

    def __init__(self, vault_path: Path, parent: QWidget | None = None, *,
                 note: str = "", prefill: str = ""):
        super().__init__(parent)
        self.vault_path = Path(vault_path)
        self.setObjectName("UnlockWindow")
        self.setWindowTitle("Unlock — PPDS Desktop")
        self.runner = TaskRunner(self, dialog_parent=self)
        self.runner.busy_changed.connect(self._set_busy)

        heading = QLabel("PPDS Desktop")
        heading.setObjectName("heading")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(44, 44))
        title_row = QHBoxLayout()
        title_row.setSpacing(12)
        title_row.addWidget(logo)
        title_row.addWidget(heading, 1)
        subtitle = QLabel("Privacy-preserving data sharing. Unlock your vault to continue.")
        subtitle.setObjectName("subtitle")
        subtitle.setWordWrap(True)
        where = QLabel(f"Vault: {self.vault_path}")
        where.setObjectName("hint")
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.note = QLabel(note)
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))

        self.passphrase_field = SecretField(prefill)
        self.passphrase = self.passphrase_field.edit
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setMinimumWidth(320)
        self.passphrase.setToolTip("The passphrase chosen when this vault was created")
        self.passphrase.returnPressed.connect(self.unlock)
        self.passphrase.textEdited.connect(lambda _: self.error.setText(""))
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase_field)

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Unlock error")
        self.busy = _busy_bar()
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.runner.progress.connect(lambda _f, msg: self.status.setText(msg))

        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.setAutoDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        self.recovery_button = QPushButton("Use &recovery key…")
        self.recovery_button.setToolTip("Forgot the passphrase? The recovery key shown when the "
                                        "vault was created unlocks it and sets a new passphrase.")
        self.recovery_button.clicked.connect(self.open_recovery)
        self.other_button = QPushButton("&Other vault…")
        self.other_button.setToolTip("Create a new vault or open a different vault file")
        self.other_button.clicked.connect(self.open_other_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.other_button)
        buttons.addWidget(self.recovery_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)

        card = QWidget()
        card.setObjectName("card")
        card.setMaximumWidth(560)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(10)
        inner.addLayout(title_row)
        inner.addWidget(subtitle)
        inner.addWidget(where)
        inner.addWidget(self.note)
        inner.addSpacing(6)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addWidget(self.busy)
        inner.addWidget(self.status)
        inner.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.resize(720, 460)
        self.passphrase.setFocus()

    def unlock(self) -> None:
        if self.runner.is_busy:
            return
        if not self.passphrase.text():
            self.error.setText("Type the vault's passphrase.")
            self.passphrase.setFocus()
            return
        self.error.setText("")
        self.runner.run(vault_ops.unlock, self.vault_path, self.passphrase.text(),
                        title="Unlocking", on_done=self._on_unlocked, on_error=self._on_failed)

    def run_busy(self, fn, *args, title: str, on_done) -> None:
        """Run preparatory work (e.g. creating the demo vault) with this screen's busy state."""
        self.runner.run(fn, *args, title=title, on_done=on_done, on_error=self._on_failed)

    def open_recovery(self) -> "RecoveryDialog":
        dialog = RecoveryDialog(self.vault_path, self)
        dialog.unlocked.connect(self._on_unlocked)
        dialog.open()
        return dialog

    def _on_unlocked(self, vault) -> None:
        self.passphrase.clear()
        self.status.setText("")
        self.unlocked.emit(vault)

    def _on_failed(self, exc: BaseException) -> None:
        if _show_failure(self, self.error, exc):
            self.passphrase.setFocus()
            self.passphrase.selectAll()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.passphrase_field, self.unlock_button, self.recovery_button,
                       self.other_button):
            widget.setEnabled(not busy)
        self.busy.setVisible(busy)
        if not busy:
            self.status.setText("")
            self.passphrase.setFocus()


class RecoveryDialog(QDialog):
    """Recovery key + new passphrase; unlocks the vault and re-wraps its key."""

    unlocked = Signal(object)

    def __init__(self, vault_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Unlock with the recovery key")
        self.vault_path = Path(vault_path)
        self.runner = TaskRunner(self, dialog_parent=self)
        explain = QLabel("Type the recovery key you wrote down when the vault was created, and "
                         "choose a new passphrase. The old passphrase stops working.")
        explain.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setObjectName("recoveryKey")
        self.key.setPlaceholderText("XXXX-XXXX-XXXX-…")
        self.key.setToolTip("Groups of letters and digits; dashes and spaces are optional")
        self.fields = PassphraseFields(self, label="&New passphrase:")
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.busy = _busy_bar()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Unlock and set passphrase")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Recovery &key:", self.key)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.fields)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.key.textChanged.connect(self._update)
        self.fields.changed.connect(self._update)
        self.runner.busy_changed.connect(self._set_busy)
        self._update()

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.key.text().strip()) and self.fields.is_acceptable()
                                  and not self.runner.is_busy)

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        self.error.setText("")
        self.runner.run(vault_ops.recover, self.vault_path, self.key.text(),
                        self.fields.text(), title="Unlocking with the recovery key",
                        on_done=self._done, on_error=self._failed)

    def _done(self, vault) -> None:
        self.accept()
        self.unlocked.emit(vault)

    def _failed(self, exc: BaseException) -> None:
        if _show_failure(self, self.error, exc):
            self.key.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.key.setEnabled(not busy)
        self.fields.setEnabled(not busy)
        self._update()

    def reject(self) -> None:
        if self.runner.is_busy:
            return  # the key is being checked; closing now would drop an unlocked vault
        super().reject()
