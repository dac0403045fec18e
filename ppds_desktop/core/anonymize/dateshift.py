"""Per-person date shifting: every date of one person moves by the same secret offset.

The offset is derived from HMAC-SHA-256 of the person key under a secret key kept in the vault
(kind ``date_shift_key``), not drawn from ``numpy.random``: it is unpredictable without the key,
identical for all dates (and all columns, and all later releases under the same key) of the
same person, so intervals such as length of stay are preserved exactly, and different keys give
unrelated offsets. Offsets are uniform over ±1..±max_days; zero is excluded because a zero
offset would publish that person's true dates.
"""

from __future__ import annotations

import datetime as dt
import hmac

import numpy as np
import pandas as pd

from ..errors import InputError, RecipeError
from .pseudonym import normalise

KEY_KIND = "date_shift_key"
_DOMAIN = b"ppds-dateshift-v1\x00"


def offset_days(person, key: bytes, max_days: int) -> int:
    """The person's offset in days, uniform over [-max_days, -1] ∪ [1, max_days]."""
    if max_days < 1:
        raise RecipeError("max_days must be at least 1", field="action.max_days")
    span = 2 * max_days
    counter = 0
    limit = (1 << 64) - ((1 << 64) % span)       # rejection sampling keeps it exactly uniform
    while True:
        msg = _DOMAIN + counter.to_bytes(4, "big") + normalise(person).encode("utf-8")
        u = int.from_bytes(hmac.digest(key, msg, "sha256")[:8], "big")
        if u < limit:
            r = u % span
            return r - max_days if r < max_days else r - max_days + 1
        counter += 1


def person_offsets(persons: pd.Series, key: bytes, max_days: int) -> np.ndarray:
    """Offsets in days for each row's person; each distinct person is hashed once."""
    codes, uniques = pd.factorize(persons, use_na_sentinel=True)
    if (codes < 0).any():
        raise InputError(f"column '{persons.name}' (the person key for date shifting) has "
                         f"{int((codes < 0).sum())} missing value(s); every row needs a person")
    table = np.array([offset_days(p, key, max_days) for p in uniques], dtype=np.int64)
    return table[codes]


def _parse_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = int((parsed.isna() & values.notna()).sum())
    if bad:
        raise InputError(f"column '{values.name}': {bad} value(s) are not dates, "
                         "so the column cannot be date-shifted")
    return parsed


def _all_dates(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                                    for v in present.head(100))


def shift_dates(df: pd.DataFrame, columns: list[str], key: bytes, max_days: int,
                person_column: str | None = None) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` shifted per person.

    Without ``person_column`` each row is its own person (dates in one row still shift
    together). Datetime columns stay datetime, ``datetime.date`` columns stay dates, text dates
    come back as ISO text (date only when the input had no times).
    """
    out = df.copy()
    persons = (df[person_column] if person_column is not None
               else pd.Series(df.index.astype(str), index=df.index, name="row"))
    deltas = pd.to_timedelta(person_offsets(persons, key, max_days), unit="D")
    for col in columns:
        original = df[col]
        parsed = _parse_dates(original)
        shifted = parsed + deltas
        if pd.api.types.is_datetime64_any_dtype(original):
            out[col] = shifted
        elif _all_dates(original):               # datetime.date objects (Arrow date32)
            out[col] = pd.Series([None if pd.isna(v) else v.date() for v in shifted],
                                 index=df.index, dtype=object)
        else:
            has_time = bool((parsed.dropna() != parsed.dropna().dt.normalize()).any())
            fmt = "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
            out[col] = pd.Series([None if pd.isna(v) else v.strftime(fmt) for v in shifted],
                                 index=df.index, dtype=object)
    return out
