"""What a damaged vault still holds: each table's own integrity check.

SQLite's ``PRAGMA integrity_check(TABLE)`` walks one table, its indexes and their overflow pages.
Each table is checked on its own fresh connection, because once SQLCipher has met a page that
fails its HMAC, the connection refuses every later read, so one bad page would otherwise make
every table after it look damaged too.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PPDSError
from .connection import connect

# What each table holds, in words for the user (tables not listed: their name, spaced out).
_WHAT = {"settings": "settings", "datasets": "list of datasets",
         "dataset_chunks": "contents of the datasets", "column_roles": "column roles",
         "secrets": "keys and secrets", "identity": "identity", "contacts": "contacts",
         "releases": "list of releases", "release_files": "files of releases",
         "budgets": "privacy budgets", "ledger": "privacy budget ledger",
         "imported_bundles": "record of received bundles", "audit": "audit log"}


def describe_table(table: str) -> str:
    return _WHAT.get(table, table.replace("_", " "))


def table_report(path: Path, key: bytearray) -> dict[str, str]:
    """``{table: 'ok' or what is wrong}`` for every table of the vault at ``path``."""
    conn = connect(path, key)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY rowid").fetchall()]
    finally:
        conn.close()
    report = {}
    for table in tables:
        try:
            conn = connect(path, key)
        except PPDSError as exc:
            report[table] = exc.message
            continue
        try:
            rows = conn.execute(f'PRAGMA integrity_check("{table}")').fetchall()
            report[table] = "; ".join(r[0] for r in rows)
        except PPDSError as exc:
            report[table] = exc.message
        finally:
            conn.close()
    return report
