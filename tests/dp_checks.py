"""Independent checkers shared by the DP and study-noise tests: the exact discrete Laplace and
Gaussian pmfs, a χ² goodness-of-fit p-value, and a black-box lower bound on the privacy loss."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

P_MIN = 1e-4


def laplace_pmf(scale: float, z: np.ndarray) -> np.ndarray:
    p = math.exp(-1.0 / scale)
    return (1 - p) / (1 + p) * p ** np.abs(z)


def gaussian_pmf(sigma2: float, z: np.ndarray) -> np.ndarray:
    top = int(40 * math.sqrt(sigma2)) + 5
    support = np.arange(-top, top + 1)
    norm = np.exp(-support.astype(float) ** 2 / (2 * sigma2)).sum()
    return np.exp(-z.astype(float) ** 2 / (2 * sigma2)) / norm


def chi2_pvalue(draws: np.ndarray, pmf) -> float:
    """χ² goodness of fit, with the tails pooled so every expected count is >= 20."""
    lo, hi = int(draws.min()), int(draws.max())
    support = np.arange(lo - 200, hi + 201)
    probs = pmf(support)
    expected = probs * draws.size
    core = np.flatnonzero(expected >= 20)
    a, b = support[core[0]], support[core[-1]]
    observed = [np.sum(draws < a)] + [np.sum(draws == z) for z in range(a, b + 1)] + [np.sum(draws > b)]
    exp_core = list(expected[core[0]:core[-1] + 1])
    exp_tails = [draws.size * (1 - sum(probs[core[0]:core[-1] + 1]) ) / 2] * 2
    exp_all = np.array([exp_tails[0]] + exp_core + [exp_tails[1]])
    obs_all = np.array(observed, dtype=float)
    keep = exp_all > 1e-9
    exp_all = exp_all[keep] * obs_all[keep].sum() / exp_all[keep].sum()
    return float(stats.chisquare(obs_all[keep], exp_all).pvalue)


ALPHA = 1e-3


def epsilon_lower_bound(out_a: np.ndarray, out_b: np.ndarray, min_count: int = 200) -> float:
    """A lower confidence bound on the privacy loss shown by the two output samples."""
    values = np.union1d(out_a, out_b)
    ca = np.array([np.sum(out_a == v) for v in values])
    cb = np.array([np.sum(out_b == v) for v in values])
    keep = (ca >= min_count) | (cb >= min_count)
    tests = max(int(keep.sum()) * 2, 1)
    a = ALPHA / tests
    best = 0.0
    for x, y in zip(ca[keep], cb[keep]):
        for hi_count, lo_count, n_hi, n_lo in ((x, y, out_a.size, out_b.size),
                                               (y, x, out_b.size, out_a.size)):
            if hi_count == 0:
                continue
            p_hi_low = stats.beta.ppf(a / 2, hi_count, n_hi - hi_count + 1)
            p_lo_high = stats.beta.ppf(1 - a / 2, lo_count + 1, n_lo - lo_count) if lo_count < n_lo else 1.0
            best = max(best, float(np.log(p_hi_low / p_lo_high)))
    return best
