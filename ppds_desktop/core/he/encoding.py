"""Fixed-point encoding and packing of several signed values into one Paillier plaintext.

A value ``x`` with scale ``s`` is encoded as the integer ``v = round(x * s)``. A *layout* lists
the slots of one plaintext, lowest first; slot ``j`` holds a signed integer ``v_j`` with
``|v_j| < 2^(value_bits_j - 1)`` and is ``width_j = value_bits_j + headroom_bits`` wide. The
packed plaintext is the signed integer

    M = sum_j v_j * 2^(offset_j)        taken mod n for encryption,

so adding ciphertexts adds every slot at once, and multiplying by a plaintext weight scales every
slot. Negative values need no offset: unpacking first maps the raw plaintext into (-n/2, n/2),
then peels slots from the lowest with *balanced* remainders (a slot's bits above its sign are a
borrow from the next slot). This is exact while every slot's running sum stays inside
``±2^(width_j - 1)``, which holds for up to ``2^headroom_bits`` additions of encoded values
(more generally: a total multiplier ``sum |w_i| <= capacity``). The ciphertext container tracks
that multiplier and refuses to go past the capacity, so overflow is refused, never wrapped.
A leftover after the top slot means the plaintext did not come from this layout; it is refused.

Documented unpacking for a third party holding ``phe.PaillierPrivateKey`` ``sk``:
``M = sk.raw_decrypt(c); if M > n // 2: M -= n``; then for each slot ``j`` in order:
``r = M mod 2^w_j; if r >= 2^(w_j-1): r -= 2^w_j; v_j = r; M = (M - r) >> w_j``; ``x_j = v_j / s_j``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..errors import CryptoError

MAX_SLOT_BITS = 512


@dataclass(frozen=True)
class Slot:
    name: str
    value_bits: int          # |encoded value| < 2^(value_bits - 1)
    scale: int = 1           # encoded = round(value * scale)

    @property
    def bound(self) -> int:
        return 1 << (self.value_bits - 1)


@dataclass(frozen=True)
class Layout:
    """The slots of one plaintext and the headroom shared by all of them."""

    slots: tuple[Slot, ...]
    headroom_bits: int

    def __post_init__(self):
        if not self.slots:
            raise CryptoError("A packing layout needs at least one slot.")
        if self.headroom_bits < 0 or self.headroom_bits > 64:
            raise CryptoError(f"Headroom of {self.headroom_bits} bits is out of range (0..64).")
        for slot in self.slots:
            if not (2 <= slot.value_bits <= MAX_SLOT_BITS) or slot.scale < 1:
                raise CryptoError(f"Slot {slot.name!r}: value bits must be 2..{MAX_SLOT_BITS} "
                                  f"and scale a positive integer.")

    @classmethod
    def for_additions(cls, slots: Sequence[Slot], max_additions: int) -> "Layout":
        """Enough headroom for ``max_additions`` encoded values to be summed in every slot."""
        return cls(tuple(slots), _headroom_bits(max_additions))

    @classmethod
    def uniform(cls, count: int, value_bits: int, scale: int, max_additions: int) -> "Layout":
        return cls.for_additions([Slot(f"v{i}", value_bits, scale) for i in range(count)],
                                 max_additions)

    @property
    def capacity(self) -> int:
        """The largest total multiplier (number of additions) the slots can absorb exactly."""
        return 1 << self.headroom_bits

    @property
    def widths(self) -> list[int]:
        return [s.value_bits + self.headroom_bits for s in self.slots]

    @property
    def total_bits(self) -> int:
        return sum(self.widths)

    def check_fits(self, n: int) -> None:
        if self.total_bits > n.bit_length() - 2:
            raise CryptoError(f"The packing layout needs {self.total_bits} bits but a "
                              f"{n.bit_length()}-bit key holds at most {n.bit_length() - 2}.")

    def to_dict(self) -> dict:
        return {"headroom_bits": self.headroom_bits,
                "slots": [[s.name, s.value_bits, s.scale] for s in self.slots]}

    @classmethod
    def from_dict(cls, data: dict) -> "Layout":
        try:
            return cls(tuple(Slot(str(a), int(b), int(c)) for a, b, c in data["slots"]),
                       int(data["headroom_bits"]))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise CryptoError(f"Malformed packing layout ({exc.__class__.__name__}).") from None

    @staticmethod
    def slots_per_plaintext(key_bits: int, value_bits: int, max_additions: int) -> int:
        width = value_bits + _headroom_bits(max_additions)
        return max(1, (key_bits - 2) // width)


def _headroom_bits(max_additions: int) -> int:
    """Bits above a slot's value that absorb ``max_additions`` summed values."""
    if max_additions < 1:
        raise CryptoError("The declared number of additions must be at least 1.")
    return max(0, math.ceil(math.log2(max_additions)))


def value_bits_for(max_abs: float, scale: int) -> int:
    """Bits a slot needs so that values up to ``max_abs`` (at ``scale``) pass the range check."""
    return max(2, int(round(abs(max_abs) * scale)).bit_length() + 1)


def encode_fixed(values: Iterable[float] | np.ndarray, slot: Slot, *, what: str = "") -> list[int]:
    """Round to the slot's fixed-point grid and check the range; names the slot, never values."""
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise CryptoError(f"Column {what or slot.name!r} has missing or infinite values; "
                          f"fill or drop them before encryption.")
    scaled = np.rint(arr * slot.scale)
    limit = float(slot.bound - 1)
    bad = int(np.count_nonzero(np.abs(scaled) > limit))
    if bad:
        raise CryptoError(f"{bad} value(s) of {what or slot.name!r} are outside the declared range "
                          f"(|value| < {limit / slot.scale:g} at scale {slot.scale}); "
                          f"nothing was encrypted.")
    if slot.bound < 2 ** 52:
        return scaled.astype(np.int64).tolist()
    return [int(x) for x in scaled]


def check_ints(values: Sequence[int], slot: Slot) -> None:
    limit = slot.bound
    if any(abs(v) >= limit for v in values):
        raise CryptoError(f"Slot {slot.name!r}: an encoded value is outside ±{limit - 1}; "
                          f"nothing was encrypted.")


def pack_columns(layout: Layout, columns: Sequence[Sequence[int]]) -> list[int]:
    """One signed packed plaintext per row; ``columns[j]`` holds slot j's encoded integers."""
    if len(columns) != len(layout.slots):
        raise CryptoError(f"The layout has {len(layout.slots)} slots but "
                          f"{len(columns)} columns were given.")
    for col, slot in zip(columns, layout.slots):
        check_ints(col, slot)
    offsets = slot_offsets(layout)
    rows = len(columns[0]) if columns else 0
    packed = [0] * rows
    for col, off in zip(columns, offsets):
        if off == 0:
            packed = [int(v) for v in col]
        else:
            packed = [m + (int(v) << off) for m, v in zip(packed, col)]
    return packed


def pack_vector(layout: Layout, values: Sequence[int]) -> list[int]:
    """Pack a long vector of encoded integers, ``len(layout.slots)`` per plaintext, in order."""
    k = len(layout.slots)
    if len({(s.value_bits, s.scale) for s in layout.slots}) != 1:
        raise CryptoError("A packed vector needs a layout whose slots are all alike.")
    check_ints(values, layout.slots[0])
    offsets = slot_offsets(layout)
    out = []
    for start in range(0, len(values), k):
        m = 0
        for v, off in zip(values[start:start + k], offsets):
            m += int(v) << off
        out.append(m)
    return out


def unpack(layout: Layout, plaintexts: Iterable[int], n: int) -> list[list[int]]:
    """Signed slot values of each raw plaintext in [0, n); refuses leftovers (overflow)."""
    widths = layout.widths
    half = n // 2
    out = []
    for raw in plaintexts:
        m = int(raw)
        if m > half:
            m -= n
        row = []
        for w in widths:
            r = m & ((1 << w) - 1)
            if r >> (w - 1):
                r -= 1 << w
            row.append(r)
            m = (m - r) >> w
        if m != 0:
            raise CryptoError("A decrypted value does not fit its packing layout: it overflowed "
                              "or was encrypted with a different layout.")
        out.append(row)
    return out


def slot_offsets(layout: Layout) -> list[int]:
    offsets, acc = [], 0
    for w in layout.widths:
        offsets.append(acc)
        acc += w
    return offsets
