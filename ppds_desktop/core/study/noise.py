"""Distributed differential privacy for a study: each site adds its own share of the noise.

Mechanism: the **distributed discrete Gaussian** (Kairouz, Liu & Steinke 2021). For statistic
``i`` every site adds an independent ``Z_i ~ N_Z(0, s_i²)`` (the exact CKS sampler in
``core/dp/samplers.py``, fed by the OS CSPRNG) to its integer total before encryption. The
decrypted total carries the sum of the shares of every site that added one. Chosen over Skellam
(Agarwal, Kairouz & Liu 2021) because its exact sampler already exists and is tested here, while
an exact Poisson sampler for the means needed (up to about 10²²) has no practical algorithm from
uniform integers; the price, that a sum of discrete Gaussians is not a discrete Gaussian, is the
τ term below and vanishes for s ≥ 1.

Neighbouring datasets: one site's data with or without one record (docs/privacy.md §1). One
record changes statistic ``i`` by at most its bound ``b_i`` (``statistics.py``), and only the
statistics whose conditions it meets: a record falls in one group and one bin, so within one
*family* of statistics (the same condition variables) only one *cell* moves.

Weights: ``s_i² = v · w_i²`` where ``w_i`` is ``b_i`` rounded up to 4 significant bits. Every
statistic gets noise in proportion to its range (a sum of squares of ages gets far more lattice
units than a count), with few distinct variances to sample, and one number ``v`` to calibrate.

Accounting (zCDP, Bun & Steinke 2016). For ``n_h`` honest sites, Kairouz et al. (2021,
Proposition 14, one coordinate) bound the Rényi divergence of the sum of their shares against
the same sum shifted by ``d``:  D_α ≤ α · (|d| / (√n_h · s) + τ)² / 2  with
τ = 10 · Σ_{k=1}^{n_h−1} exp(−2π² s² · k/(k+1))  (τ = 0 for one site: then this is the
discrete Gaussian's d²/(2s²) of Canonne, Kamath & Steinke 2020). Coordinates are independent, so
divergences add, and the worst record gives

    ρ(v) = Σ_families max_cells Σ_{i in cell} (b_i / (w_i · √(n_h · v)) + τ_i)² / 2 .

The declared (ε, δ) is turned into the zCDP target with the project's conversion
(``core/dp/accounting.zcdp_to_epsilon``: ε = ρ + 2·√(ρ·ln(1/δ))), solved for ρ:
ρ* = (√(ε + ln(1/δ)) − √ln(1/δ))². ``v`` is the smallest value with ρ(v) ≤ ρ* (bisection, then
rounded *up* to 11 significant bits so the sampler's rationals stay small), and at least 1/4
with several sites, where the bound on sums of shares is stated for s ≥ 1/2. Without τ,
v = K / (2 · n_h · ρ*) with K = Σ_families max_cells Σ (b_i/w_i)² (≈ the number of statistics one
record can move). Each site's ledger is charged ρ* for its dataset (``ledger_charge``), which the
ledger shows back as the declared ε at the declared δ.

Why the other sites need not be trusted: a dishonest site may add no noise, or subtract its
own; the shares of the ``n_h`` honest ones are independent of everything else, and adding
independent noise (or anything computed without the data) is post-processing. Each honest site
therefore adds ``N_Z(0, v · w_i²)`` whatever the others do; with more honest sites the released
totals are more private than declared and the intervals (``results.py``) assume that every
contributing site added its share.

Bounded draws: a share beyond 14 standard deviations (probability below 2⁻¹⁴⁰ per draw) is
drawn again, so the packing can size its slots (``noise_bounds``); the distribution differs
from the analysed one by less than 2⁻¹²⁰ in total variation, added to δ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from math import isqrt
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from ..dp.accounting import Cost
from ..dp.rng import Rng, default_rng
from ..dp.samplers import discrete_gaussian, discrete_gaussian_mixed
from ..errors import InputError
from .analyses import DPSettings

if TYPE_CHECKING:                       # statistics imports this module for the layout
    from .statistics import StatisticPlan

TAIL_SD = 14
WEIGHT_BITS = 4
_V_BITS = 11
_EXACT_CONVOLUTION_VARIANCE = 400.0
_BATCH = 256                    # from this many draws of one variance, one batch call
_MIN_SHARE_VARIANCE = 0.25      # per-site s² floor with several sites (Kairouz et al.: s ≥ 1/2)


def target_rho(dp: DPSettings) -> float:
    """ρ* with ρ* + 2·√(ρ*·ln(1/δ)) = ε: the zCDP level that gives the declared (ε, δ)."""
    log_inv_delta = math.log(1.0 / dp.delta)
    return (math.sqrt(dp.epsilon + log_inv_delta) - math.sqrt(log_inv_delta)) ** 2


def ledger_charge(dp: DPSettings | None) -> Cost:
    """What a contributing site records against its dataset: ρ* (zCDP), or nothing."""
    return Cost(rho=target_rho(dp)) if dp is not None else Cost()


def weight(bound: int) -> int:
    """``bound`` rounded up to ``WEIGHT_BITS`` significant bits."""
    shift = max(0, bound.bit_length() - WEIGHT_BITS)
    return -(-bound >> shift) << shift


def _tau(s2: np.ndarray, honest: int) -> np.ndarray:
    """10 · Σ_{k=1}^{n_h−1} exp(−2π² s² k/(k+1)) per variance in ``s2``."""
    if honest <= 1:
        return np.zeros_like(s2)
    k = np.arange(1, honest, dtype=np.float64)
    return 10.0 * np.exp(-2.0 * math.pi ** 2 * np.outer(s2, k / (k + 1))).sum(axis=1)


def coordinate_rho(shift, s2, honest: int, tau=None) -> np.ndarray:
    """ρ of one coordinate: the sum of ``honest`` shares N_Z(0, s2) against itself shifted by
    ``shift`` has D_α ≤ α·ρ with ρ = (|shift|/√(honest·s2) + τ)²/2 (Kairouz et al. 2021);
    ``tau`` may be given when it was computed already."""
    s2 = np.asarray(s2, dtype=np.float64)
    if tau is None:
        tau = _tau(np.atleast_1d(s2).ravel(), honest).reshape(s2.shape)
    return (np.abs(np.asarray(shift, dtype=np.float64)) / np.sqrt(honest * s2) + tau) ** 2 / 2.0


@dataclass(frozen=True)
class Calibration:
    """Per-site noise of one plan: statistic ``i`` gets N_Z(0, v · weights[i]²) at each site."""

    v: Fraction
    weights: tuple[int, ...] = field(repr=False)
    honest_sites: int
    rho_target: float
    rho: float                          # ρ(v) actually reached, ≤ rho_target

    def site_variance(self, i: int) -> Fraction:
        return self.v * self.weights[i] ** 2

    def bound(self, i: int) -> int:
        """An integer above TAIL_SD standard deviations of statistic i's per-site share."""
        s2 = self.site_variance(i) * TAIL_SD ** 2
        return isqrt(-(-s2.numerator // s2.denominator)) + 1


class _Structure:
    """The families and cells of a plan, flattened for computing ρ(v) with numpy."""

    def __init__(self, study_plan: "StatisticPlan"):
        families: dict[tuple, int] = {}
        cells: dict[tuple, int] = {}
        weights: dict[int, int] = {}
        cell_of, family_of_cell = [], []
        for s in study_plan:
            cell = tuple((c.variable, c.edges, c.index) for c in s.conditions)
            if cell not in cells:
                cells[cell] = len(cells)
                family = tuple(c[:2] for c in cell)
                family_of_cell.append(families.setdefault(family, len(families)))
            cell_of.append(cells[cell])
            if s.bound not in weights:
                weights[s.bound] = weight(s.bound)
        self.cell_of = np.array(cell_of, dtype=np.int64)
        self.family_of_cell = np.array(family_of_cell, dtype=np.int64)
        self.n_families = len(families)
        self.weights = tuple(weights[s.bound] for s in study_plan)
        self.ratio = np.array([s.bound / weights[s.bound] for s in study_plan])
        unique_w, self.w_index = np.unique(np.array([float(w) for w in self.weights]),
                                           return_inverse=True)
        self.w2 = unique_w ** 2

    def _worst(self, per_statistic: np.ndarray) -> float:
        cell_sums = np.bincount(self.cell_of, weights=per_statistic,
                                minlength=self.family_of_cell.size)
        worst = np.zeros(self.n_families)
        np.maximum.at(worst, self.family_of_cell, cell_sums)
        return float(worst.sum())

    def rho(self, v: float, honest: int) -> float:
        """ρ(v) of the worst record (every statistic it moves at its bound). The shift term
        b/√(n_h·v·w²) is computed as (b/w)/√(n_h·v); τ needs the true variance v·w²."""
        tau = _tau(v * self.w2, honest)[self.w_index]
        return self._worst(coordinate_rho(self.ratio, v, honest, tau))

    def k(self) -> float:
        return self._worst(self.ratio ** 2)


def _round_up(x: float) -> Fraction:
    """A rational ≥ x with about ``_V_BITS`` significant bits."""
    exp = math.floor(math.log2(x)) - _V_BITS + 1
    unit = Fraction(2) ** exp
    return unit * math.ceil(Fraction(x) / unit)


def calibrate(study_plan: "StatisticPlan", dp: DPSettings) -> Calibration:
    """The smallest per-site noise (rounded up) whose sum over ``dp.honest_sites`` honest
    sites gives ρ*-zCDP for the whole plan (computed once per plan and settings)."""
    key = ("calibration", dp)
    if key not in study_plan.memo:
        if "structure" not in study_plan.memo:
            study_plan.memo["structure"] = _Structure(study_plan)
        study_plan.memo[key] = _calibrate(study_plan.memo["structure"], dp)
    return study_plan.memo[key]


def _calibrate(structure: _Structure, dp: DPSettings) -> Calibration:
    honest, target = dp.honest_sites, target_rho(dp)
    rho = lambda v: structure.rho(v, honest)          # noqa: E731
    hi = structure.k() / (2.0 * honest * target)       # exact when τ is nil
    if rho(hi) > target * (1.0 + 1e-12):
        while rho(hi) > target:
            hi *= 2.0
        lo = hi / 2.0
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            if rho(mid) <= target:
                hi = mid
            else:
                lo = mid
    if honest > 1:                     # the sum-of-shares bound is stated for s ≥ 1/2
        hi = max(hi, _MIN_SHARE_VARIANCE)
    v = _round_up(hi * (1.0 + 2.0 ** -20))
    reached = rho(float(v))
    if reached > target:                 # cannot happen with the margin above; never go below
        raise InputError("The privacy noise could not be calibrated for these DP settings.")
    return Calibration(v, structure.weights, honest, target, reached)


def noise_bounds(study_plan: "StatisticPlan", dp: DPSettings | None) -> list[int]:
    """Per statistic, the largest |noise share| one site can add (0 without DP)."""
    if dp is None:
        return [0] * len(study_plan)
    cal = calibrate(study_plan, dp)
    by_weight: dict[int, int] = {}
    out = []
    for i, w in enumerate(cal.weights):
        if w not in by_weight:
            by_weight[w] = cal.bound(i)
        out.append(by_weight[w])
    return out


def noise_share(study_plan: "StatisticPlan", dp: DPSettings | None, n_sites_max: int, *,
                rng: Rng | None = None) -> list[int]:
    """This site's noise, one integer per statistic in plan order (all 0 without DP), drawn
    from the OS CSPRNG unless a test passes its own ``rng``. Add it to ``SiteStatistics.values``
    before packing."""
    if dp is None:
        return [0] * len(study_plan)
    if dp.honest_sites > n_sites_max:
        raise InputError(f"The DP settings assume {dp.honest_sites} honest sites but the study "
                         f"has at most {n_sites_max}.")
    rng = default_rng(rng)
    cal = calibrate(study_plan, dp)
    distinct = sorted(set(cal.weights))
    position = {w: j for j, w in enumerate(distinct)}
    which = np.array([position[w] for w in cal.weights], dtype=np.int64)
    first = {w: i for i, w in reversed(list(enumerate(cal.weights)))}
    sigma2s = [cal.site_variance(first[w]) for w in distinct]
    limits = np.array([cal.bound(first[w]) for w in distinct], dtype=np.int64)[which]
    draws = np.zeros(which.size, dtype=np.int64)
    counts = np.bincount(which, minlength=len(distinct))
    few = counts[which] < _BATCH            # many draws of one variance: the batch sampler
    for j in np.flatnonzero(counts >= _BATCH):
        draws[which == j] = discrete_gaussian(sigma2s[j], int(counts[j]), rng)
    draws[few] = discrete_gaussian_mixed(sigma2s, which[few], rng)
    wild = np.flatnonzero(np.abs(draws) > limits)
    while wild.size:                     # beyond 14 SD: never in practice, kept exact anyway
        draws[wild] = discrete_gaussian_mixed(sigma2s, which[wild], rng)
        wild = wild[np.abs(draws[wild]) > limits[wild]]
    return draws.tolist()


# ---------------------------------------------------------------------- the noise in a total

def total_variances(study_plan: "StatisticPlan", dp: DPSettings | None, n_sites: int) -> list[float]:
    """Variance of the summed noise in each total, if every one of ``n_sites`` added a share
    (a discrete Gaussian's variance is below its parameter s², so this errs on the wide side)."""
    if dp is None:
        return [0.0] * len(study_plan)
    cal = calibrate(study_plan, dp)
    return [float(cal.site_variance(i)) * n_sites for i in range(len(study_plan))]


def _dgauss_pmf(sigma2: float) -> np.ndarray:
    top = int(math.ceil(12 * math.sqrt(sigma2))) + 2          # the rest weighs < e^-70
    z = np.arange(-top, top + 1, dtype=np.float64)
    w = np.exp(-z * z / (2.0 * sigma2))
    return w / w.sum()


def halfwidth(site_sigma2: float, n_sites: int, confidence: float) -> int:
    """The smallest h with P(|sum of n_sites shares| > h) ≤ 1 − confidence: from the exact
    convolution of the discrete Gaussians while the total variance is at most 400, else
    ⌈z·σ⌉ from the normal law, which for a sum of discrete Gaussians that wide covers at least
    the stated level (P(|Z| ≤ h) ≈ P(|N| ≤ h + ½))."""
    alpha = 1.0 - confidence
    total = site_sigma2 * n_sites
    if total <= _EXACT_CONVOLUTION_VARIANCE:
        one = _dgauss_pmf(site_sigma2)
        pmf = one
        for _ in range(n_sites - 1):
            pmf = np.convolve(pmf, one)
        centre = pmf.size // 2
        inside = np.cumsum(pmf[centre:]) + np.concatenate(([0.0], np.cumsum(pmf[centre - 1::-1])))
        # inside[h] = P(|Z| <= h)
        ok = np.flatnonzero(1.0 - inside <= alpha)
        return int(ok[0]) if ok.size else centre
    return math.ceil(NormalDist().inv_cdf(1.0 - alpha / 2.0) * math.sqrt(total))


def describe(dp: DPSettings | None) -> str:
    """The guarantee in plain language."""
    if dp is None:
        return "No privacy noise is added: the results are exact."
    sites = "site" if dp.honest_sites == 1 else "sites"
    return (f"Privacy noise protects every record with ε = {dp.epsilon:g} and δ = {dp.delta:g} "
            f"(zero-concentrated ρ = {target_rho(dp):.4g}), as long as at least "
            f"{dp.honest_sites} contributing {sites} added their noise honestly.")
