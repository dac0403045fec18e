"""The Settings page: preferences stored in the vault itself (so they travel with a backup).

Only settings that something reads live here: the auto-lock idle time (read by ``AppSession``)
and the highest re-identification risk a release may keep without a confirmation (read by
``services/disclosure``).
Then the vault's own actions — change the passphrase, write an encrypted backup (both
``services/vault_ops``, on the worker) — and read-only facts about it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from ..core.errors import PPDSError
from ..services import disclosure, vault_ops
from .errors import error_line, show_error
from .session import AUTO_LOCK_RANGE, AppSession
from .widgets.file_written import show_file_written
from .widgets.passphrase import PassphraseFields
from .widgets.secret_field import SecretField
from .worker import TaskRunner


def _setting_box(name: str, bounds: tuple[int, int], suffix: str, value: int, tooltip: str,
                 on_done) -> QSpinBox:
    """A spin box for one vault setting, saved when editing finishes."""
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(*bounds)
    box.setSuffix(suffix)
    box.setValue(value)
    box.setToolTip(tooltip)
    box.editingFinished.connect(on_done)
    return box


class SettingsPage(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        title = QLabel("Settings")
        title.setObjectName("pageTitle")

        self.auto_lock = _setting_box(
            "autoLockMinutes", AUTO_LOCK_RANGE, " min", session.auto_lock_minutes,
            "Lock the vault after this long without mouse or keyboard use in the app. "
            "Unlocking needs the passphrase again.", self.save)
        self.saved = QLabel("Idle means no mouse or keyboard use in PPDS Desktop.")
        self.saved.setObjectName("hint")
        self.risk_limit = _setting_box(
            "riskThreshold", (1, 100), " %", round(100 * disclosure.risk_threshold(session.vault)),
            "A release whose most exposed record has a higher chance of being re-identified (or "
            "that meets no privacy model) needs an explicit confirmation before it is saved, "
            "exported or shared. 20 % means every person hides among at least 5.",
            self.save_risk_limit)
        self.risk_limit.setAccessibleName("Highest re-identification risk allowed")
        self.risk_saved = QLabel("Above it, saving or sharing a release needs a confirmation.")
        self.risk_saved.setObjectName("hint")
        security = QGroupBox("Security")
        form = QFormLayout(security)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("&Auto-lock after:", self.auto_lock)
        form.addRow("", self.saved)
        form.addRow("Highest &re-identification risk\nof a release without confirmation:",
                    self.risk_limit)
        form.addRow("", self.risk_saved)
        self.passphrase_button = QPushButton("C&hange passphrase…")
        self.passphrase_button.setToolTip("Re-wrap the vault key under a new passphrase; the "
                                          "recovery key stays valid")
        self.passphrase_button.clicked.connect(self.change_passphrase)
        self.backup_button = QPushButton("&Back up vault…")
        self.backup_button.setToolTip("Write an encrypted copy of the whole vault to a file; it "
                                      "opens with the same passphrase or recovery key")
        self.backup_button.clicked.connect(self.back_up)
        actions = QHBoxLayout()
        actions.addWidget(self.passphrase_button)
        actions.addWidget(self.backup_button)
        actions.addStretch(1)
        self.action_result = QLabel()
        self.action_result.setObjectName("hint")
        self.action_result.setWordWrap(True)
        form.addRow("Vault:", actions)
        form.addRow("", self.action_result)

        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about = QGroupBox("This vault")
        about_layout = QVBoxLayout(about)
        about_layout.addWidget(self.facts)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(security)
        layout.addWidget(about)
        layout.addStretch(1)
        # the facts are read by showEvent, each time the page is shown

    def save(self) -> None:
        minutes = self.auto_lock.value()
        if minutes == self.session.auto_lock_minutes:
            return
        self.session.set_auto_lock_minutes(minutes)
        self.saved.setText(f"Saved: the vault locks after {minutes} idle minutes.")

    def save_risk_limit(self) -> None:
        percent = self.risk_limit.value()
        if percent == round(100 * disclosure.risk_threshold(self.session.vault)):
            return
        disclosure.set_risk_threshold(self.session.vault, percent / 100)
        self.risk_saved.setText(f"Saved: releases above {percent} % need a confirmation.")

    def refresh_facts(self) -> None:
        info = vault_ops.vault_info(self.session.vault)
        rows = [("File", info.get("path", "")),
                ("Key derivation", info.get("kdf", "")),
                ("Encryption", f"SQLCipher {info.get('cipher', '')}"),
                ("Schema version", str(info.get("schema_version", ""))),
                ("Size", f"{info.get('size_bytes', 0) / 1e6:.1f} MB"),
                ("Contents", f"{info.get('n_datasets', 0)} datasets, "
                             f"{info.get('n_releases', 0)} releases, "
                             f"{info.get('n_audit', 0)} audit entries")]
        warning = vault_ops.storage_warning(self.session.vault.path)
        if warning:
            rows.append(("Location", warning))
        self.facts.setText("<table cellpadding='2'>" + "".join(
            f"<tr><td style='color:#5b6975;padding-right:12px'>{k}</td><td>{escape(v)}</td></tr>"
            for k, v in rows) + "</table>")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh_facts()

    def change_passphrase(self) -> "ChangePassphraseDialog":
        dialog = ChangePassphraseDialog(self.session, self)
        dialog.accepted.connect(
            lambda: self.action_result.setText("The passphrase was changed."))
        dialog.open()
        return dialog

    def back_up(self, dest: str | None = None) -> None:
        """Ask for a file (unless given) and write the backup on the session's worker."""
        if dest is None:
            dest, _ = QFileDialog.getSaveFileName(self, "Back up the vault",
                                                  vault_ops.backup_file_name(self.session.vault),
                                                  "PPDS vault backup (*.vault)")
        if not dest:
            return
        self.session.runner.run(vault_ops.backup, self.session.vault, dest,
                                title="Backing up the vault", on_done=self._backed_up)

    def _backed_up(self, path) -> None:
        self.action_result.setText(f"Backup written to {path}.")
        self.file_box = show_file_written(self, path, "Backup",
                                          note="Keep it somewhere safe, away from this computer: "
                                               "it opens with this vault's passphrase or "
                                               "recovery key.")
        self.refresh_facts()


class ChangePassphraseDialog(QDialog):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Change the passphrase")
        self.session = session
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.old_field = SecretField(name="Current passphrase")
        self.old = self.old_field.edit
        self.old.setObjectName("oldPassphrase")
        self.fields = PassphraseFields(self, label="&New passphrase:")
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Change")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Current passphrase:", self.old_field)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.fields)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.old.textChanged.connect(self._update)
        self.fields.changed.connect(self._update)
        self.runner.busy_changed.connect(lambda busy: self._update())
        self._update()

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.old.text()) and self.fields.is_acceptable()
                                  and not self.runner.is_busy)

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        self.error.setText("")
        self.runner.run(vault_ops.change_passphrase, self.session.vault, self.old.text(),
                        self.fields.text(), title="Changing the passphrase",
                        on_done=lambda _: self.accept(), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, PPDSError):
            show_error(self, exc, title="Changing the passphrase")
            return
        self.error.setText(error_line(exc))
        self.old.setFocus()
        self.old.selectAll()

    def reject(self) -> None:
        if not self.runner.is_busy:
            super().reject()
