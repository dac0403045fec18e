"""Bring a vault database to the current schema, in one transaction.

``PRAGMA user_version`` counts the migrations of :data:`schema.MIGRATIONS` already applied. An
older vault is upgraded atomically (all pending migrations and the audit entry, or nothing); a
vault written by a newer app is refused rather than guessed at.
"""

from __future__ import annotations

from typing import Callable

import sqlcipher3

from ..errors import VaultError
from .schema import MIGRATIONS, SCHEMA_VERSION


def statements(script: str) -> list[str]:
    """Split a migration script into complete statements (trigger bodies contain ``;``)."""
    out, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlcipher3.complete_statement(current):
            if current.strip(" \n\t;"):
                out.append(current.strip())
            current = ""
    if current.strip(" \n\t;"):
        raise ValueError("incomplete SQL statement at the end of a migration")
    return out


def schema_version(conn) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn, where: str, after: Callable[[object, int, int], None] | None = None) -> int:
    """Apply pending migrations on an autocommit connection; return the version found.

    ``after(conn, old, new)`` runs inside the same transaction (used to write the audit entry).
    """
    found = schema_version(conn)
    if found > SCHEMA_VERSION:
        raise VaultError(f"The vault {where} was written by a newer version of PPDS Desktop "
                         f"(schema version {found}; this version knows up to {SCHEMA_VERSION}). "
                         "Please update the app; the vault was not changed.")
    if found == SCHEMA_VERSION:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        for script in MIGRATIONS[found:]:
            for stmt in statements(script):
                conn.execute(stmt)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if after is not None:
            after(conn, found, SCHEMA_VERSION)
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, sqlcipher3.Error):
            raise VaultError(f"The vault {where} could not be upgraded from schema version "
                             f"{found} to {SCHEMA_VERSION} ({exc}); it was left "
                             "unchanged.") from exc
        raise
    return found
