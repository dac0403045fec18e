"""Sealing: write a signed, encrypted bundle for named recipients, streaming in constant memory.

Each file is read once: its bytes are hashed (BLAKE3, for the manifest) and encrypted in the
same pass, and the manifest follows the files (``container``). The output is written to a
hidden temp file beside the target and renamed into place at the very end, so a failed or
cancelled seal leaves no bundle behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

from ..errors import BundleError
from ..files import replace_file
from ..identity import keys as idkeys
from ..identity.keys import KeyPairs
from ..progress import TaskState, ensure_task
from . import crypto
from .container import (CONTAINER_MAGIC, MANIFEST_FORMAT, MANIFEST_VERSION,
                        RESERVED_MANIFEST_FIELDS, FileSource, file_record_head, manifest_record)
from .format import (BUNDLE_ID_SIZE, CHUNK_SIZE, END_MAGIC, FILE_KEY_SIZE, MAX_CHUNKS,
                     MAX_FILES, MAX_RECIPIENTS, SIGNATURE_LABEL, TAG_SIZE, Header, Stanza,
                     check_kind, recipient_key_id)

#: Chunks in flight: one being filled while the others are encrypted, hashed and written.
IN_FLIGHT = 3
#: Chunks encrypted at once (they are independent AES-GCM messages).
CRYPT_THREADS = 2


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
    path: Path | None                # None when sealed into memory
    bundle_id: str
    size: int
    n_chunks: int
    data: bytes | None = None        # the bundle, when sealed into memory


def iso_time(unix: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def seal_bundle(out_path: str | Path | None, *, sender: KeyPairs, recipients: Sequence[bytes],
                kind: str, manifest: dict, files: Sequence[FileSource], task: TaskState | None = None,
                _randomness: SealRandomness | None = None) -> SealResult:
    """Seal ``files`` with ``manifest`` for the X25519 public keys in ``recipients``, into the
    file ``out_path`` or, with ``out_path=None``, into memory (``SealResult.data``: small
    bundles carried inside another one, e.g. a decryption request's contributions)."""
    task = ensure_task(task)
    out_path = None if out_path is None else Path(out_path)
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
    if out_path is not None and not out_path.parent.is_dir():
        raise BundleError(f"Folder {out_path.parent} does not exist.")
    try:
        sizes = [f.size() for f in files]
    except OSError as exc:
        raise BundleError(f"Cannot read {exc.filename} ({exc.strerror}); no bundle was "
                          "written.") from None

    rnd = _randomness or SealRandomness(secrets.token_bytes(FILE_KEY_SIZE),
                                        secrets.token_bytes(BUNDLE_ID_SIZE), int(time.time()), ())
    full_manifest = {**manifest, "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                     "bundle_id": rnd.bundle_id.hex(), "kind": kind,
                     "created_at": iso_time(rnd.created),
                     "files": [{"name": f.name, "size": n, "blake3": "0" * 64}
                               for f, n in zip(files, sizes)]}
    # The digests are filled in at the end; hex digests have a fixed length, so the payload's
    # length (and with it the chunk count and the last-chunk flag) is known before any data.
    manifest_len = len(manifest_record(full_manifest))
    total = (len(CONTAINER_MAGIC) + manifest_len
             + sum(len(file_record_head(f.name, n)) + n for f, n in zip(files, sizes)))
    n_chunks = -(-total // CHUNK_SIZE)
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

    def write(out: BinaryIO) -> None:
        out.write(header_bytes)
        out.write(rnd.bundle_id)
        body_hash = crypto.bulk_hasher(rnd.bundle_id)
        with _ChunkSealer(out, key, body_hash, n_chunks, task) as sealer:
            sealer.put(CONTAINER_MAGIC)
            digests = []
            for f, n in zip(files, sizes):
                sealer.put(file_record_head(f.name, n))
                digest = crypto.bulk_hasher()
                with f.open() as src:
                    sealer.put_file(src, n, digest, f.name)
                digests.append(digest)
            sealer.drain_hashes()
            for entry, digest in zip(full_manifest["files"], digests):
                entry["blake3"] = digest.hexdigest()
            record = manifest_record(full_manifest)
            assert len(record) == manifest_len, "manifest length changed"
            sealer.put(record)
        message = SIGNATURE_LABEL + hashlib.sha256(header_bytes).digest() + body_hash.digest()
        out.write(END_MAGIC + sender.sign(message))

    if out_path is None:
        buffer = io.BytesIO()
        write(buffer)
        return SealResult(None, rnd.bundle_id.hex(), buffer.tell(), n_chunks, buffer.getvalue())
    temp = out_path.parent / f".{out_path.name}.ppds-partial-{secrets.token_hex(4)}"
    try:
        with open(temp, "xb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        replace_file(temp, out_path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise BundleError(f"Cannot read or write a file ({exc.filename or out_path.name}: "
                          f"{exc.strerror or exc}); no bundle was written.") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return SealResult(out_path, rnd.bundle_id.hex(), out_path.stat().st_size, n_chunks)


class _ChunkSealer:
    """Cuts the payload into 1 MiB chunks and seals them in order, in constant memory.

    Sealing hashes every byte twice on top of AES-GCM (each file's BLAKE3 for the manifest, the
    body's BLAKE3 for the signature). blake3, pycryptodome and file writes release the GIL on
    large buffers, so this thread only reads: chunks are encrypted on ``CRYPT_THREADS`` workers
    (each chunk is its own AES-GCM message), the file hashes run on one worker and the body hash
    and the write on another, which takes the chunks in order as their encryption ends; one
    worker per hash keeps its updates in order. ``IN_FLIGHT`` pairs of chunk buffers are reused
    round-robin, and a pair is refilled only after every job on it is done.
    """

    def __init__(self, out: BinaryIO, key: bytes, body_hash, n_chunks: int, task: TaskState):
        self.out, self.key, self.body_hash = out, key, body_hash
        self.n_chunks, self.task = n_chunks, task
        self.plain = [memoryview(bytearray(CHUNK_SIZE)) for _ in range(IN_FLIGHT)]
        self.sealed = [memoryview(bytearray(CHUNK_SIZE + TAG_SIZE)) for _ in range(IN_FLIGHT)]
        self.jobs: list[list[Future]] = [[] for _ in range(IN_FLIGHT)]
        self.slot = self.fill = self.counter = 0
        self.spans: list[tuple] = []    # (file hash, start, end) in the chunk being filled
        self.crypting = ThreadPoolExecutor(CRYPT_THREADS, thread_name_prefix="bundle-crypt")
        self.hashing = ThreadPoolExecutor(1, thread_name_prefix="bundle-hash")
        self.writing = ThreadPoolExecutor(1, thread_name_prefix="bundle-write")

    def __enter__(self) -> "_ChunkSealer":
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        try:
            if exc_type is None:
                if self.fill:
                    self._seal()
                if self.counter != self.n_chunks:
                    raise AssertionError("the payload is not the length computed for it")
                for slot in range(IN_FLIGHT):
                    self._wait(slot)
        finally:  # on any error, stop the workers before the caller deletes the file
            self.crypting.shutdown(wait=True, cancel_futures=True)
            self.hashing.shutdown(wait=True, cancel_futures=True)
            self.writing.shutdown(wait=True, cancel_futures=True)

    def put(self, data: bytes) -> None:
        """Framing bytes (record heads, the manifest), copied in."""
        view = memoryview(data)
        while view:
            take = min(CHUNK_SIZE - self.fill, len(view))
            self.plain[self.slot][self.fill:self.fill + take] = view[:take]
            self.fill += take
            view = view[take:]
            if self.fill == CHUNK_SIZE:
                self._seal()

    def put_file(self, src: BinaryIO, size: int, digest, name: str) -> None:
        """Exactly ``size`` bytes of ``src``, read straight into the chunk buffers and hashed
        into ``digest``; a file that is not ``size`` bytes long any more is refused."""
        left = size
        while left:
            start = self.fill
            got = src.readinto(self.plain[self.slot][start:start + min(CHUNK_SIZE - start, left)])
            if not got:
                raise BundleError(f"{name} got shorter while it was being sealed; seal it again.")
            self.spans.append((digest, start, start + got))
            self.fill += got
            left -= got
            if self.fill == CHUNK_SIZE:
                self._seal()
        if src.read(1):
            raise BundleError(f"{name} got longer while it was being sealed; seal it again.")

    def drain_hashes(self) -> None:
        """Wait until every file byte put so far is hashed (before the manifest is written)."""
        if self.spans:
            self.jobs[self.slot].append(
                self.hashing.submit(_hash_spans, self.plain[self.slot], self.spans))
            self.spans = []
        self.hashing.submit(int).result()  # the single worker runs jobs in order

    def _seal(self) -> None:
        slot, n = self.slot, self.fill
        if self.counter == self.n_chunks:
            raise AssertionError("the payload is longer than computed")
        plain, sealed = self.plain[slot], self.sealed[slot]
        if self.spans:
            self.jobs[slot].append(self.hashing.submit(_hash_spans, plain, self.spans))
            self.spans = []
        encrypted = self.crypting.submit(crypto.seal_chunk_into, self.key, self.counter,
                                         self.counter == self.n_chunks - 1, plain[:n], sealed)
        written = self.writing.submit(self._write, encrypted, sealed[:n + TAG_SIZE])
        self.jobs[slot] += [encrypted, written]
        self.counter += 1
        self.slot, self.fill = (slot + 1) % IN_FLIGHT, 0
        self._wait(self.slot)
        self.task.report(self.counter / self.n_chunks, "Encrypting")

    def _write(self, encrypted: Future, sealed: memoryview) -> None:
        encrypted.result()
        self.body_hash.update(sealed)
        self.out.write(sealed)

    def _wait(self, slot: int) -> None:
        for job in self.jobs[slot]:
            job.result()
        self.jobs[slot] = []


def _hash_spans(buf: memoryview, spans: list[tuple]) -> None:
    for digest, start, end in spans:
        digest.update(buf[start:end])
