"""The exact samplers against their exact distributions (χ² on ~1e5 draws), and the CSPRNG rule.

Draws use the explicit ``SeededTestRng`` hook so that a statistical test cannot flake; the last
tests check that the default is the OS CSPRNG and that no privacy code uses ``numpy.random``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ppds_desktop.core.dp import samplers
from dp_checks import P_MIN, chi2_pvalue, gaussian_pmf, laplace_pmf
from dp_test_rng import SeededTestRng, urandom_calls  # noqa: F401  (a fixture)
from ppds_desktop.core.dp.rng import SystemRng, default_rng
from ppds_desktop.core.dp.samplers import (bernoulli_exp, discrete_gaussian,
                                           discrete_gaussian_scalar, discrete_laplace,
                                           discrete_laplace_scalar, uniform_below)
from ppds_desktop.core.errors import InputError

N = 100_000


@pytest.mark.parametrize("scale", [Fraction(1, 2), 1, Fraction(3, 2), 10])
def test_discrete_laplace_matches_exact_pmf(scale):
    draws = discrete_laplace(scale, N, SeededTestRng(11))
    assert draws.dtype == np.int64 and draws.size == N
    assert chi2_pvalue(draws, lambda z: laplace_pmf(float(scale), z)) > P_MIN


@pytest.mark.parametrize("sigma2", [1, Fraction(10, 3), 50])
def test_discrete_gaussian_matches_exact_pmf(sigma2):
    draws = discrete_gaussian(sigma2, N, SeededTestRng(12))
    assert chi2_pvalue(draws, lambda z: gaussian_pmf(float(sigma2), z)) > P_MIN


def test_scalar_reference_samplers_match_pmf():
    rng = SeededTestRng(13)
    lap = np.array([discrete_laplace_scalar(3, 1, rng) for _ in range(20_000)])
    assert chi2_pvalue(lap, lambda z: laplace_pmf(3.0, z)) > P_MIN
    gau = np.array([discrete_gaussian_scalar(4, 1, rng) for _ in range(20_000)])
    assert chi2_pvalue(gau, lambda z: gaussian_pmf(4.0, z)) > P_MIN


def test_large_sigma_takes_the_exact_python_integer_path():
    # σ² = 10¹⁰: the acceptance fraction needs more than 64 bits, so lanes run in Python ints.
    draws = discrete_gaussian(10 ** 10, 3000, SeededTestRng(14))
    assert stats.kstest(draws / 1e5, "norm").pvalue > P_MIN


@pytest.mark.parametrize("num,den", [(0, 1), (1, 3), (1, 1), (5, 2), (7, 3)])
def test_bernoulli_exp_probability(num, den):
    hits = int(bernoulli_exp(np.full(N, num, dtype=np.uint64), np.uint64(den), SeededTestRng(15)).sum())
    expected = math.exp(-num / den)
    if num == 0:
        assert hits == N
    else:
        assert stats.binomtest(hits, N, expected).pvalue > P_MIN


def test_uniform_below_is_uniform_even_for_awkward_bounds():
    m = 2 ** 63 + 12345                      # rejection matters here: a modulo would be biased
    draws = uniform_below(m, SeededTestRng(16), 50_000)
    assert int(draws.max()) < m
    top_half = int((draws >= np.uint64(2 ** 62 + 6172)).sum())
    assert stats.binomtest(top_half, 50_000, 0.5).pvalue > P_MIN
    small = uniform_below(7, SeededTestRng(17), 70_000).astype(int)
    assert stats.chisquare(np.bincount(small, minlength=7)).pvalue > P_MIN


def test_seeded_hook_is_deterministic_and_default_is_the_os_csprng():
    a = discrete_laplace(5, 100, SeededTestRng(1))
    b = discrete_laplace(5, 100, SeededTestRng(1))
    assert np.array_equal(a, b)
    assert isinstance(default_rng(None), SystemRng)
    c, d = discrete_laplace(5, 100), discrete_laplace(5, 100)
    assert not np.array_equal(c, d)


def test_default_randomness_comes_from_os_urandom(urandom_calls):
    discrete_gaussian(7, 1000)
    assert urandom_calls


def test_privacy_code_never_uses_numpy_random():
    root = Path(samplers.__file__).resolve().parent.parent
    pattern = re.compile(r"np\.random|numpy\.random|^\s*import random|from random import", re.M)
    for folder in ("dp", "perturb"):
        for path in (root / folder).rglob("*.py"):
            assert not pattern.search(path.read_text()), path


def test_parameters_must_be_positive():
    with pytest.raises(InputError):
        discrete_laplace(0, 10)
    with pytest.raises(InputError):
        discrete_gaussian("-1", 10)


# ---------------------------------------------------------------- one variance per draw

def test_mixed_sampler_matches_each_lanes_pmf():
    sigma2s = [Fraction(1, 3), 2, Fraction(50, 7), 30]
    which = np.tile(np.arange(len(sigma2s)), 50_000)
    draws = samplers.discrete_gaussian_mixed(sigma2s, which, SeededTestRng(31))
    for j, s2 in enumerate(sigma2s):
        lane = draws[which == j]
        assert lane.size == 50_000
        assert chi2_pvalue(lane, lambda z: gaussian_pmf(float(s2), z)) > P_MIN


def test_mixed_sampler_wide_acceptance_path_matches_the_pmf():
    # numerator above 2**32: the acceptance ratio does not fit 64 bits, so every lane takes
    # bernoulli_exp_wide; σ² ≈ 8192 keeps an exact per-integer χ² possible
    s2 = Fraction(2 ** 33 + 1, 2 ** 20)
    draws = samplers.discrete_gaussian_mixed([s2, 3], np.repeat([0, 1], [N, 1000]),
                                             SeededTestRng(32))
    assert chi2_pvalue(draws[:N], lambda z: gaussian_pmf(float(s2), z)) > P_MIN


@pytest.mark.parametrize("num,den", [(1, 3), (10 ** 30 + 1, 3 * 10 ** 30),
                                     (5 * 10 ** 40 + 7, 2 * 10 ** 40), (2 ** 70, 2 ** 70)])
def test_bernoulli_exp_wide_probability(num, den):
    hits = int(samplers.bernoulli_exp_wide([num] * N, [den] * N, SeededTestRng(33)).sum())
    assert stats.binomtest(hits, N, math.exp(-num / den)).pvalue > P_MIN


class _TieRng:
    """Every 64-bit word equals the probability's top bits, so every lane is a tie."""

    def __init__(self, word: int, below: int):
        self.word, self.below, self.asked = word, below, []

    def random_bytes(self, n: int) -> bytes:
        return self.word.to_bytes(8, "little") * (n // 8)

    def randbelow(self, m: int) -> int:
        self.asked.append(m)
        return self.below


def test_bernoulli_wide_settles_ties_exactly():
    r, d = 10 ** 25 + 3, 3 * 10 ** 25 + 1
    p_hi, rem = divmod(r << 64, d)
    for below, expected in ((rem - 1, True), (rem, False)):
        rng = _TieRng(p_hi, below)
        out = samplers._bernoulli_wide(np.array([p_hi], dtype=np.uint64), [rem], [d], rng)
        assert bool(out[0]) is expected and rng.asked == [d]
