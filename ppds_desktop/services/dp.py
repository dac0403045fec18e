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
from typing import TYPE_CHECKING, Any

from ..core.charts import bar_chart, histogram_before_after  # noqa: F401 - for the DP pages
from ..core.dp import ledger
from ..core.dp.accounting import GAUSSIAN, LAPLACE
from ..core.dp.grid import guess_bounds  # noqa: F401 - for the statistics page
from ..core.dp.precision import Precision
from ..core.dp.precision import expected_precision as _expected_precision
from ..core.dp.query import (DEFAULT_BINS, MAX_GROUP_COLUMNS, DPResult, GroupingNeed, Query,
                             QueryOptions, columns_to_count, evaluate, groupings_to_declare,
                             parse_query, quantile_level, resolve_column)
from ..core.dp.rng import Rng
from ..core.errors import ConfirmationNeeded, InputError
from ..core.perturb.recipe import (PerturbationOutcome, apply_perturbation, record_release,
                                   section_cost, validate_section)
from ..core.progress import TaskState, ensure_task

if TYPE_CHECKING:
    from ..core.vault import Vault


@dataclass
class DPRelease:
    result: DPResult
    release: Any                         # core.vault.ReleaseInfo
    budget: ledger.BudgetStatus          # after the spend


def set_budget(vault: Vault, dataset, *, epsilon=None, rho=None) -> ledger.BudgetStatus:
    return ledger.set_budget(vault, dataset, epsilon=epsilon, rho=rho)


def budget_status(vault: Vault, dataset, *, with_entries: bool = True) -> ledger.BudgetStatus:
    return ledger.budget_status(vault, dataset, with_entries=with_entries)


def perturbation_section(recipe_path: Path) -> dict:
    """The ``perturbation`` section of a recipe file (``ppds perturb``)."""
    from ..core.recipe.document import load

    recipe = load(recipe_path)
    if "perturbation" not in recipe:
        raise InputError("the recipe has no 'perturbation' section", path=str(recipe_path))
    return recipe["perturbation"]


def with_bins(query: str, bins: int) -> Query:
    """A query given as text, with the number of histogram bins set (``--bins``)."""
    if query.strip().startswith("{"):
        raise InputError("put 'bins' in the JSON query itself (--bins is for a query in words)")
    parsed, _ = parse_query(query)
    parsed.bins = bins
    return parsed


def expected_precision(query: Query, *, noise: str, budget: float,
                       bounds: tuple[float, float] | None = None,
                       granularity: float | None = None) -> Precision:
    """How precise the answers to ``query`` will be with ``budget`` (ε or ρ), from the settings
    alone: shown before anything is spent (``core.dp.precision``)."""
    return _expected_precision(query, noise=noise, budget=budget, bounds=bounds,
                               granularity=granularity)


def export_result(released: DPRelease, path) -> Path:
    """Write a DP result (already public: it was released) as CSV or .xlsx, one row per group
    with its value and 95 % interval, formulas escaped."""
    import pandas as pd

    from ..core.io import write_table

    res = released.result
    rows = [{**r["group"], "value": r["value"], "ci95_low": r["ci_low"],
             "ci95_high": r["ci_high"]} for r in res.rows]
    return write_table(pd.DataFrame(rows), Path(path))


def _release_name(vault, title: str) -> str:
    """'DP mean Billing Amount by Gender — Sample admissions — 2025-05-12 14:03': the title and
    the local time, made unique with ' (2)'… when the minute repeats."""
    from datetime import datetime

    from .datasets import free_name

    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    return free_name(f"{title} — {stamp}", {r.name for r in vault.list_releases()})


def _columns_needed(query: Query) -> list[str]:
    cols = list(query.by)
    if query.column:
        cols.append(query.column)
    return cols


def _resolve(info, name: str) -> str:
    return resolve_column(info.columns, name, dataset=info.name)


def is_numeric_column(info, col: str) -> bool:
    """A number column (ints, floats, decimals), by its stored Arrow type."""
    return info.dtypes.get(col, "").startswith(("int", "uint", "double", "float", "decimal"))


def _distinct_counts(vault: Vault, info, columns: list[str]) -> dict[str, int]:
    """Distinct values per column: from the import profile, else counted on the data."""
    profiled = {c["name"]: c["distinct"] for c in (info.profile or {}).get("columns", [])
                if "distinct" in c}
    missing = [c for c in columns if c not in profiled]
    if missing:
        df = vault.load_dataset(info.id, columns=missing)
        profiled.update({c: int(df[c].nunique()) for c in missing})
    return {c: profiled[c] for c in columns}


def grouping_needs(vault: Vault, dataset, query: str | Query, *, domains: dict | None = None,
                   bounds: dict | None = None) -> list[GroupingNeed]:
    """Grouping columns whose categories (or bins) must be declared before this query may
    spend anything (see ``core.dp.query.groupings_to_declare``); the GUI shows them and keeps
    Run disabled, :func:`run_query` refuses them."""
    json_options: dict = {}
    if isinstance(query, str):
        query, json_options = parse_query(query)
    return _grouping_needs(vault, vault.dataset_info(dataset), query,
                           domains={**json_options.get("domains", {}), **(domains or {})},
                           bounds={**json_options.get("bounds", {}), **(bounds or {})})


def _grouping_needs(vault: Vault, info, query: Query, *, domains: dict,
                    bounds: dict) -> list[GroupingNeed]:
    """:func:`grouping_needs` for a resolved dataset; the data is read only for the distinct
    counts of columns whose count decides (the GUI asks on every keystroke)."""
    query = Query(query.statistic, _resolve(info, query.column) if query.column else None,
                  [_resolve(info, c) for c in query.by], query.q, query.bins)
    opts = QueryOptions(bounds={_resolve(info, k): v for k, v in bounds.items()},
                        domains={_resolve(info, k): v for k, v in domains.items()})
    numeric = {c: is_numeric_column(info, c) for c in info.columns}
    roles = {c: r.role for c, r in vault.roles(info.id).items()}
    counted = columns_to_count(query, opts, roles=roles, numeric=numeric)
    return groupings_to_declare(query, opts, roles=roles, numeric=numeric,
                                distinct=_distinct_counts(vault, info, counted))


def _refuse_undeclared_groupings(vault: Vault, info, query: Query, options: QueryOptions) -> None:
    """Categories read off the data are published as group labels: for a direct identifier
    that publishes the identifiers themselves, for a quasi-identifier or a column with many
    values the values people can be found by. No amount of noise on the counts undoes that,
    so they must be declared first; nothing has been spent when this refuses."""
    needs = _grouping_needs(vault, info, query, domains=options.domains, bounds=options.bounds)
    if not needs:
        return
    need = needs[0]
    if need.identifier:
        raise InputError(need.reason, hint="group by another column, or declare the "
                                           "categories to count")
    raise InputError(f"{need.reason} Declare its categories before anything is spent; "
                     f"nothing was spent.",
                     hint=f'CLI: --domain "{need.column}=A|B|C"'
                          + (f' or bins with --bounds "{need.column}=LO:HI"' if need.numeric
                             else ""))


def run_query(vault: Vault, dataset, query: str | Query, *, epsilon=None, rho=None, noise: str | None = None,
              bounds: dict | None = None, granularity: dict | None = None,
              domains: dict | None = None, guess_bounds: bool = False,
              bounds_from_data: set[str] | None = None,
              release_name: str | None = None, task: TaskState | None = None,
              rng: Rng | None = None) -> DPRelease:
    """Answer one DP query on a vault dataset, spend its budget and record it as a release.

    ``bounds_from_data`` names columns whose given bounds the user read off the data (the GUI's
    "read bounds" button): the result and the stored release then carry the leak warning."""
    task = ensure_task(task)
    json_options: dict = {}
    if isinstance(query, str):
        query, json_options = parse_query(query)
    epsilon = epsilon if epsilon is not None else json_options.get("epsilon")
    rho = rho if rho is not None else json_options.get("rho")
    if epsilon and rho:
        raise InputError("give a budget of ε (Laplace noise) or of ρ (Gaussian noise), not both: "
                         "one query spends one of them")
    noise = noise or json_options.get("noise") or (GAUSSIAN if rho and not epsilon else LAPLACE)
    options = QueryOptions(
        bounds={k: tuple(v) for k, v in {**json_options.get("bounds", {}), **(bounds or {})}.items()},
        granularity={**json_options.get("granularity", {}), **(granularity or {})},
        domains={**json_options.get("domains", {}), **(domains or {})},
        noise=noise, epsilon=epsilon, rho=rho, guess_bounds=guess_bounds)
    cost = options.cost()
    info = vault.dataset_info(dataset)
    status = ledger.budget_status(vault, info.id, with_entries=False)
    status.check(cost)                                   # refuse early, before reading the data
    task.report(0.1, "Reading the dataset")
    needed = [_resolve(info, c) for c in _columns_needed(query)]
    _refuse_undeclared_groupings(vault, info, query, options)
    df = vault.load_dataset(info.id, columns=sorted(set(needed)) or info.columns[:1],
                            task=task.sub(0.1, 0.5))
    task.report(0.6, "Adding noise")
    result = evaluate(df, query, options, rng=rng)
    for grid in result.grids:
        if grid["column"] in (bounds_from_data or ()) and not grid["guessed"]:
            grid["guessed"] = True
            result.warnings.insert(0, f"Bounds of {grid['column']} were read from the data: its "
                                      f"minimum and maximum are not protected.")
    task.report(0.9, "Recording the release and the budget spent")
    name = release_name or _release_name(vault, f"DP {query.describe()} — {info.name}")
    recipe = {"dp_query": {"statistic": query.statistic, "column": query.column, "by": query.by,
                           "q": float(query.q) if query.q is not None else None,
                           "bins": query.bins, "noise": options.noise, **cost.to_dict(),
                           "bounds": {k: list(v) for k, v in options.bounds.items()},
                           "domains": options.domains}}
    report = result.to_dict()
    payload = json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")
    release = ledger.spend(
        vault, info.id, cost, mechanism=f"{result.statistic}/{options.noise}",
        description=result.query,
        release=lambda: vault.put_release(name, "dp_statistics", source=info.id, recipe=recipe,
                                          report=report, files={"result.json": payload}))
    # No task.report after the commit: a Cancel now must not hide a result that was spent.
    return DPRelease(result, release, ledger.budget_status(vault, info.id))


def _no_model(name: str, accept_risk: bool) -> None:
    """Perturbation meets no privacy model: going ahead needs ``accept_risk``, as for any
    release that can still identify people (:mod:`.disclosure`); asked before anything is
    spent."""
    if not accept_risk:
        raise ConfirmationNeeded(
            f"{name!r} would meet no privacy model: perturbation changes values but does not "
            f"limit how easily a record is linked back to someone (a release recipe with "
            f"k-anonymity does).", option="--accept-risk")


def perturb_dataset(vault: Vault, dataset, section: dict, *, release_name: str | None = None,
                    output: Path | None = None, allow_identifiers: bool = False,
                    accept_risk: bool = False, task: TaskState | None = None,
                    rng: Rng | None = None) -> tuple[PerturbationOutcome, Any]:
    """Perturb a vault dataset with a recipe's ``perturbation`` section and store the result as a
    release of kind ``perturbed`` (spending budget for local-DP steps in the same transaction);
    with ``output``, also export it there.

    The rules of every way out of the vault apply, before anything is spent: perturbation keeps
    direct identifiers (``allow_identifiers``) and meets no privacy model (``accept_risk``,
    audited with the re-identification risk measured on the output, which the release keeps
    so that exporting or sealing it later asks again)."""
    from ..core.risk import measure_risk
    from . import disclosure

    task = ensure_task(task)
    info = vault.dataset_info(dataset)
    name = release_name or _release_name(vault, f"Perturbed — {info.name}")
    identifiers = disclosure.check_identifiers(vault, info.name,
                                               allow_identifiers=allow_identifiers,
                                               doing="perturbing keeps")
    _no_model(name, accept_risk)
    df = vault.load_dataset(info.id, task=task.sub(0.0, 0.2))
    outcome = apply_perturbation(df, section, vault=vault, dataset_ref=info.id,
                                 task=task.sub(0.2, 0.7), rng=rng)
    qis = [c for c, r in vault.roles(info.id).items() if r.role == "quasi_identifier"
           and c in outcome.data.columns]
    risk = measure_risk(outcome.data, qis, threshold=disclosure.risk_threshold(vault))
    report = {**outcome.report, "risk": {"after": risk.to_dict()},
              "model": {"requested": {}, "achieved": {}, "satisfied": None}}
    verdict = disclosure.verdict(report, vault)
    with vault.transaction():
        release = record_release(
            vault, info.id, outcome,
            lambda: vault.put_release(name, "perturbed", source=info.id, output_df=outcome.data,
                                      recipe={"ppds_recipe": 1, "perturbation": section},
                                      report=report, task=task.sub(0.7, 0.9)))
        disclosure.audit_risk_accepted(vault, name, verdict, doing="saved")
    if output is not None:
        from .datasets import _write_export

        kept = disclosure.check_identifiers(vault, release.name,
                                            allow_identifiers=bool(identifiers),
                                            doing="exporting it would write")
        _write_export(vault, vault.dataset_info(release.output_dataset_id), outcome.data, output,
                      None, identifiers=kept, risky=(release.name, verdict),
                      task=task.sub(0.9, 1.0))
    return outcome, release


def perturb_file(input_path: Path, section: dict, output_path: Path, *,
                 accept_risk: bool = False, task: TaskState | None = None,
                 rng: Rng | None = None) -> PerturbationOutcome:
    """Perturb a file into another file (explicit export); it meets no privacy model, so it
    needs ``accept_risk`` like any such release. Sections that spend privacy budget are refused
    here: a budget can only be tracked for a dataset in the vault."""
    from ..core.io import read_table, write_table

    task = ensure_task(task)
    validate_section(section)
    cost = section_cost(section)
    if cost.epsilon or cost.rho:
        raise InputError("local-DP and randomized-response steps spend a privacy budget, which "
                         "is kept per vault dataset", hint="import the file into the vault and perturb the "
                         "dataset there (CLI: ppds perturb DATASET --recipe ... -o ...)")
    _no_model(Path(output_path).name, accept_risk)
    df = read_table(Path(input_path), task=task.sub(0.0, 0.2)).table.to_pandas()
    outcome = apply_perturbation(df, section, task=task.sub(0.2, 0.9), rng=rng)
    write_table(outcome.data, Path(output_path), task=task.sub(0.9, 1.0))
    return outcome
