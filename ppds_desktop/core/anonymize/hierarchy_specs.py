"""Hierarchy specs in a recipe → the engine's ``Hierarchy`` objects.

A spec names one of the engine's builders with its parameters (``core.anonymize.hierarchy``)::

    {"kind": "intervals", "widths": [5, 10, 20], "bottom": 18, "top": 90}
    {"kind": "dates", "levels": ["month", "year", "decade"]}
    {"kind": "redaction", "step": 1}
    {"kind": "categories", "groups": [{"A+": "A", "A-": "A"}, {"A": "*"}]}
    {"kind": "file", "file": "hierarchies/age.csv"}      # ARX CSV, relative to the recipe
    {"kind": "auto"}                                      # chosen from the column's values

``auto`` picks intervals for numbers (a round base width giving about 20 groups, then ×2, ×4;
labels left by top/bottom coding, such as '90+', stay their own group up to ``*``),
month/year/decade for dates, digit-by-digit redaction for equal-length digit codes (ZIP,
postcodes), and a single ``*`` level for other text.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path, PureWindowsPath

import numpy as np
import pandas as pd

from . import hierarchy as H
from ..errors import InputError, RecipeError

_KNOWN = {
    "intervals": {"widths", "start", "bottom", "top"},
    "dates": {"levels"},
    "redaction": {"step", "char"},
    "categories": {"groups"},
    "file": {"file"},
    "auto": set(),
}


def hierarchy_path(file: str, base_dir: Path | None) -> Path:
    """Where a recipe's hierarchy file is: relative names (POSIX, or Windows ``\\`` from
    older recipes) are beside the recipe; absolute ones are taken as they are."""
    if "\\" in file and not PureWindowsPath(file).is_absolute() and not Path(file).exists():
        file = PureWindowsPath(file).as_posix()
    path = Path(file)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


def _nice_width(span: float, groups: int = 20) -> float:
    raw = max(span / groups, 1e-12)
    mag = 10 ** math.floor(math.log10(raw))
    width = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return int(width) if width >= 1 else width


def _looks_like_dates(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    if present.empty or pd.api.types.is_numeric_dtype(values):
        return False
    if all(isinstance(v, (dt.date, pd.Timestamp)) for v in present.head(200)):
        return True
    parsed = pd.to_datetime(present.astype(str).head(200), errors="coerce", format="ISO8601")
    return bool(parsed.notna().all())


def _split_labels(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers, labels) of a column; labels are the text values, such as the '90+' of a
    top-coded age. Digit strings ('060') are text: codes keep their leading zeros."""
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(present):
        return present, present.iloc[:0]
    distinct = pd.Series(pd.unique(present), dtype=object)
    is_num = distinct.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                          and not isinstance(v, bool)).astype(bool)
    return pd.to_numeric(distinct[is_num]), distinct[~is_num]


def _numeric_with_labels(values: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    nums, labels = _split_labels(values)
    return len(nums) > len(labels) and len(labels) <= 3


def auto_spec(values: pd.Series) -> dict:
    """The spec ``auto`` stands for, made explicit (the release report records it)."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        return {"kind": "categories", "groups": []}
    labelled = _numeric_with_labels(values)
    if labelled:
        present = _split_labels(values)[0]
    if (pd.api.types.is_numeric_dtype(present) or labelled) and len(present):
        lo, hi = float(present.min()), float(present.max())
        w = _nice_width(hi - lo if hi > lo else 1.0)
        if all(float(v).is_integer() for v in present.unique()):
            w = max(2, int(math.ceil(w)))     # whole numbers: intervals of at least 2 values
        return {"kind": "intervals", "widths": [w, w * 2, w * 4]}
    if _looks_like_dates(values):
        return {"kind": "dates", "levels": ["month", "year", "decade"]}
    text = pd.Series(pd.unique(present), dtype=object).astype(str)
    if len(text) and text.str.fullmatch(r"\d+").all() and text.str.len().nunique() == 1:
        return {"kind": "redaction", "step": 1}
    return {"kind": "categories", "groups": []}


def build_hierarchy(spec: dict, values: pd.Series, *, column: str,
                    base_dir: Path | None = None) -> H.Hierarchy:
    """The ``Hierarchy`` for ``column`` from a recipe spec (see the module docstring)."""
    field = f'columns["{column}"].action.hierarchy'
    kind = spec.get("kind")
    if kind not in _KNOWN:
        raise RecipeError(f"unknown hierarchy kind '{kind}'", field=field)
    extra = set(spec) - _KNOWN[kind] - {"kind"}
    if extra:
        raise RecipeError(f"unknown field(s) for a '{kind}' hierarchy: {', '.join(sorted(extra))}",
                          field=field)
    if kind == "auto":
        return build_hierarchy(auto_spec(values), values, column=column, base_dir=base_dir)
    params = {k: v for k, v in spec.items() if k != "kind"}
    try:
        if kind == "file":
            path = hierarchy_path(str(params["file"]), base_dir)
            if not path.is_file():
                raise InputError("hierarchy file not found", path=str(path))
            return H.Hierarchy.read_csv(path, name=column)
        if kind == "intervals" and _numeric_with_labels(values):
            return _intervals_with_labels(values, column, params)
        builder = {"intervals": H.build_intervals, "dates": H.build_dates,
                   "redaction": H.build_redaction, "categories": H.build_categories}[kind]
        if kind == "dates" and "levels" in params:
            params["levels"] = tuple(params["levels"])
        return builder(values, name=column, **params)
    except (TypeError, ValueError) as exc:
        raise RecipeError(f"the hierarchy cannot be built: {exc}", field=field) from None


def _intervals_with_labels(values: pd.Series, column: str, params: dict) -> H.Hierarchy:
    """Intervals over the numbers; each label (a top/bottom code such as '90+') stays its own
    group on every level below ``*``."""
    nums, labels = _split_labels(values)
    base = H.build_intervals(nums, name=column, **params)
    rows = base.rows()
    height = base.height
    for label in sorted(set(map(str, labels))):
        rows.append([label] * (height - 1) + [H.TOP])
    return H.Hierarchy.from_rows(rows, name=column)
