"""What a release costs in utility.

``measure_utility(original, released, generalization=...)`` returns a JSON-ready dict:

- ``columns``: per column, ``dropped`` or the Hellinger and total-variation distance between
  its distribution before and after (``distance.py``) and, for columns numeric on both sides,
  mean, variance and standard deviation change (``moments.py``);
- ``correlation``: Pearson correlation matrices of those numeric columns before and after;
- ``generalization``: the engine's information-loss figures (Loss/granularity, discernibility,
  non-uniform entropy, average class size — computed by ``core.anonymize.metrics``) passed
  through by the caller, who knows the hierarchies and levels.
"""

from __future__ import annotations

import pandas as pd

from .distance import column_distances, hellinger, shared_distributions, total_variation
from .moments import correlation_change, moment_changes, numeric_pairs

__all__ = ["column_distances", "correlation_change", "hellinger", "measure_utility",
           "moment_changes", "shared_distributions", "total_variation"]


def measure_utility(original: pd.DataFrame, released: pd.DataFrame, *,
                    generalization: dict | None = None, bins: int = 20,
                    reference: dict[str, pd.Series] | None = None) -> dict:
    """``reference``: per column, the input at the released level of detail (every input row
    put through the release's column action and generalization, before records were left
    out). Distances are measured against it, on the released support: a raw age (34) and its
    band ('30-34') are otherwise different values, and a column whose bands keep the shape
    would show the largest distance. The detail the bands remove is what Loss measures."""
    before = original.copy(deep=False)
    for col, values in (reference or {}).items():
        if col in before.columns:
            before[col] = values.to_numpy()
    pairs = numeric_pairs(before, released)
    columns = {}
    for col in original.columns:
        if col not in released.columns:
            columns[col] = {"status": "dropped"}
            continue
        entry = {"status": "released", **column_distances(before[col], released[col], bins)}
        if col in pairs:
            entry.update(moment_changes(*pairs[col]))
        columns[col] = entry
    return {"rows_before": int(len(original)), "rows_after": int(len(released)),
            "columns": columns, "correlation": correlation_change(pairs),
            "generalization": dict(generalization or {})}
