"""The main window: page navigation on the left, the current page on the right.

Pages come from ``ui/pages.PAGES`` and are built on first display with the session. The status
bar shows the session runner's job (title, progress, Cancel) and its quiet messages. The window
never touches the vault directly; locking is the session's job and the app controller closes
this window when the session emits ``locked``.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QVBoxLayout, QWidget)

from .. import __version__
from .pages import PageSpec, ordered_pages
from .session import AppSession
from .shortcuts import IMPORT_DATA, LOCK_VAULT, native_text
from .widgets.demo_banner import DemoBanner
from .widgets.task_progress import TaskProgress


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("MainWindow")
        where = f" — {session.vault_path.name}" if session.vault_path is not None else ""
        where += " (demo vault)" if session.is_demo else ""
        self.setWindowTitle(f"PPDS Desktop{where}")
        self.resize(1280, 800)
        session.runner.set_dialog_parent(self)

        self._specs: list[PageSpec] = ordered_pages()
        self._pages: dict[str, QWidget] = {}
        self.nav = QListWidget()
        self.nav.setObjectName("Navigation")
        self.nav.setAccessibleName("Pages")
        longest = max((self.nav.fontMetrics().horizontalAdvance(s.title) for s in self._specs),
                      default=120)
        self.nav.setFixedWidth(min(max(longest + 56, 180), 230))
        self.nav.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget()
        for index, spec in enumerate(self._specs):
            item = QListWidgetItem(spec.title)
            shortcut = native_text(QKeySequence(f"Ctrl+{index + 1}")) if index < 9 else ""
            item.setToolTip(f"{spec.tooltip} ({shortcut})" if shortcut and spec.tooltip
                            else spec.tooltip or shortcut)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setSizeHint(QSize(0, 34))  # the style sheet's item padding is not measured
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # placeholder until first shown
        self.nav.currentRowChanged.connect(self._show_row)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.demo_banner = DemoBanner() if session.is_demo else None
        if self.demo_banner is not None:       # above the pages: seen on every one of them
            outer.addWidget(self.demo_banner)
        layout = QHBoxLayout()
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        outer.addLayout(layout, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._build_status_bar()
        if self._specs:
            self.nav.setCurrentRow(0)

    # -- pages --------------------------------------------------------------------------------
    def page(self, key: str) -> QWidget | None:
        """The page widget for ``key`` (built if needed), or None for an unknown key."""
        for row, spec in enumerate(self._specs):
            if spec.key == key:
                return self._ensure_page(row)
        return None

    def open_page(self, key: str) -> QWidget | None:
        for row, spec in enumerate(self._specs):
            if spec.key == key:
                self.nav.setCurrentRow(row)
                return self._pages.get(key)
        return None

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        self._ensure_page(row)
        self.stack.setCurrentIndex(row)

    def _ensure_page(self, row: int) -> QWidget:
        spec = self._specs[row]
        if spec.key in self._pages:
            return self._pages[spec.key]
        try:
            widget = spec.factory(self.session)
        except Exception as exc:  # noqa: BLE001 - one broken page must not take the window down
            widget = _broken_page(spec, exc)
        widget.setObjectName(widget.objectName() or f"page_{spec.key}")
        placeholder = self.stack.widget(row)
        self.stack.insertWidget(row, widget)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self._pages[spec.key] = widget
        return widget

    # -- menus and actions --------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.import_action = QAction("&Import data…", self)
        self.import_action.setShortcut(IMPORT_DATA)
        self.import_action.setStatusTip("Import a CSV, TSV, Excel or Parquet file into the vault")
        self.import_action.triggered.connect(self.open_import_wizard)

        self.lock_action = QAction("&Lock vault", self)
        self.lock_action.setShortcut(LOCK_VAULT)
        self.lock_action.setStatusTip("Lock the vault now; unlocking needs the passphrase")
        self.lock_action.triggered.connect(self.session.lock)

        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        if self.quit_action.shortcut().isEmpty():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        self.go_actions: list[QAction] = []
        for index, spec in enumerate(self._specs):
            action = QAction(spec.title, self)
            if index < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            if spec.key == "settings":   # macOS lists it in the application menu, as usual
                action.setMenuRole(QAction.MenuRole.PreferencesRole)
            action.triggered.connect(lambda _=False, row=index: self.nav.setCurrentRow(row))
            go_menu.addAction(action)
            self.go_actions.append(action)

        self.guide_action = QAction("&User guide", self)
        self.guide_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        if self.guide_action.shortcut().isEmpty() or \
                self.guide_action.shortcut() == QKeySequence("F1"):
            self.guide_action.setShortcut(QKeySequence("Shift+F1"))
        self.guide_action.setStatusTip("How to prepare and share a release, answer questions "
                                       "with differential privacy and take part in an "
                                       "encrypted aggregation")
        self.guide_action.triggered.connect(self.show_user_guide)
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        self.about_action = QAction("&About PPDS Desktop", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

        # On macOS Qt moves actions whose text looks like "About", "Quit", "Settings" or
        # "Options" into the application menu: say which ones belong there, and no others.
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        for menu in (file_menu, go_menu, help_menu):
            for action in menu.actions():
                if action.menuRole() == QAction.MenuRole.TextHeuristicRole:
                    action.setMenuRole(QAction.MenuRole.NoRole)

    def _build_status_bar(self) -> None:
        self.task_progress = TaskProgress(self.session.runner)
        self.statusBar().addPermanentWidget(self.task_progress)
        self.session.runner.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        busy = self.session.busy_runners()
        if event.key() == Qt.Key.Key_Escape and busy:
            for runner in busy:  # the session's job and any page's own job
                runner.cancel()
            return
        super().keyPressEvent(event)

    # -- dialogs ------------------------------------------------------------------------------
    def open_import_wizard(self):
        from .import_wizard import ImportWizard

        wizard = ImportWizard(self.session, self)
        wizard.imported.connect(self._after_import)
        wizard.open()
        return wizard

    def _after_import(self, uid: str) -> None:
        page = self.open_page("datasets")
        if page is not None and hasattr(page, "select_dataset"):
            page.select_dataset(uid)

    def show_user_guide(self):
        from .user_guide import UserGuideWindow

        self.guide = UserGuideWindow(self)
        self.guide.show()
        return self.guide

    def show_shortcuts(self) -> QMessageBox:
        """The shortcuts as this system writes them (⌘I on macOS, Ctrl+I elsewhere), read
        from the actions themselves."""
        pages = [a.shortcut() for a in self.go_actions if not a.shortcut().isEmpty()]
        rows = [(native_text(self.import_action.shortcut()), "Import data"),
                (native_text(self.lock_action.shortcut()), "Lock the vault"),
                (native_text(self.quit_action.shortcut()), "Quit")]
        if pages:
            rows.append((f"{native_text(pages[0])} … {native_text(pages[-1])}",
                         "Go to a page in the list on the left"))
        rows += [(native_text(self.guide_action.shortcut()), "The user guide"),
                 ("Esc", "Cancel the running job"),
                 (native_text(self.shortcuts_action.shortcut()), "This list"),
                 ("Tab / Shift+Tab", "Move between fields")]
        if sys.platform != "darwin":   # macOS has no underlined access keys
            rows.append(("Alt + underlined letter", "Press a button or open a menu"))
        html = "<table cellpadding='3'>" + "".join(
            f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in rows) + "</table>"
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", html,
                          QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    def show_about(self) -> QMessageBox:
        text = (f"<h3>PPDS Desktop {__version__}</h3>"
                "<p>Privacy-preserving data sharing for hospitals: an encrypted vault, "
                "de-identification, differential privacy, homomorphic aggregation and signed, "
                "encrypted share bundles — offline, by file exchange.</p>"
                "<p>Licensed under the Apache License 2.0.</p>")
        box = QMessageBox(QMessageBox.Icon.Information, "About PPDS Desktop", text,
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Quitting with a job running cancels it and waits for it to unwind first."""
        for runner in self.session.busy_runners():
            runner.cancel()
            runner.wait_until_idle(30.0)
        super().closeEvent(event)
        self.closed.emit()


def _broken_page(spec: PageSpec, exc: Exception) -> QWidget:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    label = QLabel(f"The page “{spec.title}” could not be opened:\n{exc}")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(label)
    return widget

