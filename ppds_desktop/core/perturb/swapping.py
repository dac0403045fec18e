"""Data swapping: rank swapping for numeric columns, random swapping within strata for others.

*Rank swapping* (Moore 1996): sort a column; each value is exchanged with a partner whose rank
differs by at most p% of the number of rows, so marginal distributions are kept exactly and each
value moves only among close ranks. *Categorical swapping*: a fraction of the rows in each
stratum (e.g. same region and sex) exchange their values of the swapped columns with each other,
which keeps every stratum's distribution of those columns exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dp.mechanisms import random_permutation
from ..dp.rng import Rng, default_rng, random_unit_floats
from ..dp.samplers import uniform_below
from ..errors import InputError


def _check(df: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"no column named {missing[0]!r} in the data")


def rank_swap_positions(n: int, window: int, rng: Rng) -> np.ndarray:
    """A permutation ``perm`` of ranks with |perm[i] - i| <= window and perm an involution."""
    perm = np.arange(n)
    if n < 2 or window < 1:
        return perm
    swapped = np.zeros(n, dtype=bool)
    offsets = uniform_below(window, rng, n).astype(np.int64) + 1
    for i in range(n):
        if swapped[i]:
            continue
        top = min(i + window, n - 1)
        if top <= i:
            break
        j = min(i + int(offsets[i]), top)
        free = np.flatnonzero(~swapped[j:top + 1])
        if free.size == 0:
            free = np.flatnonzero(~swapped[i + 1:j])
            if free.size == 0:
                continue
            j = i + 1 + int(free[-1])
        else:
            j = j + int(free[0])
        perm[i], perm[j] = j, i
        swapped[i] = swapped[j] = True
    return perm


def rank_swap(df: pd.DataFrame, columns: list[str], *, p: float = 5.0,
              rng: Rng | None = None) -> pd.DataFrame:
    """Swap each column's values among ranks at most ``p`` percent of the rows apart."""
    _check(df, columns)
    if not 0 < p <= 100:
        raise InputError(f"rank-swap percentage p must be in (0, 100], got {p:g}")
    rng = default_rng(rng)
    out = df.copy()
    for col in columns:
        s = df[col]
        present = np.flatnonzero(s.notna().to_numpy())
        order = present[np.argsort(s.to_numpy()[present], kind="stable")]
        window = max(int(len(order) * p / 100.0), 1)
        perm = rank_swap_positions(len(order), window, rng)
        values = s.to_numpy().copy()
        values[order] = s.to_numpy()[order[perm]]
        out[col] = pd.Series(values, index=s.index, name=col).astype(s.dtype)
    return out


def swap_within_strata(df: pd.DataFrame, columns: list[str], *, strata: list[str] | None = None,
                       rate: float = 0.1, rng: Rng | None = None) -> pd.DataFrame:
    """In each stratum pick ``rate`` of the rows and shuffle their ``columns`` (jointly) among them."""
    strata = list(strata or [])
    _check(df, list(columns) + strata)
    if not 0 < rate <= 1:
        raise InputError(f"swap rate must be in (0, 1], got {rate:g}")
    rng = default_rng(rng)
    out = df.copy()
    if strata:
        groups = df.groupby(strata, dropna=False, sort=False).indices.values()
    else:
        groups = [np.arange(len(df))]
    picked = random_unit_floats(rng, len(df)) < rate
    src = np.arange(len(df))
    for rows in groups:
        rows = np.asarray(rows)[picked[np.asarray(rows)]]
        if rows.size >= 2:
            src[rows] = rows[random_permutation(rows.size, rng)]
    for col in columns:
        values = df[col].to_numpy()
        out[col] = pd.Series(values[src], index=df.index, name=col).astype(df[col].dtype)
    return out
