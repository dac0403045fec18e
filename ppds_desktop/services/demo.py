"""``ppds demo``: every capability that exists, end to end, on the bundled sample data.

Each area contributes one step function ``step(ctx) -> None`` that does real work through the
same use-case functions the GUI and CLI call, and reports what it did with ``ctx.say``.
The demo works in a fresh temporary folder and removes it afterwards, so it leaves nothing behind.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

DEMO_PASSPHRASE = "correct horse battery staple demo"


@dataclass
class DemoContext:
    workdir: Path
    say: Callable[[str], None]
    vault: Any = None                    # the unlocked demo vault (core.vault.Vault)
    state: dict[str, Any] = field(default_factory=dict)  # what steps hand to later steps


def _steps() -> list[tuple[str, Callable[[DemoContext], None]]]:
    """The steps in order (each area appends its own in ``demo_steps``), imported only when
    the demo runs because they pull in every area."""
    from . import demo_steps

    return demo_steps.STEPS


def run_demo(say: Callable[[str], None] = print, workdir: Path | None = None) -> DemoContext:
    tmp = Path(tempfile.mkdtemp(prefix="ppds-demo-")) if workdir is None else workdir
    ctx = DemoContext(workdir=tmp, say=say)
    try:
        for title, step in _steps():
            say(f"== {title}")
            step(ctx)
    finally:
        if ctx.vault is not None:
            ctx.vault.lock()
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return ctx
