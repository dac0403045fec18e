"""The GUI's demo vault (``--demo``). (``ppds demo`` itself is the ``ppds_desktop.demo`` package.)

The demo vault has a published passphrase, so anyone can open it: it is marked as a demo
when it is made (the setting ``vault.demo``; a demo vault made before that is recognised by its
path), every screen says so, and importing anything but the bundled sample into it needs the
user's explicit yes.
"""

from __future__ import annotations

from pathlib import Path

from ..core.progress import TaskState, ensure_task
from ..paths import sample_csv
from .demo_rails import (DEMO_IMPORT_RISK, DEMO_PASSPHRASE, DEMO_SETTING, check_demo_bundle,
                         check_demo_import,
                         demo_import_needs_yes, is_bundled_sample, is_demo_vault)

__all__ = ["DEMO_IMPORT_RISK", "DEMO_PASSPHRASE", "DEMO_SETTING", "check_demo_bundle",
           "check_demo_import",
           "demo_import_needs_yes", "ensure_demo_vault", "is_bundled_sample", "is_demo_vault"]


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
