"""How precise a DP answer will be, known before anything is spent.

The width of a count's or a sum's 95 % interval depends only on the noise, the budget and the
declared bounds, never on the data, so it can be shown while the user is still choosing ε: a
user who sees "each count within ±37" decides whether 0.1 is enough before paying for it. A
mean's interval also depends on how many records a group has, so it is given for example
group sizes; a quantile's precision is a distance in rank.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .accounting import GAUSSIAN, gaussian_sigma2, laplace_scale, privacy_parameter
from .grid import Grid
from .intervals import halfwidth
from .mechanisms import quantile_rank_error
from .query import MAX_QUANTILE_CANDIDATES, Query

EXAMPLE_GROUPS = (100, 1000)     # records in the groups a mean's precision is given for


@dataclass(frozen=True)
class Precision:
    """``halfwidth``: ± around each released value (in the column's unit; counts for a count),
    for 95 of 100 releases. ``kind`` is 'count', 'sum', 'mean' or 'rank' (a quantile: rows
    between the released value's rank and the exact one's). A mean's half-width is given per
    example group size in ``by_group`` ({records: ±}). None when the bounds it needs are not
    declared yet."""
    kind: str
    halfwidth: float | None
    by_group: dict[int, float] | None = None


def _lattice_halfwidth(noise: str, sensitivity: int, budget: Fraction, alpha: float) -> int:
    param = (gaussian_sigma2(sensitivity, budget) if noise == GAUSSIAN
             else laplace_scale(sensitivity, budget))
    return halfwidth(noise, param, alpha)


def expected_precision(query: Query, *, noise: str, budget: float,
                       bounds: tuple[float, float] | None = None,
                       granularity: float | None = None) -> Precision:
    """The precision of ``query``'s answers with ``budget`` (ε for Laplace, ρ for Gaussian
    noise) and the declared ``bounds`` of its column; computed from these settings only."""
    amount = privacy_parameter(budget, "rho" if noise == GAUSSIAN else "epsilon")
    if query.statistic in ("count", "histogram"):
        return Precision("count", float(_lattice_halfwidth(noise, 1, amount, 0.05)))
    if bounds is None:
        return Precision("rank" if query.statistic == "quantile" else query.statistic, None)
    if query.statistic == "quantile":
        grid = Grid.make(query.column or "value", *bounds, granularity,
                         max_steps=MAX_QUANTILE_CANDIDATES)
        eps = float(amount) if noise != GAUSSIAN else (8 * float(amount)) ** 0.5
        return Precision("rank", quantile_rank_error(eps, grid.k_hi - grid.k_lo + 1))
    grid = Grid.make(query.column or "value", *bounds, granularity)
    step = float(grid.granularity)
    if query.statistic == "sum":
        return Precision("sum", _lattice_halfwidth(noise, grid.sensitivity, amount, 0.05) * step)
    # a mean spends half on the sum and half on the count, each at 97.5 %
    half = amount / 2
    h_sum = _lattice_halfwidth(noise, grid.sensitivity, half, 0.025) * step
    h_count = _lattice_halfwidth(noise, 1, half, 0.025)
    largest, span = max(abs(float(grid.lo)), abs(float(grid.hi))), float(grid.hi - grid.lo)
    by_group = {n: span if n <= h_count else min((h_sum + largest * h_count) / (n - h_count),
                                                 span)
                for n in EXAMPLE_GROUPS}
    return Precision("mean", by_group[EXAMPLE_GROUPS[0]], by_group)
