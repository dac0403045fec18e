"""Secrets on the clipboard (the recovery key, a shown passphrase) are wiped after a while.

``forget_later(text)`` arms a timer; when it fires, the clipboard is cleared if it still holds
that text (something copied since is left alone). Only a hash of the secret is kept meanwhile.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QGuiApplication

CLEAR_AFTER_MS = 30_000


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def copy_secret(text: str, clear_after_ms: int | None = None) -> None:
    """Put ``text`` on the clipboard and wipe it after ``clear_after_ms`` (30 s)."""
    QGuiApplication.clipboard().setText(text)
    forget_later(text, clear_after_ms)


def forget_later(text: str, clear_after_ms: int | None = None) -> None:
    """Wipe the clipboard after ``clear_after_ms`` if it still holds ``text``."""
    if not text:
        return
    digest = _digest(text)

    def clear() -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard.text() and _digest(clipboard.text()) == digest:
            clipboard.clear()

    QTimer.singleShot(CLEAR_AFTER_MS if clear_after_ms is None else clear_after_ms,
                      QCoreApplication.instance(), clear)
