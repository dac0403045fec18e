"""Reading, writing and querying recipe documents.

A recipe is written and edited as a JSON-shaped dict (the Prepare wizard, the command line's
flags) and parsed once into a typed :class:`~.model.Recipe` (``Recipe.parse``) to be run.
These helpers take either form: a dict is read through the typed parts without checking it
again, so one implementation answers for both.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from ..errors import InputError, RecipeError
from ..files import write_private
from ..recipe_schema import validate
from .model import RECIPE_VERSION, Recipe

MAX_RECIPE_BYTES = 4 * 1024 * 1024
IDENTIFIER_ACTIONS = ("drop", "mask", "fixed", "pseudonym")


def as_recipe(recipe: Recipe | dict) -> Recipe:
    """The typed recipe of ``recipe`` (a dict is taken as already checked)."""
    return recipe if isinstance(recipe, Recipe) else Recipe.from_json(recipe)


def new_recipe(**fields) -> dict:
    """An empty (valid) recipe, with ``fields`` set at top level."""
    recipe = {"ppds_recipe": RECIPE_VERSION, "columns": {}}
    recipe.update(fields)
    return recipe


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise RecipeError(f"the key {json.dumps(key)} appears twice in one object")
        seen[key] = value
    return seen


def loads(text: str, *, source: str = "recipe") -> dict:
    """Parse and validate a recipe; syntax errors name the line and column."""
    if len(text.encode("utf-8")) > MAX_RECIPE_BYTES:
        raise InputError(f"the recipe is larger than {MAX_RECIPE_BYTES // (1024 * 1024)} MiB",
                         path=source)
    try:
        recipe = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, column {exc.colno})", path=source,
                         line=exc.lineno) from None
    return validate(recipe)


def load(path: str | Path) -> dict:
    """Read, parse and validate a recipe file; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the recipe ({exc.strerror})", path=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("the recipe is not UTF-8 text", path=str(path)) from None
    try:
        return loads(text, source=str(path))
    except RecipeError as exc:
        raise RecipeError(f"{path}: {exc}") from None


def save(path: str | Path, recipe: Recipe | dict) -> Path:
    """Write ``recipe`` to ``path`` (owner-only, atomically), with every hierarchy file named
    relative to the recipe's folder in POSIX form (``hierarchies/age.csv``), so the recipe and
    its files can be moved, or shared between Windows and macOS, together."""
    path = Path(path)
    recipe = recipe.to_json() if isinstance(recipe, Recipe) else copy.deepcopy(recipe)
    for spec in _file_hierarchies(recipe):
        spec["file"] = portable_path(spec["file"], path.parent)
    return write_private(path, dumps(recipe))


def portable_path(file: str, folder: Path) -> str:
    """``file`` relative to ``folder`` with ``/`` separators; absolute (still with ``/``)
    when it is elsewhere on another drive."""
    target = Path(file)
    if not target.is_absolute():
        return target.as_posix()
    try:
        return Path(os.path.relpath(target, Path(folder).resolve())).as_posix()
    except ValueError:          # Windows: another drive has no relative path
        return target.as_posix()


def _file_hierarchies(recipe: dict):
    """The ``{"kind": "file", "file": …}`` hierarchy specs of a recipe (generalized columns and
    hierarchical t-closeness), to be edited in place."""
    for spec in (recipe.get("columns") or {}).values():
        for hierarchy in ((spec.get("action") or {}).get("hierarchy"), spec.get("hierarchy")):
            if isinstance(hierarchy, dict) and hierarchy.get("kind") == "file" \
                    and isinstance(hierarchy.get("file"), str):
                yield hierarchy


def dumps(recipe: Recipe | dict) -> str:
    """Canonical text: sorted keys, 2-space indent, UTF-8 kept readable. A dict is validated
    first; a :class:`Recipe` was when it was parsed."""
    data = recipe.to_json() if isinstance(recipe, Recipe) else validate(recipe)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def column_actions(recipe: Recipe | dict) -> dict[str, dict]:
    """``{column: {"role": ..., "action": {...}}}`` with role ``insensitive`` and action
    ``keep`` filled in where the recipe leaves them out."""
    return as_recipe(recipe).column_actions()


def check_identifiers_handled(recipe: Recipe | dict, roles: dict[str, str]) -> None:
    """Refuse a recipe that says nothing about a column whose role is ``identifier``: left out,
    it would be released unchanged. ``roles`` are the dataset's (or the profiler's) roles."""
    listed = as_recipe(recipe).columns
    missing = [c for c, role in roles.items() if role == "identifier" and c not in listed]
    if missing:
        names = ", ".join(missing)
        raise RecipeError(
            f"the recipe says nothing about the identifier column(s) {names}, which would be "
            f"released unchanged; drop, mask or pseudonymize them (e.g. --drop "
            f"\"{','.join(missing)}\"), "
            f"or list them with another role if they are not identifying",
            field=f'columns["{missing[0]}"]')


def quasi_identifiers(recipe: Recipe | dict) -> list[str]:
    """Columns with role quasi_identifier that are released (not dropped)."""
    return as_recipe(recipe).released("quasi_identifier")


def sensitive_columns(recipe: Recipe | dict) -> list[str]:
    """Columns with role sensitive that are released (not dropped)."""
    return as_recipe(recipe).released("sensitive")


def privacy_settings(recipe: Recipe | dict) -> dict:
    """The ``privacy`` section with defaults (no model, no suppression, objective Loss)."""
    return as_recipe(recipe).privacy_settings()


def risk_settings(recipe: Recipe | dict) -> dict:
    """The ``risk`` section with defaults (threshold 0.2, no population size)."""
    return as_recipe(recipe).risk_settings()


def check_columns(recipe: Recipe | dict, columns: list[str]) -> None:
    """Raise :class:`RecipeError` if the recipe names columns the table does not have, or asks
    for a model without the columns it needs."""
    recipe = as_recipe(recipe)
    present = set(columns)
    for name, spec in column_actions(recipe).items():
        if name not in present:
            raise RecipeError("the dataset has no column with this name",
                              field=f'columns["{name}"]')
        if spec["role"] == "identifier" and spec["action"]["type"] not in IDENTIFIER_ACTIONS:
            raise RecipeError("a column with role identifier must be dropped, masked, replaced "
                              "by a fixed pattern or pseudonymized",
                              field=f'columns["{name}"].action.type')
        person = spec["action"].get("person")
        if spec["action"]["type"] == "date_shift" and person is not None and person not in present:
            raise RecipeError(f"the person column '{person}' is not in the dataset",
                              field=f'columns["{name}"].action.person')
    privacy = privacy_settings(recipe)
    sensitive = sensitive_columns(recipe)
    for model in ("l", "t"):
        if model not in privacy:
            continue
        name = "l-diversity" if model == "l" else "t-closeness"
        column = privacy[model].get("column")
        if column is not None and column not in sensitive:
            raise RecipeError(f"{name} protects '{column}', which is not a released column "
                              "with role sensitive", field=f"privacy.{model}.column")
        if not sensitive:
            raise RecipeError(f"{name} needs a column with role sensitive",
                              field=f"privacy.{model}")
    for name, spec in recipe.columns.items():
        if spec.has("hierarchy") and spec.role != "sensitive":
            raise RecipeError("only a sensitive column has a hierarchy here (a "
                              "quasi-identifier's goes in its generalize action)",
                              field=f'columns["{name}"].hierarchy')
    qis = set(quasi_identifiers(recipe))
    for col in privacy.get("levels", {}):
        if col not in qis:
            raise RecipeError("levels may only be given for quasi-identifier columns",
                              field=f'privacy.levels["{col}"]')
    if any(m in privacy for m in ("k", "l", "t")) and not qis:
        raise RecipeError("a privacy model needs at least one quasi-identifier column",
                          field="privacy")


def model_columns(recipe: Recipe | dict, model: str) -> list[str]:
    """The sensitive columns the ``l`` or ``t`` model protects (its ``column``, or all)."""
    recipe = as_recipe(recipe)
    spec = privacy_settings(recipe).get(model)
    if spec is None:
        return []
    return [spec["column"]] if spec.get("column") else sensitive_columns(recipe)
