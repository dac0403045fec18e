"""Re-identification risk of a table given its quasi-identifiers.

``measure_risk(df, qi_columns)`` returns a :class:`RiskReport` (prosecutor, journalist and
marketer risk, records at risk above a threshold, unique records, class-size distribution).
"""

from .reidentification import RiskReport, class_ids, class_sizes, measure_risk

__all__ = ["RiskReport", "class_ids", "class_sizes", "measure_risk"]
