"""Fiat–Shamir transcripts: SHA-256 over domain-separated, length-prefixed fields.

Every field is written as ``len(label) ‖ label ‖ len(data) ‖ data`` (lengths as 8-byte
big-endian), after a first field carrying the domain, so no two different sequences of fields
hash the same and a hash made for one purpose is never valid for another. Integers go in as
fixed-width big-endian bytes (the width fixed by the key), lists with their count first.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Iterable


class Transcript:
    def __init__(self, domain: str):
        self._hash = hashlib.sha256()
        self.put("domain", domain.encode())

    def put(self, label: str, data: bytes) -> "Transcript":
        name = label.encode()
        self._hash.update(struct.pack(">Q", len(name)) + name + struct.pack(">Q", len(data)))
        self._hash.update(data)
        return self

    def put_int(self, label: str, value: int, width: int) -> "Transcript":
        return self.put(label, int(value).to_bytes(width, "big"))

    def put_ints(self, label: str, values: Iterable[int], width: int) -> "Transcript":
        values = list(values)
        self.put_int(label + " count", len(values), 8)
        self._hash.update(b"".join(int(v).to_bytes(width, "big") for v in values))
        return self

    def digest(self) -> bytes:
        return self._hash.copy().digest()


def derive_ints(seed: bytes, label: str, count: int, bits: int) -> list[int]:
    """``count`` independent ``bits``-bit integers from a transcript digest (SHA-256, counter
    mode; each output from its own length-prefixed hash input)."""
    per = (bits + 7) // 8
    out = []
    for i in range(count):
        block = b""
        j = 0
        while len(block) < per:
            block += Transcript(label).put("seed", seed).put_int("index", i, 8) \
                .put_int("block", j, 8).digest()
            j += 1
        out.append(int.from_bytes(block[:per], "big") >> (8 * per - bits))
    return out
