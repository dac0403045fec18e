"""What a release costs in utility.

``measure_utility(original, released, generalization=...)`` returns a JSON-ready dict:

- ``columns``: per column, ``dropped`` or the Hellinger and total-variation distance between
  its distribution before and after (``distance.py``) and, for columns numeric on both sides,
  mean and variance change (``moments.py``);
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
                    generalization: dict | None = None, bins: int = 20) -> dict:
    pairs = numeric_pairs(original, released)
    columns = {}
    for col in original.columns:
        if col not in released.columns:
            columns[col] = {"status": "dropped"}
            continue
        entry = {"status": "released", **column_distances(original[col], released[col], bins)}
        if col in pairs:
            entry.update(moment_changes(*pairs[col]))
        columns[col] = entry
    return {"rows_before": int(len(original)), "rows_after": int(len(released)),
            "columns": columns, "correlation": correlation_change(pairs),
            "generalization": dict(generalization or {})}
