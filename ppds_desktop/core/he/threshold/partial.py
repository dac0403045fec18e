"""A holder's partial decryption of a batch of ciphertexts, its proof, and the checks on it.

``c_ij = c_j^(2Δ·s_i) mod n²``. The share ``s_i`` is a number mod ``n·p'·q'`` (~2·|n| bits) and
its holder knows neither ``p`` nor ``q``, so there is no CRT shortcut: each partial is one
exponentiation mod n² with a ~4,100-bit exponent at 2048-bit keys (~23 ms here, twice a phe
encryption). The batch is cut into chunks computed by gmpy2's ``powmod_base_list`` (one
exponent, many bases, outside the GIL) on ``workers`` threads, so both cores work without
starting processes or copying the share anywhere. One batched proof (``proof.py``) covers the
whole batch.

Binary form (versioned, no pickle): ``PPDSTPD1`` | 4-byte header length | JSON header (key id,
holder, count, digest of the ciphertexts, widths) | partials, ``a``, ``b`` (fixed width, 2 × key
bytes each) | ``z``.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Sequence

import gmpy2

from ...errors import CryptoError
from ...progress import TaskState, ensure_task
from ..pool import DEFAULT_WORKERS
from ..threads import map_threads
from .keys import KeyShare, ThresholdKey, is_unit
from .proof import (CIPHERTEXT_CHECK, RANGE_CHECK, VERIFICATION_KEY_CHECK, Proof,
                    failed_check, nonce_bits, prove)
from .transcript import Transcript

MAGIC = b"PPDSTPD1"
FORMAT = "ppds-threshold-partial-decryption"
VERSION = 1
CHUNK = 16                  # ciphertexts per thread job: ~0.4 s at 2048 bits, so Cancel is prompt
MAX_HEADER = 1 << 16

KEY_CHECK = "key check"
CIPHERTEXTS_CHECK = "ciphertext list check"
FORMAT_CHECK = "format check"
DUPLICATE_CHECK = "duplicate answer"

_WHY = {
    KEY_CHECK: "was made for another key",
    CIPHERTEXTS_CHECK: "is for other ciphertexts than the ones being decrypted",
    FORMAT_CHECK: "is malformed (wrong count, or values out of range)",
    RANGE_CHECK: "carries a malformed proof (values out of range)",
    CIPHERTEXT_CHECK: ("fails the proof's ciphertext check (its partial decryptions are not "
                       "the ones its key share gives)"),
    VERIFICATION_KEY_CHECK: ("fails the proof's verification-key check (it did not use the key "
                             "share the ceremony gave it)"),
    DUPLICATE_CHECK: "is a second answer from the same holder",
}


@dataclass(frozen=True)
class Rejection:
    """A partial decryption left out: which holder, which check, and a sentence saying so."""

    index: int
    check: str

    @property
    def message(self) -> str:
        return f"Key-share holder {self.index}: its answer {_WHY[self.check]}; it was left out."


@dataclass(frozen=True)
class PartialDecryption:
    key_id: str
    index: int
    ciphertext_digest: str
    partials: tuple
    proof: Proof

    def to_bytes(self, key: ThresholdKey) -> bytes:
        w = key.width
        z_bytes = (nonce_bits(key) + 8) // 8          # z < 2^(nonce_bits + 1)
        header = {"format": FORMAT, "version": VERSION, "key_id": self.key_id,
                  "holder": self.index, "count": len(self.partials),
                  "ciphertexts": self.ciphertext_digest, "width": w, "z_bytes": z_bytes}
        head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        body = b"".join(int(x).to_bytes(w, "big")
                        for x in (*self.partials, self.proof.a, self.proof.b))
        return MAGIC + struct.pack(">I", len(head)) + head + body + int(self.proof.z).to_bytes(
            z_bytes, "big")

    @classmethod
    def from_bytes(cls, data: bytes, key: ThresholdKey) -> "PartialDecryption":
        """Read one answer; refuses another format, another key or wrong lengths. (Whether it
        is *correct* is :func:`check_partial`'s job.)"""
        if len(data) < 12 or data[:8] != MAGIC:
            raise CryptoError("This is not a partial decryption.")
        (size,) = struct.unpack(">I", data[8:12])
        try:
            header = json.loads(data[12:12 + size].decode("utf-8")) if size <= MAX_HEADER else None
        except (UnicodeDecodeError, ValueError):
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise CryptoError("The partial decryption's header is unreadable.")
        if header.get("version") != VERSION:
            raise CryptoError(f"Partial decryption version {header.get('version')!r} is not "
                              f"supported (this program reads version {VERSION}).")
        if header.get("key_id") != key.key_id:
            raise CryptoError(f"This partial decryption was made for another split key, not "
                              f"{key.fingerprint}.")
        w, count, z_bytes = header.get("width"), header.get("count"), header.get("z_bytes")
        index = header.get("holder")
        if (w != key.width or not all(isinstance(x, int) and x >= 0
                                      for x in (count, z_bytes, index))):
            raise CryptoError("The partial decryption's header is malformed.")
        body = data[12 + size:]
        if len(body) != (count + 2) * w + z_bytes:
            raise CryptoError("The partial decryption is truncated or too long.")
        nums = [gmpy2.mpz(int.from_bytes(body[i:i + w], "big"))
                for i in range(0, (count + 2) * w, w)]
        z = gmpy2.mpz(int.from_bytes(body[(count + 2) * w:], "big"))
        return cls(key.key_id, index, str(header.get("ciphertexts")), tuple(nums[:count]),
                   Proof(nums[count], nums[count + 1], z))


def ciphertext_digest(key: ThresholdKey, ciphertexts: Sequence[int]) -> str:
    return (Transcript("PPDS threshold Paillier: ciphertext list v1")
            .put("key", bytes.fromhex(key.key_id))
            .put_ints("ciphertexts", ciphertexts, key.width).digest().hex())


def check_ciphertexts(key: ThresholdKey, ciphertexts: Sequence[int]) -> None:
    n = key.n
    for position, c in enumerate(ciphertexts, 1):
        if not is_unit(gmpy2.mpz(c), n):
            raise CryptoError(f"Ciphertext {position} is not valid for key {key.fingerprint}; "
                              f"nothing was decrypted.")


def partial_decrypt(share: KeyShare, ciphertexts: Sequence[int], *,
                    workers: int = DEFAULT_WORKERS, task: TaskState | None = None
                    ) -> PartialDecryption:
    """This holder's partial decryptions of ``ciphertexts`` and one proof for all of them."""
    task = ensure_task(task)
    key = share.key
    cts = [gmpy2.mpz(c) for c in ciphertexts]
    check_ciphertexts(key, cts)
    exponent, n2 = 2 * key.delta * share.secret, key.nsquare
    chunks = [cts[s:s + CHUNK] for s in range(0, len(cts), CHUNK)]
    partials = [x for part in map_threads(lambda chunk: gmpy2.powmod_base_list(chunk, exponent, n2),
                                          chunks, workers, task.sub(0.0, 0.95),
                                          "partial decryption")
                for x in part]
    task.report(0.95, "proving the partial decryption")
    proof = prove(share, cts, partials)
    task.report(1.0, "partial decryption done")
    return PartialDecryption(key.key_id, share.index, ciphertext_digest(key, cts),
                             tuple(partials), proof)


def check_partial(key: ThresholdKey, ciphertexts: Sequence[int], partial: PartialDecryption,
                  digest: str | None = None) -> Rejection | None:
    """None when ``partial`` is a correct partial decryption of ``ciphertexts`` by its holder;
    otherwise which check it fails. ``digest`` saves re-hashing the ciphertexts per holder."""
    index = partial.index
    if partial.key_id != key.key_id or not 1 <= index <= key.parties:
        return Rejection(index, KEY_CHECK)
    if partial.ciphertext_digest != (digest or ciphertext_digest(key, ciphertexts)):
        return Rejection(index, CIPHERTEXTS_CHECK)
    n = key.n
    if len(partial.partials) != len(ciphertexts) or not all(is_unit(x, n)
                                                            for x in partial.partials):
        return Rejection(index, FORMAT_CHECK)
    failed = failed_check(key, index, ciphertexts, partial.partials, partial.proof)
    return None if failed is None else Rejection(index, failed)
