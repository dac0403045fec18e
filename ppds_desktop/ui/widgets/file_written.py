"""The one confirmation after a file is written (export, report, recipe, bundle, backup,
aggregation request or result): what was written, the full path, and "Show in folder"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ...core.errors import PPDSError


def reveal(path: Path) -> bool:
    """Open the folder holding ``path`` in the system's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).resolve().parent)))


def show_file_written(parent: QWidget | None, path, what: str, *, note: str = "") -> QMessageBox:
    """A non-blocking box: "<what> saved", the path, an optional note, Show in folder / OK."""
    path = Path(path)
    box = QMessageBox(QMessageBox.Icon.Information, f"{what} saved",
                      f"{what} saved as {path.name}.", QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("fileWritten")
    box.setInformativeText(f"In the folder {path.resolve().parent}" + (f"\n\n{note}" if note else ""))
    show = box.addButton("Show in &folder", QMessageBox.ButtonRole.ActionRole)
    show.setObjectName("showInFolder")
    show.clicked.connect(lambda: reveal(path))
    box.setDefaultButton(QMessageBox.StandardButton.Ok)
    box.setEscapeButton(QMessageBox.StandardButton.Ok)   # Esc and the close box dismiss it
    box.open()
    return box


RESULT_FILES = "CSV (*.csv);;Excel workbook (*.xlsx)"


def export_results(parent: QWidget, write, default_name: str, path=None) -> QMessageBox | None:
    """Ask for a file (unless ``path`` is given), write the results with ``write(path)`` (a
    ``services`` function returning the path written) and confirm it; errors go to the error
    dialog. Shared by every results view that exports a table."""
    from ..errors import show_error

    if not path:
        path, _ = QFileDialog.getSaveFileName(parent, "Export the results", default_name,
                                              RESULT_FILES)
        if not path:
            return None
    try:
        out = write(path)
    except PPDSError as exc:
        show_error(parent, exc)
        return None
    return show_file_written(parent, out, "Results")
