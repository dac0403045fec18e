"""Use cases of differential privacy and perturbation; the GUI and ``ppds dp`` / ``ppds perturb``
both call these.

A DP query is computed first and then, in one vault transaction, its budget is re-checked,
spent and the result stored as a release of kind ``dp_statistics``. Results are returned only
after that commit: a noisy answer someone has seen has been spent, so there is no "preview".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.dp import ledger
from ..core.dp.accounting import LAPLACE
from ..core.dp.query import DPResult, Query, QueryOptions, evaluate, parse_query
from ..core.dp.rng import Rng
from ..core.errors import InputError
from ..core.perturb.recipe import PerturbationOutcome, apply_perturbation, record_release
from ..core.progress import TaskState, ensure_task
from ..core.vault.audit import utc_now


@dataclass
class DPRelease:
    result: DPResult
    release: Any                         # core.vault.ReleaseInfo
    budget: ledger.BudgetStatus          # after the spend


def set_budget(vault, dataset, *, epsilon, rho=0.0) -> ledger.BudgetStatus:
    return ledger.set_budget(vault, dataset, epsilon=epsilon, rho=rho)


def budget_status(vault, dataset) -> ledger.BudgetStatus:
    return ledger.budget_status(vault, dataset)


def _columns_needed(query: Query, options: QueryOptions) -> list[str]:
    cols = list(query.by)
    if query.column:
        cols.append(query.column)
    return cols


def _resolve(info, name: str) -> str:
    if name in info.columns:
        return name
    for col in info.columns:
        if col.lower() == name.lower():
            return col
    raise InputError(f"the dataset {info.name!r} has no column named {name!r}")


def run_query(vault, dataset, query: str | Query, *, epsilon=None, rho=None, noise: str = LAPLACE,
              bounds: dict | None = None, granularity: dict | None = None,
              domains: dict | None = None, guess_bounds: bool = False,
              release_name: str | None = None, task: TaskState | None = None,
              rng: Rng | None = None) -> DPRelease:
    """Answer one DP query on a vault dataset, spend its budget and record it as a release."""
    task = ensure_task(task)
    json_options: dict = {}
    if isinstance(query, str):
        query, json_options = parse_query(query)
    options = QueryOptions(
        bounds={k: tuple(v) for k, v in {**json_options.get("bounds", {}), **(bounds or {})}.items()},
        granularity={**json_options.get("granularity", {}), **(granularity or {})},
        domains={**json_options.get("domains", {}), **(domains or {})},
        noise=json_options.get("noise", noise),
        epsilon=epsilon if epsilon is not None else json_options.get("epsilon"),
        rho=rho if rho is not None else json_options.get("rho"),
        guess_bounds=guess_bounds)
    cost = options.cost()
    info = vault.dataset_info(dataset)
    status = ledger.budget_status(vault, info.id, with_entries=False)
    status.check(cost)                                   # refuse early, before reading the data
    task.report(0.1, "Reading the dataset")
    needed = [_resolve(info, c) for c in _columns_needed(query, options)]
    df = vault.load_dataset(info.id, columns=sorted(set(needed)) or info.columns[:1],
                            task=task.sub(0.1, 0.5))
    task.report(0.6, "Adding noise")
    result = evaluate(df, query, options, rng=rng)
    task.report(0.9, "Recording the release and the budget spent")
    name = release_name or f"DP {query.describe()} — {info.name} — {utc_now()}"
    recipe = {"dp_query": {"statistic": query.statistic, "column": query.column, "by": query.by,
                           "q": float(query.q) if query.q is not None else None,
                           "bins": query.bins, "noise": options.noise, **cost.to_dict(),
                           "bounds": {k: list(v) for k, v in options.bounds.items()},
                           "domains": options.domains}}
    payload = json.dumps(result.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
    release = ledger.spend(
        vault, info.id, cost, mechanism=f"{result.statistic}/{options.noise}",
        description=result.query,
        release=lambda: vault.put_release(name, "dp_statistics", source=info.id, recipe=recipe,
                                          report=result.to_dict(), files={"result.json": payload}))
    task.report(1.0, "Done")
    return DPRelease(result, release, ledger.budget_status(vault, info.id))


def perturb_dataset(vault, dataset, section: dict, *, release_name: str | None = None,
                    task: TaskState | None = None, rng: Rng | None = None
                    ) -> tuple[PerturbationOutcome, Any]:
    """Perturb a vault dataset with a recipe's ``perturbation`` section and store the result as a
    release of kind ``perturbed`` (spending budget for local-DP steps in the same transaction)."""
    task = ensure_task(task)
    info = vault.dataset_info(dataset)
    df = vault.load_dataset(info.id, task=task.sub(0.0, 0.2))
    outcome = apply_perturbation(df, section, vault=vault, dataset_ref=info.id,
                                 task=task.sub(0.2, 0.8), rng=rng)
    name = release_name or f"Perturbed — {info.name} — {utc_now()}"
    release = record_release(
        vault, info.id, outcome,
        lambda: vault.put_release(name, "perturbed", source=info.id, output_df=outcome.data,
                                  recipe={"ppds_recipe": 1, "perturbation": section},
                                  report=outcome.report, task=task.sub(0.8, 1.0)))
    return outcome, release


def perturb_file(input_path: Path, section: dict, output_path: Path, *,
                 task: TaskState | None = None, rng: Rng | None = None) -> PerturbationOutcome:
    """Perturb a file into another file (explicit export). Sections that spend privacy budget are
    refused here: a budget can only be tracked for a dataset in the vault."""
    from ..core.io import read_table, write_table
    from ..core.perturb.recipe import section_cost, validate_section

    task = ensure_task(task)
    validate_section(section)
    cost = section_cost(section)
    if cost.epsilon or cost.rho:
        raise InputError("local-DP and randomized-response steps spend a privacy budget, which "
                         "is kept per vault dataset", hint="import the file into the vault and "
                         "run 'ppds perturb DATASET --recipe ... -o ...'")
    df = read_table(Path(input_path), task=task.sub(0.0, 0.2)).table.to_pandas()
    outcome = apply_perturbation(df, section, task=task.sub(0.2, 0.9), rng=rng)
    write_table(outcome.data, Path(output_path), task=task.sub(0.9, 1.0))
    return outcome
