"""A small process pool for the engine: spawn-started workers, chunked jobs, progress, Cancel.

Spawn (not fork) because the GUI calls us from a thread of a multi-threaded process. Results
come back in completion order with their chunk index so callers can overlap their own work.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence

from ..errors import CryptoError
from ..progress import TaskState, ensure_task

DEFAULT_WORKERS = 2


class WorkerPool:
    def __init__(self, workers: int, initializer: Callable, initargs: tuple):
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=initializer, initargs=initargs)

    def run(self, fn: Callable, jobs: Sequence[tuple], task: TaskState | None = None,
            message: str = "") -> Iterator[tuple[int, object]]:
        """Yield ``(index, result)`` as jobs finish; Cancel drops the jobs not yet started."""
        task = ensure_task(task)
        pending = {self._executor.submit(fn, *args): i for i, args in enumerate(jobs)}
        done_count = 0
        try:
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED, timeout=0.2)
                task.report(done_count / max(len(jobs), 1), message)
                for fut in done:
                    index = pending.pop(fut)
                    done_count += 1
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        raise CryptoError("A worker process stopped unexpectedly (out of "
                                          "memory?); nothing was written.") from None
                    yield index, result
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
