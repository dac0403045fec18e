"""Fixed-base windowed exponentiation: ``base^e mod m`` for many random ``e`` with one base.

The exponent is cut into ``w``-bit digits; row ``i`` of the table holds ``base^(d * 2^(w*i))`` for
every digit ``d``, so a power costs one modular multiplication per non-zero digit and no
squarings. The table belongs to one (base, modulus) pair, i.e. to one key and one randomizer
base, and lives in memory only.

A table only pays for itself over enough powers: :func:`best_window` picks the width for a batch
(or none at all) from the cost in modular multiplications, so a small batch does not spend half
a second building a table it barely uses.
"""

from __future__ import annotations

import math

import gmpy2


def default_window(modulus_bits: int) -> int:
    """Window width giving a table build of roughly a second at 2048/3072-bit keys.

    Build cost is ``ceil(e_bits / w) * (2^w - 1)`` multiplications mod n²; w = 10 is ~0.5 s and
    ~55 MB at 2048 bits (~1.4 s, ~125 MB at 3072); small test keys use narrow windows.
    """
    return 10 if modulus_bits >= 4000 else 6


# gmpy2.powmod costs about one modular multiplication per exponent bit (measured at 2048-bit
# keys: a 1024-bit exponent mod n² takes as long as ~1,030 multiplications mod n² from Python).
POWMOD_COST_PER_BIT = 1.0
MAX_WINDOW = 12


def table_cost(exponent_bits: int, window: int) -> int:
    """Multiplications to build the table."""
    return math.ceil(exponent_bits / window) * ((1 << window) - 1)


def power_cost(exponent_bits: int, window: int) -> float:
    """Expected multiplications per power with the table (one per non-zero digit)."""
    return math.ceil(exponent_bits / window) * (1 - 2.0 ** -window)


def best_window(exponent_bits: int, count: int, max_window: int = MAX_WINDOW) -> int | None:
    """The table width that makes ``count`` powers cheapest, or None when plain ``powmod`` is."""
    plain = count * exponent_bits * POWMOD_COST_PER_BIT
    costs = {w: table_cost(exponent_bits, w) + count * power_cost(exponent_bits, w)
             for w in range(1, max_window + 1)}
    window = min(costs, key=costs.get)
    return window if costs[window] < plain else None


class FixedBaseTable:
    def __init__(self, base: int, modulus: int, exponent_bits: int, window: int):
        self.modulus = gmpy2.mpz(modulus)
        self.window = window
        self.exponent_bits = exponent_bits
        mod = self.modulus
        rows = []
        b = gmpy2.mpz(base) % mod
        for i in range(math.ceil(exponent_bits / window)):
            digits = min(1 << window, 1 << (exponent_bits - i * window))
            row = [gmpy2.mpz(1), b]
            x = b
            for _ in range(2, digits):
                x = x * b % mod
                row.append(x)
            rows.append(row)
            b = x * b % mod   # base^(2^(w*(i+1)))
        self.rows = rows

    def power(self, exponent: int) -> gmpy2.mpz:
        mod, w = self.modulus, self.window
        mask = (1 << w) - 1
        acc = None
        e = int(exponent)
        for row in self.rows:
            d = e & mask
            if d:
                acc = row[d] if acc is None else acc * row[d] % mod
            e >>= w
        if e:
            raise ValueError("exponent longer than the table")
        return gmpy2.mpz(1) if acc is None else acc
