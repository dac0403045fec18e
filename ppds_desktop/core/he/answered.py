"""The key holder's record of what it has answered over which records, against differencing.

Two cells that both pass the minimum-records rule can still differ by one patient: ``sum Billing
Amount`` and the same sum ``where Date of Admission != 2019-01-02``. So every answered cell is
kept (tables ``he_answered_cells`` / ``he_answered_rows``): per contribution (its signed
bundle's id) the set of row positions the cell covered, as a bitmap (``numpy.packbits``,
zlib-compressed: 100,000 rows take at most 12.5 kB, usually far less). A new cell answered
*exactly* is refused when it overlaps an earlier exact answer and the two differ by fewer than
the minimum number of records on either side (``0 < |A \\ B| < min`` or ``0 < |B \\ A| < min``).
A cell answered with differential-privacy noise is recorded but needs no such check: the noise,
paid from a budget, is what protects it, and an exact cell is not compared with noisy ones.

What this does not see: the same patients released again in another bundle (another id), and
differences built from three or more answers none of which differs from another by few records.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..clock import utc_now

if TYPE_CHECKING:
    from ..vault import Vault


@dataclass
class CellRows:
    """One cell's records: contribution key -> boolean mask over that contribution's rows."""
    masks: dict[str, np.ndarray]

    @classmethod
    def of(cls, members: dict[int, np.ndarray], contributions) -> "CellRows":
        masks = {}
        for i, rows in members.items():
            mask = np.zeros(len(contributions[i].frame), dtype=bool)
            mask[rows] = True
            masks[contributions[i].key] = mask
        return cls(masks)


def _pack(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask).tobytes(), 6)


def _unpack(blob: bytes, n_rows: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(zlib.decompress(blob), dtype=np.uint8))
    return bits[:n_rows].astype(bool)


def _differences(old: dict[str, np.ndarray], new: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """(|old ∖ new|, |new ∖ old|, |old ∩ new|) over all contributions."""
    only_old = only_new = both = 0
    for key in old.keys() | new.keys():
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and len(a) != len(b):
            b = None                           # another release under the same key: disjoint
        if a is None:
            only_new += int(b.sum())
        elif b is None:
            only_old += int(a.sum())
        else:
            only_old += int((a & ~b).sum())
            only_new += int((b & ~a).sum())
            both += int((a & b).sum())
    return only_old, only_new, both


def differencing_refusals(vault: Vault, cells: list[CellRows | None], min_records: int) -> dict[int, str]:
    """For each new cell (None: not answered), the reason it must be refused, if any, against
    every earlier exact answer sharing a contribution with it. Runs inside the answer's
    transaction, so two answers at once cannot both pass."""
    keys = sorted({k for c in cells if c is not None for k in c.masks})
    if not keys:
        return {}
    rows = vault.bundles.exact_answers_over(keys)
    earlier: dict[int, tuple[str, dict[str, np.ndarray]]] = {}
    for cell_id, when, key, n_rows, blob in rows:
        earlier.setdefault(cell_id, (when, {}))[1][key] = _unpack(blob, n_rows)
    refusals = {}
    for j, cell in enumerate(cells):
        if cell is None:
            continue
        for when, old in earlier.values():
            only_old, only_new, both = _differences(old, cell.masks)
            if both and (0 < only_old < min_records or 0 < only_new < min_records):
                few = min(n for n in (only_old, only_new) if n > 0)
                refusals[j] = (f"refused: differs by only {few} record(s) from a cell answered "
                               f"exactly on {when[:10]}, so the two together would reveal "
                               f"those records")
                break
    return refusals


def record_answers(vault: Vault, request_id: str, release_id: int | None,
                   cells: list[CellRows | None], records: list[int], noised: bool) -> None:
    """Remember the answered cells (in the answer's transaction)."""
    now = utc_now()
    for cell, n in zip(cells, records):
        if cell is None:
            continue
        vault.bundles.record_answered_cell(
            request_id, release_id, n, noised, now,
            [(key, len(mask), _pack(mask)) for key, mask in cell.masks.items()])
