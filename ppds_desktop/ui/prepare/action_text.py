"""Column-action parameters as short text ("keep_last=4, char=#") for the actions table.

Plain text keeps the table one row per column; this module turns it into the recipe's action
dict and back, with the recipe schema checking the result. No Qt here (tested directly).
"""

from __future__ import annotations

import json

from ...core.errors import RecipeError

ACTIONS = ["keep", "drop", "mask", "fixed", "pseudonym", "date_shift", "year", "zip3",
           "generalize", "top_bottom_code"]
ACTION_LABELS = {"keep": "keep", "drop": "drop", "mask": "mask", "fixed": "fixed pattern",
                 "pseudonym": "pseudonym", "date_shift": "shift dates", "year": "year only",
                 "zip3": "ZIP → 3 digits", "generalize": "generalize",
                 "top_bottom_code": "top/bottom code"}
_INT = {"keep_first", "keep_last", "max_days", "level", "step"}
_FLOAT = {"top", "bottom"}
_BOOL = {"restricted_to_000"}
_LIST = {"widths", "levels"}


def default_params(action: str, dataset_name: str = "release",
                   person: str | None = None) -> dict:
    """Sensible parameters for a freshly chosen action (keys named after the dataset;
    dates shifted per ``person``, the first identifier column)."""
    if action == "mask":
        return {"keep_last": 4}
    if action == "fixed":
        return {"pattern": "XXXX"}
    if action == "pseudonym":
        return {"key": f"{dataset_name} pseudonyms"[:100]}
    if action == "date_shift":
        d = {"key": f"{dataset_name} dates"[:100], "max_days": 30}
        if person:
            d["person"] = person
        return d
    if action == "top_bottom_code":
        return {"top": 89, "top_label": "90+"}
    if action == "generalize":
        return {"hierarchy": "auto"}
    return {}


def format_params(action: dict) -> str:
    parts = []
    for key, value in action.items():
        if key == "type":
            continue
        if key == "hierarchy":
            kind = value.get("kind", "auto")
            rest = {k: v for k, v in value.items() if k != "kind"}
            parts.append(f"hierarchy={kind}")
            for k, v in rest.items():
                parts.append(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                             if not isinstance(v, (dict,)) else f"{k}={json.dumps(v)}")
            continue
        parts.append(f"{key}={'yes' if value is True else 'no' if value is False else value}")
    return ", ".join(parts)


def _number(text: str):
    f = float(text)
    return int(f) if f.is_integer() and "." not in text else f


def parse_params(action_type: str, text: str, column: str) -> dict:
    """``"keep_last=4"`` → ``{"type": "mask", "keep_last": 4}``; errors name the column."""
    field = f'columns["{column}"].action'
    action: dict = {"type": action_type}
    hierarchy: dict = {}
    for part in [p.strip() for p in text.split(",")]:
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            if action.get("type") == "generalize" and hierarchy.get("widths") is not None \
                    and key.replace(".", "", 1).isdigit():
                hierarchy["widths"].append(_number(key))       # "widths=5,10,20" split on ","
                continue
            if hierarchy.get("levels") is not None and key.isalpha():
                hierarchy["levels"].append(key)
                continue
            raise RecipeError(f"'{part}' is not name=value", field=field)
        try:
            if key == "hierarchy":
                hierarchy["kind"] = value
            elif key in _LIST:
                hierarchy[key] = [_number(value)] if key == "widths" else [value]
            elif key in ("file", "step", "char") and action_type == "generalize":
                hierarchy[key] = _number(value) if key == "step" else value
            elif key in _INT:
                action[key] = int(value)
            elif key in _FLOAT:
                action[key] = _number(value)
            elif key in _BOOL:
                action[key] = value.lower() in ("yes", "true", "1")
            else:
                action[key] = value
        except ValueError:
            raise RecipeError(f"'{key}' needs a number", field=f"{field}.{key}") from None
    if action_type == "generalize":
        hierarchy.setdefault("kind", "auto")
        action["hierarchy"] = hierarchy
    return action
