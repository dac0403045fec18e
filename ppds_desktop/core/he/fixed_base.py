"""Fixed-base windowed exponentiation: ``base^e mod m`` for many random ``e`` with one base.

The exponent is cut into ``w``-bit digits; row ``i`` of the table holds ``base^(d * 2^(w*i))`` for
every digit ``d``, so a power costs one modular multiplication per non-zero digit and no
squarings. The table belongs to one (base, modulus) pair, i.e. to one key and one randomizer
base, and lives in memory only.
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
