"""Functions run in worker processes for the randomizers; numbers in and out as bytes (the
safe-prime search's worker function is ``threshold.safe_primes.safe_prime_window``).

Each worker process keeps the table it was initialised with in this module's ``_STATE``
(per process, set by the pool initializer); nothing is pickled but ints and bytes.
"""

from __future__ import annotations

import os

import gmpy2

from .fixed_base import FixedBaseTable

_STATE: dict = {}


def init_randomizer(n_bytes: bytes, hs_bytes: bytes, alpha_bits: int, window: int) -> None:
    n = gmpy2.mpz(int.from_bytes(n_bytes, "big"))
    _STATE["width"] = 2 * len(n_bytes)
    _STATE["alpha_bits"] = alpha_bits
    _STATE["table"] = FixedBaseTable(int.from_bytes(hs_bytes, "big"), n * n, alpha_bits, window)


def random_exponent(bits: int) -> int:
    """Uniform in [0, 2^bits) from the OS CSPRNG (fork-safe, unlike a seeded generator)."""
    raw = int.from_bytes(os.urandom((bits + 7) // 8), "big")
    return raw >> ((8 - bits % 8) % 8)


def randomizers(count: int, with_exponents: bool = False) -> bytes:
    """``count`` randomizers, then (when asked) their exponents ``α``, fixed width each."""
    table, bits, width = _STATE["table"], _STATE["alpha_bits"], _STATE["width"]
    alphas = [random_exponent(bits) for _ in range(count)]
    out = b"".join(int(table.power(a)).to_bytes(width, "big") for a in alphas)
    if with_exponents:
        out += b"".join(a.to_bytes((bits + 7) // 8, "big") for a in alphas)
    return out

