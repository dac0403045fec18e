"""Safe primes ``p = 2p' + 1`` for the threshold key, found fast.

A window of ``WINDOW`` candidates ``p' ≡ 5 (mod 6)`` (so neither ``p'`` nor ``2p' + 1`` is
divisible by 2 or 3) starts at a random ``p'`` with its top two bits set, so that two such
primes of ``bits/2`` bits give an ``n`` of exactly ``bits`` bits. A sieve by every prime
``ℓ < SIEVE_LIMIT`` strikes out ``p' ≡ 0`` and ``p' ≡ (ℓ − 1)/2 (mod ℓ)`` (the second makes
``2p' + 1 ≡ 0``), leaving ~2 % of the window. Each survivor gets a base-2 Fermat test on ``p'``
(nearly all fail there, at ~0.2 ms each for 1024-bit primes), then one on ``p``: when ``p'`` is
prime, Pocklington's criterion (``p − 1 = 2p'``, ``p' > √p``, ``2^(p−1) ≡ 1 (mod p)``,
``gcd(2² − 1, p) = 1``) proves ``p`` prime. The dealer then confirms ``p'`` and ``p`` with
gmpy2's ``is_prime`` (GMP: Baillie–PSW plus random-base Miller–Rabin rounds).

About 1,800 survivors per 1024-bit safe prime, ~0.6 s on one core; the two primes of a key are
searched in the engine's two worker processes (windows handed out until both are found).
"""

from __future__ import annotations

import itertools
import secrets
from functools import lru_cache

import gmpy2
import numpy as np

from ...errors import CryptoError
from ...progress import TaskState, ensure_task
from ..pool import WorkerPool, usable_workers

SIEVE_LIMIT = 1 << 16
WINDOW = 50_000                   # candidates per job: ~0.25 s at 1024 bits, so Cancel is prompt
MIN_BITS = 40
MILLER_RABIN_ROUNDS = 32


@lru_cache(maxsize=1)
def _sieve_primes() -> tuple[tuple[int, int, int], ...]:
    """``(ℓ, 6⁻¹ mod ℓ, (ℓ − 1)/2)`` for the primes 5 ≤ ℓ < SIEVE_LIMIT."""
    flags = np.ones(SIEVE_LIMIT, dtype=bool)
    flags[:2] = False
    for i in range(2, int(SIEVE_LIMIT ** 0.5) + 1):
        if flags[i]:
            flags[i * i::i] = False
    return tuple((int(l), pow(6, -1, int(l)), (int(l) - 1) // 2)
                 for l in np.flatnonzero(flags) if l >= 5)


def search_window(bits: int) -> gmpy2.mpz | None:
    """``p'`` of a safe prime ``p = 2p' + 1`` of ``bits`` bits (top two bits set), or None when
    this window has none."""
    if bits < MIN_BITS:
        raise CryptoError(f"Safe primes of {bits} bits are too small; at least {MIN_BITS}.")
    top = gmpy2.mpz(1) << (bits - 1)              # p' < 2^(bits-1); p' ≥ 3·2^(bits-3)
    start = gmpy2.mpz(secrets.randbits(bits - 1)) | (gmpy2.mpz(3) << (bits - 3))
    if start + 6 * WINDOW >= top:
        start -= 6 * WINDOW
    start += (5 - start) % 6
    alive = np.ones(WINDOW, dtype=bool)
    for ell, inv6, half in _sieve_primes():       # candidate k is p' = start + 6k
        r = int(start % ell)
        alive[(-r * inv6) % ell::ell] = False           # ℓ | p'
        alive[((half - r) * inv6) % ell::ell] = False   # ℓ | 2p' + 1
    two = gmpy2.mpz(2)
    for k in np.flatnonzero(alive):
        pp = start + 6 * int(k)
        if gmpy2.powmod(two, pp - 1, pp) != 1:
            continue
        p = 2 * pp + 1
        if gmpy2.powmod(two, p - 1, p) == 1:
            return pp
    return None



def safe_prime_window(bits: int) -> bytes:
    """One sieved window, run in a worker process: ``p'`` as bytes, or ``b""`` if none (only
    ints and bytes cross the process boundary)."""
    found = search_window(bits)
    return b"" if found is None else int(found).to_bytes((bits + 7) // 8, "big")

def is_safe_prime(p: int) -> bool:
    p = gmpy2.mpz(p)
    return (p > 7 and p % 4 == 3 and gmpy2.is_prime(p, MILLER_RABIN_ROUNDS)
            and gmpy2.is_prime((p - 1) // 2, MILLER_RABIN_ROUNDS))


def expected_windows(bits: int) -> float:
    """Average windows searched per safe prime (measured: ~1.8 at 1024 bits; the density of
    survivors that are safe primes falls with the square of the size)."""
    return 1.8 * (bits / 1024) ** 2


def safe_prime_pair(key_bits: int, *, workers: int = 2, task: TaskState | None = None
                    ) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """Two distinct safe primes of ``key_bits/2`` bits each whose product has ``key_bits`` bits.

    Progress is an estimate (the search is random); Cancel is honoured between windows.
    """
    task = ensure_task(task)
    bits = key_bits // 2
    expected = 2 * expected_windows(bits)
    found: list = []
    windows = 0

    def note(result) -> bool:
        nonlocal windows
        windows += 1
        if result is not None and result not in found:
            found.append(result)
        task.report(max(len(found) / 2, 1 - 0.5 ** (windows / expected)),
                    f"searching for safe primes ({len(found)} of 2 found)")
        return len(found) == 2

    workers = usable_workers(workers)
    if workers <= 1:
        while not note(search_window(bits)):
            pass
    else:
        pool = WorkerPool(workers)
        try:
            for _index, blob in pool.run(safe_prime_window, itertools.repeat((bits,)), task):
                if note(gmpy2.mpz(int.from_bytes(blob, "big")) if blob else None):
                    break
        finally:
            pool.close()
    return 2 * found[0] + 1, 2 * found[1] + 1
