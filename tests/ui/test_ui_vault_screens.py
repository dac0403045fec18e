"""First-run wizard, unlock screen, lock (Ctrl+L and idle timeout) and unlock again, driven
through the real widgets."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWizard

from ppds_desktop.core.errors import WrongPassphrase
from ppds_desktop.core.vault import Vault
from ppds_desktop.paths import default_vault_path
from ppds_desktop.ui.app import AppController
from ppds_desktop.ui.first_run import PAGE_CREATE, PAGE_RECOVERY, FirstRunWizard
from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.session import AUTO_LOCK_SETTING
from ppds_desktop.ui.unlock import UnlockWindow

from conftest import PASSPHRASE

STRONG = "maple orbit lantern quiet seventy"


@pytest.fixture
def controller(tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    ctl = AppController(QApplication.instance(), vault_path=tmp_path / "v" / "my.vault",
                        settings=settings)
    yield ctl
    if ctl.session is not None and not ctl.session.is_locked:
        ctl._quitting = True  # noqa: SLF001 - do not quit the test's QApplication
        ctl.session.locked.disconnect()
        ctl.session.lock()
    for w in (ctl.main_window, ctl.unlock_window, ctl.wizard):
        if w is not None:
            w.close()


def _next(qtbot, wizard: QWizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def test_first_run_wizard_creates_a_vault_and_shows_the_recovery_key_once(qtbot, tmp_path):
    wizard = FirstRunWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    _next(qtbot, wizard)                              # "Create a new vault" is the default
    create = wizard.page(PAGE_CREATE)
    assert wizard.currentId() == PAGE_CREATE
    assert create.location.path() == default_vault_path()  # the platform's user data folder
    target = tmp_path / "new" / "clinic.vault"
    create.location.edit.setText(str(target))
    create.fields.passphrase.setText("password123")   # weak: refused
    create.fields.confirm.setText("password123")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "Avoid common passwords" in create.fields.hints.text()
    create.fields.passphrase.setText(STRONG)
    create.fields.confirm.setText(STRONG + "x")       # mismatch: refused
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert create.fields.mismatch.text()
    create.fields.confirm.setText(STRONG)
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    recovery = wizard.page(PAGE_RECOVERY)
    with qtbot.waitSignal(recovery.runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    assert Vault.exists(target)
    key = recovery.key.text()
    assert key.count("-") >= 5 and recovery.key.isVisible()
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()                     # not before "I have written it down"
    wizard.reject()                                   # Esc / close box: refused now
    assert wizard.isVisible()
    recovery.copy_button.click()
    assert QApplication.clipboard().text() == key
    recovery.confirm.setChecked(True)
    assert finish.isEnabled()
    finish.click()
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert wizard.vault is not None and wizard.vault_path == target
    wizard.vault.lock()
    # the recovery key shown really unlocks the vault
    Vault.open_with_recovery(target, key, "a brand new passphrase here").lock()


def test_unlock_screen_wrong_then_right_passphrase(qtbot, vault, vault_path):
    vault.lock()
    window = UnlockWindow(vault_path)
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClicks(window.passphrase, "not the passphrase")
    with qtbot.waitSignal(window.runner.ended, timeout=20_000):
        qtbot.keyClick(window.passphrase, Qt.Key.Key_Return)
    assert "Wrong passphrase" in window.error.text()
    assert window.runner.last_error_box is None       # inline, no dialog
    assert window.passphrase.isEnabled() and window.passphrase.selectedText()
    window.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(window.unlocked, timeout=20_000) as blocker:
        window.unlock_button.click()
    opened = blocker.args[0]
    assert not opened.is_locked
    opened.lock()


def test_full_cycle_first_run_lock_and_unlock(qtbot, controller):
    wizard = controller.start()
    assert isinstance(wizard, FirstRunWizard)
    _next(qtbot, wizard)
    create = wizard.page(PAGE_CREATE)
    assert create.location.path() == controller.vault_path  # the --vault path, not yet a vault
    create.fields.passphrase.setText(STRONG)
    create.fields.confirm.setText(STRONG)
    with qtbot.waitSignal(wizard.page(PAGE_RECOVERY).runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    wizard.page(PAGE_RECOVERY).confirm.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()

    window = controller.main_window
    assert isinstance(window, MainWindow) and window.isVisible()
    session = controller.session
    vault = session.vault
    with qtbot.waitSignal(session.locked, timeout=5000):
        window.lock_action.trigger()
    assert vault.is_locked and controller.session is None
    unlock = controller.unlock_window
    assert isinstance(unlock, UnlockWindow) and unlock.isVisible()
    assert not window.isVisible()

    unlock.passphrase.setText("wrong wrong wrong")
    with qtbot.waitSignal(unlock.runner.ended, timeout=20_000):
        unlock.unlock()
    assert "Wrong passphrase" in unlock.error.text()
    assert controller.main_window is None
    unlock.passphrase.setText(STRONG)
    with qtbot.waitSignal(unlock.unlocked, timeout=20_000):
        unlock.unlock()
    assert controller.main_window is not None and controller.main_window.isVisible()


def test_idle_timeout_locks_and_activity_postpones_it(qtbot, controller, vault, vault_path):
    controller.vault_path = vault_path
    window = controller.open_session(vault)
    session = controller.session
    assert session.idle_interval_ms == 10 * 60_000  # the default
    session.set_idle_interval_ms(200)
    # a key press anywhere in the app counts as activity: the timer restarts
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert session._idle_timer.remainingTime() > 150  # noqa: SLF001
    with qtbot.waitSignal(session.locked, timeout=5000):
        pass
    assert vault.is_locked
    assert controller.unlock_window.isVisible()
    assert "locked" in controller.unlock_window.status.text()


def test_auto_lock_minutes_are_saved_in_the_vault(qtbot, vault, vault_path, controller):
    controller.vault_path = vault_path
    window = controller.open_session(vault)
    page = window.open_page("settings")
    page.auto_lock.setValue(3)
    page.save()
    assert vault.get_setting(AUTO_LOCK_SETTING) == 3
    assert controller.session.idle_interval_ms == 3 * 60_000
    controller.session.lock()
    reopened = Vault.open(vault_path, PASSPHRASE)
    controller.open_session(reopened)
    assert controller.session.auto_lock_minutes == 3


def test_lock_cancels_a_running_job_first(qtbot, controller, vault, vault_path):
    controller.vault_path = vault_path
    controller.open_session(vault)
    session = controller.session
    seen_locked_vault = []

    def long_job(*, task):
        while True:  # stops only through Cancel
            task.report(0.5, "working")
            seen_locked_vault.append(vault.is_locked)
            threading.Event().wait(0.005)

    with qtbot.waitSignal(session.runner.cancelled, timeout=10_000):
        session.runner.run(long_job, title="Long job")
        qtbot.waitUntil(lambda: bool(seen_locked_vault), timeout=5000)
        with qtbot.waitSignal(session.locked, timeout=10_000):
            controller.main_window.lock_action.trigger()
    assert vault.is_locked
    assert not any(seen_locked_vault)  # the vault stayed open until the job had stopped


def test_settings_change_passphrase_and_back_up(qtbot, controller, vault, vault_path, tmp_path):
    controller.vault_path = vault_path
    window = controller.open_session(vault)
    page = window.open_page("settings")
    dialog = page.change_passphrase()
    dialog.old.setText("not it at all")
    dialog.fields.passphrase.setText(STRONG)
    dialog.fields.confirm.setText(STRONG)
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.runner.ended, timeout=20_000):
        dialog.ok_button.click()
    assert "Wrong passphrase" in dialog.error.text() and dialog.isVisible()
    dialog.old.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.ok_button.click()
    assert "changed" in page.action_result.text()

    backup = tmp_path / "copy.vault"
    with qtbot.waitSignal(controller.session.runner.finished, timeout=20_000):
        page.back_up(str(backup))
    assert "Backup written" in page.action_result.text() and backup.is_file()
    controller.session.lock()
    Vault.open(vault_path, STRONG).lock()
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)


def test_demo_mode_prepares_the_demo_vault_and_prefills_the_passphrase(qtbot, tmp_path,
                                                                       monkeypatch):
    from ppds_desktop.ui import app as ui_app

    demo_path = tmp_path / "demo" / "demo.vault"
    monkeypatch.setattr(ui_app, "demo_vault_path", lambda: demo_path)
    ctl = AppController(QApplication.instance(), demo=True,
                        settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    unlock = ctl.start()
    assert isinstance(unlock, UnlockWindow)
    assert unlock.note.isVisibleTo(unlock) and "demo vault" in unlock.note.text()
    assert unlock.passphrase.text()                   # the demo passphrase, filled in
    with qtbot.waitSignal(unlock.runner.ended, timeout=30_000):
        pass                                          # the demo vault is being created
    assert Vault.exists(demo_path)
    with qtbot.waitSignal(unlock.unlocked, timeout=20_000):
        unlock.unlock_button.click()
    datasets = ctl.session.vault.list_datasets()
    assert [(d.name, d.n_rows) for d in datasets] == [("Sample admissions", 1000)]
    ctl._quitting = True  # noqa: SLF001 - do not quit the test's QApplication
    ctl.session.locked.disconnect()
    ctl.session.lock()
    ctl.main_window.close()


def test_recovery_key_dialog_unlocks_and_sets_a_new_passphrase(qtbot, tmp_path):
    path = tmp_path / "r.vault"
    made, recovery_key = Vault.create(path, PASSPHRASE)
    made.lock()
    window = UnlockWindow(path)
    qtbot.addWidget(window)
    window.show()
    dialog = window.open_recovery()
    dialog.key.setText("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-IIII")
    dialog.fields.passphrase.setText(STRONG)
    dialog.fields.confirm.setText(STRONG)
    with qtbot.waitSignal(dialog.runner.ended, timeout=20_000):
        dialog.ok_button.click()
    assert dialog.error.text() and dialog.isVisible()   # a wrong key is said inline
    dialog.key.setText(recovery_key.lower().replace("-", " "))
    with qtbot.waitSignal(window.unlocked, timeout=20_000) as blocker:
        dialog.ok_button.click()
    blocker.args[0].lock()
    Vault.open(path, STRONG).lock()                      # the new passphrase works
