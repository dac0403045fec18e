"""Issue 14, "Must show": the Prepare wizard walked from start to a saved release with the
keyboard only (Tab, arrows, Space, Enter and access keys), no two visible controls of a step
sharing an access key."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QTabBar, QWidget

from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.session import AppSession


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """One key press, sent where the keyboard focus is (as the system would)."""
    target = QApplication.focusWidget() or QApplication.activeWindow()
    modal = QApplication.activeModalWidget()
    if modal is not None and modal.isVisible() and not modal.isAncestorOf(target):
        target = modal.focusWidget() or modal
    QTest.keyClick(target, key, modifier)


def _alt(qtbot, letter: str) -> None:
    _key(qtbot, getattr(Qt.Key, f"Key_{letter.upper()}"), Qt.KeyboardModifier.AltModifier)


def _access_keys(window: QWidget) -> list[tuple[str, str]]:
    """(letter, owner) of every access key the user can press now on ``window``."""
    keys = []

    def add(text: str, owner: str) -> None:
        match = re.search(r"&([^&\s])", text.replace("&&", ""))
        if match:
            keys.append((match.group(1).lower(), owner))
    for w in window.findChildren(QWidget):
        if not w.isVisible():
            continue
        if isinstance(w, QAbstractButton):
            add(w.text(), w.text())
        elif isinstance(w, QLabel) and w.buddy() is not None and w.buddy().isVisible():
            add(w.text(), w.text())
        elif isinstance(w, QGroupBox) and w.isCheckable():
            add(w.title(), w.title())
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                if w.isTabVisible(i):
                    add(w.tabText(i), w.tabText(i))
    menu_bar = getattr(window, "menuBar", None)
    if menu_bar is not None:
        for action in menu_bar().actions():
            add(action.text(), action.text())
    return keys


def _no_clash(window: QWidget, where: str) -> None:
    seen: dict[str, str] = {}
    for letter, owner in _access_keys(window):
        assert letter not in seen, f"{where}: {owner!r} and {seen[letter]!r} both use Alt+{letter}"
        seen[letter] = owner


def test_prepare_wizard_by_keyboard_alone(qtbot, vault):
    from ppds_desktop.paths import sample_csv
    from ppds_desktop.services.datasets import import_file

    import_file(vault, sample_csv(), name="Sample admissions")
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    _key(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)       # Go ▸ Prepare release
    page = window.page("prepare")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page)
    _no_clash(window, "dataset step")
    _alt(qtbot, "d")                                                     # the dataset list
    assert QApplication.focusWidget() is page.dataset_combo
    assert page.dataset_combo.currentText().startswith("Sample admissions")
    _alt(qtbot, "n")                                                     # Next
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 1, timeout=30_000)

    _no_clash(window, "preset step")
    _alt(qtbot, "e")                                                     # Expert…
    qtbot.waitUntil(page.preset_buttons["expert"].isChecked)   # buttons "click" after a flash
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.preset_buttons["expert"])
    _key(qtbot, Qt.Key.Key_Up)                                           # …arrow back up
    assert page.preset_buttons["research_k_anonymity"].isChecked()
    _alt(qtbot, "a")                                                     # Advanced on…
    qtbot.waitUntil(page.advanced.isChecked)
    _key(qtbot, Qt.Key.Key_Space)                                        # …and off again
    assert not page.advanced.isChecked()
    _alt(qtbot, "n")
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 2)

    _no_clash(window, "column actions")
    _key(qtbot, Qt.Key.Key_Tab)                                          # into the table
    assert page.columns_step.table.isAncestorOf(QApplication.focusWidget()) \
        or QApplication.focusWidget() is page.columns_step.table
    _alt(qtbot, "n")
    qtbot.waitUntil(lambda: page.steps.currentIndex() == 3)
    _no_clash(window, "privacy model")
    _alt(qtbot, "n")
    qtbot.waitUntil(lambda: page.steps.currentIndex() == page.run_index)
    _no_clash(window, "check and run")
    with qtbot.waitSignal(page.runner.finished, timeout=60_000):
        _alt(qtbot, "r")                                                 # Run
    assert page.steps.currentIndex() == page.results_index

    _no_clash(window, "results")
    _alt(qtbot, "m")                                                     # the release name
    assert QApplication.focusWidget() is page.release_name
    _key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(page.release_name, "Typed release")
    with qtbot.waitSignal(page.runner.finished, timeout=60_000):
        _alt(qtbot, "s")                                                 # Save release
    assert [r.name for r in vault.list_releases()] == ["Typed release"]
    assert page.share_button.isVisible() and QApplication.focusWidget() is page.share_button
    _key(qtbot, Qt.Key.Key_Space)                                        # Share this release…
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None)
    assert "identity" in QApplication.activeModalWidget().text()      # none yet: says what to do
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.page("sharing"))
    _no_clash(window, "results after saving")
