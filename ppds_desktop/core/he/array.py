"""``EncryptedArray``: ciphertexts under one key and one packing layout, plus the bookkeeping
that keeps packed sums exact, and the vectorised homomorphic operations on them.

``additions`` is the bound on the total multiplier applied to any encoded value so far
(1 for fresh ciphertexts; adding arrays adds their bounds; a sum of N ciphertexts multiplies
by N; a weighted sum multiplies by ``sum |w|``). It must stay within ``layout.capacity``;
an operation that would pass it is refused before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Hashable, Sequence

import gmpy2
import phe

from ..errors import CryptoError
from ..progress import TaskState, ensure_task
from .encoding import Layout, unpack
from .keys import fingerprint


@dataclass
class EncryptedArray:
    public_key: phe.PaillierPublicKey
    layout: Layout
    ciphertexts: list
    additions: int = 1
    length: int | None = None       # number of packed values when this is one long vector
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.layout.check_fits(self.public_key.n)
        self._check_additions(self.additions)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def __len__(self) -> int:
        return len(self.ciphertexts)

    def _check_additions(self, additions: int) -> None:
        if additions > self.layout.capacity:
            raise CryptoError(
                f"This would add up {additions} values per slot, but the packing has headroom "
                f"for {self.layout.capacity}; nothing was computed. Encrypt with a larger "
                f"declared number of additions (sites × records).")

    def check_compatible(self, other: "EncryptedArray") -> None:
        if self.public_key.n != other.public_key.n:
            raise CryptoError(f"Ciphertexts under different keys cannot be combined "
                              f"({self.fingerprint} vs {other.fingerprint}).")
        if self.layout != other.layout:
            raise CryptoError("Ciphertexts with different scales or slot layouts cannot be combined.")

    @property
    def _n2(self):
        n = gmpy2.mpz(self.public_key.n)
        return n * n

    def derive(self, ciphertexts: list, additions: int, **changes) -> "EncryptedArray":
        self._check_additions(additions)
        return replace(self, ciphertexts=ciphertexts, additions=additions, **changes)

    # -- homomorphic operations ---------------------------------------------------------------
    def add(self, other: "EncryptedArray") -> "EncryptedArray":
        """Element-wise sum (e.g. two sites' vectors)."""
        self.check_compatible(other)
        if len(self) != len(other):
            raise CryptoError(f"Cannot add {len(self)} ciphertexts to {len(other)}.")
        additions = self.additions + other.additions
        self._check_additions(additions)
        n2 = self._n2
        return self.derive([a * b % n2 for a, b in zip(self.ciphertexts, other.ciphertexts)],
                           additions)

    def total(self, task: TaskState | None = None) -> "EncryptedArray":
        """One ciphertext holding the slot-wise sum of all ciphertexts."""
        return self.subset_sum(range(len(self)), task)

    def subset_sum(self, indices: Sequence[int], task: TaskState | None = None) -> "EncryptedArray":
        indices = list(indices)
        additions = len(indices) * self.additions
        self._check_additions(additions)
        task = ensure_task(task)
        n2 = self._n2
        acc = gmpy2.mpz(1)
        cs = self.ciphertexts
        for k, i in enumerate(indices):
            if k % 5000 == 0:
                task.report(k / max(len(indices), 1), "adding")
            acc = acc * cs[i] % n2
        return self.derive([acc], max(additions, 1), length=None)

    def grouped_sums(self, keys: Sequence[Hashable], task: TaskState | None = None
                     ) -> dict[Hashable, "EncryptedArray"]:
        """Slot-wise sums of the ciphertexts sharing a plaintext key; one result per key."""
        if len(keys) != len(self):
            raise CryptoError(f"{len(keys)} group keys for {len(self)} ciphertexts.")
        counts: dict = {}
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
        if counts:
            self._check_additions(max(counts.values()) * self.additions)
        task = ensure_task(task)
        n2 = self._n2
        acc: dict = {}
        for i, (k, c) in enumerate(zip(keys, self.ciphertexts)):
            if i % 5000 == 0:
                task.report(i / max(len(self), 1), "adding by group")
            prev = acc.get(k)
            acc[k] = c if prev is None else prev * c % n2
        return {k: self.derive([c], counts[k] * self.additions, length=None)
                for k, c in acc.items()}

    def weighted_sum(self, weights: Sequence[int]) -> "EncryptedArray":
        """``sum_i w_i * E(x_i)`` for plaintext integer weights (negative ones allowed)."""
        if len(weights) != len(self):
            raise CryptoError(f"{len(weights)} weights for {len(self)} ciphertexts.")
        additions = sum(abs(int(w)) for w in weights) * self.additions
        self._check_additions(additions)
        n2 = self._n2
        acc = gmpy2.mpz(1)
        for c, w in zip(self.ciphertexts, weights):
            w = int(w)
            if w > 0:
                acc = acc * gmpy2.powmod(c, w, n2) % n2
            elif w < 0:
                acc = acc * gmpy2.powmod(gmpy2.invert(c, n2), -w, n2) % n2
        return self.derive([acc], max(additions, 1), length=None)

    # -- decryption --------------------------------------------------------------------------
    def decrypt_slots(self, decryptor, task: TaskState | None = None) -> list[list[int]]:
        """Per ciphertext, the signed integer in each slot (still at the slot's scale)."""
        if decryptor.public_key.n != self.public_key.n:
            raise CryptoError(f"The private key does not match these ciphertexts "
                              f"(they are for key {self.fingerprint}).")
        return unpack(self.layout, decryptor.decrypt_raw(self.ciphertexts, task),
                      self.public_key.n)

    def decrypt_vector(self, decryptor, task: TaskState | None = None) -> list[float]:
        """The packed vector's values, in order, divided by the (uniform) scale."""
        rows = self.decrypt_slots(decryptor, task)
        flat = [v for row in rows for v in row]
        if self.length is not None:
            flat = flat[:self.length]
        scale = self.layout.slots[0].scale
        return [v / scale for v in flat]


def encrypt_vector(encryptor, values, *, scale: int, value_bits: int, max_additions: int,
                   task: TaskState | None = None) -> EncryptedArray:
    """Aggregate mode: a long vector packed as many values per plaintext as the key allows."""
    from .encoding import Slot, encode_fixed, pack_vector

    key_bits = encryptor.public_key.n.bit_length()
    per = Layout.slots_per_plaintext(key_bits, value_bits, max_additions)
    layout = Layout.uniform(per, value_bits, scale, max_additions)
    ints = encode_fixed(values, Slot("value", value_bits, scale))
    cts = encryptor.encrypt_ints(pack_vector(layout, ints), task)
    return EncryptedArray(encryptor.public_key, layout, cts, 1, length=len(ints))


def encrypt_rows(encryptor, layout: Layout, columns: Sequence[Sequence[int]],
                 task: TaskState | None = None) -> EncryptedArray:
    """Record mode: one ciphertext per row, slot j of each holding ``columns[j][row]``."""
    from .encoding import pack_columns

    layout.check_fits(encryptor.public_key.n)
    cts = encryptor.encrypt_ints(pack_columns(layout, columns), task)
    return EncryptedArray(encryptor.public_key, layout, cts, 1)
