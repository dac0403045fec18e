"""Sealing: write a signed, encrypted bundle for named recipients, streaming in constant memory.

The output is written to a hidden temp file beside the target and renamed into place at the very
end, so a failed or cancelled seal leaves no bundle behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import BundleError
from ..identity import keys as idkeys
from ..identity.keys import KeyPairs
from ..progress import TaskState, ensure_task
from . import crypto
from .container import (MANIFEST_FORMAT, MANIFEST_VERSION, RESERVED_MANIFEST_FIELDS, FileSource,
                        manifest_prefix)
from .format import (BUNDLE_ID_SIZE, CHUNK_SIZE, END_MAGIC, FILE_KEY_SIZE, MAX_CHUNKS,
                     MAX_FILES, MAX_RECIPIENTS, SIGNATURE_LABEL, Header, Stanza, check_kind,
                     recipient_key_id)


@dataclass(frozen=True)
class SealRandomness:
    """Test hook for deterministic bundles (test vectors). Never pass it for real bundles:
    reusing a file key or ephemeral key across bundles would break confidentiality."""

    file_key: bytes
    bundle_id: bytes
    created: int
    ephemeral_privates: tuple[bytes, ...]


@dataclass(frozen=True)
class SealResult:
    path: Path
    bundle_id: str
    size: int
    n_chunks: int


def iso_time(unix: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def seal_bundle(out_path: str | Path, *, sender: KeyPairs, recipients: Sequence[bytes], kind: str,
                manifest: dict, files: Sequence[FileSource], task: TaskState | None = None,
                _randomness: SealRandomness | None = None) -> SealResult:
    """Seal ``files`` with ``manifest`` for the X25519 public keys in ``recipients``."""
    task = ensure_task(task)
    out_path = Path(out_path)
    check_kind(kind)
    recipients = list(recipients)
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise BundleError(f"A bundle needs 1 to {MAX_RECIPIENTS} recipients; "
                          f"{len(recipients)} were given.")
    if len({bytes(r) for r in recipients}) != len(recipients):
        raise BundleError("The same recipient is listed twice.")
    for r in recipients:
        idkeys.x25519_public_key(r)
    clash = [k for k in RESERVED_MANIFEST_FIELDS if k in manifest]
    if clash:
        raise BundleError(f"Manifest field(s) {', '.join(clash)} are set by the bundle itself.")
    if len(files) > MAX_FILES:
        raise BundleError(f"A bundle holds at most {MAX_FILES} files; {len(files)} were given.")
    if len({f.name.lower() for f in files}) != len(files):
        raise BundleError("Two files in the bundle have the same name.")
    if not out_path.parent.is_dir():
        raise BundleError(f"Folder {out_path.parent} does not exist.")

    rnd = _randomness or SealRandomness(secrets.token_bytes(FILE_KEY_SIZE),
                                        secrets.token_bytes(BUNDLE_ID_SIZE), int(time.time()), ())
    entries = _describe_files(files, task.sub(0.0, 0.2))
    full_manifest = {**manifest, "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                     "bundle_id": rnd.bundle_id.hex(), "kind": kind,
                     "created_at": iso_time(rnd.created), "files": entries}
    prefix = manifest_prefix(full_manifest)
    total = len(prefix) + sum(e["size"] for e in entries)
    n_chunks = max(1, -(-total // CHUNK_SIZE))
    if n_chunks > MAX_CHUNKS:
        raise BundleError(f"The payload ({total} bytes) exceeds the format's limit of "
                          f"{MAX_CHUNKS} chunks of {CHUNK_SIZE} bytes.")

    stanzas = []
    for i, r in enumerate(recipients):
        eph = rnd.ephemeral_privates[i] if _randomness is not None else None
        enc, wrapped = crypto.wrap_file_key(rnd.file_key, r, rnd.bundle_id, _ephemeral_private=eph)
        stanzas.append(Stanza(recipient_key_id(r), enc, wrapped))
    header = Header(rnd.bundle_id, rnd.created, kind, sender.sign_public, sender.enc_public,
                    tuple(stanzas))
    unsigned = header.body_without_mac()
    header_bytes = unsigned + crypto.header_mac(rnd.file_key, rnd.bundle_id, unsigned)
    key = crypto.payload_key(rnd.file_key, rnd.bundle_id)

    temp = out_path.parent / f".{out_path.name}.ppds-partial-{secrets.token_hex(4)}"
    body_hash = hashlib.sha256(rnd.bundle_id)
    written = 0
    stream_task = task.sub(0.2, 1.0)
    try:
        with open(temp, "xb") as out:
            out.write(header_bytes)
            out.write(rnd.bundle_id)
            for counter, (chunk, last) in enumerate(_chunks(prefix, files)):
                sealed = crypto.seal_chunk(key, counter, last, chunk)
                body_hash.update(sealed)
                out.write(sealed)
                written += len(chunk)
                stream_task.report(written / max(total, 1), "Encrypting")
            if written != total:
                raise BundleError("A file changed while it was being sealed; seal it again.")
            message = (SIGNATURE_LABEL + hashlib.sha256(header_bytes).digest()
                       + body_hash.digest())
            out.write(END_MAGIC + sender.sign(message))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, out_path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise BundleError(f"Cannot write {out_path.name} ({exc.strerror or exc}); no bundle was "
                          "written.") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return SealResult(out_path, rnd.bundle_id.hex(), out_path.stat().st_size, n_chunks)


def _describe_files(files: Sequence[FileSource], task: TaskState) -> list[dict]:
    """Name, size and SHA-256 of each file (one pass over each before sealing)."""
    entries = []
    for i, f in enumerate(files):
        h = hashlib.sha256()
        size = 0
        for piece in f.pieces():
            h.update(piece)
            size += len(piece)
            task.report(i / len(files), f"Hashing {f.name}")
        entries.append({"name": f.name, "size": size, "sha256": h.hexdigest()})
    return entries


def _chunks(prefix: bytes, files: Iterable[FileSource]) -> Iterator[tuple[bytes, bool]]:
    """Exactly CHUNK_SIZE-byte plaintext chunks with the last-chunk flag (one look-ahead)."""
    def pieces() -> Iterator[bytes]:
        yield prefix
        for f in files:
            yield from f.pieces(CHUNK_SIZE)

    buf = bytearray()
    pending: bytes | None = None
    for piece in pieces():
        buf += piece
        while len(buf) >= CHUNK_SIZE:
            if pending is not None:
                yield pending, False
            pending = bytes(buf[:CHUNK_SIZE])
            del buf[:CHUNK_SIZE]
    if buf:
        if pending is not None:
            yield pending, False
        yield bytes(buf), True
    elif pending is not None:
        yield pending, True
    else:
        yield b"", True
