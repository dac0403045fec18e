"""Menus and shortcuts that read right on every platform: shortcut texts come from the actions
(macOS writes ⌘ where others write Ctrl), and only Quit, About and Settings go to the macOS
application menu, by role rather than by Qt guessing from their text."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.shortcuts import native_text


def _window(qtbot, vault) -> MainWindow:
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    return window


def test_menu_roles_are_given_not_guessed(qtbot, vault):
    window = _window(qtbot, vault)
    actions = [a for menu in window.menuBar().actions() for a in menu.menu().actions()
               if not a.isSeparator()]
    guessed = [a.text() for a in actions if a.menuRole() == QAction.MenuRole.TextHeuristicRole]
    assert guessed == []
    roles = {a.text(): a.menuRole() for a in actions}
    assert roles["&Quit"] == QAction.MenuRole.QuitRole
    assert roles["&About PPDS Desktop"] == QAction.MenuRole.AboutRole
    assert roles["Settings"] == QAction.MenuRole.PreferencesRole
    assert roles["Audit log"] == QAction.MenuRole.NoRole
    window.session.lock()


def test_shortcut_list_is_written_from_the_actions(qtbot, vault):
    window = _window(qtbot, vault)
    window.import_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
    window.lock_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
    box = window.show_shortcuts()
    text = box.text()
    for action in (window.import_action, window.lock_action, window.quit_action,
                   window.shortcuts_action):
        assert native_text(action.shortcut()) in text
    keyed = [a.shortcut() for a in window.go_actions if not a.shortcut().isEmpty()]
    assert f"{native_text(keyed[0])} … {native_text(keyed[-1])}" in text
    assert "Ctrl+I<" not in text            # the old, fixed text
    box.close()
    window.session.lock()


def test_navigation_tooltips_and_import_button_name_native_shortcuts(qtbot, vault):
    window = _window(qtbot, vault)
    first = window.nav.item(0).toolTip()
    assert first.endswith(f"({native_text(QKeySequence('Ctrl+1'))})")
    button = window.page("datasets").import_button.toolTip()
    assert button.endswith(f"({native_text(window.import_action.shortcut())})")
    window.session.lock()
