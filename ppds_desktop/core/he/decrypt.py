"""Decryption behind one interface, so a split-key decryptor can replace the single-key one.

Every consumer (services, tests, the benchmark) asks a :class:`Decryptor` for raw plaintexts in
``[0, n)`` and unpacks them with ``encoding.unpack``; nothing else touches the private key.
:class:`CRTDecryptor` wraps a ``phe.PaillierPrivateKey`` and decrypts by the Chinese remainder
theorem with ``p²``, ``q²`` and the ``h_p``, ``h_q`` constants precomputed once, optionally in
worker processes for large batches.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import gmpy2
import phe

from ..errors import CryptoError
from ..progress import TaskState, ensure_task
from . import workers as _w
from .keys import key_bytes
from .pool import WorkerPool, usable_workers

PARALLEL_MIN = 200
CHUNK = 100


@runtime_checkable
class Decryptor(Protocol):
    public_key: phe.PaillierPublicKey

    def decrypt_raw(self, ciphertexts: Sequence[int], task: TaskState | None = None) -> list[int]:
        """Raw Paillier plaintexts in [0, n), in order."""
        ...


class CRTParams:
    """Per-key constants for CRT decryption (g = n + 1), computed once."""

    def __init__(self, p: int, q: int):
        if p == q:
            raise CryptoError("Invalid Paillier private key (p = q).")
        if q < p:
            p, q = q, p
        self.p, self.q = gmpy2.mpz(p), gmpy2.mpz(q)
        self.n = self.p * self.q
        self.psq, self.qsq = self.p * self.p, self.q * self.q
        self.p_1, self.q_1 = self.p - 1, self.q - 1
        self.hp = self._h(self.p, self.psq)
        self.hq = self._h(self.q, self.qsq)
        self.p_inv = gmpy2.invert(self.p, self.q)

    def _h(self, x, xsq):
        # L_x(g^(x-1) mod x²)^-1 mod x, with g = n + 1
        lx = (gmpy2.powmod(self.n + 1, x - 1, xsq) - 1) // x
        return gmpy2.invert(lx, x)

    def decrypt_many(self, ciphertexts: Sequence[int]) -> list[gmpy2.mpz]:
        p, q, psq, qsq = self.p, self.q, self.psq, self.qsq
        p_1, q_1, hp, hq, p_inv = self.p_1, self.q_1, self.hp, self.hq, self.p_inv
        out = []
        for c in ciphertexts:
            c = gmpy2.mpz(c)
            mp = (gmpy2.powmod(c % psq, p_1, psq) - 1) // p * hp % p
            mq = (gmpy2.powmod(c % qsq, q_1, qsq) - 1) // q * hq % q
            out.append(mp + ((mq - mp) * p_inv % q) * p)
        return out


class CRTDecryptor:
    """Single-key decryption with a ``phe`` private key (the key holder can decrypt anything)."""

    def __init__(self, private_key: phe.PaillierPrivateKey, *, workers: int = 1):
        self.public_key = private_key.public_key
        self._params = CRTParams(private_key.p, private_key.q)
        self._pq = (int(private_key.p), int(private_key.q))
        self.workers = usable_workers(workers)

    def decrypt_raw(self, ciphertexts: Sequence[int], task: TaskState | None = None) -> list[int]:
        task = ensure_task(task)
        n2 = self._params.n * self._params.n
        if any(not (0 < int(c) < n2) for c in ciphertexts):
            raise CryptoError("A ciphertext is out of range for this key; it was not made "
                              "with the matching public key.")
        count = len(ciphertexts)
        if self.workers <= 1 or count < PARALLEL_MIN:
            out = []
            for start in range(0, count, CHUNK):
                task.report(start / max(count, 1), "decrypting")
                out.extend(int(m) for m in self._params.decrypt_many(ciphertexts[start:start + CHUNK]))
            task.report(1.0, "decrypted")
            return out
        return self._parallel(ciphertexts, task)

    def _parallel(self, ciphertexts: Sequence[int], task: TaskState) -> list[int]:
        nb = key_bytes(self.public_key)
        width = 2 * nb
        half = (max(self._pq).bit_length() + 7) // 8
        jobs = [(b"".join(int(c).to_bytes(width, "big") for c in ciphertexts[s:s + CHUNK]), width)
                for s in range(0, len(ciphertexts), CHUNK)]
        pool = WorkerPool(self.workers, _w.init_decryptor,
                          tuple(x.to_bytes(half, "big") for x in self._pq))
        out: list = [None] * len(jobs)
        try:
            for index, blob in pool.run(_w.decrypt_chunk, jobs, task, "decrypting"):
                out[index] = [int.from_bytes(blob[i:i + nb], "big") for i in range(0, len(blob), nb)]
        finally:
            pool.close()
        task.report(1.0, "decrypted")
        return [m for part in out for m in part]
