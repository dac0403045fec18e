"""A list of bundle files to read (the contributions to combine, the answers to finish with),
with Add files… and Remove."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QListWidget, QPushButton,
                               QVBoxLayout, QWidget)

from ...services.sharing import BUNDLE_SUFFIX
from .common import named


class FileList(QWidget):
    changed = Signal()

    def __init__(self, what: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.what = what
        self._paths: list[Path] = []
        self.list = named(QListWidget(), what)
        self.add_button = named(QPushButton("&Add files…"), f"Add {what.lower()}")
        self.add_button.clicked.connect(self._browse)
        self.remove_button = named(QPushButton("&Remove"), f"Remove from {what.lower()}")
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def _browse(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.what, "", f"Share bundles (*{BUNDLE_SUFFIX});;All files (*)")
        self.add(*[Path(p) for p in paths])

    def add(self, *paths) -> None:
        """Add files (each once: the same file twice would count twice)."""
        for path in map(Path, paths):
            if path not in self._paths:
                self._paths.append(path)
                self.list.addItem(f"{path.name}    ({path.parent})")
        self.changed.emit()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            del self._paths[row]
            self.list.takeItem(row)
            self.changed.emit()

    def paths(self) -> list[Path]:
        return list(self._paths)
