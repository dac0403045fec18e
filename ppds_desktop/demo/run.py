"""``ppds demo``: every capability end to end on the bundled sample data, in a fresh temporary
folder removed afterwards, so it leaves nothing behind. The steps are in ``steps.py``."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..services.vault_ops import Vault


@dataclass
class DemoContext:
    workdir: Path
    say: Callable[[str], None]
    vault: Vault | None = None           # the unlocked demo vault
    state: dict[str, Any] = field(default_factory=dict)  # what steps hand to later steps


def run_demo(say: Callable[[str], None] = print, workdir: Path | None = None) -> DemoContext:
    from .steps import STEPS        # every area: imported only when the demo runs

    tmp = Path(tempfile.mkdtemp(prefix="ppds-demo-")) if workdir is None else workdir
    ctx = DemoContext(workdir=tmp, say=say)
    try:
        for title, step in STEPS:
            say(f"== {title}")
            step(ctx)
    finally:
        if ctx.vault is not None:
            ctx.vault.lock()
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return ctx
