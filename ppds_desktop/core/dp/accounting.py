"""Privacy parameters: noise scales from sensitivities, and conversions for display.

Pure ε-DP (discrete Laplace) and ρ-zCDP (discrete Gaussian) are tracked separately in the
ledger. For display the two are combined: ε-DP implies (ε²/2)-zCDP, zCDP composes by adding ρ,
and ρ-zCDP implies (ρ + 2·sqrt(ρ·ln(1/δ)), δ)-DP for every δ > 0 (Bun & Steinke 2016).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InputError
from .samplers import as_fraction

LAPLACE = "laplace"
GAUSSIAN = "gaussian"
NOISES = (LAPLACE, GAUSSIAN)
_MAX_DEN = 2 ** 30


@dataclass(frozen=True)
class Cost:
    """What a release spends: ε for pure-DP mechanisms, ρ for zCDP ones."""

    epsilon: float = 0.0
    rho: float = 0.0

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.epsilon + other.epsilon, self.rho + other.rho)

    def to_dict(self) -> dict:
        return {"epsilon": self.epsilon, "rho": self.rho}


def privacy_parameter(value, name: str) -> Fraction:
    """ε or ρ as an exact rational; a value with a long binary expansion is rounded *down*
    (less budget assumed, so the noise is at least what was asked for)."""
    frac = as_fraction(value, name)
    if frac.denominator > _MAX_DEN:
        frac = Fraction(math.floor(frac * _MAX_DEN), _MAX_DEN)
        if frac <= 0:
            raise InputError(f"{name} is too small: {float(value):g}")
    if frac > 100:
        raise InputError(f"{name}={float(frac):g} is not a meaningful privacy guarantee (max 100)")
    return frac


def laplace_scale(sensitivity: int, epsilon: Fraction) -> Fraction:
    """Scale b = Δ₁/ε of the discrete Laplace giving ε-DP for an L1 sensitivity Δ₁ (lattice units)."""
    return Fraction(sensitivity) / epsilon


def gaussian_sigma2(sensitivity: int, rho: Fraction) -> Fraction:
    """σ² = Δ₂²/(2ρ) of the discrete Gaussian giving ρ-zCDP for an L2 sensitivity Δ₂."""
    return Fraction(sensitivity) ** 2 / (2 * rho)


def zcdp_to_epsilon(rho: float, delta: float = 1e-6) -> float:
    """The ε of (ε, δ)-DP implied by ρ-zCDP."""
    if rho <= 0:
        return 0.0
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def combined_epsilon(epsilon: float, rho: float, delta: float = 1e-6) -> float:
    """(ε, δ)-DP of a pure-ε spend and a ρ-zCDP spend together, for display.

    Takes the better of: ε-DP composed with the (ε', δ) of ρ alone (basic composition), and the
    conversion of the total ρ + ε²/2 to (ε, δ).
    """
    if rho <= 0:
        return epsilon
    return min(epsilon + zcdp_to_epsilon(rho, delta), zcdp_to_epsilon(rho + epsilon ** 2 / 2, delta))
