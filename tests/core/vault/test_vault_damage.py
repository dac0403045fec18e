"""A vault whose database was emptied, removed or damaged is refused in words, never silently
re-created, and SQLCipher's own log lines never reach the user."""

from __future__ import annotations

import os
import threading

import numpy as np
import pandas as pd
import pytest

from ppds_desktop.core.errors import VaultDamaged
from ppds_desktop.core.vault import Vault

from cli_process import one_error_line, run_ppds
from conftest import PASSPHRASE

PAGE = 65536


def _sidecars(path):
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def _vault_with_data(vault_path, rows: int = 200_000) -> Vault:
    vault, _ = Vault.create(vault_path, PASSPHRASE)
    rng = np.random.default_rng(5)           # test data only
    vault.put_dataset("patients", pd.DataFrame({"id": np.arange(rows),
                                                "bill": rng.random(rows),
                                                "code": rng.integers(0, 2**62, rows)}))
    vault.put_secret("pseudonym_key", "k", b"key bytes")
    return vault


# ------------------------------------------------------------------ emptied or missing database

def test_an_emptied_database_is_refused_not_started_again(vault, vault_path):
    vault.put_dataset("d", pd.DataFrame({"x": [1, 2, 3]}))
    vault.lock()
    vault_path.write_bytes(b"")                        # ': > x.vault', header kept
    before = sorted(os.listdir(vault_path.parent))
    with pytest.raises(VaultDamaged) as err:
        Vault.open(vault_path, PASSPHRASE)
    text = str(err.value)
    assert "empty" in text and str(vault_path) in text and "ppds vault restore" in text
    assert vault_path.stat().st_size == 0              # nothing written: not migrated from 0
    assert sorted(os.listdir(vault_path.parent)) == before

    proc = run_ppds("vault", "info", "--check", "--vault", vault_path)
    assert "is empty" in one_error_line(proc)
    assert vault_path.stat().st_size == 0


def test_a_missing_database_beside_its_header_is_refused(vault, vault_path):
    vault.lock()
    vault_path.unlink()
    with pytest.raises(VaultDamaged, match="is missing") as err:
        Vault.open(vault_path, PASSPHRASE)
    assert "ppds vault restore" in str(err.value)
    assert not vault_path.exists()
    assert "is missing" in one_error_line(run_ppds("vault", "info", "--vault", vault_path))
    assert not vault_path.exists()


def test_a_database_removed_while_unlocked_is_not_recreated_by_a_new_connection(vault,
                                                                               vault_path):
    vault.put_dataset("d", pd.DataFrame({"x": [1]}))
    for p in [vault_path, *_sidecars(vault_path)]:
        p.unlink(missing_ok=True)
    errors = []

    def worker():                  # a new thread opens its own connection to the same path
        try:
            vault.list_datasets()
        except VaultDamaged as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(errors) == 1 and "is missing" in str(errors[0])
    assert not vault_path.exists()


# ------------------------------------------------------------------ damaged pages

def _flip_byte_mid_file(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _zero_page_6(path):
    with open(path, "r+b") as fh:
        fh.seek(6 * PAGE)
        fh.write(bytes(PAGE))


@pytest.mark.parametrize("damage", [_flip_byte_mid_file, _zero_page_6])
def test_damaged_pages_are_reported_in_words_everywhere(vault_path, tmp_path, damage):
    vault = _vault_with_data(vault_path)
    vault.lock()                               # checkpoints the WAL into the main file
    assert not any(p.exists() for p in _sidecars(vault_path))
    damage(vault_path)

    with Vault.open(vault_path, PASSPHRASE) as v:       # page 1 is sound: it opens
        with pytest.raises(VaultDamaged) as err:
            v.load_dataset("patients")
        assert "damaged" in str(err.value) and "ppds vault restore" in str(err.value)
        report = v.check_tables()
        assert report["dataset_chunks"] != "ok"
        assert report["audit"] == report["secrets"] == report["datasets"] == "ok"

    line = one_error_line(run_ppds("vault", "info", "--check", "--vault", vault_path))
    assert "is damaged: its contents of the datasets cannot be read" in line
    assert "audit log" in line and "keys and secrets" in line and "internal error" not in line
    out = tmp_path / "out.csv"
    line = one_error_line(run_ppds("export", "patients", "--vault", vault_path, "-o", out))
    assert "is damaged" in line and "ppds vault restore" in line
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_cipher_library_writes_no_log_lines_of_its_own(vault_path, tmp_path):
    vault = _vault_with_data(vault_path)
    vault.lock()
    _zero_page_6(vault_path)
    proc = run_ppds("export", "patients", "--vault", vault_path, "-o", tmp_path / "x.csv")
    assert "ERROR CORE" not in proc.stderr and "hmac check" not in proc.stderr
    one_error_line(proc)
