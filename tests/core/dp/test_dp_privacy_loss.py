"""Black-box privacy-loss estimation on neighbouring datasets.

Each mechanism is run many times on two datasets that differ by one person. For every output
value seen often enough, a one-sided confidence bound on ln(P[out | D] / P[out | D']) is formed
from Clopper–Pearson bounds (Bonferroni-corrected over the outputs and both directions). The
test fails if that *lower* bound exceeds the claimed ε — and a deliberately under-noised
mechanism (it claims ε but uses the noise for 2ε) must fail the same check.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ppds_desktop.core.dp.grid import Grid
from ppds_desktop.core.dp.mechanisms import add_noise
from dp_checks import epsilon_lower_bound
from dp_test_rng import SeededTestRng
from ppds_desktop.core.perturb.randomized_response import randomized_response

RUNS = 100_000


def noisy_counts(true: int, epsilon: Fraction, seed: int) -> np.ndarray:
    return add_noise(np.full(RUNS, true), 1, noise="laplace", budget=epsilon,
                     rng=SeededTestRng(seed)).values


def test_count_mechanism_stays_within_its_epsilon():
    eps = Fraction(1)
    lb = epsilon_lower_bound(noisy_counts(100, eps, 1), noisy_counts(101, eps, 2))
    assert lb <= float(eps)
    assert lb > 0.5 * float(eps)          # the estimator does see the loss that is there


def test_under_noised_mechanism_is_caught():
    claimed = Fraction(1)
    broken = 2 * claimed                  # half the noise it should add
    lb = epsilon_lower_bound(noisy_counts(100, broken, 3), noisy_counts(101, broken, 4))
    assert lb > float(claimed)


def test_bounded_sum_uses_the_sensitivity_of_its_bounds():
    grid = Grid.make("x", 0, 8, 1)
    eps = Fraction(1, 2)
    base = 40
    a = add_noise(np.full(RUNS, base), grid.sensitivity, noise="laplace", budget=eps,
                  rng=SeededTestRng(5)).values
    b = add_noise(np.full(RUNS, base + 8), grid.sensitivity, noise="laplace", budget=eps,
                  rng=SeededTestRng(6)).values          # neighbour: one more person at the top
    assert epsilon_lower_bound(a // 4, b // 4) <= float(eps)   # coarsened outputs: post-processing
    wrong = add_noise(np.full(RUNS, base + 8), 1, noise="laplace", budget=eps,
                      rng=SeededTestRng(7)).values      # sensitivity 1 would be far too little
    right = add_noise(np.full(RUNS, base), 1, noise="laplace", budget=eps,
                      rng=SeededTestRng(8)).values
    assert epsilon_lower_bound(right, wrong) > float(eps)


def test_randomized_response_is_epsilon_local_dp():
    eps = 1.0
    one = pd.Series(["a"] * 60_000, name="c")
    other = pd.Series(["b"] * 60_000, name="c")
    domain = ["a", "b", "c", "d"]
    ra, _ = randomized_response(one, eps, domain=domain, rng=SeededTestRng(9))
    rb, _ = randomized_response(other, eps, domain=domain, rng=SeededTestRng(10))
    codes = {v: i for i, v in enumerate(domain)}
    lb = epsilon_lower_bound(ra.map(codes).to_numpy(), rb.map(codes).to_numpy())
    assert 0.5 < lb <= eps
