"""The Datasets page: the vault's datasets on the left; the selected one on the right as its
data, its column profile with editable roles, and its details and provenance.

The data is loaded from the vault on the page's own worker (a million rows take a moment) and
shown through ``ArrowTableModel``, which formats only the cells on screen. Selecting another
dataset while one is loading cancels the load. Role changes are saved at once (and audited by
the vault).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGridLayout, QHeaderView,
                               QInputDialog, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QSplitter, QStackedWidget, QTableView,
                               QTabWidget, QTextBrowser, QVBoxLayout, QWidget)

from ..core.errors import PPDSError
from ..paths import resource
from ..services import datasets, disclosure, plain
from ..services.datasets import column_examples
from .errors import show_error
from .local_time import local_time
from .profile_view import profile_rows, setup_profile_table, type_labels
from .roles_model import RolesModel
from .session import AppSession
from .shortcuts import IMPORT_DATA, native_text
from .table_model import ArrowTableModel, replace_model
from .widgets.task_progress import TaskProgress
from .widgets.file_written import show_file_written
from .worker import TaskRunner

KIND_ICONS = {"raw": "icons/dataset-raw.svg", "release": "icons/dataset-release.svg",
              "received": "icons/dataset-received.svg"}


def kind_icon(kind: "plain.DatasetKind") -> QIcon:
    """The icon of a dataset's kind (raw data, release, received), as in the Share wizard."""
    return QIcon(str(resource(KIND_ICONS[kind.key])))


def _load_table(vault, uid: str, *, task):
    """The data (one contiguous array per column, for O(1) cell access) and, for the profile
    panel, a few example values per column (the stored profile keeps none)."""
    table = vault.load_arrow(uid, task=task).combine_chunks()
    return table, {name: examples[:3] for name, examples in column_examples(table).items()}


def configure_table(view: QTableView) -> None:
    """The look shared by the data tables: compact rows, two-line headers, no per-row sizing."""
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    vertical = view.verticalHeader()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + 8)
    vertical.setMinimumWidth(48)
    horizontal = view.horizontalHeader()
    horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    horizontal.setResizeContentsPrecision(100)  # size columns from the first rows only


def fit_columns(view: QTableView, maximum: int = 260) -> None:
    view.resizeColumnsToContents()
    for column in range(view.model().columnCount() if view.model() else 0):
        # + a little: the style sheet's header padding is not part of the measured width
        view.setColumnWidth(column, min(view.columnWidth(column) + 12, maximum))


_CSV_FOR_SPREADSHEETS = "CSV for spreadsheets such as Excel (*.csv)"
_CSV_PLAIN = "CSV, plain UTF-8 for other programs (*.csv)"


class DatasetsPage(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self._pending_uid: str | None = None
        self._loaded_uid: str | None = None
        self.info = None

        # -- left: the list ------------------------------------------------------------------
        list_title = QLabel("Datasets")
        list_title.setObjectName("pageTitle")
        self.list = QListWidget()
        self.list.setObjectName("datasetList")
        self.list.setAccessibleName("Datasets in the vault")
        self.list.setIconSize(QSize(18, 18))
        self.list.setMinimumWidth(220)
        self.list.setSpacing(1)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.import_button = QPushButton("&Import…")
        self.import_button.setToolTip("Import a CSV, TSV, Excel or Parquet file "
                                      f"({native_text(IMPORT_DATA)})")
        self.import_button.clicked.connect(self._import)
        self.rename_button = QPushButton("Re&name…")
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button = QPushButton("De&lete…")
        self.delete_button.setToolTip("Remove the dataset from the vault (recorded in the audit "
                                      "log; releases made from it are kept)")
        self.delete_button.clicked.connect(self.delete_current)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setToolTip("Write the dataset to a CSV, Excel or Parquet file "
                                      "(spreadsheet formulas are escaped; recorded in the audit log)")
        self.export_button.clicked.connect(lambda: self.export_current())
        buttons = QGridLayout()
        buttons.addWidget(self.import_button, 0, 0)
        buttons.addWidget(self.export_button, 0, 1)
        buttons.addWidget(self.rename_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 12, 6, 8)
        left_layout.addWidget(list_title)
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(buttons)

        # -- right: the selected dataset -------------------------------------------------------
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)

        self.progress = TaskProgress(self.runner)
        self.table = QTableView()
        self.table.setObjectName("dataTable")
        configure_table(self.table)
        self.table.setSortingEnabled(False)
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().sectionClicked.connect(self._sort_by)
        data_tab = QWidget()
        data_layout = QVBoxLayout(data_tab)
        data_layout.setContentsMargins(0, 0, 0, 0)
        data_layout.addWidget(self.progress)
        data_layout.addWidget(self.table, 1)
        self.tabs.addTab(data_tab, "&Data")

        self.roles_model = RolesModel(save=self._save_role, parent=self)
        self.profile = QTableView()
        self.profile.setObjectName("profileTable")
        self.profile.setModel(self.roles_model)
        setup_profile_table(self.profile)
        profile_help = QLabel("Roles decide how each column is protected. Suggestions are in "
                              "italics until you confirm or change them: double-click a role "
                              "(or select it and press F2) to change it.")
        profile_help.setObjectName("hint")
        profile_help.setWordWrap(True)
        profile_tab = QWidget()
        profile_layout = QVBoxLayout(profile_tab)
        profile_layout.setContentsMargins(8, 8, 8, 8)
        profile_layout.addWidget(profile_help)
        profile_layout.addWidget(self.profile, 1)
        self.tabs.addTab(profile_tab, "&Columns and roles")

        self.details = QTextBrowser()
        self.details.setObjectName("details")
        self.details.setOpenLinks(False)
        self.tabs.addTab(self.details, "De&tails")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 12, 12, 8)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.tabs, 1)

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_label = QLabel("No dataset yet.\n\nImport a CSV, TSV, Excel or Parquet file to "
                             "start: it is checked, profiled and stored encrypted in the vault.")
        empty_label.setWordWrap(True)
        empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_button = QPushButton("Import a &file…")
        empty_button.clicked.connect(self._import)
        empty_layout.addStretch(1)
        empty_layout.addWidget(empty_label)
        empty_layout.addWidget(empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.right_stack = QStackedWidget()
        self.right_stack.addWidget(self.empty)
        self.right_stack.addWidget(right)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.right_stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.runner.ended.connect(self._start_pending_load)
        session.datasets_changed.connect(self.refresh)
        self.refresh()

    # -- the list -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.session.is_locked:
            return
        keep = self.current_uid() or self.session.current_dataset
        datasets = self.session.vault.list_datasets()
        self.list.blockSignals(True)
        self.list.clear()
        for info in datasets:
            kind = plain.dataset_kind(self.session.vault, info)
            item = QListWidgetItem(kind_icon(kind), f"{info.name}\n{kind.label} · "
                                                    f"{kind.short_status}")
            item.setData(Qt.ItemDataRole.UserRole, info.uid)
            item.setToolTip(f"{info.name}: {kind.label}, {info.n_rows:,} rows × {info.n_cols} "
                            f"columns; {kind.identifier_status}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{info.name}, {kind.label}, {kind.identifier_status}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        has_any = bool(datasets)
        self.right_stack.setCurrentIndex(1 if has_any else 0)
        for button in (self.export_button, self.rename_button, self.delete_button):
            button.setEnabled(has_any)
        if has_any:
            uids = [d.uid for d in datasets]
            self.select_dataset(keep if keep in uids else uids[-1])
        else:
            self._show(None)

    def current_uid(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_dataset(self, uid: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == uid:
                if self.list.currentRow() == row:
                    self._show(uid)
                else:
                    self.list.setCurrentRow(row)
                return

    def _on_current_changed(self, current, _previous) -> None:
        self._show(current.data(Qt.ItemDataRole.UserRole) if current is not None else None)

    # -- the selected dataset -------------------------------------------------------------------
    def _show(self, uid: str | None) -> None:
        if uid is None:
            self.info = None
            replace_model(self.table, None)
            self.roles_model.set_rows([])
            self._loaded_uid = None
            return
        if self.info is not None and self.info.uid == uid and self._loaded_uid == uid:
            return
        self.info = info = self.session.vault.dataset_info(uid)
        self.session.select_dataset(uid)
        self.title.setText(info.name)
        kind = plain.dataset_kind(self.session.vault, info)
        self.summary.setText(f"{info.n_rows:,} rows × {info.n_cols} columns · {kind.label} · "
                             f"{kind.identifier_status} · added {local_time(info.created_at)}")
        self.roles_model.set_rows(profile_rows(info, self.session.vault.roles(uid)))
        self.details.setHtml(_details_html(info, kind))
        self._load(uid)

    def _load(self, uid: str) -> None:
        replace_model(self.table, None)
        self._loaded_uid = None
        if self.runner.is_busy:
            self._pending_uid = uid
            self.runner.cancel()
            return
        self._pending_uid = None
        self.runner.run(_load_table, self.session.vault, uid, title=f"Loading {self.info.name}",
                        on_done=lambda result, uid=uid: self._loaded(uid, *result))

    def _start_pending_load(self) -> None:
        uid, self._pending_uid = self._pending_uid, None
        if uid is not None and not self.session.is_locked and self.info is not None \
                and self.info.uid == uid:
            self._load(uid)

    def _loaded(self, uid: str, table, examples: dict) -> None:
        if self.info is None or self.info.uid != uid:
            return
        self.roles_model.set_examples(examples)
        model = ArrowTableModel(table, type_labels(self.info), parent=self.table)
        self.table.setModel(model)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        fit_columns(self.table)
        self._loaded_uid = uid

    def _sort_by(self, column: int) -> None:
        model = self.table.model()
        if model is None:
            return
        header = self.table.horizontalHeader()
        ascending = not (header.isSortIndicatorShown() and header.sortIndicatorSection() == column
                         and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder)
        order = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        header.setSortIndicatorShown(True)
        header.setSortIndicator(column, order)
        model.sort(column, order)

    def _save_role(self, column: str, role: str) -> bool:
        try:
            self.session.vault.set_role(self.info.uid, column, role)
        except PPDSError as exc:
            show_error(self, exc, title="Saving the role")
            return False
        return True

    # -- actions ------------------------------------------------------------------------------
    def _import(self) -> None:
        window = self.window()
        if hasattr(window, "open_import_wizard"):
            window.open_import_wizard()

    def rename_current(self) -> None:
        if self.info is None:
            return
        name, ok = QInputDialog.getText(self, "Rename dataset", "New &name:", text=self.info.name)
        if ok and name.strip() and name.strip() != self.info.name:
            try:
                self.session.vault.rename_dataset(self.info.uid, name.strip())
            except PPDSError as exc:
                show_error(self, exc, title="Renaming")
                return
            self.info = None
            self.session.datasets_changed.emit()

    def delete_current(self, *, confirm: bool = True) -> None:
        """Ask, then delete on the session's worker (a large dataset takes a moment)."""
        if self.info is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self, "Delete dataset",
                f"Delete “{self.info.name}” ({self.info.n_rows:,} rows) from the vault?\n\n"
                "This cannot be undone. The deletion is recorded in the audit log.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.runner.cancel()  # a load of this dataset need not finish
        self.session.runner.run(_delete, self.session.vault, self.info.uid,
                                title=f"Deleting {self.info.name}", on_done=self._deleted)

    def _deleted(self, _result) -> None:
        self.info = None
        self.session.select_dataset(None)
        self.session.datasets_changed.emit()

    def export_current(self, dest: str | None = None, *, confirm: bool = True,
                       plain_csv: bool = False) -> None:
        """Ask for a file (unless given) and export on the session's worker. Data with direct
        identifiers, a release that can still identify people and data as imported get a
        question first (``confirm=False``: the caller already has the user's yes). CSV is
        written for spreadsheets (with the byte-order mark Excel needs) unless the user picks
        the plain UTF-8 kind (``plain_csv``)."""
        if self.info is None:
            return
        if dest is None:
            dest, kind = QFileDialog.getSaveFileName(
                self, "Export dataset", datasets.export_file_name(self.info.name),
                f"{_CSV_FOR_SPREADSHEETS};;{_CSV_PLAIN};;Excel workbook (*.xlsx);;"
                "Parquet (*.parquet)")
            if not dest:
                return
            plain_csv = kind == _CSV_PLAIN
        warnings = disclosure.export_warnings(self.session.vault, self.info.name)
        if not warnings and self.info.kind == "imported":
            warnings = ["It is data as imported, not a de-identified release: the file will "
                        "hold it unprotected."]
        if confirm and warnings:
            answer = QMessageBox.warning(
                self, "Export identifiable data?",
                f"“{self.info.name}” may identify people.\n\n" + "\n\n".join(warnings)
                + "\n\nTo share data, prepare a de-identified release instead. Export anyway? "
                "The export is recorded in the audit log.",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Save:
                return
        self.session.runner.run(datasets.export_dataset, self.session.vault, self.info.uid, dest,
                                allow_identifiers=True, accept_risk=True, bom=not plain_csv,
                                title=f"Exporting {self.info.name}", on_done=self._exported)

    def _exported(self, path) -> None:
        self.file_box = show_file_written(self, path, "Export")


def _delete(vault, uid: str, *, task) -> None:
    task.report(0.0, "Deleting the dataset…")
    vault.delete_dataset(uid)


_SOURCE_SKIPPED = {"recipe", "report", "privacy_budget", "sender_audit_head", "other_files",
                   "kind", "bundle_id"}
_SOURCE_LABELS = {"file_name": "File", "bundle_file": "Bundle file", "created_at": "Sent",
                  "bytes": "File size", "format": "Format", "title": "Title", "release": "Release",
                  "dataset": "Dataset", "options": "Read with", "sender": "Sent by"}


def _source_value(key: str, value) -> str:
    """Provenance values as plain text: options as "name: value" pairs, sizes with units,
    times in local time, a sender by name."""
    if key == "sender" and isinstance(value, dict):
        state = "verified" if value.get("verified") else "not verified"
        org = f", {value['organisation']}" if value.get("organisation") else ""
        return f"{value.get('contact', '?')}{org} ({state})"
    if key.endswith("_at") and isinstance(value, str):
        return local_time(value)
    if key == "release" and isinstance(value, dict):
        return f"{value.get('name', '')} ({plain.release_kind_label(str(value.get('kind', '')))})"
    if isinstance(value, dict):
        parts = [f"{k.replace('_', ' ')}: {v!r}" if isinstance(v, str) and len(v) <= 2
                 else f"{k.replace('_', ' ')}: {v}" for k, v in value.items()
                 if v is not None and v != "" and not isinstance(v, (dict, list))]
        return "; ".join(parts) or "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if not isinstance(v, (dict, list))) or "—"
    if key == "bytes" and isinstance(value, int):
        return f"{value:,} ({value / 1e6:.1f} MB)"
    return str(value)


def _details_html(info, kind) -> str:
    rows = [("Name", info.name), ("Kind", kind.label),
            ("Direct identifiers", ", ".join(kind.identifiers) or "none"),
            ("Rows", f"{info.n_rows:,}"), ("Columns", str(info.n_cols)),
            ("Added", local_time(info.created_at)),
            ("Stored size", f"{info.byte_size / 1e6:.2f} MB (compressed, encrypted)"),
            ("Dataset id", info.uid)]
    source = info.source or {}
    for key, value in source.items():
        if key not in _SOURCE_SKIPPED and value not in (None, "", [], {}):
            rows.append((_SOURCE_LABELS.get(key, key.replace("_", " ").capitalize()),
                         _source_value(key, value)))
    body = "".join(f"<tr><td style='color:#5b6975;padding:3px 16px 3px 0'>{escape(k)}</td>"
                   f"<td style='padding:3px 0'>{escape(v)}</td></tr>" for k, v in rows)
    made = []
    if (source.get("recipe") or {}).get("columns"):
        made = plain.recipe_sentences(source["recipe"], report=source.get("report"))
        chosen = plain.levels_sentences(source.get("report") or {})
        if chosen:
            made.append("Released: " + "; ".join(chosen) + ".")
    how = ("<h4>How the sender made it</h4><ul>" + "".join(f"<li>{escape(line)}</li>"
                                                          for line in made) + "</ul>"
           if made else "")
    return f"<h3>Details and provenance</h3><table>{body}</table>{how}"
