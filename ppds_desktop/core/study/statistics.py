"""What a site sends: the integer statistics a study's analyses need, computed on its own data.

Every statistic is a sum over the site's records of one integer per record:

* a **count** (the record counts 1) of the records that have every variable of its *domain*
  given and meet its *conditions* (a category, a binary level, or a bin of a number);
* a **sum of a product** of encoded values ``round(x · 10^decimals)`` over the same records:
  Σx, Σx² and Σxᵢxⱼ.

``plan(spec)`` lists them once each, in a fixed order (a mean and a variance of one variable
share their count and sum; a histogram of Sex is the same cells as a count by Sex; a logistic
and a linear regression on the same variables share XᵀX and Xᵀy). Each has its fixed-point
``scale`` (the product of its variables' scales) and ``bound``, the largest |value| one record can
add. Summed over every site, the totals decode exactly into counts, sums, means, variances,
histograms and the regression matrices XᵀX, Xᵀy, yᵀy (``results.py``).

``site_statistics(spec, frame)`` clips numbers to their bounds (counting how many per variable,
for the site's own screen), drops unknown categories (counted too) and leaves missing values
out. Plain per-variable counts, sums and sums of squares of number columns, the bulk of a wide
study, are summed in one pass over the numeric matrix in cache-sized blocks with float64
arithmetic that is exact (every partial sum is an integer below 2^53); anything else is
computed per statistic in int64 or, past 2^63, in Python integers. Only the final totals become
Python ints.

``layout_for(plan, n_sites_max, dp)`` sizes one packing slot for the largest total a site can
send (records × bound + the largest noise share) with headroom for the sum over
``n_sites_max`` sites, so the combined plaintext can never wrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import InputError
from ..he.encoding import MAX_SLOT_BITS, Layout
from ..progress import TaskState
from ..words import and_list
from .analyses import (BINARY, CATEGORY, COUNT, HISTOGRAM, LINEAR, LOGISTIC, MEAN, NUMBER, SUM,
                       VARIANCE, Analysis, DPSettings, StudySpec)

DEFAULT_KEY_BITS = 2048
_EXACT_FLOAT = 2 ** 53
_EXACT_INT64 = 2 ** 63
_BLOCK = 1 << 18                  # float64 elements per block of the wide pass (2 MiB)
_BINARY_TEXT = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0, "false": 0.0, "true": 1.0,
                "no": 0.0, "yes": 1.0}


@dataclass(frozen=True)
class Condition:
    """A record must have level ``index`` of a category/binary variable, or fall in bin
    ``index`` of a number variable cut at ``edges``."""

    variable: str
    index: int
    edges: tuple[float, ...] = ()


@dataclass(frozen=True)
class Statistic:
    """Σ over records of Π(encoded terms) — a count when ``terms`` is empty — over the records
    with every ``domain`` variable given that meet the ``conditions``."""

    terms: tuple[str, ...]
    domain: tuple[str, ...]
    conditions: tuple[Condition, ...]
    scale: int
    bound: int
    label: str

    @property
    def key(self) -> tuple:
        return (self.terms, self.domain, self.conditions)


@dataclass(frozen=True)
class StatisticPlan:
    """The ordered statistics a study sends; every site, the aggregator and the holders derive
    the same plan from the same spec."""

    statistics: tuple[Statistic, ...]
    max_records: int

    def __len__(self) -> int:
        return len(self.statistics)

    def __iter__(self):
        return iter(self.statistics)

    def __getitem__(self, i: int) -> Statistic:
        return self.statistics[i]

    @cached_property
    def _positions(self) -> dict:
        return {s.key: i for i, s in enumerate(self.statistics)}

    @cached_property
    def memo(self) -> dict:
        """Values derived from this plan once per plan object (the noise calibration)."""
        return {}

    def position(self, key: tuple) -> int:
        return self._positions[key]


@dataclass(frozen=True)
class Need:
    """What one cell of an analysis needs: ``parts`` maps a role ("n", "sum", "sumsq", "xtx",
    "xty", "yty") to a statistic key (a tuple), or for regressions to a list (Xᵀy) or a list of
    lists (XᵀX, intercept first) of keys."""

    group: str | None
    level: str | None
    parts: dict


# ---------------------------------------------------------------------- the plan

def _normal_key(spec: StudySpec, terms, extra_domain, conditions) -> tuple:
    order = spec.order
    terms = [t for t in terms if t is not None]
    if len(terms) > 1:
        binary = {t for t in terms if spec.variable(t).type == BINARY}
        terms = sorted([t for t in terms if t not in binary] + list(binary), key=order)
    if len(conditions) > 1:
        conditions = sorted(conditions, key=lambda c: (order(c.variable), c.edges, c.index))
    domain = set(terms)
    domain.update(extra_domain)
    domain.update(c.variable for c in conditions)
    return tuple(terms), tuple(sorted(domain, key=order)), tuple(conditions)


def _condition_text(spec: StudySpec, c: Condition) -> str:
    var = spec.variable(c.variable)
    if not c.edges:
        return f"{var.name} is {var.level_labels[c.index]}"
    return f"{var.name} {bin_label(c.edges, c.index)}"


def bin_label(edges: tuple[float, ...], index: int) -> str:
    lo, hi = edges[index], edges[index + 1]
    return f"from {lo:g} to {hi:g}" if index == len(edges) - 2 else f"from {lo:g} to under {hi:g}"


def _statistic(spec: StudySpec, key: tuple) -> Statistic:
    terms, domain, conditions = key
    scale = math.prod(spec.variable(t).scale for t in terms)
    bound = math.prod(spec.variable(t).bound for t in terms)
    if not terms:
        head = "Number of records"
    elif len(terms) == 2 and terms[0] == terms[1]:
        head = f"Sum of squares of {terms[0]}"
    else:
        head = "Sum of " + " × ".join(terms)
    cond_vars = {c.variable for c in conditions}
    given = [d for d in domain if d not in cond_vars]
    qualifiers = [_condition_text(spec, c) for c in conditions]
    if not terms and given:
        head += f" with {and_list(given)} {'all ' if len(given) > 2 else ''}given"
    elif len(given) > len(set(terms)):
        both = "both" if len(given) == 2 else "all"
        qualifiers.insert(0, f"records with {and_list(given)} {both} given")
    label = head + (f" ({'; '.join(qualifiers)})" if qualifiers else "")
    return Statistic(terms, domain, conditions, scale, bound, label)


def _groups(spec: StudySpec, analysis: Analysis) -> list[tuple[str | None, tuple]]:
    if analysis.by is None:
        return [(None, ())]
    var = spec.variable(analysis.by)
    return [(f"{var.name} is {label}", (Condition(var.name, i),))
            for i, label in enumerate(var.level_labels)]


def needs(spec: StudySpec, analysis: Analysis) -> list[Need]:
    """The statistic keys each cell of ``analysis`` is computed from."""
    k = lambda terms, domain, conds: _normal_key(spec, terms, domain, conds)  # noqa: E731
    kind, v = analysis.kind, analysis.variable
    if kind in (LINEAR, LOGISTIC):
        y, cols = analysis.outcome, (None,) + analysis.predictors
        domain = (y,) + analysis.predictors
        xtx = [[k((a, b), domain, ()) for b in cols] for a in cols]
        xty = [k((a, y), domain, ()) for a in cols]
        parts = {"xtx": xtx, "xty": xty}
        if kind == LINEAR:
            parts["yty"] = k((y, y), domain, ())
        return [Need(None, None, parts)]
    out = []
    for group, conds in _groups(spec, analysis):
        if kind == COUNT:
            out.append(Need(group, None, {"n": k((), (), conds)}))
        elif kind == SUM:
            out.append(Need(group, None, {"sum": k((v,), (), conds)}))
        elif kind in (MEAN, VARIANCE):
            parts = {"n": k((), (v,), conds), "sum": k((v,), (), conds)}
            if kind == VARIANCE:
                parts["sumsq"] = k((v, v), (), conds)
            out.append(Need(group, None, parts))
        elif kind == HISTOGRAM:
            var = spec.variable(v)
            if analysis.bins:
                levels = [bin_label(analysis.bins, i) for i in range(len(analysis.bins) - 1)]
            else:
                levels = list(var.level_labels)
            for i, level in enumerate(levels):
                cond = Condition(v, i, analysis.bins)
                out.append(Need(group, level, {"n": k((), (), conds + (cond,))}))
    return out


def _flat_keys(parts: dict):
    """The keys of a need's parts in a fixed order (XᵀX by its upper triangle)."""
    for role, value in parts.items():
        if role == "xtx":
            for i, row in enumerate(value):
                yield from row[i:]
        elif isinstance(value, list):
            yield from value
        else:
            yield value


def plan(spec: StudySpec) -> StatisticPlan:
    """Every statistic the analyses need, once each, in order of first use (computed once per
    spec object)."""
    if "plan" not in spec.memo:
        spec.memo["plan"] = _make_plan(spec)
    return spec.memo["plan"]


def _make_plan(spec: StudySpec) -> StatisticPlan:
    seen: dict[tuple, Statistic] = {}
    for analysis in spec.analyses:
        for need in needs(spec, analysis):
            for key in _flat_keys(need.parts):
                if key not in seen:
                    seen[key] = _statistic(spec, key)
    return StatisticPlan(tuple(seen.values()), spec.max_records_per_site)


# ---------------------------------------------------------------------- reading the site's data

def _text_values(col: pd.Series) -> pd.Series:
    """Category values as text; whole numbers stored as floats (a column with gaps) read "3"."""
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.map(lambda v: v if pd.isna(v) else str(bool(v)).lower())
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.map(lambda v: v if pd.isna(v) else
                       (str(int(v)) if float(v).is_integer() else repr(float(v))))
    return col.astype("string").str.strip()


def _plain_numeric(col_dtype) -> bool:
    return isinstance(col_dtype, np.dtype) and col_dtype.kind in "fiub"


class _SiteData:
    """The site's frame, read once per variable: encoded values, presence and level codes,
    with the per-variable counts of clipped, unknown and missing values."""

    def __init__(self, spec: StudySpec, frame: pd.DataFrame):
        self.spec, self.frame, self.n = spec, frame, len(frame)
        self.clipped: dict[str, int] = {}
        self.unknown: dict[str, int] = {}
        self.missing: dict[str, int] = {}
        self._numbers: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._codes: dict[tuple, np.ndarray] = {}

    def _values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The variable as floats (NaN where not usable) and the mask of missing cells."""
        var, col = self.spec.variable(name), self.frame[name]
        missing = col.isna().to_numpy(copy=True)
        if var.type == BINARY:
            if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
                x = col.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                text = col.astype("string").str.strip().str.lower()
                missing |= (text == "").fillna(False).to_numpy(dtype=bool)
                x = text.map(_BINARY_TEXT).to_numpy(dtype=np.float64, na_value=np.nan)
            x = np.where((x == 0) | (x == 1), x, np.nan)
        elif pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            x = col.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            text = col.astype("string").str.strip()
            missing |= (text == "").fillna(False).to_numpy(dtype=bool)
            x = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        self.missing[name] = int(missing.sum())
        self.unknown[name] = int((np.isnan(x) & ~missing).sum())
        return x, missing

    def number(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(encoded int64 values with 0 where absent, presence mask, clipped floats)."""
        if name not in self._numbers:
            var = self.spec.variable(name)
            x, _ = self._values(name)
            present = ~np.isnan(x)
            if var.type == NUMBER:
                lo, hi = var.lower, var.upper
                self.clipped[name] = int(((x < lo) | (x > hi)).sum())
                x = np.clip(x, lo, hi)
                encoded = np.rint(x * float(var.scale))
            else:
                encoded = x.copy()
            encoded[~present] = 0
            self._numbers[name] = (encoded.astype(np.int64), present, x)
        return self._numbers[name]

    def codes(self, name: str, edges: tuple[float, ...]) -> np.ndarray:
        """Level (or bin) number of each record, −1 where missing or unknown."""
        key = (name, edges)
        if key not in self._codes:
            var = self.spec.variable(name)
            if edges:
                _, present, x = self.number(name)
                idx = np.searchsorted(np.asarray(edges), np.where(present, x, edges[0]),
                                      side="right") - 1
                codes = np.where(present, np.clip(idx, 0, len(edges) - 2), -1)
            elif var.type == BINARY:
                encoded, present, _ = self.number(name)
                codes = np.where(present, encoded, -1)
            else:
                col = self.frame[name]
                text = _text_values(col)
                missing = (col.isna() | (text == "").fillna(False)).to_numpy(dtype=bool)
                codes = pd.Index(list(var.categories)).get_indexer(text.astype(object))
                codes = np.where(missing, -1, codes).astype(np.int64)
                self.missing[name] = int(missing.sum())
                self.unknown[name] = int(((codes == -1) & ~missing).sum())
            self._codes[key] = codes
        return self._codes[key]

    def present(self, name: str) -> np.ndarray:
        if self.spec.variable(name).type == CATEGORY:
            return self.codes(name, ()) >= 0
        return self.number(name)[1]

    def total(self, stat: Statistic) -> tuple[int, int]:
        """(the statistic's value at this site, how many records it is over)."""
        mask = np.ones(self.n, dtype=bool)
        for name in stat.domain:
            mask &= self.present(name)
        for c in stat.conditions:
            mask &= self.codes(c.variable, c.edges) == c.index
        records = int(mask.sum())
        if not stat.terms:
            return records, records
        factors = [self.number(t)[0][mask] for t in stat.terms]
        if stat.bound * max(records, 1) < _EXACT_INT64:
            product = factors[0].copy()
            for f in factors[1:]:
                product *= f
            return int(product.sum()), records
        product = factors[0].astype(object)
        for f in factors[1:]:
            product = product * f.astype(object)
        return int(sum(product.tolist())), records


def _per_variable(study_plan: StatisticPlan, spec: StudySpec) -> dict[str, dict[str, int]]:
    """Per number variable, the positions of its plain count / sum / sum of squares (no
    conditions, no other variable): what the block pass can compute (once per plan)."""
    if "per_variable" not in study_plan.memo:
        out: dict[str, dict[str, int]] = {}
        for i, s in enumerate(study_plan):
            if s.conditions or len(s.domain) != 1 or spec.variable(s.domain[0]).type != NUMBER:
                continue
            out.setdefault(s.domain[0], {})[("n", "sum", "sumsq")[len(s.terms)]] = i
        study_plan.memo["per_variable"] = out
    return study_plan.memo["per_variable"]


def _wide_candidates(spec: StudySpec, study_plan: StatisticPlan, frame: pd.DataFrame,
                     n: int) -> dict[str, dict[str, int]]:
    """The per-variable statistics whose column holds plain numbers and whose every partial
    sum stays an exact float64 integer (below 2⁵³)."""
    plain: dict = {}
    dtypes = dict(zip(frame.columns, frame.dtypes))
    out = {}
    for name, roles in _per_variable(study_plan, spec).items():
        dtype = dtypes[name]
        if dtype not in plain:
            plain[dtype] = _plain_numeric(dtype)
        if not plain[dtype]:
            continue
        bound = spec.variable(name).bound * max(n, 1)
        exact = {r: i for r, i in roles.items()
                 if r == "n" or (bound < _EXACT_FLOAT if r == "sum"
                                 else bound * spec.variable(name).bound < _EXACT_FLOAT)}
        if exact:
            out[name] = exact
    return out


def _wide_pass(spec: StudySpec, frame: pd.DataFrame, names: list[str], squares: np.ndarray,
               task: TaskState | None) -> dict[str, np.ndarray]:
    """Counts, sums (and sums of squares where ``squares`` says so) of many number columns in
    one pass over cache-sized blocks of the numeric matrix."""
    variables = [spec.variable(n) for n in names]
    lo = np.array([v.lower for v in variables])
    hi = np.array([v.upper for v in variables])
    scale = np.array([float(v.scale) for v in variables])
    sub = frame if list(frame.columns) == names else frame[names]
    matrix = sub.to_numpy(dtype=np.float64, copy=False)
    rows, width = matrix.shape
    acc = {k: np.zeros(width, dtype=np.float64) for k in ("n", "sum", "sumsq", "clipped", "nan")}
    by_columns = matrix.flags.f_contiguous and not matrix.flags.c_contiguous
    if by_columns:
        step = max(1, _BLOCK // max(rows, 1))
        spans = [(slice(None), slice(c, min(c + step, width))) for c in range(0, width, step)]
        buffer = np.empty((rows, min(step, width)), order="F")
    else:
        step = max(1, _BLOCK // max(width, 1))
        spans = [(slice(r, min(r + step, rows)), slice(None)) for r in range(0, rows, step)]
        buffer = np.empty((min(step, rows), width))
    any_squares = bool(squares.any())
    for j, (rs, cs) in enumerate(spans):
        view = matrix[rs, cs]
        block = buffer[:view.shape[0], :view.shape[1]]
        np.maximum(view, lo[cs], out=block)          # NaN stays NaN (np.clip is slower here)
        np.minimum(block, hi[cs], out=block)
        nan = np.isnan(block)
        missing = np.add.reduce(nan, axis=0, dtype=np.int32)     # far faster than bool .sum()
        acc["nan"][cs] += missing
        changed = np.add.reduce(view != block, axis=0, dtype=np.int32)
        acc["clipped"][cs] += changed - missing                  # NaN ≠ NaN: taken off
        acc["n"][cs] += block.shape[0] - missing
        block *= scale[cs]
        np.rint(block, out=block)
        np.copyto(block, 0.0, where=nan)
        acc["sum"][cs] += block.sum(axis=0)
        if any_squares:
            acc["sumsq"][cs] += np.einsum("ij,ij->j", block, block)
        if task is not None and j % 16 == 0:
            task.report(j / len(spans), "Adding up the study variables")
    return acc


@dataclass(frozen=True)
class SiteStatistics:
    """One site's statistics in plan order, before noise, and what the site screen shows.

    ``values`` is what is sent (after the noise share is added and it is encrypted);
    ``records`` says over how many records each is; ``clipped``, ``unknown`` and ``missing``
    count values per variable for the site's own screen and are never sent."""

    plan: StatisticPlan
    values: list[int]
    records: list[int]
    n_records: int
    clipped: dict[str, int]
    unknown: dict[str, int]
    missing: dict[str, int]

    def notes(self) -> list[str]:
        """For the site's screen only: values clipped to the bounds, unknown and missing ones."""
        out = []
        for name, n in self.clipped.items():
            if n:
                out.append(f"{n:,} value{'s' if n != 1 else ''} of {name} outside the study's "
                           f"bounds {'were' if n != 1 else 'was'} moved to the nearest bound.")
        for name, n in self.unknown.items():
            if n:
                out.append(f"{n:,} value{'s' if n != 1 else ''} of {name} "
                           f"{'are' if n != 1 else 'is'} not among the study's declared values "
                           f"and {'were' if n != 1 else 'was'} left out.")
        for name, n in self.missing.items():
            if n:
                out.append(f"{n:,} value{'s' if n != 1 else ''} of {name} "
                           f"{'are' if n != 1 else 'is'} missing and left out.")
        return out


def site_statistics(spec: StudySpec, frame: pd.DataFrame, *, study_plan: StatisticPlan | None = None,
                    task: TaskState | None = None) -> SiteStatistics:
    """The site's statistics for ``spec`` from ``frame``, whose columns carry the study's
    variable names (other columns are ignored)."""
    study_plan = study_plan if study_plan is not None else plan(spec)
    n = len(frame)
    if n > spec.max_records_per_site:
        raise InputError(f"This site has {n:,} records but the study allows at most "
                         f"{spec.max_records_per_site:,} per site.")
    used = sorted({v for s in study_plan for v in s.domain}, key=spec.order)
    absent = [v for v in used if v not in frame.columns]
    if absent:
        raise InputError(f"The data has no column for the study variable {absent[0]!r}; "
                         f"map a column to it first.")
    if frame.columns.duplicated().any():
        raise InputError("The data has two columns with the same name; rename one first.")
    data = _SiteData(spec, frame)
    values = [0] * len(study_plan)
    records = [0] * len(study_plan)
    wide = _wide_candidates(spec, study_plan, frame, n)
    if wide:
        names = list(wide)
        squares = np.array(["sumsq" in wide[name] for name in names])
        acc = _wide_pass(spec, frame, names, squares, task.sub(0, 0.9) if task else None)
        for j, name in enumerate(names):
            present = int(acc["n"][j])
            for role, i in wide[name].items():
                values[i] = present if role == "n" else int(acc[role][j])
                records[i] = present
            data.clipped[name] = int(acc["clipped"][j])
            data.missing[name] = int(acc["nan"][j])
            data.unknown[name] = 0
    done = {i for roles in wide.values() for i in roles.values()}
    rest = [i for i in range(len(study_plan)) if i not in done]
    for j, i in enumerate(rest):
        values[i], records[i] = data.total(study_plan[i])
        if task is not None and j % 64 == 0:
            task.report(0.9 + 0.1 * j / len(rest), "Adding up the study variables")
    clipped = {v: data.clipped.get(v, 0) for v in used if spec.variable(v).type == NUMBER}
    return SiteStatistics(study_plan, values, records, n, clipped,
                          {v: data.unknown.get(v, 0) for v in used},
                          {v: data.missing.get(v, 0) for v in used})


# ---------------------------------------------------------------------- packing

def site_value_bounds(study_plan: StatisticPlan, dp: DPSettings | None) -> list[int]:
    """The largest |value + noise share| one honest site can send, per statistic."""
    from .noise import noise_bounds          # noise reads the plan; imported here, not above
    noise = noise_bounds(study_plan, dp)
    return [study_plan.max_records * s.bound + z for s, z in zip(study_plan, noise)]


def layout_for(study_plan: StatisticPlan, n_sites_max: int, dp: DPSettings | None, *,
               key_bits: int = DEFAULT_KEY_BITS) -> Layout:
    """One uniform slot for every statistic: wide enough for any site's total (its records
    × the statistic's bound + the largest noise share), with ⌈log2 n_sites_max⌉ bits of
    headroom so the sum over every site cannot wrap; as many slots per plaintext as fit."""
    if isinstance(n_sites_max, bool) or not isinstance(n_sites_max, int) or n_sites_max < 1:
        raise InputError("The number of sites must be a whole number of at least 1.")
    value_bits = max(site_value_bounds(study_plan, dp)).bit_length() + 1
    per = Layout.slots_per_plaintext(key_bits, value_bits, n_sites_max)
    width = value_bits + max(0, math.ceil(math.log2(n_sites_max)))
    if value_bits > MAX_SLOT_BITS or width > key_bits - 2:
        raise InputError(f"A statistic of this study needs {width} bits, more than one "
                         f"{key_bits}-bit plaintext slot allows: narrow the bounds, lower the "
                         f"decimals or the maximum number of records per site.")
    return Layout.uniform(min(per, len(study_plan)), value_bits, 1, n_sites_max)


def ciphertext_count(study_plan: StatisticPlan, layout: Layout) -> int:
    """How many ciphertexts one site's contribution takes."""
    return -(-len(study_plan) // len(layout.slots))
