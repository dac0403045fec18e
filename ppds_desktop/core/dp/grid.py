"""Declared bounds and the fixed grid that real values are rounded to before any noise.

Values are clamped to ``[lo, hi]`` and rounded to the nearest multiple of the granularity
``g``; mechanisms then work on the integers ``k`` (value = k·g) and add integer noise, so every
output is an exact multiple of ``g`` and carries no floating-point fingerprint of the data
(Mironov 2012). By default ``g`` is a power of two (exactly representable, so ``k·g`` in floating
point is exact) chosen so that ``[lo, hi]`` holds at most ``max_steps`` grid steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import InputError

DEFAULT_MAX_STEPS = 2 ** 16
# Bounds must stay where float64 arithmetic is exact and finite: magnitudes below 2**1000
# (≈1e301, so widths and sums do not overflow), widths above 2**-1000 (granularities stay
# normal numbers), and grid indices k within ±2**53 (exact in float64, and int64 sums of
# many of them cannot wrap silently: the sum itself is checked against 2**53).
_MAX_MAGNITUDE = Fraction(2) ** 1000
_MIN_WIDTH = Fraction(1, 2 ** 1000)
MAX_GRID_INDEX = 2 ** 53


def _fraction(value, name: str) -> Fraction:
    try:
        return value if isinstance(value, Fraction) else Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{name} must be a number, got {value!r}") from None


def power_of_two_granularity(lo: Fraction, hi: Fraction, max_steps: int) -> Fraction:
    """The smallest power of two g with (hi - lo)/g <= max_steps."""
    e = math.ceil(math.log2(float(hi - lo) / max_steps))
    g = Fraction(2) ** e
    while (hi - lo) / g > max_steps:
        g *= 2
    return g


@dataclass(frozen=True)
class Grid:
    """Bounds and granularity of one numeric column; ``guessed`` marks bounds read off the data."""

    column: str
    lo: Fraction
    hi: Fraction
    granularity: Fraction
    guessed: bool = False

    @classmethod
    def make(cls, column: str, lo, hi, granularity=None, *, guessed: bool = False,
             max_steps: int = DEFAULT_MAX_STEPS) -> "Grid":
        lo, hi = _fraction(lo, f"lower bound of {column}"), _fraction(hi, f"upper bound of {column}")
        if not lo < hi:
            raise InputError(f"bounds of {column}: the lower bound {float(lo):g} must be below "
                             f"the upper bound {float(hi):g}")
        if max(abs(lo), abs(hi)) >= _MAX_MAGNITUDE or hi - lo < _MIN_WIDTH:
            raise InputError(f"bounds of {column} ({float(lo):g} to {float(hi):g}) are outside "
                             "the range the noise grid can hold; declare the range the values "
                             "really have")
        if granularity is None:
            g = power_of_two_granularity(lo, hi, max_steps)
        else:
            g = _fraction(granularity, f"granularity of {column}")
            if g <= 0:
                raise InputError(f"granularity of {column} must be positive")
            if (hi - lo) / g > 2 ** 40:
                raise InputError(f"granularity of {column} is too fine for bounds "
                                 f"{float(lo):g}..{float(hi):g}")
        grid = cls(column, lo, hi, g, guessed)
        if max(abs(grid.k_lo), abs(grid.k_hi)) > MAX_GRID_INDEX:
            raise InputError(f"bounds of {column} ({float(lo):g} to {float(hi):g}) are too far "
                             f"from zero for a grid step of {float(g):g}: at most "
                             f"{MAX_GRID_INDEX:,} steps from zero fit",
                             hint="declare tighter bounds or a coarser granularity")
        return grid

    @property
    def k_lo(self) -> int:
        return math.ceil(self.lo / self.granularity)

    @property
    def k_hi(self) -> int:
        return math.floor(self.hi / self.granularity)

    @property
    def sensitivity(self) -> int:
        """Largest |k| one person can contribute: the L1/L2 sensitivity of a sum, in grid steps."""
        return max(abs(self.k_lo), abs(self.k_hi), 1)

    def to_lattice(self, values) -> np.ndarray:
        """Clamp and round to grid indices k (int64). NaN must be removed by the caller."""
        x = np.clip(np.asarray(values, dtype=np.float64), float(self.lo), float(self.hi))
        k = np.rint(x / float(self.granularity))
        return np.clip(k, self.k_lo, self.k_hi).astype(np.int64)

    def value(self, k) -> float:
        """The real value of grid index k (correctly rounded; exact for power-of-two g)."""
        return float(Fraction(int(k)) * self.granularity)

    def snap(self, x: float) -> float:
        """Round a derived real number (e.g. a noisy mean) to the grid, within the bounds."""
        k = min(max(round(Fraction(x) / self.granularity), self.k_lo), self.k_hi)
        return self.value(k)

    def to_dict(self) -> dict:
        return {"column": self.column, "lo": float(self.lo), "hi": float(self.hi),
                "granularity": float(self.granularity), "guessed": self.guessed}


def guess_bounds(values) -> tuple[float, float]:
    """Min and max of the data. Using these as bounds leaks them: callers must warn."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        raise InputError("cannot guess bounds of a column with no numeric values")
    lo, hi = float(x.min()), float(x.max())
    return (lo, hi) if lo < hi else (lo, lo + 1.0)
