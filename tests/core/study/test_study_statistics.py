"""A site's study statistics: the plan, clipping / unknown / missing counts, the preview of what
leaves the site, and the packing layout that never wraps (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.he.encoding import pack_vector, unpack
from ppds_desktop.core.study import (StudySpec, ciphertext_count, layout_for, plan,
                                     site_statistics)
from ppds_desktop.core.study.noise import noise_bounds
from study_helpers import FULL_SPEC, make_site, make_spec

N_2048 = (1 << 2047) + 12345          # any odd 2048-bit modulus: packing only needs its size


def small_spec(analyses, variables=None, **extra) -> StudySpec:
    return StudySpec.from_dict({
        "format": "ppds-study-analyses", "version": 1,
        "variables": variables or [
            {"name": "Age", "type": "number", "lower": 0, "upper": 100, "decimals": 0},
            {"name": "Sex", "type": "category", "categories": ["F", "M"]},
            {"name": "Died", "type": "binary"}],
        "analyses": analyses, "min_sites": 3, **extra})


# ---------------------------------------------------------------------- the plan

def test_plan_shares_statistics_between_analyses():
    spec = small_spec([{"kind": "mean", "variable": "Age"},
                       {"kind": "variance", "variable": "Age"},
                       {"kind": "count", "by": "Sex"},
                       {"kind": "histogram", "variable": "Sex"},
                       {"kind": "linear_regression", "outcome": "Died", "predictors": ["Age"]},
                       {"kind": "logistic_regression", "outcome": "Died", "predictors": ["Age"]}])
    labels = [s.label for s in plan(spec)]
    assert labels == [
        "Number of records with Age given", "Sum of Age", "Sum of squares of Age",
        "Number of records (Sex is F)", "Number of records (Sex is M)",
        "Number of records with Age and Died given", "Sum of Age (records with Age and Died "
        "both given)", "Sum of squares of Age (records with Age and Died both given)",
        "Sum of Died (records with Age and Died both given)",
        "Sum of Age × Died"]
    # yᵀy of a binary outcome is Σy: no extra statistic; the logistic one adds nothing either
    study_plan = plan(spec)
    assert [s.bound for s in study_plan][:3] == [1, 100, 10_000]
    assert study_plan[2].scale == 1


def test_site_statistics_count_what_stays_at_the_site():
    spec = small_spec([{"kind": "mean", "variable": "Age", "by": "Sex"}],
                      dp={"epsilon": 1, "delta": 1e-6, "honest_sites": 2})
    frame = pd.DataFrame({"Age": [30, 40, 150, -3, None, 50], "Sex": ["F", "M", "F", "F", "F", "X"],
                          "Died": [0, 1, 0, 1, 0, 1]})
    site = site_statistics(spec, frame)
    assert [s.label for s in site.plan] == ["Number of records with Age given (Sex is F)",
                                            "Sum of Age (Sex is F)",
                                            "Number of records with Age given (Sex is M)",
                                            "Sum of Age (Sex is M)"]
    assert site.records == [3, 3, 1, 1]
    assert site.values == [3, 30 + 100 + 0, 1, 40]
    assert site.clipped == {"Age": 2} and site.unknown == {"Age": 0, "Sex": 1}
    assert site.missing == {"Age": 1, "Sex": 0}
    notes = site.notes()
    assert "2 values of Age outside the study's bounds were moved to the nearest bound." in notes
    assert "1 value of Sex is not among the study's declared values and was left out." in notes


def test_values_are_read_from_every_kind_of_column():
    spec = small_spec([{"kind": "sum", "variable": "Age"}, {"kind": "sum", "variable": "Died"},
                       {"kind": "count", "by": "Sex"}],
                      variables=[{"name": "Age", "type": "number", "lower": 0, "upper": 100,
                                  "decimals": 1},
                                 {"name": "Sex", "type": "category", "categories": ["1", "2"]},
                                 {"name": "Died", "type": "binary"}])
    frame = pd.DataFrame({
        "Age": pd.Series(["12.5", " 30", "abc", "", None, "200"], dtype=object),
        "Sex": pd.Series([1.0, 2.0, np.nan, 3.0, 1.0, 2.0]),
        "Died": pd.Series(["yes", "No", "1", "maybe", True, None], dtype=object)})
    site = site_statistics(spec, frame)
    assert site.values == [125 + 300 + 1000, 1 + 1 + 1, 2, 2]
    assert site.unknown == {"Age": 1, "Sex": 1, "Died": 1}
    assert site.missing == {"Age": 2, "Sex": 1, "Died": 1}
    assert site.clipped == {"Age": 1}
    nullable = frame.assign(Age=pd.array([12, 30, None, 1, 2, 200], dtype="Int64"))
    assert site_statistics(spec, nullable).values[0] == (12 + 30 + 1 + 2 + 100) * 10


def test_bad_frames_are_refused_with_one_line():
    spec = make_spec()
    frame = make_site(1, 50)
    with pytest.raises(InputError, match="no column for the study variable 'Dose'"):
        site_statistics(spec, frame.drop(columns="Dose"))
    with pytest.raises(InputError, match="at most 10 per site"):
        site_statistics(make_spec(max_records_per_site=10), frame)
    with pytest.raises(InputError, match="same name"):
        site_statistics(spec, pd.concat([frame, frame[["Age"]]], axis=1))


def test_wide_pass_equals_the_per_statistic_path_in_any_memory_order():
    spec = make_spec()
    frame = make_site(4, 3000)
    reference = site_statistics(spec, frame)
    as_text = frame.assign(Age=frame["Age"].astype(object), Stay=frame["Stay"].astype(object))
    assert site_statistics(spec, as_text).values == reference.values      # generic path
    numbers = frame[["Age", "Stay", "Dose"]]
    c_order = pd.DataFrame(np.ascontiguousarray(numbers.to_numpy()), columns=numbers.columns)
    f_order = pd.DataFrame(np.asfortranarray(numbers.to_numpy()), columns=numbers.columns)
    for layout in (c_order, f_order):
        mixed = layout.assign(Sex=frame["Sex"].to_numpy(), Died=frame["Died"].to_numpy())
        assert site_statistics(spec, mixed).values == reference.values
        assert site_statistics(spec, mixed).clipped == reference.clipped


# ---------------------------------------------------------------------- layout

def test_layout_for_ten_thousand_variables_needs_a_few_hundred_ciphertexts():
    variables = [{"name": f"v{i}", "type": "number", "lower": 0, "upper": 120}
                 for i in range(10_000)]
    analyses = [{"kind": "mean", "variable": f"v{i}"} for i in range(10_000)]
    spec = StudySpec.from_dict({"format": "ppds-study-analyses", "version": 1,
                                "variables": variables, "analyses": analyses, "min_sites": 3,
                                "max_records_per_site": 100_000,
                                "dp": {"epsilon": 1, "delta": 1e-6, "honest_sites": 2}})
    study_plan = plan(spec)
    layout = layout_for(study_plan, 20, spec.dp)
    assert len(study_plan) == 20_000
    assert 40 <= len(layout.slots) and 100 <= ciphertext_count(study_plan, layout) <= 500
    off = layout_for(study_plan, 20, None)
    assert len(off.slots) >= len(layout.slots)


def test_layout_refuses_what_cannot_fit_a_slot():
    spec = small_spec([{"kind": "variance", "variable": "Age"}],
                      variables=[{"name": "Age", "type": "number", "lower": -1e12,
                                  "upper": 1e12, "decimals": 3}],
                      max_records_per_site=10 ** 9)
    layout = layout_for(plan(spec), 20, None)                 # Σx² per site: about 2¹³⁰
    assert layout.widths[0] == 131 + 5
    with pytest.raises(InputError, match="needs 136 bits, more than one 128-bit plaintext"):
        layout_for(plan(spec), 20, None, key_bits=128)
    with pytest.raises(InputError, match="at least 1"):
        layout_for(plan(spec), 0, None)


# ---------------------------------------------------------------------- properties

@st.composite
def studies(draw):
    """A random spec with products of bounded numbers, a few sites at the extremes of their
    bounds and record counts, and the number of sites allowed."""
    n_vars = draw(st.integers(1, 3))
    variables = []
    for i in range(n_vars):
        lo = draw(st.integers(-10 ** 6, 10 ** 6)) / 10 ** draw(st.integers(0, 3))
        width = draw(st.integers(1, 10 ** 6)) / 10 ** draw(st.integers(0, 3))
        variables.append({"name": f"x{i}", "type": "number", "lower": lo, "upper": lo + width,
                          "decimals": draw(st.integers(0, 3))})
    variables.append({"name": "g", "type": "category", "categories": ["a", "b"]})
    names = [v["name"] for v in variables[:-1]]
    analyses = [{"kind": "variance", "variable": n, "by": draw(st.sampled_from([None, "g"]))}
                for n in names]
    if n_vars > 1:
        analyses.append({"kind": "linear_regression", "outcome": names[0],
                         "predictors": names[1:]})
    dp = draw(st.one_of(st.none(), st.just({"epsilon": 0.5, "delta": 1e-8, "honest_sites": 2})))
    max_records = draw(st.integers(1, 40))
    spec = {"format": "ppds-study-analyses", "version": 1, "variables": variables,
            "analyses": analyses, "min_sites": 3, "max_records_per_site": max_records, "dp": dp}
    n_max = draw(st.integers(2, 40))
    n_sites = draw(st.integers(1, n_max))
    return spec, n_max, n_sites, draw(st.randoms(use_true_random=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies())
def test_sum_over_sites_never_wraps(case):
    """Every site at its maximum records, every value at a bound (or anywhere between), every
    noise share at ± its largest value: the packed sum over up to n_sites_max sites unpacks to
    the exact integer sum."""
    raw, n_max, n_sites, rnd = case
    try:
        spec = StudySpec.from_dict(raw)
    except InputError:
        return                                  # bounds too wide for the decimals asked
    study_plan = plan(spec)
    try:
        layout = layout_for(study_plan, n_max, spec.dp)
    except InputError as exc:                   # a product too wide for one slot
        assert "bits" in str(exc)
        return
    limits = noise_bounds(study_plan, spec.dp)
    packed_sum, exact = None, [0] * len(study_plan)
    for _ in range(n_sites):
        n = rnd.choice([spec.max_records_per_site, rnd.randint(1, spec.max_records_per_site)])
        cols = {}
        for var in spec.variables:
            if var.type == "number":
                cols[var.name] = [rnd.choice([var.lower, var.upper,
                                              rnd.uniform(var.lower, var.upper)])
                                  for _ in range(n)]
            else:
                cols[var.name] = [rnd.choice(["a", "b"]) for _ in range(n)]
        values = site_statistics(spec, pd.DataFrame(cols)).values
        values = [v + rnd.choice([-1, 1]) * z for v, z in zip(values, limits)]
        exact = [a + b for a, b in zip(exact, values)]
        packed = [m % N_2048 for m in pack_vector(layout, values)]
        packed_sum = packed if packed_sum is None else \
            [(a + b) % N_2048 for a, b in zip(packed_sum, packed)]
    unpacked = [v for row in unpack(layout, packed_sum, N_2048) for v in row]
    assert unpacked[:len(study_plan)] == exact
    assert all(v == 0 for v in unpacked[len(study_plan):])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False),
                          st.sampled_from([float("inf"), -float("inf"), 0.0, 120.0])),
                min_size=1, max_size=60),
       st.integers(0, 3))
def test_clipping_counts_and_sums(values, decimals):
    spec = small_spec([{"kind": "variance", "variable": "Age"}],
                      variables=[{"name": "Age", "type": "number", "lower": -20, "upper": 120,
                                  "decimals": decimals}])
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    for frame in (pd.DataFrame({"Age": x}), pd.DataFrame({"Age": x.astype(object)})):
        site = site_statistics(spec, frame)
        present = x[~np.isnan(x)]
        assert site.clipped["Age"] == int(((present < -20) | (present > 120)).sum())
        assert site.missing["Age"] == int(np.isnan(x).sum())
        encoded = [int(round(min(max(v, -20), 120) * 10 ** decimals)) for v in present]
        assert site.values[0] == len(present)
        assert site.values[1] == sum(encoded)
        assert site.values[2] == sum(e * e for e in encoded)


def test_full_spec_fits_one_ciphertext_and_bounds_are_honest():
    spec = make_spec(dp={"epsilon": 1, "delta": 1e-6, "honest_sites": 2}, min_sites=3)
    study_plan = plan(spec)
    layout = layout_for(study_plan, 10, spec.dp)
    assert ciphertext_count(study_plan, layout) == math.ceil(len(study_plan) / len(layout.slots))
    assert FULL_SPEC["max_records_per_site"] * max(s.bound for s in study_plan) < \
        2 ** (layout.slots[0].value_bits - 1)


def test_site_statistics_reports_progress_and_can_be_cancelled():
    from ppds_desktop.core.errors import Cancelled
    from ppds_desktop.core.progress import TaskState
    spec = make_spec()
    frame = make_site(5, 2000)
    seen = []
    site_statistics(spec, frame, task=TaskState(lambda f, m: seen.append((f, m))))
    assert seen and all(0 <= f <= 1 for f, _ in seen)
    task = TaskState()
    task.cancel()
    with pytest.raises(Cancelled):
        site_statistics(spec, frame, task=task)
