"""Masking of direct identifiers: drop a column, keep only the first/last characters, or
replace every value with a fixed pattern.

Masking never lets a whole value through: when the characters to keep would cover the entire
value, the entire value is masked instead, so a short identifier cannot survive a
"keep the last 4" rule by being 4 characters long. Missing values stay missing (a blank is not
an identifier, and turning it into stars would make missingness look like data).
"""

from __future__ import annotations

import pandas as pd

from ..errors import RecipeError

DEFAULT_MASK_CHAR = "*"


def drop_columns(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame without ``columns`` (a new frame; the input is not changed)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise RecipeError(f"no such column(s) to drop: {', '.join(missing)}", field="columns")
    return df.drop(columns=list(columns))


def _mask_one(text: str, keep_first: int, keep_last: int, char: str) -> str:
    n = len(text)
    if keep_first + keep_last >= n:
        return char * n
    tail = text[n - keep_last:] if keep_last else ""
    return text[:keep_first] + char * (n - keep_first - keep_last) + tail


def mask_keep(values: pd.Series, *, keep_first: int = 0, keep_last: int = 0,
              char: str = DEFAULT_MASK_CHAR) -> pd.Series:
    """Replace all but the first ``keep_first`` and last ``keep_last`` characters with ``char``.

    The masked value has the original length (so a phone number still looks like one); a value
    no longer than ``keep_first + keep_last`` is masked completely.
    """
    if keep_first < 0 or keep_last < 0:
        raise RecipeError("keep_first and keep_last must be 0 or more", field="action")
    if len(char) != 1:
        raise RecipeError("the mask character must be exactly one character", field="action.char")
    out = values.astype("string").map(
        lambda v: v if pd.isna(v) else _mask_one(v, keep_first, keep_last, char))
    return out.astype(object).where(values.notna(), None)


def fixed_pattern(values: pd.Series, pattern: str) -> pd.Series:
    """Replace every present value with the same ``pattern`` (e.g. ``"XXX-XX-XXXX"``)."""
    return pd.Series([None if pd.isna(v) else pattern for v in values],
                     index=values.index, dtype=object, name=values.name)
