"""Fast phe-compatible Paillier encryption (g = n + 1) with Damgård–Jurik–Nielsen randomness.

phe computes ``c = (1 + m n) r^n mod n²`` with a fresh ``r``: one full exponentiation per value.
Here the n-th power is moved into a fixed base: pick ``x`` at random, ``h = -x² mod n``,
``h_s = h^n mod n²`` (Damgård, Jurik, Nielsen, "A generalization of Paillier's public-key
system with applications to electronic voting", 2010, §4.2), and use ``r^n = h_s^α`` with ``α``
uniform of ``ceil(bits(n) / 2)`` bits, as published. ``h_s^α`` is itself an n-th power, so
the ciphertext is an ordinary Paillier ciphertext that ``phe`` decrypts. ``1 + m n`` costs one
multiplication, so the whole cost is the randomizer; it is computed with a fixed-base windowed
table (``fixed_base.py``): for a large batch in worker processes, in chunks, while this process
combines the randomizers with the plaintexts as they arrive; for a small one here, with a table
sized to the batch so the set-up never dominates.

``h_s`` is drawn per :class:`Encryptor` by the party encrypting (it is not part of the public
key, and nothing about it needs to be trusted by anyone else). phe's moduli need not be Blum
integers; ``c mod n = (h^α)^n mod n`` does not depend on ``m`` either way, so the subgroup ``h``
happens to generate leaks nothing about ``m`` through it; hiding ``m`` rests, as in DJN, on
decisional composite residuosity with ``h_s^α`` standing in for a random n-th power.

``short_exponent_bits`` is an explicitly labelled speed option: a shorter α rests on the
additional assumption that discrete logarithms with short exponents in the subgroup of n-th
powers are as hard as with full-length ones (the "short exponent" assumption DJN discuss);
it is never the default and must be at least 256 bits.
"""

from __future__ import annotations

import math
import secrets
from typing import Sequence

import gmpy2
import phe

from ..errors import CryptoError
from ..progress import TaskState, ensure_task
from . import workers as _w
from .fixed_base import (POWMOD_COST_PER_BIT, FixedBaseTable, best_window, default_window,
                         power_cost, table_cost)
from .keys import key_bytes
from .pool import DEFAULT_WORKERS, WorkerPool, usable_workers

CHUNK = 200                 # randomizers per worker job: ~50 ms at 2048 bits, so Cancel is prompt
PARALLEL_MIN_2048 = 3000    # ciphertexts: below this (at 2048 bits) one process is as fast as two
MIN_SHORT_EXPONENT = 256


def default_parallel_min(key_bits: int) -> int:
    """Batch size from which worker processes pay off.

    Workers cost a fixed ~0.4 s to start (more when the machine is busy) and then split the
    work in two; in-process the table and the powers cost the same per item. The per-item cost
    grows with the square of the key size while the start-up does not.
    """
    return int(PARALLEL_MIN_2048 * (2048 / key_bits) ** 2)


def randomizer_base(n: int) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """``h = -x² mod n`` for a uniformly random unit ``x``, and ``h_s = h^n mod n²``."""
    n = gmpy2.mpz(n)
    while True:
        x = gmpy2.mpz(secrets.randbelow(int(n) - 2) + 2)
        if gmpy2.gcd(x, n) == 1:
            break
    h = (-x * x) % n
    return h, gmpy2.powmod(h, n, n * n)


class Encryptor:
    """Encrypts many plaintexts under one public key. Use as a context manager (owns workers).

    A batch of at least ``parallel_min`` values goes to ``workers`` processes (each building a
    table once, sized to its share of that batch); a smaller one is done here with a table sized to the batch
    (kept for the next batch when it is still the cheaper choice), or with plain ``powmod``.
    When worker processes cannot start (``python -``), everything is done here.
    """

    def __init__(self, public_key: phe.PaillierPublicKey, *, workers: int = DEFAULT_WORKERS,
                 short_exponent_bits: int | None = None, parallel_min: int | None = None):
        self.public_key = public_key
        self.n = gmpy2.mpz(public_key.n)
        self.nsquare = self.n * self.n
        full = math.ceil(self.n.bit_length() / 2)
        if short_exponent_bits is not None and not (MIN_SHORT_EXPONENT <= short_exponent_bits <= full):
            raise CryptoError(f"A short randomizer exponent must have {MIN_SHORT_EXPONENT}.."
                              f"{full} bits; {short_exponent_bits} was asked.")
        self.alpha_bits = short_exponent_bits or full
        self.workers = usable_workers(workers)
        self.parallel_min = (default_parallel_min(self.n.bit_length()) if parallel_min is None
                             else parallel_min)
        self._h, self._hs = randomizer_base(self.n)
        self._table: FixedBaseTable | None = None
        self._pool: WorkerPool | None = None

    # -- randomizers -------------------------------------------------------------------------
    @property
    def table(self) -> FixedBaseTable | None:
        """The in-process table (None until an in-process batch wanted one)."""
        return self._table

    def _table_for(self, count: int) -> FixedBaseTable | None:
        """The cheapest way to make ``count`` randomizers here: the kept table, a new one, or
        none (plain ``powmod``)."""
        bits = self.alpha_bits
        window = best_window(bits, count)
        fresh = (table_cost(bits, window) + count * power_cost(bits, window) if window
                 else count * bits * POWMOD_COST_PER_BIT)
        kept = self._table
        if kept is not None and count * power_cost(bits, kept.window) <= fresh:
            return kept
        if window is None:
            return None
        self._table = FixedBaseTable(self._hs, self.nsquare, bits, window)
        return self._table

    def _local_randomizers(self, count: int, table: FixedBaseTable | None,
                           exponents: list | None) -> list[gmpy2.mpz]:
        alphas = [_w.random_exponent(self.alpha_bits) for _ in range(count)]
        if exponents is not None:
            exponents.extend(alphas)
        if table is None:
            return [gmpy2.powmod(self._hs, a, self.nsquare) for a in alphas]
        return [table.power(a) for a in alphas]

    def _worker_pool(self, count: int) -> WorkerPool:
        """Workers (started once per Encryptor), each with a table sized to its share of the
        first batch, capped at :func:`default_window`."""
        if self._pool is None:
            per_worker = math.ceil(count / self.workers)
            window = min(best_window(self.alpha_bits, per_worker) or 1,
                         default_window(self.nsquare.bit_length()))
            nb = key_bytes(self.public_key)
            self._pool = WorkerPool(self.workers, _w.init_randomizer,
                                    (int(self.n).to_bytes(nb, "big"),
                                     int(self._hs).to_bytes(2 * nb, "big"),
                                     self.alpha_bits, window))
        return self._pool

    # -- encryption --------------------------------------------------------------------------
    @property
    def randomizer_root(self) -> gmpy2.mpz:
        """``h``: every randomizer is ``h_s^α = (h^α)^n``, so ``h^α mod n`` is the ``r`` of
        ``c = (1 + m·n)·r^n`` (what a proof of plaintext knowledge needs, with the ``α``s
        that :meth:`encrypt_ints` lists on request). Never published."""
        return self._h

    def encrypt_ints(self, plaintexts: Sequence[int], task: TaskState | None = None, *,
                     exponents: list | None = None) -> list[gmpy2.mpz]:
        """Ciphertexts of signed integers (taken mod n), in order; ``|m|`` must be < n/2.
        ``exponents``, if given, receives each ciphertext's randomizer exponent ``α``, in
        order (for ``plaintext_proof``)."""
        task = ensure_task(task)
        n, n2 = self.n, self.nsquare
        half = n // 2
        if any(abs(int(m)) > half for m in plaintexts):
            raise CryptoError("A plaintext is too large for this key; nothing was encrypted.")
        ms = [gmpy2.mpz(m) % n for m in plaintexts]
        count = len(ms)
        out: list = [None] * count
        if self.workers <= 1 or count < self.parallel_min:
            table = self._table_for(count)
            for start in range(0, count, CHUNK):
                task.report(start / max(count, 1), "encrypting")
                part = ms[start:start + CHUNK]
                for i, (m, r) in enumerate(zip(part, self._local_randomizers(len(part), table,
                                                                              exponents))):
                    out[start + i] = (1 + m * n) * r % n2
            task.report(1.0, "encrypted")
            return out
        width = 2 * key_bytes(self.public_key)
        alpha_width = (self.alpha_bits + 7) // 8
        keep = exponents is not None
        jobs = [(min(CHUNK, count - s), keep) for s in range(0, count, CHUNK)]
        filled = 0
        for _index, blob in self._worker_pool(count).run(_w.randomizers, jobs, task, "encrypting"):
            # Randomizers are independent and identically distributed: use them in arrival order.
            size = len(blob) // (width + alpha_width) if keep else len(blob) // width
            for k in range(size):
                r = gmpy2.mpz(int.from_bytes(blob[k * width:(k + 1) * width], "big"))
                out[filled] = (1 + ms[filled] * n) * r % n2
                filled += 1
            if keep:
                base = size * width
                exponents.extend(int.from_bytes(blob[base + k * alpha_width:
                                                     base + (k + 1) * alpha_width], "big")
                                 for k in range(size))
        task.report(1.0, "encrypted")
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> "Encryptor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
