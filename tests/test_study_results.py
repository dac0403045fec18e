"""Study results with DP off equal the pooled plaintext computation (pandas / numpy / scipy),
after packing, summing as Paillier plaintexts and unpacking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.study import finish, plan
from study_helpers import make_site, make_spec, on_grid, run_study

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def study():
    spec = make_spec()
    frames = [make_site(s) for s in SEEDS]
    totals = run_study(spec, frames)
    result = finish(spec, plan(spec), totals, len(frames), None)
    pooled = on_grid(spec, pd.concat(frames, ignore_index=True))
    return spec, result, pooled


def figures(result, kind):
    return [a for a in result.analyses if a.kind == kind]


def test_counts_and_histograms_equal_pandas(study):
    spec, result, pooled = study
    counts = figures(result, "count")
    assert counts[0].figures[0].value == len(pooled)
    by_sex = {f.label: f.value for f in counts[1].figures}
    assert by_sex == {f"Number of records (Sex is {s})": float((pooled["Sex"] == s).sum())
                      for s in ("F", "M")}
    age_hist, sex_hist = figures(result, "histogram")
    edges = [0, 18, 65, 100]
    expected = np.histogram(pooled["Age"].dropna(), bins=edges)[0]   # last bin closed, as ours
    assert [f.value for f in age_hist.figures] == list(expected)
    for f in sex_hist.figures:
        died = 1 if f.label.endswith("(Died is yes)") else 0
        sex = f.label.split(" is ")[1].split(" ")[0]
        assert f.value == ((pooled["Sex"] == sex) & (pooled["Died"] == died)).sum()
    assert all(f.interval is None for a in result.analyses for f in a.figures)


def test_sum_mean_variance_equal_pandas(study):
    spec, result, pooled = study
    [total] = figures(result, "sum")
    assert total.figures[0].value == pytest.approx(pooled["Stay"].sum(), rel=1e-12)
    mean_age, mean_dose = figures(result, "mean")
    assert mean_age.figures[0].value == pytest.approx(pooled["Age"].mean(), rel=1e-13)
    assert mean_age.figures[0].records == pooled["Age"].notna().sum()
    for f, died in zip(mean_dose.figures, (0, 1)):
        assert f.value == pytest.approx(pooled.loc[pooled["Died"] == died, "Dose"].mean(),
                                        rel=1e-12)
    [var] = figures(result, "variance")
    for sex in ("F", "M"):
        ages = pooled.loc[pooled["Sex"] == sex, "Age"]
        got = {f.label: f.value for f in var.figures}
        assert got[f"Variance of Age (Sex is {sex})"] == pytest.approx(ages.var(ddof=1), rel=1e-12)
        assert got[f"Standard deviation of Age (Sex is {sex})"] == pytest.approx(ages.std(ddof=1),
                                                                                rel=1e-12)


def test_results_are_within_half_a_step_of_the_raw_data(study):
    spec, result, _ = study
    raw = pd.concat([make_site(s) for s in SEEDS], ignore_index=True)
    mean_age = figures(result, "mean")[0].figures[0].value
    clipped = raw["Age"].clip(0, 100)
    assert abs(mean_age - clipped.mean()) <= 0.5 / 100


def test_finish_refuses_too_few_sites_and_wrong_lengths():
    spec = make_spec()
    study_plan = plan(spec)
    with pytest.raises(InputError, match="at least 2"):
        finish(spec, study_plan, [0] * len(study_plan), 1, None)
    with pytest.raises(InputError, match="totals"):
        finish(spec, study_plan, [0] * (len(study_plan) - 1), 2, None)
