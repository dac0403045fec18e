"""JSON Schema validation of recipes, with errors that name the field.

It sits beside ``core.errors``, below every area, so that an area can check its own recipe
section (``core.perturb``) without importing the recipe package above it.

The main schema refers to one fragment per area that owns a top-level section
(``recipe-perturbation.schema.json``, ``recipe-encryption.schema.json``); every
``recipe-*.schema.json`` file shipped in ``ppds_desktop/schemas/`` is registered under its
``$id``, so an area makes its section strict by replacing its own fragment file — the main
schema does not change.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from .errors import RecipeError

MAIN_SCHEMA = "recipe-v1.schema.json"
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def schema_path(name: str = MAIN_SCHEMA):
    """The shipped schema file (a ``Traversable``; ``.read_text()`` gives the JSON)."""
    return resources.files("ppds_desktop") / "schemas" / name


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    resources_ = []
    for entry in (resources.files("ppds_desktop") / "schemas").iterdir():
        if entry.name.startswith("recipe-") and entry.name.endswith(".schema.json"):
            doc = json.loads(entry.read_text(encoding="utf-8"))
            resources_.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources_)
    main = json.loads(schema_path().read_text(encoding="utf-8"))
    return Draft202012Validator(main, registry=registry)


def field_path(parts) -> str:
    """``['columns', 'Date of Birth', 'action', 'max_days']`` → ``columns["Date of Birth"].action.max_days``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _SIMPLE.match(p):
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(p, ensure_ascii=False)}]"
    return out or "(recipe)"


def _message(err: ValidationError) -> str:
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown field(s) {', '.join(map(repr, extra))}"
    if err.validator == "required":
        return err.message.replace(" is a required property", " is required")
    if err.validator in ("enum", "const"):
        allowed = err.validator_value if err.validator == "enum" else [err.validator_value]
        return f"must be one of {', '.join(json.dumps(a) for a in allowed)}"
    if err.validator == "type":
        return f"must be of type {err.validator_value}"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "greater than", "exclusiveMaximum": "less than"}
        return f"must be {words[err.validator]} {err.validator_value}"
    if err.validator in ("minLength", "maxLength", "pattern"):
        return {"minLength": f"must have at least {err.validator_value} character(s)",
                "maxLength": f"must have at most {err.validator_value} characters",
                "pattern": "has characters that are not allowed here"}[err.validator]
    if err.validator == "anyOf" and all("required" in s for s in err.validator_value):
        names = [s["required"][0] for s in err.validator_value]
        return f"needs at least one of {', '.join(names)}"
    return "is not valid here"


def validate(recipe) -> dict:
    """Return ``recipe`` if it is valid; otherwise raise :class:`RecipeError` for the most
    relevant problem, with the JSON path of the field (values are never quoted)."""
    if not isinstance(recipe, dict):
        raise RecipeError("a recipe is a JSON object", field="(recipe)")
    err = best_match(_validator().iter_errors(recipe))
    if err is not None:
        raise RecipeError(_message(err), field=field_path(err.absolute_path))
    return recipe
