"""Randomized response and PRAM for categorical columns.

*k-ary randomized response* (Warner 1965; Kairouz et al. 2016) keeps the true category with
probability e^ε/(e^ε + k - 1) and otherwise reports one of the other k-1 categories uniformly, so
any two inputs give any output with probability ratio at most e^ε: ε-local DP per cell. It is
sampled *exactly*: propose a uniform category; accept it at once if it is the true one, else
with probability exp(-ε) (exact Bernoulli); repeat until accepted. The true category then comes
out with weight 1 and each other with weight e^-ε, i.e. the probabilities above.

*PRAM* with retention p keeps the value with probability p and otherwise picks one of the other
categories uniformly; it is randomized response with ε = ln(p(k-1)/(1-p)), reported as such but
not spent from the budget unless requested as randomized response.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..dp.accounting import privacy_parameter
from ..dp.rng import Rng, default_rng, random_unit_floats
from ..dp.samplers import bernoulli_exp, uniform_below
from ..errors import InputError
from ..query_syntax import category_codes


def _categories(series: pd.Series, declared, method: str) -> tuple[list[str], np.ndarray, bool]:
    """The categories to randomise over, each row's code among them, and whether the categories
    were read off the data (missing values are a category of their own)."""
    cats, codes = category_codes(series, declared or None, series.name)
    if len(cats) < 2:
        raise InputError(f"{method} on {series.name!r} needs at least 2 categories")
    if (codes < 0).any():
        raise InputError(f"column {series.name!r} has values outside its declared categories",
                         hint="add them to the categories, or recode them first")
    return cats, codes, not declared


def keep_probability(k: int, epsilon: float) -> float:
    """P(reported = true) of k-ary randomized response."""
    e = math.exp(epsilon)
    return e / (e + k - 1)


def rr_matrix(k: int, epsilon: float) -> np.ndarray:
    """P[true, reported] of k-ary randomized response."""
    e = math.exp(epsilon)
    m = np.full((k, k), 1.0 / (e + k - 1))
    np.fill_diagonal(m, keep_probability(k, epsilon))
    return m


def randomized_response(series: pd.Series, epsilon, *, domain=None,
                        rng: Rng | None = None) -> tuple[pd.Series, dict]:
    rng = default_rng(rng)
    eps = privacy_parameter(epsilon, "epsilon")
    cats, true, from_data = _categories(series, domain, "randomized response")
    k = len(cats)
    out = np.empty_like(true)
    todo = np.arange(true.size)
    while todo.size:
        proposal = uniform_below(k, rng, todo.size).astype(np.int64)
        same = proposal == true[todo]
        accept = same.copy()
        other = np.flatnonzero(~same)
        accept[other] = bernoulli_exp(np.full(other.size, eps.numerator, dtype=np.uint64),
                                      np.uint64(eps.denominator), rng)
        out[todo[accept]] = proposal[accept]
        todo = todo[~accept]
    result = pd.Series(np.asarray(cats, dtype=object)[out], index=series.index, name=series.name)
    info = {"method": "randomized_response", "column": series.name, "epsilon": float(eps),
            "categories": k, "keep_probability": keep_probability(k, float(eps)),
            "categories_from_data": from_data}
    return result, info


def pram(series: pd.Series, retain: float, *, domain=None,
         rng: Rng | None = None) -> tuple[pd.Series, dict]:
    if not 0 < retain < 1:
        raise InputError(f"PRAM retention must be between 0 and 1, got {retain:g}")
    rng = default_rng(rng)
    cats, true, from_data = _categories(series, domain, "PRAM")
    k = len(cats)
    move = random_unit_floats(rng, true.size) >= retain
    shift = uniform_below(k - 1, rng, true.size).astype(np.int64) + 1
    out = np.where(move, (true + shift) % k, true)
    implied = math.log(retain * (k - 1) / (1 - retain)) if retain > 1 / k else 0.0
    result = pd.Series(np.asarray(cats, dtype=object)[out], index=series.index, name=series.name)
    return result, {"method": "pram", "column": series.name, "retain": retain, "categories": k,
                    "implied_local_epsilon": abs(implied), "categories_from_data": from_data}


def estimate_frequencies(reported_counts: np.ndarray, epsilon: float) -> np.ndarray:
    """Unbiased estimate of the true category counts from randomized-response counts."""
    counts = np.asarray(reported_counts, dtype=np.float64)
    return np.linalg.solve(rr_matrix(counts.size, epsilon).T, counts)
