"""Local recoding of numeric quasi-identifiers: Mondrian multidimensional partitioning.

Full-domain generalization recodes a whole column the same way; Mondrian (LeFevre, DeWitt,
Ramakrishnan 2006) instead cuts the data into boxes, each with at least k rows (and, if asked,
l distinct sensitive values), and publishes each row's box as ranges. A box is cut on the QI
whose range, relative to that QI's range in the whole table, is widest, at the median; if that
cut is not allowed, the next widest QI is tried; a box no QI can cut is final.

*Strict* cuts put all rows with the median value on one side (boxes never overlap). *Relaxed*
cuts split the sorted rows in two halves, so rows sharing the median value may land on both
sides (boxes may touch at that value); it allows more cuts and smaller boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import TaskState


@dataclass
class MondrianResult:
    data: pd.DataFrame             # QI columns as "lo-hi" ranges (or the single value)
    partitions: int
    class_sizes: np.ndarray
    measured: dict[str, float]     # "k" and, with a sensitive column, "l[col]"
    ncp: float                     # mean normalized range width over rows and QIs (0 = exact)


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        raise InputError(f"quasi-identifier '{col}' is not a column of the data")
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise InputError(f"Mondrian partitions numeric quasi-identifiers; '{col}' is not numeric",
                         hint="use a generalization hierarchy for it instead")
    if s.isna().any():
        raise InputError(f"column '{col}' has {int(s.isna().sum())} missing value(s); "
                         "Mondrian needs every value")
    return s.to_numpy(dtype=np.float64)


def _label(lo: float, hi: float, integer: bool) -> str:
    fmt = (lambda x: str(int(x))) if integer else (lambda x: f"{x:g}")
    return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"


def mondrian(df: pd.DataFrame, qi_columns: list[str], *, k: int, l: int | None = None,
             sensitive: str | None = None, strict: bool = True,
             task: TaskState | None = None) -> MondrianResult:
    """Partition ``df`` on ``qi_columns`` into boxes of ≥ k rows (≥ l distinct values of
    ``sensitive`` if ``l`` is given) and replace the QIs by their box's ranges."""
    if int(k) != k or k < 1:
        raise InputError(f"k must be a whole number ≥ 1, not {k}")
    if not qi_columns:
        raise InputError("choose at least one quasi-identifier")
    if l is not None and sensitive is None:
        raise InputError("l-diversity needs a sensitive column")
    if sensitive is not None and sensitive not in df.columns:
        raise InputError(f"no column '{sensitive}' in the data")
    n = len(df)
    if n < k:
        raise InputError(f"the table has {n} row(s), fewer than k = {k}")
    x = np.column_stack([_numeric(df, c) for c in qi_columns])
    span = x.max(axis=0) - x.min(axis=0)
    span[span == 0] = 1.0
    sens = None
    if sensitive is not None:
        sens = pd.factorize(df[sensitive].astype(object).where(df[sensitive].notna(), ""))[0]
        if l is not None and len(np.unique(sens)) < l:
            raise InputError(f"'{sensitive}' has fewer than l = {l} distinct values in the "
                             "whole table")

    def allowed(rows: np.ndarray) -> bool:
        if len(rows) < k:
            return False
        return l is None or len(np.unique(sens[rows])) >= l

    def split(rows: np.ndarray):
        part = x[rows]
        widths = (part.max(axis=0) - part.min(axis=0)) / span
        for d in np.argsort(-widths, kind="stable"):
            if widths[d] == 0:
                return None
            order = rows[np.argsort(part[:, d], kind="stable")]
            if strict:
                median = x[order[(len(order) - 1) // 2], d]
                cut = int(np.searchsorted(x[order, d], median, side="right"))
            else:
                cut = len(order) // 2
            left, right = order[:cut], order[cut:]
            if len(left) and len(right) and allowed(left) and allowed(right):
                return left, right
        return None

    final: list[np.ndarray] = []
    stack = [np.arange(n)]
    done = 0
    while stack:
        rows = stack.pop()
        halves = split(rows) if len(rows) >= 2 * k else None
        if halves is None:
            final.append(rows)
            done += len(rows)
            if task is not None and len(final) % 256 == 0:
                task.report(done / n, f"{len(final)} partitions")
        else:
            stack.extend(reversed(halves))

    data = df.copy()
    box = np.empty(n, dtype=np.int64)
    lo = np.empty((len(final), len(qi_columns)))
    hi = np.empty_like(lo)
    for i, rows in enumerate(final):
        box[rows] = i
        lo[i] = x[rows].min(axis=0)
        hi[i] = x[rows].max(axis=0)
    for j, c in enumerate(qi_columns):
        integer = bool(np.all(np.mod(x[:, j], 1) == 0))
        labels = np.array([_label(a, b, integer) for a, b in zip(lo[:, j], hi[:, j])], dtype=object)
        data[c] = pd.Series(labels[box], index=df.index, dtype=object)
    sizes = np.bincount(box, minlength=len(final))
    measured = {"k": float(sizes.min())}
    if sensitive is not None:
        measured[f"l[{sensitive}]"] = float(min(len(np.unique(sens[r])) for r in final))
    ncp = float(np.mean(((hi - lo) / span)[box])) if n else 0.0
    if task is not None:
        task.report(1.0, f"{len(final)} partitions")
    return MondrianResult(data, len(final), sizes, measured, ncp)
