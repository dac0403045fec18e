"""The rails of the public demo vault: its passphrase is published, so it is marked as a demo
when it is made (the setting ``vault.demo``; a demo vault made before that is recognised by its
path), every screen says so, and importing anything but the bundled sample into it needs the
user's explicit yes. Imports nothing else from ``services``, so the import use case can check it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import ConfirmationNeeded
from ..paths import demo_vault_path, sample_csv

if TYPE_CHECKING:
    from ..core.vault import Vault

DEMO_PASSPHRASE = "correct horse battery staple demo"
DEMO_SETTING = "vault.demo"
DEMO_IMPORT_RISK = ("This is the demo vault: its passphrase is public, so anyone using this "
                    "computer can open it and read what you import. Import only test data "
                    "here, never real patient data.")


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


def check_demo_bundle(vault: Vault, *, confirmed: bool) -> None:
    """Refuse to import a bundle's data into the demo vault unless the user ``confirmed`` it
    (a bundle is never the bundled sample)."""
    if not confirmed and is_demo_vault(vault):
        raise ConfirmationNeeded(DEMO_IMPORT_RISK, option="--yes")
