"""Vault hygiene: show/hide and a Caps Lock hint on every passphrase field, Print for the
recovery key, secrets wiped from the clipboard, and locking when the system locks the screen
or goes to sleep."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import PASSPHRASE
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QLineEdit

from ppds_desktop.ui.widgets import secret_clipboard
from ppds_desktop.ui.widgets.secret_field import SecretField, caps_lock_suspected


@pytest.fixture
def unlock_window(qtbot, tmp_path):
    from ppds_desktop.core.vault import Vault
    from ppds_desktop.ui.unlock import UnlockWindow

    path = tmp_path / "locked" / "l.vault"
    Vault.create(path, PASSPHRASE)[0].lock()
    window = UnlockWindow(path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def _secret_edits(widget) -> list[QLineEdit]:
    return [e for e in widget.findChildren(QLineEdit)
            if e.echoMode() == QLineEdit.EchoMode.Password]


def test_eye_button_is_reachable_by_keyboard_and_named(qtbot, unlock_window):
    field = unlock_window.passphrase_field
    assert field.reveal.accessibleName() == "Show passphrase"
    unlock_window.passphrase.setFocus()
    qtbot.keyClick(unlock_window.passphrase, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is field.reveal               # Tab reaches it
    qtbot.keyClick(field.reveal, Qt.Key.Key_Space)                  # Space toggles it
    assert unlock_window.passphrase.echoMode() == QLineEdit.EchoMode.Normal
    assert field.reveal.accessibleName() == "Hide passphrase"
    qtbot.keyClick(field.reveal, Qt.Key.Key_Space)
    assert unlock_window.passphrase.echoMode() == QLineEdit.EchoMode.Password


def test_caps_lock_is_inferred_from_typed_letters(qtbot, unlock_window):
    assert caps_lock_suspected("A", shift=False) and caps_lock_suspected("a", shift=True)
    assert caps_lock_suspected("a", shift=False) is False and caps_lock_suspected("7", False) is None
    edit, caps = unlock_window.passphrase, unlock_window.passphrase_field.caps
    qtbot.keyClicks(edit, "ab")
    assert not caps.isVisible()
    qtbot.keyClicks(edit, "C")                                       # capital, no Shift
    assert caps.isVisible() and caps.text() == "Caps Lock may be on."
    qtbot.keyClick(edit, "d", Qt.KeyboardModifier.ShiftModifier)    # small with Shift
    assert caps.isVisible()
    qtbot.keyClick(edit, "E", Qt.KeyboardModifier.ShiftModifier)    # capital with Shift
    assert not caps.isVisible()


def test_every_passphrase_field_has_the_eye_and_the_hint(qtbot, vault, unlock_window):
    from ppds_desktop.ui.first_run import FirstRunWizard
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.settings_page import ChangePassphraseDialog

    session = AppSession(vault)
    screens = [unlock_window, unlock_window.open_recovery(), FirstRunWizard(),
               ChangePassphraseDialog(session)]
    for screen in screens[2:]:
        qtbot.addWidget(screen)
    for screen in screens:
        edits = _secret_edits(screen)
        assert edits, screen
        for edit in edits:
            field = edit.parentWidget()
            assert isinstance(field, SecretField) and field.reveal.accessibleName()
            assert edit.accessibleName()


def test_recovery_key_prints_to_a_pdf(qtbot, tmp_path, monkeypatch):
    from ppds_desktop.ui.first_run import PAGE_RECOVERY, FirstRunWizard
    from ppds_desktop.ui.recovery_print import print_sheet, recovery_sheet

    key = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-89AB"
    sheet = recovery_sheet(key, tmp_path / "site.vault").toPlainText()
    assert key in sheet and "site.vault" in sheet and "Use recovery key" in sheet
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "direct.pdf"))
    print_sheet(printer, key, tmp_path / "site.vault")
    pdf = (tmp_path / "direct.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 2000

    # the wizard's Print button, with the print dialog answered "print to this PDF"
    out = tmp_path / "from-button.pdf"

    def answer(dialog):
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(out))
        return QPrintDialog.DialogCode.Accepted
    monkeypatch.setattr(QPrintDialog, "exec", answer)
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    page = wizard.page(PAGE_RECOVERY)
    page.key.setText(key)
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    assert out.read_bytes().startswith(b"%PDF")


def test_copied_secrets_are_wiped_from_the_clipboard(qtbot, monkeypatch):
    from ppds_desktop.ui.first_run import PAGE_RECOVERY, FirstRunWizard

    monkeypatch.setattr(secret_clipboard, "CLEAR_AFTER_MS", 50)
    clipboard = QGuiApplication.clipboard()
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    page = wizard.page(PAGE_RECOVERY)
    page.key.setText("ABCD-EFGH")
    page.copy_key()
    assert clipboard.text() == "ABCD-EFGH"
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=2000)
    # something else copied meanwhile is left alone
    secret_clipboard.copy_secret("ABCD-EFGH")
    clipboard.setText("a note")
    qtbot.wait(150)
    assert clipboard.text() == "a note"
    # a shown passphrase copied from its field goes the same way
    field = SecretField("horse battery staple")
    qtbot.addWidget(field)
    field.reveal.setChecked(True)
    field.edit.selectAll()
    field.edit.copy()
    assert clipboard.text() == "horse battery staple"
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=2000)


def _session(vault):
    from ppds_desktop.ui.session import AppSession

    session = AppSession(vault)
    session.watch_activity(QApplication.instance())
    return session


def test_suspend_locks_the_vault(qtbot, vault):
    session = _session(vault)
    app = QApplication.instance()
    with qtbot.waitSignal(session.locked, timeout=2000):
        app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationSuspended)
    assert session.is_locked and vault.is_locked and "suspended" in session.lock_reason


@pytest.mark.parametrize("slot, args", [("prepare_for_sleep", (True,)), ("session_lock", ()),
                                        ("screensaver_active", (True,))])
def test_screen_lock_and_sleep_signals_lock_the_vault(qtbot, vault_path, slot, args):
    from ppds_desktop.core.vault import Vault

    vault = Vault.create(vault_path, PASSPHRASE)[0]
    session = _session(vault)
    session._system.screensaver_active(False)           # the screen saver going away: no lock
    assert not session.is_locked
    with qtbot.waitSignal(session.locked, timeout=2000):
        getattr(session._system, slot)(*args)
    assert vault.is_locked


@pytest.mark.skipif(shutil.which("dbus-daemon") is None or shutil.which("dbus-send") is None,
                    reason="needs dbus-daemon and dbus-send")
def test_dbus_signals_reach_the_watcher(qtbot, tmp_path):
    """A private bus (a local socket, no network): the real D-Bus signals arrive."""
    from PySide6.QtDBus import QDBusConnection

    from ppds_desktop.ui.system_lock import SystemLockWatcher

    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                               f"--address=unix:path={tmp_path / 'bus'}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = daemon.stdout.readline().strip()
        bus = QDBusConnection.connectToBus(address, "ppds-test-bus")
        assert bus.isConnected()
        watcher = SystemLockWatcher(QApplication.instance(),
                                    buses={"session": bus, "system": bus})
        assert len(watcher.watching) == 4
        for path, member, arg in [("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged",
                                   "boolean:true"),
                                  ("/org/freedesktop/login1",
                                   "org.freedesktop.login1.Manager.PrepareForSleep",
                                   "boolean:true")]:
            with qtbot.waitSignal(watcher.lock_requested, timeout=5000):
                subprocess.run(["dbus-send", "--session", "--type=signal", path, member, arg],
                               check=True, env={**os.environ,
                                                "DBUS_SESSION_BUS_ADDRESS": address})
        watcher.stop()
        QDBusConnection.disconnectFromBus("ppds-test-bus")
    finally:
        daemon.kill()
        daemon.wait()
