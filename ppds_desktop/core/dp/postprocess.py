"""Post-processing of released DP values: free for privacy (it only uses what was released).

A count cannot be negative, so a noisy count below zero is shown as 0, and so are the ends of
its interval. Because the true count is at least 0, this never moves a released count further
from the truth, and an interval that covered the true count still covers it.
"""

from __future__ import annotations

NON_NEGATIVE_NOTE = ("Counts are never shown below 0: a noisy count under 0 is reported as 0 "
                     "(this uses no privacy budget and only brings it closer to the true "
                     "count).")


def clamp_counts(rows: list[dict]) -> None:
    """Clamp each row's ``value``, ``ci_low`` and ``ci_high`` at 0 in place."""
    for row in rows:
        for key in ("value", "ci_low", "ci_high"):
            if row.get(key) is not None:
                row[key] = max(0, row[key])
