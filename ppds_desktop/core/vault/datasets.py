"""Datasets in the vault: one Parquet file (LZ4) per dataset, cut into 1 MiB chunks.

The Parquet settings favour write speed, since the copy lives only in the (encrypted) vault:
LZ4 (on 1M sample rows: 0.2 CPU-s less than zstd level 1 for a 40 % larger file, 52 vs 38 MiB;
zstd's default level costs 3x more), dictionary encoding only for columns whose values repeat
(on the others it costs time and gains nothing), and no min/max statistics (nothing here
filters on them).

Writing streams: pyarrow writes row groups into a file-like sink that inserts every full
1 MiB slice as a ``dataset_chunks`` row, so the whole Parquet file is never held in memory and
nothing goes to a temporary file. Reading goes the other way: a seekable file-like view fetches
only the chunks pyarrow asks for, so loading a few columns reads only their pages. Parquet
keeps pandas' metadata, so a DataFrame comes back with its dtypes (the index is not kept).
"""

from __future__ import annotations

import io
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..clock import utc_now
from ..errors import InputError, NotFound, VaultError
from ..progress import TaskState, ensure_task
from ..schema.roles import ROLES

if TYPE_CHECKING:
    import pandas as pd

    from .vault import Vault

CHUNK_BYTES = 1 << 20           # each dataset_chunks row holds at most 1 MiB
ROWS_PER_GROUP = 65_536         # Parquet row group; also the progress/cancel granularity
DICTIONARY_MAX_SHARE = 0.5      # dictionary-encode a column if at most this share of its
DICTIONARY_PROBE_ROWS = 16_384  # first rows are distinct values
MAX_NAME = 200


@dataclass(frozen=True)
class ColumnRole:
    role: str                    # one of ROLES
    reason: str = ""
    confirmed: bool = False      # True once the user set or confirmed it


@dataclass(frozen=True)
class DatasetRef:
    """A stored dataset, by id: what is carried from import to commit instead of its name
    (which the user may change) or uid. ``name`` is for messages only and not compared."""
    id: int
    name: str = field(default="", compare=False)


@dataclass
class DatasetInfo:
    id: int
    uid: str
    name: str
    kind: str
    created_at: str
    n_rows: int
    n_cols: int
    columns: list[str]
    dtypes: dict[str, str]       # column -> Arrow type as text, e.g. 'int64', 'string'
    source: dict = field(default_factory=dict)
    profile: dict | None = None
    byte_size: int = 0           # size of the stored Parquet file

    @property
    def ref(self) -> DatasetRef:
        return DatasetRef(self.id, self.name)


_UPSERT_ROLE = ("INSERT INTO column_roles (dataset_id, column, role, reason, confirmed) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(dataset_id, column) DO UPDATE SET "
                "role = excluded.role, reason = excluded.reason, confirmed = excluded.confirmed")
_DATASET_COLS = ("id, uid, name, kind, created_at, n_rows, n_cols, columns_json, source_json, "
                 "profile_json, byte_size")


def _info(row) -> DatasetInfo:
    cols = json.loads(row[7])
    return DatasetInfo(id=row[0], uid=row[1], name=row[2], kind=row[3], created_at=row[4],
                       n_rows=row[5], n_cols=row[6], columns=[c["name"] for c in cols],
                       dtypes={c["name"]: c["dtype"] for c in cols},
                       source=json.loads(row[8] or "{}"),
                       profile=json.loads(row[9]) if row[9] else None, byte_size=row[10])


def find_row(conn, table: str, cols: str, ref, what: str):
    """The row of ``table`` (datasets or releases) whose integer id, name or uid is ``ref``; a
    name wins over a uid that happens to be spelt the same. Raises NotFound, calling the row a
    ``what`` ("dataset", "release"), if there is none."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        row = conn.execute(f"SELECT {cols} FROM {table} WHERE id = ?", (ref,)).fetchone()
    else:
        row = conn.execute(f"SELECT {cols} FROM {table} WHERE name = ? OR uid = ? "
                           "ORDER BY name = ? DESC LIMIT 1", (ref, ref, ref)).fetchone()
    if row is None:
        raise NotFound(f"There is no {what} {ref!r} in the vault.")
    return row


def check_name(name: str, what: str = "dataset") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"A {what} name cannot be empty.")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise InputError(f"A {what} name can have at most {MAX_NAME} characters "
                         f"(this one has {len(name)}).")
    if any(ord(ch) < 32 for ch in name):
        raise InputError(f"A {what} name cannot contain control characters.")
    return name


def to_arrow(data) -> pa.Table:
    """A pyarrow Table from a Table (as is) or a pandas DataFrame (index dropped)."""
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    else:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InputError(f"Cannot store a {type(data).__name__} as a dataset: "
                             "expected a pandas DataFrame or a pyarrow Table.")
        if not all(isinstance(c, str) for c in data.columns):
            data = data.rename(columns=str)
        dup = data.columns[data.columns.duplicated()]
        if len(dup):
            raise InputError(f"Column names must be unique; {dup[0]!r} appears more than once.")
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"The data cannot be stored: {_column_hint(exc)}") from None
    seen: set[str] = set()
    for col in table.column_names:
        if col in seen:
            raise InputError(f"Column names must be unique; {col!r} appears more than once.")
        seen.add(col)
    return table


def _column_hint(exc: Exception) -> str:
    # Arrow's message quotes the offending value; keep only the part naming the column.
    text = str(exc)
    marker = "Conversion failed for column "
    if marker in text:
        col = text.split(marker, 1)[1].split(" with type", 1)[0]
        return f"column {col!r} mixes incompatible types."
    return "a column mixes incompatible types."


def normalise_roles(roles: Mapping | None, columns: list[str],
                    dataset: str) -> dict[str, ColumnRole]:
    out: dict[str, ColumnRole] = {}
    for column, value in (roles or {}).items():
        if column not in columns:
            raise InputError(f"Dataset {dataset!r} has no column {column!r} to give a role to.")
        if isinstance(value, ColumnRole):
            role = value
        elif isinstance(value, str):
            role = ColumnRole(value)
        elif isinstance(value, Mapping):
            role = ColumnRole(value.get("role", ""), str(value.get("reason", "")),
                              bool(value.get("confirmed", False)))
        else:
            raise InputError(f"The role for column {column!r} must be a role name or ColumnRole.")
        check_role(role.role, column)
        out[column] = role
    return out


def check_role(role: str, column: str) -> None:
    if role not in ROLES:
        raise InputError(f"{role!r} is not a column role (column {column!r}); "
                         f"use one of: {', '.join(ROLES)}.")


class _ChunkWriter(io.RawIOBase):
    """Write-only file that stores each full 1 MiB slice as the next chunk row.

    The first failed insert is kept in ``failure`` and raised again by every later write
    without touching the database: after a full disk SQLite may have rolled the transaction
    back already, and the writer's closing flush would then insert chunks outside any
    transaction (they failed with "FOREIGN KEY constraint failed", hiding the real cause).
    """

    def __init__(self, conn, dataset_id: int):
        super().__init__()
        self._conn, self._id = conn, dataset_id
        self._buf = bytearray()
        self._seq = self._pos = 0
        self.failure: BaseException | None = None

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        view = memoryview(b).cast("B")
        self._buf += view
        self._pos += len(view)
        while len(self._buf) >= CHUNK_BYTES:
            self._store(bytes(self._buf[:CHUNK_BYTES]))
            del self._buf[:CHUNK_BYTES]
        return len(view)

    def tell(self) -> int:
        return self._pos

    def _store(self, data: bytes) -> None:
        if self.failure is not None:
            raise self.failure
        try:
            if not self._conn.in_transaction:
                raise VaultError("The vault's database dropped the dataset being stored after "
                                 "an error; nothing was changed.")
            self._conn.execute("INSERT INTO dataset_chunks (dataset_id, seq, data) "
                               "VALUES (?, ?, ?)", (self._id, self._seq, data))
        except BaseException as exc:
            self.failure = exc
            raise
        self._seq += 1

    def finish(self) -> int:
        """Store the last partial chunk; return the total size written."""
        if self._buf:
            self._store(bytes(self._buf))
            self._buf = bytearray()
        return self._pos


class _ChunkReader(io.RawIOBase):
    """Read-only, seekable view of a stored Parquet file; fetches chunks on demand."""

    def __init__(self, conn, dataset_id: int, size: int):
        super().__init__()
        self._conn, self._id, self._size = conn, dataset_id, size
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def size(self) -> int:
        return self._size

    def _chunk(self, seq: int) -> bytes:
        if self._cached is None or self._cached[0] != seq:
            row = self._conn.execute("SELECT data FROM dataset_chunks WHERE dataset_id = ? AND "
                                     "seq = ?", (self._id, seq)).fetchone()
            if row is None:
                raise VaultError(f"Dataset #{self._id} is damaged: chunk {seq} is missing.")
            self._cached = (seq, row[0])
        return self._cached[1]

    def read(self, n: int = -1) -> bytes:
        end = self._size if n is None or n < 0 else min(self._size, self._pos + n)
        parts = []
        while self._pos < end:
            seq, offset = divmod(self._pos, CHUNK_BYTES)
            chunk = self._chunk(seq)
            piece = chunk[offset:offset + (end - self._pos)]
            if not piece:
                raise VaultError(f"Dataset #{self._id} is damaged: chunk {seq} is too short.")
            parts.append(piece)
            self._pos += len(piece)
        return b"".join(parts)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def _repeats(col: pa.ChunkedArray) -> bool:
    head = col.slice(0, DICTIONARY_PROBE_ROWS)
    try:
        distinct = pc.count_distinct(head).as_py()
    except pa.ArrowNotImplementedError:   # nested types: let Parquet decide
        return True
    return distinct <= DICTIONARY_MAX_SHARE * max(len(head), 1)


def dictionary_columns(table: pa.Table) -> list[str]:
    """Columns whose first rows repeat values enough for a dictionary to pay off."""
    with ThreadPoolExecutor(max_workers=2) as pool:   # Arrow kernels release the GIL
        repeats = list(pool.map(_repeats, table.columns))
    return [name for name, yes in zip(table.column_names, repeats) if yes]


def write_parquet(conn, dataset_id: int, table: pa.Table, task: TaskState) -> int:
    """Stream ``table`` as Parquet into chunk rows; return the Parquet size in bytes."""
    sink = _ChunkWriter(conn, dataset_id)
    n = table.num_rows
    # Arrow buffers the writer's many small writes into 1 MiB ones before they reach Python:
    # each call into the sink needs the GIL, which other threads (the import's profile) hold.
    stream = pa.BufferedOutputStream(pa.PythonFile(sink, mode="w"), buffer_size=CHUNK_BYTES)
    try:
        writer = pq.ParquetWriter(stream, table.schema,
                                  compression="lz4",
                                  use_dictionary=dictionary_columns(table),
                                  write_statistics=False)
        try:
            for start in range(0, max(n, 1), ROWS_PER_GROUP):
                end = min(n, start + ROWS_PER_GROUP)
                task.report(start / max(n, 1), f"Encrypting rows {start:,}–{end:,} of {n:,}")
                writer.write_table(table.slice(start, ROWS_PER_GROUP),
                                   row_group_size=ROWS_PER_GROUP)
        finally:
            writer.close()
            stream.close()   # flushes the last buffered bytes into the sink
    except (pa.ArrowException, OSError) as exc:
        if sink.failure is not None:     # the vault refused a chunk: that is the cause
            raise sink.failure from None
        if isinstance(exc, pa.ArrowException):
            raise InputError(f"The data cannot be stored as Parquet ({type(exc).__name__}: a "
                             "column has a type Parquet does not support).") from None
        raise
    if sink.failure is not None:
        raise sink.failure
    size = sink.finish()
    task.report(1.0, f"Stored {n:,} rows")
    return size


def read_parquet(conn, info: DatasetInfo, columns: list[str] | None, task: TaskState) -> pa.Table:
    reader = _ChunkReader(conn, info.id, info.byte_size)
    try:
        pf = pq.ParquetFile(pa.PythonFile(reader, mode="r"))
        groups = pf.metadata.num_row_groups
        if groups == 0:
            return pf.read(columns=columns)
        tables = []
        for i in range(groups):
            task.report(i / groups, f"Decrypting part {i + 1} of {groups}")
            tables.append(pf.read_row_group(i, columns=columns))
    except (pa.ArrowException, OSError) as exc:
        raise VaultError(f"Dataset {info.name!r} is damaged and cannot be read "
                         f"({type(exc).__name__}).", hint="restore it from a backup") from None
    task.report(1.0, f"Loaded {info.n_rows:,} rows")
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


class DatasetStore:
    """The ``datasets`` and ``column_roles`` tables, as ``vault.datasets``. Every method takes
    a dataset ``ref``: a :class:`DatasetRef`, a :class:`DatasetInfo`, or (where the user typed
    it) its name, uid or integer id."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def put(self, name: str, data, *, kind: str = "imported", source: dict | None = None,
            roles: Mapping | None = None, profile: dict | None = None,
            task: TaskState | None = None) -> DatasetInfo:
        """Store ``data`` (DataFrame or Arrow Table) with its roles and an audit entry, all in one
        transaction: on error or Cancel nothing is left behind."""
        task = ensure_task(task)
        name = check_name(name)
        table = to_arrow(data)
        role_map = normalise_roles(roles, table.column_names, name)
        columns = [{"name": f.name, "dtype": str(f.type)} for f in table.schema]
        with self._vault.transaction() as conn:
            self._vault._note_write(table.nbytes)     # an estimate, said if the disk is full
            self._check_free_name(conn, name)
            uid = secrets.token_hex(16)
            cur = conn.execute(
                "INSERT INTO datasets (uid, name, kind, created_at, n_rows, n_cols, columns_json, "
                "source_json, profile_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, name, kind, utc_now(), table.num_rows, table.num_columns,
                 json.dumps(columns), json.dumps(source or {}, default=str),
                 json.dumps(profile, default=str) if profile is not None else None))
            dataset_id = cur.lastrowid
            size = write_parquet(conn, dataset_id, table, task)
            conn.execute("UPDATE datasets SET byte_size = ? WHERE id = ?", (size, dataset_id))
            conn.executemany(_UPSERT_ROLE, [(dataset_id, c, r.role, r.reason, int(r.confirmed))
                                            for c, r in role_map.items()])
            self._vault.audit("dataset.stored", dataset=name, uid=uid, kind=kind, rows=table.num_rows,
                       columns=table.num_columns, bytes=size)
            return self.resolve_in(conn, dataset_id)

    def set_profile(self, ref, profile: dict | None, roles: Mapping | None = None) -> DatasetInfo:
        """Store a dataset's profile and set the given column roles, in one transaction (the
        caller's, if there is one). The importer calls it right after :meth:`put_dataset` in the
        same transaction, so the profile can be computed while the data is being stored."""
        with self._vault.transaction() as conn:
            info = self.resolve_in(conn, ref)
            role_map = normalise_roles(roles, info.columns, info.name)
            conn.execute("UPDATE datasets SET profile_json = ? WHERE id = ?",
                         (json.dumps(profile, default=str) if profile is not None else None,
                          info.id))
            conn.executemany(_UPSERT_ROLE, [(info.id, c, r.role, r.reason, int(r.confirmed))
                                            for c, r in role_map.items()])
            self._vault.audit("dataset.profiled", dataset=info.name, uid=info.uid, roles=len(role_map))
            return self.resolve_in(conn, info.id)

    def _check_free_name(self, conn, name: str) -> None:
        if conn.execute("SELECT 1 FROM datasets WHERE name = ?", (name,)).fetchone():
            raise VaultError(f"A dataset named {name!r} already exists in the vault; "
                             "choose another name.")

    @staticmethod
    def resolve_in(conn, ref) -> DatasetInfo:
        """The dataset ``ref`` names, read on ``conn`` (inside the caller's transaction)."""
        if isinstance(ref, (DatasetInfo, DatasetRef)):
            ref = ref.id
        return _info(find_row(conn, "datasets", _DATASET_COLS, ref, "dataset"))

    def ref(self, ref) -> DatasetRef:
        """The :class:`DatasetRef` of a dataset named by the user (name, uid or id)."""
        return self.info(ref).ref

    def all(self, kind: str | None = None) -> list[DatasetInfo]:
        """All datasets (optionally of one kind), oldest first."""
        sql = f"SELECT {_DATASET_COLS} FROM datasets"
        rows = (self._vault._conn().execute(sql + " ORDER BY id").fetchall() if kind is None else
                self._vault._conn().execute(sql + " WHERE kind = ? ORDER BY id", (kind,)).fetchall())
        return [_info(r) for r in rows]

    def info(self, ref) -> DatasetInfo:
        """``ref``: the dataset's name, uid or integer id."""
        return self.resolve_in(self._vault._conn(), ref)

    def load_arrow(self, ref, columns: list[str] | None = None,
                   task: TaskState | None = None) -> pa.Table:
        task = ensure_task(task)
        with self._vault._snapshot() as conn:
            info = self.resolve_in(conn, ref)
            if columns is not None:
                columns = list(columns)
                missing = [c for c in columns if c not in info.columns]
                if missing:
                    raise NotFound(f"Dataset {info.name!r} has no column "
                                   f"{', '.join(repr(c) for c in missing)}.")
            return read_parquet(conn, info, columns, task)

    def load(self, ref, columns: list[str] | None = None,
             task: TaskState | None = None) -> pd.DataFrame:
        """The dataset as a pandas DataFrame (dtypes as stored, default RangeIndex)."""
        table = self.load_arrow(ref, columns, task)
        return table.to_pandas(split_blocks=True, self_destruct=True)

    def roles(self, ref) -> dict[str, ColumnRole]:
        """Roles set so far, in column order; columns without a role are absent."""
        conn = self._vault._conn()
        info = self.resolve_in(conn, ref)
        rows = {r[0]: ColumnRole(r[1], r[2], bool(r[3])) for r in conn.execute(
            "SELECT column, role, reason, confirmed FROM column_roles WHERE dataset_id = ?",
            (info.id,))}
        return {c: rows[c] for c in info.columns if c in rows}

    def set_role(self, ref, column: str, role: str, reason: str = "set by the user",
                 confirmed: bool = True) -> None:
        with self._vault.transaction() as conn:
            info = self.resolve_in(conn, ref)
            if column not in info.columns:
                raise NotFound(f"Dataset {info.name!r} has no column {column!r}.")
            check_role(role, column)
            conn.execute(_UPSERT_ROLE, (info.id, column, role, reason, int(confirmed)))
            self._vault.audit("role.set", dataset=info.name, column=column, role=role,
                       confirmed=bool(confirmed))

    def rename(self, ref, new_name: str) -> DatasetInfo:
        new_name = check_name(new_name)
        with self._vault.transaction() as conn:
            info = self.resolve_in(conn, ref)
            if new_name == info.name:
                return info
            self._check_free_name(conn, new_name)
            conn.execute("UPDATE datasets SET name = ? WHERE id = ?", (new_name, info.id))
            self._vault.audit("dataset.renamed", uid=info.uid, old=info.name, new=new_name)
            return self.resolve_in(conn, info.id)

    def delete(self, ref) -> None:
        with self._vault.transaction() as conn:
            info = self.resolve_in(conn, ref)
            conn.execute("DELETE FROM datasets WHERE id = ?", (info.id,))
            self._vault.audit("dataset.deleted", dataset=info.name, uid=info.uid, rows=info.n_rows)
