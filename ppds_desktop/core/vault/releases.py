"""Releases: what was shared, from which dataset, with which recipe and report.

A release row, its output dataset (kind ``release``, named like the release), its files and its
audit entry are written in one transaction.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..clock import utc_now
from ..errors import InputError, VaultError
from ..progress import TaskState, ensure_task
from .datasets import DatasetStore, check_name, find_row

if TYPE_CHECKING:
    from .vault import Vault


@dataclass
class ReleaseInfo:
    id: int
    uid: str
    name: str
    kind: str                   # anonymized | perturbed | dp_statistics | he_request | he_result
    source_dataset_id: int | None
    output_dataset_id: int | None
    recipe: dict
    report: dict
    created_at: str
    files: list[str] = field(default_factory=list)   # names of the stored release files


_COLS = ("id, uid, name, kind, source_dataset_id, output_dataset_id, recipe_json, report_json, "
         "created_at")


class ReleaseStore:
    """The ``releases`` and ``release_files`` tables, as ``vault.releases``. A release ``ref``
    is a :class:`ReleaseInfo` or the release's name, uid or integer id."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def put(self, name: str, kind: str, *, source=None, output_df=None,
            recipe: dict | None = None, report: dict | None = None,
            files: dict[str, bytes] | None = None,
            task: TaskState | None = None) -> ReleaseInfo:
        """``source``: the input dataset's ref; ``output_df``: the released table (DataFrame or
        Arrow), stored as a dataset of kind ``release``; ``files``: name -> bytes."""
        task = ensure_task(task)
        name = check_name(name, "release")
        if not isinstance(kind, str) or not kind:
            raise InputError("A release needs a kind (e.g. 'anonymized').")
        files = dict(files or {})
        for fname, data in files.items():
            if not isinstance(fname, str) or not fname or not isinstance(data, (bytes, bytearray)):
                raise InputError("Release files must map non-empty names to bytes.")
        with self._vault.transaction() as conn:
            if conn.execute("SELECT 1 FROM releases WHERE name = ?", (name,)).fetchone():
                raise VaultError(f"A release named {name!r} already exists; choose another name.")
            source_id = DatasetStore.resolve_in(conn, source).id if source is not None else None
            output_id = None
            if output_df is not None:
                output_id = self._vault.datasets.put(
                    name, output_df, kind="release",
                    source={"release": name, "source_dataset_id": source_id},
                    task=task.sub(0.0, 0.95)).id
            uid = secrets.token_hex(16)
            cur = conn.execute(
                f"INSERT INTO releases ({_COLS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, name, kind, source_id, output_id, json.dumps(recipe or {}, default=str),
                 json.dumps(report or {}, default=str), utc_now()))
            release_id = cur.lastrowid
            conn.executemany("INSERT INTO release_files (release_id, name, data) VALUES (?, ?, ?)",
                             [(release_id, n, bytes(d)) for n, d in files.items()])
            self._vault.audit("release.created", release=name, uid=uid, kind=kind,
                       source_dataset_id=source_id, output_dataset_id=output_id,
                       files=sorted(files))
            task.report(1.0, f"Release {name!r} recorded")
            return self._read(conn, release_id)

    def _read(self, conn, ref) -> ReleaseInfo:
        if isinstance(ref, ReleaseInfo):
            ref = ref.id
        row = find_row(conn, "releases", _COLS, ref, "release")
        names = [r[0] for r in conn.execute(
            "SELECT name FROM release_files WHERE release_id = ? ORDER BY name", (row[0],))]
        return ReleaseInfo(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]),
                           json.loads(row[7]), row[8], names)

    def all(self) -> list[ReleaseInfo]:
        """All releases, oldest first."""
        with self._vault._snapshot() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM releases ORDER BY id")]
            return [self._read(conn, i) for i in ids]

    def info(self, ref) -> ReleaseInfo:
        """``ref``: the release's name, uid or integer id."""
        with self._vault._snapshot() as conn:
            return self._read(conn, ref)

    def writer_of(self, dataset_id: int) -> ReleaseInfo | None:
        """The release whose output is the dataset ``dataset_id``, if any (the dataset may
        have been renamed since, or be named by its own uid)."""
        with self._vault._snapshot() as conn:
            row = conn.execute("SELECT id FROM releases WHERE output_dataset_id = ?",
                               (dataset_id,)).fetchone()
            return self._read(conn, row[0]) if row else None

    def files(self, ref) -> dict[str, bytes]:
        with self._vault._snapshot() as conn:
            info = self._read(conn, ref)
            return {r[0]: bytes(r[1]) for r in conn.execute(
                "SELECT name, data FROM release_files WHERE release_id = ? ORDER BY name",
                (info.id,))}
