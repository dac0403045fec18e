"""Run a recipe on a table: column actions → generalization → section hooks → measurements.

This is the whole release pipeline without a vault (keys come through a ``KeyRing``), so the
CLI can run it on a file and the tests can run it anywhere; ``services.release`` wraps it with
loading from and saving to the vault. Nothing here is random except what a section hook does:
the same input, recipe and seed give the same output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..anonymize import metrics
from ..anonymize import search as S
from ..anonymize.actions import KeyRing, apply_actions
from ..anonymize.hierarchy_specs import auto_spec, build_hierarchy
from ..anonymize.mondrian import mondrian
from ..errors import PrivacyModelError, RecipeError
from ..progress import TaskState, ensure_task
from . import document
from .model import Recipe, thaw
from .privacy_models import build_models
from .report import build_report
from .sections import SECTION_ORDER, SectionContext, run_section

if TYPE_CHECKING:
    from ..vault import DatasetRef, Vault


@dataclass
class ReleaseOutcome:
    recipe: dict                       # the recipe as run (its JSON document)
    data: pd.DataFrame                 # the released table
    report: dict                       # report.build_report(...) — JSON-ready
    files: dict[str, bytes] = field(default_factory=dict)    # extra files from section hooks
    created_keys: dict[tuple[str, str], bytes] = field(default_factory=dict)
    candidates: list[dict] = field(default_factory=list)     # alternative transformations
    source: str | None = None          # dataset name or file the input came from, for people
    dataset: DatasetRef | None = None  # the vault dataset the input came from, if any
    section_states: dict[str, Any] = field(default_factory=dict)  # for the sections' commit hooks


@dataclass
class Generalization:
    """What the generalization step did (or None fields when there was no privacy model)."""
    method: str | None = None
    levels: dict[str, int] = field(default_factory=dict)
    hierarchy_specs: dict[str, dict] = field(default_factory=dict)
    heights: dict[str, int] = field(default_factory=dict)
    suppressed_rows: int = 0
    suppression_limit_rows: int = 0
    classes: int | None = None
    measured: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    candidates: list[dict] = field(default_factory=list)
    generalized_input: dict[str, pd.Series] = field(default_factory=dict)  # not in the report
    lattice_size: int | None = None
    checked: int | None = None
    engine_seconds: float | None = None


def _hierarchies(df: pd.DataFrame, recipe: Recipe, qis: list[str], privacy: dict,
                 base_dir: Path | None):
    actions = recipe.column_actions()
    specs, built = {}, {}
    wanted = list(qis)
    if privacy.get("t", {}).get("distance") == "hierarchical":
        wanted += [c for c in document.model_columns(recipe, "t") if c not in wanted]
    for col in wanted:
        act = actions[col]["action"]
        column = recipe.columns.get(col)
        if col not in qis and column is not None and column.has("hierarchy"):
            spec = thaw(column.hierarchy)               # a sensitive column's, for t
        elif act["type"] == "generalize" and "level" not in act:
            spec = act.get("hierarchy", {"kind": "auto"})
        else:
            spec = {"kind": "auto"}
        if spec.get("kind") == "auto":
            spec = auto_spec(df[col])
        specs[col] = spec
        built[col] = build_hierarchy(spec, df[col], column=col, base_dir=base_dir)
    return specs, built


def generalize(df: pd.DataFrame, recipe: Recipe | dict, *, base_dir: Path | None = None,
               task: TaskState | None = None) -> tuple[pd.DataFrame, Generalization]:
    """Apply the recipe's privacy model to ``df`` (the output of the column actions)."""
    task = ensure_task(task)
    recipe = document.as_recipe(recipe)
    privacy = document.privacy_settings(recipe)
    if not any(m in privacy for m in ("k", "l", "t")):
        return df, Generalization()
    qis = [c for c in document.quasi_identifiers(recipe) if c in df.columns]
    limit = privacy["suppression_limit"]
    info = Generalization(method=privacy["method"],
                          suppression_limit_rows=int(limit * len(df) + 1e-9))
    if privacy["method"] == "mondrian":
        l_cols = document.model_columns(recipe, "l")
        if "t" in privacy or privacy.get("l", {}).get("variant", "distinct") != "distinct" \
                or len(l_cols) > 1:
            raise RecipeError("Mondrian supports k-anonymity and distinct l-diversity of one "
                              "sensitive column only", field="privacy.method")
        started = time.perf_counter()
        res = mondrian(df, qis, k=privacy.get("k", 1),
                       l=int(privacy["l"]["l"]) if l_cols else None,
                       sensitive=l_cols[0] if l_cols else None, task=task)
        info.engine_seconds = time.perf_counter() - started
        info.classes = len(res.class_sizes)
        info.measured = dict(res.measured)
        info.generalized_input = {c: res.data[c] for c in qis}    # nothing is left out
        info.metrics = {"average_class_size": metrics.average_class_size(res.class_sizes),
                        "discernibility": metrics.discernibility(res.class_sizes, 0),
                        "normalized_certainty_penalty": float(res.ncp)}
        return res.data, info
    specs, hierarchies = _hierarchies(df, recipe, qis, privacy, base_dir)
    info.hierarchy_specs = specs
    info.heights = {c: hierarchies[c].height for c in qis}
    models = build_models(recipe, hierarchies)
    qh = {c: hierarchies[c] for c in qis}
    levels = privacy.get("levels")
    if levels:
        missing = [c for c in qis if c not in levels]
        if missing:
            raise RecipeError(f"levels are missing for {', '.join(missing)}",
                              field="privacy.levels")
        for col, lv in levels.items():
            if lv >= qh[col].height:
                raise RecipeError(f"level {lv} is beyond the hierarchy's top "
                                  f"(levels 0-{qh[col].height - 1})",
                                  field=f'privacy.levels["{col}"]')
    started = time.perf_counter()
    codes = {}           # the QIs' leaf codes, encoded once for search, apply and metrics
    for i, c in enumerate(qis):
        task.report(0.1 * i / len(qis), f"encoding {c}")
        codes[c] = qh[c].encode(df[c], column=c)
    if not levels:
        result = S.search(df, qh, models, suppression_limit=limit,
                          objective=privacy["objective"], top=20, task=task.sub(0.1, 0.8),
                          codes=codes)
        info.lattice_size, info.checked = result.stats.lattice_size, result.stats.checked
        info.candidates = [t.as_dict() for t in result.candidates]
        if result.best is None:
            raise PrivacyModelError(
                f"No generalization of {len(qis)} quasi-identifier(s) satisfies "
                f"{', '.join(m.describe() for m in models)} with at most "
                f"{info.suppression_limit_rows:,} suppressed rows of {len(df):,}.",
                hint=_infeasible_hint(df, recipe, privacy, info.suppression_limit_rows))
        levels = dict(result.best.levels)
    out = S.apply(df, qh, levels, models, suppression_limit=limit, task=task.sub(0.8, 1.0),
                  codes=codes)
    info.engine_seconds = time.perf_counter() - started
    info.levels = {c: int(v) for c, v in out.levels.items()}
    info.generalized_input = {c: pd.Series(qh[c].decode(codes[c], info.levels[c]),
                                           index=df.index, name=c) for c in qis}
    info.suppressed_rows = int(out.suppressed.sum())
    info.classes = int(len(out.class_sizes))
    info.measured = {k: float(v) for k, v in out.measured.items()}
    info.metrics = {
        "loss": float(out.loss), "granularity": float(out.granularity),
        "discernibility": float(metrics.discernibility(out.class_sizes, info.suppressed_rows)),
        "non_uniform_entropy": float(metrics.non_uniform_entropy(df, qh, info.levels,
                                                                 out.suppressed, codes=codes)),
        "average_class_size": float(metrics.average_class_size(out.class_sizes)),
        "loss_per_column": {c: float(v) for c, v in metrics.loss_per_column(
            df, qh, info.levels, out.suppressed, codes=codes).items()},
    }
    return out.data, info


def _infeasible_hint(df: pd.DataFrame, recipe: dict, privacy: dict, limit_rows: int) -> str:
    """What to relax when no transformation works: name the setting that can never hold on
    this table (k above the row count, l above the sensitive column's distinct values)
    before the generic advice, so the user does not raise a limit that cannot help."""
    fixes = []
    if privacy.get("k", 1) > len(df):
        fixes.append(f"lower k to at most {len(df):,}: the table has {len(df):,} rows")
    if "l" in privacy and privacy["l"].get("variant", "distinct") != "recursive":
        for col in document.model_columns(recipe, "l"):
            if col in df.columns:
                distinct = int(df[col].nunique(dropna=True))
                if privacy["l"]["l"] > distinct:
                    fixes.append(f"lower l to at most {distinct}: '{col}' has only "
                                 f"{distinct} distinct values")
    if fixes:
        return "; ".join(fixes)
    generic = "relax the model (a smaller k or l, a larger t), use taller hierarchies"
    if limit_rows == 0:
        return "allow some suppression (e.g. 5 %), or " + generic
    return "raise the suppression limit, " + generic


def arrow_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Columns that mix numbers and labels (``45`` and ``'90+'``) become text, so the release
    can be stored as Parquet and exported; the index is renumbered."""
    out = df.reset_index(drop=True)
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in pd.unique(out[col].dropna())}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: v if v is None or v != v else str(v))
    return out


def run_recipe(df: pd.DataFrame, recipe: Recipe | dict, *, keys=None, vault: Vault | None = None,
               base_dir: Path | None = None, source: str | None = None,
               dataset: DatasetRef | None = None,
               task: TaskState | None = None) -> ReleaseOutcome:
    """Run ``recipe`` on ``df``; see the module docstring. A dict is validated here; a
    :class:`Recipe` was when it was parsed. ``keys``: a ``KeyRing``;
    ``source``: what the report calls the input; ``dataset``: the vault dataset it came from
    (whose budget a perturbation spends)."""
    task = ensure_task(task)
    started = time.perf_counter()
    plan = Recipe.parse(recipe)
    recipe = plan.to_json()               # the document, for the report and the section hooks
    document.check_columns(plan, list(df.columns))
    keys = keys if keys is not None else KeyRing()
    actions = plan.column_actions()
    task.report(0.0, "Applying column actions")
    acted, log = apply_actions(df, actions, keys, base_dir=base_dir, task=task.sub(0.0, 0.15))
    released, gen = generalize(acted, plan, base_dir=base_dir, task=task.sub(0.15, 0.75))
    sections, files, states = {}, {}, {}
    for name, span in zip(SECTION_ORDER, ((0.75, 0.85), (0.85, 0.92))):
        if plan.section(name) is not None:
            ctx = SectionContext(original=df, dataset_ref=dataset, seed=plan.seed,
                                 vault=vault, task=task.sub(*span), recipe=recipe)
            res = run_section(name, released, recipe[name], ctx)
            released, sections[name] = res.data, res.report
            files.update(res.files)
            states[name] = res.state
    task.report(0.93, "Measuring risk and utility")
    report = build_report(original=df, released=released, recipe=recipe, actions_log=log,
                          generalization=gen, sections=sections, source=source, transformed=acted,
                          seconds=time.perf_counter() - started)
    task.report(1.0, "Release ready")
    return ReleaseOutcome(recipe=recipe, data=arrow_safe(released), report=report,
                          files=files, created_keys=dict(keys.created),
                          candidates=gen.candidates, source=source, dataset=dataset,
                          section_states=states)
