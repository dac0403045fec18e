"""A recipe in words: labels for roles, actions and their settings, the recipe as sentences, a
release's chosen levels in words, and recipe errors that name the column and the setting.

Everything that reads the recipe to describe it is here, in one place, so that the wording the
Prepare wizard, its error dialogs and the user guide show follows the recipe format (today a
plain dict, see ``document.py``) from a single module.
"""

from __future__ import annotations

import re

from ..words import and_list
from . import document
from .model import Recipe

ROLE_LABELS = {
    "identifier": "Identifier",
    "quasi_identifier": "Quasi-identifier",
    "sensitive": "Sensitive",
    "insensitive": "Insensitive",
}
ROLE_HELP = {
    "identifier": "Identifies a person on its own (name, SSN, e-mail, record number): "
                  "removed or replaced before sharing.",
    "quasi_identifier": "Identifies people in combination with other columns (age, ZIP, dates, "
                        "gender): coarsened until the privacy model holds.",
    "sensitive": "The information to protect (diagnosis, results): l-diversity and "
                 "t-closeness apply to it.",
    "insensitive": "Neither identifying nor sensitive: released as it is.",
}

ACTION_LABELS = {
    "keep": "Keep as is",
    "drop": "Remove the column",
    "mask": "Mask characters",
    "fixed": "Replace with a fixed text",
    "pseudonym": "Replace with a code (pseudonym)",
    "date_shift": "Shift dates per person",
    "year": "Keep the year only",
    "zip3": "Keep the first 3 ZIP digits",
    "generalize": "Coarsen into groups",
    "top_bottom_code": "Cap extreme values",
}
ACTION_HELP = {
    "keep": "The column is released unchanged.",
    "drop": "The column is left out of the release.",
    "mask": "Characters are replaced by a mask character, except the first or last few.",
    "fixed": "Every value becomes the same text.",
    "pseudonym": "Each value becomes a code; the same person gets the same code, and only "
                 "this vault can look the person up again.",
    "date_shift": "Every date of one person moves by the same secret number of days, so "
                  "intervals such as length of stay are kept.",
    "year": "Dates keep only their year.",
    "zip3": "ZIP codes keep their first three digits; sparsely populated areas become 000.",
    "generalize": "Values are grouped (age bands, months, shorter codes) as much as the privacy "
                  "model needs.",
    "top_bottom_code": "Values above or below a limit are replaced by a label such as 90+.",
}
ACTIONS = list(ACTION_LABELS)
IDENTIFIER_ACTIONS = document.IDENTIFIER_ACTIONS

# The settings of each action, in the order the editor shows them: key → label.
SETTING_LABELS = {
    "keep_first": "Keep the first characters",
    "keep_last": "Keep the last characters",
    "char": "Mask character",
    "pattern": "Replacement text",
    "key": "Key name",
    "prefix": "Code prefix",
    "max_days": "Largest shift (days)",
    "person": "Same shift for all dates of",
    "bottom": "Cap values below",
    "restricted_to_000": "Sparsely populated areas become 000",
    "top": "Cap values above",
    "top_label": "Label above it",
    "bottom_label": "Label below it",
    "level": "Fixed level",
    "hierarchy": "Grouping",
    "kind": "Grouping",
    "widths": "Band width",
    "levels": "Date steps",
    "step": "Characters hidden per step",
    "file": "Hierarchy file",
    "groups": "Category groups",
    "start": "First band starts at",
}
YEAR_BOTTOM_LABEL = "Group years before"
HIERARCHY_KINDS = {
    "auto": "Automatic (from the values)",
    "intervals": "Number bands",
    "dates": "Date steps (month, quarter, year, decade)",
    "redaction": "Hide characters from the right",
    "categories": "Category groups (from a recipe file)",
    "file": "Hierarchy file (ARX format)",
}
DATE_STEPS = ["month", "quarter", "year", "decade"]
PRIVACY_LABELS = {
    "k": "k-anonymity (k)",
    "l": "l-diversity (l)",
    "t": "t-closeness (t)",
    "c": "l-diversity (c)",
    "suppression_limit": "Suppress at most",
    "objective": "Search objective",
    "method": "Method",
    "levels": "Fixed levels",
    "variant": "l-diversity variant",
    "distance": "t-closeness distance",
    "column": "Protected column",
}


def action_label(action_type: str) -> str:
    return ACTION_LABELS.get(action_type, action_type.replace("_", " ").capitalize())


def setting_label(action_type: str | None, key: str) -> str:
    if action_type == "year" and key == "bottom":
        return YEAR_BOTTOM_LABEL
    return SETTING_LABELS.get(key, key.replace("_", " ").capitalize())


def _number(value) -> str:
    return f"{value:,g}" if isinstance(value, (int, float)) else str(value)


def hierarchy_phrase(spec: dict | None) -> str:
    """How a column is grouped: 'in bands of 5, 10 or 20', 'by month, year or decade'."""
    spec = spec or {"kind": "auto"}
    kind = spec.get("kind", "auto")
    if kind == "intervals" and spec.get("widths"):
        widths = [_number(w) for w in spec["widths"]]
        return "in bands of " + (" or ".join(widths) if len(widths) < 3
                                 else ", ".join(widths[:-1]) + " or " + widths[-1])
    if kind == "dates" and spec.get("levels"):
        steps = list(spec["levels"])
        return "by " + (" or ".join(steps) if len(steps) < 3
                        else ", ".join(steps[:-1]) + " or " + steps[-1])
    if kind == "redaction":
        return "by hiding characters from the right"
    if kind == "file":
        return "by the groups of a hierarchy file"
    if kind == "categories":
        return "by the recipe's category groups" if spec.get("groups") else \
            "kept as is or fully hidden"
    return "into groups that suit the values (bands, date steps or shorter codes)"


def level_phrase(spec: dict | None, level: int, height: int | None) -> str:
    """A chosen generalization level in words: 'in bands of 10', 'by year', 'fully hidden'."""
    spec = spec or {}
    if level == 0:
        return "as is"
    if height is not None and level >= height - 1:
        return "fully hidden"
    kind = spec.get("kind")
    if kind == "intervals" and spec.get("widths") and level <= len(spec["widths"]):
        return f"in bands of {_number(spec['widths'][level - 1])}"
    if kind == "dates" and spec.get("levels") and level <= len(spec["levels"]):
        return f"by {spec['levels'][level - 1]}"
    if kind == "redaction":
        hidden = int(spec.get("step", 1)) * level
        return f"with the last {hidden} character{'s' if hidden != 1 else ''} hidden"
    return f"coarsened to level {level}" + (f" of {height - 1}" if height else "")


def _caps(action: dict, form: str) -> list[str]:
    """A top/bottom coding's limits in words, one per side it caps."""
    return [form.format(side=side, limit=_number(action[key]),
                        label=f"“{action.get(key + '_label', sign + format(action[key], 'g'))}”")
            for key, side, sign in (("top", "above", ">"), ("bottom", "below", "<"))
            if key in action]


def settings_phrase(action: dict) -> str:
    """A column action's settings in a few words, for the table of column actions."""
    t = action.get("type", "keep")
    if t == "mask":
        first, last = action.get("keep_first", 0), action.get("keep_last", 0)
        kept = " and ".join(k for k in (f"first {first}" if first else "",
                                        f"last {last}" if last else "") if k)
        return (f"{kept} characters kept" if kept else "every character masked") + \
            f", mask {action.get('char', '*')}"
    if t == "fixed":
        return f"becomes “{action.get('pattern', '')}”"
    if t == "pseudonym":
        return f"key “{action.get('key', '')}”" + (
            f", codes start with “{action['prefix']}”" if action.get("prefix") else "")
    if t == "date_shift":
        return (f"up to {_number(action.get('max_days', 0))} days, "
                + (f"same for all dates of {action['person']}" if action.get("person")
                   else "each row on its own"))
    if t == "year":
        return f"years before {action['bottom']} grouped" if action.get("bottom") else ""
    if t == "zip3":
        return ("sparsely populated areas become 000" if action.get("restricted_to_000", True)
                else "all areas kept")
    if t == "top_bottom_code":
        return "; ".join(_caps(action, "{side} {limit} → {label}"))
    if t == "generalize":
        spec = action.get("hierarchy") or {"kind": "auto"}
        phrase = ("automatic groups" if spec.get("kind", "auto") == "auto"
                  else hierarchy_phrase(spec).removeprefix("in ").removeprefix("by "))
        return phrase + (f", fixed level {action['level']}" if "level" in action
                         else ", as coarse as needed")
    return ""


def action_sentence(columns: list[str], action: dict) -> str:
    """One column action (shared by ``columns``) as a sentence."""
    t, cols = action.get("type", "keep"), and_list(columns)
    if t == "drop":
        return f"Remove {cols}."
    if t == "keep":
        return f"Keep {cols} as {'they are' if len(columns) > 1 else 'it is'}."
    if t == "mask":
        first, last = action.get("keep_first", 0), action.get("keep_last", 0)
        kept = [f"the first {first}" if first else "", f"the last {last}" if last else ""]
        kept = " and ".join(k for k in kept if k)
        char = action.get("char", "*")
        return (f"Mask {cols} with {char}" + (f", keeping {kept} characters." if kept else "."))
    if t == "fixed":
        return f"Replace every value of {cols} by “{action.get('pattern', '')}”."
    if t == "pseudonym":
        prefix = f", starting with “{action['prefix']}”" if action.get("prefix") else ""
        return (f"Replace {cols} by codes made with the key “{action.get('key', '')}”{prefix}; "
                "the same value always gets the same code.")
    if t == "date_shift":
        person = (f"every date of one {action['person']}" if action.get("person")
                  else "each row's dates")
        return (f"Shift the dates in {cols} by up to {_number(action.get('max_days', 0))} days, "
                f"the same shift for {person} (key “{action.get('key', '')}”).")
    if t == "year":
        before = (f"; years before {action['bottom']} become “before {action['bottom']}”"
                  if action.get("bottom") else "")
        return f"Keep only the year of {cols}{before}."
    if t == "zip3":
        rare = (", and sparsely populated areas become 000"
                if action.get("restricted_to_000", True) else "")
        return f"Keep the first 3 digits of {cols}{rare}."
    if t == "top_bottom_code":
        return f"In {cols}, " + " and ".join(_caps(action, "values {side} {limit} become "
                                                            "{label}")) + "."
    if t == "generalize":
        if "level" in action:
            return f"Coarsen {cols} {hierarchy_phrase(action.get('hierarchy'))}, at level " \
                   f"{action['level']}."
        return (f"Coarsen {cols} {hierarchy_phrase(action.get('hierarchy'))}, as much as the "
                "privacy model needs.")
    return f"{action_label(t)}: {cols}."


def _privacy_sentences(recipe: Recipe) -> list[str]:
    privacy = document.privacy_settings(recipe)
    qis = document.quasi_identifiers(recipe)
    if not any(m in privacy for m in ("k", "l", "t")):
        return ["No privacy model: nothing checks that people cannot be picked out of the "
                "release."]
    out = []
    shared = and_list(qis) or "quasi-identifiers"
    if "k" in privacy:
        k = int(privacy["k"])
        out.append(f"Every person shares their {shared} (as released) with at least {k - 1} "
                   f"other{'s' if k != 2 else ''} ({k}-anonymity).")
    for model in ("l", "t"):
        if model not in privacy:
            continue
        columns = and_list(document.model_columns(recipe, model)) or "the sensitive column"
        if model == "l":
            l_ = _number(privacy["l"]["l"])
            out.append(f"Within each group of look-alike records, {columns} takes at least {l_} "
                       f"different values ({l_}-diversity, {privacy['l']['variant']}).")
        else:
            out.append(f"Within each group, the spread of {columns} differs from the whole "
                       f"table's by at most {_number(privacy['t']['t'])} (t-closeness).")
    limit = privacy.get("suppression_limit") or 0
    out.append(f"Up to {limit * 100:g} % of the records may be left out to get there."
               if limit else "No record may be left out to get there.")
    if privacy.get("levels"):
        out.append("The levels are fixed: " + "; ".join(
            f"{col} at level {lv}" for col, lv in privacy["levels"].items()) + ".")
    return out


def _coarsened(recipe: Recipe, resolve) -> tuple[str | None, set[str]]:
    """One sentence for every column the privacy model coarsens (its groups in words, an
    automatic grouping made concrete by ``resolve(column, spec)`` when given)."""
    parts, columns = [], set()
    for col, spec in document.column_actions(recipe).items():
        action = spec["action"]
        if action.get("type") != "generalize" or "level" in action:
            continue
        hierarchy = action.get("hierarchy") or {"kind": "auto"}
        if hierarchy.get("kind", "auto") == "auto" and resolve is not None:
            hierarchy = resolve(col, hierarchy)
        parts.append(f"{col} {hierarchy_phrase(hierarchy)}")
        columns.add(col)
    if not parts:
        return None, columns
    return "Coarsen, as much as the privacy model needs: " + "; ".join(parts) + ".", columns


def recipe_sentences(recipe: dict, resolve=None) -> list[str]:
    """What running ``recipe`` will do, as plain sentences (columns grouped by action).
    ``resolve(column, spec)`` may turn an automatic hierarchy into the one the run will use."""
    typed = document.as_recipe(recipe)     # built once for the helpers below
    coarsened, done = _coarsened(typed, resolve)
    groups: dict[str, tuple[dict, list[str]]] = {}
    for col, spec in document.column_actions(typed).items():
        if col in done:
            continue
        action = spec["action"]
        key = repr(sorted((k, repr(v)) for k, v in action.items()))
        groups.setdefault(key, (action, []))[1].append(col)
    order = {t: i for i, t in enumerate(["drop", "pseudonym", "mask", "fixed", "date_shift",
                                         "year", "zip3", "top_bottom_code", "generalize",
                                         "keep"])}
    ordered = sorted(groups.values(), key=lambda g: order.get(g[0].get("type"), 99))
    out = [action_sentence(cols, action) for action, cols in ordered]
    if coarsened:
        kept = next((i for i, (a, _c) in enumerate(ordered) if a.get("type") == "keep"),
                    len(out))
        out.insert(kept, coarsened)
    out += _privacy_sentences(typed)
    perturbation = recipe.get("perturbation") or {}
    if perturbation.get("steps"):
        n = len(perturbation["steps"])
        out.append(f"Then perturb the records in {n} step{'s' if n != 1 else ''} "
                   "(chosen on the Perturbation page).")
    encryption = recipe.get("encryption") or {}
    if encryption.get("columns"):
        cols = [c if isinstance(c, str) else c.get("name", "") for c in encryption["columns"]]
        holder = (encryption.get("public_key") or {}).get("contact")
        out.append(f"Encrypt {and_list(cols)} so that only "
                   f"{holder or 'the key holder'} can decrypt combined figures.")
    return out


def levels_sentences(report: dict) -> list[str]:
    """The generalization a run chose, per quasi-identifier: 'Age in bands of 10'."""
    gen = report.get("generalization") or {}
    hierarchies, heights = gen.get("hierarchies") or {}, gen.get("heights") or {}
    return [f"{col} {level_phrase(hierarchies.get(col), level, heights.get(col))}"
            for col, level in (gen.get("levels") or {}).items()]


# -- recipe errors in words --------------------------------------------------------------------

_COLUMN_FIELD = re.compile(r'^columns\["(?P<col>(?:[^"\\]|\\.)*)"\]|^columns\.(?P<plain>\w+)')


def _words_for_values(message: str) -> str:
    """'must be one of "keep", "drop"' with the values' labels; JSON type names in words."""
    message = re.sub(r'"([a-z_0-9]+)"', lambda m: "“" + ACTION_LABELS.get(
        m.group(1), ROLE_LABELS.get(m.group(1), HIERARCHY_KINDS.get(
            m.group(1), m.group(1).replace("_", " ")))) + "”", message)
    message = re.sub(r"'([a-z_0-9]+)'", lambda m: "‘" + SETTING_LABELS.get(
        m.group(1), m.group(1).replace("_", " ")) + "’", message)
    return (message.replace("must be of type integer", "must be a whole number")
            .replace("must be of type number", "must be a number")
            .replace("must be of type string", "must be text")
            .replace("must be of type boolean", "must be yes or no")
            .replace("unknown field(s)", "unknown setting(s)"))


def error_in_words(field: str | None, reason: str, recipe: dict | None = None) -> str:
    """A recipe error as a sentence naming the column and the setting:
    ``columns["SSN"].action.keep_last`` + 'must be at most 100' →
    'SSN: “Keep the last characters” must be at most 100'."""
    reason = _words_for_values(reason)
    if not field or field == "(recipe)":
        return reason[:1].upper() + reason[1:]
    match = _COLUMN_FIELD.match(field)
    if match:
        column = (match.group("col") or match.group("plain") or "").replace('\\"', '"')
        rest = [p for p in field[match.end():].split(".") if p]
        action_type = (((recipe or {}).get("columns") or {}).get(column) or {}) \
            .get("action", {}).get("type")
        if not rest:
            return f"{column}: {reason}"
        if rest[0] == "role":
            return f"{column}: the role {reason}"
        if rest[0] == "action" and len(rest) == 1:
            return f"{column}: {reason}" if "required" in reason or "setting" in reason \
                else f"{column}: the action {reason}"
        if rest[0] == "action" and rest[1] == "type":
            return f"{column}: the action {reason}"
        setting = rest[-1]
        return f"{column}: “{setting_label(action_type, setting)}” {reason}"
    parts = [p for p in re.split(r"[.\[\]]", field) if p]
    if parts and parts[0] == "privacy":
        name = (PRIVACY_LABELS.get(parts[-1], parts[-1]) if len(parts) > 1
                else "The privacy model")
        if len(parts) > 2 and parts[1] == "levels":
            name = f"Fixed level of {parts[2].strip(chr(34))}"
        return f"{name}: {reason}"
    return f"{field.replace('_', ' ')}: {reason}"
