"""The DP query language and its evaluation into a :class:`DPResult`.

Text form (keywords are case-insensitive; column names may contain spaces or be quoted)::

    count                         count by COL[, COL...]
    sum COL [by ...]              mean COL [by ...]
    histogram COL [by ...]        quantile COL Q [by ...]     median COL [by ...]

JSON form: ``{"statistic": "mean", "column": "Billing Amount", "by": ["Gender"], "q": 0.5,
"bounds": {"Billing Amount": [0, 50000]}, "granularity": {"Billing Amount": 1},
"domains": {"Gender": ["Female", "Male"]}, "bins": 10, "noise": "laplace", "epsilon": 0.5}``.

Groups come from declared category domains (or from numeric bins over declared bounds). A domain
read off the data reveals which categories occur; the result says so in its warnings.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..query_syntax import category_codes, column_name, load_json_query
from .accounting import GAUSSIAN, LAPLACE, NOISES, Cost, privacy_parameter
from .grid import Grid, guess_bounds
from .mechanisms import add_noise, quantile_index, quantile_rank_error
from .postprocess import NON_NEGATIVE_NOTE, clamp_counts
from .rng import Rng, default_rng

STATISTICS = ("count", "sum", "mean", "histogram", "quantile")
MAX_GROUP_COLUMNS = 4
MAX_CELLS = 100_000
MAX_QUANTILE_CANDIDATES = 2 ** 12
# A grouping column with more distinct values than this must have its categories (or, for
# numbers, bins) declared: read off the data, its list of values would be published.
MAX_UNDECLARED_CATEGORIES = 20
DEFAULT_BINS = 10


@dataclass
class Query:
    statistic: str
    column: str | None = None
    by: list[str] = field(default_factory=list)
    q: Fraction | None = None
    bins: int = DEFAULT_BINS

    def describe(self) -> str:
        parts = [self.statistic]
        if self.column:
            parts.append(self.column)
        if self.q is not None and self.statistic == "quantile":
            parts.append(str(float(self.q)))
        text = " ".join(parts)
        return text + (" by " + ", ".join(self.by) if self.by else "")


@dataclass
class QueryOptions:
    """Everything beyond the query text: declared bounds, domains, noise and budget."""

    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    granularity: dict[str, float] = field(default_factory=dict)
    domains: dict[str, list[str]] = field(default_factory=dict)
    noise: str = LAPLACE
    epsilon: float | None = None
    rho: float | None = None
    guess_bounds: bool = False

    def cost(self) -> Cost:
        if self.noise == GAUSSIAN:
            if not self.rho:
                raise InputError("Gaussian noise needs rho (ρ, the zCDP budget of this query)")
            return Cost(rho=float(self.rho))
        if not self.epsilon:
            raise InputError("Laplace noise needs epsilon (ε, the budget of this query)")
        return Cost(epsilon=float(self.epsilon))


@dataclass
class DPResult:
    query: str
    statistic: str
    column: str | None
    by: list[str]
    noise: str
    cost: Cost
    noise_scale: float                    # std. dev. of the noise on each released value
    rows: list[dict[str, Any]]            # {"group": {...}, "value", "ci_low", "ci_high"}
    confidence: float = 0.95
    grids: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def noise_on(self) -> str:
        """What ``noise_scale`` measures: the count, the sum (also for a mean), or quantile ranks."""
        return {"mean": "sum", "quantile": "rank"}.get(self.statistic, self.statistic)

    def to_dict(self) -> dict:
        return {"query": self.query, "statistic": self.statistic, "column": self.column,
                "by": self.by, "noise": self.noise, "epsilon": self.cost.epsilon,
                "rho": self.cost.rho, "noise_scale": self.noise_scale, "noise_on": self.noise_on,
                "confidence": self.confidence, "rows": self.rows, "grids": self.grids,
                "notes": self.notes, "warnings": self.warnings}

    def label(self, row: dict) -> str:
        return ", ".join(str(v) for v in row["group"].values()) or self.statistic


# ---------------------------------------------------------------- parsing

def parse_query(text: str) -> tuple[Query, dict]:
    """Parse the text or JSON form; returns the query and any options given in the JSON form."""
    text = text.strip()
    if text.startswith("{"):
        return query_from_dict(load_json_query(text))
    m = re.match(r"^(?P<head>.*?)(?:\s+by\s+(?P<by>.+))?$", text, flags=re.IGNORECASE | re.DOTALL)
    head, by_text = m.group("head").strip(), m.group("by")
    if re.match(r"^count\s+by\s+", text, re.IGNORECASE):
        head, by_text = "count", re.split(r"\s+by\s+", text, maxsplit=1, flags=re.IGNORECASE)[1]
    by = [column_name(c) for c in by_text.split(",")] if by_text else []
    words = head.split(None, 1)
    if not words:
        raise InputError("empty query: try 'count', 'mean COL' or 'count by COL'")
    stat, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    q = None
    if stat == "median":
        stat, q = "quantile", Fraction(1, 2)
    elif stat == "quantile":
        col_q = rest.rsplit(None, 1)
        if len(col_q) != 2:
            raise InputError("quantile needs a column and a level, e.g. 'quantile Age 0.5'")
        rest, q = col_q[0], quantile_level(col_q[1])
    if stat not in STATISTICS:
        raise InputError(f"unknown statistic {stat!r}: use one of {', '.join(STATISTICS)}")
    column = column_name(rest) if rest.strip() else None
    query = Query(stat, column, by, q)
    _validate(query)
    return query, {}


def quantile_level(value) -> Fraction:
    """A quantile level in [0, 1] (text or number) as an exact fraction with denominator at
    most 1000, so the rank the mechanism aims at does not depend on float rounding."""
    try:
        q = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"quantile level must be a number between 0 and 1, got {value!r}") from None
    if not 0 <= q <= 1:
        raise InputError(f"quantile level must be between 0 and 1, got {float(q):g}")
    return q.limit_denominator(1000)


def query_from_dict(obj: dict) -> tuple[Query, dict]:
    """The JSON form, already decoded: the query, and the options it carries (bounds, budget…)."""
    if not isinstance(obj, dict) or "statistic" not in obj:
        raise InputError("query JSON must be an object with a 'statistic' field")
    stat = str(obj["statistic"]).lower()
    q = quantile_level(obj["q"]) if obj.get("q") is not None else None
    if stat == "median":
        stat, q = "quantile", Fraction(1, 2)
    by = obj.get("by") or []
    if isinstance(by, str):
        by = [by]
    query = Query(stat, obj.get("column"), list(by), q, int(obj.get("bins", DEFAULT_BINS)))
    _validate(query)
    options = {k: obj[k] for k in ("bounds", "granularity", "domains", "noise", "epsilon", "rho")
               if k in obj}
    return query, options


def _validate(query: Query) -> None:
    if query.statistic not in STATISTICS:
        raise InputError(f"unknown statistic {query.statistic!r}: use one of {', '.join(STATISTICS)}")
    if query.statistic != "count" and not query.column:
        raise InputError(f"{query.statistic} needs a column, e.g. '{query.statistic} Age'")
    if query.statistic == "count" and query.column:
        raise InputError("count takes no column: use 'count by COL' or 'histogram COL'")
    if query.statistic == "quantile" and query.q is None:
        raise InputError("quantile needs a level between 0 and 1")
    if len(query.by) + (query.statistic == "histogram") > MAX_GROUP_COLUMNS:
        raise InputError(f"at most {MAX_GROUP_COLUMNS} grouping columns")
    if not 1 <= query.bins <= 1000:
        raise InputError("bins must be between 1 and 1000")


# ---------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class GroupingNeed:
    """A grouping column whose categories must be declared before anything is spent."""

    column: str
    reason: str                  # why, in a plain sentence
    numeric: bool                # bins over declared bounds would do too
    identifier: bool = False     # a direct identifier: declared categories are the only way


def grouped_columns(query: Query, opts: QueryOptions, numeric: dict[str, bool]) -> list[str]:
    """The columns whose values become group labels: the group-by columns, and a histogram's
    column unless it is binned (a number with declared bounds)."""
    cols = list(query.by)
    if query.statistic == "histogram" and query.column and not (
            numeric.get(query.column) and query.column in opts.bounds):
        cols.insert(0, query.column)
    return cols


def _undeclared_groupings(query: Query, opts: QueryOptions, numeric: dict[str, bool]) -> list[str]:
    """Grouped columns whose categories (or, for a number, bounds) are not declared."""
    return [c for c in grouped_columns(query, opts, numeric)
            if not (c in opts.domains or (numeric.get(c) and c in opts.bounds))]


def columns_to_count(query: Query, opts: QueryOptions, *, roles: dict[str, str],
                     numeric: dict[str, bool]) -> list[str]:
    """The columns whose distinct count :func:`groupings_to_declare` reads: undeclared
    groupings that are not (quasi-)identifiers, which must be declared whatever their count.
    Counting means reading the data, so callers count only these."""
    return [c for c in _undeclared_groupings(query, opts, numeric)
            if roles.get(c) not in ("identifier", "quasi_identifier")]


def groupings_to_declare(query: Query, opts: QueryOptions, *, roles: dict[str, str],
                         distinct: dict[str, int], numeric: dict[str, bool]
                         ) -> list[GroupingNeed]:
    """Grouping columns that may not take their categories from the data: a direct
    identifier, a quasi-identifier, or a column with more than
    :data:`MAX_UNDECLARED_CATEGORIES` distinct values — unless their categories (or, for a
    number, bounds to cut into bins) are declared. Column names are already resolved;
    ``distinct`` needs only the :func:`columns_to_count`."""
    needs = []
    for col in _undeclared_groupings(query, opts, numeric):
        role, n = roles.get(col), distinct.get(col, 0)
        if role == "identifier":
            needs.append(GroupingNeed(col, f"{col} is a direct identifier: grouping by it would "
                                           f"publish its values as group labels.",
                                      numeric.get(col, False), identifier=True))
        elif role == "quasi_identifier":
            needs.append(GroupingNeed(col, f"{col} is a quasi-identifier: read from the data, "
                                           f"its values would be published as group labels.",
                                      numeric.get(col, False)))
        elif n > MAX_UNDECLARED_CATEGORIES:
            needs.append(GroupingNeed(col, f"{col} has {n:,} different values (more than "
                                           f"{MAX_UNDECLARED_CATEGORIES}): read from the data, "
                                           f"they would be published as group labels.",
                                      numeric.get(col, False)))
    return needs


def resolve_column(columns, name: str, *, dataset: str | None = None) -> str:
    """The column ``name`` refers to: the exact name, else the first case-insensitive match
    (queries are typed by hand)."""
    if name in columns:
        return name
    for col in columns:
        if str(col).lower() == name.lower():
            return col
    where = f"the dataset {dataset!r}" if dataset else "the dataset"
    raise InputError(f"{where} has no column named {name!r}")


def _grid(df, col: str, opts: QueryOptions, warnings: list[str], max_steps=None) -> Grid:
    gran = opts.granularity.get(col)
    kw = {} if max_steps is None else {"max_steps": max_steps}
    if col in opts.bounds:
        lo, hi = opts.bounds[col]
        return Grid.make(col, lo, hi, gran, **kw)
    if not opts.guess_bounds:
        raise InputError(f"{col} needs declared bounds (e.g. --bounds '{col}=0:100')",
                         hint="bounds read off the data would themselves leak the minimum and maximum")
    lo, hi = guess_bounds(_numeric(df, col))
    warnings.append(f"Bounds of {col} were taken from the data ({lo:g} to {hi:g}); this reveals "
                    f"its minimum and maximum, which are not protected by differential privacy.")
    return Grid.make(col, lo, hi, gran, guessed=True, **kw)


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s):
        converted = pd.to_numeric(s, errors="coerce")
        if converted.isna().all() and s.notna().any():
            raise InputError(f"{col} is not a numeric column; sums, means and quantiles need "
                             f"numbers", hint="use 'count by' or 'histogram' for categories")
        s = converted
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _grouping(df, col, opts, warnings, notes, bins=DEFAULT_BINS):
    """Codes per row (-1 = not counted) and the labels of the column's cells."""
    s = df[col]
    if col not in opts.domains and pd.api.types.is_numeric_dtype(s) and col in opts.bounds:
        grid = Grid.make(col, *opts.bounds[col])
        edges = np.linspace(float(grid.lo), float(grid.hi), bins + 1)
        x = np.clip(_numeric(df, col), float(grid.lo), float(grid.hi))
        codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
        codes = np.where(np.isnan(x), -1, codes)
        labels = [f"[{edges[i]:g}, {edges[i + 1]:g}" + ("]" if i == bins - 1 else ")")
                  for i in range(bins)]
        return codes.astype(np.int64), labels
    domain, codes = category_codes(s, opts.domains.get(col), col)
    if col in opts.domains:
        notes.append(f"Rows whose {col} is not one of the {len(domain)} declared categories are "
                     f"not counted.")
    else:
        warnings.append(f"The categories of {col} were taken from the data: the list of "
                        f"categories that occur is not protected. Declare them to avoid this "
                        f"(CLI: --domain \"{col}=A|B|C\").")
    return codes, domain


def evaluate(df: pd.DataFrame, query: Query, opts: QueryOptions, rng: Rng | None = None) -> DPResult:
    """Run one query with the budget in ``opts`` (the caller has checked and will record it)."""
    rng = default_rng(rng)
    _validate(query)                      # also when built in code (GUI, CLI --bins)
    if opts.noise not in NOISES:
        raise InputError(f"unknown noise {opts.noise!r}: use 'laplace' or 'gaussian'")
    cost = opts.cost()
    budget = privacy_parameter(cost.rho if opts.noise == GAUSSIAN else cost.epsilon,
                               "rho" if opts.noise == GAUSSIAN else "epsilon")
    warnings: list[str] = []
    notes: list[str] = []
    column = resolve_column(df.columns, query.column) if query.column else None
    by = [resolve_column(df.columns, c) for c in query.by]
    group_cols = ([column] if query.statistic == "histogram" else []) + by
    codes = np.zeros(len(df), dtype=np.int64)
    labels: list[list[str]] = []
    for col in group_cols:
        c, lab = _grouping(df, col, opts, warnings, notes, query.bins)
        if len(lab) == 0:
            raise InputError(f"{col} has no categories to count")
        codes = np.where((codes < 0) | (c < 0), -1, codes * len(lab) + c)
        labels.append(lab)
    n_cells = int(np.prod([len(lab) for lab in labels])) if labels else 1
    if n_cells > MAX_CELLS:
        raise InputError(f"the table would have {n_cells:,} cells; at most {MAX_CELLS:,}")
    keys = [dict(zip(group_cols, combo)) for combo in itertools.product(*labels)] if labels else [{}]
    stat = query.statistic
    if stat in ("count", "histogram"):
        rows, scale = _counts(codes, n_cells, keys, opts.noise, budget, rng)
        notes.append(NON_NEGATIVE_NOTE)
        grids = []
    else:
        grid = _grid(df, column, opts, warnings,
                     MAX_QUANTILE_CANDIDATES if stat == "quantile" else None)
        x = _numeric(df, column)
        keep = (codes >= 0) & ~np.isnan(x)
        k = grid.to_lattice(x[keep])
        cell = codes[keep]
        grids = [grid.to_dict()]
        if stat == "sum":
            rows, scale = _sums(k, cell, n_cells, keys, grid, opts.noise, budget, rng)
        elif stat == "mean":
            rows, scale = _means(k, cell, n_cells, keys, grid, opts.noise, budget, rng)
        else:
            rows, scale = _quantiles(k, cell, n_cells, keys, grid, query.q, opts.noise, budget,
                                     rng, notes)
        notes.append(f"Values of {column} are clamped to [{float(grid.lo):g}, {float(grid.hi):g}] "
                     f"and rounded to multiples of {float(grid.granularity):g}; missing values "
                     f"are left out.")
    return DPResult(query.describe(), stat, column, by, opts.noise, cost, scale, rows,
                    grids=grids, notes=notes, warnings=warnings)


def _counts(codes, n_cells, keys, noise, budget, rng):
    true = np.bincount(codes[codes >= 0], minlength=n_cells)
    noisy = add_noise(true, 1, noise=noise, budget=budget, rng=rng)
    h = noisy.halfwidth()
    rows = [{"group": key, "value": int(v), "ci_low": int(v) - h, "ci_high": int(v) + h}
            for key, v in zip(keys, noisy.values)]
    clamp_counts(rows)
    return rows, noisy.std


def _cell_sums(k, cell, n_cells) -> np.ndarray:
    sums = np.bincount(cell, weights=k.astype(np.float64), minlength=n_cells)
    if np.abs(sums).max(initial=0) >= 2 ** 53:
        raise InputError("the sum is too large for the chosen granularity; use a coarser one")
    return np.rint(sums).astype(np.int64)


def _sums(k, cell, n_cells, keys, grid, noise, budget, rng):
    noisy = add_noise(_cell_sums(k, cell, n_cells), grid.sensitivity, noise=noise, budget=budget,
                      rng=rng)
    h = noisy.halfwidth()
    rows = [{"group": key, "value": grid.value(v), "ci_low": grid.value(v - h),
             "ci_high": grid.value(v + h)} for key, v in zip(keys, noisy.values)]
    return rows, noisy.std * float(grid.granularity)


def _means(k, cell, n_cells, keys, grid, noise, budget, rng):
    half = budget / 2                               # half for the sum, half for the count
    s = add_noise(_cell_sums(k, cell, n_cells), grid.sensitivity, noise=noise, budget=half, rng=rng)
    c = add_noise(np.bincount(cell, minlength=n_cells), 1, noise=noise, budget=half, rng=rng)
    hs, hc = s.halfwidth(0.025), c.halfwidth(0.025)  # union bound: 95% for the pair
    g, lo, hi = grid.granularity, float(grid.lo), float(grid.hi)
    rows = []
    for key, sv, cv in zip(keys, s.values, c.values):
        sv, cv = int(sv), int(cv)
        value = grid.snap(float(Fraction(sv) * g / cv)) if cv > 0 else grid.snap((lo + hi) / 2)
        if cv - hc > 0:
            ends = [float(Fraction(a) * g / b) for a in (sv - hs, sv + hs) for b in (cv - hc, cv + hc)]
            low, high = max(min(ends), lo), min(max(ends), hi)
        else:
            low, high = lo, hi
        rows.append({"group": key, "value": value, "ci_low": grid.snap(low) if low > lo else lo,
                     "ci_high": grid.snap(high) if high < hi else hi,
                     "noisy_sum": grid.value(sv), "noisy_count": cv})
    return rows, s.std * float(g)


def _quantiles(k, cell, n_cells, keys, grid, q, noise, budget, rng, notes):
    # ε for the exponential mechanism; under zCDP it is (ε²/8)-zCDP, so ε = sqrt(8ρ).
    # Rounded down to a multiple of 2**-20, so the ε used never exceeds the budget's.
    eps = budget if noise == LAPLACE else Fraction(math.isqrt(math.floor(8 * budget * 2 ** 40)),
                                                   2 ** 20)
    candidates = np.arange(grid.k_lo, grid.k_hi + 1, dtype=np.int64)
    order = np.argsort(cell, kind="stable")
    k, cell = k[order], cell[order]
    starts = np.searchsorted(cell, np.arange(n_cells + 1))
    rank_err = quantile_rank_error(float(eps), candidates.size)
    rows = []
    for i, key in enumerate(keys):
        idx = quantile_index(k[starts[i]:starts[i + 1]], candidates, q, eps, rng)
        rows.append({"group": key, "value": grid.value(candidates[idx]), "ci_low": None,
                     "ci_high": None, "rank_error": rank_err})
    notes.append(f"Quantiles use the exponential mechanism (permute-and-flip) over "
                 f"{candidates.size} grid points; with 95% probability the released value's rank "
                 f"is within {rank_err:.0f} rows of the exact quantile's rank (no value interval).")
    return rows, rank_err
