"""A small process pool for the engine: spawn-started workers, chunked jobs, progress, Cancel.

Spawn (not fork) because the GUI calls us from a thread of a multi-threaded process. Results
come back in completion order with their chunk index so callers can overlap their own work.
Jobs are submitted a few at a time (an endless job stream is fine: the caller stops reading).

A spawned worker re-imports the parent's main script by its path. When the parent reads its
script from standard input (``python -``) that path is ``<stdin>``, which does not exist, so
every worker would die at start; :func:`usable_workers` sees this beforehand and callers then
work in-process instead.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator, Sized

from ..errors import CryptoError
from ..progress import TaskState, ensure_task

DEFAULT_WORKERS = 2
IN_FLIGHT_PER_WORKER = 3


def spawn_problem() -> str | None:
    """Why spawned workers cannot start in this process, or None when they can."""
    if getattr(sys, "frozen", False):
        return None                      # a frozen build starts workers through freeze_support
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None):
        return None                      # ``python -m module``: workers import it by name
    path = getattr(main, "__file__", None)
    if path is not None and not os.path.isfile(
            os.path.join(multiprocessing.process.ORIGINAL_DIR or "", path)):
        return (f"the main program was not read from a file ({path}), so worker processes "
                f"cannot start; working in this process instead")
    return None


def usable_workers(requested: int) -> int:
    """``requested`` (at least 1), or 1 when worker processes cannot start here."""
    return 1 if spawn_problem() else max(1, requested)


class WorkerPool:
    def __init__(self, workers: int, initializer: Callable | None = None, initargs: tuple = ()):
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=initializer, initargs=initargs)

    def run(self, fn: Callable, jobs: Iterable[tuple], task: TaskState | None = None,
            message: str = "") -> Iterator[tuple[int, object]]:
        """Yield ``(index, result)`` as jobs finish; Cancel drops the jobs not yet started.

        Progress is reported as a fraction of the jobs when ``jobs`` has a length; for an
        endless stream only Cancel is checked (the caller reports its own progress).
        """
        task = ensure_task(task)
        total = len(jobs) if isinstance(jobs, Sized) else None
        queue = enumerate(jobs)
        pending: dict = {}

        def top_up() -> None:
            while len(pending) < IN_FLIGHT_PER_WORKER * self.workers:
                nxt = next(queue, None)
                if nxt is None:
                    return
                pending[self._executor.submit(fn, *nxt[1])] = nxt[0]

        done_count = 0
        try:
            top_up()
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED, timeout=0.2)
                if total is None:
                    task.check()
                else:
                    task.report(done_count / max(total, 1), message)
                for fut in done:
                    index = pending.pop(fut)
                    done_count += 1
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        raise CryptoError("A worker process stopped unexpectedly (out of "
                                          "memory?); nothing was written.") from None
                    top_up()
                    yield index, result
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
