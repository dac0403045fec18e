"""The release pipeline's hooks for sections other areas own: perturbation (budget spent in
the release transaction) and encryption (columns leave the table as Paillier ciphertexts)."""

from __future__ import annotations

import pytest

from ppds_desktop.core.sample import generate_admissions
from ppds_desktop.services import release as svc

BASE = {"ppds_recipe": 1, "columns": {
    "Name": {"role": "identifier", "action": {"type": "drop"}},
    "SSN": {"role": "identifier", "action": {"type": "drop"}},
    "Age": {"role": "quasi_identifier"}, "Gender": {"role": "quasi_identifier"}},
    "privacy": {"k": 3, "suppression_limit": 0.05}}


@pytest.fixture
def dataset(vault):
    vault.put_dataset("adm", generate_admissions(150, seed=41))
    return "adm"


def test_perturbation_section_runs_after_generalization(vault, dataset):
    from ppds_desktop.core.dp import ledger

    ledger.set_budget(vault, dataset, epsilon=1.0)
    recipe = {**BASE, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"Billing Amount": [0, 50000]}, "epsilon": 0.5}]}}
    outcome = svc.run_release(vault, dataset, recipe)
    assert "perturbation" in outcome.report["sections"]
    before = vault.load_dataset(dataset)["Billing Amount"]
    assert not outcome.data["Billing Amount"].reset_index(drop=True).equals(
        before.iloc[:len(outcome.data)].reset_index(drop=True))
    info = svc.save_release(vault, outcome, "noisy", accept_risk=True)    # k = 3: 1 in 3
    assert info.kind == "perturbed"
    assert ledger.budget_status(vault, dataset).epsilon_spent == pytest.approx(0.5)


def test_encryption_section_moves_columns_into_ciphertexts(vault, dataset):
    from ppds_desktop.services import he

    he.create_key(vault, "site", bits=2048, publish=False)
    recipe = {**BASE, "encryption": {"columns": ["Billing Amount"],
                                     "public_key": {"own": "site"}}}
    outcome = svc.run_release(vault, dataset, recipe)
    assert "Billing Amount" not in outcome.data.columns
    assert outcome.files and "encryption" in outcome.report["sections"]
    svc.save_release(vault, outcome, "encrypted", accept_risk=True)
    assert set(outcome.files) <= set(vault.release_files("encrypted"))
