"""Additive noise on numeric columns, and local-DP noise on clamped cells.

*Additive noise* (sdcMicro's ``addNoise``): uncorrelated noise gives column j noise with variance
α·var(x_j); correlated noise draws the noise vector from N(0, α·Σ), Σ the covariance of the
columns, so the perturbed data have covariance (1+α)·Σ and the same correlation matrix in
expectation. No formal privacy guarantee.

*Local-DP noise*: each cell is clamped to declared bounds, rounded to a grid and given exact
discrete Laplace (ε-DP) or discrete Gaussian (ρ-zCDP) noise calibrated to the full range
(k_hi - k_lo grid steps), so each person's row is protected on its own and the released column
spends ε (or ρ) of the dataset's budget. Missing cells stay missing: missingness is not protected.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ..dp.accounting import GAUSSIAN, LAPLACE, privacy_parameter
from ..dp.grid import Grid
from ..dp.mechanisms import add_noise
from ..dp.rng import Rng, default_rng, standard_normal
from ..errors import InputError

LOCAL_DP_MAX_STEPS = 2 ** 10      # coarse grid: local noise dwarfs it anyway, and keeps σ small


def numeric_matrix(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    for col in columns:
        if col not in df.columns:
            raise InputError(f"no column named {col!r} in the data")
        if not pd.api.types.is_numeric_dtype(df[col]):
            raise InputError(f"column {col!r} is not numeric")
    return df[columns].to_numpy(dtype=np.float64, na_value=np.nan)


def additive_noise(df: pd.DataFrame, columns: list[str], *, alpha: float = 0.1,
                   correlated: bool = False, rng: Rng | None = None) -> pd.DataFrame:
    """Return a copy of ``df`` with noise of variance fraction ``alpha`` added to ``columns``."""
    if not 0 < alpha <= 10:
        raise InputError(f"noise fraction alpha must be in (0, 10], got {alpha:g}")
    rng = default_rng(rng)
    x = numeric_matrix(df, columns)
    n, d = x.shape
    out = df.copy()
    if n < 2:
        return out
    z = standard_normal(rng, n * d).reshape(n, d)
    if correlated:
        filled = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
        cov = np.atleast_2d(np.cov(filled, rowvar=False))
        vals, vecs = np.linalg.eigh(cov)            # Σ = V Λ Vᵀ; robust when Σ is singular
        root = vecs * np.sqrt(np.clip(vals, 0, None))
        noise = z @ root.T * np.sqrt(alpha)
    else:
        noise = z * (np.sqrt(alpha) * np.nanstd(x, axis=0, ddof=1))
    noisy = x + noise
    for j, col in enumerate(columns):
        out[col] = _like(df[col], noisy[:, j])
    return out


def _like(original: pd.Series, values: np.ndarray) -> pd.Series:
    """Float results (integer columns become float: rounding them back would bias small noise)."""
    return pd.Series(values, index=original.index, name=original.name, dtype="float64")


def local_dp_noise(df: pd.DataFrame, bounds: dict[str, tuple], *, noise: str = LAPLACE,
                   epsilon=None, rho=None, granularity: dict | None = None,
                   rng: Rng | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Noise every cell of the bounded columns; the step's ε (or ρ) is split evenly over them.

    Returns the perturbed copy and per-column details (grid, noise scale)."""
    rng = default_rng(rng)
    if not bounds:
        raise InputError("local-DP noise needs at least one column with bounds")
    if noise == GAUSSIAN:
        total = privacy_parameter(rho, "rho")
    elif noise == LAPLACE:
        total = privacy_parameter(epsilon, "epsilon")
    else:
        raise InputError(f"unknown noise {noise!r}: use 'laplace' or 'gaussian'")
    share = total / len(bounds)
    out = df.copy()
    details = []
    for col, (lo, hi) in bounds.items():
        grid = Grid.make(col, lo, hi, (granularity or {}).get(col), max_steps=LOCAL_DP_MAX_STEPS)
        x = numeric_matrix(df, [col])[:, 0]
        present = ~np.isnan(x)
        k = grid.to_lattice(x[present])
        span = max(grid.k_hi - grid.k_lo, 1)          # any value may become any other value
        noisy = add_noise(k, span, noise=noise, budget=share, rng=rng)
        values = np.full(x.shape, np.nan)
        if Fraction(float(grid.granularity)) == grid.granularity:
            values[present] = noisy.values.astype(np.float64) * float(grid.granularity)
        else:                                          # e.g. 0.1: round exactly
            values[present] = [grid.value(v) for v in noisy.values]
        out[col] = _like(df[col], values)
        details.append({**grid.to_dict(), "noise": noise,
                        "noise_std": noisy.std * float(grid.granularity),
                        ("rho" if noise == GAUSSIAN else "epsilon"): float(share)})
    return out, details
