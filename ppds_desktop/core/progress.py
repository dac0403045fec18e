"""Progress and cancellation for long work, without Qt (after Orange3's ``TaskState``).

A long function takes ``task: TaskState | None`` and calls ``task.report(fraction, message)``
now and then; ``report`` raises :class:`Cancelled` once Cancel was requested, so the function
unwinds through its ``with vault.transaction()`` and nothing is half-written. The GUI wraps a
``TaskState`` around a Qt signal on a worker thread; the CLI prints a progress line; tests pass
nothing. ``task.sub(a, b)`` maps a sub-step's 0..1 onto a..b of the parent.
"""

from __future__ import annotations

import threading
from typing import Callable

from .errors import Cancelled

ProgressCallback = Callable[[float, str], None]


class TaskState:
    """Where one piece of long work reports progress and learns it was cancelled."""

    def __init__(self, on_progress: ProgressCallback | None = None,
                 cancel_event: threading.Event | None = None,
                 _span: tuple[float, float] = (0.0, 1.0)):
        self._on_progress = on_progress
        self._cancel = cancel_event or threading.Event()
        self._span = _span

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if Cancel was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, fraction: float, message: str = "") -> None:
        self.check()
        if self._on_progress is not None:
            a, b = self._span
            self._on_progress(a + (b - a) * min(max(fraction, 0.0), 1.0), message)

    def sub(self, start: float, end: float) -> "TaskState":
        a, b = self._span
        return TaskState(self._on_progress, self._cancel,
                         (a + (b - a) * start, a + (b - a) * end))


def ensure_task(task: TaskState | None) -> TaskState:
    return task if task is not None else TaskState()
