"""Run long use-case functions off the UI thread, one job per runner, with progress and Cancel.

The work is a plain function from ``services``/``core`` that takes ``task: TaskState`` and knows
nothing about Qt (Orange3's ``TaskState`` pattern). ``TaskRunner.run`` executes it on a
``QThreadPool`` thread; the function's ``task.report(...)`` calls become a queued ``progress``
signal, so the window keeps painting and the Cancel button keeps working. Cancel sets the
TaskState's event; the next ``report`` raises ``Cancelled``, the function unwinds through its
vault transaction, and the runner shows a quiet status message instead of an error.

Every outcome comes back on the UI thread: ``finished(result)`` then ``on_done(result)``;
``failed(exc)`` then ``on_error(exc)`` or an error dialog; ``cancelled()``; and always ``ended()``
last, so views can re-enable their buttons in one place.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ..core.errors import Cancelled
from ..core.progress import TaskState
from .errors import show_error

#: Jobs of different views run side by side (a long search on one page must not hold up loading
#: a dataset on another), so the pool is wider than the machine's core count; the work is mostly
#: NumPy/Arrow/crypto code that releases the GIL.
MAX_WORKER_THREADS = 8

#: Progress is forwarded at most this often (seconds) unless the message changes; a tight loop
#: that reports every row must not flood the UI thread's event queue.
PROGRESS_INTERVAL = 0.05


def _shared_pool() -> QThreadPool:
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < MAX_WORKER_THREADS:
        pool.setMaxThreadCount(MAX_WORKER_THREADS)
    return pool


class _Relay(QObject):
    """Lives on the UI thread; the worker emits on it, Qt queues delivery to the UI thread.

    Only plain values cross threads in a signal: the job's result or exception waits in the
    runner's ``outcomes`` dict under its job id, so its lifetime is plain Python reference
    counting, not the binding's marshalling of queued ``object`` arguments (which PySide6
    6.12.0 got wrong, see tests/ui/test_qt_signals.py)."""

    progress = Signal(int, float, str)
    ended = Signal(int)


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[..., Any], args: tuple, kwargs: dict,
                 task: TaskState, relay: _Relay, outcomes: dict, returned: threading.Event):
        super().__init__()
        self.setAutoDelete(True)
        self._id, self._fn, self._args, self._kwargs = job_id, fn, args, kwargs
        self._task, self._relay, self._outcomes, self._returned = task, relay, outcomes, returned

    def run(self) -> None:  # worker thread
        # Take every reference out of the job first: the task's progress callback holds the
        # runner, and the last reference to a QObject must never be dropped on this thread
        # (Qt would destroy a UI-thread object here). All of them are gone before ``returned``.
        job_id, returned = self._id, self._returned
        fn, args, kwargs, task = self._fn, self._args, self._kwargs, self._task
        relay, outcomes = self._relay, self._outcomes
        self._fn = self._args = self._kwargs = self._task = self._relay = self._outcomes = None
        try:
            outcomes[job_id] = (True, fn(*args, task=task, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the UI thread
            outcomes[job_id] = (False, exc)
        finally:
            relay.ended.emit(job_id)
            del fn, args, kwargs, task, relay, outcomes
            # after the (queued, non-blocking) emit: whoever waits may then delete the runner
            returned.set()


class TaskRunner(QObject):
    """One background job at a time, for one view (or the whole window)."""

    started = Signal()
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)        # the exception (Cancelled is reported by ``cancelled``)
    cancelled = Signal()
    ended = Signal()               # after any outcome
    busy_changed = Signal(bool)
    message = Signal(str)          # a short, quiet status line for the status bar

    def __init__(self, parent: QObject | None = None, *, dialog_parent=None,
                 pool: QThreadPool | None = None):
        super().__init__(parent)
        self._pool = pool or _shared_pool()
        self._dialog_parent = dialog_parent
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.ended.connect(self._on_job_ended)
        self._outcomes: dict[int, tuple[bool, Any]] = {}
        self._job_id = 0
        self._cancel: threading.Event | None = None
        self._title = ""
        self._on_done_cb: Callable[[Any], None] | None = None
        self._on_error_cb: Callable[[BaseException], None] | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.last_error_box = None  # the most recent error dialog (tests close it)

    # -- public API -------------------------------------------------------------------------
    @property
    def is_busy(self) -> bool:
        return self._cancel is not None

    @property
    def title(self) -> str:
        return self._title

    def set_dialog_parent(self, widget) -> None:
        self._dialog_parent = widget

    def run(self, fn: Callable[..., Any], *args, title: str,
            on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, **kwargs) -> bool:
        """Start ``fn(*args, task=TaskState, **kwargs)`` on a worker; False if a job is running.

        ``on_error`` replaces the default error dialog for failures other than Cancel.
        """
        if self.is_busy:
            self.message.emit(f"Please wait: {self._title} is still running.")
            return False
        self._job_id += 1
        job_id = self._job_id
        self._cancel = threading.Event()
        self._title = title
        self._on_done_cb, self._on_error_cb = on_done, on_error
        task = TaskState(self._progress_forwarder(job_id), self._cancel)
        self._idle.clear()
        self.started.emit()
        self.busy_changed.emit(True)
        self.progress.emit(0.0, title)
        self._pool.start(_Job(job_id, fn, args, kwargs, task, self._relay, self._outcomes,
                              self._idle))
        return True

    def cancel(self) -> None:
        """Ask the running job to stop at its next progress report."""
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self.message.emit(f"Cancelling {self._title}…")

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """Block until the worker function has returned (for shutdown; the UI thread must then
        still process events for ``ended`` to be delivered)."""
        return self._idle.wait(timeout)

    # -- worker side ------------------------------------------------------------------------
    def _progress_forwarder(self, job_id: int) -> Callable[[float, str], None]:
        last = {"t": 0.0, "msg": None}

        def forward(fraction: float, message: str) -> None:  # worker thread
            now = time.monotonic()
            if message != last["msg"] or now - last["t"] >= PROGRESS_INTERVAL or fraction >= 1.0:
                last["t"], last["msg"] = now, message
                self._relay.progress.emit(job_id, float(fraction), message)

        return forward

    # -- UI thread ----------------------------------------------------------------------------
    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id == self._job_id and self.is_busy:
            self.progress.emit(fraction, message or self._title)

    @Slot(int)
    def _on_job_ended(self, job_id: int) -> None:
        ok, value = self._outcomes.pop(job_id)
        if job_id != self._job_id:
            return       # a job this runner has since given up on
        if ok:
            self._on_done(value)
        else:
            self._on_error(value)

    def _on_done(self, result: object) -> None:
        callback = self._on_done_cb
        title = self._title
        self._reset()
        self.message.emit(f"{title}: done.")
        self.finished.emit(result)
        try:
            if callback is not None:
                callback(result)
        finally:
            self._end()

    def _on_error(self, exc: BaseException) -> None:
        callback = self._on_error_cb
        title = self._title
        self._reset()
        try:
            if isinstance(exc, Cancelled):
                self.message.emit(f"{title}: cancelled; nothing was changed.")
                self.cancelled.emit()
                return
            self.message.emit(f"{title}: failed.")
            self.failed.emit(exc)
            if callback is not None:
                callback(exc)
            else:
                self.last_error_box = show_error(self._dialog_parent, exc, title=title)
        finally:
            self._end()

    def _reset(self) -> None:
        self._cancel = None
        self._on_done_cb = self._on_error_cb = None

    def _end(self) -> None:
        self._title = ""
        self.busy_changed.emit(False)
        self.ended.emit()
