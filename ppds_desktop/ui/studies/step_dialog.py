"""The frame of the Studies page's one-step dialogs (combine, review and answer, finish): the
inputs, the job's progress strip with Cancel, the "written here" confirmation, and Close —
which cancels a running job first, so nothing is left half-written."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from .common import CancelBeforeClosing, SavedFiles, dialog_runner


class StepDialog(CancelBeforeClosing, QDialog):
    def __init__(self, session, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(title)
        self.resize(760, 560)
        self.runner, self.progress = dialog_runner(session, self)
        self.runner.ended.connect(self._changed)      # re-enable what the job disabled
        self.cancel_before_closing(self.runner)
        self.body = QVBoxLayout()
        self.saved = SavedFiles()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.saved)
        layout.addWidget(self.buttons)

    def _changed(self) -> None:
        """Enable the buttons the inputs allow (subclasses)."""
