"""Mean, variance, standard deviation and correlation change of numeric columns that stay
numeric (the standard deviation is in the column's own unit, which a variance in squared
units is not)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .distance import numeric_values


def numeric_pairs(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Columns present and numeric on both sides."""
    out = {}
    for col in before.columns:
        if col in after.columns:
            b, a = numeric_values(before[col]), numeric_values(after[col])
            if b is not None and a is not None:
                out[col] = (b, a)
    return out


def _safe(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def moment_changes(b: pd.Series, a: pd.Series) -> dict:
    mb, ma, vb, va = b.mean(), a.mean(), b.var(), a.var()
    return {"mean_before": _safe(mb), "mean_after": _safe(ma),
            "mean_change": _safe(ma - mb),
            "relative_mean_change": _safe((ma - mb) / abs(mb)) if mb else None,
            "variance_before": _safe(vb), "variance_after": _safe(va),
            "variance_ratio": _safe(va / vb) if vb else None,
            "sd_before": _safe(np.sqrt(vb)) if vb == vb else None,
            "sd_after": _safe(np.sqrt(va)) if va == va else None}


def correlation_change(pairs: dict[str, tuple[pd.Series, pd.Series]]) -> dict:
    """Pearson correlation matrices before and after, and the largest absolute change."""
    cols = list(pairs)
    if len(cols) < 2:
        return {"columns": cols, "max_abs_change": None, "before": [], "after": []}
    before = pd.DataFrame({c: pairs[c][0].reset_index(drop=True) for c in cols}).corr()
    after = pd.DataFrame({c: pairs[c][1].reset_index(drop=True) for c in cols}).corr()
    diff = (after - before).abs().to_numpy()
    finite = diff[np.isfinite(diff)]

    def rows(m):
        return [[_safe(x) for x in row] for row in m.to_numpy()]
    return {"columns": cols, "max_abs_change": float(finite.max()) if finite.size else None,
            "before": rows(before), "after": rows(after)}
