"""DP mechanisms on integer vectors: noisy counts and sums, and private quantiles.

Neighbouring datasets differ by adding or removing one person's row. A person falls in exactly
one cell of a (group-by) table, so a count changes by at most 1 in one cell (L1 = L2 = 1) and a
bounded sum by at most ``grid.sensitivity`` grid steps in one cell. Disjoint cells compose in
parallel, which is why a whole table costs the same ε (or ρ) as one number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import InputError
from .accounting import GAUSSIAN, LAPLACE, gaussian_sigma2, laplace_scale
from .intervals import halfwidth, noise_std
from .rng import Rng, default_rng
from .samplers import bernoulli_exp, discrete_gaussian, discrete_laplace, uniform_below


@dataclass
class NoisyVector:
    """Noisy integers with the distribution that produced them (for intervals and reporting)."""

    values: np.ndarray
    noise: str
    param: Fraction          # scale b (Laplace) or σ² (Gaussian), lattice units

    def halfwidth(self, alpha: float = 0.05) -> int:
        return halfwidth(self.noise, self.param, alpha)

    @property
    def std(self) -> float:
        return noise_std(self.noise, self.param)


def add_noise(true_values, sensitivity: int, *, noise: str, budget: Fraction,
              rng: Rng | None = None) -> NoisyVector:
    """Add discrete Laplace (``budget`` = ε) or discrete Gaussian (``budget`` = ρ) noise."""
    values = np.asarray(true_values, dtype=np.int64)
    if noise == LAPLACE:
        param = laplace_scale(sensitivity, budget)
        draws = discrete_laplace(param, values.size, rng)
    elif noise == GAUSSIAN:
        param = gaussian_sigma2(sensitivity, budget)
        draws = discrete_gaussian(param, values.size, rng)
    else:
        raise InputError(f"unknown noise {noise!r}: use 'laplace' or 'gaussian'")
    return NoisyVector(values + draws, noise, param)


def random_permutation(n: int, rng: Rng) -> np.ndarray:
    """A uniformly random permutation (Fisher–Yates with CSPRNG integers)."""
    perm = np.arange(n)
    if n < 2:
        return perm
    picks = uniform_below(np.arange(n, 1, -1, dtype=np.uint64), rng).astype(np.int64)
    for i, j in zip(range(n - 1, 0, -1), picks):
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def permute_and_flip(distance: np.ndarray, epsilon: Fraction, distance_den: int,
                     rng: Rng | None = None) -> int:
    """Index picked by permute-and-flip (McKenna & Sheldon 2020), an ε-DP exponential mechanism.

    ``distance[j] / distance_den`` is how far candidate j's score is from perfect (score
    sensitivity 1). Candidates are visited in random order; j is accepted with probability
    exp(-ε·(d_j - d*)/2), decided exactly by Bernoulli(exp(-γ)) with rational γ. The best
    candidate is accepted with probability 1, so one pass always ends.
    """
    rng = default_rng(rng)
    d = np.asarray(distance, dtype=np.uint64)
    gap = d - d.min()
    num = gap * np.uint64(epsilon.numerator)
    den = np.uint64(2 * epsilon.denominator * distance_den)
    order = random_permutation(d.size, rng)
    accepted = bernoulli_exp(num[order], den, rng)
    return int(order[int(np.argmax(accepted))])


def quantile_index(lattice_values: np.ndarray, candidates: np.ndarray, q: Fraction,
                   epsilon: Fraction, rng: Rng | None = None) -> int:
    """Index into ``candidates`` (sorted grid indices) of a private q-quantile.

    Score of candidate c: -|#{x <= c} - q·n|. Adding or removing one row moves #{x <= c} by at
    most 1 and q·n by q, so the score moves by at most max(q, 1-q) <= 1: sensitivity 1.
    """
    x = np.sort(np.asarray(lattice_values, dtype=np.int64))
    below = np.searchsorted(x, candidates, side="right").astype(np.int64)
    n = x.size
    distance = np.abs(q.denominator * below - q.numerator * n)
    if distance.max() >= 2 ** 62 // max(epsilon.numerator, 1):
        raise InputError("too many rows for a private quantile with this ε")
    return permute_and_flip(distance, epsilon, q.denominator, rng)


def quantile_rank_error(epsilon: float, n_candidates: int, alpha: float = 0.05) -> float:
    """With probability >= 1-α the released quantile's rank is within this many rows of q·n."""
    return 2.0 / epsilon * math.log(n_candidates / alpha)
