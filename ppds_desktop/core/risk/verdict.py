"""Is a release safe to save, export or seal? The verdict read off its report.

A release passes when a privacy model (k-anonymity, l-diversity, t-closeness) was asked for and
is met on the output, and its highest re-identification risk (prosecutor: 1 / size of the
smallest group of look-alike records) is at most the threshold (default 1/5 = 20 %). Anything
else needs the user's explicit acknowledgement. Safe Harbor is a list of rules applied to the
columns; it is reported beside the verdict and never counts as a measured guarantee.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .reidentification import DEFAULT_THRESHOLD

_EPS = 1e-12


@dataclass(frozen=True)
class ReleaseVerdict:
    safe: bool
    threshold: float
    highest_risk: float
    rows: int
    unique_records: int
    records_at_risk: int              # records whose risk is above the threshold
    qi_columns: tuple[str, ...]
    model_requested: bool
    model_met: bool
    safe_harbor: bool | None          # None: not a Safe Harbor run; else every rule applied?

    @property
    def suggested_k(self) -> int:
        """The k whose groups bring every record's risk down to the threshold (5 for 20 %)."""
        return max(2, math.ceil(1 / self.threshold - _EPS))

    @property
    def can_fix(self) -> bool:
        """Adding k-anonymity helps only when there are quasi-identifiers to generalize."""
        return bool(self.qi_columns)

    def problems(self) -> list[str]:
        """What still identifies people, in plain sentences (empty when safe)."""
        if self.safe:
            return []
        out = []
        if not self.qi_columns:
            out.append("No column is marked as a quasi-identifier (something others could "
                       "know about a person, such as age, sex or ZIP code), so nothing limits "
                       "how easily a record is linked back to someone.")
        elif not self.model_requested:
            out.append("No privacy model (such as k-anonymity) was applied.")
        elif not self.model_met:
            out.append("The privacy model asked for is not met on the output.")
        if self.qi_columns and self.highest_risk > self.threshold + _EPS:
            cols = ", ".join(self.qi_columns)
            out.append(f"{self.unique_records:,} of {self.rows:,} records are unique on {cols} "
                       f"(no other record shares these values), and {self.records_at_risk:,} "
                       f"have a re-identification risk above the limit of {self.threshold:.0%} "
                       f"(the highest is {self.highest_risk:.0%}).")
        return out

    def figures(self) -> dict:
        """The numbers an acknowledgement is audited with (no cell values)."""
        d = asdict(self)
        d["qi_columns"] = list(self.qi_columns)
        return d


def release_verdict(report: dict, threshold: float = DEFAULT_THRESHOLD) -> ReleaseVerdict:
    """The verdict on a release report (``core.recipe.report.build_report``'s dict)."""
    after = report["risk"]["after"]
    model = report.get("model") or {}
    qis = tuple(after.get("qi_columns") or ())
    rows = int(after.get("n_records") or 0)
    # records at risk under *this* threshold, from the class sizes (the report's own count
    # used the recipe's threshold)
    at_risk = sum(int(size) * int(n) for size, n in (after.get("class_size_counts") or {}).items()
                  if 1 / int(size) > threshold + _EPS)
    highest = float(after.get("prosecutor_max") or 0.0) if qis else 1.0 if rows else 0.0
    requested = bool(model.get("requested"))
    met = requested and model.get("satisfied") is True
    hipaa = report.get("hipaa")
    return ReleaseVerdict(
        safe=bool(qis) and met and highest <= threshold + _EPS, threshold=threshold,
        highest_risk=highest, rows=rows, unique_records=int(after.get("unique_records") or 0),
        records_at_risk=at_risk if qis else rows, qi_columns=qis, model_requested=requested,
        model_met=met, safe_harbor=None if hipaa is None else bool(hipaa.get("compliant")))
