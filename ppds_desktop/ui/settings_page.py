"""The Settings page: preferences stored in the vault itself (so they travel with a backup).

Only settings that something reads live here: the auto-lock idle time (read by ``AppSession``).
Below them, read-only facts about the vault (file, key derivation, cipher, sizes).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget)

from ..services import vault_ops
from .session import AUTO_LOCK_RANGE, AppSession


class SettingsPage(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        title = QLabel("Settings")
        title.setObjectName("pageTitle")

        self.auto_lock = QSpinBox()
        self.auto_lock.setObjectName("autoLockMinutes")
        self.auto_lock.setRange(*AUTO_LOCK_RANGE)
        self.auto_lock.setSuffix(" min")
        self.auto_lock.setValue(session.auto_lock_minutes)
        self.auto_lock.setToolTip("Lock the vault after this long without mouse or keyboard use "
                                  "in the app. Unlocking needs the passphrase again.")
        self.auto_lock.editingFinished.connect(self.save)
        self.auto_lock.valueChanged.connect(lambda _: self.saved.setText(""))
        self.saved = QLabel()
        self.saved.setObjectName("hint")
        security = QGroupBox("Security")
        form = QFormLayout(security)
        form.addRow("&Auto-lock after:", self.auto_lock)
        form.addRow("", self.saved)

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
        self.refresh_facts()

    def save(self) -> None:
        minutes = self.auto_lock.value()
        if minutes == self.session.auto_lock_minutes:
            return
        self.session.set_auto_lock_minutes(minutes)
        self.saved.setText(f"Saved: the vault locks after {minutes} idle minutes.")

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
        self.facts.setText("<table cellpadding='2'>" + "".join(
            f"<tr><td style='color:#5b6975;padding-right:12px'>{k}</td><td>{escape(v)}</td></tr>"
            for k, v in rows) + "</table>")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh_facts()
