"""HIPAA Safe Harbor, research k-anonymity and expert presets, and the Safe Harbor checklist."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings

from ppds_desktop.core.recipe import validate
from ppds_desktop.core.recipe.presets import (HIPAA_CATEGORIES, expert, hipaa_checklist,
                                              hipaa_safe_harbor, research_k_anonymity)
from ppds_desktop.core.recipe.run import run_recipe
from ppds_desktop.core.sample import generate_admissions

TODAY = dt.date(2026, 1, 15)


def test_hipaa_preset_covers_the_sample_and_checklist_has_18_items():
    df = generate_admissions(120, seed=3)
    recipe = validate(hipaa_safe_harbor(list(df.columns), today=TODAY))
    cols = recipe["columns"]
    for c in ("Name", "Phone", "Email", "SSN"):
        assert cols[c]["action"]["type"] == "drop"
    assert cols["ZIP"]["action"] == {"type": "zip3", "restricted_to_000": True}
    assert cols["Date of Admission"]["action"]["type"] == "year"
    assert cols["Date of Birth"]["action"] == {"type": "year", "bottom": 2026 - 89}
    assert cols["Age"]["action"]["top_label"] == "90+"
    assert cols["Admission Type"]["action"]["type"] == "keep"
    assert cols["Hospital"]["action"]["type"] == "keep"
    checklist = hipaa_checklist(recipe)
    assert len(checklist["items"]) == 18 == len(HIPAA_CATEGORIES)
    status = {i["category"]: i["status"] for i in checklist["items"]}
    assert status["names"] == status["ssn"] == status["email"] == status["phone"] == "done"
    assert status["dates"] == status["geography"] == "done"
    assert status["biometric"] == status["photo"] == "confirm"
    assert status["fax"] == "not found"
    assert checklist["compliant"]
    assert {c["column"] for c in checklist["columns"]} == set(df.columns)


def test_hipaa_output_has_no_identifiers_no_full_dates_no_old_ages():
    df = generate_admissions(300, seed=4)
    df.loc[0, "Age"] = 97
    df.loc[1, "ZIP"] = "03601"
    out = run_recipe(df, hipaa_safe_harbor(list(df.columns), today=TODAY))
    data = out.data
    for c in ("Name", "Phone", "Email", "SSN"):
        assert c not in data.columns
    assert data.loc[0, "Age"] == "90+"
    assert not any(isinstance(a, int) and a > 89 for a in data["Age"])
    assert data.loc[1, "ZIP"] == "000"
    assert data["ZIP"].str.len().eq(3).all()
    years = set(data["Date of Admission"]) | set(data["Discharge Date"])
    assert all(str(y).isdigit() and len(str(y)) == 4 for y in years)
    assert out.report["hipaa"]["compliant"]


def test_checklist_flags_an_edited_recipe_that_keeps_phone_numbers():
    recipe = hipaa_safe_harbor(["Phone", "Fax number", "Patient ID"],
                               roles={"Patient ID": "identifier"}, today=TODAY)
    recipe["columns"]["Phone"]["action"] = {"type": "keep"}
    recipe["columns"]["Phone"]["role"] = "quasi_identifier"
    checklist = hipaa_checklist(recipe)
    status = {i["category"]: i["status"] for i in checklist["items"]}
    assert status["phone"] == "NOT DONE"
    assert status["fax"] == "done" and status["other_id"] == "done"
    assert not checklist["compliant"]


def test_profile_kinds_refine_detection():
    recipe = hipaa_safe_harbor(["contact"], kinds={"contact": "email"}, today=TODAY)
    assert recipe["columns"]["contact"]["action"]["type"] == "drop"


def test_research_and_expert_presets():
    roles = {"Name": "identifier", "Age": "quasi_identifier", "Gender": "quasi_identifier",
             "Medical Condition": "sensitive"}
    cols = list(roles) + ["Billing Amount"]
    r = validate(research_k_anonymity(cols, roles))
    assert r["privacy"] == {"k": 5, "suppression_limit": 0.05, "objective": "loss"}
    assert r["columns"]["Name"]["action"]["type"] == "drop"
    assert r["columns"]["Age"]["action"]["type"] == "generalize"
    assert r["columns"]["Billing Amount"]["role"] == "insensitive"
    e = validate(expert(cols, roles))
    assert e["columns"]["Name"]["action"]["type"] == "drop"
    assert e["columns"]["Age"]["action"]["type"] == "keep"
    assert "privacy" not in e



def _hipaa_frames():
    from hypothesis import strategies as st

    pool = {"Full Name": st.text("abcdefgh ", min_size=3, max_size=12),
            "E-mail": st.emails(), "Phone": st.from_regex(r"\(\d{3}\) \d{3}-\d{4}", fullmatch=True),
            "SSN": st.from_regex(r"\d{3}-\d{2}-\d{4}", fullmatch=True),
            "MRN": st.from_regex(r"MRN\d{6}", fullmatch=True),
            "IP address": st.ip_addresses(v=4).map(str),
            "Zip Code": st.from_regex(r"\d{5}", fullmatch=True),
            "Age": st.integers(0, 110),
            "Birth Date": st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)),
            "Diagnosis": st.sampled_from(["flu", "asthma", "cancer"])}
    return st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=len(pool),
                    unique=True).flatmap(
        lambda cols: st.integers(1, 15).flatmap(
            lambda n: st.fixed_dictionaries(
                {c: st.lists(pool[c], min_size=n, max_size=n) for c in cols})))


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(_hipaa_frames())
def test_hipaa_output_never_contains_identifiers(columns):
    import pandas as pd

    df = pd.DataFrame(columns)
    recipe = hipaa_safe_harbor(list(df.columns), today=TODAY)
    out = run_recipe(df, recipe).data
    for col in ("Full Name", "E-mail", "Phone", "SSN", "MRN", "IP address"):
        assert col not in out.columns
    if "Zip Code" in out:
        assert all(len(z) == 3 for z in out["Zip Code"])
    if "Age" in out:
        assert all(a == "90+" or int(a) <= 89 for a in out["Age"])
    if "Birth Date" in out:
        assert all(str(y).startswith("before ") or 2026 - int(y) <= 89 for y in out["Birth Date"])
    assert hipaa_checklist(recipe)["compliant"]
