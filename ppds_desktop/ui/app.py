"""Application start-up and the lock/unlock cycle.

``AppController`` owns the top-level windows: the first-run wizard (no vault yet), the unlock
screen, and the main window for an unlocked ``AppSession``. When the session locks — Ctrl+L or
the idle timer — the controller shows the unlock screen and closes the main window, which
deletes every page and the data they held; the next unlock builds a fresh session and window.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from .. import __version__
from ..paths import APP_AUTHOR, APP_NAME, default_vault_path, demo_vault_path
from ..services.demo import DEMO_PASSPHRASE, ensure_demo_vault
from .theme import app_icon, apply_theme

LAST_VAULT_KEY = "last_vault"
DEMO_NOTE = ("This is a demo vault with synthetic sample data (no real people). Its passphrase "
             "is filled in for you; never keep real patient data in it.")


class AppController(QObject):
    def __init__(self, app: QApplication, *, vault_path: Path | None = None, demo: bool = False,
                 settings: QSettings | None = None):
        super().__init__()
        self.app = app
        self.demo = demo
        self.settings = settings if settings is not None else QSettings(APP_AUTHOR, APP_NAME)
        if demo:
            self.vault_path = demo_vault_path()
        elif vault_path is not None:
            self.vault_path = Path(vault_path).expanduser()
        else:
            last = self.settings.value(LAST_VAULT_KEY, "", type=str)
            self.vault_path = Path(last) if last else default_vault_path()
        self.session = None
        self.main_window = None
        self.unlock_window = None
        self.wizard = None
        self._quitting = False

    # -- start ------------------------------------------------------------------------------
    def start(self) -> QWidget:
        from ..services.vault_ops import vault_exists

        if self.demo:
            window = self.show_unlock(note=DEMO_NOTE, prefill=DEMO_PASSPHRASE)
            if not vault_exists(self.vault_path):
                window.run_busy(ensure_demo_vault, self.vault_path, title="Preparing the demo vault",
                                on_done=lambda _: window.unlock_button.setFocus())
            return window
        if vault_exists(self.vault_path):
            return self.show_unlock()
        return self.show_first_run()

    def show_first_run(self) -> QWidget:
        from ..services.vault_ops import vault_exists
        from .first_run import FirstRunWizard

        wizard = FirstRunWizard(default_path=None if vault_exists(self.vault_path)
                                else self.vault_path)
        wizard.setWindowIcon(app_icon())
        wizard.accepted.connect(lambda: self._first_run_done(wizard))
        wizard.rejected.connect(lambda: self._first_run_cancelled(wizard))
        self.wizard = wizard
        wizard.show()
        self._close_unlock()
        return wizard

    def _first_run_done(self, wizard) -> None:
        self.vault_path = wizard.vault_path
        self._remember(self.vault_path)
        self.wizard = None
        wizard.deleteLater()
        if wizard.vault is not None:
            self.open_session(wizard.vault)
        else:
            self.show_unlock()

    def _first_run_cancelled(self, wizard) -> None:
        self.wizard = None
        wizard.deleteLater()
        from ..services.vault_ops import vault_exists

        if vault_exists(self.vault_path):
            self.show_unlock()
        else:
            self.app.quit()

    def show_unlock(self, *, note: str = "", prefill: str = "") -> QWidget:
        from .unlock import UnlockWindow

        window = UnlockWindow(self.vault_path, note=note, prefill=prefill)
        window.setWindowIcon(app_icon())
        window.unlocked.connect(self.open_session)
        window.open_other_requested.connect(self.show_first_run)
        old, self.unlock_window = self.unlock_window, window
        window.show()
        window.activateWindow()
        if old is not None:
            old.close()
            old.deleteLater()
        return window

    def _close_unlock(self) -> None:
        if self.unlock_window is not None:
            self.unlock_window.close()
            self.unlock_window.deleteLater()
            self.unlock_window = None

    # -- the unlocked session ---------------------------------------------------------------
    def open_session(self, vault):
        from .main_window import MainWindow
        from .session import AppSession

        self._remember(self.vault_path)
        session = AppSession(vault, vault_path=self.vault_path)
        session.watch_activity(self.app)
        session.locked.connect(self._on_locked)
        window = MainWindow(session)
        window.setWindowIcon(app_icon())
        window.closed.connect(self._on_main_closed)
        self.session, self.main_window = session, window
        window.show()
        self._close_unlock()
        return window

    def _on_locked(self) -> None:
        window, session = self.main_window, self.session
        self.main_window = self.session = None
        if not self._quitting:
            self.show_unlock(note=DEMO_NOTE if self.demo else "",
                             prefill=DEMO_PASSPHRASE if self.demo else "")
            reason = session.lock_reason if session is not None else ""
            self.unlock_window.status.setText(f"The vault was locked because {reason}."
                                              if reason else "The vault was locked.")
        if window is not None:
            window.closed.disconnect(self._on_main_closed)
            window.close()
            window.deleteLater()
        if session is not None:
            session.deleteLater()
        if self._quitting:
            self.app.quit()

    def _on_main_closed(self) -> None:
        """The user closed the main window or chose Quit: lock, then leave."""
        self._quitting = True
        if self.session is not None and not self.session.is_locked:
            self.session.lock()
        else:
            self.app.quit()

    def _remember(self, path: Path | None) -> None:
        if path is not None and not self.demo:
            self.settings.setValue(LAST_VAULT_KEY, str(path))


class InstallerProbe(QObject):
    """Drives the app for installers' smoke tests: ``--probe-startup`` quits as soon as the
    first screen is up (to time cold starts); ``--screenshot PNG`` unlocks the demo vault with
    its known passphrase and saves a picture of the main window, then quits."""

    TIMEOUT_MS = 120_000

    def __init__(self, controller: AppController, screenshot: str | None):
        super().__init__(controller)
        self.controller, self.screenshot = controller, screenshot
        self.unlock_asked = False
        self.timer = QTimer(self, interval=100, timeout=self._poll)
        self.deadline = QTimer(self, singleShot=True, timeout=self._give_up)

    def start(self) -> None:
        self.timer.start()
        self.deadline.start(self.TIMEOUT_MS)

    def _poll(self) -> None:
        app = self.controller.app
        if not self.screenshot:
            if any(w.isVisible() for w in app.topLevelWidgets()):
                self._finish(0)
            return
        window, unlock = self.controller.main_window, self.controller.unlock_window
        session = self.controller.session
        if window is not None and window.isVisible():
            if session is not None and session.busy_runners():
                return  # the first dataset is still loading: picture it once it is shown
            app.processEvents()
            ok = window.grab().save(self.screenshot)
            print(f"screenshot saved to {self.screenshot}" if ok else "screenshot failed")
            self._finish(0 if ok else 1)
        elif unlock is not None and not unlock.runner.is_busy and not self.unlock_asked \
                and unlock.passphrase.text():
            self.unlock_asked = True
            unlock.unlock()

    def _give_up(self) -> None:
        print("the app did not reach the expected screen in time")
        self._finish(1)

    def _finish(self, code: int) -> None:
        self.timer.stop()
        self.deadline.stop()
        self.controller._quitting = True
        if self.controller.session is not None:
            self.controller.session.lock()
        self.controller.app.exit(code)


def run_app(qt_args: list[str], demo: bool = False, vault: str | None = None, *,
            probe_startup: bool = False, screenshot: str | None = None) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the controller decides; locking swaps windows
    apply_theme(app)
    controller = AppController(app, vault_path=Path(vault) if vault else None, demo=demo)
    controller.setParent(app)

    def on_last_window_closed() -> None:
        # e.g. the unlock screen closed by the user; the main window's close is handled above
        if controller.main_window is None and controller.wizard is None:
            app.quit()

    app.lastWindowClosed.connect(on_last_window_closed)
    controller.start()
    if probe_startup or screenshot:
        InstallerProbe(controller, screenshot).start()
    return app.exec()
