"""Opening the vault's SQLCipher database, and SQLite failures told in words.

Every connection (the vault's per-thread ones, the creation and backup copies) comes from
:func:`connect`: SQLCipher's own logging is switched off before the key is given (it printed
"ERROR CORE sqlcipher_page_cipher: hmac check failed" lines on stderr before our message), the
raw key and the page settings are applied, and the key is checked by reading the schema. An
existing vault is opened read-write without ever being created (``mode=rw``), and one whose
schema version is 0 — an emptied or truncated file — is refused: its header says a vault was
created there, so migrating it "from empty" would silently start a new, empty vault.

Connections are :class:`VaultConnection` objects whose cursors translate the SQLite errors a
user can do something about, wherever they happen (statement, fetch, commit, backup):

* a damaged page (SQLITE_CORRUPT: SQLCipher's HMAC check failed, or the b-tree is broken) or
  a file that is not a database (SQLITE_NOTADB) -> :class:`VaultDamaged` naming the file;
* no room (SQLITE_FULL, or an I/O error while writing) -> :class:`DiskFull`;
* an I/O error while reading -> :class:`VaultError` naming the file.

``sqlcipher3`` gives only SQLite's primary result code, so an I/O error counts as a write error
when the statement was not a ``SELECT`` (SQLite writes while committing, and while spilling a
large transaction's pages to the WAL, both inside write statements).

Other SQLite errors (constraints, busy, SQL mistakes) stay ``sqlcipher3`` errors, for
``Vault.transaction`` and ``Vault.query`` to report.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import quote

import sqlcipher3

from ..errors import VaultDamaged, VaultError
from ..storage import no_room
from . import keys

SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
_READING = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
# Errors raised without a code (``Connection.backup`` sets none) are known by SQLite's text.
_CODE_OF_MESSAGE = {"database disk image is malformed": SQLITE_CORRUPT,
                    "file is not a database": SQLITE_NOTADB,
                    "database or disk is full": SQLITE_FULL, "disk I/O error": SQLITE_IOERR}


def translate(exc: sqlcipher3.Error, where, *, writing: bool) -> Exception:
    """The error to raise instead of ``exc`` (``exc`` itself if it needs no words)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        code = _CODE_OF_MESSAGE.get(str(exc))
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return VaultDamaged(f"The vault file {where} is damaged: part of it can no longer be "
                            "read.")
    if primary == SQLITE_FULL or (primary == SQLITE_IOERR and writing):
        return no_room(where)
    if primary == SQLITE_IOERR:
        return VaultError(f"The vault file {where} could not be read ({exc}): the disk may be "
                          "failing or disconnected.")
    return exc


class VaultCursor(sqlcipher3.Cursor):
    """A cursor whose every call raises translated errors (see the module docstring)."""

    def _fail(self, exc: sqlcipher3.Error, writing: bool = False):
        raise translate(exc, self.connection.where, writing=writing) from exc

    def execute(self, sql, parameters=()):
        try:
            return super().execute(sql, parameters)
        except sqlcipher3.Error as exc:
            self._fail(exc, writing=not _READING.match(sql))

    def executemany(self, sql, seq_of_parameters):
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlcipher3.Error as exc:
            self._fail(exc, writing=True)

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlcipher3.Error as exc:
            self._fail(exc)

    def fetchmany(self, size=None):
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlcipher3.Error as exc:
            self._fail(exc)

    def fetchall(self):
        try:
            return super().fetchall()
        except sqlcipher3.Error as exc:
            self._fail(exc)

    def __next__(self):
        try:
            return super().__next__()
        except sqlcipher3.Error as exc:
            self._fail(exc)


class VaultConnection(sqlcipher3.Connection):
    """A connection whose statements go through :class:`VaultCursor`."""

    where: str = "the vault"

    def cursor(self, factory=None):
        return super().cursor(factory or VaultCursor)

    def execute(self, sql, parameters=()):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters):
        return self.cursor().executemany(sql, seq_of_parameters)

    def backup(self, target, **kwargs):
        try:
            return super().backup(target, **kwargs)
        except sqlcipher3.Error as exc:
            # damage is this database's (the copy is new); no room is the copy's
            damaged = isinstance(translate(exc, self.where, writing=False), VaultDamaged)
            raise translate(exc, self.where if damaged else target.where,
                            writing=True) from exc


def sync_pragmas() -> tuple[str, ...]:
    """On macOS, make SQLite's syncs reach the disk (see ``core/private_files.py``)."""
    if sys.platform == "darwin":
        return ("PRAGMA fullfsync = ON", "PRAGMA checkpoint_fullfsync = ON")
    return ()


def _uri(path: Path, new: bool) -> str:
    """A ``file:`` URI for SQLite: ``mode=rw`` opens only an existing file. Written by hand
    because ``Path.as_uri`` turns a UNC path's server into a URI authority, which SQLite
    refuses."""
    text = os.path.abspath(path).replace("\\", "/")
    if not text.startswith("/"):
        text = "/" + text                        # C:/x -> /C:/x
    return "file://" + quote(text, safe="/:") + ("?mode=rwc" if new else "?mode=rw")


def connect(path: Path, key: bytearray, *, new: bool = False, wal: bool = True,
            cipher_pragmas: tuple[str, ...] = keys.CIPHER_PRAGMAS) -> VaultConnection:
    """Open ``path`` with the raw key and the vault's cipher settings, and check that the key
    decrypts it. ``new``: the file may be missing or empty (a vault being created, a backup
    copy); otherwise it must exist and hold a vault's schema."""
    path = Path(path)
    try:
        conn = sqlcipher3.connect(_uri(path, new), uri=True, isolation_level=None,
                                  check_same_thread=False, timeout=30.0,
                                  factory=VaultConnection)
    except sqlcipher3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_CANTOPEN and not path.exists():
            raise VaultDamaged(f"The vault database {path} is missing.") from None
        raise VaultError(f"Cannot open the vault database {path}: {exc}.") from None
    conn.where = str(path)
    try:
        conn.execute("PRAGMA cipher_log = off")       # global in SQLCipher; set before keying
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        for pragma in (*cipher_pragmas, *sync_pragmas()):
            conn.execute(pragma)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (VaultDamaged, sqlcipher3.DatabaseError):
        conn.close()
        raise VaultDamaged(f"The vault database {path} cannot be read: it is damaged, or it "
                           "does not belong to its header file.") from None
    except BaseException:
        conn.close()
        raise
    try:
        if not new:
            _check_not_empty(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _check_not_empty(conn, path: Path) -> None:
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
        size = path.stat().st_size if path.exists() else 0
        raise VaultDamaged(f"The vault database {path} is empty ({size:,} bytes) although its "
                           "header says a vault was created there: it was truncated or "
                           "replaced, and is not opened as a new vault.")
