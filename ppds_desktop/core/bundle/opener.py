"""Opening: verify everything, in a fixed order, before any plaintext becomes visible.

Order (``docs/bundle-format.md``, "Verification order"): prefix (magic, version, suite, header
size) → header fields → end marker → our recipient stanza → file-key unwrap → header MAC →
the caller's sender and replay policy → body preamble (splice) → every chunk, in order, with the
final flag on the last one only (the container's file records are parsed and written to the sink
as they come) → the Ed25519 signature over header and body → the manifest against the files and
their hashes → only then ``sink.commit()``. Any failure raises a ``BundleError``
naming the problem and calls ``sink.abort()``, so no output exists afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import BundleError
from ..identity import keys as idkeys
from ..identity.keys import KeyPairs
from ..progress import TaskState, ensure_task
from . import crypto
from .container import ContainerReader, Sink
from .format import (BUNDLE_ID_SIZE, CHUNK_SIZE, END_MAGIC, PREFIX_SIZE, SIGNATURE_LABEL,
                     TAG_SIZE, TRAILER_SIZE, Header, body_layout, parse_header, parse_prefix,
                     recipient_key_id)

#: On a chunk that fails, at most this many other counters are tried to tell a reordered or
#: duplicated chunk from a modified one (diagnosis only; the bundle is refused either way).
MAX_DIAGNOSIS_TRIALS = 256
#: Chunks in flight: one being read while the others are decrypted, hashed and fed
#: (see ``_decrypt_chunks``).
IN_FLIGHT = 3
#: Chunks decrypted at once (they are independent AES-GCM messages).
CRYPT_THREADS = 2


@dataclass(frozen=True)
class OpenedBundle:
    header: Header
    manifest: dict
    result: Any                      # what the sink's commit returned

    @property
    def bundle_id(self) -> str:
        return self.header.bundle_id.hex()

    @property
    def sender_fingerprint(self) -> str:
        return idkeys.fingerprint(self.header.sender_sign_public, self.header.sender_enc_public)


def read_header(fh, source: str) -> tuple[Header, bytes]:
    prefix = fh.read(PREFIX_SIZE)
    length = parse_prefix(prefix, source)
    rest = fh.read(length - PREFIX_SIZE)
    header_bytes = prefix + rest
    return parse_header(header_bytes, source), header_bytes


def open_bundle(path: str | Path | bytes, *, keys: KeyPairs, sink: Sink,
                check_sender: Callable[[Header], None] | None = None,
                task: TaskState | None = None, source: str | None = None) -> OpenedBundle:
    """Decrypt and verify ``path`` (a file, or a bundle's bytes) with this identity's ``keys``
    into ``sink``; ``source`` names it in messages (default: the file name).

    ``check_sender(header)`` runs once the header is authenticated and before any decryption;
    it raises to refuse (unknown or unverified sender...).
    """
    task = ensure_task(task)
    if isinstance(path, (bytes, bytearray)):
        data = bytes(path)
        source = source or "bundle"

        def reader():
            return io.BytesIO(data)
    else:
        path = Path(path)
        source = source or path.name

        def reader():
            return open(path, "rb")
    try:
        with reader() as fh:
            size = fh.seek(0, 2)
            fh.seek(0)
            header, header_bytes = read_header(fh, source)
            result, manifest = _open_body(fh, size, header, header_bytes, keys, sink,
                                          check_sender, task, source)
    except OSError as exc:
        sink.abort()
        raise BundleError(f"{source}: cannot read or write ({exc.strerror or exc}); nothing was "
                          "written.") from None
    except BaseException:
        sink.abort()
        raise
    return OpenedBundle(header, manifest, result)


def _open_body(fh, size, header, header_bytes, keys, sink, check_sender, task, source):
    body_start = len(header_bytes)
    body_len = size - body_start - BUNDLE_ID_SIZE - TRAILER_SIZE
    if body_len < TAG_SIZE:
        raise BundleError(f"{source}: the bundle is truncated: {size} bytes is too short for "
                          "its header, one chunk and the signature.")
    fh.seek(size - TRAILER_SIZE)
    trailer = fh.read(TRAILER_SIZE)
    if trailer[:len(END_MAGIC)] != END_MAGIC:
        raise BundleError(f"{source}: the bundle is truncated or damaged at the end: the end "
                          "marker before the signature is missing.")
    signature = trailer[len(END_MAGIC):]

    my_id = recipient_key_id(keys.enc_public)
    stanza = next((s for s in header.stanzas if s.key_id == my_id), None)
    if stanza is None:
        raise BundleError(f"{source}: you are not a recipient of this bundle: it was sealed for "
                          f"{len(header.stanzas)} recipient(s), none of them your key "
                          f"({keys.fingerprint[:23]}…).")
    file_key = crypto.unwrap_file_key(stanza.enc, stanza.wrapped, keys.enc_private,
                                      header.bundle_id)
    if file_key is None:
        raise BundleError(f"{source}: wrong key: your recipient entry is present but your "
                          "private key cannot unwrap the file key (the entry was altered or "
                          "sealed to another key).")
    expected_mac = crypto.header_mac(file_key, header.bundle_id, header_bytes[:-len(header.mac)])
    if not hmac.compare_digest(expected_mac, header.mac):
        raise BundleError(f"{source}: the header was modified: its MAC does not verify.")
    if check_sender is not None:
        check_sender(header)

    fh.seek(body_start)
    preamble = fh.read(BUNDLE_ID_SIZE)
    if preamble != header.bundle_id:
        raise BundleError(f"{source}: spliced bundle: the body belongs to bundle "
                          f"{preamble.hex()}, the header to bundle {header.bundle_id.hex()}.")
    n_chunks, last_len = body_layout(body_len, source)
    reader = ContainerReader(sink, bundle_id=header.bundle_id.hex(), kind=header.kind,
                             source=source)
    key = crypto.payload_key(file_key, header.bundle_id)
    body_hash = crypto.bulk_hasher(preamble)
    _decrypt_chunks(fh, body_hash, key, n_chunks, last_len, reader, task, source)
    message = SIGNATURE_LABEL + hashlib.sha256(header_bytes).digest() + body_hash.digest()
    if not idkeys.verify(header.sender_sign_public, message, signature):
        raise BundleError(f"{source}: the sender's signature does not verify: the bundle was "
                          "changed after it was signed, or it was not signed by the key in its "
                          "header.")
    manifest = reader.finish()
    return sink.commit(), manifest


def _decrypt_chunks(fh, body_hash, key, n_chunks, last_len, reader, task, source) -> None:
    """Decrypt chunk after chunk into ``reader``; the first bad chunk raises, diagnosed.

    Opening hashes every byte twice on top of AES-GCM (the body's BLAKE3 for the signature,
    each file's BLAKE3 for the manifest). blake3, pycryptodome and file writes release the GIL
    on large buffers, so this thread only reads: chunks are decrypted on ``CRYPT_THREADS``
    workers (each chunk is its own AES-GCM message), the body is hashed on one worker, and one
    more feeds the reader (file hash and write), taking the chunks in order as their decryption
    ends. One worker per stream keeps its updates in order, and results are collected in chunk
    order, so the first error raised is the one a sequential reader would raise; after it, the
    feeder touches nothing more. Memory stays constant: ``IN_FLIGHT`` pairs of preallocated
    chunk buffers are reused round-robin, and a pair is refilled only after every job on it is
    done.
    """
    full = CHUNK_SIZE + TAG_SIZE
    sealed_bufs = [memoryview(bytearray(full)) for _ in range(IN_FLIGHT)]
    plain_bufs = [memoryview(bytearray(CHUNK_SIZE)) for _ in range(IN_FLIGHT)]
    pending: deque[tuple[Future, ...]] = deque()
    stop = threading.Event()         # set on the first error: later feeds do nothing

    def feed(opened: Future, i: int, sealed, plain) -> None:
        if stop.is_set():
            return
        try:
            if not opened.result():
                raise BundleError(_diagnose_chunk(key, i, n_chunks, bytes(sealed), source))
            reader.feed(plain)
        except BaseException:
            stop.set()
            raise

    crypting = ThreadPoolExecutor(CRYPT_THREADS, thread_name_prefix="bundle-crypt")
    hashing = ThreadPoolExecutor(1, thread_name_prefix="bundle-hash")
    feeding = ThreadPoolExecutor(1, thread_name_prefix="bundle-feed")
    try:
        for i in range(n_chunks):
            slot = i % IN_FLIGHT
            if len(pending) == IN_FLIGHT:
                _collect(pending.popleft())
            last = i == n_chunks - 1
            size = last_len if last else full
            sealed = sealed_bufs[slot][:size]
            if fh.readinto(sealed) != size:
                raise BundleError(f"{source}: the file ended early while it was being read "
                                  "(it was changed or truncated during opening).")
            plain = plain_bufs[slot][:size - TAG_SIZE]
            hashed = hashing.submit(body_hash.update, sealed)
            opened = crypting.submit(crypto.open_chunk_into, key, i, last, sealed, plain)
            pending.append((hashed, opened, feeding.submit(feed, opened, i, sealed, plain)))
            task.report((i + 1) / n_chunks, "Decrypting and verifying")
        while pending:
            _collect(pending.popleft())
    finally:  # on any error, stop the workers before the caller aborts the sink
        stop.set()  # queued feeds must not touch the sink any more
        crypting.shutdown(wait=True, cancel_futures=True)
        hashing.shutdown(wait=True, cancel_futures=True)
        feeding.shutdown(wait=True, cancel_futures=True)


def _collect(chunk_jobs: tuple[Future, ...]) -> None:
    """Wait for one chunk's jobs; re-raise the first error (the feeder's, in practice)."""
    for job in chunk_jobs:
        job.result()


def _diagnose_chunk(key: bytes, i: int, n: int, sealed: bytes, source: str) -> str:
    """Say *how* chunk ``i`` is wrong, for the error message (the bundle is refused anyway)."""
    where = f"{source}: chunk {i + 1} of {n}"
    last = i == n - 1
    if crypto.open_chunk(key, i, not last, sealed) is not None:
        if last:
            return (f"{where} is not marked final: the bundle is truncated (chunks are "
                    "missing at the end).")
        return f"{where} is marked final but more data follows: data was appended."
    lo, hi = max(0, i - MAX_DIAGNOSIS_TRIALS // 2), min(n, i + MAX_DIAGNOSIS_TRIALS // 2)
    for j in range(lo, hi):
        if j == i:
            continue
        for flag in (False, True):
            if crypto.open_chunk(key, j, flag, sealed) is not None:
                if j < i:
                    return (f"{where} is a duplicate of chunk {j + 1}: chunks were duplicated "
                            "or reordered.")
                return f"{where} is chunk {j + 1} moved out of place: chunks were reordered."
    return f"{where} failed authentication: the body was modified or damaged."
