"""``ppds-desktop --self-test``: prove an installed build works, end to end, in a throwaway vault.

It runs the same steps as ``ppds demo`` (vault → import → de-identify → DP → bundle → Paillier)
in a temporary folder, quietly, and prints one summary line. Installers run it after
installing; a failure prints the step and the error and exits 1.
"""

from __future__ import annotations

import time

from .run import run_demo


def run_self_test(say=print) -> int:
    started = time.perf_counter()
    steps: list[str] = []

    def quiet(line: str) -> None:
        if line.startswith("== "):
            steps.append(line[3:])

    try:
        run_demo(say=quiet)
    except Exception as exc:  # noqa: BLE001 - any failure at all fails the self-test
        where = steps[-1] if steps else "start-up"
        say(f"self-test FAILED in step '{where}': {type(exc).__name__}: {exc}")
        return 1
    say(f"self-test ok: {len(steps)} steps ({'; '.join(steps)}) in "
        f"{time.perf_counter() - started:.1f} s")
    return 0
