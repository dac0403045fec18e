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


# ---------------------------------------------------------------- one variance per draw

def _bernoulli_wide(p_hi: np.ndarray, rem: list[int], den: list[int], rng: Rng) -> np.ndarray:
    """Bernoulli(r/d) per lane for r < d of any size, given ``p_hi = ⌊r·2⁶⁴/d⌋`` and
    ``rem = r·2⁶⁴ − p_hi·d``. A uniform U = (W + U')/2⁶⁴ with W a 64-bit word is below r/d
    exactly when W < p_hi, or W = p_hi and U' < rem/d; the tie (probability 2⁻⁶⁴) is settled
    in Python integers."""
    w = random_uint64(rng, p_hi.size)
    out = w < p_hi
    for i in np.flatnonzero(w == p_hi):
        out[i] = rng.randbelow(den[i]) < rem[i]
    return out


def bernoulli_exp_wide(num: list[int], den: list[int], rng: Rng | None = None) -> np.ndarray:
    """Bernoulli(exp(-num[i]/den[i])) per lane for Python integers of any size, vectorised:
    CKS Algorithm 1 on the fractional part with :func:`_bernoulli_wide`, and one
    Bernoulli(exp(-1)) per unit of the integer part."""
    rng = default_rng(rng)
    n = len(num)
    whole, p_hi, rem = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.uint64), [0] * n
    fraction = np.zeros(n, dtype=bool)
    for i, (a, d) in enumerate(zip(num, den)):
        q, r = divmod(a, d)
        whole[i] = min(q, 2 ** 62)      # reaching 2⁶² successes has probability e^(−2⁶²)
        hi, rem[i] = divmod(r << 64, d)
        p_hi[i] = hi
        fraction[i] = r > 0
    alive = np.ones(n, dtype=bool)
    todo = np.flatnonzero(whole > 0)
    while todo.size:                                   # ⌊γ⌋ independent Bernoulli(exp(-1))
        ok = _bernoulli_exp_minus_one(todo.size, rng)
        alive[todo[~ok]] = False
        whole[todo] -= 1
        todo = todo[ok & (whole[todo] > 0)]
    k = np.ones(n, dtype=np.uint64)                    # the fractional part, CKS Algorithm 1
    active = np.flatnonzero(alive & fraction)
    while active.size:
        hit = _bernoulli_wide(p_hi[active], [rem[i] for i in active], [den[i] for i in active],
                              rng)
        later = k[active] > _ONE
        if later.any():                                # Bernoulli(r/(d·k)) = [V = 0]·Bern(r/d)
            hit[later] &= uniform_below(k[active][later], rng) == 0
        active = active[hit]
        k[active] += _ONE
    alive &= (k & _ONE) == _ONE
    return alive


def _dlap_lanes(t: np.ndarray, rng: Rng) -> tuple[np.ndarray, np.ndarray]:
    """One discrete Laplace attempt per lane with integer scale ``t[i]`` (uint64 below 2⁵⁶):
    the draws and which lanes were accepted (CKS Algorithm 2, vectorised over the scales)."""
    u = uniform_below(t, rng)
    ok = bernoulli_exp(u, t, rng)
    y = np.zeros(t.size, dtype=np.int64)
    idx = np.flatnonzero(ok)
    v = _geometric_exp_minus_one(idx.size, rng)
    tt = t[idx]
    if v.size and int(v.max()) * int(tt.max()) + int(tt.max()) >= _VECTOR_LIMIT:
        big = [int(a) + int(s) * int(b) for a, s, b in zip(u[idx], tt, v)]   # never: 40σ ≪ 2⁶²
        ok[idx] = [x < _VECTOR_LIMIT for x in big]
        y[idx] = [x if x < _VECTOR_LIMIT else 0 for x in big]
    else:
        y[idx] = (u[idx] + tt * v).astype(np.int64)
    negative = random_bits(rng, y.size)
    ok &= ~(negative & (y == 0))
    return np.where(negative, -y, y), ok


def discrete_gaussian_mixed(sigma2s, which, rng: Rng | None = None) -> np.ndarray:
    """Independent draws, draw ``i`` from N_Z(0, sigma2s[which[i]]): many variances in one
    vectorised pass (CKS Algorithm 3 per lane). Acceptance ratios that fit 64 bits run on
    uint64; wider ones (large σ²) through :func:`bernoulli_exp_wide` — exact either way."""
    rng = default_rng(rng)
    fractions = [as_fraction(s, "noise variance") for s in sigma2s]
    a = [f.numerator for f in fractions]
    b = [f.denominator for f in fractions]
    t = [isqrt(ai // bi) + 1 for ai, bi in zip(a, b)]
    if any(ti >= _VECTOR_LIMIT // 64 for ti in t):
        raise InputError("a noise variance above 10³² is not supported")
    which = np.asarray(which, dtype=np.int64)
    t_of = np.array(t, dtype=np.uint64)
    small = np.array([ai < 2 ** 32 and 2 * ai * bi * ti * ti < 2 ** 63
                      for ai, bi, ti in zip(a, b, t)], dtype=bool)
    a_small = np.array([ai if s else 0 for ai, s in zip(a, small)], dtype=np.int64)
    bt_small = np.array([bi * ti if s else 1 for bi, ti, s in zip(b, t, small)], dtype=np.int64)
    den_small = np.array([2 * ai * bi * ti * ti if s else 1
                          for ai, bi, ti, s in zip(a, b, t, small)], dtype=np.uint64)
    out = np.zeros(which.size, dtype=np.int64)
    todo = np.arange(which.size)
    while todo.size:
        # independent attempts per lane at once (more once few lanes are left); a lane takes
        # its first accepted one, which is exactly what trying them one by one would give
        attempts = 3 if todo.size > 2000 else 12
        k = np.repeat(which[todo], attempts)
        y, accept = _dlap_lanes(t_of[k], rng)
        absy = np.abs(y)
        fast = np.flatnonzero(accept & small[k])
        kf = k[fast]
        fast = fast[absy[fast] < (a_small[kf] + 2 ** 32) // bt_small[kf]]
        if fast.size:
            kf = k[fast]
            c = np.abs(absy[fast] * bt_small[kf] - a_small[kf]).astype(np.uint64)
            accept[fast] = bernoulli_exp(c * c, den_small[kf], rng)
        is_fast = np.zeros(k.size, dtype=bool)
        is_fast[fast] = True
        wide = np.flatnonzero(accept & ~is_fast)
        if wide.size:
            nums, dens = [], []
            for j in wide:
                kk = int(k[j])
                c = int(absy[j]) * b[kk] * t[kk] - a[kk]
                nums.append(c * c)
                dens.append(2 * a[kk] * b[kk] * t[kk] * t[kk])
            accept[wide] = bernoulli_exp_wide(nums, dens, rng)
        accept = accept.reshape(todo.size, attempts)
        done = accept.any(axis=1)
        first = accept.argmax(axis=1)
        picked = y.reshape(todo.size, attempts)[np.arange(todo.size), first]
        out[todo[done]] = picked[done]
        todo = todo[~done]
    return out
