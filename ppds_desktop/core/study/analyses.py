"""A study's scientific spec: its variables, analyses, minimum number of sites and DP settings.

The coordinator writes it once; every site, aggregator and key-share holder reads the same JSON,
so it is validated completely on reading (``StudySpec.from_json``) into frozen dataclasses and
written back in one canonical form (``to_json``: sorted keys, every default filled in). An
unknown version or field is refused with one line naming it, never ignored: two parties must
never read one spec differently.

Number variables carry declared bounds and a fixed-point resolution (``decimals``): a value is
clipped to the bounds and encoded as ``round(x · 10^decimals)``. Binary variables are 0/1
numbers; category variables list their categories. Missing values are left out per analysis.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError
from ..safe_json import loads as safe_loads
from ..words import and_list

FORMAT = "ppds-study-analyses"
VERSION = 1

NUMBER, CATEGORY, BINARY = "number", "category", "binary"
TYPES = (NUMBER, CATEGORY, BINARY)

COUNT, SUM, MEAN, VARIANCE, HISTOGRAM = "count", "sum", "mean", "variance", "histogram"
LINEAR, LOGISTIC = "linear_regression", "logistic_regression"
KINDS = (COUNT, SUM, MEAN, VARIANCE, HISTOGRAM, LINEAR, LOGISTIC)

MAX_DECIMALS = 9
MAX_LATTICE = 2 ** 53          # |round(x · 10^decimals)| stays an exact float64 integer
MAX_NAME = 100
MAX_CATEGORIES = 1000
MAX_BINS = 1000
MAX_PREDICTORS = 50
DEFAULT_MAX_RECORDS = 1_000_000
DEFAULT_APPROXIMATION = 3.0
BINARY_LEVELS = ("0", "1")
BINARY_LABELS = ("no", "yes")


def _fail(message: str) -> None:
    raise InputError(f"Study analyses: {message}")


@dataclass(frozen=True)
class Variable:
    """One study variable. ``lower``/``upper``/``decimals`` for numbers, ``categories`` for
    categories; a binary variable is a number in {0, 1}."""

    name: str
    type: str
    unit: str = ""
    lower: float | None = None
    upper: float | None = None
    decimals: int | None = None
    categories: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        return self.type in (NUMBER, BINARY)

    @property
    def has_levels(self) -> bool:
        return self.type in (CATEGORY, BINARY)

    @cached_property
    def scale(self) -> int:
        """Fixed-point scale: an encoded value is ``round(x · scale)``."""
        return 10 ** self.decimals if self.type == NUMBER else 1

    @cached_property
    def lattice_bounds(self) -> tuple[int, int]:
        """The encoded bounds, computed with the very float operations used on the data
        (``rint(x · scale)`` is monotone in x, so every clipped value encodes inside them)."""
        if self.type == BINARY:
            return 0, 1
        s = float(self.scale)
        return int(np.rint(np.float64(self.lower) * s)), int(np.rint(np.float64(self.upper) * s))

    @cached_property
    def bound(self) -> int:
        """The largest |encoded value| one record can have (at least 1)."""
        lo, hi = self.lattice_bounds
        return max(abs(lo), abs(hi), 1)

    @property
    def levels(self) -> tuple[str, ...]:
        return BINARY_LEVELS if self.type == BINARY else self.categories

    @property
    def level_labels(self) -> tuple[str, ...]:
        return BINARY_LABELS if self.type == BINARY else self.categories

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "type": self.type, "unit": self.unit}
        if self.type == NUMBER:
            out.update(lower=self.lower, upper=self.upper, decimals=self.decimals)
        elif self.type == CATEGORY:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True)
class Analysis:
    """One analysis. ``variable``/``by``/``bins`` for count, sum, mean, variance and histogram;
    ``outcome``/``predictors`` for regressions; ``approximation_interval`` R for the logistic
    one (the log-likelihood is approximated by a quadratic on [−R, R])."""

    kind: str
    variable: str | None = None
    by: str | None = None
    bins: tuple[float, ...] = ()
    outcome: str | None = None
    predictors: tuple[str, ...] = ()
    approximation_interval: float | None = None

    @property
    def is_regression(self) -> bool:
        return self.kind in (LINEAR, LOGISTIC)

    def title(self) -> str:
        """A plain-language title, e.g. "Mean of Age by Sex"."""
        if self.kind == COUNT:
            text = "Number of records"
        elif self.kind == HISTOGRAM:
            text = f"Distribution of {self.variable}"
        elif self.kind == LINEAR:
            text = f"Linear regression of {self.outcome} on {and_list(self.predictors)}"
        elif self.kind == LOGISTIC:
            text = f"Logistic regression of {self.outcome} on {and_list(self.predictors)}"
        else:
            text = f"{self.kind.capitalize()} of {self.variable}"
        return text + (f" by {self.by}" if self.by else "")

    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind}
        if self.is_regression:
            out.update(outcome=self.outcome, predictors=list(self.predictors))
            if self.kind == LOGISTIC:
                out["approximation_interval"] = self.approximation_interval
            return out
        if self.variable is not None:
            out["variable"] = self.variable
        if self.bins:
            out["bins"] = list(self.bins)
        out["by"] = self.by
        return out


@dataclass(frozen=True)
class DPSettings:
    """Distributed DP: the released totals are (ε, δ)-DP for every record of every site as long
    as at least ``honest_sites`` contributing sites added their noise share."""

    epsilon: float
    delta: float
    honest_sites: int

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "delta": self.delta, "honest_sites": self.honest_sites}


@dataclass(frozen=True)
class StudySpec:
    variables: tuple[Variable, ...]
    analyses: tuple[Analysis, ...]
    min_sites: int
    max_records_per_site: int = DEFAULT_MAX_RECORDS
    dp: DPSettings | None = None
    _by_name: dict = field(default=None, compare=False, repr=False, hash=False)
    _order: dict = field(default=None, compare=False, repr=False, hash=False)
    memo: dict = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_name", {v.name: v for v in self.variables})
        object.__setattr__(self, "_order", {v.name: i for i, v in enumerate(self.variables)})
        object.__setattr__(self, "memo", {})       # values derived once per spec (the plan)

    def variable(self, name: str) -> Variable:
        return self._by_name[name]

    def order(self, name: str) -> int:
        """The position of a variable in the spec (labels list variables in this order)."""
        return self._order[name]

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION,
                "variables": [v.to_dict() for v in self.variables],
                "analyses": [a.to_dict() for a in self.analyses],
                "min_sites": self.min_sites, "max_records_per_site": self.max_records_per_site,
                "dp": self.dp.to_dict() if self.dp else None}

    def to_json(self) -> str:
        """Canonical JSON: the same spec always gives the same bytes (safe to hash)."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "StudySpec":
        return cls.from_dict(safe_loads(text, what="The study's analyses", error=InputError))

    @classmethod
    def from_dict(cls, data) -> "StudySpec":
        return _parse_spec(data)


# ---------------------------------------------------------------------- validation

def _object(data, where: str, required: set[str], optional: set[str]) -> dict:
    if not isinstance(data, dict):
        _fail(f"{where} must be a JSON object.")
    unknown = sorted(set(data) - required - optional)
    if unknown:
        _fail(f"unknown field {unknown[0]!r} in {where}.")
    missing = sorted(required - set(data))
    if missing:
        _fail(f"{where} lacks the field {missing[0]!r}.")
    return data


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"{where} must be a number.")
    value = float(value)
    if not math.isfinite(value):
        _fail(f"{where} must be a finite number.")
    return value


def _integer(value, where: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        _fail(f"{where} must be a whole number from {lo:,} to {hi:,}.")
    return value


def _text(value, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value.strip() and not allow_empty):
        _fail(f"{where} must be {'a' if allow_empty else 'a non-empty'} text.")
    if len(value) > MAX_NAME or any(ord(c) < 32 for c in value):
        _fail(f"{where} must be at most {MAX_NAME} characters without control characters.")
    return value


def _default_decimals(lower: float, upper: float) -> int:
    """Enough decimals for at least about 10,000 steps between the bounds."""
    return min(max(4 - math.floor(math.log10(upper - lower)), 0), 6)


def _parse_variable(data, i: int) -> Variable:
    where = f"variable {i + 1}"
    _object(data, where, {"name", "type"},
            {"unit", "lower", "upper", "decimals", "categories"})
    name = _text(data["name"], f"the name of {where}")
    where = f"variable {name!r}"
    vtype = data["type"]
    if vtype not in TYPES:
        _fail(f"{where} has type {vtype!r}; the types are number, category and binary.")
    unit = _text(data.get("unit", ""), f"the unit of {where}", allow_empty=True)
    extra = {NUMBER: {"lower", "upper", "decimals"}, CATEGORY: {"categories"}, BINARY: set()}
    for key in ("lower", "upper", "decimals", "categories"):
        if key in data and key not in extra[vtype]:
            _fail(f"{where} is a {vtype} variable and cannot have {key!r}.")
    if vtype == CATEGORY:
        cats = data.get("categories")
        if not isinstance(cats, list) or not cats or len(cats) > MAX_CATEGORIES:
            _fail(f"{where} must declare its categories (1 to {MAX_CATEGORIES:,}).")
        cats = tuple(_text(c, f"a category of {where}") for c in cats)
        if len(set(cats)) != len(cats):
            _fail(f"{where} declares a category twice.")
        return Variable(name, vtype, unit, categories=cats)
    if vtype == BINARY:
        return Variable(name, vtype, unit)
    for key in ("lower", "upper"):
        if key not in data:
            _fail(f"{where} is a number and needs a {key} bound.")
    lower = _number(data["lower"], f"the lower bound of {where}")
    upper = _number(data["upper"], f"the upper bound of {where}")
    if not lower < upper:
        _fail(f"the lower bound of {where} ({lower:g}) must be below its upper bound ({upper:g}).")
    if max(abs(lower), abs(upper)) >= MAX_LATTICE:
        _fail(f"the bounds of {where} are too large (at most {MAX_LATTICE:,} in absolute "
              f"value).")
    decimals = data.get("decimals")
    decimals = (_default_decimals(lower, upper) if decimals is None
                else _integer(decimals, f"the decimals of {where}", 0, MAX_DECIMALS))
    var = Variable(name, vtype, unit, lower, upper, decimals)
    if max(abs(b) for b in var.lattice_bounds) >= MAX_LATTICE:
        _fail(f"the bounds of {where} are too large for {decimals} decimals "
              f"(at most about {MAX_LATTICE / var.scale:.3g} in absolute value).")
    return var


def _parse_analysis(data, i: int, spec_vars: dict[str, Variable]) -> Analysis:
    where = f"analysis {i + 1}"
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        kind = data.get("kind") if isinstance(data, dict) else None
        _fail(f"{where} has kind {kind!r}; the kinds are {', '.join(KINDS)}.")
    kind = data["kind"]

    def var(name, role: str, types: tuple[str, ...]) -> str:
        if not isinstance(name, str) or name not in spec_vars:
            _fail(f"{where} ({kind}) names {role} {name!r}, which is not a study variable.")
        if spec_vars[name].type not in types:
            _fail(f"{where} ({kind}): {role} {name!r} is a {spec_vars[name].type} variable; "
                  f"it must be {' or '.join(types)}.")
        return name

    if kind in (LINEAR, LOGISTIC):
        optional = {"approximation_interval"} if kind == LOGISTIC else set()
        _object(data, where, {"kind", "outcome", "predictors"}, optional)
        outcome = var(data["outcome"], "outcome",
                      (BINARY,) if kind == LOGISTIC else (NUMBER, BINARY))
        preds = data["predictors"]
        if not isinstance(preds, list) or not 1 <= len(preds) <= MAX_PREDICTORS:
            _fail(f"{where} ({kind}) needs 1 to {MAX_PREDICTORS} predictors.")
        preds = tuple(var(p, "predictor", (NUMBER, BINARY)) for p in preds)
        if len(set(preds)) != len(preds) or outcome in preds:
            _fail(f"{where} ({kind}) repeats a variable among its outcome and predictors.")
        radius = None
        if kind == LOGISTIC:
            radius = _number(data.get("approximation_interval", DEFAULT_APPROXIMATION),
                             f"the approximation interval of {where}")
            if not 0.5 <= radius <= 20:
                _fail(f"the approximation interval of {where} must be from 0.5 to 20 "
                      f"(the quadratic approximates the log-likelihood on [−R, R]).")
        return Analysis(kind, outcome=outcome, predictors=preds, approximation_interval=radius)

    required = {"kind"} if kind == COUNT else {"kind", "variable"}
    _object(data, where, required, {"by", "bins"} if kind == HISTOGRAM else {"by"})
    by = data.get("by")
    if by is not None:
        by = var(by, "the grouping variable", (CATEGORY, BINARY))
    variable, bins = None, ()
    if kind == HISTOGRAM:
        variable = var(data["variable"], "variable", TYPES)
        v = spec_vars[variable]
        if v.type == NUMBER:
            bins = data.get("bins")
            if not isinstance(bins, list) or not 2 <= len(bins) <= MAX_BINS + 1:
                _fail(f"{where} (histogram of the number {variable!r}) needs bins: "
                      f"2 to {MAX_BINS + 1:,} edges.")
            bins = tuple(_number(b, f"a bin edge of {where}") for b in bins)
            if any(a >= b for a, b in zip(bins, bins[1:])):
                _fail(f"the bin edges of {where} must increase.")
            if bins[0] > v.lower or bins[-1] < v.upper:
                _fail(f"the bins of {where} must cover the bounds of {variable!r} "
                      f"({v.lower:g} to {v.upper:g}).")
        elif "bins" in data:
            _fail(f"{where}: only a histogram of a number variable has bins.")
        if by == variable:
            _fail(f"{where} groups {variable!r} by itself.")
    elif kind != COUNT:
        variable = var(data["variable"], "variable", (NUMBER, BINARY))
        if by == variable:
            _fail(f"{where} groups {variable!r} by itself.")
    return Analysis(kind, variable=variable, by=by, bins=bins)


def _parse_dp(data) -> DPSettings | None:
    if data is None:
        return None
    _object(data, "the DP settings", {"epsilon", "delta", "honest_sites"}, set())
    eps = _number(data["epsilon"], "epsilon")
    delta = _number(data["delta"], "delta")
    if not 0 < eps <= 10:
        _fail("epsilon must be above 0 and at most 10.")
    if not 0 < delta < 0.01:
        _fail("delta must be above 0 and below 0.01.")
    honest = _integer(data["honest_sites"], "the number of honest sites", 1, 1000)
    return DPSettings(eps, delta, honest)


def _parse_spec(data) -> StudySpec:
    if not isinstance(data, dict):
        _fail("the document must be a JSON object.")
    if data.get("format") != FORMAT:
        _fail(f"this is not a study's analyses (format {data.get('format')!r}).")
    if data.get("version") != VERSION:
        _fail(f"version {data.get('version')!r} is not supported (this app reads version "
              f"{VERSION}); update PPDS Desktop.")
    _object(data, "the study's analyses", {"format", "version", "variables", "analyses",
                                           "min_sites"}, {"max_records_per_site", "dp"})
    raw_vars = data["variables"]
    if not isinstance(raw_vars, list) or not raw_vars:
        _fail("the study needs at least one variable.")
    variables = tuple(_parse_variable(v, i) for i, v in enumerate(raw_vars))
    seen: set[str] = set()
    for v in variables:
        if v.name in seen:
            _fail(f"the variable name {v.name!r} is used twice.")
        seen.add(v.name)
    by_name = {v.name: v for v in variables}
    raw_analyses = data["analyses"]
    if not isinstance(raw_analyses, list) or not raw_analyses:
        _fail("the study needs at least one analysis.")
    analyses = tuple(_parse_analysis(a, i, by_name) for i, a in enumerate(raw_analyses))
    if len(set(analyses)) != len(analyses):
        _fail("an analysis is listed twice.")
    min_sites = _integer(data["min_sites"], "the minimum number of sites", 2, 10_000)
    max_records = _integer(data.get("max_records_per_site", DEFAULT_MAX_RECORDS),
                           "the maximum number of records per site", 1, 10 ** 9)
    dp = _parse_dp(data.get("dp"))
    if dp is not None and dp.honest_sites >= min_sites:
        # every site in a sum knows its own noise share: for the guarantee to hold against it,
        # the n_h honest shares must come from the other sites of the smallest sum
        _fail(f"the assumed number of honest sites ({dp.honest_sites}) must be below the "
              f"minimum number of contributing sites ({min_sites}): each site in a sum knows "
              f"its own noise share, so the honest shares must come from the others.")
    return StudySpec(variables, analyses, min_sites, max_records, dp)

