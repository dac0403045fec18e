"""The key holder's record of what it has answered over which records, against differencing.

Two cells that both pass the minimum-records rule can still differ by one patient: ``sum Billing
Amount`` and the same sum ``where Date of Admission != 2019-01-02``. So every cell decided
*exactly* is kept (tables ``he_answered_cells`` / ``he_answered_rows``): per contribution (its
signed bundle's id) the set of row positions the cell covered, as a bitmap (``numpy.packbits``,
zlib-compressed: 100,000 rows take at most 12.5 kB, usually far less), and how many of its
records lacked a value of an asked column (``missing``). A new exact cell is refused when it
overlaps an earlier one and the two differ by fewer than the minimum number of records on
either side (``0 < |A \\ B| < min`` or ``0 < |B \\ A| < min``) — or by fewer than the minimum
number of *values* of an asked column: with missing values, five records may hold one value.
The key holder counts the values of the differences itself (their ciphertexts added and the
counts decrypted, ``aggregate.value_counts``) for the contributions of the request at hand; for
records of contributions it no longer has, it assumes every record the earlier cell lacked a
value for lies there. Cells refused because their data fell short (too few values) are kept
too: otherwise a refusal and a later answer that differs from it by one record would tell
whether that record has a value. A cell answered with differential-privacy noise is recorded
but needs no such check: the noise, paid from a budget, is what protects it, and an exact cell
is not compared with noisy ones.

What this does not see: the same patients released again in another bundle (another id), and
differences built from three or more answers none of which differs from another by few records.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..clock import utc_now

if TYPE_CHECKING:
    from ..vault import Vault


@dataclass
class ValueCheck:
    """What the differencing check needs to count values: the request's contributions (key ->
    rows), its asked columns, and ``count(selections)`` — for each selection (contribution key
    -> boolean mask over its rows, keys of this request only) how many of its records have a
    value of each asked column."""
    current: dict[str, int]
    columns: list[str]
    count: Callable[[list[dict[str, np.ndarray]]], list[dict[str, int]]]

    @classmethod
    def of(cls, combination, decryptor) -> "ValueCheck":
        """Counting by adding the request's ciphertexts and decrypting the counts."""
        from .aggregate import value_counts

        index = {c.key: i for i, c in enumerate(combination.contributions)}

        def count(selections):
            return value_counts(combination, decryptor,
                                [{index[k]: np.flatnonzero(m) for k, m in s.items()}
                                 for s in selections])
        return cls({c.key: len(c.frame) for c in combination.contributions},
                   list(combination.query.columns), count)


@dataclass
class CellRows:
    """One cell's records: contribution key -> boolean mask over that contribution's rows, and
    how many of its records lack a value of an asked column (the most over the columns)."""
    masks: dict[str, np.ndarray]
    missing: int = 0

    @classmethod
    def of(cls, members: dict[int, np.ndarray], contributions, missing: int = 0) -> "CellRows":
        masks = {}
        for i, rows in members.items():
            mask = np.zeros(len(contributions[i].frame), dtype=bool)
            mask[rows] = True
            masks[contributions[i].key] = mask
        return cls(masks, missing)


def cells_to_record(combination, rows: list[dict], presence: list[dict], min_records: int, *,
                    noised: bool) -> list[CellRows | None]:
    """The cells an answer remembers (None: not remembered). With noise, those answered.
    Exact, every cell that passes the check on record counts, answered or refused on its data
    (too few values): remembering only answers would let a refusal and a later answer one
    record apart tell whether that record has a value."""
    from .aggregate import public_refusal

    out = []
    for j, (row, cell, present) in enumerate(zip(rows, combination.cells, presence)):
        keep = (row["refused"] is None if noised
                else public_refusal(combination, j, min_records) is None)
        out.append(CellRows.of(cell.members, combination.contributions,
                               max(0, cell.records - min(present.values()))) if keep else None)
    return out


def _pack(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask).tobytes(), 6)


def _unpack(blob: bytes, n_rows: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(zlib.decompress(blob), dtype=np.uint8))
    return bits[:n_rows].astype(bool)


def _split(old: dict[str, np.ndarray], new: dict[str, np.ndarray]
           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per contribution key, the masks of the records only in ``old``, only in ``new``, and in
    both. The same key over another number of rows is another release under that key:
    disjoint."""
    only_old, only_new, both = {}, {}, {}
    for key in {**old, **new}:
        a, b = old.get(key), new.get(key)
        if a is None or b is None or len(a) != len(b):
            if a is not None:
                only_old[key] = a
            if b is not None:
                only_new[key] = b
        else:
            only_old[key], only_new[key], both[key] = a & ~b, b & ~a, a & b
    return only_old, only_new, both


def _differences(old: dict[str, np.ndarray], new: dict[str, np.ndarray]) -> tuple[int, int, int]:
    """(|old ∖ new|, |new ∖ old|, |old ∩ new|) over all contributions."""
    return tuple(sum(int(m.sum()) for m in side.values()) for side in _split(old, new))


def _too_few_values(old: dict[str, np.ndarray], old_missing: int, new: dict[str, np.ndarray],
                    check: ValueCheck, min_records: int) -> bool:
    """Whether the two cells may differ, on either side, by 1 to ``min_records`` − 1 values of
    an asked column."""
    def mine(key, mask):
        return check.current.get(key) == len(mask)

    only_old, only_new, _both = _split(old, new)
    only_old = {k: a for k, a in only_old.items() if mine(k, a)}
    gone = sum(int(a.sum()) for k, a in old.items() if not mine(k, a))
    sides = [{k: m for k, m in side.items() if m.any()} for side in (only_new, only_old)]
    counted = check.count([s for s in sides if s])
    new_counts = counted.pop(0) if sides[0] else None
    old_counts = counted.pop(0) if sides[1] else None
    for column in check.columns:
        ranges = []
        if new_counts is not None:
            ranges.append((new_counts[column], new_counts[column]))
        if old_counts is not None or gone:
            known = old_counts[column] if old_counts is not None else 0
            ranges.append((known + max(0, gone - old_missing), known + gone))
        if any(high > 0 and low < min_records for low, high in ranges):
            return True
    return False


def differencing_refusals(vault: Vault, cells: list[CellRows | None], min_records: int,
                          values: ValueCheck | None = None) -> dict[int, tuple[str, bool]]:
    """For each new cell (None: not considered), the reason it must be refused, if any, against
    every earlier exact cell sharing a contribution with it, and whether that reason rests on
    the data (too few values, counted with ``values``) rather than on record counts the
    requester knows. Runs inside the answer's transaction, so two answers at once cannot both
    pass."""
    keys = sorted({k for c in cells if c is not None for k in c.masks})
    if not keys:
        return {}
    rows = vault.bundles.exact_answers_over(keys)
    earlier: dict[int, tuple[str, int, dict[str, np.ndarray]]] = {}
    for cell_id, when, missing, key, n_rows, blob in rows:
        earlier.setdefault(cell_id, (when, missing, {}))[2][key] = _unpack(blob, n_rows)
    refusals: dict[int, tuple[str, bool]] = {}
    for j, cell in enumerate(cells):
        if cell is None:
            continue
        for when, missing, old in earlier.values():
            only_old, only_new, both = _differences(old, cell.masks)
            if not both:
                continue
            if 0 < only_old < min_records or 0 < only_new < min_records:
                few = min(n for n in (only_old, only_new) if n > 0)
                refusals[j] = (f"refused: differs by only {few} record(s) from a cell asked "
                               f"exactly on {when[:10]}, so the two together would reveal "
                               f"those records", False)
                break
            if values is not None and _too_few_values(old, missing, cell.masks, values,
                                                      min_records):
                refusals[j] = (f"refused: together with a cell asked exactly on {when[:10]} it "
                               f"would show fewer than {min_records} values (some records have "
                               f"none), so the two would reveal them", True)
                break
    return refusals


def record_answers(vault: Vault, request_id: str, release_id: int | None,
                   cells: list[CellRows | None], records: list[int], noised: bool) -> None:
    """Remember the cells decided (in the answer's transaction)."""
    now = utc_now()
    for cell, n in zip(cells, records):
        if cell is None:
            continue
        vault.bundles.record_answered_cell(
            request_id, release_id, n, noised, now,
            [(key, len(mask), _pack(mask)) for key, mask in cell.masks.items()], cell.missing)
