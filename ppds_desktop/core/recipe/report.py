"""Assemble the release report (a JSON-ready dict).

Figures only: counts, shares, distances, levels, parameters, column names. No cell values,
except the bin labels of the before/after histograms of released quasi-identifiers and
sensitive columns (the same aggregated view the recipient gets from the release itself);
identifier columns never get a histogram.
"""

from __future__ import annotations

import datetime as _dt
import math

import pandas as pd

from ..anonymize.models import measure_models
from .presets import HIPAA, hipaa_checklist
from ..charts import histogram_data
from ..errors import PPDSError
from . import document
from .model import Recipe
from .privacy_models import build_models
from ..risk import measure_risk
from ..utility import measure_utility

REPORT_VERSION = 1
MAX_HISTOGRAMS = 8

_DESCRIBE = {
    "keep": "kept unchanged", "drop": "dropped", "mask": "masked", "fixed":
    "replaced by a fixed pattern", "pseudonym": "keyed pseudonym (HMAC-SHA-256)",
    "date_shift": "dates shifted per person", "zip3": "ZIP code cut to 3 digits",
    "year": "year only", "generalize": "generalized", "top_bottom_code": "top/bottom coded",
}


def _clean(x):
    """JSON-safe: NaN/inf → None, numpy scalars → Python."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and hasattr(x, "dtype"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _describe_action(action: dict) -> str:
    t = action["type"]
    text = _DESCRIBE.get(t, t)
    if t == "mask":
        text += f" (first {action.get('keep_first', 0)}, last {action.get('keep_last', 0)} kept)"
    elif t == "date_shift":
        text += f" (±{action['max_days']} days, key '{action['key']}')"
    elif t == "pseudonym":
        text += f" (key '{action['key']}')"
    elif t == "year" and "bottom" in action:
        text += f" (before {action['bottom']} grouped)"
    elif t == "top_bottom_code":
        parts = [f"> {action['top']:g} → {action.get('top_label', '>' + format(action['top'], 'g'))}"
                 if "top" in action else "",
                 f"< {action['bottom']:g} → {action.get('bottom_label', '<' + format(action['bottom'], 'g'))}"
                 if "bottom" in action else ""]
        text += " (" + "; ".join(p for p in parts if p) + ")"
    elif t == "generalize" and "level" in action:
        text += f" to fixed level {action['level']}"
    return text


def _columns(original, released, recipe: Recipe, actions_log, gen) -> list[dict]:
    logs = {e["column"]: e for e in actions_log}
    actions = document.column_actions(recipe)
    out = []
    for col in original.columns:
        spec = actions.get(col, {"role": "insensitive", "action": {"type": "keep"}})
        entry = {"column": col, "role": spec["role"], "action": spec["action"]["type"],
                 "description": _describe_action(spec["action"]),
                 "released": col in released.columns}
        if col in gen.levels:
            entry["level"] = gen.levels[col]
            entry["height"] = gen.heights.get(col)
            where = f"level {gen.levels[col]} of {gen.heights.get(col, 0) - 1}"
            entry["description"] = (f"generalized to {where} (chosen by the search)"
                                    if spec["action"]["type"] in ("generalize", "keep")
                                    else entry["description"] + f"; then generalized to {where}")
            entry["hierarchy"] = gen.hierarchy_specs.get(col)
        if col in logs:
            entry["details"] = {k: v for k, v in logs[col].items()
                                if k not in ("column", "action")}
        note = recipe.columns[col].note if col in recipe.columns else None
        if note:
            entry["note"] = note
        out.append(entry)
    return out


def _model(recipe: Recipe, released, original, qis, gen, sections) -> dict:
    """k, l, t as measured on the released table: the engine's ``apply`` measures its own
    output; when a section hook changed the table afterwards it is measured again here."""
    privacy = document.privacy_settings(recipe)
    requested = {k: privacy[k] for k in ("k", "l", "t") if k in privacy}
    if not requested:
        return {"requested": {}, "achieved": {}, "satisfied": None}
    sensitive = document.sensitive_columns(recipe)
    achieved = dict(gen.measured)          # the engine measured its own output ...
    measured_on = ("released table" if not sections    # ... which is the release, unless
                   else "generalized table, before " + ", ".join(sections))  # sections ran
    hierarchical = "t" in privacy and privacy["t"]["distance"] == "hierarchical"
    if sections and not hierarchical:
        try:
            present = [c for c in qis if c in released.columns]
            achieved = measure_models(released, present, build_models(recipe, {}),
                                      reference=original if sensitive else None)
            measured_on = "released table"
        except PPDSError:          # e.g. the sensitive column left as ciphertexts
            pass
    checks = []
    for key, value in achieved.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if key == "k":
            checks.append(value >= privacy["k"])
        elif key.startswith("t"):
            checks.append(value <= privacy["t"]["t"] + 1e-9)
        elif key.startswith("c"):          # recursive (c,l): the smallest c that holds
            checks.append(value < privacy["l"]["c"])
        elif key.startswith("l"):
            checks.append(value >= privacy["l"]["l"] - 1e-9)
    return {"requested": requested, "achieved": achieved, "measured_on": measured_on,
            "satisfied": all(checks) if checks else None}


def _released_level(original, transformed, gen) -> dict:
    """Every input row at the released level of detail: through its column action
    (``transformed``, e.g. ZIP cut to 3 digits) and the generalization (age bands), before any
    record was left out. Histograms and utility distances compare the release with this, on
    the same categories."""
    if transformed is None:
        return dict(gen.generalized_input)
    return {c: gen.generalized_input.get(c, transformed[c]) for c in transformed.columns
            if c in original.columns}


def _histograms(original, released, recipe: Recipe, qis, reference) -> dict:
    """Before/after shares per column. 'Before' is the whole input at the released level of
    detail, so both sides share categories and the chart shows what leaving records out and
    the other steps changed (the detail the bands remove is the Loss)."""
    cols = [c for c in qis + document.sensitive_columns(recipe)
            if c in released.columns][:MAX_HISTOGRAMS]
    out = {}
    for col in cols:
        before = reference.get(col, original[col])
        names, b, a = histogram_data(before, released[col])
        out[col] = {"labels": names, "before": b, "after": a}
    return out


def build_report(*, original: pd.DataFrame, released: pd.DataFrame, recipe: dict,
                 actions_log: list[dict], generalization, sections: dict | None = None,
                 source: str | None = None, seconds: float | None = None,
                 transformed: pd.DataFrame | None = None) -> dict:
    """The report of one release (see the module docstring); ``generalization`` is the
    pipeline's ``Generalization``; ``transformed`` the table after the column actions (before
    generalization)."""
    gen = generalization
    typed = document.as_recipe(recipe)     # built once for the helpers below
    reference = _released_level(original, transformed, gen)
    qis = document.quasi_identifiers(typed)
    risk_cfg = document.risk_settings(typed)
    risk_kw = {"threshold": risk_cfg["threshold"], "population_size": risk_cfg["population_size"]}
    before = measure_risk(original, [c for c in qis if c in original.columns], **risk_kw)
    after = measure_risk(released, [c for c in qis if c in released.columns], **risk_kw)
    report = {
        "ppds_report": REPORT_VERSION,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "recipe_name": recipe.get("name"),
        "preset": recipe.get("preset"),
        "seed": recipe.get("seed"),
        "rows": {"input": int(len(original)), "output": int(len(released)),
                 "suppressed": int(gen.suppressed_rows),
                 "suppression_limit": document.privacy_settings(typed)["suppression_limit"],
                 "suppression_limit_rows": int(gen.suppression_limit_rows)},
        "quasi_identifiers": qis,
        "sensitive": document.sensitive_columns(typed),
        "columns": _columns(original, released, typed, actions_log, gen),
        "generalization": {
            "method": gen.method, "levels": gen.levels, "heights": gen.heights,
            "hierarchies": gen.hierarchy_specs, "classes": gen.classes,
            "metrics": gen.metrics, "lattice_size": gen.lattice_size,
            "transformations_checked": gen.checked, "engine_seconds": gen.engine_seconds,
            "alternatives": len(gen.candidates)},
        "model": _model(typed, released, original, qis, gen, sections),
        "risk": {"before": before.to_dict(), "after": after.to_dict()},
        "utility": measure_utility(original, released, generalization=gen.metrics,
                                   reference=reference),
        "histograms": _histograms(original, released, typed, qis, reference),
        "sections": sections or {},
        "seconds": seconds,
    }
    if recipe.get("preset") == HIPAA:
        report["hipaa"] = hipaa_checklist(recipe)
    return _clean(report)
