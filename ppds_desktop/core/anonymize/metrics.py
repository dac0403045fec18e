"""Utility measures of a generalized table, defined as ARX defines them so figures compare.

*Loss* (ARX's ``Loss`` objective, Iyengar's loss metric): for one QI, a kept row costs the
domain share of its generalized value (leaves under the label / leaves of the hierarchy) and a
suppressed row costs 1; the column's sum is normalized to [0, 1] between n/leaves (nothing
generalized) and n (everything ``*``). The QIs are combined with ARX's geometric mean,
∏(1 + lossᵢ)^(1/q) − 1. Lower is better.

*Granularity* is ARX's column-oriented quality model: the mean share per row (suppressed = 1)
averaged over the QIs, normalized with the mean of 1/leaves, reported as 1 − value (higher is
better). *Discernibility* is Σ size² over kept classes plus n per suppressed row.
*Non-uniform entropy* is Σ over rows and QIs of −log2 P(raw value | generalized value) in
the input, suppressed rows counting as fully generalized.

The public functions take the input frame, the hierarchies, the chosen levels and the mask of
suppressed rows, so the utility report can call them on any release; the search engine uses
the array forms (``loss_from_sums``, ``granularity_from_sums``) on its encoded table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .hierarchy import Hierarchy


def normalized_losses(sums: np.ndarray, n: int, leaves: np.ndarray) -> np.ndarray:
    """Per QI: ARX's normalized loss from Σ shares (suppressed rows counted as 1)."""
    sums = np.asarray(sums, dtype=float)
    if n == 0:
        return np.zeros_like(sums)
    lo = n / np.asarray(leaves, dtype=float)
    span = n - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(span > 0, (sums - lo) / np.where(span > 0, span, 1), 0.0)
    return np.clip(v, 0.0, 1.0)


def aggregate_loss(per_column: np.ndarray) -> float:
    """ARX's geometric-mean aggregate: ∏(1 + lᵢ)^(1/q) − 1."""
    per_column = np.asarray(per_column, dtype=float)
    if per_column.size == 0:
        return 0.0
    return float(np.exp(np.mean(np.log1p(per_column))) - 1.0)


def loss_from_sums(sums: np.ndarray, n: int, leaves: np.ndarray) -> float:
    return aggregate_loss(normalized_losses(sums, n, leaves))


def granularity_from_sums(sums: np.ndarray, n: int, leaves: np.ndarray) -> float:
    sums = np.asarray(sums, dtype=float)
    if n == 0 or sums.size == 0:
        return 1.0
    agg = float(np.mean(sums / n))
    lo = float(np.mean(1.0 / np.asarray(leaves, dtype=float)))
    if lo >= 1.0:
        return 1.0
    return float(1.0 - min(max((agg - lo) / (1.0 - lo), 0.0), 1.0))


def _leaf_codes(df: pd.DataFrame, col: str, h: Hierarchy, codes) -> np.ndarray:
    return codes[col] if codes is not None else h.encode(df[col], column=col)


def _share_sums(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
                suppressed, codes=None) -> tuple[np.ndarray, np.ndarray, int]:
    mask = np.zeros(len(df), dtype=bool) if suppressed is None else np.asarray(suppressed, bool)
    sums, leaves = [], []
    for col, h in qis.items():
        share = h.share(int(levels[col]))[_leaf_codes(df, col, h, codes)]
        sums.append(float(share[~mask].sum()) + float(mask.sum()))
        leaves.append(len(h.leaves))
    return np.array(sums), np.array(leaves, dtype=float), len(df)


def loss_per_column(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
                    suppressed=None, *, codes=None) -> dict[str, float]:
    """Normalized ARX loss of every QI (0 = raw, 1 = fully generalized or suppressed).
    ``codes``: the QIs' leaf codes (``h.encode(df[c])``) when the caller has them."""
    sums, leaves, n = _share_sums(df, qis, levels, suppressed, codes)
    return dict(zip(qis, normalized_losses(sums, n, leaves).tolist()))


def loss(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
         suppressed=None) -> float:
    """ARX's Loss of generalizing ``df`` to ``levels`` and suppressing ``suppressed`` rows."""
    sums, leaves, n = _share_sums(df, qis, levels, suppressed)
    return loss_from_sums(sums, n, leaves)


def granularity(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
                suppressed=None) -> float:
    """ARX's granularity quality figure (1 = raw data, 0 = everything suppressed)."""
    sums, leaves, n = _share_sums(df, qis, levels, suppressed)
    return granularity_from_sums(sums, n, leaves)


def non_uniform_entropy(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
                        suppressed=None, *, codes=None) -> float:
    """Bits of information lost: Σ −log2 P(raw | generalized) over rows and QIs.
    ``codes`` as for :func:`loss_per_column`."""
    mask = np.zeros(len(df), dtype=bool) if suppressed is None else np.asarray(suppressed, bool)
    total = 0.0
    for col, h in qis.items():
        leaf = _leaf_codes(df, col, h, codes)
        leaf_count = np.bincount(leaf, minlength=len(h.leaves)).astype(float)
        for lv, rows in ((int(levels[col]), ~mask), (h.height - 1, mask)):
            m = h.level_map(lv)
            label_count = np.bincount(m, weights=leaf_count)
            c = leaf[rows]
            total += float(-np.log2(leaf_count[c] / label_count[m[c]]).sum())
    return total


def discernibility(class_sizes, suppressed_rows: int = 0) -> float:
    """Σ size² over the kept classes + n for every suppressed row (ARX's DM*-style penalty)."""
    sizes = np.asarray(class_sizes, dtype=float)
    n = float(sizes.sum()) + suppressed_rows
    return float((sizes * sizes).sum() + suppressed_rows * n)


def average_class_size(class_sizes) -> float:
    """Rows per kept class (suppressed rows excluded, as in ARX's statistics)."""
    sizes = np.asarray(class_sizes, dtype=float)
    return float(sizes.sum() / len(sizes)) if len(sizes) else 0.0
