"""Decryption behind one interface, so a split-key decryptor can replace the single-key one.

Every consumer (services, tests, the benchmark) asks a :class:`Decryptor` for raw plaintexts in
``[0, n)`` and unpacks them with ``encoding.unpack``; nothing else touches the private key.
:class:`CRTDecryptor` wraps a ``phe.PaillierPrivateKey`` and decrypts by the Chinese remainder
theorem with ``p²``, ``q²`` and the ``h_p``, ``h_q`` constants precomputed once; each chunk's
exponentiations go through gmpy2's ``powmod_base_list`` (one exponent, many bases, outside the
GIL), so chunks run on ``workers`` threads with no process start-up and the key never leaves
this process.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import gmpy2
import phe

from ..errors import CryptoError
from ..progress import TaskState, ensure_task
from .pool import DEFAULT_WORKERS
from .threads import map_threads

CHUNK = 50                  # ciphertexts per thread job: ~0.3 s at 2048 bits, so Cancel is prompt


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
        hp, hq, p_inv = self.hp, self.hq, self.p_inv
        cs = [gmpy2.mpz(c) for c in ciphertexts]
        xps = gmpy2.powmod_base_list([c % psq for c in cs], self.p_1, psq)
        xqs = gmpy2.powmod_base_list([c % qsq for c in cs], self.q_1, qsq)
        out = []
        for xp, xq in zip(xps, xqs):
            mp = (xp - 1) // p * hp % p
            mq = (xq - 1) // q * hq % q
            out.append(mp + ((mq - mp) * p_inv % q) * p)
        return out


class CRTDecryptor:
    """Single-key decryption with a ``phe`` private key (the key holder can decrypt anything)."""

    def __init__(self, private_key: phe.PaillierPrivateKey, *, workers: int = DEFAULT_WORKERS):
        self.public_key = private_key.public_key
        self._params = CRTParams(private_key.p, private_key.q)
        self.workers = max(1, workers)

    def decrypt_raw(self, ciphertexts: Sequence[int], task: TaskState | None = None) -> list[int]:
        n2 = self._params.n * self._params.n
        if any(not (0 < int(c) < n2) for c in ciphertexts):
            raise CryptoError("A ciphertext is out of range for this key; it was not made "
                              "with the matching public key.")
        chunks = [ciphertexts[s:s + CHUNK] for s in range(0, len(ciphertexts), CHUNK)]
        out = [int(m) for part in map_threads(self._params.decrypt_many, chunks, self.workers,
                                              task, "decrypting") for m in part]
        ensure_task(task).report(1.0, "decrypted")
        return out
