"""Backup and restore: one encrypted file, written atomically, that opens with the same
passphrase or recovery key."""

from __future__ import annotations

import pandas as pd
import pytest

from ppds_desktop.core.errors import Cancelled, InputError, VaultError, WrongPassphrase
from ppds_desktop.core.progress import TaskState
from ppds_desktop.core.vault import Vault

from conftest import PASSPHRASE

CANARY = "CANARY-7f3a9c-backup"


def _fill(vault):
    vault.put_dataset("d", pd.DataFrame({"x": range(100), "note": [CANARY] * 100}))
    vault.put_secret("pseudonym_key", "k", b"secret-bytes")


def test_backup_and_restore(vault_path, tmp_path):
    vault, recovery = Vault.create(vault_path, PASSPHRASE)
    _fill(vault)
    reports = []
    dest = vault.backup(tmp_path / "vault.bak", task=TaskState(lambda f, m: reports.append(f)))
    assert dest.is_file() and reports[-1] == 1.0
    assert CANARY.encode() not in dest.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temp left over
    vault.put_dataset("after", pd.DataFrame({"y": [1]}))                  # not in the backup
    assert vault.audit_entries()[-2].action == "vault.backup"
    vault.lock()

    restored = Vault.restore(dest, tmp_path / "copy" / "r.vault", PASSPHRASE)
    assert [d.name for d in restored.list_datasets()] == ["d"]
    assert restored.load_dataset("d")["note"].iloc[0] == CANARY
    assert restored.get_secret("pseudonym_key", "k") == b"secret-bytes"
    assert restored.verify_audit() > 0
    assert restored.audit_entries()[-1].action == "vault.restored"
    restored.lock()

    again = Vault.restore(dest, tmp_path / "copy2" / "r.vault", recovery_key=recovery,
                          new_passphrase="after recovery 1")
    again.lock()
    Vault.open(tmp_path / "copy2" / "r.vault", "after recovery 1").lock()


def test_restore_refuses_wrong_key_and_existing_vault(vault, vault_path, tmp_path):
    _fill(vault)
    dest = vault.backup(tmp_path / "b.bak")
    target = tmp_path / "t" / "t.vault"
    with pytest.raises(WrongPassphrase):
        Vault.restore(dest, target, "wrong passphrase")
    assert not target.parent.exists()            # nothing written before the key is checked
    with pytest.raises(VaultError, match="already exists"):
        Vault.restore(dest, vault_path, PASSPHRASE)
    vault.put_dataset("newer", pd.DataFrame({"a": [1]}))
    vault.lock()
    v = Vault.restore(dest, vault_path, PASSPHRASE, overwrite=True)
    assert [d.name for d in v.list_datasets()] == ["d"]
    v.lock()


@pytest.mark.parametrize("damage, match", [
    ("truncate", "truncated"), ("flip", "checksum"), ("magic", "not a PPDS vault backup")])
def test_damaged_backup_is_refused(vault, tmp_path, damage, match):
    _fill(vault)
    dest = vault.backup(tmp_path / "b.bak")
    data = bytearray(dest.read_bytes())
    if damage == "truncate":
        data = data[:-100]
    elif damage == "flip":
        data[-50] ^= 0xFF
    else:
        data[:8] = b"NOTVAULT"
    dest.write_bytes(bytes(data))
    with pytest.raises(VaultError, match=match):
        Vault.restore(dest, tmp_path / "r" / "r.vault", PASSPHRASE)
    assert not (tmp_path / "r" / "r.vault").exists()


def test_backup_argument_errors(vault, vault_path, tmp_path):
    with pytest.raises(InputError, match="cannot overwrite the vault"):
        vault.backup(vault_path)
    with pytest.raises(InputError, match="does not exist"):
        vault.backup(tmp_path / "missing-folder" / "b.bak")
    with pytest.raises(VaultError, match="does not exist"):
        Vault.restore(tmp_path / "none.bak", tmp_path / "r.vault", PASSPHRASE)


def test_cancelled_backup_leaves_no_file(vault, tmp_path):
    _fill(vault)
    task = TaskState()
    task.cancel()
    with pytest.raises(Cancelled):
        vault.backup(tmp_path / "b.bak", task=task)
    assert list(tmp_path.iterdir()) == [tmp_path / "vault"]


def test_os_errors_are_clear(vault, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(VaultError, match="Cannot write .*a-file"):
        Vault.create(blocker / "sub" / "v.vault", PASSPHRASE)   # its "folder" is a file
    backup = vault.backup(tmp_path / "b.bak")
    with pytest.raises(VaultError, match="Cannot write .*a-file"):
        Vault.restore(backup, blocker / "r.vault", PASSPHRASE)
