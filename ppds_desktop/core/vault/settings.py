"""The ``settings`` table (JSON values by key), as ``vault.settings``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from .vault import Vault


class SettingsStore:
    def __init__(self, vault: Vault):
        self._vault = vault

    def get(self, key: str, default: Any = None) -> Any:
        row = self._vault._conn().execute("SELECT value FROM settings WHERE key = ?",
                                          (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, json_value: Any) -> None:
        """Store any JSON-serialisable value. Keys starting with '_' are reserved."""
        if not isinstance(key, str) or not key or key.startswith("_"):
            raise InputError(f"Invalid setting name {key!r}.")
        try:
            value = json.dumps(json_value)
        except (TypeError, ValueError):
            raise InputError(f"Setting {key!r} must be a JSON value (text, number, list, "
                             f"dict…), not {type(json_value).__name__}.") from None
        with self._vault.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (key, value))
