"""Windows and macOS behaviour checked here by pretending to be them (``sys.platform``
monkeypatched): owner-only access lists, F_FULLFSYNC, case-insensitive names; plus a restore
that rolls back, and the warning for vaults on network or cloud-synced folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ppds_desktop.core import private_files, storage
from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io.writer import write_table
from ppds_desktop.core.vault import Vault, keys

from cli_process import run_ppds
from conftest import PASSPHRASE


# ------------------------------------------------------------------ restore --force rolls back

@pytest.fixture
def two_vaults(vault, vault_path, tmp_path):
    """A live vault at ``vault_path`` and a backup of a *different* vault."""
    vault.put_dataset("live", pd.DataFrame({"x": [1]}))
    other, _ = Vault.create(tmp_path / "other" / "o.vault", PASSPHRASE)
    other.put_dataset("from backup", pd.DataFrame({"y": [2]}))
    backup = other.backup(tmp_path / "o.bak")
    other.lock()
    vault.lock()
    return vault_path, backup


def _snapshot(vault_path):
    header = keys.header_path(vault_path)
    return vault_path.read_bytes(), header.read_bytes(), sorted(os.listdir(vault_path.parent))


@pytest.mark.parametrize("failing", ["database move", "header write"])
def test_restore_over_a_vault_puts_everything_back_when_it_fails(two_vaults, monkeypatch,
                                                                 failing):
    vault_path, backup = two_vaults
    before = _snapshot(vault_path)
    real_replace = os.replace

    def replace(src, dst):
        src, dst = Path(src), Path(dst)
        if failing == "database move" and dst == vault_path and src.suffix == ".restore":
            raise PermissionError(13, "The file is in use", str(dst))
        if failing == "header write" and dst == keys.header_path(vault_path):
            raise PermissionError(13, "The file is in use", str(dst))
        return real_replace(src, dst)

    with monkeypatch.context() as m:
        m.setattr(os, "replace", replace)
        with pytest.raises(Exception, match="in use"):
            Vault.restore(backup, vault_path, PASSPHRASE, overwrite=True)
    assert _snapshot(vault_path) == before             # old header, old database, no leftovers
    with Vault.open(vault_path, PASSPHRASE) as v:
        assert [d.name for d in v.list_datasets()] == ["live"]


def test_restore_over_a_vault_works(two_vaults):
    vault_path, backup = two_vaults
    with Vault.restore(backup, vault_path, PASSPHRASE, overwrite=True) as v:
        assert [d.name for d in v.list_datasets()] == ["from backup"]
    assert not [p for p in os.listdir(vault_path.parent) if p.startswith(".")]


# ------------------------------------------------------------------ same file, other spelling

def _case_insensitive_samefile(a, b) -> bool:
    """os.path.samefile as on APFS or NTFS, where names differ only in case."""
    a, b = Path(os.path.abspath(a)), Path(os.path.abspath(b))
    if str(a).lower() != str(b).lower():
        return False
    return any(p.name.lower() == a.name.lower() for p in a.parent.iterdir())


def test_backup_onto_the_vault_under_another_case_is_refused(vault, vault_path, monkeypatch):
    monkeypatch.setattr(os.path, "samefile", _case_insensitive_samefile)
    for target in (vault_path.with_name(vault_path.name.upper()),
                   vault_path.with_name(vault_path.name.upper() + ".HEADER")):
        with pytest.raises(InputError, match="cannot overwrite the vault"):
            vault.backup(target)
    assert vault.integrity_check() == "ok"


def test_backup_refusal_sees_through_links(vault, vault_path, tmp_path):
    link = tmp_path / "link.vault"
    os.symlink(vault_path, link) if hasattr(os, "symlink") else pytest.skip("no symlinks")
    with pytest.raises(InputError, match="cannot overwrite the vault"):
        vault.backup(link)


# ------------------------------------------------------------------ owner-only files on Windows

@pytest.fixture
def icacls_calls(monkeypatch):
    """Pretend to be Windows: record the icacls commands instead of running them."""
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, b"", b"")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("USERDOMAIN", "CLINIC")
    monkeypatch.setattr(private_files.getpass, "getuser", lambda: "nurse")
    monkeypatch.setattr(private_files.subprocess, "run", fake_run)
    return calls


def test_owner_only_uses_icacls_on_windows(icacls_calls, tmp_path):
    f = tmp_path / "a.vault"
    f.write_bytes(b"")
    assert private_files.restrict_to_owner(f) is True
    assert private_files.restrict_to_owner(tmp_path, folder=True) is True
    (tool, path, *rest), (_t2, folder, *rest2) = icacls_calls
    assert tool.lower().endswith("icacls.exe") and path == str(f)
    assert rest == ["/inheritance:r", "/grant:r", "CLINIC\\nurse:F", "/q"]
    assert folder == str(tmp_path) and "CLINIC\\nurse:(OI)(CI)F" in rest2


def test_vault_header_backup_and_export_are_made_owner_only_on_windows(icacls_calls, tmp_path):
    vault, _ = Vault.create(tmp_path / "new" / "v.vault", PASSPHRASE)
    try:
        vault.put_dataset("d", pd.DataFrame({"x": [1]}))
        vault.backup(tmp_path / "v.bak")
        write_table(pd.DataFrame({"x": [1]}), tmp_path / "out.csv")
    finally:
        vault.lock()
    targets = [Path(cmd[1]) for cmd in icacls_calls]
    assert tmp_path / "new" in targets                                    # the vault's folder
    names = [t.name for t in targets]
    assert any(n.startswith(".v.vault.creating") for n in names)          # the database
    assert any(n.startswith(".v.vault.header.") for n in names)           # the header
    assert any(n.startswith(".v.bak.") and n.endswith(".db") for n in names)   # backup copy
    assert any(n.startswith(".v.bak.") and n.endswith(".tmp") for n in names)  # backup file
    assert any(n.startswith(".out.csv.") for n in names)                  # the export


def test_a_failing_icacls_does_not_stop_the_work(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(private_files.subprocess, "run",
                        lambda cmd, **kw: subprocess.CompletedProcess(cmd, 5, b"", b"denied"))
    f = tmp_path / "x"
    f.write_bytes(b"")
    assert private_files.restrict_to_owner(f) is False


def test_posix_modes(tmp_path):
    if sys.platform == "win32":
        pytest.skip("POSIX modes")
    f = tmp_path / "x"
    f.write_bytes(b"")
    os.chmod(f, 0o644)
    private_files.restrict_to_owner(f)
    private_files.restrict_to_owner(tmp_path, folder=True)
    assert (f.stat().st_mode & 0o777, tmp_path.stat().st_mode & 0o777) == (0o600, 0o700)


# ------------------------------------------------------------------ F_FULLFSYNC on macOS

def test_header_and_database_syncs_reach_the_disk_on_macos(monkeypatch, vault, vault_path):
    import fcntl

    from ppds_desktop.core.vault.connection import connect

    full = []
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fcntl, "F_FULLFSYNC", 51, raising=False)
    real_fcntl = fcntl.fcntl
    monkeypatch.setattr(fcntl, "fcntl", lambda fd, op, *a: full.append(fd) if op == 51
                        else real_fcntl(fd, op, *a))
    keys.write_header(vault_path, vault._header)                    # the header is synced
    assert len(full) == 1
    key = bytearray(vault._key)
    conn = connect(vault_path, key)
    try:                                        # and SQLite is told to use F_FULLFSYNC too
        assert conn.execute("PRAGMA fullfsync").fetchone()[0] == 1
        assert conn.execute("PRAGMA checkpoint_fullfsync").fetchone()[0] == 1
    finally:
        conn.close()
        keys.zero(key)


def test_elsewhere_fsync_is_used(monkeypatch, tmp_path):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    with open(tmp_path / "x", "wb") as fh:
        private_files.sync_file(fh.fileno())
    assert len(synced) == 1


# ------------------------------------------------------------------ network and synced folders

@pytest.mark.parametrize("folder", ["OneDrive - Contoso", "Dropbox", "iCloud Drive",
                                    "Google Drive", "GoogleDrive-me@example.org", "My Drive"])
def test_cloud_synced_folders_are_warned_about(tmp_path, folder):
    warning = storage.location_warning(tmp_path / folder / "clinic" / "ppds.vault")
    assert warning and "synced" in warning and "local" in warning


def test_onedrive_environment_folder_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.setenv("OneDriveCommercial", str(tmp_path / "Documents sync"))
    assert "OneDrive" in storage.location_warning(tmp_path / "Documents sync" / "v.vault")


def test_network_mounts_are_warned_about(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "_mounts", lambda: [("/", "ext4"), (str(tmp_path), "nfs4")])
    assert "network share" in storage.location_warning(tmp_path / "v.vault")
    monkeypatch.setattr(storage, "_mounts", lambda: [("/", "ext4"), (str(tmp_path), "cifs"),
                                                     (str(tmp_path / "local"), "ext4")])
    assert storage.location_warning(tmp_path / "local" / "v.vault") is None   # nearest mount


def test_windows_shares_are_warned_about(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(storage, "_windows_drive_type", lambda root: 4)     # DRIVE_REMOTE
    assert "network share" in storage.location_warning(Path("/clinic/v.vault"))
    monkeypatch.setattr(storage, "_windows_drive_type", lambda root: 3)     # DRIVE_FIXED
    assert storage.location_warning(Path("/clinic/v.vault")) is None


def test_a_local_folder_gets_no_warning(tmp_path):
    assert storage.location_warning(tmp_path / "v.vault") is None


def test_cli_warns_once_when_the_vault_is_in_a_synced_folder(tmp_path):
    path = tmp_path / "Dropbox" / "v.vault"
    Vault.create(path, PASSPHRASE)[0].lock()
    proc = run_ppds("vault", "info", "--vault", path)
    assert proc.returncode == 0
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("ppds: warning:")]
    assert len(warnings) == 1 and "Dropbox" in warnings[0]



def test_settings_page_shows_the_location_warning(qtbot, tmp_path):
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.settings_page import SettingsPage

    vault, _ = Vault.create(tmp_path / "Dropbox" / "v.vault", PASSPHRASE)
    try:
        page = SettingsPage(AppSession(vault))
        qtbot.addWidget(page)
        page.show()
        assert "Location" in page.facts.text() and "synced by Dropbox" in page.facts.text()
    finally:
        vault.lock()
