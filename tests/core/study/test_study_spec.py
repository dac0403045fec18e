"""The study spec: one clear line for every kind of bad document, and a lossless JSON round trip."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.study import StudySpec
from study_helpers import FULL_SPEC


def spec_with(mutate) -> dict:
    data = copy.deepcopy(FULL_SPEC)
    mutate(data)
    return data


def refused(data) -> str:
    with pytest.raises(InputError) as info:
        StudySpec.from_json(json.dumps(data))
    message = str(info.value)
    assert "\n" not in message and message.startswith("Study analyses: ")
    return message


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.update(version=2), "version 2 is not supported"),
    (lambda d: d.update(format="x"), "not a study's analyses"),
    (lambda d: d.update(colour="red"), "unknown field 'colour' in the study's analyses"),
    (lambda d: d["variables"][0].update(colour="red"), "unknown field 'colour' in variable 1"),
    (lambda d: d["analyses"][2].update(weights="w"), "unknown field 'weights' in analysis 3"),
    (lambda d: d.update(dp={"epsilon": 1, "delta": 1e-6, "honest_sites": 2, "x": 1}),
     "unknown field 'x' in the DP settings"),
    (lambda d: d["variables"][0].update(lower=200), "must be below its upper bound"),
    (lambda d: d["variables"][0].pop("upper"), "needs a upper bound"),
    (lambda d: d["variables"][0].update(decimals=1.5), "decimals of variable 'Age'"),
    (lambda d: d["variables"][0].update(upper=1e300), "too large"),
    (lambda d: d["variables"][0].update(upper=1e308, decimals=1), "too large"),
    (lambda d: (d["variables"][0].update(lower=-1e308, upper=1e308),
                d["variables"][0].pop("decimals", None)), "too large"),
    (lambda d: d["variables"][1].update(categories=["F", "F"]), "declares a category twice"),
    (lambda d: d["variables"][1].update(lower=0), "cannot have 'lower'"),
    (lambda d: d["variables"][2].update(type="date"), "has type 'date'"),
    (lambda d: d["variables"].append({"name": "Age", "type": "binary"}), "'Age' is used twice"),
    (lambda d: d["analyses"].append({"kind": "median", "variable": "Age"}), "kind 'median'"),
    (lambda d: d["analyses"].append({"kind": "mean", "variable": "Weight"}),
     "'Weight', which is not a study variable"),
    (lambda d: d["analyses"].append({"kind": "mean", "variable": "Sex"}),
     "is a category variable"),
    (lambda d: d["analyses"].append({"kind": "mean", "variable": "Age", "by": "Stay"}),
     "grouping variable 'Stay' is a number variable"),
    (lambda d: d["analyses"].append({"kind": "histogram", "variable": "Age"}), "needs bins"),
    (lambda d: d["analyses"].append({"kind": "histogram", "variable": "Age",
                                     "bins": [10, 50, 100]}), "must cover the bounds"),
    (lambda d: d["analyses"].append({"kind": "histogram", "variable": "Age",
                                     "bins": [0, 50, 50, 100]}), "must increase"),
    (lambda d: d["analyses"].append({"kind": "logistic_regression", "outcome": "Stay",
                                     "predictors": ["Age"]}), "must be binary"),
    (lambda d: d["analyses"].append({"kind": "linear_regression", "outcome": "Stay",
                                     "predictors": ["Age", "Stay"]}), "repeats a variable"),
    (lambda d: d["analyses"].append({"kind": "logistic_regression", "outcome": "Died",
                                     "predictors": ["Age"], "approximation_interval": 100}),
     "approximation interval"),
    (lambda d: d["analyses"].append(dict(d["analyses"][0])), "listed twice"),
    (lambda d: d.update(min_sites=1), "minimum number of sites"),
    (lambda d: d.update(min_sites=True), "minimum number of sites"),
    (lambda d: d.update(dp={"epsilon": 0, "delta": 1e-6, "honest_sites": 2}), "epsilon"),
    (lambda d: d.update(dp={"epsilon": 1, "delta": 0.5, "honest_sites": 2}), "delta"),
    (lambda d: d.update(dp={"epsilon": 1, "delta": 1e-6, "honest_sites": 3}),
     "must be below the minimum number of contributing sites"),
    (lambda d: d.update(max_records_per_site=0), "maximum number of records"),
])
def test_bad_specs_are_refused_with_one_line(mutate, expected):
    assert expected in refused(spec_with(mutate))


def test_non_json_and_deep_documents_are_refused():
    with pytest.raises(InputError):
        StudySpec.from_json("{not json")
    with pytest.raises(InputError, match="nests"):
        StudySpec.from_json("[" * 100 + "]" * 100)


def test_defaults_are_filled_in_and_written_back():
    spec = StudySpec.from_dict(FULL_SPEC)
    age = spec.variable("Age")
    assert (age.decimals, age.scale, age.bound) == (2, 100, 10_000)      # ≥ 10,000 steps
    assert spec.dp is None and spec.max_records_per_site == 100_000
    logistic = spec.analyses[-1]
    assert logistic.approximation_interval == 3.0
    written = json.loads(spec.to_json())
    assert written["variables"][0]["decimals"] == 2
    assert written["analyses"][-1]["approximation_interval"] == 3.0


# ---------------------------------------------------------------------- JSON round trip

names = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1,
                max_size=20).filter(lambda s: s.strip())


@st.composite
def specs(draw) -> dict:
    variables = []
    used = set()
    for _ in range(draw(st.integers(1, 6))):
        name = draw(names.filter(lambda s: s not in used))
        used.add(name)
        kind = draw(st.sampled_from(["number", "category", "binary"]))
        var = {"name": name, "type": kind, "unit": draw(st.sampled_from(["", "kg", "µmol/l"]))}
        if kind == "number":
            lo = draw(st.floats(-1e6, 1e6, allow_nan=False))
            width = draw(st.floats(1e-3, 1e6))
            var.update(lower=lo, upper=lo + width)
            if draw(st.booleans()):
                var["decimals"] = draw(st.integers(0, 3))
        elif kind == "category":
            var["categories"] = draw(st.lists(names, min_size=1, max_size=5, unique=True))
        variables.append(var)
    numeric = [v["name"] for v in variables if v["type"] != "category"]
    levels = [v["name"] for v in variables if v["type"] != "number"]
    analyses = [{"kind": "count"}]
    for v in numeric:
        kind = draw(st.sampled_from(["sum", "mean", "variance"]))
        by = draw(st.sampled_from([None] + [g for g in levels if g != v]))
        analyses.append({"kind": kind, "variable": v, "by": by})
    for v in levels:
        analyses.append({"kind": "histogram", "variable": v})
    binary = [v["name"] for v in variables if v["type"] == "binary"]
    others = [v for v in numeric if v not in binary[:1]]
    if binary and others:
        analyses.append({"kind": "logistic_regression", "outcome": binary[0],
                         "predictors": others, "approximation_interval": 2.5})
    dp = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "epsilon": st.floats(0.01, 10), "delta": st.floats(1e-12, 1e-3),
        "honest_sites": st.integers(1, 2)})))
    return {"format": "ppds-study-analyses", "version": 1, "variables": variables,
            "analyses": analyses, "min_sites": draw(st.integers(3, 20)), "dp": dp}


@settings(max_examples=150, deadline=None)
@given(specs())
def test_json_round_trip_is_lossless_and_canonical(data):
    try:
        spec = StudySpec.from_json(json.dumps(data))
    except InputError as exc:                 # only bounds too wide for their decimals
        assert "too large" in str(exc)
        return
    text = spec.to_json()
    again = StudySpec.from_json(text)
    assert again == spec
    assert again.to_json() == text
