"""Encrypted columns of a release: one ciphertext per record, packing every encrypted column's
value, its square (for variances) and a presence count (for counts and means) together.

The recipe's ``encryption`` section (schema: ``schemas/recipe-encryption.schema.json``) declares the columns, their
fixed-point scale and largest absolute value, the public key, and the total number of records
that may ever be added together (all sites' releases combined). These declarations fix the
slot layout, so every site encrypting with the same section produces combinable ciphertexts;
nothing about the layout is derived from the data. A missing value encrypts as value 0 with
count 0, so it is left out of sums, counts, means and variances alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import CryptoError, RecipeError
from ..progress import TaskState, ensure_task
from .array import EncryptedArray, encrypt_rows
from .encoding import Layout, Slot, encode_fixed, value_bits_for
from .encrypt import Encryptor
from .keys import public_key_to_dict

DEFAULT_MAX_ABS = 1_000_000
DEFAULT_SCALE = 100
DEFAULT_EXPECTED_RECORDS = 1_000_000


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    scale: int = DEFAULT_SCALE
    max_abs: float = DEFAULT_MAX_ABS

    @property
    def value_bits(self) -> int:
        return value_bits_for(self.max_abs, self.scale)


def column_specs(section: dict) -> list[ColumnSpec]:
    specs = []
    for i, item in enumerate(section.get("columns") or []):
        if isinstance(item, str):
            specs.append(ColumnSpec(item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            specs.append(ColumnSpec(item["name"], int(item.get("scale", DEFAULT_SCALE)),
                                    float(item.get("max_abs", DEFAULT_MAX_ABS))))
        else:
            raise RecipeError("each column is a name or {name, scale, max_abs}",
                              field=f"encryption.columns[{i}]")
    if not specs:
        raise RecipeError("name at least one column to encrypt", field="encryption.columns")
    if len({s.name for s in specs}) != len(specs):
        raise RecipeError("a column is listed twice", field="encryption.columns")
    return specs


def record_layout(specs: Sequence[ColumnSpec], expected_records: int, variance: bool = True
                  ) -> Layout:
    """Slots per record: for each column its value, its square (optional) and a count."""
    slots = []
    for s in specs:
        slots.append(Slot(s.name, s.value_bits, s.scale))
        if variance:
            slots.append(Slot(f"{s.name}^2", 2 * s.value_bits - 1, s.scale * s.scale))
        slots.append(Slot(f"{s.name}#n", 2, 1))
    return Layout.for_additions(slots, expected_records)


def layout_for_section(section: dict) -> Layout:
    return record_layout(column_specs(section),
                         int(section.get("expected_records", DEFAULT_EXPECTED_RECORDS)),
                         bool(section.get("variance", True)))


def encrypt_columns(df, section: dict, public_key, task: TaskState | None = None, *,
                    workers: int = 2) -> EncryptedArray:
    """Ciphertexts for ``df``'s encrypted columns, one per row, in row order."""
    task = ensure_task(task)
    specs = column_specs(section)
    layout = layout_for_section(section)
    layout.check_fits(public_key.n)
    missing = [s.name for s in specs if s.name not in df.columns]
    if missing:
        raise RecipeError(f"no such column(s): {', '.join(missing)}", field="encryption.columns")
    variance = bool(section.get("variance", True))
    cols: list[list[int]] = []
    for spec in specs:
        slot = Slot(spec.name, spec.value_bits, spec.scale)
        raw = df[spec.name]
        try:
            values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise CryptoError(f"Column {spec.name!r} is not numeric and cannot be encrypted.") from None
        present = ~np.isnan(values)
        ints = encode_fixed(np.where(present, values, 0.0), slot, what=spec.name)
        cols.append(ints)
        if variance:
            cols.append([v * v for v in ints])
        cols.append(present.astype(np.int64).tolist())
    task.report(0.02, "encrypting columns")
    with Encryptor(public_key, workers=workers) as enc:
        array = encrypt_rows(enc, layout, cols, task.sub(0.02, 1.0))
    array.meta = {"columns": [s.name for s in specs], "rows": int(len(df)), "variance": variance,
                  "public_key": public_key_to_dict(public_key)}
    return array


@dataclass
class ColumnStats:
    """Decrypted slot sums of one cell, and the statistics they give."""
    sum: float
    count: int
    sum_sq: float | None

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count else None

    @property
    def variance(self) -> float | None:
        """Sample variance (n - 1 denominator)."""
        if self.sum_sq is None or self.count < 2:
            return None
        return max(0.0, (self.sum_sq - self.sum * self.sum / self.count) / (self.count - 1))
