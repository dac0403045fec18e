"""From the decrypted totals to the study's figures, with plain-language labels and intervals.

``finish(spec, plan, totals, n_sites, dp)`` decodes each total (an integer, the sum over the
sites of their statistics plus their noise shares) at its fixed-point scale and computes every
analysis. Without DP the arithmetic is exact (``fractions.Fraction`` throughout, floats only for
display and square roots), so the figures equal the pooled computation on the clipped values
rounded to their declared decimals.

With DP every figure has an interval for the privacy noise at the stated confidence (default
95%): counts, sums and histogram cells from the exact distribution of the summed noise
(``noise.halfwidth``); means, variances, standard deviations and regression coefficients, which
are non-linear in several noisy totals, by first-order propagation of the known noise variances
(the delta method), marked as approximate. Intervals cover the privacy noise only: a study's
data are taken as the population, not as a sample (the regression standard errors are the
sampling ones).

Logistic regression (PASS-GLM, Huggins, Adams & Broderick 2017): with t = 2y − 1 ∈ {−1, 1} the
log-likelihood is Σ φ(t·xᵀθ), φ(s) = −log(1 + e^(−s)). On [−R, R] φ is replaced by its degree-2
Chebyshev truncation b0 + b1·s + b2·s² (b1 = 1/2 exactly, since φ(s) − s/2 is even), so the
log-likelihood becomes n·b0 + b1·θᵀT1 + b2·θᵀT2θ with T1 = Σ t·x = 2Xᵀy − Xᵀ1 and T2 = XᵀX,
maximised at θ = −b1/(2·b2) · T2⁻¹T1: the same totals as a linear regression, in one round.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from statistics import NormalDist

import numpy as np

from ..errors import InputError
from .analyses import (COUNT, HISTOGRAM, LINEAR, MEAN, NUMBER, SUM, VARIANCE, Analysis,
                       DPSettings, StudySpec)
from .noise import calibrate, describe, halfwidth, total_variances
from .statistics import StatisticPlan, needs

DEFAULT_CONFIDENCE = 0.95
_CHEBYSHEV_NODES = 512


@dataclass(frozen=True)
class Figure:
    """One reported number. ``interval`` is for the privacy noise (None without DP);
    ``approximate`` says it comes from the delta method rather than the exact noise law."""

    label: str
    value: float | None
    unit: str = ""
    interval: tuple[float, float] | None = None
    approximate: bool = False
    records: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Coefficient:
    name: str
    estimate: float | None
    standard_error: float | None = None
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class AnalysisResult:
    title: str
    kind: str
    figures: tuple[Figure, ...] = ()
    coefficients: tuple[Coefficient, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyResult:
    analyses: tuple[AnalysisResult, ...]
    n_sites: int
    dp: DPSettings | None
    confidence: float
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"n_sites": self.n_sites, "confidence": self.confidence,
                "dp": self.dp.to_dict() if self.dp else None, "notes": list(self.notes),
                "analyses": [asdict(a) for a in self.analyses]}

    def lines(self) -> list[str]:
        """The whole result as plain-language lines (for the CLI and the report)."""
        level = f"{self.confidence:.0%}"
        out = [f"Results from {self.n_sites} sites."] + list(self.notes)
        for a in self.analyses:
            out.append("")
            out.append(a.title)
            for f in a.figures:
                out.append("  " + _figure_text(f, level))
            for c in a.coefficients:
                out.append("  " + _coefficient_text(c, level))
            out += ["  " + n for n in a.notes]
        return out


def number_text(x: float | None) -> str:
    """A figure as people read it: whole numbers with thousands separators, six digits else."""
    if x is None:
        return "not available"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.6g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.4g}"


def _figure_text(f: Figure, level: str) -> str:
    text = f"{f.label}: {number_text(f.value)}" + (f" {f.unit}" if f.unit and f.value is not None
                                                   else "")
    if f.interval is not None and f.value is not None:
        kind = "approximate " if f.approximate else ""
        text += (f" ({kind}{level} interval for the privacy noise: "
                 f"{number_text(f.interval[0])} to {number_text(f.interval[1])})")
    if f.records is not None:
        text += f", over {number_text(round(f.records))} records"
    return text + (f". {f.note}" if f.note else "")


def _coefficient_text(c: Coefficient, level: str) -> str:
    text = f"{c.name}: {number_text(c.estimate)}"
    if c.standard_error is not None:
        text += f" (standard error {number_text(c.standard_error)})"
    if c.interval is not None and c.estimate is not None:
        text += (f", approximate {level} interval for the privacy noise: "
                 f"{number_text(c.interval[0])} to {number_text(c.interval[1])}")
    return text


# ---------------------------------------------------------------------- decoding

class _Totals:
    """Decoded totals by statistic key, with the noise each carries."""

    def __init__(self, study_plan: StatisticPlan, totals: list[int], dp: DPSettings | None,
                 n_sites: int, confidence: float):
        self.plan, self.dp, self.n_sites, self.confidence = study_plan, dp, n_sites, confidence
        self.totals = totals
        self.variances = total_variances(study_plan, dp, n_sites)
        self._cal = calibrate(study_plan, dp) if dp is not None else None
        self._halfwidths: dict[int, int] = {}

    def value(self, key) -> Fraction | float:
        i = self.plan.position(key)
        exact = Fraction(self.totals[i], self.plan[i].scale)
        return exact if self.dp is None else float(exact)

    def variance(self, key) -> float:
        i = self.plan.position(key)
        return self.variances[i] / self.plan[i].scale ** 2

    def half(self, key) -> float | None:
        """Half-width of one total's noise interval from the exact noise law, in its natural
        units (None without DP)."""
        if self.dp is None:
            return None
        i = self.plan.position(key)
        w = self._cal.weights[i]
        if w not in self._halfwidths:
            self._halfwidths[w] = halfwidth(float(self._cal.site_variance(i)), self.n_sites,
                                            self.confidence)
        return self._halfwidths[w] / self.plan[i].scale

    def propagate(self, func, keys: list) -> tuple[list, list | None]:
        """``func`` evaluated on the totals of ``keys``; with DP, the half-widths of its
        outputs by the delta method (central differences scaled to each total's noise)."""
        x = [self.value(k) for k in keys]
        y = func(x)
        if self.dp is None:
            return y, None
        z = NormalDist().inv_cdf(0.5 + self.confidence / 2.0)
        var_out = np.zeros(len(y))
        for j, k in enumerate(keys):
            sd = math.sqrt(self.variance(k))
            h = max(sd * 1e-3, abs(x[j]) * 1e-9, 1e-12)
            up, down = list(x), list(x)
            up[j] += h
            down[j] -= h
            fu, fd = func(up), func(down)
            for m in range(len(y)):
                if y[m] is None or fu[m] is None or fd[m] is None:
                    continue
                var_out[m] += ((fu[m] - fd[m]) / (2 * h)) ** 2 * sd ** 2
        return y, [z * math.sqrt(v) if y[m] is not None else None for m, v in enumerate(var_out)]


def _interval(value, half, lo=None, hi=None) -> tuple[float, float] | None:
    if half is None or value is None:
        return None
    a, b = float(value) - half, float(value) + half
    if lo is not None:
        a, b = max(a, lo), max(b, lo)
    if hi is not None:
        a, b = min(a, hi), min(b, hi)
    return (a, b)


def _clamp(x, lo=None, hi=None):
    if x is None:
        return None
    x = float(x)
    if lo is not None:
        x = max(x, lo)
    if hi is not None:
        x = min(x, hi)
    return x


# ---------------------------------------------------------------------- the analyses

def _with_group(label: str, group: str | None) -> str:
    return f"{label} ({group})" if group else label


def _count_figures(t: _Totals, spec: StudySpec, a: Analysis) -> list[Figure]:
    figures = []
    for need in needs(spec, a):
        key = need.parts["n"]
        n = t.value(key)
        label = "Number of records" if a.kind == COUNT else f"{a.variable} {need.level}"
        if a.kind == HISTOGRAM and spec.variable(a.variable).has_levels:
            label = f"{a.variable} is {need.level}"
        figures.append(Figure(_with_group(label, need.group), _clamp(n, 0), "",
                              _interval(n, t.half(key), 0)))
    return figures


def _sum_figures(t: _Totals, spec: StudySpec, a: Analysis) -> list[Figure]:
    var = spec.variable(a.variable)
    figures = []
    for need in needs(spec, a):
        key = need.parts["sum"]
        s = t.value(key)
        figures.append(Figure(_with_group(f"Sum of {var.name}", need.group), float(s), var.unit,
                              _interval(s, t.half(key))))
    return figures


def _moments(x, lo, hi, with_variance: bool) -> list:
    n, s = x[0], x[1]
    if n <= 0:
        return [None, None, None]
    mean = min(max(s / n, lo), hi)
    if not with_variance:
        return [mean, None, None]
    if n <= 1:
        return [mean, None, None]
    variance = max((x[2] - s * s / n) / (n - 1), 0)
    return [mean, variance, math.sqrt(variance)]


def _moment_figures(t: _Totals, spec: StudySpec, a: Analysis) -> list[Figure]:
    var = spec.variable(a.variable)
    lo, hi = (0, 1) if var.type != NUMBER else (var.lower, var.upper)
    figures = []
    with_variance = a.kind == VARIANCE
    for need in needs(spec, a):
        keys = [need.parts["n"], need.parts["sum"]] + ([need.parts["sumsq"]] if with_variance else [])
        (mean, variance, sd), half = t.propagate(
            lambda x: _moments(x, lo, hi, with_variance), keys)
        n = float(t.value(need.parts["n"]))
        note = "" if mean is not None else "Too few records to compute it."
        if not with_variance:
            figures.append(Figure(_with_group(f"Mean of {var.name}", need.group),
                                  _clamp(mean), var.unit,
                                  _interval(mean, half and half[0], lo, hi), True,
                                  max(n, 0.0), note))
            continue
        unit2 = f"{var.unit}²" if var.unit else ""
        var_interval = _interval(variance, half and half[1], 0)
        sd_interval = None if var_interval is None else tuple(math.sqrt(v) for v in var_interval)
        if variance is None:
            note = "Too few records to compute it."
        figures.append(Figure(_with_group(f"Variance of {var.name}", need.group),
                              _clamp(variance), unit2, var_interval, True, max(n, 0.0), note))
        figures.append(Figure(_with_group(f"Standard deviation of {var.name}", need.group),
                              _clamp(sd), var.unit, sd_interval, True, max(n, 0.0), note))
    return figures


def _solve(a: list[list], b: list[list]) -> list[list] | None:
    """A⁻¹B by Gauss–Jordan with partial pivoting; exact on Fractions. None if A is singular."""
    p, m = len(a), len(b[0])
    rows = [list(a[i]) + list(b[i]) for i in range(p)]
    scale = max((abs(v) for r in a for v in r), default=0) or 1
    for col in range(p):
        pivot = max(range(col, p), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0 or (isinstance(rows[pivot][col], float)
                                     and abs(rows[pivot][col]) < scale * 1e-13):
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        pv = rows[col][col]
        rows[col] = [v / pv for v in rows[col]]
        for r in range(p):
            if r != col and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [v - f * w for v, w in zip(rows[r], rows[col])]
    return [row[p:p + m] for row in rows]


def _matrix(x: list, p: int, offset: int = 0) -> list[list]:
    """The symmetric p×p matrix stored as its upper triangle in ``x[offset:]``."""
    out = [[0] * p for _ in range(p)]
    k = offset
    for i in range(p):
        for j in range(i, p):
            out[i][j] = out[j][i] = x[k]
            k += 1
    return out


def _linear(x: list, p: int) -> list:
    """[β…, standard errors…, R², residual SD] from [upper(XᵀX)…, Xᵀy…, yᵀy]."""
    tri = p * (p + 1) // 2
    xtx, xty, yty = _matrix(x, p), x[tri:tri + p], x[tri + p]
    n = xtx[0][0]
    empty = [None] * (2 * p + 2)
    if n <= p:
        return empty
    sol = _solve(xtx, [[v] + [1 if i == j else 0 for j in range(p)] for i, v in enumerate(xty)])
    if sol is None:
        return empty
    beta = [row[0] for row in sol]
    rss = yty - sum(b * c for b, c in zip(beta, xty))
    tss = yty - xty[0] * xty[0] / n
    sigma2 = max(rss, 0) / (n - p)
    se = [math.sqrt(max(float(sigma2 * sol[j][1 + j]), 0.0)) for j in range(p)]
    r2 = 1 - rss / tss if tss > 0 else None
    return beta + se + [r2, math.sqrt(float(sigma2))]


def chebyshev_quadratic(radius: float) -> tuple[float, float, float]:
    """(b0, b1, b2) of the degree-2 Chebyshev truncation of φ(s) = −log(1 + e^(−s)) on
    [−radius, radius] (coefficients by Gauss–Chebyshev quadrature)."""
    m = _CHEBYSHEV_NODES
    theta = np.pi * (np.arange(m) + 0.5) / m
    f = -np.logaddexp(0.0, -radius * np.cos(theta))
    c = [2.0 / m * float(np.sum(f * np.cos(k * theta))) for k in range(3)]
    c[0] /= 2.0
    # c0·T0 + c1·T1(u) + c2·T2(u) with u = s/R and T2(u) = 2u² − 1
    return c[0] - c[2], c[1] / radius, 2.0 * c[2] / radius ** 2


def _logistic(x: list, p: int, b1: float, b2: float) -> list:
    """[θ…, SD of the fitted linear predictor xᵀθ] from [upper(XᵀX)…, Xᵀy…]."""
    tri = p * (p + 1) // 2
    xtx, xty = _matrix(x, p), x[tri:tri + p]
    n = xtx[0][0]
    if n <= p:
        return [None] * (p + 1)
    t1 = [2 * xty[j] - xtx[j][0] for j in range(p)]
    sol = _solve(xtx, [[v] for v in t1])
    if sol is None:
        return [None] * (p + 1)
    theta = [-b1 / (2 * b2) * float(row[0]) for row in sol]
    mean = sum(float(xtx[j][0]) * theta[j] for j in range(p)) / float(n)
    square = sum(theta[i] * float(xtx[i][j]) * theta[j] for i in range(p) for j in range(p))
    return theta + [math.sqrt(max(square / float(n) - mean * mean, 0.0))]


def _regression(t: _Totals, spec: StudySpec, a: Analysis) -> AnalysisResult:
    [need] = needs(spec, a)
    p = len(a.predictors) + 1
    keys = [need.parts["xtx"][i][j] for i in range(p) for j in range(i, p)] + need.parts["xty"]
    names = ["Intercept"] + list(a.predictors)
    n_key = need.parts["xtx"][0][0]
    n = float(t.value(n_key))
    used = Figure("Records used", max(n, 0.0), "", _interval(n, t.half(n_key), 0))
    notes = []
    if a.kind == LINEAR:
        keys.append(need.parts["yty"])
        out, half = t.propagate(lambda x: _linear(x, p), keys)
        coefs = tuple(Coefficient(names[j], _clamp(out[j]), _clamp(out[p + j]),
                                  _interval(out[j], half and half[j])) for j in range(p))
        r2, sd = out[2 * p], out[2 * p + 1]
        figures = (Figure("R²", _clamp(r2), "", _interval(r2, half and half[2 * p]), True),
                   Figure("Residual standard deviation", _clamp(sd),
                          spec.variable(a.outcome).unit,
                          _interval(sd, half and half[2 * p + 1], 0), True),
                   used)
    else:
        radius = a.approximation_interval
        _, b1, b2 = chebyshev_quadratic(radius)
        out, half = t.propagate(lambda x: _logistic(x, p, b1, b2), keys)
        coefs = tuple(Coefficient(names[j], _clamp(out[j]), None,
                                  _interval(out[j], half and half[j])) for j in range(p))
        figures = (used,
                   Figure("Spread (standard deviation) of the fitted log-odds", _clamp(out[p]),
                          "", _interval(out[p], half and half[p], 0), True))
        notes.append(f"Coefficients on the log-odds scale, fitted in one round by a quadratic "
                     f"approximation of the log-likelihood on [−{radius:g}, {radius:g}] "
                     f"(PASS-GLM). The approximation is best when that interval is about twice "
                     f"the spread of the fitted log-odds; on test data it was then within about "
                     f"10% of the maximum-likelihood coefficients.")
    if coefs[0].estimate is None:
        notes.append("The regression could not be computed: too few records, or a predictor "
                     "that is constant or a combination of the others.")
    return AnalysisResult(a.title(), a.kind, figures, coefs, tuple(notes))


def finish(spec: StudySpec, study_plan: StatisticPlan, totals: list[int], n_sites: int,
           dp: DPSettings | None, *, confidence: float = DEFAULT_CONFIDENCE) -> StudyResult:
    """The study's figures from the decrypted totals (plan order) of ``n_sites`` sites."""
    if len(totals) != len(study_plan):
        raise InputError(f"The result has {len(totals):,} totals but the study's analyses need "
                         f"{len(study_plan):,}.")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in totals):
        raise InputError("The decrypted totals must be whole numbers.")
    if n_sites < spec.min_sites:
        raise InputError(f"Only {n_sites} sites contributed; the study needs at least "
                         f"{spec.min_sites}.")
    if not 0.5 <= confidence < 1:
        raise InputError("The confidence level must be from 50% to below 100%.")
    t = _Totals(study_plan, list(totals), dp, n_sites, confidence)
    results = []
    for a in spec.analyses:
        if a.kind in (COUNT, HISTOGRAM):
            results.append(AnalysisResult(a.title(), a.kind, tuple(_count_figures(t, spec, a))))
        elif a.kind == SUM:
            results.append(AnalysisResult(a.title(), a.kind, tuple(_sum_figures(t, spec, a))))
        elif a.kind in (MEAN, VARIANCE):
            results.append(AnalysisResult(a.title(), a.kind, tuple(_moment_figures(t, spec, a))))
        else:
            results.append(_regression(t, spec, a))
    return StudyResult(tuple(results), n_sites, dp, confidence, (describe(dp),))
