"""The demo: ``ppds demo`` (every capability end to end on the bundled sample data) and the
GUI's demo vault (``--demo``).

Each area contributes one step function ``step(ctx) -> None`` that does real work through the
same use-case functions the GUI and CLI call, and reports what it did with ``ctx.say``.
``ppds demo`` works in a fresh temporary folder and removes it afterwards, so it leaves
nothing behind.

The GUI's demo vault has a published passphrase, so anyone can open it: it is marked as a demo
when it is made (the setting ``vault.demo``; a demo vault made before that is recognised by its
path), every screen says so, and importing anything but the bundled sample into it needs the
user's explicit yes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..core.errors import ConfirmationNeeded
from ..core.progress import TaskState, ensure_task
from ..paths import demo_vault_path, sample_csv

if TYPE_CHECKING:
    from ..core.vault import Vault

DEMO_PASSPHRASE = "correct horse battery staple demo"
DEMO_SETTING = "vault.demo"
DEMO_IMPORT_RISK = ("This is the demo vault: its passphrase is public, so anyone using this "
                    "computer can open it and read what you import. Import only test data "
                    "here, never real patient data.")


def ensure_demo_vault(path: Path, *, task: TaskState | None = None) -> None:
    """Create the demo vault, marked as a demo, with the sample dataset if it is missing."""
    from ..core.vault import Vault
    from .datasets import import_file
    from .vault_ops import create_vault

    task = ensure_task(task)
    if Vault.exists(path):
        return
    # a demo needs no recovery key
    vault, _recovery_key = create_vault(path, DEMO_PASSPHRASE, task=task.sub(0.0, 0.3))
    try:
        vault.set_setting(DEMO_SETTING, True)
        import_file(vault, sample_csv(), name="Sample admissions", task=task.sub(0.3, 1.0))
    finally:
        vault.lock()


def is_demo_vault(vault: Vault) -> bool:
    """True for the public demo vault: marked at creation, or (made before the mark existed)
    at the demo vault's path."""
    if vault.get_setting(DEMO_SETTING, False):
        return True
    try:
        return Path(vault.path).resolve() == demo_vault_path().resolve()
    except OSError:
        return False


def is_bundled_sample(file_name: str, file_bytes: int) -> bool:
    """The bundled synthetic sample, recognised by its file name and size."""
    sample = sample_csv()
    return Path(file_name).name == sample.name and file_bytes == sample.stat().st_size


def demo_import_needs_yes(vault: Vault, file_name: str, file_bytes: int) -> bool:
    """Importing this file asks first: the vault is the demo and the file not the sample."""
    return is_demo_vault(vault) and not is_bundled_sample(file_name, file_bytes)


def check_demo_import(vault: Vault, file_name: str, file_bytes: int, *, confirmed: bool) -> None:
    """Refuse to import anything but the bundled sample into the demo vault unless the user
    ``confirmed`` it after reading :data:`DEMO_IMPORT_RISK`."""
    if not confirmed and demo_import_needs_yes(vault, file_name, file_bytes):
        raise ConfirmationNeeded(DEMO_IMPORT_RISK, option="--yes")


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
