"""New-passphrase entry: passphrase, confirmation (each with show/hide and a Caps Lock hint)
and a live strength meter with hints.

Shared by the first-run wizard (create a vault) and the recovery dialog (set a new passphrase).
``changed`` fires on every edit; ``is_acceptable()`` is what a wizard page's ``isComplete`` uses.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

from ...services.vault_ops import MIN_BITS, MIN_LENGTH, passphrase_strength as estimate
from .secret_field import SecretField


class PassphraseFields(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, label: str = "&Passphrase:"):
        super().__init__(parent)
        self.passphrase_field = SecretField(name="New passphrase")
        self.passphrase = self.passphrase_field.edit
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setToolTip(
            "Protects the vault's encryption key. Several unrelated words are easy to remember "
            f"and hard to guess; at least {MIN_LENGTH} characters.")
        self.confirm_field = SecretField(name="Passphrase confirmation")
        self.confirm = self.confirm_field.edit
        self.confirm.setObjectName("confirm")
        self.confirm.setToolTip("Type the same passphrase again")
        self.meter = QProgressBar()
        self.meter.setObjectName("strengthMeter")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(True)
        self.meter.setAccessibleName("Passphrase strength")
        self.meter.setToolTip(
            f"An estimate of how many guesses an attacker needs, in bits; {MIN_BITS} bits and "
            f"{MIN_LENGTH} characters are the minimum for a vault.")
        self.hints = QLabel()
        self.hints.setObjectName("hint")
        self.hints.setWordWrap(True)
        self.mismatch = QLabel()
        self.mismatch.setObjectName("error")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(label, self.passphrase_field)
        form.addRow("Con&firm:", self.confirm_field)
        form.addRow("Strength:", self.meter)
        form.addRow("", self.hints)
        form.addRow("", self.mismatch)
        self.passphrase.textChanged.connect(self._update)
        self.confirm.textChanged.connect(self._update)
        self._update()

    def text(self) -> str:
        return self.passphrase.text()

    def is_acceptable(self) -> bool:
        value = self.passphrase.text()
        return estimate(value).acceptable and value == self.confirm.text()

    def _update(self) -> None:
        strength = estimate(self.passphrase.text())
        self.meter.setValue(int(strength.fraction * 100))
        self.meter.setFormat(f"{strength.label} (about {strength.bits:.0f} bits)"
                             if self.passphrase.text() else "—")
        level = ("weak" if not strength.acceptable else
                 "good" if strength.bits >= 60 else "fair")
        self.meter.setProperty("level", level)
        self.meter.style().unpolish(self.meter)
        self.meter.style().polish(self.meter)
        self.hints.setText(" ".join(strength.hints))
        confirm = self.confirm.text()
        self.mismatch.setText("The two passphrases differ." if confirm and
                              confirm != self.passphrase.text() else "")
        self.changed.emit()
