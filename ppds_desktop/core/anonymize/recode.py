"""Fixed recodings that need no hierarchy: ZIP codes to 3 digits, dates to the year,
top/bottom coding of numbers.

These are the Safe Harbor transformations (ZIP3 with the Census-restricted prefixes set to
000, "all elements of dates except year", "ages over 89 in one category") and the usual way to
hide extreme values. Missing values stay missing.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import InputError

_DIGITS = re.compile(r"\d")


@lru_cache(maxsize=1)
def restricted_zip3() -> frozenset[str]:
    """The 3-digit ZIP prefixes with ≤ 20,000 people (HHS list from the 2000 Census; the
    source is named in ``data/hipaa_restricted_zip3.json``)."""
    doc = json.loads((resources.files(__package__) / "data" / "hipaa_restricted_zip3.json")
                     .read_text(encoding="utf-8"))
    return frozenset(doc["prefixes"])


def zip3(values: pd.Series, *, restricted_to_000: bool = True) -> pd.Series:
    """First three digits of each ZIP code (``'02139-4307'`` → ``'021'``); prefixes of sparsely
    populated areas become ``'000'``. Integers lose leading zeros in spreadsheets, so a
    number with fewer than 5 digits is left-padded first (2139 → '02139')."""
    restricted = restricted_zip3() if restricted_to_000 else frozenset()

    def one(v):
        if pd.isna(v):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        digits = "".join(_DIGITS.findall(str(v)))
        if isinstance(v, int) or (len(digits) < 5 and str(v).strip().isdigit()):
            digits = digits.zfill(5)
        if len(digits) < 3:
            return "000"
        prefix = digits[:3]
        return "000" if prefix in restricted else prefix

    codes, uniques = pd.factorize(values, use_na_sentinel=True)    # each distinct code once
    mapped = np.array([one(v) for v in uniques] + [None], dtype=object)   # code -1: missing
    return pd.Series(mapped[codes], index=values.index, dtype=object, name=values.name)


def year_only(values: pd.Series, *, bottom: int | None = None) -> pd.Series:
    """The year of each date (as an integer); years before ``bottom`` become
    ``'before <bottom>'`` (Safe Harbor: birth years that reveal an age over 89)."""
    parsed = (values if pd.api.types.is_datetime64_any_dtype(values)
              else pd.to_datetime(values, errors="coerce", format="mixed"))
    bad = int((parsed.isna() & values.notna()).sum())
    if bad:
        raise InputError(f"column '{values.name}': {bad} value(s) are not dates, so the year "
                         "cannot be taken")
    years = parsed.dt.year
    out = [None if pd.isna(y) else (f"before {bottom}" if bottom is not None and y < bottom
                                     else int(y)) for y in years]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)


def top_bottom_code(values: pd.Series, *, top: float | None = None,
                    bottom: float | None = None, top_label: str | None = None,
                    bottom_label: str | None = None) -> pd.Series:
    """Values above ``top`` become ``top_label`` (default ``'>top'``), values below ``bottom``
    become ``bottom_label`` (default ``'<bottom'``); the others are kept as they are."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = int((numbers.isna() & values.notna()).sum())
    if bad:
        raise InputError(f"column '{values.name}': {bad} value(s) are not numbers, so the "
                         "column cannot be top/bottom coded")
    tl = top_label if top_label is not None else f">{top:g}" if top is not None else None
    bl = bottom_label if bottom_label is not None else f"<{bottom:g}" if bottom is not None else None
    out = []
    for x in numbers:
        if pd.isna(x):
            out.append(None)
        elif top is not None and x > top:
            out.append(tl)
        elif bottom is not None and x < bottom:
            out.append(bl)
        else:
            out.append(int(x) if float(x).is_integer() else float(x))
    return pd.Series(out, index=values.index, dtype=object, name=values.name)
