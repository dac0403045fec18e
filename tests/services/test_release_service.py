"""services.release with a real vault: run, save (one transaction), keys, look-up, risk."""

from __future__ import annotations

import pytest

from ppds_desktop.core.anonymize import pseudonym
from ppds_desktop.core.errors import RecipeError
from ppds_desktop.core.progress import TaskState
from ppds_desktop.core.recipe import new_recipe
from ppds_desktop.core.sample import generate_admissions
from ppds_desktop.services import release as svc

ROLES = {"Name": "identifier", "SSN": "identifier", "Phone": "identifier",
         "Email": "identifier", "Age": "quasi_identifier", "Gender": "quasi_identifier",
         "ZIP": "quasi_identifier", "Medical Condition": "sensitive"}


@pytest.fixture
def dataset(vault):
    df = generate_admissions(300, seed=21)
    vault.put_dataset("admissions", df)
    return df


def _recipe():
    r = svc.recipe_for_preset("research_k_anonymity", generate_admissions(5, seed=1), ROLES)
    r["columns"]["Name"] = {"role": "identifier", "action": {"type": "pseudonym",
                                                             "key": "site-b", "prefix": "P"}}
    return r


def test_run_and_save_release(vault, dataset):
    outcome = svc.run_release(vault, "admissions", _recipe())
    assert not vault.has_secret(pseudonym.KEY_KIND, "site-b")      # nothing written yet
    info = svc.save_release(vault, outcome, "for site B")
    assert vault.has_secret(pseudonym.KEY_KIND, "site-b")
    stored = vault.release_info("for site B")
    assert stored.recipe == outcome.recipe
    assert stored.report["rows"] == outcome.report["rows"]
    files = vault.release_files("for site B")
    assert files["report.html"].startswith(b"<!DOCTYPE html>")
    out = vault.load_dataset(info.output_dataset_id)
    assert len(out) == outcome.report["rows"]["output"]
    actions = [e.action for e in vault.audit_entries()]
    assert "release.created" in actions and "release.deidentified" in actions
    vault.verify_audit()
    # the owner can look a pseudonym up; the next run reuses the stored key
    p = out["Name"].iloc[0]
    found = svc.lookup_pseudonym(vault, "admissions", "Name", p, "site-b", prefix="P")
    assert len(found) == 1 and found[0] in set(dataset["Name"])
    assert vault.audit_entries(limit=1)[0].action == "pseudonym.lookup"
    again = svc.run_release(vault, "admissions", _recipe())
    assert not again.created_keys
    assert again.data["Name"].tolist() == outcome.data["Name"].tolist()


def test_failed_save_leaves_nothing(vault, dataset):
    outcome = svc.run_release(vault, "admissions", _recipe())
    svc.save_release(vault, outcome, "first")
    outcome2 = svc.run_release(vault, "admissions",
                               {**_recipe(), "columns": {**_recipe()["columns"], "Name": {
                                   "role": "identifier",
                                   "action": {"type": "pseudonym", "key": "site-c"}}}})
    n_before = len(vault.list_releases())
    with pytest.raises(Exception):
        svc.save_release(vault, outcome2, "first")               # the name is taken
    assert len(vault.list_releases()) == n_before
    assert not vault.has_secret(pseudonym.KEY_KIND, "site-c")    # rolled back with it


def test_cancel_stops_the_run(vault, dataset):
    task = TaskState()
    task.cancel()
    from ppds_desktop.core.errors import Cancelled
    with pytest.raises(Cancelled):
        svc.run_release(vault, "admissions", _recipe(), task=task)


def test_recipe_naming_a_missing_column_is_refused(vault, dataset):
    with pytest.raises(RecipeError, match=r'columns\["Nope"\]'):
        svc.run_release(vault, "admissions", new_recipe(columns={"Nope": {}}))


def test_assess_risk(dataset):
    res = svc.assess_risk(dataset, ["Age", "Gender"], sensitive="Medical Condition")
    assert res["k"] == res["risk"]["min_class_size"] >= 1
    assert res["l_distinct"] >= 1 and 0 <= res["t_equal"] <= 1
