"""The vault's public API: life cycle, keys, transactions, datasets, roles, settings, secrets,
audit log and releases."""

from __future__ import annotations

import functools
import json
import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlcipher3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import (Cancelled, InputError, NotFound, VaultError, VaultLocked,
                                      WrongPassphrase)
from ppds_desktop.core.progress import TaskState
from ppds_desktop.core.vault.schema import MIGRATIONS
from ppds_desktop.core.vault import (FAST_KDF, PRODUCTION_KDF, AuditEntry, ColumnRole,
                                     DatasetInfo, ReleaseInfo, Vault)
from ppds_desktop.core.vault import keys
from ppds_desktop.core.vault import vault as vault_module
from ppds_desktop.core.vault.datasets import CHUNK_BYTES

from conftest import PASSPHRASE


def frame(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({
        "name": [f"person {i}" for i in range(n)],
        "age": [20 + i % 60 for i in range(n)],
        "bill": [i * 1.5 for i in range(n)],
        "admitted": pd.date_range("2024-01-01", periods=n, freq="D"),
        "ward": pd.Categorical([("A", "B", "C")[i % 3] for i in range(n)]),
    })


# ------------------------------------------------------------------ life cycle and keys

def test_create_open_lock(vault_path):
    v, recovery = Vault.create(vault_path, PASSPHRASE)
    assert Vault.exists(vault_path) and v.header_path.is_file()
    assert len(recovery.split("-")) == 9
    assert v.schema_version == len(MIGRATIONS) and not v.is_locked
    v.put_dataset("d", frame(3))
    v.lock()
    assert v.is_locked
    # Locking checkpoints the WAL into the database file: the two vault files are the vault.
    assert sorted(p.name for p in vault_path.parent.iterdir()) == ["test.vault",
                                                                   "test.vault.header"]
    for call in (v.list_datasets, lambda: v.get_setting("x"), lambda: v._query("SELECT 1"),
                 lambda: v.put_dataset("d", frame()), v.audit_entries, v.info):
        with pytest.raises(VaultLocked):
            call()
    with pytest.raises(VaultLocked):
        with v.transaction():
            pass
    v2 = Vault.open(vault_path, PASSPHRASE)
    assert [e.action for e in v2.audit_entries()] == ["vault.created", "dataset.stored"]
    v2.lock()


def test_lock_zeroes_the_key(vault):
    key = vault._key
    assert any(key)
    vault.lock()
    assert key == bytearray(len(key)) and vault._key is None


def test_create_refuses_existing_and_short_passphrase(vault, vault_path, tmp_path):
    with pytest.raises(VaultError, match="already exists"):
        Vault.create(vault_path, PASSPHRASE)
    with pytest.raises(InputError, match="too short"):
        Vault.create(tmp_path / "other.vault", "short")


def test_wrong_passphrase(vault, vault_path):
    with pytest.raises(WrongPassphrase) as err:
        Vault.open(vault_path, "not the passphrase")
    assert "Wrong passphrase" in str(err.value)


def test_header_fields_are_authenticated(vault, vault_path):
    header = json.loads(keys.header_path(vault_path).read_text())
    header["vault_id"] = "0" * 32
    keys.header_path(vault_path).write_text(json.dumps(header))
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)


@pytest.mark.parametrize("damage", ["missing", "garbage", "no-wraps", "newer", "cipher"])
def test_bad_header_is_a_clear_error(vault, vault_path, damage):
    hp = keys.header_path(vault_path)
    if damage == "missing":
        hp.unlink()
        match = "header .* is missing"
    elif damage == "garbage":
        hp.write_bytes(b"\x00\xffnot json")
        match = "damaged"
    elif damage == "no-wraps":
        header = json.loads(hp.read_text())
        del header["wraps"]["recovery"]
        hp.write_text(json.dumps(header))
        match = "damaged: field 'recovery'"
    elif damage == "newer":
        header = json.loads(hp.read_text())
        header["version"] = 99
        hp.write_text(json.dumps(header))
        match = "format version 99"
    else:   # a database format this version does not know
        header = json.loads(hp.read_text())
        header["cipher"] = "rot13"
        hp.write_text(json.dumps(header))
        match = "names the database format 'rot13'"
    with pytest.raises(VaultError, match=match):
        Vault.open(vault_path, PASSPHRASE)


def test_header_of_another_vault_is_refused(vault, vault_path, tmp_path):
    other, _ = Vault.create(tmp_path / "other.vault", PASSPHRASE)
    other.lock()
    vault.lock()
    keys.header_path(vault_path).write_bytes(other.header_path.read_bytes())
    with pytest.raises(VaultError, match="does not belong to its header"):
        Vault.open(vault_path, PASSPHRASE)


def test_damaged_or_missing_database(vault, vault_path):
    vault.lock()
    data = bytearray(vault_path.read_bytes())
    data[:4096] = bytes(4096)
    vault_path.write_bytes(bytes(data))
    with pytest.raises(VaultError, match="cannot be read"):
        Vault.open(vault_path, PASSPHRASE)
    vault_path.unlink()
    with pytest.raises(VaultError, match="database .* is missing"):
        Vault.open(vault_path, PASSPHRASE)


def test_change_passphrase(vault, vault_path):
    vault.put_dataset("d", frame(5))
    with pytest.raises(WrongPassphrase):
        vault.change_passphrase("wrong one!", "new passphrase 456")
    vault.change_passphrase(PASSPHRASE, "new passphrase 456")
    assert not list(vault_path.parent.glob("*.tmp"))
    vault.lock()
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)
    v = Vault.open(vault_path, "new passphrase 456")
    assert v.load_dataset("d").shape == (5, 5)
    assert v.audit_entries()[-1].action == "vault.passphrase_changed"
    v.lock()


def test_recovery_key(vault_path):
    v, recovery = Vault.create(vault_path, PASSPHRASE)
    v.put_dataset("d", frame(3))
    v.lock()
    typed = recovery.lower().replace("-", " ").replace("o", "0")   # sloppy but unambiguous
    with pytest.raises(VaultError, match="mistyped"):
        Vault.open_with_recovery(vault_path, recovery[:-1] + ("A" if recovery[-1] != "A" else "B"),
                                 "brand new passphrase")
    with pytest.raises(VaultError, match="not a recovery key"):
        Vault.open_with_recovery(vault_path, "abc", "brand new passphrase")
    _raw, other = keys.new_recovery_key()
    with pytest.raises(WrongPassphrase, match="recovery key does not unlock"):
        Vault.open_with_recovery(vault_path, other, "brand new passphrase")
    v = Vault.open_with_recovery(vault_path, typed, "brand new passphrase")
    assert v.dataset_info("d").n_rows == 3
    v.lock()
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, PASSPHRASE)
    Vault.open(vault_path, "brand new passphrase").lock()
    Vault.open_with_recovery(vault_path, recovery, "third passphrase!").lock()


def test_kdf_parameters_live_in_the_header(vault_path, tmp_path):
    v, _ = Vault.create(vault_path, PASSPHRASE)
    kdf = json.loads(v.header_path.read_text())["wraps"]["passphrase"]["kdf"]
    # pytest + PPDS_TEST_FAST_KDF=1 (conftest) selects the fast parameters...
    assert (kdf["memory_kib"], kdf["time_cost"]) == (FAST_KDF.memory_kib, FAST_KDF.time_cost)
    assert kdf["name"] == "argon2id" and len(kdf["salt"]) == 24
    v.lock()
    # ...and production parameters are strong, and used whenever a caller asks for them.
    assert PRODUCTION_KDF.memory_kib >= 64 * 1024 and PRODUCTION_KDF.time_cost >= 3
    strong = keys.new_header(bytearray(32), "x" * 10, b"r" * 20, PRODUCTION_KDF)
    assert strong["wraps"]["passphrase"]["kdf"]["memory_kib"] == PRODUCTION_KDF.memory_kib


def test_fast_kdf_needs_pytest_and_the_variable(monkeypatch):
    import sys

    monkeypatch.setenv("PPDS_TEST_FAST_KDF", "1")
    assert keys.default_kdf() == FAST_KDF
    monkeypatch.delitem(sys.modules, "pytest")
    assert keys.default_kdf() == PRODUCTION_KDF       # the variable alone is not enough
    monkeypatch.undo()
    monkeypatch.setenv("PPDS_TEST_FAST_KDF", "0")
    assert keys.default_kdf() == PRODUCTION_KDF


def test_sqlcipher_settings(vault, vault_path):
    conn = vault._conn()
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2          # MEMORY
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA cipher_page_size").fetchone()[0] == "65536"
    assert conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA256"
    assert conn.execute("PRAGMA cipher_use_hmac").fetchone()[0] == "1"
    assert json.loads(vault.header_path.read_text())["cipher"] == keys.CIPHER
    assert vault.integrity_check() == "ok"
    # Without the key the file is noise, even to plain SQLite.
    raw = sqlcipher3.connect(str(vault_path))
    with pytest.raises(sqlcipher3.DatabaseError):
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    raw.close()
    assert not vault_path.read_bytes().startswith(b"SQLite format 3")


def _legacy_vault(path, monkeypatch) -> pd.DataFrame:
    """A vault in the first release's database format, holding one dataset."""
    legacy = "sqlcipher4-raw-key"
    with monkeypatch.context() as m:
        m.setattr(keys, "CIPHER", legacy)
        m.setattr(keys, "CIPHER_PRAGMAS", keys.LEGACY_CIPHERS[legacy])
        m.setattr(vault_module, "connect", functools.partial(
            vault_module.connect, cipher_pragmas=keys.LEGACY_CIPHERS[legacy]))
        v, _ = Vault.create(path, PASSPHRASE)
        data = frame(50)
        v.put_dataset("d", data)
        v.lock()
    assert json.loads(keys.header_path(path).read_text())["cipher"] == legacy
    return data


def _page_size(path) -> str:
    conn = sqlcipher3.connect(str(path))
    try:
        return conn.execute("PRAGMA cipher_page_size").fetchone()[0]
    finally:
        conn.close()


def test_vault_of_the_older_format_is_upgraded_when_unlocked(vault_path, monkeypatch):
    data = _legacy_vault(vault_path, monkeypatch)
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_path, "not the passphrase at all")   # nothing changes before unlock
    assert json.loads(keys.header_path(vault_path).read_text())["cipher"] == "sqlcipher4-raw-key"
    with Vault.open(vault_path, PASSPHRASE) as v:
        pd.testing.assert_frame_equal(v.load_dataset("d"), data)
        conn = v._conn()
        assert conn.execute("PRAGMA cipher_page_size").fetchone()[0] == "65536"
        assert conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA256"
        assert v.integrity_check() == "ok" and v.verify_audit() >= 3
        upgraded = [e for e in v.audit_entries() if e.action == "vault.format_upgraded"]
        assert [(e.details["from_format"], e.details["to_format"]) for e in upgraded] == [
            ("sqlcipher4-raw-key", keys.CIPHER)]
    assert json.loads(keys.header_path(vault_path).read_text())["cipher"] == keys.CIPHER
    assert sorted(p.name for p in vault_path.parent.iterdir()) == [
        vault_path.name, keys.header_path(vault_path).name]


def test_upgrade_interrupted_before_the_header_is_finished_on_the_next_unlock(vault_path,
                                                                               monkeypatch):
    data = _legacy_vault(vault_path, monkeypatch)
    with monkeypatch.context() as m:   # the database is moved into place, then the process dies
        m.setattr(keys, "write_header", lambda *_a: (_ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):
            Vault.open(vault_path, PASSPHRASE)
    assert json.loads(keys.header_path(vault_path).read_text())["cipher"] == "sqlcipher4-raw-key"
    with Vault.open(vault_path, PASSPHRASE) as v:
        pd.testing.assert_frame_equal(v.load_dataset("d"), data)
    assert json.loads(keys.header_path(vault_path).read_text())["cipher"] == keys.CIPHER


def test_newer_schema_is_refused(vault, vault_path):
    vault._conn().execute("PRAGMA user_version = 99")
    vault.lock()
    with pytest.raises(VaultError, match="newer version .*schema version 99"):
        Vault.open(vault_path, PASSPHRASE)


def test_older_schema_is_migrated_in_one_transaction(vault_path, monkeypatch):
    from ppds_desktop.core.vault import migrations, schema

    v, _ = Vault.create(vault_path, PASSPHRASE)
    v.put_dataset("d", frame(4))
    v.lock()
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
    monkeypatch.setattr(migrations, "MIGRATIONS", schema.MIGRATIONS + [extra])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(schema.MIGRATIONS) + 1)
    broken = "CREATE TABLE notes (id INTEGER PRIMARY KEY); CREATE TABLE notes (x);"
    monkeypatch.setattr(migrations, "MIGRATIONS", schema.MIGRATIONS + [broken])
    with pytest.raises(VaultError, match=f"could not be upgraded from schema version {len(schema.MIGRATIONS)} to "
                                                f"{len(schema.MIGRATIONS) + 1}"):
        Vault.open(vault_path, PASSPHRASE)
    monkeypatch.setattr(migrations, "MIGRATIONS", schema.MIGRATIONS + [extra])
    v = Vault.open(vault_path, PASSPHRASE)   # the failed attempt left nothing behind
    assert v._query("PRAGMA user_version") == [(len(schema.MIGRATIONS) + 1,)]
    assert v._query("SELECT count(*) FROM notes") == [(0,)]
    assert v.audit_entries()[-1].details == {"from_version": len(schema.MIGRATIONS),
                                             "to_version": len(schema.MIGRATIONS) + 1}
    assert v.load_dataset("d").shape == (4, 5)
    v.lock()


# ------------------------------------------------------------------ transactions

def test_transaction_rolls_back_and_nests(vault):
    with pytest.raises(RuntimeError):
        with vault.transaction():
            vault.set_setting("a", 1)
            raise RuntimeError("boom")
    assert vault.get_setting("a") is None
    with vault.transaction():
        vault.set_setting("outer", 1)
        with pytest.raises(ValueError):
            with vault.transaction():
                vault.set_setting("inner", 2)
                raise ValueError
        vault.set_setting("after", 3)
    assert (vault.get_setting("outer"), vault.get_setting("inner"), vault.get_setting("after")) \
        == (1, None, 3)


def test_sql_errors_become_vault_errors(vault):
    with pytest.raises(VaultError, match="could not be written"):
        with vault.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('k', NULL)")


def test_reader_thread_sees_committed_state_only(vault):
    seen = {}
    with vault.transaction():
        vault.put_dataset("d", frame(3))
        t = threading.Thread(target=lambda: seen.update(n=len(vault.list_datasets())))
        t.start()
        t.join()
    assert seen["n"] == 0 and len(vault.list_datasets()) == 1


def test_reads_do_not_wait_for_a_long_write(vault):
    """The GUI thread lists datasets while a worker is half-way through an import."""
    halfway, read_done = threading.Event(), threading.Event()
    errors = []

    def progress(fraction, message):
        if 0.4 < fraction < 1.0 and not halfway.is_set():
            halfway.set()
            if not read_done.wait(10):
                errors.append("the reader was blocked by the writer")

    def worker():
        try:
            vault.put_dataset("big", pa.table({"i": pa.array(range(300_000), pa.int64())}),
                              task=TaskState(progress))
        except Exception as exc:   # reported to the main thread below
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert halfway.wait(10)
    assert vault.list_datasets() == []        # committed state, without waiting for the writer
    read_done.set()
    t.join(20)
    assert errors == [] and [d.name for d in vault.list_datasets()] == ["big"]


def test_lock_from_another_thread_during_a_write(vault, vault_path):
    """Auto-lock fires on the GUI thread while a worker imports: the import rolls back."""
    halfway, locked = threading.Event(), threading.Event()
    outcome = []

    def progress(fraction, message):
        if 0.4 < fraction < 1.0 and not halfway.is_set():
            halfway.set()
            locked.wait(10)

    def worker():
        try:
            vault.put_dataset("big", pa.table({"i": pa.array(range(300_000), pa.int64())}),
                              task=TaskState(progress))
        except Exception as exc:
            outcome.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert halfway.wait(10)
    vault.lock()
    assert vault._key is None and len(vault._conns) == 1     # the worker's, still in use
    locked.set()
    t.join(20)
    assert len(outcome) == 1 and isinstance(outcome[0], VaultLocked)
    assert vault._conns == {}
    v = Vault.open(vault_path, PASSPHRASE)
    assert v.list_datasets() == [] and v.integrity_check() == "ok"
    v.lock()


# ------------------------------------------------------------------ datasets

def test_put_and_load_dataframe(vault):
    df = frame()
    info = vault.put_dataset("admissions", df, source={"file": "a.csv"}, profile={"age": {}})
    assert isinstance(info, DatasetInfo)
    assert (info.n_rows, info.n_cols, info.kind) == (50, 5, "imported")
    assert info.columns == list(df.columns) and info.dtypes["age"] == "int64"
    assert info.source == {"file": "a.csv"} and info.profile == {"age": {}}
    back = vault.load_dataset("admissions")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert isinstance(back["ward"].dtype, pd.CategoricalDtype)
    assert vault.load_dataset(info.uid, columns=["bill", "age"]).columns.tolist() == ["bill", "age"]
    assert vault.dataset_info(info.id).name == "admissions"


def test_put_arrow_and_chunking(vault):
    n = 200_000
    table = pa.table({"i": pa.array(range(n), pa.int64()),
                      # 8 bytes of entropy per row, so the Parquet file needs several chunks
                      "s": pa.array([f"{i * 0x9E3779B97F4A7C15 % 2**64:016x}-row"
                                     for i in range(n)])})
    reports = []
    info = vault.put_dataset("big", table, task=TaskState(lambda f, m: reports.append(f)))
    chunks = vault._query("SELECT seq, length(data) FROM dataset_chunks WHERE dataset_id = ? "
                         "ORDER BY seq", (info.id,))
    assert len(chunks) >= 2 and [s for s, _ in chunks] == list(range(len(chunks)))
    assert all(size == CHUNK_BYTES for _, size in chunks[:-1]) and chunks[-1][1] <= CHUNK_BYTES
    assert sum(size for _, size in chunks) == info.byte_size
    assert reports[-1] == 1.0 and len(reports) >= 4
    assert vault.load_arrow("big").equals(table)
    assert vault.load_arrow("big", columns=["s"]).column("s").equals(table.column("s"))


def test_empty_dataset_round_trips(vault):
    df = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="float64")})
    vault.put_dataset("empty", df)
    assert vault.load_dataset("empty").shape == (0, 2)


def test_cancel_rolls_back_everything(vault):
    task = TaskState()
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        if len(calls) == 2:
            task.cancel()

    task = TaskState(progress)
    table = pa.table({"i": pa.array(range(300_000), pa.int64())})
    before = vault.audit_entries()
    with pytest.raises(Cancelled):
        vault.put_dataset("big", table, roles={"i": "sensitive"}, task=task)
    assert vault.list_datasets() == []
    assert vault._query("SELECT count(*) FROM dataset_chunks") == [(0,)]
    assert vault._query("SELECT count(*) FROM column_roles") == [(0,)]
    assert vault.audit_entries() == before


def test_dataset_names_and_errors(vault):
    vault.put_dataset("d", frame(2))
    with pytest.raises(VaultError, match="named 'd' already exists"):
        vault.put_dataset("d", frame(2))
    with pytest.raises(InputError, match="cannot be empty"):
        vault.put_dataset("  ", frame(2))
    with pytest.raises(InputError, match="DataFrame or a pyarrow Table"):
        vault.put_dataset("x", [[1, 2]])
    dup = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    with pytest.raises(InputError, match="'a' appears more than once"):
        vault.put_dataset("x", dup)
    with pytest.raises(InputError, match="'b' appears more than once"):
        vault.put_dataset("x", pd.DataFrame([[1, 2]], columns=["b", "b"]))
    assert vault.put_dataset("ints", pd.DataFrame({0: [1], 1: [2]})).columns == ["0", "1"]
    with pytest.raises(InputError, match="column 'm' mixes incompatible types") as err:
        vault.put_dataset("x", pd.DataFrame({"m": [1, "SECRET-VALUE", 2.5]}))
    assert "SECRET" not in str(err.value)                    # never a cell value
    interval = pa.table({"iv": pa.array([(1, 2, 3)], pa.month_day_nano_interval())})
    with pytest.raises(InputError, match="type Parquet does not support"):
        vault.put_dataset("x", interval)
    with pytest.raises(NotFound, match="no dataset 'nope'"):
        vault.load_dataset("nope")
    with pytest.raises(NotFound, match="no column 'zzz'"):
        vault.load_dataset("d", columns=["zzz"])
    assert [d.name for d in vault.list_datasets()] == ["d", "ints"]


def test_rename_and_delete(vault):
    info = vault.put_dataset("d", frame(2), roles={"age": "quasi_identifier"})
    vault.put_dataset("e", frame(2))
    with pytest.raises(VaultError, match="already exists"):
        vault.rename_dataset("d", "e")
    assert vault.rename_dataset("d", "renamed").uid == info.uid
    vault.delete_dataset("renamed")
    assert [d.name for d in vault.list_datasets()] == ["e"]
    assert vault._query("SELECT count(*) FROM dataset_chunks WHERE dataset_id = ?", (info.id,)) \
        == [(0,)]
    assert vault._query("SELECT count(*) FROM column_roles") == [(0,)]


def test_roles(vault):
    vault.put_dataset("d", frame(2), roles={
        "name": ColumnRole("identifier", "looks like a name"),
        "age": "quasi_identifier",
        "bill": {"role": "sensitive", "reason": "money", "confirmed": True}})
    roles = vault.roles("d")
    assert list(roles) == ["name", "age", "bill"]
    assert roles["name"] == ColumnRole("identifier", "looks like a name", False)
    assert roles["bill"].confirmed
    vault.set_role("d", "age", "insensitive")
    assert vault.roles("d")["age"] == ColumnRole("insensitive", "set by the user", True)
    with pytest.raises(InputError, match="'secret' is not a column role"):
        vault.set_role("d", "age", "secret")
    with pytest.raises(NotFound, match="no column 'nope'"):
        vault.set_role("d", "nope", "sensitive")
    with pytest.raises(InputError, match="no column 'zz'"):
        vault.put_dataset("e", frame(2), roles={"zz": "sensitive"})
    assert vault.audit_entries()[-1].details == {
        "dataset": "d", "column": "age", "role": "insensitive", "confirmed": True}


# ------------------------------------------------------------------ settings and secrets

def test_settings(vault):
    assert vault.get_setting("auto_lock_minutes", 10) == 10
    vault.set_setting("auto_lock_minutes", 5)
    vault.set_setting("ui", {"theme": "dark", "cols": [1, 2]})
    assert vault.get_setting("auto_lock_minutes") == 5
    assert vault.get_setting("ui") == {"theme": "dark", "cols": [1, 2]}
    with pytest.raises(InputError):
        vault.set_setting("_audit_head", {})
    with pytest.raises(InputError, match="must be a JSON value"):
        vault.set_setting("x", object())
    with pytest.raises(VaultError, match="Vault query failed"):
        vault._query("SELECT nonsense FROM nowhere")


def test_secrets(vault):
    vault.put_secret("pseudonym_key", "default", b"\x01" * 32, meta={"alg": "hmac"})
    assert vault.get_secret("pseudonym_key", "default") == b"\x01" * 32
    assert vault.has_secret("pseudonym_key", "default")
    assert not vault.has_secret("pseudonym_key", "other")
    assert vault.secret_meta("pseudonym_key", "default") == {"alg": "hmac"}
    with pytest.raises(VaultError, match="already holds"):
        vault.put_secret("pseudonym_key", "default", b"x")
    vault.put_secret("pseudonym_key", "default", b"y", replace=True)
    vault.put_secret("pseudonym_key", "b", b"z")
    assert vault.get_secret("pseudonym_key", "default") == b"y"
    assert vault.list_secrets("pseudonym_key") == ["b", "default"]
    with pytest.raises(NotFound):
        vault.get_secret("paillier_private", "x")
    actions = [(e.action, e.details) for e in vault.audit_entries()[-3:]]
    assert all(b"\x01" not in json.dumps(d).encode() for _a, d in actions)
    assert actions[1][0] == "secret.replaced"


# ------------------------------------------------------------------ audit

def test_audit_chain_and_actor(vault):
    vault.audit("custom.action", count=3, name="x")
    entries = vault.audit_entries()
    assert all(isinstance(e, AuditEntry) for e in entries)
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert vault.verify_audit() == len(entries)
    assert vault.audit_entries(limit=1) == entries[-1:]
    vault._query("INSERT INTO identity (id, display_name, sign_private, enc_private, created_at) "
                "VALUES (1, 'Dr. Example', x'00', x'00', 'now')")
    assert vault.audit("after.identity").actor == "Dr. Example"


def test_audit_is_append_only(vault):
    with pytest.raises(VaultError, match="append-only"):
        with vault.transaction() as conn:
            conn.execute("DELETE FROM audit")
    with pytest.raises(VaultError, match="append-only"):
        with vault.transaction() as conn:
            conn.execute("UPDATE audit SET actor = 'x'")


def _tamper(vault_path, *sql):
    """Edit the log behind the app's back: raw connection, triggers dropped."""
    vault = Vault.open(vault_path, PASSPHRASE)
    conn = vault._conn()
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    for s in sql:
        conn.execute(s)
    vault.lock()


@pytest.mark.parametrize("sql, match", [
    (["UPDATE audit SET details_json = '{\"rows\":1}' WHERE seq = 2"], "entry #2: its contents"),
    (["UPDATE audit SET actor = 'mallory' WHERE seq = 1"], "entry #1: its contents"),
    (["DELETE FROM audit WHERE seq = 2"], "entry #2 is missing"),
    (["DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"], "entries were removed"),
])
def test_verify_audit_detects_tampering(vault, vault_path, sql, match):
    vault.put_dataset("d", frame(2))
    vault.set_role("d", "age", "sensitive")
    vault.verify_audit()
    vault.lock()
    _tamper(vault_path, *sql)
    v = Vault.open(vault_path, PASSPHRASE)
    with pytest.raises(VaultError, match=match):
        v.verify_audit()
    v.lock()


# ------------------------------------------------------------------ releases

def test_releases(vault):
    src = vault.put_dataset("src", frame(10))
    out = frame(10).drop(columns=["name"])
    info = vault.put_release("k5 release", "anonymized", source="src", output_df=out,
                             recipe={"k": 5}, report={"loss": 0.1},
                             files={"report.html": b"<html/>", "data.csv": b"a,b\n"})
    assert isinstance(info, ReleaseInfo)
    assert (info.kind, info.source_dataset_id, info.recipe, info.report) == \
        ("anonymized", src.id, {"k": 5}, {"loss": 0.1})
    assert info.files == ["data.csv", "report.html"]
    assert vault.dataset_info(info.output_dataset_id).kind == "release"
    assert vault.load_dataset(info.output_dataset_id).shape == (10, 4)
    assert vault.release_files("k5 release") == {"report.html": b"<html/>", "data.csv": b"a,b\n"}
    assert [r.name for r in vault.list_releases()] == ["k5 release"]
    assert vault.release_info(info.uid).id == vault.release_info(info.id).id
    stats = vault.put_release("stats", "dp_statistics", source=src.id, report={"eps": 1})
    assert stats.output_dataset_id is None and stats.files == []
    with pytest.raises(VaultError, match="already exists"):
        vault.put_release("stats", "dp_statistics")
    with pytest.raises(NotFound):
        vault.release_info("nope")
    assert vault.audit_entries()[-1].action == "release.created"


def test_failed_release_leaves_nothing(vault):
    vault.put_dataset("src", frame(3))
    with pytest.raises(NotFound):
        vault.put_release("r", "anonymized", source="missing", output_df=frame(3))
    vault.put_dataset("r", frame(1))   # the release's output name clashes with a dataset
    with pytest.raises(VaultError, match="named 'r' already exists"):
        vault.put_release("r", "anonymized", source="src", output_df=frame(3),
                          files={"f": b"1"})
    assert vault.list_releases() == []
    assert vault._query("SELECT count(*) FROM release_files") == [(0,)]


def test_passphrase_is_unicode_normalised(vault_path):
    composed, decomposed = "caf\u00e9 au lait 1", "cafe\u0301 au lait 1"
    Vault.create(vault_path, composed)[0].lock()
    Vault.open(vault_path, decomposed).lock()


def test_lock_during_a_write_is_clean(vault, vault_path):
    def progress(fraction, message):
        if fraction > 0.3:
            vault.lock()

    table = pa.table({"i": pa.array(range(300_000), pa.int64())})
    with pytest.raises(VaultLocked):
        vault.put_dataset("big", table, task=TaskState(progress))
    v = Vault.open(vault_path, PASSPHRASE)
    assert v.list_datasets() == [] and v.integrity_check() == "ok"
    v.lock()


@pytest.mark.parametrize("damage", ["garbage", "missing chunk"])
def test_damaged_dataset_is_a_clear_error(vault, damage):
    rng = np.random.default_rng(0)           # incompressible test data, not privacy noise
    info = vault.put_dataset("d", pa.table({"i": rng.integers(0, 2**62, 300_000)}))
    assert info.byte_size > 2 * CHUNK_BYTES
    if damage == "garbage":
        vault._query("UPDATE dataset_chunks SET data = zeroblob(length(data)) "
                    "WHERE dataset_id = ? AND seq = 0", (info.id,))
    else:
        vault._query("DELETE FROM dataset_chunks WHERE dataset_id = ? AND seq = 1", (info.id,))
    with pytest.raises(VaultError, match="Dataset 'd' is damaged|chunk 1 is missing"):
        vault.load_arrow("d")


def test_connections_of_finished_threads_are_closed(vault):
    def use():
        vault.list_datasets()

    for _ in range(3):
        t = threading.Thread(target=use)
        t.start()
        t.join()
    use()                       # the main thread's connection; finished threads' are gone
    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert len(vault._conns) <= 2


def test_recovery_key_typos_are_caught():
    raw, shown = keys.new_recovery_key()
    assert keys.parse_recovery_key(shown) == raw
    body = shown.replace("-", "")
    for i in range(0, 36, 5):
        wrong = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1:]
        with pytest.raises(VaultError, match="mistyped"):
            keys.parse_recovery_key(wrong)
    swapped = body[1] + body[0] + body[2:]
    if swapped != body:
        with pytest.raises(VaultError, match="mistyped"):
            keys.parse_recovery_key(swapped)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_datasets_round_trip(vault, data):
    n = data.draw(st.integers(0, 30))
    ints = data.draw(st.lists(st.one_of(st.none(), st.integers(-2**53, 2**53)), min_size=n,
                              max_size=n))
    texts = data.draw(st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=n,
                               max_size=n))
    floats = data.draw(st.lists(st.floats(allow_nan=False), min_size=n, max_size=n))
    table = pa.table({"i": pa.array(ints, pa.int64()), "t": pa.array(texts, pa.string()),
                      "f": pa.array(floats, pa.float64())})
    name = f"d{len(vault.list_datasets())}"
    vault.put_dataset(name, table)
    assert vault.load_arrow(name).equals(table)
    assert vault.load_arrow(name, columns=["t"]).column("t").equals(table.column("t"))


def test_missing_secrets_are_clear_errors(vault, vault_path):
    with pytest.raises(WrongPassphrase, match="No passphrase"):
        Vault.open(vault_path, None)
    with pytest.raises(VaultError, match="No recovery key"):
        Vault.open_with_recovery(vault_path, None, "a new passphrase")


def test_opening_a_path_with_no_vault_says_so(tmp_path):
    """Neither database nor header: the user mistyped the path; "header missing, restore it
    from a backup" would send them looking for a backup they do not need."""
    with pytest.raises(VaultError, match="There is no vault at .*nowhere.vault") as info:
        Vault.open(tmp_path / "nowhere.vault", PASSPHRASE)
    assert "ppds vault init" in str(info.value) and not (tmp_path / "nowhere.vault").exists()


def test_opening_a_folder_says_so(tmp_path):
    with pytest.raises(VaultError, match="is a folder, not a vault file"):
        Vault.open(tmp_path, PASSPHRASE)


def test_set_profile_stores_profile_and_roles_or_nothing(vault):
    info = vault.put_dataset("t", pa.table({"a": [1, 2], "b": ["x", "y"]}))
    with pytest.raises(InputError, match="no column 'zz'"):
        vault.set_profile(info.id, {"rows": 2}, {"a": "sensitive", "zz": "identifier"})
    assert vault.dataset_info(info.id).profile is None and vault.roles(info.id) == {}
    out = vault.set_profile(info.id, {"rows": 2}, {"a": ColumnRole("sensitive", "why", False)})
    assert out.profile == {"rows": 2} and vault.roles(info.id) == {
        "a": ColumnRole("sensitive", "why", False)}
    assert vault.audit_entries()[-1].action == "dataset.profiled"
