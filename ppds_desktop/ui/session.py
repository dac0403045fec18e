"""The unlocked state of the app: the vault, the shared job runner, and auto-lock.

One ``AppSession`` exists per unlock. Pages get it in their constructor and reach the vault only
through it; when it locks, the main window and every view holding data are closed and the session
is thrown away, so no page can keep a stale handle to decrypted data.

Auto-lock: an application-wide event filter calls ``touch()`` on every mouse, wheel or key event,
which restarts a single-shot ``QTimer``. When the timer fires the session locks — unless a
background job is running (the user is waiting for it), in which case the timer is re-armed.
It also locks when the system locks the screen or goes to sleep, where the system tells Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from ..core.errors import VaultLocked
from ..services.demo import is_demo_vault
from .system_lock import SystemLockWatcher
from .worker import TaskRunner

AUTO_LOCK_SETTING = "ui.auto_lock_minutes"
DEFAULT_AUTO_LOCK_MINUTES = 10
AUTO_LOCK_RANGE = (1, 480)

_ACTIVITY_EVENTS = frozenset({
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.Wheel, QEvent.Type.KeyPress,
    QEvent.Type.KeyRelease, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


class _ActivityFilter(QObject):
    """Installed on the QApplication: any user input anywhere counts as activity."""

    def __init__(self, session: "AppSession"):
        super().__init__(session)
        self._session = session

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() in _ACTIVITY_EVENTS:
            self._session.touch()
        return False


class AppSession(QObject):
    datasets_changed = Signal()
    releases_changed = Signal()
    locked = Signal()

    def __init__(self, vault, parent: QObject | None = None, *, vault_path=None):
        super().__init__(parent)
        self._vault = vault
        self.vault_path = vault_path if vault_path is not None else getattr(vault, "path", None)
        self.current_dataset: str | None = None
        self.is_demo = is_demo_vault(vault)       # the public demo vault: every screen says so
        self.runner = TaskRunner(self)
        self._runners: list[TaskRunner] = [self.runner]
        self._lock_pending = False
        self._filter: _ActivityFilter | None = None
        self._system: SystemLockWatcher | None = None
        self._app = None
        self.lock_reason = ""
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.timeout.connect(self._on_idle)
        self.set_idle_interval_ms(self.auto_lock_minutes * 60_000)

    # -- the vault --------------------------------------------------------------------------
    @property
    def vault(self):
        if self._vault is None:
            raise VaultLocked()
        return self._vault

    @property
    def is_locked(self) -> bool:
        return self._vault is None

    def select_dataset(self, uid: str | None) -> None:
        """Remember the dataset the user is looking at; other pages may start from it."""
        self.current_dataset = uid

    # -- background jobs --------------------------------------------------------------------
    def register_runner(self, runner: TaskRunner) -> TaskRunner:
        """Views with their own runner register it, so locking cancels their jobs too."""
        self._runners.append(runner)
        runner.destroyed.connect(lambda *_: self._forget_runner(runner))
        return runner

    def _forget_runner(self, runner: TaskRunner) -> None:
        if runner in self._runners:
            self._runners.remove(runner)

    def busy_runners(self) -> list[TaskRunner]:
        alive = []
        for runner in self._runners:
            try:
                if runner.is_busy:
                    alive.append(runner)
            except RuntimeError:  # the C++ object is already gone
                continue
        return alive

    # -- auto-lock ----------------------------------------------------------------------------
    @property
    def auto_lock_minutes(self) -> int:
        value = self.vault.get_setting(AUTO_LOCK_SETTING, DEFAULT_AUTO_LOCK_MINUTES)
        try:
            minutes = int(value)
        except (TypeError, ValueError):
            return DEFAULT_AUTO_LOCK_MINUTES
        return min(max(minutes, AUTO_LOCK_RANGE[0]), AUTO_LOCK_RANGE[1])

    def set_auto_lock_minutes(self, minutes: int) -> None:
        minutes = min(max(int(minutes), AUTO_LOCK_RANGE[0]), AUTO_LOCK_RANGE[1])
        self.vault.set_setting(AUTO_LOCK_SETTING, minutes)
        self.set_idle_interval_ms(minutes * 60_000)

    def set_idle_interval_ms(self, ms: int) -> None:
        """The idle time before auto-lock; tests set a few milliseconds."""
        self._idle_timer.setInterval(max(1, int(ms)))
        self._idle_timer.start()

    @property
    def idle_interval_ms(self) -> int:
        return self._idle_timer.interval()

    def watch_activity(self, app) -> None:
        """Count input events anywhere in ``app`` as activity (see module docstring), and lock
        when the system locks the screen or goes to sleep (``ui/system_lock.py``)."""
        self._filter = _ActivityFilter(self)
        self._app = app
        app.installEventFilter(self._filter)
        self._system = SystemLockWatcher(app, self)
        self._system.lock_requested.connect(self._on_system_lock)

    def _on_system_lock(self, reason: str) -> None:
        self.lock_reason = reason
        self.lock()

    def touch(self) -> None:
        if self._vault is not None and not self._lock_pending:
            self._idle_timer.start()

    def _on_idle(self) -> None:
        if self._vault is None:
            return
        if self.busy_runners():
            self._idle_timer.start()
            return
        self.lock()

    # -- locking ----------------------------------------------------------------------------
    def lock(self) -> None:
        """Cancel running jobs, drop the vault's keys, then emit ``locked``.

        If jobs are running, the vault is locked as soon as the last one has unwound (Cancel
        makes that quick), because a job may be inside a vault transaction.
        """
        if self._vault is None:
            return
        self._idle_timer.stop()
        busy = self.busy_runners()
        if busy:
            if not self._lock_pending:
                self._lock_pending = True
                for runner in busy:
                    runner.ended.connect(self._finish_lock_when_idle)
                    runner.cancel()
            return
        self._finish_lock()

    def _finish_lock_when_idle(self) -> None:
        if self._lock_pending and not self.busy_runners():
            self._finish_lock()

    def _finish_lock(self) -> None:
        if self._vault is None:
            return
        vault, self._vault = self._vault, None
        self._lock_pending = False
        if self._app is not None and self._filter is not None:
            self._app.removeEventFilter(self._filter)
            self._filter = None
        if self._system is not None:
            self._system.stop()
            self._system = None
        try:
            vault.lock()
        finally:
            self.locked.emit()
