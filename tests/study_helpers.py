"""Shared by the study statistics tests: a spec with every analysis, synthetic sites, and the
pooled reference values computed independently with pandas/numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ppds_desktop.core.he.encoding import pack_vector, unpack
from ppds_desktop.core.study import StudySpec, layout_for, plan, site_statistics

FULL_SPEC = {
    "format": "ppds-study-analyses", "version": 1,
    "variables": [
        {"name": "Age", "type": "number", "unit": "years", "lower": 0, "upper": 100},
        {"name": "Sex", "type": "category", "categories": ["F", "M"]},
        {"name": "Stay", "type": "number", "unit": "days", "lower": 0, "upper": 60,
         "decimals": 1},
        {"name": "Dose", "type": "number", "lower": -5, "upper": 5, "decimals": 3},
        {"name": "Died", "type": "binary"},
    ],
    "analyses": [
        {"kind": "count"},
        {"kind": "count", "by": "Sex"},
        {"kind": "sum", "variable": "Stay"},
        {"kind": "mean", "variable": "Age"},
        {"kind": "mean", "variable": "Dose", "by": "Died"},
        {"kind": "variance", "variable": "Age", "by": "Sex"},
        {"kind": "histogram", "variable": "Age", "bins": [0, 18, 65, 100]},
        {"kind": "histogram", "variable": "Sex", "by": "Died"},
        {"kind": "linear_regression", "outcome": "Stay", "predictors": ["Age", "Dose", "Died"]},
        {"kind": "logistic_regression", "outcome": "Died", "predictors": ["Age", "Dose"]},
    ],
    "min_sites": 2,
    "max_records_per_site": 100_000,
}


def make_spec(**changes) -> StudySpec:
    data = dict(FULL_SPEC)
    data.update(changes)
    return StudySpec.from_dict(data)


def make_site(seed: int, n: int = 400) -> pd.DataFrame:
    """A site's data with the study's column names, some values out of bounds, unknown
    categories and missing values (numpy.random is fine here: this is test data, not noise)."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 25, n).round(1)                  # some below 0 and above 100
    dose = rng.normal(0, 2, n).round(4)
    died = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 0.04 * age + 0.3 * dose)))).astype(int)
    stay = (rng.exponential(6, n) + 0.2 * age * 0.1).round(2)
    sex = rng.choice(["F", "M", "unknown"], n, p=[0.48, 0.48, 0.04]).astype(object)
    frame = pd.DataFrame({"Age": age, "Sex": sex, "Stay": stay, "Dose": dose, "Died": died,
                          "Other": rng.random(n)})
    frame.loc[rng.random(n) < 0.05, "Age"] = np.nan
    frame.loc[rng.random(n) < 0.03, "Sex"] = None
    frame.loc[rng.random(n) < 0.02, "Stay"] = np.nan
    return frame


def on_grid(spec: StudySpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The pooled data as the study sees it: numbers clipped and rounded to their decimals,
    unknown categories missing."""
    out = frame.copy()
    for var in spec.variables:
        if var.type == "number":
            x = out[var.name].astype(float).clip(var.lower, var.upper)
            out[var.name] = np.round(x * var.scale) / var.scale
        elif var.type == "category":
            out[var.name] = out[var.name].where(out[var.name].isin(var.categories))
    return out


def run_study(spec: StudySpec, frames: list[pd.DataFrame], *, noise=None, n_sites_max=10,
              key_n: int | None = None) -> list[int]:
    """Each site's statistics (plus an optional noise list per site), packed with the study's
    layout, summed as plaintexts mod a 2048-bit n, and unpacked: the totals in plan order."""
    study_plan = plan(spec)
    layout = layout_for(study_plan, n_sites_max, spec.dp)
    n = key_n or (1 << 2047) + 12345
    summed = None
    for j, frame in enumerate(frames):
        values = site_statistics(spec, frame).values
        if noise is not None:
            values = [v + z for v, z in zip(values, noise[j])]
        packed = [m % n for m in pack_vector(layout, values)]
        summed = packed if summed is None else [(a + b) % n for a, b in zip(summed, packed)]
    return [v for row in unpack(layout, summed, n) for v in row][:len(study_plan)]
