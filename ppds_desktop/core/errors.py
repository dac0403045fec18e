"""Typed errors whose message is written for the user, not for a developer.

The GUI shows ``str(error)`` in a dialog and the CLI prints it on one line; neither ever shows a
traceback for a ``PPDSError``. Messages name the thing that is wrong (file and line, field,
numbers) and never contain cell values.
"""

from __future__ import annotations


class PPDSError(Exception):
    """Base of every error the user may see. ``hint`` says what to do about it, if anything."""

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class Cancelled(PPDSError):
    """The user pressed Cancel; whatever was under way has been rolled back."""

    def __init__(self, message: str = "Cancelled by the user; nothing was changed."):
        super().__init__(message)


class InputError(PPDSError):
    """A file or value given by the user cannot be used. Names the file and line when known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message, hint=hint)
        self.path = path
        self.line = line


class VaultError(PPDSError):
    """The vault cannot be created, opened or written."""


RESTORE_HINT = "restore it from a backup with 'ppds vault restore'"


class VaultDamaged(VaultError):
    """The vault's database or header is damaged, truncated or replaced: only a backup helps."""

    def __init__(self, message: str, *, hint: str | None = RESTORE_HINT):
        super().__init__(message, hint=hint)


class DiskFull(PPDSError):
    """A file could not be written for lack of room (full disk, quota, file-size limit);
    whatever was being written was rolled back or removed."""


class WrongPassphrase(VaultError):
    def __init__(self, message: str = "Wrong passphrase: the vault could not be unlocked."):
        super().__init__(message, hint="check Caps Lock, or unlock with the recovery key")


class VaultLocked(VaultError):
    def __init__(self, message: str = "The vault is locked; unlock it first."):
        super().__init__(message)


class NotFound(PPDSError):
    """A named dataset, release, contact or key does not exist."""


class RecipeError(PPDSError):
    """A recipe is invalid; ``field`` is the JSON path of the offending field and ``reason``
    the message without it (the GUI puts the field in words)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message


class PrivacyModelError(PPDSError):
    """No transformation satisfies the requested privacy model within the limits."""


class BudgetExceeded(PPDSError):
    """A release would spend more privacy budget than remains. Nothing was released."""

    def __init__(self, *, spent: float, remaining: float, asked: float, unit: str = "ε"):
        super().__init__(
            f"Privacy budget exceeded: asked {unit}={asked:g}, but only {unit}={remaining:g} remains "
            f"({unit}={spent:g} already spent). Nothing was released.")
        self.spent, self.remaining, self.asked = spent, remaining, asked


class BundleError(PPDSError):
    """A share bundle cannot be sealed or opened. Opening never leaves partial output."""


class CryptoError(PPDSError):
    """A cryptographic operation failed (wrong key, mismatched parameters, overflow)."""


class ConfirmationNeeded(PPDSError):
    """The action is refused until the user explicitly goes ahead: a release whose risk stayed
    high, data with direct identifiers, an import into the public demo vault. The GUI asks
    before it calls (and passes the answer); ``option`` is the command-line flag that says yes."""

    def __init__(self, message: str, *, option: str | None = None):
        super().__init__(message)
        self.option = option

    def __str__(self) -> str:
        return self.message + (f" (to go ahead anyway, add {self.option})" if self.option else "")
