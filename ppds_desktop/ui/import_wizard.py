"""The import wizard: file → preview and parse options → roles → name → import.

Parsing, profiling and storing are the use cases of ``services/datasets.py``; this module only
collects the user's choices. Every step that touches the file runs on the wizard's own worker
(the preview is re-run, debounced, whenever a parse option changes), so the wizard never freezes
on a large or slow file. The import itself runs with progress and a Cancel that rolls it back.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pyarrow as pa
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout,
                               QLabel, QLineEdit, QMessageBox, QPushButton, QSpinBox, QTableView,
                               QVBoxLayout, QWidget, QWizard, QWizardPage)

from ..core.errors import PPDSError
from ..services.types import SUPPORTED_ENCODINGS, ParseOptions
from ..services import datasets, demo
from .datasets_page import configure_table, fit_columns
from .errors import error_line, show_error
from .profile_view import setup_profile_table
from .roles_model import ROLE_LABELS, ColumnRow, RolesModel
from .session import AppSession
from .table_model import ArrowTableModel, replace_model
from .widgets.demo_banner import add_to_wizard as add_demo_banner
from .widgets.restyle import restyle
from .widgets.task_progress import TaskProgress
from .widgets.wizard_style import finished_state, standard_wizard
from .worker import TaskRunner

FILE_FILTER = ("Data files (*.csv *.tsv *.txt *.tab *.xlsx *.parquet *.pq);;"
               "CSV or TSV (*.csv *.tsv *.txt *.tab);;Excel workbook (*.xlsx);;"
               "Parquet (*.parquet *.pq);;All files (*)")
PAGE_FILE, PAGE_PREVIEW, PAGE_ROLES, PAGE_NAME, PAGE_IMPORT = range(5)
DELIMITERS = [("Detect", None), ("Comma  ,", ","), ("Semicolon  ;", ";"), ("Tab", "\t"),
              ("Pipe  |", "|")]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PREVIEW_DELAY_MS = 150


def _label(text: str, name: str = "hint") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def _text_table(columns: list[str], rows: list[list]) -> pa.Table:
    """A preview (strings, possibly ragged rows) as an Arrow table of text columns."""
    width = max([len(columns)] + [len(r) for r in rows]) if (columns or rows) else 0
    names = [columns[i] if i < len(columns) and columns[i] else f"(column {i + 1})"
             for i in range(width)]
    arrays = [pa.array([r[i] if i < len(r) else None for r in rows], pa.string())
              for i in range(width)]
    return pa.Table.from_arrays(arrays, names=names)


class FilePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Choose a file")
        self.setSubTitle("CSV or TSV text, an Excel workbook (.xlsx) or a Parquet file. The file "
                         "is only read; the data is stored encrypted in the vault.")
        self.path = QLineEdit()
        self.path.setObjectName("importPath")
        self.path.setPlaceholderText("/path/to/extract.csv")
        self.path.setToolTip("The file to import; nothing is written next to it")
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self._browse)
        self.problem = _label("", "error")
        label = QLabel("&File:")
        label.setBuddy(self.path)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.path.textChanged.connect(self.completeChanged)

    def file(self) -> Path | None:
        text = self.path.text().strip()
        return Path(text).expanduser() if text else None

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Import a data file", self.path.text(),
                                                FILE_FILTER)
        if chosen:
            self.path.setText(chosen)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        path = self.file()
        ok = path is not None and path.is_file()
        self.problem.setText("" if ok or path is None else "There is no file at that path.")
        return ok

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        return self.wizard().confirm_demo_import(self.file())


class PreviewPage(QWizardPage):
    """Shows the first rows as parsed with the current options; re-previews on every change."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Check how the file is read")
        self.setSubTitle("Detected settings are filled in. If the columns look wrong, change "
                         "them: the preview updates as you go.")
        self.runner = runner
        self.result = None          # the last Preview
        self._stale = False         # options changed while a preview was running
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh)

        self.delimiter = QComboBox()
        for label, value in DELIMITERS:
            self.delimiter.addItem(label, value)
        self.delimiter.setToolTip("The character between fields")
        self.encoding = QComboBox()
        self.encoding.addItem("Detect", None)
        for enc in SUPPORTED_ENCODINGS:
            self.encoding.addItem(enc, enc)
        self.encoding.setToolTip("How the text is encoded; 'cp1252' is common for files saved by "
                                 "Excel on Windows")
        # 0 is "Detect"; the detected line is then shown, and it follows re-detection (when
        # another option changes) until the user sets a line.
        self.header_row = QSpinBox()
        self.header_row.setRange(0, 1000)
        self.header_row.setSpecialValueText("Detect")
        self.header_row.setToolTip("The line that holds the column names; lines above it are "
                                   "skipped (e.g. a title line). Below 1: detect it")
        self._header_detected = True
        self.decimal = QComboBox()
        for label, value in (("Detect", None), ("Point  1.5", "."), ("Comma  1,5", ",")):
            self.decimal.addItem(label, value)
        self.decimal.setToolTip("The decimal mark used in numbers")
        self.sheet = QComboBox()
        self.sheet.setToolTip("The worksheet to import")
        self.detected = _label("")
        self.error = _label("", "error")

        grid = QGridLayout()
        self._option_labels = {}
        for i, (text, widget) in enumerate((("&Delimiter:", self.delimiter),
                                            ("&Encoding:", self.encoding),
                                            ("&Header on line:", self.header_row),
                                            ("Decimal &mark:", self.decimal),
                                            ("&Sheet:", self.sheet))):
            label = QLabel(text)
            label.setBuddy(widget)
            self._option_labels[widget] = label
            grid.addWidget(label, i // 3, (i % 3) * 2)
            grid.addWidget(widget, i // 3, (i % 3) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnStretch(5, 1)

        self.table = QTableView()
        self.table.setObjectName("previewTable")
        configure_table(self.table)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.detected)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)

        for combo in (self.delimiter, self.encoding, self.decimal, self.sheet):
            combo.currentIndexChanged.connect(self._schedule)
        self.header_row.valueChanged.connect(self._header_row_set)
        runner.ended.connect(self._after_job)

    def options(self) -> ParseOptions:
        return ParseOptions(delimiter=self.delimiter.currentData(),
                            encoding=self.encoding.currentData(),
                            header_row=None if self._header_detected
                            else self.header_row.value() - 1,
                            decimal=self.decimal.currentData(),
                            sheet=self.sheet.currentData())

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.result = None
        for combo in (self.delimiter, self.encoding, self.decimal, self.sheet):
            combo.blockSignals(True)
        self.delimiter.setCurrentIndex(0)
        self.encoding.setCurrentIndex(0)
        self.decimal.setCurrentIndex(0)
        self.sheet.clear()
        self.sheet.addItem("First sheet", None)
        for combo in (self.delimiter, self.encoding, self.decimal, self.sheet):
            combo.blockSignals(False)
        self._show_header_row(None)
        self.refresh()

    def _schedule(self, *_args) -> None:
        self._timer.start()

    def _header_row_set(self, value: int) -> None:
        self._header_detected = value == 0
        self._schedule()

    def _show_header_row(self, detected: int | None) -> None:
        """Show a detected header row (0-based; ``None``: "Detect") without taking it as the
        user's choice."""
        self._header_detected = True
        self.header_row.blockSignals(True)
        self.header_row.setValue(0 if detected is None else detected + 1)
        self.header_row.blockSignals(False)

    def refresh(self) -> None:
        if self.runner.is_busy:
            self._stale = True
            return
        self._stale = False
        self.detected.setText("Reading the first rows…")
        self.completeChanged.emit()
        self.runner.run(datasets.preview, self.wizard().file(), self.options(),
                        limits=self.wizard().limits, title="Previewing", on_done=self._show,
                        on_error=self._failed)

    def _after_job(self) -> None:
        if self._stale:
            self._timer.start()

    def _show(self, result) -> None:
        self.result = result
        opts = result.options
        if self._header_detected:
            self._show_header_row(opts.header_row)
        self._set_format(result.format, result)
        parts = [f"{result.format.upper()} file, {result.file_bytes / 1e6:.1f} MB"]
        if result.format == "csv":
            parts.append(f"delimiter: {DELIMITER_NAMES.get(opts.delimiter, repr(opts.delimiter))}")
            parts.append(f"encoding: {opts.encoding}")
            if opts.decimal:
                parts.append(f"decimal mark: {opts.decimal!r}")
        parts.append(f"{len(result.columns)} columns; showing the first {len(result.rows)} rows")
        self.detected.setText("Read as " + " · ".join(parts) + ".")
        self.error.setText(result.error or "")
        replace_model(self.table, ArrowTableModel(_text_table(result.columns, result.rows),
                                                  parent=self.table, show_types=False))
        fit_columns(self.table, maximum=220)
        self.completeChanged.emit()

    def _set_format(self, fmt: str, result) -> None:
        text_only = fmt == "csv"
        for widget in (self.delimiter, self.encoding, self.decimal):
            widget.setEnabled(text_only)
            self._option_labels[widget].setEnabled(text_only)
        is_xlsx = fmt == "xlsx"
        self.sheet.setVisible(is_xlsx)
        self._option_labels[self.sheet].setVisible(is_xlsx)
        self.header_row.setEnabled(fmt != "parquet")
        if is_xlsx and result.sheets and self.sheet.count() != len(result.sheets) + 1:
            self.sheet.blockSignals(True)
            self.sheet.clear()
            self.sheet.addItem("First sheet", None)
            for name in result.sheets:
                self.sheet.addItem(name, name)
            self.sheet.blockSignals(False)

    def _failed(self, exc: BaseException) -> None:
        self.result = None
        self.detected.setText("")
        if isinstance(exc, PPDSError):
            self.error.setText(error_line(exc))
        else:
            show_error(self, exc, title="Previewing")
        replace_model(self.table, None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return (self.result is not None and not self.result.error and bool(self.result.columns)
                and not self.runner.is_busy and not self._timer.isActive())


class RolesPage(QWizardPage):
    """Profiles the file with the chosen options and lets the user set each column's role."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle("Column roles")
        self.setSubTitle("Suggested from the column names and values; the reason is shown. "
                         "Check each one: roles decide how columns are protected when you share.")
        self.runner = runner
        self.read = None            # the ProfiledRead (data and profile) of the chosen file
        self.model = RolesModel(parent=self)
        self.table = QTableView()
        self.table.setObjectName("rolesTable")
        self.table.setModel(self.model)
        setup_profile_table(self.table)
        self.status = _label("")
        self.error = _label("", "error")
        self.progress = TaskProgress(runner, show_cancel=False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(_label("Double-click a role, or select it and start typing, to change "
                                "it. Identifier: names, numbers and contacts that point to one "
                                "person. Quasi-identifier: age, dates, ZIP, gender. Sensitive: "
                                "diagnoses, results."))

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wizard: ImportWizard = self.wizard()
        self.read = None
        self.model.set_rows([])
        self.error.setText("")
        self.status.setText("Reading and profiling the whole file…")
        self.runner.run(datasets.read_and_profile, wizard.file(), wizard.options(),
                        limits=wizard.limits, title="Profiling", on_done=self._show,
                        on_error=self._failed)

    def _show(self, read) -> None:
        # Kept in memory (never on disk) so that the import stores this read, not a second one.
        self.read = read
        profile = read.profile
        self.model.set_rows([ColumnRow(c.name, c.kind, c.missing_share, c.distinct,
                                       tuple(c.examples[:3]), c.role, c.reason)
                             for c in profile.columns])
        self.status.setText(f"{profile.rows:,} rows, {len(profile.columns)} columns.")
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("")
        if isinstance(exc, PPDSError):
            self.error.setText(error_line(exc) + " Go Back to change the parse options.")
        else:
            show_error(self, exc, title="Profiling")

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override (Back)
        self.runner.cancel()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.read is not None and not self.runner.is_busy


class NamePage(QWizardPage):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setTitle("Name the dataset")
        self.setSubTitle("The name identifies the dataset in the vault, in the audit log and in "
                         "releases made from it.")
        self.name = QLineEdit()
        self.name.setObjectName("datasetName")
        self.name.setMaxLength(200)
        self.problem = _label("", "error")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addSpacing(12)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.name.textChanged.connect(self.completeChanged)
        self.setButtonText(QWizard.WizardButton.NextButton, "&Import")
        self._taken: set[str] = set()

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self._taken = {d.name for d in self.session.vault.list_datasets()}
        stem = self.wizard().file().stem.replace("_", " ").strip() or "Imported data"
        self.name.setText(datasets.free_name(stem, self._taken))
        self.name.selectAll()
        self.name.setFocus()
        self.summary.setText(self._summary())

    def _summary(self) -> str:
        """What is about to be imported, so the user checks it once more."""
        wizard: ImportWizard = self.wizard()
        preview, rows = wizard.preview_page.result, wizard.roles_page.model.rows()
        counts = {key: sum(1 for r in rows if r.role == key) for key in ROLE_LABELS}
        changed = sum(1 for r in rows if r.confirmed)
        read = wizard.roles_page.read
        role_text = ", ".join(
            f"{n} {ROLE_LABELS[k].lower()}{'s' if n != 1 and 'identifier' in k else ''}"
            for k, n in counts.items() if n)
        lines = [f"<b>File</b>: {escape(wizard.file().name)}"
                 + (f" ({preview.format.upper()}, {preview.file_bytes / 1e6:.1f} MB)"
                    if preview is not None else ""),
                 f"<b>Size</b>: {read.profile.rows:,} rows × {len(rows)} columns" if read else "",
                 f"<b>Roles</b>: {role_text}" + (f" ({changed} set by you)" if changed else "")]
        return "<br>".join(line for line in lines if line)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        name = self.name.text().strip()
        taken = name in self._taken
        self.problem.setText("A dataset with this name already exists." if taken else "")
        return bool(name) and not taken


class ImportPage(QWizardPage):
    def __init__(self, session: AppSession, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self.info = None
        self.setTitle("Import")
        self.progress = TaskProgress(runner, hide_when_idle=False, show_cancel=False)
        self.status = _label("")
        self.error = _label("", "error")
        self.retry = QPushButton("&Try again")
        self.retry.clicked.connect(self._start)
        self.retry.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        runner.cancelled.connect(self._cancelled)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self._start()

    def _start(self) -> None:
        wizard: ImportWizard = self.wizard()
        self.info = None
        self.error.setText("")
        self.retry.setVisible(False)
        self.setSubTitle("Reading, checking and storing the data, encrypted, in one transaction. "
                         "Cancel leaves the vault as it was.")
        self.status.setText("")
        read = wizard.roles_page.read
        self.runner.run(datasets.store_read, self.session.vault, read.result,
                        name=wizard.dataset_name(), roles=wizard.roles(), profile=read.profile,
                        demo_confirmed=wizard.demo_confirmed, title="Importing",
                        on_done=self._done, on_error=self._failed)
        self.completeChanged.emit()

    def _done(self, info) -> None:
        self.info = info
        self.setSubTitle("Done. Press Finish to see the dataset.")
        restyle(self.status, f"Imported “{info.name}”: {info.n_rows:,} rows × {info.n_cols} "
                             "columns, stored encrypted in the vault.", "ok")
        finished_state(self.wizard())
        self.session.datasets_changed.emit()
        self.completeChanged.emit()

    def _cancelled(self) -> None:
        if self.wizard() is None or self.wizard().currentPage() is not self:
            return
        self.setSubTitle("Cancelled.")
        self.status.setText("The import was cancelled; nothing was stored.")
        self.retry.setVisible(True)
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.setSubTitle("The import failed; nothing was stored.")
        if isinstance(exc, PPDSError):
            self.error.setText(error_line(exc))
        else:
            show_error(self, exc, title="Importing")
        self.retry.setVisible(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.info is not None


class ImportWizard(QWizard):
    """Emits ``imported(uid)`` once the dataset is stored."""

    imported = Signal(str)

    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("ImportWizard")
        self.setWindowTitle("Import data")
        standard_wizard(self)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.limits = datasets.read_limits(session.vault)
        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self.runner, self)
        self.roles_page = RolesPage(self.runner, self)
        self.name_page = NamePage(session, self)
        self.import_page = ImportPage(session, self.runner, self)
        self.setPage(PAGE_FILE, self.file_page)
        self.setPage(PAGE_PREVIEW, self.preview_page)
        self.setPage(PAGE_ROLES, self.roles_page)
        self.setPage(PAGE_NAME, self.name_page)
        self.setPage(PAGE_IMPORT, self.import_page)
        self.demo_confirmed = False
        if session.is_demo:
            add_demo_banner(self)
        self.finished.connect(self._on_finished)
        self.resize(980, 660)

    def confirm_demo_import(self, path: Path) -> bool:
        """Into the public demo vault only the bundled sample goes without a question."""
        self.demo_confirmed = False
        if not demo.demo_import_needs_yes(self.session.vault, path.name, path.stat().st_size):
            return True
        answer = QMessageBox.warning(
            self, "Import into the demo vault?",
            demo.DEMO_IMPORT_RISK + f"\n\nImport “{path.name}” into the demo vault anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        self.demo_confirmed = answer == QMessageBox.StandardButton.Yes
        return self.demo_confirmed

    # what the pages collected
    def file(self) -> Path:
        return self.file_page.file()

    def options(self) -> ParseOptions:
        return self.preview_page.result.options if self.preview_page.result is not None \
            else self.preview_page.options()

    def roles(self) -> dict[str, str]:
        """The roles the user set; untouched suggestions are stored as suggestions, with their
        reason, for review later."""
        return {r.name: r.role for r in self.roles_page.model.rows() if r.confirmed}

    def dataset_name(self) -> str:
        return self.name_page.name.text().strip()

    def reject(self) -> None:
        """Cancel or Esc: stop a running job first; close once it has unwound."""
        if self.runner.is_busy:
            self.runner.cancel()
            if self.currentId() == PAGE_IMPORT:
                return  # the page reports the cancellation; Cancel again closes
            self.runner.ended.connect(super().reject)
            return
        super().reject()

    def _on_finished(self, _result: int) -> None:
        info = self.import_page.info
        if info is not None:
            self.imported.emit(info.uid)
