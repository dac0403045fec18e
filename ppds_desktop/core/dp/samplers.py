"""Exact samplers on the integers (Canonne, Kamath & Steinke 2020), vectorised with numpy.

Why exact: floating-point noise leaks through the gaps in its output (Mironov 2012), so every
probability here is decided by comparing uniform *integers* drawn from the CSPRNG, with the
parameters held as rationals (``fractions.Fraction``). The vectorised path runs the same
rejection steps on whole arrays of uint64 words; any lane whose numbers would not fit 64 bits is
finished by the scalar path in Python integers, so no lane is ever approximated.

Building blocks (all exact):
  * ``uniform_below(m)`` — rejection sampling from 64-bit words (no modulo bias);
  * Bernoulli(p/q) — ``U < p`` for ``U`` uniform in ``[0, q)``;
  * Bernoulli(exp(-γ)) for rational γ — Algorithm 1 of CKS: for γ in [0, 1) count successes of
    Bernoulli(γ/k), k = 1, 2, ...; the integer part of γ is ⌊γ⌋ independent Bernoulli(exp(-1));
  * discrete Laplace with scale t/s — CKS Algorithm 2;
  * discrete Gaussian with variance parameter σ² — CKS Algorithm 3 (proposal discrete Laplace
    with integer scale ⌊σ⌋+1, accepted with probability exp(-(|y| - σ²/t)² / 2σ²)).
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

import numpy as np

from ..errors import InputError
from .rng import Rng, default_rng, random_bits, random_uint64

_MAX64 = np.uint64(2 ** 64 - 1)
_ONE = np.uint64(1)
_CHUNK = 1 << 20
_VECTOR_LIMIT = 2 ** 62          # parameters below this run on the uint64 path


def as_fraction(value, name: str) -> Fraction:
    """A positive rational from an int, a decimal string or a float (taken as its decimal repr)."""
    try:
        frac = value if isinstance(value, Fraction) else Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{name} must be a positive number, got {value!r}") from None
    if frac <= 0:
        raise InputError(f"{name} must be positive, got {float(frac):g}")
    return frac


# ---------------------------------------------------------------- uniform integers and Bernoullis

def uniform_below(m, rng: Rng, size: int | None = None) -> np.ndarray:
    """Uniform integers in ``[0, m)`` (``m`` a positive int or uint64 array below 2**64)."""
    m = np.asarray(m, dtype=np.uint64)
    if size is None:
        size = m.size
    m = np.broadcast_to(m, (size,))
    out = np.empty(size, dtype=np.uint64)
    todo = np.arange(size)
    mm = m
    while todo.size:
        x = random_uint64(rng, todo.size)
        r = x % mm
        ok = (x - r) <= (_MAX64 - (mm - _ONE))     # x lies in a complete block of m values
        out[todo[ok]] = r[ok]
        todo = todo[~ok]
        mm = mm[~ok]
    return out


def _bernoulli_exp_minus_one(n: int, rng: Rng) -> np.ndarray:
    """``n`` draws of Bernoulli(exp(-1)): CKS Algorithm 1 with γ = 1 (k-th step is Bernoulli(1/k))."""
    k = np.full(n, 2, dtype=np.uint64)            # the first step, Bernoulli(1/1), always succeeds
    active = np.arange(n)
    while active.size:
        hit = uniform_below(k[active], rng) == 0
        active = active[hit]
        k[active] += _ONE
    return (k & _ONE) == _ONE


def _bernoulli_exp_fraction(r: np.ndarray, den: np.ndarray, rng: Rng) -> np.ndarray:
    """Bernoulli(exp(-r/den)) for uint64 arrays with 0 <= r < den.

    Step k needs Bernoulli(r / (den·k)). Writing a uniform integer of [0, den·k) as
    V·den + U with V uniform in [0, k) and U uniform in [0, den), it is below r < den exactly
    when V = 0 and U < r — so nothing ever exceeds 64 bits.
    """
    n = r.size
    k = np.ones(n, dtype=np.uint64)
    active = np.flatnonzero(r > 0)
    while active.size:
        hit = uniform_below(den[active], rng) < r[active]
        first = k[active] == _ONE
        if not first.all():
            later = ~first
            hit[later] &= uniform_below(k[active][later], rng) == 0
        active = active[hit]
        k[active] += _ONE
    return (k & _ONE) == _ONE


def bernoulli_exp(num, den, rng: Rng | None = None) -> np.ndarray:
    """Bernoulli(exp(-num/den)) for non-negative integer arrays ``num`` and positive ``den``
    (each below 2**64)."""
    rng = default_rng(rng)
    num = np.atleast_1d(np.asarray(num, dtype=np.uint64))
    den = np.broadcast_to(np.asarray(den, dtype=np.uint64), num.shape)
    q, r = num // den, num % den
    alive = np.ones(num.size, dtype=bool)
    todo = np.flatnonzero(q > 0)
    left = q.copy()
    while todo.size:                               # ⌊γ⌋ independent Bernoulli(exp(-1))
        ok = _bernoulli_exp_minus_one(todo.size, rng)
        alive[todo[~ok]] = False
        left[todo] -= _ONE
        todo = todo[ok & (left[todo] > 0)]
    idx = np.flatnonzero(alive)
    alive[idx] = _bernoulli_exp_fraction(r[idx], den[idx], rng)
    return alive


# ---------------------------------------------------------------- scalar reference (Python ints)

def _bern_scalar(p: int, q: int, rng: Rng) -> bool:
    return rng.randbelow(q) < p


def bernoulli_exp_scalar(num: int, den: int, rng: Rng) -> bool:
    """Bernoulli(exp(-num/den)) in Python integers (any size)."""
    whole, rest = divmod(num, den)
    for _ in range(whole):
        if not _exp1_scalar(rng):
            return False
    if rest == 0:
        return True
    k = 1
    while _bern_scalar(rest, den * k, rng):
        k += 1
    return k % 2 == 1


def _exp1_scalar(rng: Rng) -> bool:
    k = 1
    while _bern_scalar(1, k, rng):
        k += 1
    return k % 2 == 1


def discrete_laplace_scalar(t: int, s: int, rng: Rng) -> int:
    """One discrete Laplace draw with scale t/s (CKS Algorithm 2) in Python integers."""
    while True:
        u = rng.randbelow(t)
        if not bernoulli_exp_scalar(u, t, rng):
            continue
        v = 0
        while _exp1_scalar(rng):
            v += 1
        y = (u + t * v) // s
        negative = rng.randbelow(2) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


def discrete_gaussian_scalar(a: int, b: int, rng: Rng) -> int:
    """One discrete Gaussian draw with σ² = a/b (CKS Algorithm 3) in Python integers."""
    t = isqrt(a // b) + 1
    while True:
        y = discrete_laplace_scalar(t, 1, rng)
        c = abs(y) * b * t - a
        if bernoulli_exp_scalar(c * c, 2 * a * b * t * t, rng):
            return y


# ---------------------------------------------------------------- vectorised samplers

def _geometric_exp_minus_one(n: int, rng: Rng) -> np.ndarray:
    """Number of successes of Bernoulli(exp(-1)) before the first failure, per lane."""
    v = np.zeros(n, dtype=np.uint64)
    active = np.arange(n)
    while active.size:
        ok = _bernoulli_exp_minus_one(active.size, rng)
        active = active[ok]
        v[active] += _ONE
    return v


def _dlap_batch(t: int, s: int, n: int, rng: Rng) -> np.ndarray:
    """At most ``n`` discrete Laplace draws (the rejected lanes are dropped)."""
    u = uniform_below(t, rng, n)
    u = u[bernoulli_exp(u, np.uint64(t), rng)]
    v = _geometric_exp_minus_one(u.size, rng)
    if v.size and int(v.max()) * t + t >= _VECTOR_LIMIT:   # astronomically rare: stay exact
        x = np.array([int(a) + t * int(b) for a, b in zip(u, v)], dtype=object)
        y = np.array([int(e) // s for e in x], dtype=np.int64)
    else:
        y = ((u + np.uint64(t) * v) // np.uint64(s)).astype(np.int64)
    negative = random_bits(rng, y.size)
    keep = ~(negative & (y == 0))
    return np.where(negative, -y, y)[keep]


def discrete_laplace(scale, size: int, rng: Rng | None = None) -> np.ndarray:
    """``size`` i.i.d. draws with P(z) ∝ exp(-|z|/scale); ``scale`` is taken as an exact rational."""
    rng = default_rng(rng)
    frac = as_fraction(scale, "noise scale")
    t, s = frac.numerator, frac.denominator
    if t >= _VECTOR_LIMIT // 64 or s >= _VECTOR_LIMIT:
        return np.array([discrete_laplace_scalar(t, s, rng) for _ in range(size)], dtype=np.int64)
    return _fill(size, lambda n: _dlap_batch(t, s, n, rng), acceptance=0.5)


def _dgauss_batch(a: int, b: int, n: int, rng: Rng) -> np.ndarray:
    t = isqrt(a // b) + 1
    y = _dlap_batch(t, 1, n, rng)
    absy = np.abs(y)
    den = 2 * a * b * t * t
    bt = b * t
    # The acceptance exponent is c²/den with c = |y|·b·t - a. Lanes with |c| < 2**32 (and a
    # den below 2**63) run on uint64; the rest, far out in the tails or for a huge σ, in Python
    # integers.
    fast = np.zeros(y.size, dtype=bool)
    if den < 2 ** 63 and a < 2 ** 32:
        fast = absy < (a + 2 ** 32) // bt
    accept = np.empty(y.size, dtype=bool)
    if fast.any():
        c = np.abs(absy[fast] * np.int64(bt) - np.int64(a)).astype(np.uint64)
        accept[fast] = bernoulli_exp(c * c, np.uint64(den), rng)
    slow = np.flatnonzero(~fast)
    accept[slow] = [bernoulli_exp_scalar((int(absy[i]) * bt - a) ** 2, den, rng) for i in slow]
    return y[accept]


def discrete_gaussian(sigma2, size: int, rng: Rng | None = None) -> np.ndarray:
    """``size`` i.i.d. draws with P(z) ∝ exp(-z²/(2σ²)); ``sigma2`` (= σ²) is an exact rational."""
    rng = default_rng(rng)
    frac = as_fraction(sigma2, "noise variance")
    a, b = frac.numerator, frac.denominator
    return _fill(size, lambda n: _dgauss_batch(a, b, n, rng), acceptance=0.35)


def _fill(size: int, batch, *, acceptance: float) -> np.ndarray:
    """Call ``batch(n)`` until ``size`` accepted draws are collected (order is i.i.d. anyway)."""
    parts, have = [], 0
    while have < size:
        want = size - have
        n = min(_CHUNK, int(want / acceptance) + 16)
        got = batch(n)[:want]
        parts.append(got)
        have += got.size
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
