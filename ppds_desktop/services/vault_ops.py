"""Vault use cases: what the first-run wizard, the unlock screen, the settings page and the
``ppds vault`` commands do. Each is one function so the GUI and CLI behave identically."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import InputError, VaultDamaged
from ..core.io.filenames import safe_file_name
from ..core.passphrase import MIN_BITS, MIN_LENGTH
from ..core.passphrase import estimate as passphrase_strength
from ..core.progress import TaskState, ensure_task
from ..core.storage import location_warning
from ..core.vault import AuditEntry, AuditHead, Vault
from ..core.vault.health import describe_table

RECOVERY_WARNING = ("This recovery key is shown only now. Write it down or print it and keep it "
                    "somewhere safe, apart from the computer: it unlocks the vault if the "
                    "passphrase is forgotten, and nobody can recover the data without one of them.")


def check_new_passphrase(passphrase: str) -> str:
    """``passphrase`` if it passes the strength rule the GUI's meter shows (at least
    ``MIN_BITS`` bits and ``MIN_LENGTH`` characters); else an error saying why."""
    strength = passphrase_strength(passphrase)
    if not strength.acceptable:
        raise InputError(f"the new passphrase is too weak (about {strength.bits:.0f} bits; at "
                         f"least {MIN_BITS} bits and {MIN_LENGTH} characters are needed)",
                         hint=" ".join(strength.hints))
    return passphrase


def create_vault(path: Path, passphrase: str, *, task: TaskState | None = None
                 ) -> tuple[Vault, str]:
    """Create a vault at ``path``; returns it unlocked and the recovery key to show once."""
    ensure_task(task).report(0.0, "Creating the vault and deriving its key (Argon2id)…")
    return Vault.create(Path(path), passphrase)


def vault_exists(path: Path) -> bool:
    return Vault.exists(path)


def require_vault(path: Path) -> None:
    """Say plainly what is missing at ``path`` (before asking for any passphrase)."""
    Vault.require(path)


def unlock(path: Path, passphrase: str, *, task: TaskState | None = None) -> Vault:
    require_vault(path)
    ensure_task(task).report(0.0, "Deriving the key (Argon2id)…")
    return Vault.open(Path(path), passphrase)


def recover(path: Path, recovery_key: str, new_passphrase: str, *,
            task: TaskState | None = None) -> Vault:
    """Unlock with the recovery key and set a new passphrase."""
    require_vault(path)
    ensure_task(task).report(0.0, "Checking the recovery key…")
    return Vault.open_with_recovery(Path(path), recovery_key, new_passphrase)


def change_passphrase(vault: Vault, old: str, new: str, *, task: TaskState | None = None) -> None:
    ensure_task(task).report(0.0, "Re-wrapping the vault key (Argon2id)…")
    vault.change_passphrase(old, new)


def backup(vault: Vault, dest_file: Path, *, task: TaskState | None = None) -> Path:
    """Write an encrypted backup file; it opens with the same passphrase or recovery key."""
    return vault.backup(Path(dest_file), task=task)


def backup_file_name(vault: Vault) -> str:
    """The file name proposed for a backup of ``vault``, valid on every system."""
    return safe_file_name(f"{vault.path.stem}-backup", ".vault")


def restore(backup_file: Path, dest_path: Path, passphrase: str | None = None, *,
            recovery_key: str | None = None, new_passphrase: str | None = None,
            overwrite: bool = False, task: TaskState | None = None) -> Vault:
    ensure_task(task).report(0.0, "Checking the backup and its key…")
    return Vault.restore(Path(backup_file), Path(dest_path), passphrase,
                         recovery_key=recovery_key, new_passphrase=new_passphrase,
                         overwrite=overwrite)


def audit_log(vault: Vault, limit: int | None = None, *, verify: bool = False,
              expect_head: str | None = None) -> list[AuditEntry]:
    """The audit entries (oldest first); with ``verify``, check the hash chain first, and with
    ``expect_head`` also that a head recorded earlier is still in it."""
    if verify or expect_head is not None:
        vault.verify_audit(expect_head)
    return vault.audit_entries(limit)


def audit_head(vault: Vault) -> AuditHead:
    """The newest audit entry's number and hash, to note down outside the vault."""
    return vault.audit_head()


def check_audit_head(vault: Vault, recorded: str, *, task: TaskState | None = None) -> int:
    """Verify the chain and that ``recorded`` (a head noted earlier) is still in it; returns
    the number of entries. Raises VaultError saying what does not hold."""
    ensure_task(task).report(0.0, "Verifying the audit chain…")
    return vault.verify_audit(recorded)


def storage_warning(path: Path) -> str | None:
    """A warning when the vault sits on a network share or in a cloud-synced folder."""
    return location_warning(path)


def vault_info(vault: Vault, *, check: bool = False) -> dict:
    """Where the vault is and how it is protected; with ``check``, first each table's integrity
    check (VaultDamaged naming the tables that can and cannot be read), then SQLite's check
    of the whole file and the audit chain (VaultError naming the problem if either fails)."""
    if check:
        tables = vault.check_tables()
        damaged = [t for t, result in tables.items() if result != "ok"]
        if damaged:
            readable = [t for t in tables if t not in damaged]
            raise VaultDamaged(
                f"The vault file {vault.path} is damaged: its {_listed(damaged)} cannot be read"
                + (f" (its {_listed(readable)} can)." if readable else "."))
    info = vault.info()
    if check:
        result = vault.integrity_check()
        if result != "ok":
            raise VaultDamaged(f"The vault database {vault.path} is damaged: {result}.")
        info["integrity_check"] = result
        info["tables_checked"] = len(tables)
        info["audit_verified_entries"] = vault.verify_audit()
    return info


def _listed(tables: list[str]) -> str:
    names = [describe_table(t) for t in tables]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
