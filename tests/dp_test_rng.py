"""TEST HOOK ONLY: a deterministic ``Rng`` so that statistical tests cannot flake.

It lives in the tests, not in the package: the application has no way to seed privacy noise.
Anyone who knows the seed could subtract the noise, so never use it for a release.
"""

from __future__ import annotations

import hashlib
import os

import pytest


class SeededTestRng:
    """SHAKE-256 of (seed, counter) as the byte stream; integers by rejection from those bytes."""

    def __init__(self, seed: int | bytes):
        self._seed = seed if isinstance(seed, bytes) else int(seed).to_bytes(16, "big", signed=True)
        self._counter = 0

    def random_bytes(self, n: int) -> bytes:
        self._counter += 1
        return hashlib.shake_256(self._seed + self._counter.to_bytes(8, "big")).digest(n)

    def randbelow(self, m: int) -> int:
        if m <= 0:
            raise ValueError("randbelow needs a positive bound")
        nbytes = (m.bit_length() + 7) // 8 + 1
        span = 256 ** nbytes
        limit = span - span % m
        while True:
            x = int.from_bytes(self.random_bytes(nbytes), "big")
            if x < limit:
                return x % m


@pytest.fixture
def urandom_calls(monkeypatch) -> list[int]:
    """The sizes of the ``os.urandom`` reads the DP code makes during a test (the default
    generator must be the OS CSPRNG). Import it into a test module to use it."""
    calls: list[int] = []
    real = os.urandom

    def spy(n):
        calls.append(n)
        return real(n)

    monkeypatch.setattr("ppds_desktop.core.dp.rng.os.urandom", spy)
    return calls
