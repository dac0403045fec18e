"""Threads for big-number work that runs outside the GIL.

gmpy2 releases the GIL in ``powmod_base_list`` always, and in ordinary ``mpz`` arithmetic when
the thread's context allows it (``allow_release_gil``); then threads use both cores with no
process start-up, no copying of numbers or secrets into other processes, and no dependence on
how the program was started (spawned processes cannot start from ``python -``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import gmpy2

from ..progress import TaskState, ensure_task


def _released(fn: Callable, item):
    with gmpy2.context(gmpy2.get_context(), allow_release_gil=True):
        return fn(item)


def map_threads(fn: Callable, items: Sequence, workers: int, task: TaskState | None = None,
                message: str = "") -> list:
    """``[fn(item) for item in items]`` on ``workers`` threads; Cancel drops the rest.

    A list, not a generator: a generator left suspended inside the pool (a caller's ``zip``
    stops early) is closed by the garbage collector in whatever thread it runs, and the pool's
    join then deadlocks inside that thread's start-up."""
    task = ensure_task(task)
    if workers <= 1 or len(items) <= 1:
        out = []
        for k, item in enumerate(items):
            task.report(k / max(len(items), 1), message)
            out.append(_released(fn, item))
        return out
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_released, fn, item) for item in items]
        try:
            out = []
            for k, fut in enumerate(futures):
                task.report(k / len(futures), message)
                out.append(fut.result())
            return out
        finally:
            for fut in futures:
                fut.cancel()
