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

The hooks are wired in ``SECTION_HOOKS``: ``perturbation`` runs
``core.perturb.recipe.apply_perturbation`` and commits with ``record_release``; ``encryption``
runs ``core.he.release_section.run_recipe_section`` and has no commit step. A new section adds
its schema fragment, a field of ``model.Recipe`` and a line here. The context and outcome types
live in ``core/section_types.py``, below the areas.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from ..section_types import SectionContext, SectionOutcome

__all__ = ["SECTION_ORDER", "SectionContext", "SectionOutcome", "commit_hook", "run_section"]

SECTION_ORDER = ("perturbation", "encryption")
Hooks = tuple[Callable | None, Callable | None]


def _perturbation_run(df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    from ..perturb.recipe import apply_perturbation
    res = apply_perturbation(df, section, vault=ctx.vault,
                             dataset_ref=ctx.dataset_ref if ctx.vault is not None else None,
                             task=ctx.task)
    return SectionOutcome(res.data, res.report, state=res)


def _perturbation_commit(vault, dataset_ref, state, release: Callable):
    from ..perturb.recipe import record_release
    return record_release(vault, dataset_ref, state, release)


def _encryption_run(df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    from ..he.release_section import run_recipe_section     # gmpy2 and the HE engine: on use
    return run_recipe_section(df, section, ctx)


SECTION_HOOKS: dict[str, Hooks] = {
    "perturbation": (_perturbation_run, _perturbation_commit),
    "encryption": (_encryption_run, None),
}


def run_section(name: str, df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    run, _commit = SECTION_HOOKS[name]
    outcome = run(df, section, ctx)
    if not isinstance(outcome, SectionOutcome):
        raise TypeError(f"the '{name}' hook must return a SectionOutcome")
    return outcome


def commit_hook(name: str) -> Callable | None:
    return SECTION_HOOKS[name][1]
