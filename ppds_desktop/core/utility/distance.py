"""Distances between a column's distribution before and after a release.

Both sides become probability vectors over a common support: for numbers on both sides, a
histogram with shared bin edges over the original range (values outside fall in the end
bins); otherwise the text of each value is a category. A generalized column is compared with
the input generalized the same way (``measure_utility``'s ``reference``), never with the raw
values, whose categories ('34') the bands ('30-34') never share. Missing values are a category
of their own.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DEFAULT_BINS = 20


def numeric_values(values: pd.Series) -> pd.Series | None:
    """The column as float64 if it holds numbers only (missing allowed), else None."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    if values.dtype == object:
        present = values.dropna()
        if len(present) == 0 or not isinstance(present.iloc[0], (int, float, np.integer,
                                                                  np.floating)):
            return None                      # text: no need to look at every value
        distinct = pd.unique(present)
        if len(distinct) and all(isinstance(v, (int, float, np.integer, np.floating))
                                 and not isinstance(v, bool) for v in distinct):
            return pd.to_numeric(values, errors="coerce").astype("float64")
    return None


def _text_counts(values: pd.Series) -> pd.Series:
    """Counts per value as text (missing values as one category); the text conversion runs
    on the distinct values only."""
    counts = values.value_counts(dropna=False)
    missing = np.asarray(counts.index.isna())
    labels = np.asarray(counts.index.astype(str), dtype=object)
    labels[missing] = "\0missing"
    return counts.groupby(labels).sum()


def shared_distributions(before: pd.Series, after: pd.Series,
                         bins: int = DEFAULT_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Two probability vectors over a common support (see the module docstring)."""
    nb, na = numeric_values(before), numeric_values(after)
    if nb is not None and na is not None:
        lo, hi = np.nanmin(nb.to_numpy()) if nb.notna().any() else 0.0, \
            np.nanmax(nb.to_numpy()) if nb.notna().any() else 1.0
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, bins + 1)

        def hist(x: pd.Series) -> np.ndarray:
            v = x.to_numpy()
            present = v[~np.isnan(v)]
            idx = np.clip(np.searchsorted(edges, present, side="right") - 1, 0, bins - 1)
            counts = np.bincount(idx, minlength=bins).astype(float)
            return np.append(counts, float(np.isnan(v).sum()))
        p, q = hist(nb), hist(na)
    else:
        cb, ca = _text_counts(before), _text_counts(after)
        support = cb.index.union(ca.index)
        p = cb.reindex(support, fill_value=0).to_numpy(dtype=float)
        q = ca.reindex(support, fill_value=0).to_numpy(dtype=float)
    p = p / p.sum() if p.sum() else p
    q = q / q.sum() if q.sum() else q
    return p, q


def hellinger(p: np.ndarray, q: np.ndarray) -> float:
    """Hellinger distance in [0, 1]."""
    return float(math.sqrt(max(0.0, 0.5 * float(((np.sqrt(p) - np.sqrt(q)) ** 2).sum()))))


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance in [0, 1] (half the L1 distance)."""
    return float(0.5 * np.abs(p - q).sum())


def column_distances(before: pd.Series, after: pd.Series,
                     bins: int = DEFAULT_BINS) -> dict[str, float]:
    p, q = shared_distributions(before, after, bins)
    return {"hellinger": hellinger(p, q), "total_variation": total_variation(p, q)}
