"""MDAV microaggregation (Domingo-Ferrer & Mateo-Sanz 2002): groups of at least k similar rows
whose numeric values are replaced by the group mean.

Columns are standardised first so that no column dominates the distance. Each round takes the
row farthest from the centroid of what is left, r, and groups it with its k-1 nearest rows; then
the row farthest from r, s, likewise. Distances are squared Euclidean computed with one
matrix-vector product per pass over the rows not yet grouped (kept as a contiguous block), and
the farthest row from r comes from the same pass that groups r, so the whole run costs
O(n²·d/k) arithmetic in numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import TaskState, ensure_task
from .noise import numeric_matrix


def _k_smallest(d: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest values (d is modified). For small k, k argmin passes beat a
    partition."""
    if k > 8:
        return np.argpartition(d, k - 1)[:k]
    out = np.empty(k, dtype=np.int64)
    for i in range(k):
        j = int(np.argmin(d))
        out[i] = j
        d[j] = np.inf
    return out


def mdav_groups(x: np.ndarray, k: int, task: TaskState | None = None) -> np.ndarray:
    """Group label per row; every group has between k and 2k-1 rows (n >= k)."""
    task = ensure_task(task)
    n = x.shape[0]
    if k < 2:
        raise InputError(f"microaggregation needs k >= 2, got {k}")
    if n < k:
        raise InputError(f"microaggregation with k={k} needs at least {k} rows, got {n}")
    labels = np.full(n, -1, dtype=np.int64)
    # Rows still to be grouped are kept in the prefix [0, left) of these arrays: a grouped row is
    # swapped with one from the end of the prefix, so every pass is over a contiguous block.
    ids = np.arange(n)
    pts = np.array(x, dtype=np.float64, order="C")
    sq = np.einsum("ij,ij->i", pts, pts)
    left = n
    total = pts.sum(axis=0)
    group = 0

    def dist2(p: np.ndarray) -> np.ndarray:    # squared distance of each remaining row to p
        return sq[:left] - 2.0 * (pts[:left] @ p) + p @ p

    def take(center: int) -> int:
        """Group row ``center`` with its k-1 nearest remaining rows; return the (new position
        of the) remaining row farthest from it, found from the same distances."""
        nonlocal left, group, total
        d = dist2(pts[center].copy())
        near = _k_smallest(d, k)
        labels[ids[near]] = group
        total = total - pts[near].sum(axis=0)
        d[near] = -np.inf
        far = int(np.argmax(d)) if left > k else -1
        chosen = set(near.tolist())
        moving_out = np.array([i for i in chosen if i < left - k], dtype=np.int64)
        moving_in = np.array([i for i in range(left - k, left) if i not in chosen], dtype=np.int64)
        for arr in (ids, sq, pts):
            arr[moving_out], arr[moving_in] = arr[moving_in], arr[moving_out]
        if far >= left - k:                                 # the farthest row was moved
            far = int(moving_out[np.flatnonzero(moving_in == far)[0]])
        left -= k
        group += 1
        return far

    while left >= 3 * k:
        r = int(np.argmax(dist2(total / left)))
        s = take(r)                                         # s: the row farthest from r
        take(s)
        task.report(1.0 - left / n, "Microaggregation")
    if left >= 2 * k:
        take(int(np.argmax(dist2(total / left))))
    labels[ids[:left]] = group
    return labels


def microaggregate(df: pd.DataFrame, columns: list[str], *, k: int = 3,
                   task: TaskState | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Replace ``columns`` by their MDAV group means; rows with a missing value are left as they
    are (they join no group). Returns the new frame and the group label per row (-1: left out)."""
    x = numeric_matrix(df, columns)
    complete = ~np.isnan(x).any(axis=1)
    xs = x[complete]
    std = xs.std(axis=0)
    z = (xs - xs.mean(axis=0)) / np.where(std > 0, std, 1.0)
    labels = np.full(len(df), -1, dtype=np.int64)
    labels[complete] = mdav_groups(z, k, task)
    means = pd.DataFrame(xs).groupby(labels[complete]).transform("mean").to_numpy()
    out = df.copy()
    for j, col in enumerate(columns):
        values = x[:, j].copy()
        values[complete] = means[:, j]
        out[col] = pd.Series(values, index=df.index, name=col, dtype="float64")
    return out, labels
