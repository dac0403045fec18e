"""Re-identification risk from equivalence classes (records sharing all quasi-identifiers).

The three classic attacker models (El Emam; as in ARX):

- prosecutor: the attacker knows their target is in the released table. A record in a class of
  size f is re-identified with probability 1/f.
- journalist: the attacker knows only that the target is in a larger population of which the
  table is a sample. Risk is 1/F, F the class size in the population. Without population
  figures the table is taken to be the population (F = f, risk = prosecutor risk); with a
  population size N the class sizes are estimated as F = max(f, f·N/n) (each class scaled by
  the inverse sampling fraction) — an estimate, shown as such.
- marketer: the attacker tries to re-identify everybody; the expected share of records
  re-identified is (1/n)·Σ f/F over classes, i.e. the mean of 1/F over records
  (= classes / records when F = f). Prosecutor and journalist *maximum* risks are the worst
  record's; their averages are the mean over records.

Missing values count as a value of their own (they are visible in the release).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError

DEFAULT_THRESHOLD = 0.2          # 1/5: a record in a class smaller than 5 is "at risk"


def class_ids(df: pd.DataFrame, qi_columns: list[str]) -> np.ndarray:
    """Equivalence-class id of every row, numbered 0, 1, … in order of first appearance
    (rows with equal quasi-identifiers share an id; a missing value is a value)."""
    ids = np.zeros(len(df), dtype=np.int64)
    for col in qi_columns:                     # combine factorized codes into one class id
        codes, uniques = pd.factorize(df[col], use_na_sentinel=False)
        # re-factorizing keeps the ids small, so the product cannot overflow
        ids = pd.factorize(ids * (len(uniques) + 1) + codes)[0].astype(np.int64)
    return ids


def class_sizes(df: pd.DataFrame, qi_columns: list[str]) -> np.ndarray:
    """Size of each record's equivalence class, one entry per row."""
    missing = [c for c in qi_columns if c not in df.columns]
    if missing:
        raise InputError(f"no such quasi-identifier column(s): {', '.join(missing)}")
    ids = class_ids(df, qi_columns)
    return np.bincount(ids)[ids]


@dataclass
class RiskReport:
    n_records: int
    n_classes: int
    qi_columns: list[str]
    threshold: float
    prosecutor_max: float
    prosecutor_avg: float
    journalist_max: float
    journalist_avg: float
    marketer: float
    records_at_risk: int
    share_at_risk: float
    unique_records: int
    share_unique: float
    min_class_size: int
    population_size: int | None = None
    class_size_counts: dict[int, int] = field(default_factory=dict)  # size -> number of classes

    def to_dict(self) -> dict:
        d = asdict(self)
        d["class_size_counts"] = {str(k): v for k, v in sorted(self.class_size_counts.items())}
        return d


def measure_risk(df: pd.DataFrame, qi_columns: list[str], *,
                 threshold: float = DEFAULT_THRESHOLD,
                 population_size: int | None = None) -> RiskReport:
    """Risk figures for ``df`` with the given quasi-identifiers (see the module docstring)."""
    if not 0 < threshold <= 1:
        raise InputError(f"the risk threshold must be in (0, 1], got {threshold:g}")
    n = len(df)
    if population_size is not None and population_size < n:
        raise InputError(f"the population size ({population_size:,}) is smaller than the "
                         f"number of records ({n:,})")
    sizes = class_sizes(df, qi_columns)
    if n == 0:
        return RiskReport(0, 0, list(qi_columns), threshold, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0.0,
                          0, 0.0, 0, population_size, {})
    f = sizes.astype(np.float64)
    scale = (population_size / n) if population_size else 1.0
    pop = np.maximum(f, f * scale)
    size_values, row_counts = np.unique(sizes, return_counts=True)
    class_counts = {int(s): int(c // s) for s, c in zip(size_values, row_counts)}
    n_classes = sum(class_counts.values())
    prosecutor = 1.0 / f
    journalist = 1.0 / pop
    at_risk = int((prosecutor > threshold + 1e-12).sum())
    uniques = int((sizes == 1).sum())
    return RiskReport(
        n_records=n, n_classes=n_classes, qi_columns=list(qi_columns), threshold=threshold,
        prosecutor_max=float(prosecutor.max()), prosecutor_avg=n_classes / n,
        journalist_max=float(journalist.max()), journalist_avg=float(journalist.mean()),
        marketer=float(journalist.mean()),
        records_at_risk=at_risk, share_at_risk=at_risk / n,
        unique_records=uniques, share_unique=uniques / n,
        min_class_size=int(sizes.min()), population_size=population_size,
        class_size_counts=class_counts)
