"""Re-identification risk of a table given its quasi-identifiers.

``measure_risk(df, qi_columns)`` returns a :class:`RiskReport` (prosecutor, journalist and
marketer risk, records at risk above a threshold, unique records, class-size distribution);
``release_verdict(report, threshold)`` says whether a release may go without the user's
explicit acknowledgement.
"""

from .reidentification import DEFAULT_THRESHOLD, RiskReport, class_ids, class_sizes, measure_risk
from .verdict import ReleaseVerdict, release_verdict

__all__ = ["DEFAULT_THRESHOLD", "ReleaseVerdict", "RiskReport", "class_ids", "class_sizes",
           "measure_risk", "release_verdict"]
