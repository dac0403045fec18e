"""Test set-up: headless Qt, and a fresh temporary vault per test that asks for one."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
# Fast key derivation in tests only; real vaults use the production Argon2id parameters.
os.environ.setdefault("PPDS_TEST_FAST_KDF", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
ADULT_DATA = REPO_ROOT / "tests" / "data" / "adult"
PASSPHRASE = "test passphrase 123"


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault" / "test.vault"


@pytest.fixture
def vault(vault_path: Path):
    """A freshly created, unlocked vault in a temporary folder."""
    from ppds_desktop.core.vault import Vault

    v, _recovery = Vault.create(vault_path, PASSPHRASE)
    yield v
    v.lock()


@pytest.fixture(scope="module")
def alice():
    """A sender's key pairs for the bundle tests (no vault needed)."""
    from ppds_desktop.core.identity.keys import KeyPairs

    return KeyPairs.generate()


@pytest.fixture(scope="module")
def bob():
    """A recipient's key pairs for the bundle tests."""
    from ppds_desktop.core.identity.keys import KeyPairs

    return KeyPairs.generate()
