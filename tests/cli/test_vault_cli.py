"""``ppds vault …`` through the real CLI entry point: exit codes and one-line errors."""

from __future__ import annotations

import json
import re

import pytest

from ppds_desktop.cli import main
from ppds_desktop.core.vault import Vault
from ppds_desktop.core.vault.schema import SCHEMA_VERSION

# New passphrases pass the strength rule (at least 45 bits and 10 characters), as in the GUI.
PASSPHRASE = "tidal marble quartz 123"


@pytest.fixture
def cli(monkeypatch, capsys):
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("PPDS_NEW_PASSPHRASE", raising=False)

    def run(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppds: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_init_prints_recovery_key_once(cli, vault_path):
    code, out, err = cli("vault", "init", "--vault", vault_path)
    assert code == 0
    key = re.search(r"RECOVERY KEY: (\S+)", out).group(1)
    assert len(key.split("-")) == 9 and "shown only now" in out
    assert Vault.exists(vault_path)
    code, out, err = cli("vault", "init", "--vault", vault_path)
    assert code == 1 and "already exists" in _one_line_error(err)


def test_info_audit_passwd_recover(cli, vault_path, monkeypatch):
    code, out, _ = cli("vault", "init", "--vault", vault_path)
    key = re.search(r"RECOVERY KEY: (\S+)", out).group(1)

    code, out, _ = cli("vault", "info", "--vault", vault_path, "--json", "--check")
    info = json.loads(out)
    assert code == 0 and info["schema_version"] == SCHEMA_VERSION and info["n_audit"] == 1
    assert info["integrity_check"] == "ok" and info["audit_verified_entries"] == 1
    assert info["kdf"].startswith("Argon2id")

    monkeypatch.setenv("PPDS_NEW_PASSPHRASE", "second tidal orbit passphrase")
    assert cli("vault", "passwd", "--vault", vault_path)[0] == 0
    code, _, err = cli("vault", "info", "--vault", vault_path)
    assert code == 1 and "Wrong passphrase" in _one_line_error(err)

    monkeypatch.setenv("PPDS_PASSPHRASE", "second tidal orbit passphrase")
    code, out, err = cli("vault", "audit", "--vault", vault_path, "--verify", "--json")
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert code == 0 and actions == ["vault.created", "vault.passphrase_changed"]
    assert "hash chain intact up to entry #2" in err
    code, out, _ = cli("vault", "audit", "--vault", vault_path, "--limit", "1")
    assert code == 0 and "Changed the passphrase." in out and len(out.splitlines()) == 1
    code, out, _ = cli("vault", "audit", "--vault", vault_path, "--limit", "1", "--raw")
    assert code == 0 and "vault.passphrase_changed" in out and len(out.splitlines()) == 1

    monkeypatch.setenv("PPDS_NEW_PASSPHRASE", "third lantern cobalt passphrase")
    code, out, _ = cli("vault", "recover", "--vault", vault_path, "--recovery-key", key)
    assert code == 0
    Vault.open(vault_path, "third lantern cobalt passphrase").lock()
    code, _, err = cli("vault", "recover", "--vault", vault_path, "--recovery-key", "AAAA-BBBB")
    assert code == 1 and "not a recovery key" in _one_line_error(err)


def test_backup_and_restore(cli, vault_path, tmp_path):
    cli("vault", "init", "--vault", vault_path)
    backup = tmp_path / "v.bak"
    code, out, _ = cli("vault", "backup", "--vault", vault_path, "-o", backup)
    assert code == 0 and backup.is_file() and "Wrote encrypted backup" in out
    target = tmp_path / "restored" / "r.vault"
    code, out, _ = cli("vault", "restore", backup, "--vault", target)
    assert code == 0 and Vault.exists(target)
    code, _, err = cli("vault", "restore", backup, "--vault", target)
    assert code == 1 and "already exists" in _one_line_error(err)
    assert cli("vault", "restore", backup, "--vault", target, "--force")[0] == 0


def test_errors_and_usage(cli, vault_path, tmp_path, monkeypatch):
    code, _, err = cli("vault", "info", "--vault", tmp_path / "none.vault")
    assert code == 1 and "There is no vault" in _one_line_error(err)
    monkeypatch.delenv("PPDS_PASSPHRASE")
    code, _, err = cli("vault", "init", "--vault", vault_path)
    assert code == 1 and "PPDS_PASSPHRASE" in _one_line_error(err)
    with pytest.raises(SystemExit) as exc:
        main(["vault", "backup", "--vault", str(vault_path)])     # -o is required
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["vault", "frobnicate"])
    assert exc.value.code == 2


def test_passwd_with_wrong_old_passphrase(cli, vault_path, monkeypatch):
    cli("vault", "init", "--vault", vault_path)
    monkeypatch.setenv("PPDS_PASSPHRASE", "not the passphrase")
    monkeypatch.setenv("PPDS_NEW_PASSPHRASE", "second tidal orbit passphrase")
    code, _, err = cli("vault", "passwd", "--vault", vault_path)
    assert code == 1 and "Wrong passphrase" in _one_line_error(err)
    Vault.open(vault_path, PASSPHRASE).lock()


def test_restore_with_recovery_key(cli, vault_path, tmp_path, monkeypatch):
    _, out, _ = cli("vault", "init", "--vault", vault_path)
    key = re.search(r"RECOVERY KEY: (\S+)", out).group(1)
    cli("vault", "backup", "--vault", vault_path, "-o", tmp_path / "v.bak")
    monkeypatch.setenv("PPDS_PASSPHRASE", "forgotten anyway")
    monkeypatch.setenv("PPDS_NEW_PASSPHRASE", "fresh meadow copper passphrase")
    target = tmp_path / "r" / "r.vault"
    code, out, _ = cli("vault", "restore", tmp_path / "v.bak", "--vault", target,
                       "--recovery-key", key)
    assert code == 0
    Vault.open(target, "fresh meadow copper passphrase").lock()


def test_recover_says_there_is_no_vault_before_asking_for_a_passphrase(cli, tmp_path,
                                                                        monkeypatch):
    """Without PPDS_NEW_PASSPHRASE and with no terminal, the missing vault is what is reported
    (not the missing new passphrase the user would otherwise type for nothing)."""
    code, _, err = cli("vault", "recover", "--vault", tmp_path / "none.vault",
                       "--recovery-key", "AAAA-BBBB")
    assert code == 1 and "There is no vault" in _one_line_error(err)


def test_info_text_lines_up_every_key(cli, vault_path):
    cli("vault", "init", "--vault", vault_path)
    code, out, _ = cli("vault", "info", "--vault", vault_path, "--check")
    colons = {line.index(": ") for line in out.splitlines()}
    assert code == 0 and len(colons) == 1 and "audit_verified_entries: 1" in out
