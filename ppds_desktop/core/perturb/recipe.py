"""The recipe's ``perturbation`` section: validation, cost, and running its steps in order.

``apply_perturbation`` is what ``services/release.py`` (and ``ppds perturb``) call. It returns the
perturbed frame, what it costs in privacy budget and a JSON-ready report (per-step details and
utility before/after from ``core.utility``). It does *not* write to the vault: a caller that
releases the result passes the outcome to :func:`record_release`, which records the budget spend
in the same transaction as the release (and refuses if the budget does not suffice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar

import pandas as pd

from ..dp import ledger
from ..dp.accounting import GAUSSIAN, LAPLACE, Cost
from ..dp.rng import Rng, default_rng
from ..errors import InputError, RecipeError
from ..progress import TaskState, ensure_task
from ..recipe_schema import validate
from ..utility import measure_utility
from . import microaggregation, noise, randomized_response, swapping

if TYPE_CHECKING:
    from ..vault import Vault

T = TypeVar("T")


@dataclass
class PerturbationOutcome:
    data: pd.DataFrame
    cost: Cost
    report: dict = field(default_factory=dict)


def validate_section(section) -> dict:
    """Check the section against ``schemas/recipe-perturbation.schema.json``."""
    validate({"ppds_recipe": 1, "perturbation": section})
    return section


def section_cost(section: dict) -> Cost:
    """The privacy budget the section spends (local-DP noise and randomized response)."""
    total = Cost()
    for step in section.get("steps", []):
        if step["method"] == "local_dp":
            if step.get("noise", LAPLACE) == GAUSSIAN:
                total = total + Cost(rho=float(step["rho"]))
            else:
                total = total + Cost(epsilon=float(step["epsilon"]))
        elif step["method"] == "randomized_response":
            total = total + Cost(epsilon=float(step["epsilon"]))
    return total


def _need(df: pd.DataFrame, columns, where: str) -> None:
    for col in columns:
        if col not in df.columns:
            raise RecipeError(f"column {col!r} is not in the data", field=where)


def _run_step(df: pd.DataFrame, step: dict, where: str, rng: Rng, task: TaskState):
    method = step["method"]
    if method == "additive_noise":
        _need(df, step["columns"], where)
        return noise.additive_noise(df, step["columns"], alpha=step.get("alpha", 0.1),
                                    correlated=step.get("correlated", False), rng=rng), {}
    if method == "local_dp":
        _need(df, step["bounds"], where)
        out, details = noise.local_dp_noise(
            df, {c: tuple(b) for c, b in step["bounds"].items()}, noise=step.get("noise", LAPLACE),
            epsilon=step.get("epsilon"), rho=step.get("rho"), granularity=step.get("granularity"),
            rng=rng)
        return out, {"columns": details}
    if method == "rank_swap":
        _need(df, step["columns"], where)
        return swapping.rank_swap(df, step["columns"], p=step.get("p", 5.0), rng=rng), {}
    if method == "swap":
        _need(df, list(step["columns"]) + list(step.get("strata", [])), where)
        return swapping.swap_within_strata(df, step["columns"], strata=step.get("strata"),
                                           rate=step.get("rate", 0.1), rng=rng), {}
    if method == "microaggregation":
        _need(df, step["columns"], where)
        out, labels = microaggregation.microaggregate(df, step["columns"], k=step.get("k", 3),
                                                      task=task)
        sizes = pd.Series(labels[labels >= 0]).value_counts()
        return out, {"groups": int(sizes.size), "smallest_group": int(sizes.min()) if sizes.size else 0}
    if method in ("randomized_response", "pram"):
        _need(df, step["columns"], where)
        out = df.copy()
        infos = []
        share = float(step["epsilon"]) / len(step["columns"]) if method == "randomized_response" else None
        for col in step["columns"]:
            declared = (step.get("domains") or {}).get(col)
            if method == "randomized_response":
                out[col], info = randomized_response.randomized_response(
                    df[col], share, domain=declared, rng=rng)
            else:
                out[col], info = randomized_response.pram(df[col], step.get("retain", 0.8),
                                                          domain=declared, rng=rng)
            infos.append(info)
        return out, {"columns": infos}
    raise RecipeError(f"unknown method {method!r}", field=f"{where}.method")


def apply_perturbation(df: pd.DataFrame, section: dict, *, vault: Vault | None = None, dataset_ref=None,
                       task: TaskState | None = None, rng: Rng | None = None) -> PerturbationOutcome:
    """Run the section's steps in order on a copy of ``df``.

    With ``vault`` and ``dataset_ref`` the budget is checked first, so a section that would
    overspend is refused before any work (the binding check happens in :func:`record_release`).
    """
    task = ensure_task(task)
    rng = default_rng(rng)
    validate_section(section)
    cost = section_cost(section)
    if (cost.epsilon or cost.rho) and vault is not None:
        if dataset_ref is None:
            raise InputError("local-DP steps need the dataset whose budget they spend")
        ledger.budget_status(vault, dataset_ref, with_entries=False).check(cost)
    steps = section.get("steps", [])
    out = df
    reports = []
    for i, step in enumerate(steps):
        sub = task.sub(i / max(len(steps), 1), (i + 1) / max(len(steps), 1))
        sub.report(0.0, f"Perturbation step {i + 1} of {len(steps)}: {step['method']}")
        out, details = _run_step(out, step, f"perturbation.steps[{i}]", rng, sub)
        reports.append({"method": step["method"], **details})
    task.report(1.0, "Perturbation done")
    report = {"steps": reports, "cost": cost.to_dict(),
              "utility": measure_utility(df, out) if steps else {}}
    return PerturbationOutcome(out, cost, report)


def record_release(vault: Vault, dataset_ref, outcome: PerturbationOutcome,
                   release: Callable[[], T]) -> T:
    """Run ``release()`` (which calls ``vault.put_release``) and, if the perturbation spent
    budget, record the spend in the same transaction — refusing with ``BudgetExceeded``."""
    if not (outcome.cost.epsilon or outcome.cost.rho):
        return release()
    return ledger.spend(vault, dataset_ref, outcome.cost, mechanism="local_dp",
                        description="record-level perturbation", release=release)
