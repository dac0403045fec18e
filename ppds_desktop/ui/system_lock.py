"""Lock the vault when the operating system says the screen locked or the machine is going to
sleep, where it tells Qt.

- Every platform: Qt's application state ``ApplicationSuspended`` (sent where the platform
  suspends apps). While the app is merely inactive (another window in front, or the screen
  locked on Windows and macOS, which Qt does not report as such), the idle timer keeps running
  because no input reaches the app, so the vault locks after the auto-lock time.
- Linux, through D-Bus (QtDBus): logind's ``PrepareForSleep`` (suspend, hibernate) and
  ``Session.Lock`` (``loginctl lock-session`` and most desktops' lock screens) on the system
  bus, and ``ActiveChanged`` of ``org.freedesktop.ScreenSaver`` / ``org.gnome.ScreenSaver``
  (KDE, GNOME, Xfce, Cinnamon, MATE screen lockers) on the session bus. Without a bus (or
  without QtDBus) only the first applies.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

try:                      # part of PySide6-Essentials; a build without it just skips D-Bus
    from PySide6.QtDBus import QDBusConnection
except ImportError:       # pragma: no cover - depends on the Qt build
    QDBusConnection = None

# (bus, interface, signal name, slot signature): empty service and path match any sender
DBUS_SIGNALS = [
    ("system", "org.freedesktop.login1.Manager", "PrepareForSleep", "prepare_for_sleep(bool)"),
    ("system", "org.freedesktop.login1.Session", "Lock", "session_lock()"),
    ("session", "org.freedesktop.ScreenSaver", "ActiveChanged", "screensaver_active(bool)"),
    ("session", "org.gnome.ScreenSaver", "ActiveChanged", "screensaver_active(bool)"),
]


class SystemLockWatcher(QObject):
    """Emits ``lock_requested(reason)`` when the system locks the screen or goes to sleep.
    ``watching`` lists the D-Bus signals it could subscribe to."""

    lock_requested = Signal(str)

    def __init__(self, app, parent: QObject | None = None, *, buses=None):
        super().__init__(parent)
        self._app = app
        app.applicationStateChanged.connect(self._state_changed)
        self.watching: list[str] = []
        if QDBusConnection is None:
            return
        buses = buses or {"system": QDBusConnection.systemBus(),
                          "session": QDBusConnection.sessionBus()}
        for bus, interface, name, slot in DBUS_SIGNALS:
            conn = buses.get(bus)
            if conn is not None and conn.isConnected() and conn.connect(
                    "", "", interface, name, self, f"1{slot}"):    # "1": Qt's SLOT() prefix
                self.watching.append(f"{interface}.{name}")

    def stop(self) -> None:
        self._app.applicationStateChanged.disconnect(self._state_changed)

    def _state_changed(self, state) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.lock_requested.emit("the system suspended the app")

    @Slot(bool)
    def prepare_for_sleep(self, going_to_sleep: bool) -> None:
        if going_to_sleep:
            self.lock_requested.emit("the computer is going to sleep")

    @Slot()
    def session_lock(self) -> None:
        self.lock_requested.emit("the screen was locked")

    @Slot(bool)
    def screensaver_active(self, active: bool) -> None:
        if active:
            self.lock_requested.emit("the screen was locked")
