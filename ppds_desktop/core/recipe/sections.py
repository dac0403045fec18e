"""Top-level recipe sections owned by other areas, run as hooks of the release pipeline.

A section ``name`` (``perturbation``, ``encryption``) is validated by the schema fragment
``ppds_desktop/schemas/recipe-<name>.schema.json`` that its area ships, and run by a hook::

    run(df: pandas.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome
    commit(vault, dataset_ref, state, release: Callable[[], ReleaseInfo]) -> ReleaseInfo  # optional

``run`` works on the table after the generalization step and writes nothing; ``commit`` is
called by ``services.release.save_release`` inside the release transaction with the
``SectionOutcome.state`` it returned, and must call ``release()`` (e.g. to spend privacy
budget in the same transaction and refuse if it does not suffice). ``ctx`` gives the untouched
input, the source dataset ref, the recipe's seed (never for privacy noise, which comes from a
CSPRNG), the vault (None for a file-only run) and a ``TaskState``.

The hooks are found in ``SECTION_HOOKS``: ``perturbation`` runs
``core.perturb.recipe.apply_perturbation`` and commits with ``record_release``; an area whose
package exports ``run_recipe_section`` / ``commit_recipe_section`` (``encryption``:
``core.he``) is picked up without changes here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from ..errors import RecipeError
from ..progress import TaskState

if TYPE_CHECKING:
    from ..vault import DatasetRef, Vault

SECTION_ORDER = ("perturbation", "encryption")


@dataclass
class SectionContext:
    original: pd.DataFrame
    dataset_ref: DatasetRef | None     # the vault dataset the input came from, if any
    seed: int | None
    vault: Vault | None
    task: TaskState
    recipe: dict


@dataclass
class SectionOutcome:
    data: pd.DataFrame
    report: dict = field(default_factory=dict)      # goes into the release report as is
    files: dict[str, bytes] = field(default_factory=dict)   # extra release files
    state: Any = None                                # handed to the area's commit hook


def _perturbation_run(df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    from ..perturb.recipe import apply_perturbation
    res = apply_perturbation(df, section, vault=ctx.vault,
                             dataset_ref=ctx.dataset_ref if ctx.vault is not None else None,
                             task=ctx.task)
    return SectionOutcome(res.data, res.report, state=res)


def _perturbation_commit(vault: Vault, dataset_ref, state, release: Callable):
    from ..perturb.recipe import record_release
    return record_release(vault, dataset_ref, state, release)


def _from_package(module: str) -> tuple[Callable | None, Callable | None]:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError:
        return None, None
    return getattr(mod, "run_recipe_section", None), getattr(mod, "commit_recipe_section", None)


SECTION_HOOKS: dict[str, Callable[[], tuple[Callable | None, Callable | None]]] = {
    "perturbation": lambda: (_perturbation_run, _perturbation_commit),
    "encryption": lambda: _from_package("ppds_desktop.core.he"),
}


def run_section(name: str, df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    run, _commit = SECTION_HOOKS[name]()
    if run is None:
        raise RecipeError(f"this version of PPDS Desktop cannot run a '{name}' section yet",
                          field=name)
    outcome = run(df, section, ctx)
    if not isinstance(outcome, SectionOutcome):
        raise TypeError(f"the '{name}' hook must return a SectionOutcome")
    return outcome


def commit_hook(name: str) -> Callable | None:
    return SECTION_HOOKS[name]()[1]
