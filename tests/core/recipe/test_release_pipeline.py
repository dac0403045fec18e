"""The whole de-identification pipeline (core.recipe.run) on the sample data and on random
tables: independent k/l check with pycanon, determinism, and invariants."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from ppds_desktop.core.anonymize.actions import KeyRing
from ppds_desktop.core.recipe.presets import research_k_anonymity
from ppds_desktop.core.errors import PrivacyModelError
from ppds_desktop.core.recipe import new_recipe
from ppds_desktop.core.recipe.run import run_recipe
from ppds_desktop.core.sample import generate_admissions

ROLES = {"Name": "identifier", "SSN": "identifier", "Phone": "identifier",
         "Email": "identifier", "Age": "quasi_identifier", "Gender": "quasi_identifier",
         "ZIP": "quasi_identifier", "Date of Birth": "quasi_identifier",
         "Medical Condition": "sensitive"}
QIS = ["Age", "Gender", "ZIP", "Date of Birth"]


@pytest.fixture(scope="module")
def sample():
    return generate_admissions(600, seed=11)


def _recipe(sample, **privacy):
    r = research_k_anonymity(list(sample.columns), ROLES)
    r["privacy"].update(privacy)
    r["seed"] = 5
    r["columns"]["Name"] = {"role": "identifier",
                            "action": {"type": "pseudonym", "key": "study", "prefix": "P"}}
    r["columns"]["Date of Admission"] = {"action": {"type": "date_shift", "key": "shift",
                                                    "max_days": 20, "person": "Name"}}
    r["columns"]["Discharge Date"] = {"action": {"type": "date_shift", "key": "shift",
                                                 "max_days": 20, "person": "Name"}}
    r["columns"]["SSN"] = {"role": "identifier", "action": {"type": "mask", "keep_last": 4}}
    return r


def _keys():
    return KeyRing(lambda kind, name: {("pseudonym_key", "study"): b"k" * 32,
                                       ("date_shift_key", "shift"): b"s" * 32}.get((kind, name)))


def test_pycanon_confirms_k_and_l_on_the_sample(sample):
    out = run_recipe(sample, _recipe(sample, l={"l": 2}), keys=_keys())
    data = out.data
    assert out.report["model"]["satisfied"] is True
    k = anonymity.k_anonymity(data, QIS)
    l_div = anonymity.l_diversity(data, QIS, ["Medical Condition"])
    assert k >= 5 and l_div >= 2
    assert out.report["model"]["achieved"]["k"] == k
    assert out.report["model"]["achieved"]["l[Medical Condition]"] == l_div
    assert out.report["rows"]["suppressed"] <= int(0.05 * len(sample))
    assert len(data) == len(sample) - out.report["rows"]["suppressed"]
    assert out.report["risk"]["after"]["prosecutor_max"] <= 1 / 5
    assert out.report["risk"]["before"]["prosecutor_max"] == 1.0
    # identifiers never survive
    released = set(map(str, data.values.ravel()))
    assert not released & set(sample["Name"]) and not released & set(sample["SSN"])
    assert not released & set(sample["Email"]) and "Email" not in data.columns
    assert out.candidates and out.candidates[0]["levels"] == out.report["generalization"]["levels"]


def test_same_input_recipe_and_seed_give_the_same_output(sample):
    a = run_recipe(sample, _recipe(sample, t={"t": 0.3, "distance": "equal"}), keys=_keys())
    b = run_recipe(sample, _recipe(sample, t={"t": 0.3, "distance": "equal"}), keys=_keys())
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.report["generalization"]["levels"] == b.report["generalization"]["levels"]
    assert a.report["model"]["achieved"]["t[Medical Condition]"] <= 0.3


def test_date_shift_keeps_length_of_stay(sample):
    out = run_recipe(sample, _recipe(sample), keys=_keys())
    r = out.recipe
    assert r["columns"]["Date of Admission"]["action"]["type"] == "date_shift"
    stay_in = (sample["Discharge Date"] - sample["Date of Admission"]).dt.days
    plain = run_recipe(sample, new_recipe(columns={
        "Date of Admission": {"action": {"type": "date_shift", "key": "shift", "max_days": 20,
                                         "person": "Name"}},
        "Discharge Date": {"action": {"type": "date_shift", "key": "shift", "max_days": 20,
                                      "person": "Name"}}}), keys=_keys()).data
    stay_out = (plain["Discharge Date"] - plain["Date of Admission"]).dt.days
    assert (stay_in.to_numpy() == stay_out.to_numpy()).all()
    assert (plain["Date of Admission"] != sample["Date of Admission"]).all()


def test_fixed_levels_pick_an_alternative(sample):
    best = run_recipe(sample, _recipe(sample), keys=_keys())
    alt = best.candidates[-1]["levels"]
    out = run_recipe(sample, _recipe(sample, levels=alt), keys=_keys())
    assert out.report["generalization"]["levels"] == alt
    assert anonymity.k_anonymity(out.data, QIS) >= 5


def test_report_html_is_self_contained(sample):
    from ppds_desktop.core.report import render_html

    out = run_recipe(sample, _recipe(sample, l={"l": 2}), keys=_keys())
    html = render_html(out.report)
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 3
    lowered = html.lower()
    for bad in ("<script", "<link", " src=", "url(", "@import"):
        assert bad not in lowered
    assert lowered.count("http") == lowered.count('xmlns="http://www.w3.org/2000/svg"')
    for name in sample["Name"].head(50):             # no identifier values in the report
        assert name not in html
    import json
    json.dumps(out.report, allow_nan=False)           # strict JSON
    assert out.report["model"]["measured_on"] == "released table"
    # the figures are explained in plain words, and chart labels are not cut short
    for term in ("<b>Prosecutor</b>", "<b>Journalist</b>", "<b>Marketer</b>",
                 "<b>Hellinger</b>", "<b>Loss</b>"):
        assert term in html
    assert "…" not in html


def test_impossible_model_is_refused_with_numbers(sample):
    r = _recipe(sample, k=len(sample) + 1, suppression_limit=0.0)
    with pytest.raises(PrivacyModelError, match=r"at most 0 suppressed rows of 600"):
        run_recipe(sample, r, keys=_keys())


def test_new_keys_are_made_in_memory_only(sample):
    ring = KeyRing()
    out = run_recipe(sample, _recipe(sample), keys=ring)
    assert set(out.created_keys) == {("pseudonym_key", "study"), ("date_shift_key", "shift")}


def test_mondrian_method(sample):
    pytest.importorskip("ppds_desktop.core.anonymize.mondrian")
    recipe = _recipe(sample, method="mondrian", k=4, l={"l": 2})
    for col in ("Gender", "ZIP", "Date of Birth"):                # Mondrian: numeric QIs
        recipe["columns"][col]["role"] = "insensitive"
        recipe["columns"][col]["action"] = {"type": "keep"}
    recipe["columns"]["Room Number"] = {"role": "quasi_identifier"}
    out = run_recipe(sample, recipe, keys=_keys())
    qis = ["Age", "Room Number"]
    assert anonymity.k_anonymity(out.data, qis) >= 4
    assert anonymity.l_diversity(out.data, qis, ["Medical Condition"]) >= 2
    assert out.report["model"]["achieved"]["k"] >= 4 and out.report["model"]["satisfied"]
    assert out.report["generalization"]["method"] == "mondrian"
    assert out.report["rows"]["suppressed"] == 0


# Random tables: two or three QIs with small domains, one identifier, one sensitive column.
@st.composite
def tables(draw):
    n = draw(st.integers(8, 60))
    ints = st.integers(0, 9)
    df = pd.DataFrame({
        "id": [f"ID{i:04d}" for i in range(n)],
        "q1": draw(st.lists(st.integers(10, 70), min_size=n, max_size=n)),
        "q2": draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)),
        "q3": [str(v) for v in draw(st.lists(ints, min_size=n, max_size=n))],
        "s": draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n)),
    })
    k = draw(st.integers(2, 5))
    limit = draw(st.sampled_from([0.0, 0.05, 0.2, 0.5]))
    l_val = draw(st.sampled_from([None, 2]))
    id_action = draw(st.sampled_from([{"type": "drop"}, {"type": "mask", "keep_last": 2},
                                      {"type": "fixed", "pattern": "X"},
                                      {"type": "pseudonym", "key": "p"}]))
    return df, k, limit, l_val, id_action


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_output_satisfies_the_reported_model(args):
    df, k, limit, l_val, id_action = args
    privacy = {"k": k, "suppression_limit": limit}
    if l_val:
        privacy["l"] = {"l": l_val}
    recipe = new_recipe(columns={
        "id": {"role": "identifier", "action": id_action},
        "q1": {"role": "quasi_identifier"}, "q2": {"role": "quasi_identifier"},
        "q3": {"role": "quasi_identifier"}, "s": {"role": "sensitive"}}, privacy=privacy)
    try:
        out = run_recipe(df, recipe, keys=KeyRing(lambda kind, name: b"p" * 32))
    except PrivacyModelError:
        return                                  # refusing is allowed; lying is not
    data, rep = out.data, out.report
    assert rep["rows"]["suppressed"] <= int(limit * len(df) + 1e-9)
    assert len(data) == len(df) - rep["rows"]["suppressed"]
    if len(data):
        assert anonymity.k_anonymity(data, ["q1", "q2", "q3"]) >= k
        assert rep["model"]["achieved"]["k"] >= k
        if l_val:
            assert anonymity.l_diversity(data, ["q1", "q2", "q3"], ["s"]) >= l_val
    assert rep["model"]["satisfied"] in (True, None)
    if "id" in data.columns:
        assert not set(data["id"]) & set(df["id"])     # identifiers never survive


def test_relative_hierarchy_file_of_a_fixed_level_is_found_beside_the_recipe(tmp_path,
                                                                            monkeypatch):
    """A fixed-level generalisation reads its hierarchy file from the recipe's folder, as the
    searched columns do, not from wherever the program was started."""
    df = pd.DataFrame({"sex": ["F", "M", "F", "M"], "n": [1, 2, 3, 4]})
    (tmp_path / "sex.csv").write_text("F;person\nM;person\n", encoding="utf-8")
    recipe = new_recipe(columns={"sex": {"role": "quasi_identifier", "action": {
        "type": "generalize", "level": 1, "hierarchy": {"kind": "file", "file": "sex.csv"}}}})
    monkeypatch.chdir(tmp_path.parent)              # not the recipe's folder
    out = run_recipe(df, recipe, base_dir=tmp_path)
    assert out.data["sex"].tolist() == ["person"] * 4
