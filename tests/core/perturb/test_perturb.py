"""Record-level perturbation: each method's defining property, the recipe section, the budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ppds_desktop.core.dp import ledger
from ppds_desktop.core.dp.accounting import Cost
from dp_test_rng import SeededTestRng
from ppds_desktop.core.errors import BudgetExceeded, InputError, RecipeError
from ppds_desktop.core.perturb.microaggregation import mdav_groups, microaggregate
from ppds_desktop.core.perturb.noise import additive_noise, local_dp_noise
from ppds_desktop.core.perturb.randomized_response import (estimate_frequencies, pram,
                                                           randomized_response, rr_matrix)
from ppds_desktop.core.perturb.recipe import apply_perturbation, record_release, section_cost
from ppds_desktop.core.perturb.swapping import rank_swap, rank_swap_positions, swap_within_strata
from ppds_desktop.services import dp as dp_service


@pytest.fixture
def df():
    rng = np.random.default_rng(8)               # synthetic test data, not privacy noise
    n = 1200
    x = rng.normal(50, 10, n)
    return pd.DataFrame({
        "x": x, "y": 0.8 * x + rng.normal(0, 6, n), "z": rng.exponential(3, n),
        "region": rng.choice(["N", "S", "E"], n), "sex": rng.choice(["F", "M"], n),
        "cond": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
    })


@pytest.mark.parametrize("k", [2, 3, 5, 10])
def test_mdav_groups_have_between_k_and_2k_minus_1_rows(df, k):
    out, labels = microaggregate(df, ["x", "y", "z"], k=k)
    sizes = np.bincount(labels)
    assert sizes.min() >= k and sizes.max() <= 2 * k - 1
    for col in ("x", "y", "z"):
        assert out[col].mean() == pytest.approx(df[col].mean())          # means are kept
        per_group = out.groupby(labels)[col].nunique()
        assert (per_group == 1).all()                                     # one value per group
    # grouped rows are close: within-group spread far below the column's
    assert df.assign(g=labels).groupby("g")["x"].std().mean() < 0.5 * df["x"].std()


def test_mdav_small_inputs():
    assert set(mdav_groups(np.zeros((5, 2)), 3)) == {0}
    with pytest.raises(InputError):
        mdav_groups(np.zeros((2, 2)), 3)


def test_rank_swap_moves_values_within_p_percent(df):
    p = 5.0
    out = rank_swap(df, ["x"], p=p, rng=SeededTestRng(1))
    assert sorted(out["x"]) == sorted(df["x"])                            # marginal kept exactly
    rank_before = df["x"].rank(method="first").to_numpy()
    rank_after_value = pd.Series(out["x"].to_numpy()).rank(method="first").to_numpy()
    assert np.abs(rank_before - rank_after_value).max() <= len(df) * p / 100
    assert (out["x"] != df["x"]).mean() > 0.8                             # most values did move


def test_rank_swap_permutation_is_a_bounded_involution():
    perm = rank_swap_positions(1000, 7, SeededTestRng(2))
    assert np.array_equal(perm[perm], np.arange(1000))
    assert np.abs(perm - np.arange(1000)).max() <= 7


def test_swap_within_strata_keeps_each_strata_distribution(df):
    out = swap_within_strata(df, ["cond"], strata=["region", "sex"], rate=0.5, rng=SeededTestRng(3))
    before = df.groupby(["region", "sex"])["cond"].value_counts().sort_index()
    after = out.groupby(["region", "sex"])["cond"].value_counts().sort_index()
    pd.testing.assert_series_equal(before, after)
    assert 0.1 < (out["cond"] != df["cond"]).mean() < 0.5


def test_randomized_response_matrix_and_frequencies(df):
    eps = 1.0
    m = rr_matrix(4, eps)
    assert np.allclose(m.sum(axis=1), 1) and m[0, 0] / m[0, 1] == pytest.approx(np.e)
    big = pd.Series(np.repeat(["a", "b", "c", "d"], [8000, 6000, 4000, 2000]), name="cond")
    out, info = randomized_response(big, eps, domain=["a", "b", "c", "d"], rng=SeededTestRng(4))
    assert info["keep_probability"] == pytest.approx(m[0, 0])
    kept = (out == big).groupby(big).mean()
    for cat in "abcd":                                                    # P(keep) per category
        assert stats.binomtest(int(kept[cat] * (big == cat).sum()), int((big == cat).sum()),
                               m[0, 0]).pvalue > 1e-4
    est = estimate_frequencies(out.value_counts().reindex(list("abcd")).to_numpy(), eps)
    assert np.allclose(est, [8000, 6000, 4000, 2000], atol=400)


def test_values_outside_declared_categories_are_refused(df):
    with pytest.raises(InputError, match="outside its declared categories"):
        randomized_response(df["cond"], 1.0, domain=["a", "b"])


def test_pram_keeps_with_its_retention_and_reports_implied_epsilon(df):
    out, info = pram(df["cond"], 0.8, rng=SeededTestRng(5))
    kept = int((out == df["cond"]).sum())
    assert stats.binomtest(kept, len(df), 0.8).pvalue > 1e-4
    assert info["implied_local_epsilon"] == pytest.approx(np.log(0.8 * 3 / 0.2))


def test_correlated_noise_keeps_the_correlation_uncorrelated_does_not(df):
    base = np.corrcoef(df["x"], df["y"])[0, 1]
    corr = additive_noise(df, ["x", "y"], alpha=1.0, correlated=True, rng=SeededTestRng(6))
    unc = additive_noise(df, ["x", "y"], alpha=1.0, correlated=False, rng=SeededTestRng(7))
    assert abs(np.corrcoef(corr["x"], corr["y"])[0, 1] - base) < 0.05
    assert np.corrcoef(unc["x"], unc["y"])[0, 1] < base - 0.2            # halves, in expectation
    assert corr["x"].var() == pytest.approx(2 * df["x"].var(), rel=0.2)


def test_local_dp_noise_is_on_the_grid_and_unbiased(df):
    out, details = local_dp_noise(df, {"x": (0, 100)}, epsilon=2.0, rng=SeededTestRng(8))
    g = details[0]["granularity"]
    assert np.all(np.mod(out["x"].to_numpy(), g) == 0)
    assert abs(out["x"].mean() - df["x"].mean()) < 6 * details[0]["noise_std"] / np.sqrt(len(df))


SECTION = {"steps": [
    {"method": "microaggregation", "columns": ["x", "y"], "k": 4},
    {"method": "rank_swap", "columns": ["z"], "p": 3},
    {"method": "randomized_response", "columns": ["cond"], "epsilon": 0.5,
     "domains": {"cond": ["a", "b", "c", "d"]}},
    {"method": "local_dp", "bounds": {"z": [0, 20]}, "noise": "gaussian", "rho": 0.2},
]}


def test_recipe_section_runs_in_order_with_cost_and_utility(df):
    out = apply_perturbation(df, SECTION, rng=SeededTestRng(9))
    assert out.cost.epsilon == 0.5 and out.cost.rho == 0.2
    assert [s["method"] for s in out.report["steps"]] == [s["method"] for s in SECTION["steps"]]
    assert out.report["steps"][0]["smallest_group"] >= 4
    util = out.report["utility"]
    assert set(util["columns"]) == set(df.columns) and "correlation" in util


@pytest.mark.parametrize("section,field", [
    ({"steps": [{"method": "blur"}]}, "steps[0].method"),
    ({"steps": [{"method": "microaggregation", "columns": ["x"], "k": 1}]}, "steps[0].k"),
    ({"steps": [{"method": "rank_swap", "columns": ["x"], "q": 1}]}, "steps[0]"),
    ({"steps": [{"method": "rank_swap", "columns": ["nope"]}]}, "steps[0]"),
])
def test_bad_sections_name_the_field(df, section, field):
    with pytest.raises(RecipeError, match=field.replace("[", r"\[").replace("]", r"\]")):
        apply_perturbation(df, section)


def test_budget_spent_with_the_release_and_overspend_refused(vault, df):
    vault.put_dataset("d", df)
    assert section_cost(SECTION).epsilon == 0.5
    with pytest.raises(BudgetExceeded):                   # no budget set yet
        apply_perturbation(df, SECTION, vault=vault, dataset_ref="d")
    ledger.set_budget(vault, "d", epsilon=0.8, rho=0.3)
    outcome, release = dp_service.perturb_dataset(vault, "d", SECTION, release_name="p1",
                                                 accept_risk=True)
    status = ledger.budget_status(vault, "d")
    assert (status.epsilon_spent, status.rho_spent) == (0.5, 0.2)
    assert status.entries[0].release_id == release.id and release.kind == "perturbed"
    assert len(vault.load_dataset("p1")) == len(df)
    with pytest.raises(BudgetExceeded):
        dp_service.perturb_dataset(vault, "d", SECTION, release_name="p2", accept_risk=True)
    with pytest.raises(BudgetExceeded):                    # binding check inside the transaction
        record_release(vault, "d", outcome, lambda: vault.put_release("p3", "perturbed"))
    assert [r.name for r in vault.list_releases()] == ["p1"]


def test_release_pipeline_runs_the_section_and_spends_in_its_transaction(vault, df):
    from ppds_desktop.services.release import run_release, save_release

    vault.put_dataset("src", df)
    ledger.set_budget(vault, "src", epsilon=1.0)
    recipe = {"ppds_recipe": 1, "columns": {}, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"x": [0, 100]}, "epsilon": 0.6}]}}
    outcome = run_release(vault, "src", recipe)
    info = save_release(vault, outcome, "deid + ldp", accept_risk=True)   # no model
    status = ledger.budget_status(vault, "src")
    assert status.epsilon_spent == pytest.approx(0.6) and status.entries[0].release_id == info.id
    again = run_release(vault, "src", {**recipe, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"x": [0, 100]}, "epsilon": 0.3}]}})
    ledger.spend(vault, "src", Cost(epsilon=0.2), mechanism="other", description="",
                 release=lambda: None)           # the budget shrinks between run and save
    with pytest.raises(BudgetExceeded):
        save_release(vault, again, "second", accept_risk=True)
    assert [r.name for r in vault.list_releases()] == ["deid + ldp"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.integers(0, 120), st.integers(1, 4), st.integers(0, 2 ** 32 - 1))
def test_mdav_property_every_group_has_k_to_2k_minus_1_rows(k, extra, d, seed):
    n = k + extra
    x = np.random.default_rng(seed).normal(size=(n, d)).round(1)     # ties included
    labels = mdav_groups(x, k)
    sizes = np.bincount(labels)
    assert labels.min() == 0 and sizes.min() >= k and sizes.max() <= max(2 * k - 1, k)
