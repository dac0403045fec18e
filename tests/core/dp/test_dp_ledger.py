"""The privacy-budget ledger: set/show, refusal with the numbers, same-transaction recording,
and two processes racing for the last of a budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from ppds_desktop.core.dp import ledger
from ppds_desktop.core.dp.accounting import Cost, combined_epsilon, zcdp_to_epsilon
from dp_test_rng import SeededTestRng
from ppds_desktop.core.errors import BudgetExceeded, InputError
from ppds_desktop.services import dp as dp_service

from conftest import PASSPHRASE


@pytest.fixture
def dataset(vault):
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"Medical Condition": rng.choice(["Asthma", "Cancer"], 300),
                       "Billing Amount": rng.uniform(0, 1000, 300)})
    vault.put_dataset("patients", df)
    return "patients"


def test_no_budget_means_refusal(vault, dataset):
    status = ledger.budget_status(vault, dataset)
    assert not status.is_set
    with pytest.raises(BudgetExceeded, match="no privacy budget is set for patients"):
        dp_service.run_query(vault, dataset, "count", epsilon=0.1)


def test_query_spends_and_records_release_in_ledger(vault, dataset):
    dp_service.set_budget(vault, dataset, epsilon=1.0)
    out = dp_service.run_query(vault, dataset, "count by Medical Condition", epsilon=0.25,
                               domains={"Medical Condition": ["Asthma", "Cancer"]},
                               rng=SeededTestRng(1))
    assert out.budget.epsilon_spent == pytest.approx(0.25)
    assert out.budget.epsilon_remaining == pytest.approx(0.75)
    [entry] = out.budget.entries
    assert entry.release_id == out.release.id and entry.epsilon == 0.25
    info = vault.release_info(out.release.id)
    assert info.kind == "dp_statistics"
    stored = json.loads(vault.release_files(out.release.id)["result.json"])
    assert stored["rows"] == out.result.to_dict()["rows"]
    assert any(e.action == "dp.spend" for e in vault.audit_entries())


def test_overspend_is_refused_with_numbers_and_nothing_released(vault, dataset):
    dp_service.set_budget(vault, dataset, epsilon=0.5)
    dp_service.run_query(vault, dataset, "count", epsilon=0.4)
    releases_before = len(vault.list_releases())
    with pytest.raises(BudgetExceeded) as err:
        dp_service.run_query(vault, dataset, "count", epsilon=0.2)
    e = err.value
    assert (e.spent, e.remaining, e.asked) == (pytest.approx(0.4), pytest.approx(0.1), 0.2)
    assert "0.2" in str(e) and "Nothing was released" in str(e)
    assert len(vault.list_releases()) == releases_before
    assert len(ledger.budget_status(vault, dataset).entries) == 1


def test_ten_tenths_fit_a_budget_of_one(vault, dataset):
    dp_service.set_budget(vault, dataset, epsilon=1.0)
    for _ in range(10):
        ledger.spend(vault, dataset, Cost(epsilon=0.1), mechanism="test", description="",
                     release=lambda: None)
    with pytest.raises(BudgetExceeded):
        ledger.spend(vault, dataset, Cost(epsilon=0.01), mechanism="test", description="",
                     release=lambda: None)


def test_failed_release_leaves_no_ledger_row(vault, dataset):
    dp_service.set_budget(vault, dataset, epsilon=1.0)

    def broken():
        vault.put_release("r", "dp_statistics", source=dataset)
        raise InputError("boom")

    with pytest.raises(InputError):
        ledger.spend(vault, dataset, Cost(epsilon=0.5), mechanism="t", description="", release=broken)
    assert ledger.budget_status(vault, dataset).epsilon_spent == 0
    assert vault.list_releases() == []


def test_rho_pool_is_separate_and_budget_cannot_shrink_below_spent(vault, dataset):
    dp_service.set_budget(vault, dataset, epsilon=1.0, rho=0.1)
    out = dp_service.run_query(vault, dataset, "count", rho=0.05, noise="gaussian")
    assert out.budget.rho_spent == pytest.approx(0.05) and out.budget.epsilon_spent == 0
    with pytest.raises(BudgetExceeded, match="ρ"):
        dp_service.run_query(vault, dataset, "count", rho=0.06, noise="gaussian")
    with pytest.raises(InputError, match="ρ budget .* cannot be set to 0.01: ρ=0.05 is already "
                                         "spent"):
        dp_service.set_budget(vault, dataset, epsilon=1.0, rho=0.01)
    assert out.budget.overall_epsilon() == pytest.approx(zcdp_to_epsilon(0.05))


def test_conversions():
    assert zcdp_to_epsilon(0.5, 1e-5) == pytest.approx(0.5 + 2 * np.sqrt(0.5 * np.log(1e5)))
    assert combined_epsilon(1.0, 0.0) == 1.0
    assert combined_epsilon(1.0, 0.1) <= 1.0 + zcdp_to_epsilon(0.1)


RACER = textwrap.dedent("""
    import sys
    from ppds_desktop.core.vault import Vault
    from ppds_desktop.core.dp import ledger
    from ppds_desktop.core.dp.accounting import Cost
    from ppds_desktop.core.errors import BudgetExceeded
    vault = Vault.open(sys.argv[1], sys.argv[2])
    ledger.budget_status(vault, "patients").check(Cost(epsilon=0.6))   # both pass this
    print("checked", flush=True)
    sys.stdin.readline()                                                # then start together
    try:
        ledger.spend(vault, "patients", Cost(epsilon=0.6), mechanism="race",
                     description=sys.argv[3],
                     release=lambda: vault.put_release("race " + sys.argv[3], "dp_statistics",
                                                       source="patients"))
        print("spent", flush=True)
    except BudgetExceeded:
        print("refused", flush=True)
    vault.lock()
""")


def test_two_processes_racing_cannot_overspend(vault, vault_path, dataset):
    dp_service.set_budget(vault, dataset, epsilon=1.0)
    env = {**os.environ, "PPDS_TEST_FAST_KDF": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(vault_path), PASSPHRASE, name],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for name in ("a", "b")]
    for p in procs:
        assert p.stdout.readline().strip() == "checked"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes == ["refused", "spent"]
    status = ledger.budget_status(vault, dataset)
    assert status.epsilon_spent == pytest.approx(0.6) and len(status.entries) == 1
    assert len(vault.list_releases()) == 1


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.01, 0.6), min_size=1, max_size=8))
def test_any_sequence_of_spends_stays_within_the_budget(tmp_path_factory, asks):
    from ppds_desktop.core.vault import Vault

    v, _ = Vault.create(tmp_path_factory.mktemp("v") / "h.vault", PASSPHRASE)
    try:
        v.put_dataset("d", pd.DataFrame({"a": [1, 2]}))
        ledger.set_budget(v, "d", epsilon=1.0)
        granted = 0.0
        for ask in asks:
            try:
                ledger.spend(v, "d", Cost(epsilon=ask), mechanism="t", description="",
                             release=lambda: None)
                granted += ask
            except BudgetExceeded as exc:
                assert granted + ask > 1.0 and exc.remaining == pytest.approx(1.0 - granted)
        status = ledger.budget_status(v, "d")
        assert status.epsilon_spent == pytest.approx(granted) and granted <= 1.0 + 1e-9
    finally:
        v.lock()


def test_cancel_before_the_commit_spends_nothing(vault, dataset):
    from ppds_desktop.core.errors import Cancelled
    from ppds_desktop.core.progress import TaskState

    dp_service.set_budget(vault, dataset, epsilon=1.0)
    task = TaskState(lambda fraction, message: task.cancel() if "noise" in message else None)
    with pytest.raises(Cancelled):
        dp_service.run_query(vault, dataset, "count", epsilon=0.5, task=task)
    assert ledger.budget_status(vault, dataset).epsilon_spent == 0 and vault.list_releases() == []


def test_changing_one_total_keeps_the_other(vault, dataset):
    """Raising ε alone (CLI without --rho) used to reset ρ to 0 and was refused once ρ was
    spent."""
    dp_service.set_budget(vault, dataset, epsilon=1.0, rho=0.1)
    dp_service.run_query(vault, dataset, "count", rho=0.05, noise="gaussian")
    status = dp_service.set_budget(vault, dataset, epsilon=3.0)
    assert status.epsilon_total == 3.0 and status.rho_total == pytest.approx(0.1)
    status = dp_service.set_budget(vault, dataset, rho=0.2)
    assert status.epsilon_total == 3.0 and status.rho_total == pytest.approx(0.2)
