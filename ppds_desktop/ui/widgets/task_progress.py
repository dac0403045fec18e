"""A compact "title · progress bar · Cancel" strip that follows one ``TaskRunner``.

Hidden while the runner is idle. Used in the main window's status bar and inside wizards
that run their own job (the import wizard's last page).
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ..worker import TaskRunner


class TaskProgress(QWidget):
    def __init__(self, runner: TaskRunner, parent: QWidget | None = None, *,
                 hide_when_idle: bool = True, show_cancel: bool = True):
        super().__init__(parent)
        self._runner = runner
        self._hide_when_idle = hide_when_idle
        self.label = QLabel()
        self.label.setMinimumWidth(160)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p%")
        self.bar.setMinimumWidth(160)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip("Stop the running job; nothing it started is kept (Esc)")
        self.cancel_button.clicked.connect(runner.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.setVisible(show_cancel)  # hidden where a dialog's Cancel does it
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.ended.connect(self._on_ended)
        self.setVisible(not hide_when_idle)

    def _on_started(self) -> None:
        self.bar.setValue(0)
        self.label.setText(self._runner.title + "…")
        self.cancel_button.setEnabled(True)
        self.setVisible(True)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(round(min(max(fraction, 0.0), 1.0) * 1000)))
        if message:
            self.label.setText(message)

    def _on_ended(self) -> None:
        self.cancel_button.setEnabled(False)
        if self._hide_when_idle:
            self.setVisible(False)
