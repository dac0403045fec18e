"""Limits the vault keeps: Argon2id costs a header may ask for, and what a full disk does to an
import and a backup (one clear line, nothing stored, no file left behind)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from ppds_desktop.core.errors import VaultError
from ppds_desktop.core.vault import PRODUCTION_KDF, Vault, keys

from cli_process import one_error_line, run_ppds
from conftest import PASSPHRASE, REPO_ROOT

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX-only")


def _edit_kdf(vault_path, **costs) -> None:
    path = keys.header_path(vault_path)
    header = json.loads(path.read_text())
    header["wraps"]["passphrase"]["kdf"].update(costs)
    path.write_text(json.dumps(header))


@pytest.mark.parametrize("costs", [{"memory_kib": 4 * 1024 * 1024, "time_cost": 100},
                                   {"memory_kib": 2 * 1024 * 1024},
                                   {"memory_kib": 1024 * 1024, "time_cost": 30},
                                   {"parallelism": 64}])
def test_a_header_asking_for_huge_kdf_costs_is_refused_before_deriving(vault, vault_path,
                                                                       monkeypatch, costs):
    vault.lock()
    _edit_kdf(vault_path, **costs)

    def no_argon2(*args, **kwargs):
        raise AssertionError("Argon2id ran on a header the app would never have written")

    monkeypatch.setattr(keys, "hash_secret_raw", no_argon2)
    with pytest.raises(VaultError, match="far more than this app ever writes"):
        Vault.open(vault_path, PASSPHRASE)
    with pytest.raises(VaultError, match="far more than this app ever writes"):
        Vault.require(vault_path)          # refused before any passphrase is asked for


def test_what_the_app_writes_stays_within_the_bound(vault, vault_path):
    vault.lock()
    p = PRODUCTION_KDF
    _edit_kdf(vault_path, memory_kib=p.memory_kib, time_cost=p.time_cost,
              parallelism=p.parallelism)
    Vault.require(vault_path)                        # structurally fine (the MAC is not checked)
    _edit_kdf(vault_path, memory_kib=4 * p.memory_kib, time_cost=2 * p.time_cost)
    Vault.require(vault_path)                        # a later, stronger default still opens


# ------------------------------------------------------------------ disk full

def _csv(tmp_path, rows: int = 200_000):
    rng = np.random.default_rng(3)                   # test data only
    path = tmp_path / "big.csv"
    pd.DataFrame({"id": np.arange(rows), "code": rng.integers(0, 2**62, rows),
                  "note": [f"n{x:x}" for x in rng.integers(0, 2**62, rows)]}).to_csv(path,
                                                                                     index=False)
    return path


def _state(vault_path):
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert v.integrity_check() == "ok"
        return [d.name for d in v.list_datasets()], v.verify_audit()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# Stores 8 MB with a small page cache, so SQLite writes uncommitted pages to the WAL while the
# chunks are inserted, and the disk "fills" (file-size limit) in the middle of the transaction.
SPILLING_STORE = textwrap.dedent("""
    import resource, signal, sys
    import numpy as np
    import pyarrow as pa
    from ppds_desktop.core.errors import PPDSError
    from ppds_desktop.core.vault import Vault

    vault = Vault.open(sys.argv[1], sys.argv[2])
    vault._query("PRAGMA cache_size = -256")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    table = pa.table({"a": np.random.default_rng(1).integers(0, 2**62, 1_000_000)})
    try:
        vault.put_dataset("big", table)
    except PPDSError as exc:
        print(type(exc).__name__, exc)
""")


@posix_only
def test_a_full_disk_in_the_middle_of_storing_is_reported_as_such(vault, vault_path):
    """The root cause of 'FOREIGN KEY constraint failed': after the failed write SQLite had
    rolled back, and the Parquet writer's closing flush inserted chunks outside any
    transaction."""
    vault.lock()
    limit = vault_path.stat().st_size + (1 << 20)
    proc = subprocess.run([sys.executable, "-c", SPILLING_STORE, str(vault_path), PASSPHRASE,
                           str(limit)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    assert proc.stdout.startswith("DiskFull Could not write"), proc.stdout + proc.stderr
    assert "FOREIGN KEY" not in proc.stdout and "about 8.0 MB needed" in proc.stdout
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert v.list_datasets() == [] and v.integrity_check() == "ok"


@posix_only
def test_an_import_on_a_full_disk_says_so_and_stores_nothing(vault, vault_path, tmp_path):
    vault.put_dataset("before", pd.DataFrame({"x": [1, 2]}))
    vault.lock()
    before = _state(vault_path)
    csv = _csv(tmp_path)
    limit = vault_path.stat().st_size + (256 << 10)   # the WAL can grow by only 256 KiB
    proc = run_ppds("import", csv, "--vault", vault_path, "--name", "big",
                    file_size_limit=limit)
    line = one_error_line(proc)
    assert "FOREIGN KEY" not in line and "internal error" not in line
    assert f"Could not write {vault_path}" in line and "MB needed" in line
    assert "nothing was changed" in line
    assert _state(vault_path) == before
    assert _leftovers(vault_path.parent) == []


@posix_only
def test_a_backup_on_a_full_disk_says_so_and_leaves_no_file(vault, vault_path, tmp_path):
    vault.put_dataset("d", pd.DataFrame({"x": np.arange(200_000)}))
    vault.lock()
    dest_dir = tmp_path / "backups"
    dest_dir.mkdir()
    dest = dest_dir / "v.bak"
    size = vault_path.stat().st_size
    # too small for the copy of the database; then enough for the copy, not for the backup file
    for limit in (size // 2, size + 100):
        proc = run_ppds("vault", "backup", "--vault", vault_path, "-o", dest,
                        file_size_limit=limit)
        line = one_error_line(proc)
        assert f"Could not write {dest}" in line and "no backup was written" in line
        assert "MB needed" in line and "internal error" not in line
        assert list(dest_dir.iterdir()) == []
    assert run_ppds("vault", "backup", "--vault", vault_path, "-o", dest).returncode == 0
