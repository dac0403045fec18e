"""Where privacy noise gets its randomness: the operating system's CSPRNG, nothing else.

Every sampler takes an ``rng`` argument whose default is :class:`SystemRng` (``os.urandom`` /
``secrets``). The package has no seeded generator at all: the tests bring their own
(``tests/dp_test_rng.py``) through this ``rng`` argument, the only way a seed can reach a sampler.
"""

from __future__ import annotations

import os
import secrets
from typing import Protocol

import numpy as np


class Rng(Protocol):
    """A source of uniformly random bytes and integers."""

    def random_bytes(self, n: int) -> bytes: ...

    def randbelow(self, m: int) -> int: ...


class SystemRng:
    """The default: the OS CSPRNG (``os.urandom`` for batches, ``secrets`` for single integers)."""

    def random_bytes(self, n: int) -> bytes:
        return os.urandom(n)

    def randbelow(self, m: int) -> int:
        return secrets.randbelow(m)


def default_rng(rng: Rng | None) -> Rng:
    return rng if rng is not None else SystemRng()


def random_uint64(rng: Rng, n: int) -> np.ndarray:
    """``n`` independent uniform 64-bit words."""
    return np.frombuffer(rng.random_bytes(8 * n), dtype=np.uint64).copy() if n else np.empty(0, np.uint64)


def random_bits(rng: Rng, n: int) -> np.ndarray:
    """``n`` independent fair bits as a bool array."""
    raw = np.frombuffer(rng.random_bytes((n + 7) // 8), dtype=np.uint8)
    return np.unpackbits(raw)[:n].astype(bool)


def random_unit_floats(rng: Rng, n: int) -> np.ndarray:
    """Uniform floats in [0, 1) with 53 random bits (for non-DP perturbation only)."""
    return (random_uint64(rng, n) >> np.uint64(11)).astype(np.float64) * (1.0 / 2 ** 53)


def standard_normal(rng: Rng, n: int) -> np.ndarray:
    """Standard normal floats by Box–Muller from CSPRNG bits (non-DP perturbation only)."""
    m = (n + 1) // 2
    u1 = 1.0 - random_unit_floats(rng, m)          # (0, 1]
    u2 = random_unit_floats(rng, m)
    r = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)])
    return z[:n]
