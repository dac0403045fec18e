"""The encrypted vault: one SQLCipher database plus its key header (see ``keys.py``).

Connections: each thread that uses the vault gets its own SQLCipher connection, opened with the
raw 256-bit key (no KDF, so this is cheap) and the page settings the header names
(``keys.CIPHER``). The database runs in WAL mode, so the GUI thread can read while a worker
thread writes a long import; writers serialise on ``BEGIN IMMEDIATE``. SQLCipher encrypts the
WAL and rollback journal pages too; ``-shm`` holds only an index of page numbers.
``temp_store=MEMORY`` keeps sort and temp data off the disk, ``synchronous=FULL`` makes a commit
durable (the WAL fsynced) before it returns, and foreign keys are on. Checkpoints, which copy
committed, already encrypted pages from the WAL into the main file, are SQLite's automatic
ones: at a commit leaving 64 MiB in the WAL, and when the last connection closes.

Every write goes through ``with vault.transaction():`` (``BEGIN IMMEDIATE``; nested calls use
SAVEPOINTs), so an error, a Cancel or a killed process leaves the last committed state.
"""

from __future__ import annotations

import copy
import functools
import hmac
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3

from ..clock import utc_now
from ..errors import (DiskFull, InputError, PPDSError, VaultDamaged, VaultError,
                      VaultLocked)
from ..private_files import restrict_to_owner, sync_file
from ..progress import TaskState, ensure_task
from ..storage import free_bytes, is_no_room, no_room
from . import keys
from .audit import AuditEntry, AuditHead, AuditLog, append_entry
from .backup import extract_db, read_manifest, write_backup
from .bundles import BundleStore
from .studies import StudyStore
from .connection import connect
from .contacts import ContactStore, IdentityStore
from .datasets import ColumnRole, DatasetInfo, DatasetStore
from .health import table_report
from .ledger import LedgerStore
from .migrations import migrate, schema_version
from .releases import ReleaseInfo, ReleaseStore
from .schema import SCHEMA_VERSION
from .secret_store import SecretStore
from .settings import SettingsStore

MIN_PASSPHRASE = 8


def _check_new_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"The passphrase is too short: use at least {MIN_PASSPHRASE} characters "
                         "(a few unrelated words are best).")


def _file_errors(fn):
    """Turn an operating-system error (permissions, full disk, …) into a one-line error."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except OSError as exc:
            if is_no_room(exc):
                raise no_room(exc.filename or "a vault file", exc.errno) from exc
            where = f" {exc.filename}" if exc.filename else ""
            raise VaultError(f"Cannot write{where}: {exc.strerror or exc}.") from exc
    return wrapper


def _same_file(a: Path, b: Path) -> bool:
    """Whether two names lead to one file (also through case-insensitive file systems, links
    and ``..``); False if either does not exist."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@_file_errors
def upgrade_format(path: Path, header: dict, key: bytearray) -> tuple[dict, str | None]:
    """Bring a vault written in an older database format (``keys.LEGACY_CIPHERS``) to
    ``keys.CIPHER``; return the header to use and the old format's name (None: nothing to do).

    ``sqlcipher_export`` re-encrypts every page into a new file beside the vault, which is
    synced and moved into place; only then does the header name the new format. A crash before
    the move leaves the old vault as it was; a crash between the move and the header leaves a
    new database under an old header, which is recognised here and the header fixed.
    """
    old = header["cipher"]
    if old == keys.CIPHER:
        return header, None
    new_header = {**header, "cipher": keys.CIPHER}
    try:
        conn = connect(path, key, wal=False, cipher_pragmas=keys.LEGACY_CIPHERS[old])
    except VaultError:
        connect(path, key).close()         # already moved: only the header is behind
        keys.write_header(path, new_header)
        return new_header, old
    tmp = path.with_name(f".{path.name}.upgrading")
    _remove_db(tmp)
    try:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"ATTACH DATABASE ? AS upgraded KEY \"x'{key.hex()}'\"", (str(tmp),))
            for pragma in keys.CIPHER_PRAGMAS:
                conn.execute(pragma.replace("PRAGMA ", "PRAGMA upgraded.", 1))
            conn.execute("SELECT sqlcipher_export('upgraded')").fetchone()
            conn.execute(f"PRAGMA upgraded.user_version = {int(version)}")
            conn.execute("DETACH DATABASE upgraded")
        finally:
            conn.close()
        with open(tmp, "rb+") as fh:
            sync_file(fh.fileno())
        restrict_to_owner(tmp)
        os.replace(tmp, path)
        keys.fsync_dir(path.parent)
    except (sqlcipher3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise VaultError(f"The vault {path} is in an older format and could not be upgraded "
                         f"({getattr(exc, 'strerror', None) or exc}); it was left as it "
                         "was.", hint="make room or write access in its folder") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    keys.write_header(path, new_header)
    return new_header, old


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")]


def _remove_db(path: Path) -> None:
    """Delete a database file and its sidecars, those that exist."""
    for p in [path, *_sidecars(path)]:
        p.unlink(missing_ok=True)


def _replace_vault_files(dest: Path, db_tmp: Path, header: dict) -> None:
    """Put a restored database and its header at ``dest``, replacing a vault there. The old
    database and its sidecars are moved aside first (an old WAL must never replay onto the
    copy), then the new database is moved in, then the header is written; if any step fails,
    the old files and the old header are put back as they were."""
    old_header = keys.header_path(dest)
    old_header_bytes = old_header.read_bytes() if old_header.exists() else None
    aside: list[tuple[Path, Path]] = []
    moved = False
    try:
        for p in [dest, *_sidecars(dest)]:
            if p.exists():
                parked = p.with_name(f".{p.name}.before-restore")
                os.replace(p, parked)
                aside.append((parked, p))
        os.replace(db_tmp, dest)
        moved = True
        keys.write_header(dest, header)
        keys.fsync_dir(dest.parent)
    except BaseException:
        if moved:
            dest.unlink(missing_ok=True)
        for parked, original in reversed(aside):
            os.replace(parked, original)
        if old_header_bytes is not None and (not old_header.exists()
                                             or old_header.read_bytes() != old_header_bytes):
            with keys.atomic_file(old_header) as fh:
                fh.write(old_header_bytes)
        elif old_header_bytes is None:
            old_header.unlink(missing_ok=True)
        raise
    for parked, _original in aside:
        parked.unlink(missing_ok=True)


class Vault:
    """An unlocked vault. Make one with :meth:`create`, :meth:`open` or
    :meth:`open_with_recovery`; :meth:`lock` closes it and wipes the key we hold.

    Its tables are reached through typed stores, one per table family: ``datasets``,
    ``releases``, ``secrets``, ``settings``, ``identity``, ``contacts``, ``ledger``, ``bundles``
    and ``audit_log``; no SQL is written outside this package. The ``put_dataset``-style
    methods below are the stores' methods under their older names, kept for callers."""

    def __init__(self, path: Path, header: dict, db_key: bytearray, conn):
        self.path = Path(path)
        self._header = header
        self._key: bytearray | None = db_key
        self._guard = threading.Lock()
        self._conns: dict[int, tuple[threading.Thread, object]] = {
            threading.get_ident(): (threading.current_thread(), conn)}
        self._tx = threading.local()
        self._busy: set[int] = set()     # threads inside a transaction or snapshot
        self.datasets = DatasetStore(self)
        self.releases = ReleaseStore(self)
        self.secrets = SecretStore(self)
        self.settings = SettingsStore(self)
        self.identity = IdentityStore(self)
        self.contacts = ContactStore(self)
        self.ledger = LedgerStore(self)
        self.bundles = BundleStore(self)
        self.studies = StudyStore(self)
        self.audit_log = AuditLog(self)

    def __repr__(self) -> str:
        return f"<Vault {str(self.path)!r} {'locked' if self.is_locked else 'unlocked'}>"

    def __enter__(self) -> "Vault":
        return self

    def __exit__(self, *exc) -> None:
        self.lock()

    # ------------------------------------------------------------------ life cycle

    @staticmethod
    def exists(path) -> bool:
        path = Path(path)
        return path.is_file() and keys.header_path(path).is_file()

    @classmethod
    @_file_errors
    def create(cls, path, passphrase: str, *, kdf: keys.KdfParams | None = None
               ) -> tuple["Vault", str]:
        """Create a new vault; return it unlocked and the recovery key to show the user once.
        ``kdf`` defaults to the production Argon2id parameters (see ``keys.default_kdf``)."""
        path = Path(path)
        _check_new_passphrase(passphrase)
        if path.exists():
            raise VaultError(f"A vault (or another file) already exists at {path}; "
                             "choose another location or open it.")
        if keys.header_path(path).exists():
            raise VaultError(f"A vault header {keys.header_path(path)} is in the way (left by an "
                             "unfinished or deleted vault); move it away or choose another "
                             "location.")
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
            restrict_to_owner(path.parent, folder=True)
        db_key = bytearray(os.urandom(keys.DB_KEY_BYTES))
        recovery_raw, recovery_text = keys.new_recovery_key()
        header = keys.new_header(db_key, passphrase, recovery_raw, kdf)
        # Build the database under a temporary name and move it into place last, so a crash
        # never leaves something that looks like a vault but is half made.
        tmp = path.with_name(f".{path.name}.creating")
        _remove_db(tmp)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            restrict_to_owner(tmp)                # before SQLite writes into it
            conn = connect(tmp, db_key, new=True, wal=False)
            try:
                kdf_used = keys.kdf_of(header)
                migrate(conn, str(path), lambda c, old, new: append_entry(
                    c, "vault.created", {"schema_version": new, "kdf": kdf_used.describe(),
                                         "vault_id": header["vault_id"]}))
            finally:
                conn.close()
            keys.write_header(path, header)
            os.replace(tmp, path)
            keys.fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            keys.zero(db_key)
            raise
        return cls._unlocked(path, header, db_key), recovery_text

    @classmethod
    def open(cls, path, passphrase: str) -> "Vault":
        """Unlock an existing vault. Raises WrongPassphrase, or VaultError if files are bad."""
        path = Path(path)
        header = cls._read_header_checked(path)
        return cls._unlocked(path, header, keys.unlock_with_passphrase(header, passphrase))

    @classmethod
    @_file_errors
    def open_with_recovery(cls, path, recovery_key: str, new_passphrase: str) -> "Vault":
        """Unlock with the recovery key and set ``new_passphrase``; the recovery key stays valid."""
        path = Path(path)
        _check_new_passphrase(new_passphrase)
        header = cls._read_header_checked(path)
        db_key = keys.unlock_with_recovery(header, recovery_key)
        vault = cls._unlocked(path, header, db_key)
        try:
            new_header = copy.deepcopy(vault._header)   # as upgraded, if it was
            keys.set_passphrase(new_header, vault._key, new_passphrase)
            keys.write_header(path, new_header)
            vault._header = new_header
            vault.audit("vault.recovered", kdf=keys.kdf_of(new_header).describe())
        except BaseException:
            vault.lock()
            raise
        return vault

    @classmethod
    def require(cls, path) -> None:
        """Raise a VaultError saying what is missing or wrong at ``path`` (a folder, no vault,
        its header or its database missing, a damaged header): callers check this before they
        ask for a passphrase."""
        cls._read_header_checked(Path(path))

    @staticmethod
    def _read_header_checked(path: Path) -> dict:
        if path.is_dir():
            raise VaultError(f"{path} is a folder, not a vault file.",
                             hint="give the vault file itself, e.g. a file ending in .vault")
        if not path.exists() and not keys.header_path(path).exists():
            raise VaultError(f"There is no vault at {path}.",
                             hint="create one with 'ppds vault init' or pick another file")
        header = keys.read_header(path)
        if not path.is_file():
            raise VaultDamaged(f"The vault database {path} is missing (its header file is "
                               "there).")
        return header

    @classmethod
    def _unlocked(cls, path: Path, header: dict, db_key: bytearray) -> "Vault":
        try:
            header, old_format = upgrade_format(path, header, db_key)
            conn = connect(path, db_key)
        except BaseException:
            keys.zero(db_key)
            raise
        try:
            migrate(conn, str(path), lambda c, old, new: append_entry(
                c, "vault.migrated", {"from_version": old, "to_version": new}))
        except BaseException:
            conn.close()
            keys.zero(db_key)
            raise
        vault = cls(path, header, db_key, conn)
        if old_format is not None:
            vault.audit("vault.format_upgraded", from_format=old_format, to_format=keys.CIPHER)
        return vault

    @property
    def is_locked(self) -> bool:
        return self._key is None

    def lock(self) -> None:
        """Overwrite the database key held in memory and close every connection. A connection
        that another thread is using inside a transaction is closed by that thread when its
        transaction ends (its next vault call raises VaultLocked, so it rolls back)."""
        with self._guard:
            idle = [i for i in self._conns if i not in self._busy]
            conns = [self._conns.pop(i)[1] for i in idle]
            key, self._key = self._key, None
        for conn in conns:
            try:
                conn.close()
            except sqlcipher3.Error:
                pass
        keys.zero(key)

    @_file_errors
    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the database key under ``new`` (the data is not re-encrypted)."""
        self._conn()
        _check_new_passphrase(new)
        header = keys.read_header(self.path)
        old_key = keys.unlock_with_passphrase(header, old)
        try:
            if not hmac.compare_digest(old_key, self._key):
                raise VaultError(f"The header file {keys.header_path(self.path)} belongs to "
                                 "another vault.")
        finally:
            keys.zero(old_key)
        keys.set_passphrase(header, self._key, new)
        keys.write_header(self.path, header)
        self._header = header
        self.audit("vault.passphrase_changed", kdf=keys.kdf_of(header).describe())

    # ------------------------------------------------------------------ connections

    def _conn(self):
        """This thread's connection; raises VaultLocked once the vault is locked."""
        me = threading.current_thread()
        with self._guard:
            if self._key is None:
                raise VaultLocked()
            entry = self._conns.get(me.ident)
            if entry is not None and entry[0] is me:
                return entry[1]
            # Close connections of threads that have ended (thread ids are reused).
            for ident, (thread, conn) in list(self._conns.items()):
                if not thread.is_alive() or ident == me.ident:
                    conn.close()
                    del self._conns[ident]
            conn = connect(self.path, self._key)
            self._conns[me.ident] = (me, conn)
            return conn

    def _depth(self) -> int:
        return getattr(self._tx, "depth", 0)

    @contextmanager
    def transaction(self):
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ROLLBACK on any exception; nested calls on the
        same thread become SAVEPOINTs that roll back only their own part."""
        conn = self._conn()
        depth = self._depth()
        if depth == 0:
            self._set_busy(conn, True)
            self._tx.needed = 0
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlcipher3.OperationalError as exc:
                    raise VaultError(f"The vault is busy ({exc}); try again.") from None
                self._tx.depth = 1
                try:
                    yield conn
                    # After a full disk or an I/O error SQLite may have rolled the transaction
                    # back on its own; committing then would store only what came after.
                    if not conn.in_transaction:
                        raise VaultError("The vault's database dropped this change after an "
                                         "error; nothing was changed.")
                    conn.execute("COMMIT")
                except BaseException as exc:
                    self._quietly(conn, "ROLLBACK")
                    self._reraise(exc)
            finally:
                self._tx.depth = 0
                self._set_busy(conn, False)
        else:
            name = f"sp{depth}"
            conn.execute(f"SAVEPOINT {name}")
            self._tx.depth = depth + 1
            try:
                yield conn
            except BaseException as exc:
                self._quietly(conn, f"ROLLBACK TO {name}")
                self._quietly(conn, f"RELEASE {name}")
                self._reraise(exc)
            else:
                conn.execute(f"RELEASE {name}")
            finally:
                self._tx.depth = depth

    @staticmethod
    def _quietly(conn, sql: str) -> None:
        try:
            conn.execute(sql)
        except (sqlcipher3.Error, PPDSError):
            pass   # the transaction is already gone (e.g. the connection was closed by lock())

    def _note_write(self, nbytes: int) -> None:
        """Add to the estimate of the room the current transaction needs (said if the disk
        turns out to be full)."""
        self._tx.needed = getattr(self._tx, "needed", 0) + int(nbytes)

    def _reraise(self, exc: BaseException):
        if isinstance(exc, DiskFull):
            raise no_room(getattr(exc, "path", self.path), getattr(exc, "errno", None),
                          getattr(self._tx, "needed", 0) or None) from exc
        if isinstance(exc, sqlcipher3.Error) and not isinstance(exc, PPDSError):
            if self._key is None:           # lock() closed the connection under us
                raise VaultLocked("The vault was locked while a change was being written; "
                                  "nothing was changed.") from exc
            raise VaultError(f"The vault could not be written ({exc}); "
                             "nothing was changed.") from exc
        raise exc

    @contextmanager
    def _snapshot(self):
        """A consistent read over several statements (joins a running transaction or read)."""
        conn = self._conn()
        if self._depth() > 0 or getattr(self._tx, "reading", False):
            yield conn
            return
        self._set_busy(conn, True)
        try:
            conn.execute("BEGIN")
            self._tx.reading = True
            try:
                yield conn
            finally:
                self._tx.reading = False
                self._quietly(conn, "COMMIT")
        finally:
            self._set_busy(conn, False)

    def _set_busy(self, conn, busy: bool) -> None:
        """Mark this thread's connection in use, so lock() leaves closing it to this thread."""
        me = threading.get_ident()
        with self._guard:
            if busy:
                self._busy.add(me)
                return
            self._busy.discard(me)
            if self._key is not None:
                return
            self._conns.pop(me, None)
        conn.close()

    def _query(self, sql: str, params=()) -> list[tuple]:
        """Run one statement on this thread's connection (inside the current transaction, if
        any); SQL errors become VaultError. For the stores (and the tests' inspections)."""
        conn = self._conn()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlcipher3.Error as exc:
            raise VaultError(f"Vault query failed: {exc}.") from exc

    # ------------------------------------------------------------------ information

    @property
    def header_path(self) -> Path:
        return keys.header_path(self.path)

    @property
    def schema_version(self) -> int:
        return schema_version(self._conn())

    def info(self) -> dict:
        """Facts for ``ppds vault info`` and the GUI's About box (no secrets)."""
        conn = self._conn()
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("datasets", "releases", "secrets", "contacts", "audit")}
        size = sum(p.stat().st_size for p in [self.path, *_sidecars(self.path)] if p.exists())
        return {"path": str(self.path), "header": str(self.header_path),
                "vault_id": self._header["vault_id"],
                "schema_version": schema_version(conn), "app_schema_version": SCHEMA_VERSION,
                "kdf": keys.kdf_of(self._header).describe(),
                "cipher": conn.execute("PRAGMA cipher_version").fetchone()[0],
                "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
                "size_bytes": size, **{f"n_{k}": v for k, v in counts.items()}}

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result ('ok' when sound); raises VaultDamaged
        when a page cannot even be decrypted."""
        rows = self._conn().execute("PRAGMA integrity_check").fetchall()
        return "; ".join(r[0] for r in rows)

    def check_tables(self) -> dict[str, str]:
        """Each table's own integrity check, on a fresh connection per table (after a failed
        page SQLCipher refuses further reads on that connection): ``{table: 'ok' or what is
        wrong}``, to tell the user what a damaged vault still holds."""
        self._conn()
        with self._guard:
            key = bytearray(self._key)
        try:
            return table_report(self.path, key)
        finally:
            keys.zero(key)

    # ------------------------------------------------------------------ the stores' methods

    def put_dataset(self, name: str, data, *, kind: str = "imported", source: dict | None = None,
                    roles=None, profile: dict | None = None,
                    task: TaskState | None = None) -> DatasetInfo:
        return self.datasets.put(name, data, kind=kind, source=source, roles=roles,
                                 profile=profile, task=task)

    def set_profile(self, ref, profile: dict | None, roles=None) -> DatasetInfo:
        return self.datasets.set_profile(ref, profile, roles)

    def list_datasets(self, kind: str | None = None) -> list[DatasetInfo]:
        return self.datasets.all(kind)

    def dataset_info(self, ref) -> DatasetInfo:
        return self.datasets.info(ref)

    def load_arrow(self, ref, columns: list[str] | None = None, task: TaskState | None = None):
        return self.datasets.load_arrow(ref, columns, task)

    def load_dataset(self, ref, columns: list[str] | None = None, task: TaskState | None = None):
        return self.datasets.load(ref, columns, task)

    def roles(self, ref) -> dict[str, ColumnRole]:
        return self.datasets.roles(ref)

    def set_role(self, ref, column: str, role: str, reason: str = "set by the user",
                 confirmed: bool = True) -> None:
        self.datasets.set_role(ref, column, role, reason, confirmed)

    def rename_dataset(self, ref, new_name: str) -> DatasetInfo:
        return self.datasets.rename(ref, new_name)

    def delete_dataset(self, ref) -> None:
        self.datasets.delete(ref)

    def put_release(self, name: str, kind: str, *, source=None, output_df=None,
                    recipe: dict | None = None, report: dict | None = None,
                    files: dict[str, bytes] | None = None,
                    task: TaskState | None = None) -> ReleaseInfo:
        return self.releases.put(name, kind, source=source, output_df=output_df, recipe=recipe,
                                 report=report, files=files, task=task)

    def list_releases(self) -> list[ReleaseInfo]:
        return self.releases.all()

    def release_info(self, ref) -> ReleaseInfo:
        return self.releases.info(ref)

    def release_files(self, ref) -> dict[str, bytes]:
        return self.releases.files(ref)

    def get_setting(self, key: str, default=None):
        return self.settings.get(key, default)

    def set_setting(self, key: str, json_value) -> None:
        self.settings.set(key, json_value)

    def put_secret(self, kind: str, name: str, data: bytes, meta: dict | None = None,
                   replace: bool = False) -> None:
        self.secrets.put(kind, name, data, meta, replace)

    def get_secret(self, kind: str, name: str) -> bytes:
        return self.secrets.get(kind, name)

    def secret_meta(self, kind: str, name: str) -> dict:
        return self.secrets.meta(kind, name)

    def list_secrets(self, kind: str) -> list[str]:
        return self.secrets.names(kind)

    def has_secret(self, kind: str, name: str) -> bool:
        return self.secrets.has(kind, name)

    def audit(self, action: str, **details) -> AuditEntry:
        """Record ``action``; joins the caller's transaction if there is one."""
        return self.audit_log.append(action, details)

    def audit_entries(self, limit: int | None = None) -> list[AuditEntry]:
        return self.audit_log.entries(limit)

    def verify_audit(self, expect_head: str | None = None) -> int:
        return self.audit_log.verify(expect_head)

    def audit_head(self) -> AuditHead:
        return self.audit_log.head()

    # ------------------------------------------------------------------ backup and restore

    @_file_errors
    def backup(self, dest_file, task: TaskState | None = None) -> Path:
        """Write header + a consistent snapshot of the database into ``dest_file``, atomically.
        The copy stays encrypted and opens with the same passphrase or recovery key."""
        task = ensure_task(task)
        dest = Path(dest_file)
        if any(_same_file(dest, p) for p in [self.path, self.header_path,
                                              *_sidecars(self.path)]):
            raise InputError("A backup cannot overwrite the vault itself; choose another file.")
        if dest.is_dir():
            raise InputError(f"{dest} is a folder; give a file name for the backup.")
        if not dest.parent.is_dir():
            raise InputError(f"The folder {dest.parent} does not exist.")
        self._conn()
        if self._depth() > 0:
            raise VaultError("Cannot back up the vault in the middle of a transaction.")
        # the copy, then the backup file beside it: about twice the database at the peak
        needed = 2 * sum(p.stat().st_size for p in [self.path, *_sidecars(self.path)]
                         if p.exists())
        free = free_bytes(dest.parent)
        if free is not None and free < needed:
            raise no_room(dest, None, needed, outcome="no backup was written")
        try:
            size = self._write_backup(dest, task)
        except DiskFull as exc:
            raise no_room(dest, getattr(exc, "errno", None), needed,
                          outcome="no backup was written") from exc
        except OSError as exc:
            if is_no_room(exc):
                raise no_room(dest, exc.errno, needed, outcome="no backup was written") from exc
            raise
        self.audit("vault.backup", file=dest.name, bytes=size)
        task.report(1.0, "Backup written")
        return dest

    def _write_backup(self, dest: Path, task: TaskState) -> int:
        tmp_fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".db",
                                            dir=dest.parent)
        os.close(tmp_fd)
        tmp = Path(tmp_name)
        try:
            restrict_to_owner(tmp)
            with self._guard:
                key = bytearray(self._key)
            try:
                target = connect(tmp, key, new=True, wal=False)
            finally:
                keys.zero(key)
            try:
                task.report(0.0, "Copying the vault")
                self._conn().backup(target, pages=1024, progress=lambda _s, left, total:
                                    task.report(0.6 * (1 - left / max(total, 1)),
                                                "Copying the vault"))
                version = schema_version(target)
            finally:
                target.close()
            return write_backup(dest, self._header, tmp, version, utc_now(),
                                lambda f: task.report(0.6 + 0.4 * f, "Writing the backup"))
        finally:
            _remove_db(tmp)

    @classmethod
    @_file_errors
    def restore(cls, backup_file, dest_path, passphrase: str | None = None, *,
                recovery_key: str | None = None, new_passphrase: str | None = None,
                overwrite: bool = False) -> "Vault":
        """Recreate a vault at ``dest_path`` from a backup and open it, with the passphrase the
        backup was made under, or with its recovery key plus a new passphrase. The key is
        checked before anything is written; an existing vault is replaced only if asked."""
        backup_file, dest = Path(backup_file), Path(dest_path)
        manifest, offset = read_manifest(backup_file)
        header = manifest["header"]
        if recovery_key is not None:
            if new_passphrase is None:
                raise InputError("Restoring with the recovery key needs a new passphrase.")
            _check_new_passphrase(new_passphrase)
            db_key = keys.unlock_with_recovery(header, recovery_key)
        else:
            db_key = keys.unlock_with_passphrase(header, passphrase or "")
        try:
            if (dest.exists() or keys.header_path(dest).exists()) and not overwrite:
                raise VaultError(f"A vault already exists at {dest}; choose another path "
                                 "(or allow overwriting).")
            if any(_same_file(backup_file, p) for p in [dest, keys.header_path(dest),
                                                         *_sidecars(dest)]):
                raise InputError("A backup cannot be restored over itself; choose another "
                                 "place for the vault.")
            if not dest.parent.exists():
                dest.parent.mkdir(parents=True, mode=0o700)
                restrict_to_owner(dest.parent, folder=True)
            db_tmp = extract_db(backup_file, manifest, offset, dest.parent, dest.name)
            try:
                _replace_vault_files(dest, db_tmp, header)
            finally:
                db_tmp.unlink(missing_ok=True)
        except BaseException:
            keys.zero(db_key)
            raise
        if recovery_key is not None:
            keys.zero(db_key)
            vault = cls.open_with_recovery(dest, recovery_key, new_passphrase)
        else:   # the key checked above opens it: no second Argon2id derivation
            vault = cls._unlocked(dest, header, db_key)
        try:
            check = vault.integrity_check()
        except BaseException:
            vault.lock()
            raise
        if check != "ok":
            vault.lock()
            raise VaultDamaged(f"The restored vault {dest} failed its integrity check: {check}.",
                               hint="the backup holds a damaged database; try an older backup")
        vault.audit("vault.restored", file=backup_file.name,
                    backup_created_at=manifest.get("created_at"))
        return vault
