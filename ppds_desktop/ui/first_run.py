"""The first-run wizard: create a vault (and see its recovery key once), or open an existing one.

Creating runs Argon2id, so it happens on a worker while the recovery-key page shows a busy bar.
Once the vault exists the wizard cannot be backed out of or cancelled until the user confirms
that the recovery key is written down: it is never shown again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QRadioButton, QVBoxLayout, QWidget,
                               QWizard, QWizardPage)

from ..core.errors import PPDSError
from ..paths import default_vault_path
from ..services import vault_ops
from .theme import app_icon
from .errors import error_line, show_error
from .recovery_print import print_recovery_key
from .widgets.passphrase import PassphraseFields
from .widgets.secret_clipboard import copy_secret
from .widgets.wizard_style import standard_wizard
from .worker import TaskRunner

VAULT_FILTER = "PPDS vault (*.vault);;All files (*)"
PAGE_CHOOSE, PAGE_CREATE, PAGE_RECOVERY, PAGE_OPEN = range(4)


def _help(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class _PathField(QWidget):
    """A path line edit with a Browse… button."""

    changed = Signal()

    def __init__(self, path: Path, *, save: bool, tooltip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._save = save
        self.edit = QLineEdit(str(path))
        self.edit.setObjectName("location")
        self.edit.setToolTip(tooltip)
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)
        self.edit.textChanged.connect(self.changed)
        self.setFocusProxy(self.edit)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _browse(self) -> None:
        start = self.edit.text() or str(default_vault_path())
        if self._save:
            chosen, _ = QFileDialog.getSaveFileName(self, "Create the vault file", start,
                                                    VAULT_FILTER)
            if chosen and not chosen.endswith(".vault"):
                chosen += ".vault"
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open a vault file", start, VAULT_FILTER)
        if chosen:
            self.edit.setText(chosen)


class ChoosePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Welcome to PPDS Desktop")
        self.setSubTitle("Your data lives in an encrypted vault on this computer.")
        self.create_radio = QRadioButton("&Create a new vault")
        self.create_radio.setChecked(True)
        self.open_radio = QRadioButton("&Open an existing vault file")
        layout = QVBoxLayout(self)
        layout.addWidget(self.create_radio)
        layout.addWidget(_help("Choose a passphrase; you get a recovery key to write down."))
        layout.addSpacing(8)
        layout.addWidget(self.open_radio)
        layout.addWidget(_help("For example a vault restored from a backup, or one kept on "
                               "another drive."))
        layout.addStretch(1)

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return PAGE_CREATE if self.create_radio.isChecked() else PAGE_OPEN


class CreatePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None, *, default_path: Path | None = None):
        super().__init__(parent)
        self.setTitle("Create a vault")
        self.setSubTitle("The passphrase unlocks the vault. Nobody can reset it, so choose one "
                         "you will remember.")
        self.location = _PathField(default_path or default_vault_path(), save=True,
                                   tooltip="Where the encrypted vault file is kept. The default "
                                           "is your user data folder.")
        self.location_error = QLabel()
        self.location_error.setObjectName("error")
        self.fields = PassphraseFields(self)
        self.location.edit.setAccessibleName("Where to keep the vault")
        loc_label = QLabel("&Location:")
        loc_label.setBuddy(self.location.edit)
        layout = QVBoxLayout(self)
        layout.addWidget(loc_label)
        layout.addWidget(self.location)
        layout.addWidget(self.location_error)
        layout.addSpacing(6)
        layout.addWidget(self.fields)
        layout.addStretch(1)
        self.location.changed.connect(self.completeChanged)
        self.fields.changed.connect(self.completeChanged)
        self.setButtonText(QWizard.WizardButton.NextButton, "&Create vault")

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.fields.passphrase.setFocus()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        path = self.location.path()
        problem = ""
        if path is None:
            problem = "Choose where to keep the vault."
        elif vault_ops.vault_exists(path):
            problem = "A vault already exists there: choose another file, or go Back and open it."
        elif path.exists():
            problem = "That file already exists and is not a vault: choose another name."
        self.location_error.setText(problem)
        return not problem and self.fields.is_acceptable()


class RecoveryPage(QWizardPage):
    """Creates the vault on entry, then shows the recovery key once."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Your recovery key")
        self.setSubTitle("Creating the vault…")
        self.runner = TaskRunner(self, dialog_parent=self)
        self.vault = None
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.explain = QLabel(vault_ops.RECOVERY_WARNING)
        self.explain.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setObjectName("recoveryKeyDisplay")
        self.key.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.DemiBold)
        self.key.setFont(font)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key.setAccessibleName("Recovery key")
        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setToolTip("Copy the key to the clipboard; it is wiped from the "
                                    "clipboard after 30 seconds")
        self.copy_button.clicked.connect(self.copy_key)
        self.print_button = QPushButton("&Print…")
        self.print_button.setToolTip("Print the key on paper (or to a PDF file) to keep it "
                                     "somewhere safe")
        self.print_button.clicked.connect(self.print_key)
        self.confirm = QCheckBox("I have &written down the recovery key and will keep it safe")
        self.confirm.toggled.connect(self.completeChanged)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        row = QHBoxLayout()                  # under the key, which keeps the full width
        row.addWidget(self.copy_button)
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy)
        layout.addWidget(self.explain)
        layout.addWidget(self.key)
        layout.addLayout(row)
        layout.addSpacing(6)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._show_key(False)

    def _show_key(self, shown: bool) -> None:
        for widget in (self.explain, self.key, self.copy_button, self.print_button,
                       self.confirm):
            widget.setVisible(shown)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wizard: FirstRunWizard = self.wizard()
        create: CreatePage = wizard.page(PAGE_CREATE)
        self.error.setText("")
        self.busy.setVisible(True)
        self.setSubTitle("Creating the vault…")
        wizard.set_locked_in(True)
        self.runner.run(vault_ops.create_vault, create.location.path(), create.fields.text(),
                        title="Creating the vault", on_done=self._created,
                        on_error=self._failed)

    def _created(self, result) -> None:
        vault, recovery_key = result
        self.vault = vault
        self.wizard().vault_path = self.wizard().page(PAGE_CREATE).location.path()
        self.busy.setVisible(False)
        self.setSubTitle("The vault is ready. One last step:")
        self.key.setText(str(recovery_key))
        self._show_key(True)
        self.confirm.setFocus()
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.busy.setVisible(False)
        self.wizard().set_locked_in(False)
        self.setSubTitle("The vault could not be created.")
        if isinstance(exc, PPDSError):
            self.error.setText(error_line(exc) + " Go Back to change the location or passphrase.")
        else:
            show_error(self, exc, title="Creating the vault")

    def copy_key(self) -> None:
        copy_secret(self.key.text())
        self.copy_button.setText("Copied")

    def print_key(self) -> None:
        print_recovery_key(self, self.key.text(), self.wizard().vault_path)

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override (Back after a failure)
        self._show_key(False)
        self.confirm.setChecked(False)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.vault is not None and self.confirm.isChecked()

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return -1


class OpenPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Open an existing vault")
        self.setSubTitle("Choose the vault file; you unlock it with its passphrase next.")
        self.location = _PathField(default_vault_path(), save=False,
                                   tooltip="A .vault file (its .header file must sit beside it)")
        self.location.edit.clear()
        self.location.edit.setAccessibleName("Vault file")
        label = QLabel("Vault &file:")
        label.setBuddy(self.location.edit)
        self.problem = QLabel()
        self.problem.setObjectName("error")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.location)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.location.changed.connect(self.completeChanged)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Open")

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        path = self.location.path()
        ok = path is not None and vault_ops.vault_exists(path)
        self.problem.setText("" if ok or path is None else "No vault found at that path.")
        return ok

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        self.wizard().vault_path = self.location.path()
        return True

    def nextId(self) -> int:  # noqa: N802 - Qt override
        return -1


class FirstRunWizard(QWizard):
    """After ``accepted``: ``vault`` is set (created and unlocked) or only ``vault_path``
    (an existing vault to unlock). ``default_path`` is where "Create" proposes the vault
    (the ``--vault`` given on the command line, else the platform's user data folder)."""

    def __init__(self, parent: QWidget | None = None, *, default_path: Path | None = None):
        super().__init__(parent)
        self.setObjectName("FirstRunWizard")
        self.setWindowTitle("Set up PPDS Desktop")
        standard_wizard(self)
        self.vault_path: Path | None = None
        self._locked_in = False
        self.setPage(PAGE_CHOOSE, ChoosePage(self))
        self.setPage(PAGE_CREATE, CreatePage(self, default_path=default_path))
        self.setPage(PAGE_RECOVERY, RecoveryPage(self))
        self.setPage(PAGE_OPEN, OpenPage(self))
        self.setStartId(PAGE_CHOOSE)
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, app_icon().pixmap(48, 48))
        self.resize(640, 520)

    @property
    def vault(self):
        return self.page(PAGE_RECOVERY).vault

    def set_locked_in(self, locked: bool) -> None:
        """While creating, and once created, there is no way back: Back and Cancel go away."""
        self._locked_in = locked
        buttons = [QWizard.WizardButton.Stretch]
        if not locked:
            buttons += [QWizard.WizardButton.BackButton]
        buttons += [QWizard.WizardButton.NextButton, QWizard.WizardButton.FinishButton]
        if not locked:
            buttons += [QWizard.WizardButton.CancelButton]
        self.setButtonLayout(buttons)

    def reject(self) -> None:
        if self._locked_in:
            return  # the recovery key must be confirmed first (Esc and the close box land here)
        super().reject()
