"""The ``secrets`` table (keys the vault keeps: pseudonym and date-shift keys, HE key pairs,
threshold shares), as ``vault.secrets``. Values never leave it except through :meth:`get`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..clock import utc_now
from ..errors import InputError, NotFound, VaultError

if TYPE_CHECKING:
    from .vault import Vault


class SecretStore:
    def __init__(self, vault: Vault):
        self._vault = vault

    def put(self, kind: str, name: str, data: bytes, meta: dict | None = None,
            replace: bool = False) -> None:
        if not isinstance(data, (bytes, bytearray)):
            raise InputError("A secret must be bytes.")
        with self._vault.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM secrets WHERE kind = ? AND name = ?",
                                  (kind, name)).fetchone()
            if exists and not replace:
                raise VaultError(f"The vault already holds a {kind} named {name!r}.")
            conn.execute(
                "INSERT INTO secrets (kind, name, data, meta_json, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(kind, name) DO UPDATE SET "
                "data = excluded.data, meta_json = excluded.meta_json, "
                "created_at = excluded.created_at",
                (kind, name, bytes(data), json.dumps(meta or {}, default=str), utc_now()))
            self._vault.audit("secret.replaced" if exists else "secret.stored", kind=kind,
                              name=name)

    def get(self, kind: str, name: str) -> bytes:
        row = self._vault._conn().execute("SELECT data FROM secrets WHERE kind = ? AND name = ?",
                                          (kind, name)).fetchone()
        if row is None:
            raise NotFound(f"The vault holds no {kind} named {name!r}.")
        return bytes(row[0])

    def meta(self, kind: str, name: str) -> dict:
        row = self._vault._conn().execute(
            "SELECT meta_json FROM secrets WHERE kind = ? AND name = ?", (kind, name)).fetchone()
        if row is None:
            raise NotFound(f"The vault holds no {kind} named {name!r}.")
        return json.loads(row[0])

    def names(self, kind: str) -> list[str]:
        return [r[0] for r in self._vault._conn().execute(
            "SELECT name FROM secrets WHERE kind = ? ORDER BY name", (kind,))]

    def has(self, kind: str, name: str) -> bool:
        return self._vault._conn().execute("SELECT 1 FROM secrets WHERE kind = ? AND name = ?",
                                           (kind, name)).fetchone() is not None
