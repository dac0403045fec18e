"""A printed sheet for the recovery key: the key in large type, which vault it opens, and how
to keep it. Printed through Qt's print support (a printer, or "print to PDF" in the dialog);
nothing is written to disk by the app itself."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget


def recovery_sheet(key: str, vault_path: Path | None) -> QTextDocument:
    """The sheet as a document (plain text readable with ``toPlainText()``)."""
    where = (f"<p>Vault file: <b>{escape(str(vault_path))}</b></p>" if vault_path is not None
             else "")
    html = (
        "<h1>PPDS Desktop — recovery key</h1>"
        f"{where}<p>Printed {datetime.now().strftime('%d %B %Y, %H:%M')}</p>"
        f"<p style='font-family: monospace; font-size: 20pt; font-weight: bold'>"
        f"{escape(key)}</p>"
        "<p>This key opens the vault if the passphrase is forgotten: on the unlock screen, "
        "choose “Use recovery key…”, type it, and choose a new passphrase.</p>"
        "<p>Anyone holding this sheet and the vault file can read everything in the vault. "
        "Keep it locked away, apart from the computer; do not photograph or scan it.</p>")
    doc = QTextDocument()
    doc.setHtml(html)
    return doc


def print_sheet(printer: QPrinter, key: str, vault_path: Path | None) -> None:
    """Render the sheet on ``printer`` (a real printer, or a PDF file in tests)."""
    recovery_sheet(key, vault_path).print_(printer)


def print_recovery_key(parent: QWidget, key: str, vault_path: Path | None) -> bool:
    """Ask for a printer (the dialog also offers printing to a PDF file), then print; False
    if the user cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName("PPDS recovery key")
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print the recovery key")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    print_sheet(printer, key, vault_path)
    return True
