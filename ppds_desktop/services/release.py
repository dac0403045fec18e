"""Use cases of de-identification: run a recipe, save the release, assess risk, look a
pseudonym up. The Prepare wizard, ``ppds anonymize`` / ``ppds risk`` and the demo call these.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.anonymize import pseudonym
from ..core.anonymize.actions import KeyRing, vault_keyring
from ..core.errors import InputError, NotFound
from ..core.progress import TaskState, ensure_task
from ..core.recipe import document
from ..core.recipe.document import new_recipe
from ..core.recipe.presets import HIPAA
from ..core.recipe.run import ReleaseOutcome, run_recipe
from ..core.recipe.sections import SECTION_ORDER, commit_hook
from ..core.report import render_html
from ..core.report.figures import (class_sizes_before_after,  # noqa: F401 - the results page
                                   column_histogram, risk_before_after)
from ..core.risk import ReleaseVerdict, measure_risk
from .disclosure import (audit_risk_accepted, check_release_risk, require_risk_accepted,
                         verdict)

__all__ = ["HIPAA", "ReleaseOutcome", "assess_risk", "column_hints", "default_release_name",
           "export_output", "export_release", "load_input", "lookup_pseudonym", "new_recipe",
           "preset_for_dataset", "profile_kinds", "recipe_for_preset", "run_release",
           "run_release_on_frame", "save_release", "store_new_keys", "verdict",
           "with_k_anonymity", "write_report"]

if TYPE_CHECKING:
    from ..core.vault import Vault
    from ..core.vault import DatasetRef

DEFAULT_SUPPRESSION = 0.05       # what the one-click fix allows when the recipe set no limit


def load_input(source, vault: Vault | None = None, task: TaskState | None = None) -> tuple[pd.DataFrame, str]:
    """A table from a file path (CSV/TSV, .xlsx, Parquet) or a vault dataset ref.

    Returns the frame and a display name. A path that exists is read as a file (its display
    name ends in " (file)", so it is never mistaken for a vault dataset); otherwise ``source``
    must name a dataset in ``vault``.
    """
    task = ensure_task(task)
    path = Path(str(source))
    if path.is_file():
        from ..core.io import read_table
        result = read_table(path, task=task)
        return result.table.to_pandas(), f"{path.name} (file)"
    if vault is None:
        raise InputError("no such file (to use a vault dataset, give --vault and its name)",
                         path=str(source))
    info = vault.dataset_info(source)
    return vault.load_dataset(info.id, task=task), info.name


def profile_kinds(profile: dict | None) -> dict[str, str]:
    """Column → the category the import profiler detected (e.g. ``email``), from a stored
    profile; presets use it to recognise identifiers."""
    return {c["name"]: c["category"] for c in (profile or {}).get("columns", [])
            if c.get("category")}


def column_hints(df: pd.DataFrame | None, vault: Vault | None = None, dataset_ref=None) -> tuple[dict, dict]:
    """(roles, profile categories) per column: the ones saved with a vault dataset, or for a
    file (``df``) the import profiler's suggestions (``core.schema``), which presets start
    from."""
    if vault is not None and dataset_ref is not None:
        roles = {c: r.role for c, r in vault.roles(dataset_ref).items()}
        return roles, profile_kinds(vault.dataset_info(dataset_ref).profile)
    import pyarrow as pa

    from ..core.schema import profile_table
    profile = profile_table(pa.Table.from_pandas(df, preserve_index=False))
    return profile.roles(), {c.name: c.category for c in profile.columns if c.category}


def run_release(vault: Vault, dataset_ref, recipe: dict, task: TaskState | None = None) -> ReleaseOutcome:
    """Load ``dataset_ref`` from the vault and run ``recipe`` on it. Nothing is written: keys
    the recipe needs that do not exist yet are made in memory and stored by
    :func:`save_release`."""
    task = ensure_task(task)
    info = vault.dataset_info(dataset_ref)
    document.check_identifiers_handled(recipe, {c: r.role for c, r in vault.roles(info.id).items()})
    df = vault.load_dataset(info.id, task=task.sub(0.0, 0.1))
    return run_recipe(df, recipe, keys=vault_keyring(vault), vault=vault, source=info.name,
                      dataset=info.ref, task=task.sub(0.1, 1.0))


def run_release_on_frame(df: pd.DataFrame, recipe: dict, *, vault: Vault | None = None, source=None,
                         roles: dict[str, str] | None = None, base_dir: Path | None = None,
                         task: TaskState | None = None) -> ReleaseOutcome:
    """Run ``recipe`` on a table already in memory (a file read by the CLI). ``roles`` are the
    dataset's saved roles; for a file, the profiler's suggestions are used instead.
    ``source`` is the display name :func:`load_input` gave: a vault dataset's name is resolved
    here, once, to the dataset the release is recorded against."""
    if roles is None:
        roles, _kinds = column_hints(df)
    document.check_identifiers_handled(recipe, roles)
    keys = vault_keyring(vault) if vault is not None else KeyRing()
    return run_recipe(df, recipe, keys=keys, vault=vault, source=source, base_dir=base_dir,
                      dataset=_dataset_named(vault, source), task=task)


def _dataset_named(vault: Vault, source) -> DatasetRef | None:
    """The vault dataset ``source`` names, or None (no vault, or a file outside it)."""
    if vault is None or source is None:
        return None
    try:
        return vault.datasets.ref(source)
    except NotFound:
        return None


def store_new_keys(vault: Vault, outcome: ReleaseOutcome) -> list[str]:
    """Keep the keys the run created (pseudonyms and date shifts made with them can then be
    looked up and repeated). Joins the caller's transaction."""
    stored = []
    for (kind, name), key in outcome.created_keys.items():
        if not vault.has_secret(kind, name):
            vault.put_secret(kind, name, key, meta={"created_for": outcome.recipe.get("name")})
            stored.append(f"{kind}:{name}")
    return stored


def _release_kind(outcome: ReleaseOutcome) -> str:
    return "perturbed" if "perturbation" in outcome.recipe else "anonymized"


def save_release(vault: Vault, outcome: ReleaseOutcome, name: str, *, accept_risk: bool = False,
                 task: TaskState | None = None):
    """Store the release (output table, recipe, JSON report, HTML report, hook files) and the
    keys it needs, with an audit entry, in one transaction. Returns the ``ReleaseInfo``.

    A release that meets no privacy model or keeps a risk above the vault's threshold is
    refused unless ``accept_risk``; the acceptance is audited with the risk figures."""
    task = ensure_task(task)
    report = outcome.report
    risk = verdict(report, vault)
    files = {"report.html": render_html(report, risk).encode("utf-8"), **outcome.files}
    source = outcome.dataset
    with vault.transaction():
        check_release_risk(vault, name, risk, accept_risk=accept_risk, doing="saved")
        keys = store_new_keys(vault, outcome)

        def release():
            return vault.put_release(name, _release_kind(outcome), source=source,
                                     output_df=outcome.data, recipe=outcome.recipe,
                                     report=report, files=files, task=task)
        for section in reversed(SECTION_ORDER):        # each commit hook wraps the next
            hook = commit_hook(section)
            if section in outcome.section_states and hook is not None:
                release = _wrap(hook, vault, source, outcome.section_states[section], release)
        info = release()
        vault.audit("release.deidentified", release=name, preset=outcome.recipe.get("preset"),
                    rows_in=report["rows"]["input"], rows_out=report["rows"]["output"],
                    suppressed=report["rows"]["suppressed"],
                    model=report["model"]["achieved"], highest_risk=risk.highest_risk,
                    keys_created=keys)
    return info


def write_report(vault: Vault, outcome: ReleaseOutcome, path, *, name: str,
                 accept_risk: bool = False) -> Path:
    """Write the release report as one HTML file (the Prepare page's export). A release that
    can still identify people needs ``accept_risk``, audited like saving it."""
    path = Path(path)
    export_release(vault, outcome, title=name, html=path, accept_risk=accept_risk,
                   store_keys=False, doing="report exported")
    return path


def export_release(vault: Vault | None, outcome: ReleaseOutcome, *, title: str, output=None,
                   report=None, html=None, recipe_file=None, recipe=None,
                   save_as: str | None = None, accept_risk: bool = False,
                   store_keys: bool = True, doing: str = "written to files",
                   task: TaskState | None = None) -> ReleaseVerdict:
    """Write a release's files (the released table as ``output``, the recipe, the JSON and
    the HTML report): all of them or none. Then keep it: with ``save_as`` as a vault release
    (:func:`save_release`); otherwise, with a vault, by storing the keys its pseudonyms and
    date shifts were made with and auditing an accepted risk, in one transaction. A release
    that can still identify people is refused before anything is written unless
    ``accept_risk``. ``ppds anonymize`` and the Prepare page's export call this."""
    from ..core.files import write_private
    from ..core.io import write_table

    task = ensure_task(task)
    risk = verdict(outcome.report, vault)
    require_risk_accepted(title, risk, accept_risk=accept_risk)
    texts = {"report": (report, lambda: json.dumps(outcome.report, indent=2, ensure_ascii=False)),
             "html": (html, lambda: render_html(outcome.report, risk))}
    written: list[Path] = []

    def text(kind: str) -> None:            # owner-only, whole or not at all
        path, make = texts[kind]
        if path is not None:
            written.append(write_private(Path(path), make()))

    try:                            # all files of the release, or none of them
        if recipe_file is not None:         # hierarchy files named relative to the recipe
            written.append(document.save(recipe_file, recipe if recipe is not None
                                         else outcome.recipe))
        if output is not None:
            write_table(outcome.data, output, task=task.sub(0.0, 0.5))
            written.append(Path(output))
        text("report")
        text("html")
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if save_as:
        save_release(vault, outcome, save_as, accept_risk=accept_risk, task=task.sub(0.5, 1.0))
    elif vault is not None:
        with vault.transaction():
            if store_keys:
                store_new_keys(vault, outcome)
            audit_risk_accepted(vault, title, risk, doing=doing)
    return risk


def export_output(vault: Vault, outcome: ReleaseOutcome, path, *, name: str,
                  accept_risk: bool = False, task: TaskState | None = None) -> Path:
    """Write the de-identified table of a run (saved or not) to CSV, .xlsx or Parquet (the
    Prepare page's Export data), through :func:`export_release`; the export is audited."""
    export_release(vault, outcome, title=name, output=path, accept_risk=accept_risk,
                   doing="exported", task=task)
    vault.audit("release.exported", release=name, file=Path(path).name, rows=len(outcome.data))
    return Path(path)


def default_release_name(dataset_name: str, risk: ReleaseVerdict) -> str:
    """The name the GUI proposes: it says "de-identified" only when the release is."""
    if risk.safe:
        return f"{dataset_name} – de-identified"
    return f"{dataset_name} – high re-identification risk"


def with_k_anonymity(recipe: dict, risk: ReleaseVerdict) -> dict:
    """The one-click fix: ``recipe`` asking for k-anonymity with the k that brings every
    record down to the threshold (5 for 20 %) on its quasi-identifiers, allowing a few
    suppressed rows if it allowed none. Validated; ``recipe`` itself is not changed."""
    import copy

    if not risk.can_fix:
        raise InputError("the recipe marks no column as a quasi-identifier, so there is "
                         "nothing k-anonymity could group by")
    fixed = copy.deepcopy(recipe)
    privacy = fixed.setdefault("privacy", {})
    privacy["k"] = max(int(privacy.get("k", 0)), risk.suggested_k)
    privacy.pop("levels", None)              # fixed levels would skip the search
    if not privacy.get("suppression_limit"):
        privacy["suppression_limit"] = DEFAULT_SUPPRESSION
    return document.validate(fixed)


def _wrap(hook, vault: Vault, source, state, inner):
    def call():
        return hook(vault, source, state, inner)
    return call


def assess_risk(df: pd.DataFrame, qi_columns: list[str], *, sensitive: str | None = None,
                threshold: float = 0.2, population_size: int | None = None) -> dict:
    """Risk figures of a table as it is (``ppds risk``), plus k and, when ``sensitive`` is
    given, its distinct and entropy l-diversity and equal-distance t-closeness."""
    from ..core.anonymize.models import (DistinctLDiversity, EntropyLDiversity, TCloseness,
                                         measure_models)

    if sensitive is not None and sensitive not in df.columns:
        raise InputError(f"no column '{sensitive}' in the data")
    risk = measure_risk(df, qi_columns, threshold=threshold, population_size=population_size)
    out = {"risk": risk.to_dict(), "k": risk.min_class_size}
    if sensitive is not None and len(df):
        def one(model):
            return measure_models(df, qi_columns, [model])[model.key]
        out.update(sensitive=sensitive, l_distinct=one(DistinctLDiversity(sensitive, 1)),
                   l_entropy=one(EntropyLDiversity(sensitive, 1)),
                   t_equal=one(TCloseness(sensitive, 1.0, distance="equal")))
    return out


def lookup_pseudonym(vault: Vault, dataset_ref, column: str, value: str, key_name: str, *,
                     prefix: str = "") -> list:
    """The source values of ``dataset_ref[column]`` whose pseudonym under the vault key
    ``key_name`` is ``value`` — recomputed from the source data, never from a stored table.
    Every look-up is audited (without the values)."""
    key = pseudonym.get_key(vault, key_name)
    info = vault.dataset_info(dataset_ref)
    if column not in info.columns:
        raise InputError(f"dataset '{info.name}' has no column '{column}'")
    source = vault.load_dataset(info.id, columns=[column])[column]
    found = pseudonym.lookup(value, source, key, prefix=prefix)
    vault.audit("pseudonym.lookup", dataset=info.name, column=column, key=key_name,
                found=len(found))
    return found


def preset_for_dataset(vault: Vault, dataset_ref, preset: str) -> dict:
    """A preset's recipe for a vault dataset, from its saved roles and profile (not yet
    validated: the caller may still change it before running it)."""
    from ..core.recipe.presets import make_preset

    info = vault.dataset_info(dataset_ref)
    roles, kinds = column_hints(None, vault, info.ref)
    return make_preset(preset, list(info.columns), roles, kinds)


def recipe_for_preset(preset: str, df: pd.DataFrame, roles: dict[str, str] | None = None,
                      kinds: dict[str, str] | None = None) -> dict:
    """A preset's recipe for ``df`` (see ``core.recipe.presets``)."""
    from ..core.recipe.presets import make_preset
    recipe = make_preset(preset, list(df.columns), roles, kinds)
    document.validate(recipe)
    return recipe
