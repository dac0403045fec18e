"""Small pieces the Studies page, its wizards and dialogs share: labels in the app's styles,
accessible names, a file or folder field with Browse…, the "saved here" confirmation with
Show in folder, and a worker runner per dialog (its progress strip has a Cancel that works).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from ...services.sharing import BUNDLE_SUFFIX
from ..share.bundle_dialogs import ask_bundle_to_open, ask_bundle_to_save
from ..widgets.task_progress import TaskProgress
from ..worker import TaskRunner


def label(text: str = "", style: str = "", *, rich: bool = False) -> QLabel:
    """A wrapping label; ``style`` is one of the style sheet's label kinds: hint (an
    explanation), note (a warning to read), error, ok, pageTitle."""
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if style:
        widget.setObjectName(style)
    return widget


def heading(text: str) -> QLabel:
    widget = QLabel(f"<b>{text}</b>")
    widget.setTextFormat(Qt.TextFormat.RichText)
    return widget


def named(widget, name: str):
    """Give ``widget`` the name a screen reader says; returns it."""
    widget.setAccessibleName(name)
    return widget


def dialog_runner(session, owner: QWidget) -> tuple[TaskRunner, TaskProgress]:
    """A runner for one dialog or wizard (locking the vault cancels it) and its progress
    strip with Cancel."""
    runner = session.register_runner(TaskRunner(owner, dialog_parent=owner))
    return runner, TaskProgress(runner)


class CancelBeforeClosing:
    """Mixed into a dialog or wizard with worker jobs (before the Qt class): Close or Cancel
    while a job runs cancels it and closes once the job has unwound, so the dialog never
    disappears with something half-done behind it."""

    _watched: tuple = ()
    _closing = False

    def cancel_before_closing(self, *runners: TaskRunner) -> None:
        self._watched = runners
        for runner in runners:
            runner.ended.connect(self._close_when_idle)

    def _close_when_idle(self) -> None:
        if self._closing and not any(r.is_busy for r in self._watched):
            super().reject()

    def reject(self) -> None:
        busy = [r for r in self._watched if r.is_busy]
        if busy:
            self._closing = True
            for runner in busy:
                runner.cancel()
            return
        super().reject()


def show_in_folder(path: Path) -> None:
    """Open the folder holding ``path`` in the system's file manager."""
    folder = path if path.is_dir() else path.parent
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class PathField(QWidget):
    """A file or folder to read or write, typed or chosen with Browse….

    ``mode`` is "open" (one bundle file), "save" (a bundle file to write) or "folder"."""

    changed = Signal()

    def __init__(self, mode: str, what: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.mode, self.what = mode, what
        self.edit = named(QLineEdit(), what)
        self.edit.setPlaceholderText({"open": f"Choose the file (*{BUNDLE_SUFFIX})",
                                      "save": f"Where to save it (*{BUNDLE_SUFFIX})",
                                      "folder": "Choose a folder"}[mode])
        self.edit.textChanged.connect(lambda *_: self.changed.emit())
        self.browse = named(QPushButton("&Browse…"), f"Browse for {what.lower()}")
        self.browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)

    def _browse(self) -> None:
        if self.mode == "open":
            path = ask_bundle_to_open(self, self.what)
        elif self.mode == "save":
            path = ask_bundle_to_save(self, self.what)
        else:
            chosen = QFileDialog.getExistingDirectory(self, self.what)
            path = Path(chosen) if chosen else None
        if path:
            self.set_path(path)

    def set_path(self, path) -> None:
        self.edit.setText(str(path))

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        if not text:
            return None
        path = Path(text)
        if self.mode == "save" and path.suffix != BUNDLE_SUFFIX:
            path = path.with_name(path.name + BUNDLE_SUFFIX)
        return path


class SavedFiles(QWidget):
    """The confirmation after something was written: what, where, and Show in folder."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = label("", "ok")
        self.files = label()
        self.files.setAccessibleName("Files written")
        self.show_button = named(QPushButton("Show in &folder"), "Show in folder")
        self.show_button.clicked.connect(self._show)
        self._paths: list[Path] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.files)
        row = QHBoxLayout()
        row.addWidget(self.show_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.setVisible(False)

    def set_files(self, headline: str, files: list[tuple[str, Path]]) -> None:
        """``files``: (what it is, path) pairs, shown one a line."""
        self._paths = [Path(p) for _what, p in files]
        folders = {p.parent for p in self._paths}
        self.text.setText(headline)
        if len(self._paths) > 1 and len(folders) == 1:      # the folder once, then the names
            lines = [f"In the folder {folders.pop()}:"] + [
                f"{what}: {Path(p).name}" if what else Path(p).name for what, p in files]
        else:
            lines = [f"{what}: {p}" if what else str(p) for what, p in files]
        self.files.setText("\n".join(lines))
        self.setVisible(True)

    def paths(self) -> list[Path]:
        return list(self._paths)

    def _show(self) -> None:
        if self._paths:
            show_in_folder(self._paths[0])


def html_section(title: str, lines: list[str], after: str = "") -> str:
    """A titled bullet list (and an optional closing sentence) for a rich-text label."""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return (f"<p><b>{escape(title)}</b></p><ul>{items}</ul>"
            + (f"<p>{escape(after)}</p>" if after else ""))
