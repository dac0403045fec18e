"""The backup file: one file holding the vault header and the (still encrypted) database.

Layout: the 8 magic bytes ``PPDSVBK1``, a 4-byte big-endian length, a UTF-8 JSON manifest
``{"header": <vault header>, "db_size": n, "db_sha256": hex, "schema_version": v,
"created_at": ts}``,
then the ``db_size`` bytes of the SQLCipher database. Nothing in it is plaintext: the database
pages are SQLCipher-encrypted and the header holds only wrapped keys. The SHA-256 catches a
truncated or damaged copy before anything is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import VaultError
from ..private_files import restrict_to_owner, sync_file
from .keys import atomic_file, parse_header

MAGIC = b"PPDSVBK1"
MAX_MANIFEST = 256 * 1024
_COPY = 1 << 20


def write_backup(dest: Path, header: dict, db_file: Path, schema_version: int,
                 created_at: str, progress: Callable[[float], None]) -> int:
    """Write the backup atomically (see :func:`keys.atomic_file`); return its size."""
    size = db_file.stat().st_size
    digest = hashlib.sha256()
    with open(db_file, "rb") as fh:
        for block in iter(lambda: fh.read(_COPY), b""):
            digest.update(block)
    manifest = json.dumps({"header": header, "db_size": size, "db_sha256": digest.hexdigest(),
                           "schema_version": schema_version, "created_at": created_at},
                          sort_keys=True).encode("utf-8")
    with atomic_file(dest) as out, open(db_file, "rb") as fh:
        out.write(MAGIC + struct.pack(">I", len(manifest)) + manifest)
        done = 0
        for block in iter(lambda: fh.read(_COPY), b""):
            out.write(block)
            done += len(block)
            progress(done / max(size, 1))
    return size + len(manifest) + 12


def read_manifest(path: Path) -> tuple[dict, int]:
    """The manifest (with a validated ``header``) and the offset where the database starts."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:8] != MAGIC:
                raise VaultError(f"{path} is not a PPDS vault backup.")
            (length,) = struct.unpack(">I", head[8:])
            if length > MAX_MANIFEST:
                raise VaultError(f"Backup {path} is damaged: its manifest claims {length} bytes.")
            raw = fh.read(length)
    except FileNotFoundError:
        raise VaultError(f"Backup file {path} does not exist.") from None
    except IsADirectoryError:
        raise VaultError(f"{path} is a folder, not a backup file.") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
        header = manifest["header"]
        int(manifest["db_size"]), str(manifest["db_sha256"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise VaultError(f"Backup {path} is damaged: its manifest cannot be read.") from None
    manifest["header"] = parse_header(json.dumps(header).encode("utf-8"), f"in backup {path}")
    expected = 12 + length + manifest["db_size"]
    actual = path.stat().st_size
    if actual != expected:
        raise VaultError(f"Backup {path} is damaged: {actual:,} bytes instead of {expected:,} "
                         "(truncated or extended).")
    return manifest, 12 + length


def extract_db(path: Path, manifest: dict, offset: int, dest_dir: Path, stem: str) -> Path:
    """Copy the database out of the backup into a temp file in ``dest_dir``; check its hash."""
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".restore", dir=dest_dir)
    digest = hashlib.sha256()
    try:
        restrict_to_owner(tmp)
        with os.fdopen(fd, "wb") as out, open(path, "rb") as fh:
            fh.seek(offset)
            for block in iter(lambda: fh.read(_COPY), b""):
                digest.update(block)
                out.write(block)
            out.flush()
            sync_file(out.fileno())
        if digest.hexdigest() != manifest["db_sha256"]:
            raise VaultError(f"Backup {path} is damaged: the database checksum does not match.")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
