"""95% intervals from the exact tails of the discrete noise distributions.

An interval ``[y - h, y + h]`` around a noisy value ``y`` covers the true value with probability
≥ 1 - α over the noise, where ``h`` is the smallest integer with P(|Z| > h) ≤ α. This is about
the noise only (the data are the population, not a sample).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .accounting import GAUSSIAN


def laplace_tail(scale: float, h: int) -> float:
    """P(|Z| > h) for the discrete Laplace with P(z) ∝ exp(-|z|/scale)."""
    p = math.exp(-1.0 / scale)
    return 2.0 * p ** (h + 1) / (1.0 + p)


def laplace_halfwidth(scale: float, alpha: float = 0.05) -> int:
    p = math.exp(-1.0 / scale)
    # smallest h >= 0 with 2 p^(h+1) / (1+p) <= alpha
    h = math.ceil(math.log(alpha * (1.0 + p) / 2.0) / math.log(p) - 1.0) if p > 0 else 0
    h = max(h, 0)
    while h > 0 and laplace_tail(scale, h - 1) <= alpha:
        h -= 1
    while laplace_tail(scale, h) > alpha:
        h += 1
    return h


def _gaussian_weights(sigma2: float) -> tuple[np.ndarray, float]:
    """Unnormalised weights of z = 0..top (top = 40σ + 2, beyond which the mass is nil) and
    their total over all integers."""
    top = int(math.ceil(math.sqrt(sigma2) * 40)) + 2
    z = np.arange(0, top + 1, dtype=np.float64)
    w = np.exp(-z * z / (2.0 * sigma2))
    return w, w[0] + 2.0 * w[1:].sum()


def gaussian_tail(sigma2: float, h: int) -> float:
    """P(|Z| > h) for the discrete Gaussian with P(z) ∝ exp(-z²/(2σ²))."""
    w, total = _gaussian_weights(sigma2)
    return float(2.0 * w[h + 1:].sum() / total) if h + 1 < w.size else 0.0


def gaussian_halfwidth(sigma2: float, alpha: float = 0.05) -> int:
    w, total = _gaussian_weights(sigma2)
    top = w.size - 1
    tail = 2.0 * np.cumsum(w[::-1])[::-1] / total      # tail[k] = P(|Z| >= k) for k >= 1
    # P(|Z| > h) = tail[h+1]; find the smallest h with tail[h+1] <= alpha
    ok = np.flatnonzero(tail[1:] <= alpha)
    return int(ok[0]) if ok.size else top


def halfwidth(noise: str, param: Fraction, alpha: float = 0.05) -> int:
    """Half-width in lattice units; ``param`` is the scale (Laplace) or σ² (Gaussian)."""
    if noise == GAUSSIAN:
        return gaussian_halfwidth(float(param), alpha)
    return laplace_halfwidth(float(param), alpha)


def noise_std(noise: str, param: Fraction) -> float:
    """Standard deviation of the noise in lattice units (reported as the 'noise scale')."""
    if noise == GAUSSIAN:
        return math.sqrt(float(param))
    p = math.exp(-1.0 / float(param))
    return math.sqrt(2.0 * p) / (1.0 - p)
