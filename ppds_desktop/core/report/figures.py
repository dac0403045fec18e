"""The charts of a release report, drawn from the report dict itself.

One definition for the HTML report and the Prepare wizard's results, so both show the same
figures with the same titles.
"""

from __future__ import annotations

from ..charts import class_size_chart, grouped_bar_chart

RISK_BARS = ["prosecutor", "journalist", "marketer", "at risk"]


def _counts(risk: dict) -> dict[int, int]:
    return {int(k): v for k, v in risk["class_size_counts"].items()}


def class_sizes_before_after(before: dict, after: dict) -> str:
    """Records per equivalence-class size; ``before``/``after``: ``report["risk"]`` entries."""
    return class_size_chart(_counts(before), compare=_counts(after))


def risk_before_after(before: dict, after: dict) -> str:
    """Highest prosecutor and journalist risk, marketer risk and share at risk, before/after."""
    def bars(r: dict) -> list[float]:
        return [r["prosecutor_max"], r["journalist_max"], r["marketer"], r["share_at_risk"]]
    return grouped_bar_chart(RISK_BARS, {"before": bars(before), "after": bars(after)},
                             title="Re-identification risk (highest)", percent=True)


def column_histogram(column: str, histogram: dict) -> str:
    """One ``report["histograms"][column]`` entry as grouped bars of shares."""
    return grouped_bar_chart(histogram["labels"],
                             {"before": histogram["before"], "after": histogram["after"]},
                             title=column, ylabel="share of records", percent=True)
