"""Reading, writing and querying recipe documents (plain dicts, validated by the schema).

A recipe stays a plain JSON-shaped dict so that the sections other areas own
(``perturbation``, ``encryption``) travel through untouched; these helpers read the
de-identification parts with their defaults.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path, PureWindowsPath

from ..errors import InputError, RecipeError
from ..files import write_private
from .validation import validate

RECIPE_VERSION = 1
MAX_RECIPE_BYTES = 4 * 1024 * 1024
PRIVACY_DEFAULTS = {"suppression_limit": 0.0, "objective": "loss", "method": "optimal"}
RISK_DEFAULTS = {"threshold": 0.2, "population_size": None}
IDENTIFIER_ACTIONS = ("drop", "mask", "fixed", "pseudonym")


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


def save(path: str | Path, recipe: dict) -> Path:
    """Write ``recipe`` to ``path`` (owner-only, atomically), with every hierarchy file named
    relative to the recipe's folder in POSIX form (``hierarchies/age.csv``), so the recipe and
    its files can be moved, or shared between Windows and macOS, together."""
    path = Path(path)
    recipe = copy.deepcopy(recipe)
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


def hierarchy_path(file: str, base_dir: Path | None) -> Path:
    """Where a recipe's hierarchy file is: relative names (POSIX, or Windows ``\\`` from
    older recipes) are beside the recipe; absolute ones are taken as they are."""
    if "\\" in file and not PureWindowsPath(file).is_absolute() and not Path(file).exists():
        file = PureWindowsPath(file).as_posix()
    path = Path(file)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def _file_hierarchies(recipe: dict):
    """The ``{"kind": "file", "file": …}`` hierarchy specs of a recipe (generalized columns and
    hierarchical t-closeness), to be edited in place."""
    for spec in (recipe.get("columns") or {}).values():
        for hierarchy in ((spec.get("action") or {}).get("hierarchy"), spec.get("hierarchy")):
            if isinstance(hierarchy, dict) and hierarchy.get("kind") == "file" \
                    and isinstance(hierarchy.get("file"), str):
                yield hierarchy


def dumps(recipe: dict) -> str:
    """Canonical text (validated first): sorted keys, 2-space indent, UTF-8 kept readable."""
    validate(recipe)
    return json.dumps(recipe, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def column_actions(recipe: dict) -> dict[str, dict]:
    """``{column: {"role": ..., "action": {...}}}`` with role ``insensitive`` and action
    ``keep`` filled in where the recipe leaves them out."""
    out = {}
    for name, spec in (recipe.get("columns") or {}).items():
        out[name] = {"role": spec.get("role", "insensitive"),
                     "action": copy.deepcopy(spec.get("action", {"type": "keep"}))}
    return out


def check_identifiers_handled(recipe: dict, roles: dict[str, str]) -> None:
    """Refuse a recipe that says nothing about a column whose role is ``identifier``: left out,
    it would be released unchanged. ``roles`` are the dataset's (or the profiler's) roles."""
    listed = recipe.get("columns") or {}
    missing = [c for c, role in roles.items() if role == "identifier" and c not in listed]
    if missing:
        names = ", ".join(missing)
        raise RecipeError(
            f"the recipe says nothing about the identifier column(s) {names}, which would be "
            f"released unchanged; drop, mask or pseudonymize them (e.g. --drop "
            f"\"{','.join(missing)}\"), "
            f"or list them with another role if they are not identifying",
            field=f'columns["{missing[0]}"]')


def quasi_identifiers(recipe: dict) -> list[str]:
    """Columns with role quasi_identifier that are released (not dropped)."""
    return [c for c, s in column_actions(recipe).items()
            if s["role"] == "quasi_identifier" and s["action"]["type"] != "drop"]


def sensitive_columns(recipe: dict) -> list[str]:
    """Columns with role sensitive that are released (not dropped)."""
    return [c for c, s in column_actions(recipe).items()
            if s["role"] == "sensitive" and s["action"]["type"] != "drop"]


def privacy_settings(recipe: dict) -> dict:
    """The ``privacy`` section with defaults (no model, no suppression, objective Loss)."""
    out = dict(PRIVACY_DEFAULTS)
    out.update(copy.deepcopy(recipe.get("privacy") or {}))
    if "l" in out:
        out["l"].setdefault("variant", "distinct")
    if "t" in out:
        out["t"].setdefault("distance", "equal")
    return out


def risk_settings(recipe: dict) -> dict:
    """The ``risk`` section with defaults (threshold 0.2, no population size)."""
    out = dict(RISK_DEFAULTS)
    out.update(recipe.get("risk") or {})
    return out


def check_columns(recipe: dict, columns: list[str]) -> None:
    """Raise :class:`RecipeError` if the recipe names columns the table does not have, or asks
    for a model without the columns it needs."""
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
    for name, spec in (recipe.get("columns") or {}).items():
        if "hierarchy" in spec and spec.get("role") != "sensitive":
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


def model_columns(recipe: dict, model: str) -> list[str]:
    """The sensitive columns the ``l`` or ``t`` model protects (its ``column``, or all)."""
    spec = privacy_settings(recipe).get(model)
    if spec is None:
        return []
    return [spec["column"]] if spec.get("column") else sensitive_columns(recipe)
