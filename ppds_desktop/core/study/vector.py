"""A site's statistics vector as Paillier ciphertexts: its shape, encryption and decryption.

The statistics layer (``statistics.py``) turns a site's data into one vector of signed integers
(counts, sums and sums of products at fixed scales, with the site's noise share added) and
says how wide each value may grow once every site's vector is added (``layout_for``). Here the
vector is packed ``len(layout.slots)`` values per plaintext, lowest slot first, every
plaintext with the same layout, and encrypted with the fast ``Encryptor``; the study's
``VectorShape`` (layout and length) is fixed by the study definition, so every contribution of
a study is combinable and a contribution of another shape is refused by its ``schema`` id.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Sequence

from ..he.array import EncryptedArray
from ..he.encoding import Layout, pack_vector, unpack
from ..progress import TaskState, ensure_task
from .errors import StudyError


@dataclass(frozen=True)
class VectorShape:
    layout: Layout
    length: int

    @property
    def per_ciphertext(self) -> int:
        return len(self.layout.slots)

    @property
    def count(self) -> int:
        """Ciphertexts per contribution."""
        return math.ceil(self.length / self.per_ciphertext)

    def schema_id(self, study_hash: str) -> str:
        """Names the study and this exact layout (what a contribution declares)."""
        body = json.dumps({"study": study_hash, "layout": self.layout.to_dict(),
                           "length": self.length}, sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()


def pack(shape: VectorShape, values: Sequence[int]) -> list[int]:
    """Signed packed plaintexts: slot ``j`` of plaintext ``c`` holds ``values[c·k + j]``."""
    if len(values) != shape.length:
        raise StudyError(f"The statistics vector has {len(values)} values; the study's layout "
                         f"expects {shape.length}.")
    return pack_vector(shape.layout, values)


def encrypt(encryptor, shape: VectorShape, plaintexts: Sequence[int],
            task: TaskState | None = None, *, exponents: list | None = None) -> EncryptedArray:
    """The contribution's ciphertexts (``plaintexts`` packed, and masked if the study says so);
    ``exponents`` receives the randomizers' exponents (for the proof of knowledge)."""
    task = ensure_task(task)
    shape.layout.check_fits(encryptor.public_key.n)
    cts = encryptor.encrypt_ints(list(plaintexts), task, exponents=exponents)
    return EncryptedArray(encryptor.public_key, shape.layout, cts, 1, length=shape.length)


def values_of(shape: VectorShape, plaintexts: Sequence[int], n: int) -> list[int]:
    """The summed vector from the decrypted plaintexts (raw, in [0, n))."""
    rows = unpack(shape.layout, plaintexts, n)
    return [v for row in rows for v in row][:shape.length]
