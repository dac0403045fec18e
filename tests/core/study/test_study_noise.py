"""Distributed DP of a study: the per-site noise and the sum of n_h shares against their exact
distributions (χ²), the accounting bound against exact Rényi divergences, the calibration and
ledger charge, and a black-box privacy-loss audit that an under-noised set-up fails.

Draws use the explicit ``SeededTestRng`` hook so that a statistical test cannot flake.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from dp_test_rng import SeededTestRng, urandom_calls  # noqa: F401  (a fixture)
from ppds_desktop.core.dp.accounting import zcdp_to_epsilon
from ppds_desktop.core.errors import InputError
from ppds_desktop.core.study import StudySpec, ledger_charge, noise_share, plan
from ppds_desktop.core.study import noise as noise_module
from ppds_desktop.core.study.noise import calibrate, coordinate_rho, halfwidth, target_rho
from dp_checks import P_MIN, chi2_pvalue, epsilon_lower_bound, gaussian_pmf

CELLS = 1000          # a histogram's cells are exclusive: one call gives CELLS i.i.d. draws


def histogram_spec(epsilon=1.0, delta=1e-6, honest=3, min_sites=None, categories=CELLS,
                   analysis=None) -> StudySpec:
    return StudySpec.from_dict({
        "format": "ppds-study-analyses", "version": 1,
        "variables": [{"name": "Ward", "type": "category",
                       "categories": [f"w{i}" for i in range(categories)]},
                      {"name": "Dose", "type": "number", "lower": 0, "upper": 10,
                       "decimals": 0}],
        "analyses": [analysis or {"kind": "histogram", "variable": "Ward"}],
        "min_sites": min_sites or honest + 1,
        "dp": {"epsilon": epsilon, "delta": delta, "honest_sites": honest}})


def shares(spec: StudySpec, calls: int, seed: int, sites: int = 1) -> np.ndarray:
    """``calls`` × CELLS draws of the sum of ``sites`` noise shares."""
    study_plan = plan(spec)
    rng = SeededTestRng(seed)
    out = []
    for _ in range(calls):
        total = np.zeros(len(study_plan), dtype=np.int64)
        for _ in range(sites):
            total += np.array(noise_share(study_plan, spec.dp, 20, rng=rng))
        out.append(total)
    return np.concatenate(out)


def dgauss_sum_pmf(sigma2: float, n: int):
    """The exact pmf of the sum of n discrete Gaussians, by convolution (independent of the
    module's own interval code)."""
    top = int(40 * math.sqrt(sigma2)) + 5
    z = np.arange(-top, top + 1)
    one = np.exp(-z.astype(float) ** 2 / (2 * sigma2))
    one /= one.sum()
    pmf = one
    for _ in range(n - 1):
        pmf = np.convolve(pmf, one)
    centre = pmf.size // 2

    def at(values):
        idx = np.asarray(values) + centre
        ok = (idx >= 0) & (idx < pmf.size)
        return np.where(ok, pmf[np.clip(idx, 0, pmf.size - 1)], 0.0)
    return at, pmf, centre


# ---------------------------------------------------------------------- exact distributions

def test_calibration_meets_the_target_and_the_ledger_shows_the_declared_epsilon():
    spec = histogram_spec(epsilon=1.0, delta=1e-6, honest=3)
    cal = calibrate(plan(spec), spec.dp)
    rho_star = target_rho(spec.dp)
    assert zcdp_to_epsilon(rho_star, 1e-6) == pytest.approx(1.0, rel=1e-12)
    assert cal.rho <= rho_star and cal.rho > 0.995 * rho_star     # rounded up by < 0.1%
    assert ledger_charge(spec.dp).rho == rho_star and ledger_charge(spec.dp).epsilon == 0
    assert ledger_charge(None).rho == 0
    # a histogram's cells are exclusive: 1,000 cells cost what 2 cells cost
    two = calibrate(plan(histogram_spec(honest=3, categories=2)), spec.dp)
    assert cal.v == two.v
    # without τ, n_h · v = K / (2ρ*) with K = 1
    assert 3 * float(cal.v) == pytest.approx(1 / (2 * rho_star), rel=2e-3)


def test_per_site_share_matches_the_discrete_gaussian_pmf():
    spec = histogram_spec(epsilon=1.0, honest=3)
    sigma2 = float(calibrate(plan(spec), spec.dp).site_variance(0))
    draws = shares(spec, 100, seed=21)
    assert draws.size == 100_000
    assert chi2_pvalue(draws, lambda z: gaussian_pmf(sigma2, z)) > P_MIN


@pytest.mark.parametrize("epsilon, honest", [(1.0, 3), (8.0, 4)])
def test_sum_of_honest_shares_matches_the_convolved_pmf(epsilon, honest):
    # ε = 8 with 4 sites gives per-site σ² ≈ 0.35: there the sum is visibly not a discrete
    # Gaussian, and τ matters in the accounting
    spec = histogram_spec(epsilon=epsilon, honest=honest)
    sigma2 = float(calibrate(plan(spec), spec.dp).site_variance(0))
    draws = shares(spec, 100, seed=22 + honest, sites=honest)
    at, _, _ = dgauss_sum_pmf(sigma2, honest)
    assert chi2_pvalue(draws, at) > P_MIN


def test_chi2_check_sees_a_wrong_variance():
    spec = histogram_spec(epsilon=1.0, honest=3)
    sigma2 = float(calibrate(plan(spec), spec.dp).site_variance(0))
    draws = shares(spec, 100, seed=30, sites=3)
    at, _, _ = dgauss_sum_pmf(sigma2 * 1.1, 3)
    assert chi2_pvalue(draws, at) < P_MIN


@pytest.mark.parametrize("sigma2", [0.3, 0.7, 1.5, 4.0])
@pytest.mark.parametrize("honest", [1, 2, 3, 5])
def test_accounting_bound_holds_against_exact_renyi_divergences(sigma2, honest):
    """D_α(S ‖ S + 1) computed exactly for the sum S of the honest shares is below α·ρ."""
    _, pmf, _ = dgauss_sum_pmf(sigma2, honest)
    p, q = pmf[1:], pmf[:-1]                       # S and S + 1 on the same support
    keep = (p > 1e-300) & (q > 1e-300)
    rho = float(coordinate_rho(1, sigma2, honest)[()])
    for alpha in (1.5, 2, 4, 8, 16, 32):
        log_terms = alpha * np.log(p[keep]) + (1 - alpha) * np.log(q[keep])
        top = log_terms.max()
        divergence = (top + math.log(np.exp(log_terms - top).sum())) / (alpha - 1)
        assert divergence <= alpha * rho * (1 + 1e-9)


def test_accounting_without_tau_would_be_wrong_for_tiny_shares():
    """With per-site σ² = 0.3 and 5 sites the sum is far from a discrete Gaussian: the plain
    d²/(2·n·σ²) understates the divergence, which is why τ is in the accounting."""
    sigma2, honest, alpha = 0.3, 5, 32
    _, pmf, _ = dgauss_sum_pmf(sigma2, honest)
    p, q = pmf[1:], pmf[:-1]
    keep = (p > 1e-300) & (q > 1e-300)
    log_terms = alpha * np.log(p[keep]) + (1 - alpha) * np.log(q[keep])
    top = log_terms.max()
    divergence = (top + math.log(np.exp(log_terms - top).sum())) / (alpha - 1)
    assert divergence > alpha / (2 * honest * sigma2)


def test_interval_halfwidth_has_its_coverage():
    spec = histogram_spec(epsilon=1.0, honest=3)
    sigma2 = float(calibrate(plan(spec), spec.dp).site_variance(0))
    h = halfwidth(sigma2, 3, 0.95)
    _, pmf, centre = dgauss_sum_pmf(sigma2, 3)
    inside = lambda k: pmf[centre - k:centre + k + 1].sum()   # noqa: E731
    assert inside(h) >= 0.95 > inside(h - 1)
    big = halfwidth(1e8, 4, 0.95)                            # the normal branch
    assert big == math.ceil(1.959963984540054 * math.sqrt(4e8))


# ---------------------------------------------------------------------- privacy-loss audit

def audit(spec: StudySpec, sites_adding: int, calls: int, seed: int, shift: int = 1,
          coarsen: int = 1) -> float:
    """ε lower bound seen between totals that differ by ``shift`` (one record) when only
    ``sites_adding`` sites add their share."""
    base = 1000
    a = base + shares(spec, calls, seed, sites=sites_adding)
    b = base + shift + shares(spec, calls, seed + 1, sites=sites_adding)
    return epsilon_lower_bound(a // coarsen, b // coarsen)


def test_privacy_loss_audit_passes_with_honest_sites_and_fails_under_noised():
    spec = histogram_spec(epsilon=1.0, delta=1e-6, honest=12)
    honest = audit(spec, sites_adding=12, calls=100, seed=40)
    assert 0.1 < honest <= 1.0
    # the same calibration when only one site adds its share (σ/√12): caught
    assert audit(spec, sites_adding=1, calls=100, seed=42) > 1.0


def test_privacy_loss_audit_of_a_bounded_sum():
    # Dose in [0, 10] with 0 decimals: one record moves the sum by up to 10
    spec = histogram_spec(epsilon=1.0, honest=2, categories=CELLS,
                          analysis={"kind": "sum", "variable": "Dose", "by": "Ward"})
    assert plan(spec)[0].bound == 10
    assert audit(spec, 2, 100, seed=50, shift=10, coarsen=5) <= 1.0
    # noise calibrated for a sensitivity of 1 instead of 10 would be far too little
    small = histogram_spec(epsilon=1.0, honest=2)
    assert audit(small, 2, 100, seed=52, shift=10) > 1.0


# ---------------------------------------------------------------------- the CSPRNG rule

def test_noise_comes_from_the_os_csprng_by_default(urandom_calls):
    spec = histogram_spec()
    first = noise_share(plan(spec), spec.dp, 3)
    assert urandom_calls and first != noise_share(plan(spec), spec.dp, 3)


def test_study_code_never_uses_numpy_random():
    root = Path(noise_module.__file__).resolve().parent
    pattern = re.compile(r"np\.random|numpy\.random|^\s*import random|from random import", re.M)
    for path in root.glob("*.py"):
        assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_no_dp_means_no_noise_and_a_share_refuses_too_few_sites():
    spec = histogram_spec(honest=3)
    assert noise_share(plan(spec), None, 5) == [0] * CELLS
    with pytest.raises(InputError, match="3 honest sites"):
        noise_share(plan(spec), spec.dp, 2)


def test_shares_of_several_sites_keep_the_variance_the_bound_is_stated_for():
    # ε = 10, δ = 0.009, two sites: the bound alone would allow per-site σ² ≈ 0.24, below the
    # s ≥ 1/2 for which Kairouz et al. state it; one site (a single discrete Gaussian) may go lower
    two = histogram_spec(epsilon=10, delta=0.009, honest=2)
    assert calibrate(plan(two), two.dp).v >= Fraction(1, 4)
    one = histogram_spec(epsilon=10, delta=0.009, honest=1)
    assert calibrate(plan(one), one.dp).v < Fraction(1, 4)
