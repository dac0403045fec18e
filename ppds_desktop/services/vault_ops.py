"""Vault use cases: what the first-run wizard, the unlock screen, the settings page and the
``ppds vault`` commands do. Each is one function so the GUI and CLI behave identically."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import InputError, VaultError
from ..core.passphrase import MIN_BITS, MIN_LENGTH
from ..core.passphrase import estimate as passphrase_strength
from ..core.progress import TaskState, ensure_task
from ..core.vault import AuditEntry, Vault

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


def restore(backup_file: Path, dest_path: Path, passphrase: str | None = None, *,
            recovery_key: str | None = None, new_passphrase: str | None = None,
            overwrite: bool = False, task: TaskState | None = None) -> Vault:
    ensure_task(task).report(0.0, "Checking the backup and its key…")
    return Vault.restore(Path(backup_file), Path(dest_path), passphrase,
                         recovery_key=recovery_key, new_passphrase=new_passphrase,
                         overwrite=overwrite)


def audit_log(vault: Vault, limit: int | None = None, *, verify: bool = False
              ) -> list[AuditEntry]:
    """The audit entries (oldest first); with ``verify``, check the hash chain first."""
    if verify:
        vault.verify_audit()
    return vault.audit_entries(limit)


def vault_info(vault: Vault, *, check: bool = False) -> dict:
    """Where the vault is and how it is protected; with ``check``, also SQLite's integrity
    check and the audit chain (raises VaultError naming the problem if either fails)."""
    info = vault.info()
    if check:
        result = vault.integrity_check()
        if result != "ok":
            raise VaultError(f"The vault database {vault.path} is damaged: {result}.",
                             hint="restore it from a backup")
        info["integrity_check"] = result
        info["audit_verified_entries"] = vault.verify_audit()
    return info


def demo_step(ctx) -> None:
    """Demo: create the demo vault in the demo's work folder and describe it."""
    from .demo import DEMO_PASSPHRASE

    path = Path(ctx.workdir) / "demo.vault"
    vault, recovery_key = create_vault(path, DEMO_PASSPHRASE)
    ctx.vault = vault
    info = vault.info()
    ctx.say(f"Created an encrypted vault at {path} (SQLCipher {info['cipher']}, "
            f"{info['journal_mode'].upper()} journal, schema version {info['schema_version']}).")
    ctx.say(f"Its random 256-bit key is wrapped in {vault.header_path.name} under the passphrase "
            f"({info['kdf']}) and under a recovery key, shown once: {recovery_key}")
    vault.lock()
    vault = unlock(path, DEMO_PASSPHRASE)
    ctx.vault = vault
    n = vault.verify_audit()
    ctx.say(f"Locked it and unlocked it again; the hash-chained audit log checks out "
            f"({n} {'entry' if n == 1 else 'entries'}).")
