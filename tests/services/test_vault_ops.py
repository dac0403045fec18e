"""The vault use cases shared by GUI and CLI, and the vault's demo step."""

from __future__ import annotations

import pandas as pd
import pytest

from ppds_desktop.core.errors import Cancelled, VaultError, WrongPassphrase
from ppds_desktop.core.progress import TaskState
from ppds_desktop.core.vault import Vault
from ppds_desktop.core.vault.schema import SCHEMA_VERSION
from ppds_desktop.services import vault_ops
from ppds_desktop.demo import DemoContext
from ppds_desktop.services.demo import DEMO_PASSPHRASE

from conftest import PASSPHRASE


def test_use_cases_round_trip(vault_path, tmp_path):
    vault, recovery = vault_ops.create_vault(vault_path, PASSPHRASE)
    vault.put_dataset("d", pd.DataFrame({"a": [1, 2]}))
    vault_ops.change_passphrase(vault, PASSPHRASE, "changed passphrase")
    dest = vault_ops.backup(vault, tmp_path / "b.bak")
    vault.lock()
    with pytest.raises(WrongPassphrase):
        vault_ops.unlock(vault_path, PASSPHRASE)
    vault = vault_ops.unlock(vault_path, "changed passphrase")
    assert [e.action for e in vault_ops.audit_log(vault, verify=True)][-2:] == \
        ["vault.passphrase_changed", "vault.backup"]
    assert vault_ops.vault_info(vault)["n_datasets"] == 1
    vault.lock()
    vault_ops.recover(vault_path, recovery, "third passphrase").lock()
    restored = vault_ops.restore(dest, tmp_path / "r" / "r.vault", "changed passphrase")
    assert restored.load_dataset("d")["a"].tolist() == [1, 2]
    restored.lock()
    with pytest.raises(VaultError, match="There is no vault"):
        vault_ops.unlock(tmp_path / "nothing.vault", PASSPHRASE)


def test_require_vault_names_the_missing_file(vault, vault_path):
    """Checked before any passphrase prompt, and as precise as opening would be."""
    vault.lock()
    vault_ops.require_vault(vault_path)
    vault_path.rename(vault_path.with_name("moved.vault"))
    with pytest.raises(VaultError, match="database .* is missing"):
        vault_ops.require_vault(vault_path)
    with pytest.raises(VaultError, match="is a folder"):
        vault_ops.require_vault(vault_path.parent)


def test_unlock_honours_cancel_before_the_kdf(vault, vault_path):
    task = TaskState()
    task.cancel()
    with pytest.raises(Cancelled):
        vault_ops.unlock(vault_path, PASSPHRASE, task=task)


def test_demo_step_is_first_and_creates_the_vault(tmp_path):
    from ppds_desktop.demo.steps import STEPS, vault_step

    title, step = STEPS[0]
    assert title == "Encrypted vault" and step is vault_step
    said = []
    ctx = DemoContext(workdir=tmp_path, say=said.append)
    step(ctx)
    try:
        assert isinstance(ctx.vault, Vault) and not ctx.vault.is_locked
        assert ctx.vault.path == tmp_path / "demo.vault"
        text = "\n".join(said)
        assert str(tmp_path / "demo.vault") in text
        assert f"schema version {SCHEMA_VERSION}" in text
        assert "Argon2id" in text and "recovery key" in text
        assert [e.action for e in ctx.vault.audit_entries()] == ["vault.created"]
    finally:
        ctx.vault.lock()
    Vault.open(tmp_path / "demo.vault", DEMO_PASSPHRASE).lock()
