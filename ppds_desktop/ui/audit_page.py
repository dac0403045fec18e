"""The audit log page: every recorded action, newest first, and a "Verify chain" check.

Entries carry names, ids, counts and parameters, never cell values, so showing them is safe.
Verification re-hashes the whole chain, which can take a moment on a long log, so it runs on
the session's worker like any other long job.

The chain's current head is shown with a Copy button, and a field takes a head noted earlier:
whoever holds the passphrase could rewrite the log and recompute the chain, but cannot make a
head recorded outside the vault (on paper, or in a bundle a partner received) reappear.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from ..core.errors import PPDSError
from ..services import plain, vault_ops
from .errors import error_line
from .local_time import local_time
from .session import AppSession
from .widgets.restyle import restyle

_COLUMNS = ("#", "When", "Who", "What happened")


class AuditModel(QAbstractTableModel):
    def __init__(self, entries=(), parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, ...]] = []
        self.set_entries(entries)

    def set_entries(self, entries) -> None:
        self.beginResetModel()
        self._rows = [(str(e.seq), local_time(e.ts, seconds=True), e.actor,
                       plain.audit_sentence(e.action, e.details))
                      for e in reversed(list(entries))]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(_COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section]
        return None


def _verify(vault, *, task) -> int:
    task.report(0.0, "Verifying the audit chain…")
    return vault.verify_audit()


class AuditPage(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        title = QLabel("Audit log")
        title.setObjectName("pageTitle")
        intro = QLabel("Everything done in this vault, newest first, in your local time. Each "
                       "entry is chained to the one before it by a hash, so a changed or removed "
                       "entry is detected.")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.model = AuditModel(parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setToolTip("Re-compute every entry's hash and check the chain is whole")
        self.verify_button.clicked.connect(self.verify)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.result = QLabel()
        self.result.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.verify_button)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.result, 1)

        self.head = QLabel()
        self.head.setObjectName("auditHead")
        self.head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the current head, to keep it somewhere outside this "
                                    "vault")
        self.copy_button.clicked.connect(self.copy_head)
        head_bar = QHBoxLayout()
        head_bar.addWidget(QLabel("Current head:"))
        head_bar.addWidget(self.head, 1)
        head_bar.addWidget(self.copy_button)
        self.recorded = QLineEdit()
        self.recorded.setObjectName("recordedHead")
        self.recorded.setPlaceholderText("Paste a head you noted down earlier")
        self.recorded.setAccessibleName("Recorded head")
        self.check_button = QPushButton("C&heck")
        self.check_button.setToolTip("Verify the chain and that this earlier head is still in "
                                     "it, so the history up to then was not rewritten")
        self.check_button.clicked.connect(self.check_recorded)
        self.recorded.returnPressed.connect(self.check_recorded)
        check_bar = QHBoxLayout()
        check_bar.addWidget(QLabel("Recorded head:"))
        check_bar.addWidget(self.recorded, 1)
        check_bar.addWidget(self.check_button)
        head_hint = QLabel("Anyone with the passphrase could rewrite this log and recompute its "
                           "chain. Note the head down outside the vault from time to time (each "
                           "bundle you seal also carries it to its recipients): a rewritten "
                           "history no longer contains it.")
        head_hint.setObjectName("hint")
        head_hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addLayout(head_bar)
        layout.addLayout(check_bar)
        layout.addWidget(head_hint)
        layout.addWidget(self.table, 1)
        # the entries are read when the page is shown (showEvent), and again on changes only
        # while it is on screen: a hidden page would re-read the whole log for no one
        session.datasets_changed.connect(self._refresh_if_shown)
        session.releases_changed.connect(self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self.session.is_locked:
            return
        self.model.set_entries(vault_ops.audit_log(self.session.vault))
        head = vault_ops.audit_head(self.session.vault)
        self.head.setText(f"{head.hash}  (entry {head.seq})")
        for column, width in ((0, 56), (1, 170), (2, 170)):
            self.table.setColumnWidth(column, width)

    def copy_head(self) -> None:
        if not self.session.is_locked:
            QGuiApplication.clipboard().setText(vault_ops.audit_head(self.session.vault).hash)
            self._set_result("ok", "The current head was copied.")

    def check_recorded(self) -> None:
        text = self.recorded.text().strip()
        if not text:
            self._set_result("error", "✗ Paste a head noted down earlier first.")
            return
        self.result.setText("Checking…")
        self.session.runner.run(vault_ops.check_audit_head, self.session.vault, text,
                                title="Checking the audit log", on_done=self._head_found,
                                on_error=self._broken)

    def _head_found(self, count: int) -> None:
        self._set_result("ok", f"✓ The chain is intact ({count} entries) and contains the "
                               "recorded head: the history up to it is unchanged.")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: entries may be new
        super().showEvent(event)
        self.refresh()

    def verify(self) -> None:
        self.result.setObjectName("hint")
        self.result.setText("Verifying…")
        self.session.runner.run(_verify, self.session.vault, title="Verifying the audit log",
                                on_done=self._verified, on_error=self._broken)

    def _verified(self, count: int) -> None:
        self._set_result("ok", f"✓ The chain is intact: {count} entries verified.")
        self.refresh()

    def _broken(self, exc: BaseException) -> None:
        text = error_line(exc) if isinstance(exc, PPDSError) else f"Unexpected error: {exc}"
        self._set_result("error", "✗ " + text)

    def _set_result(self, name: str, text: str) -> None:
        restyle(self.result, text, name)
