"""``Π bᵢ^eᵢ mod m`` for many bases and short exponents (Pippenger's bucket method).

Used to check many ciphertexts at once through one random linear combination: with k bases and
b-bit exponents it costs about ``(b / w)·(k + 2^(w+1)) + b`` multiplications instead of the
``k·1.2·b`` of k separate powers, ~5× fewer for k = 350, b = 128.
"""

from __future__ import annotations

import math
from typing import Sequence

import gmpy2


def product_of_powers(bases: Sequence[int], exponents: Sequence[int], modulus: int) -> gmpy2.mpz:
    """``Π bases[i]^exponents[i] mod modulus`` for non-negative exponents."""
    if len(bases) != len(exponents):
        raise ValueError("one exponent per base")
    if any(e < 0 for e in exponents):
        raise ValueError("exponents must be non-negative")
    m = gmpy2.mpz(modulus)
    bs = [gmpy2.mpz(b) % m for b in bases]
    es = [int(e) for e in exponents]
    bits = max((e.bit_length() for e in es), default=0)
    if bits == 0:
        return gmpy2.mpz(1) % m
    window = max(1, min(16, int(math.log2(len(bs) + 1)) - 2))
    mask = (1 << window) - 1
    result = gmpy2.mpz(1)
    for shift in range((bits - 1) // window * window, -1, -window):
        for _ in range(window):
            result = result * result % m
        buckets: list = [None] * (mask + 1)
        for b, e in zip(bs, es):
            digit = (e >> shift) & mask
            if digit:
                held = buckets[digit]
                buckets[digit] = b if held is None else held * b % m
        running = acc = None         # Σ_d d·bucket[d] as running sums from the top digit down
        for digit in range(mask, 0, -1):
            held = buckets[digit]
            if held is not None:
                running = held if running is None else running * held % m
            if running is not None:
                acc = running if acc is None else acc * running % m
        if acc is not None:
            result = result * acc % m
    return result % m
