"""Combining t checked partial decryptions into plaintexts; the :class:`Decryptor` of a split key.

For a set ``S`` of ``t`` holders, ``λ_i = Δ · Π_{j ∈ S, j ≠ i} j / (j − i)`` is an integer
(Δ = parties! cancels every denominator) and ``Σ_{i∈S} λ_i·s_i ≡ Δ·f(0) = Δ·d`` modulo
``n·p'q'``, the order of the squares. Hence ``c' = Π_{i∈S} c_i^(2λ_i) = c^(4Δ²·d) mod n²``.
With ``c = (1 + n)^M · r^n``: ``d ≡ 0 (mod p'q')`` removes ``r^n`` (its order divides
``2p'q'``) and ``d ≡ 1 (mod n)`` leaves ``(1 + n)^(4Δ²·M) = 1 + 4Δ²·M·n``, so
``M = L(c') · (4Δ²)⁻¹ mod n`` with ``L(x) = (x − 1) / n``.

Every answer is checked first (``partial.check_partial``); those that fail are named and left
out, and the ``t`` valid ones with the lowest holder numbers are used.

*Fewer than t reveal nothing.* Any ``t − 1`` shares are uniform and independent of ``d``: the
map from the ``t − 1`` random coefficients to the ``t − 1`` shares is a Vandermonde system whose
determinant (products of holder numbers and their differences, all below every prime factor of
``n·p'q'``) is invertible. So ``t − 1`` partials ``c^(2Δ·s_i)`` are distributed exactly like
powers of ``c`` with random exponents, which anyone can compute from ``c`` alone: they add
nothing to the ciphertext, whose plaintext stays hidden (decisional composite residuosity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import gmpy2
import phe

from ...errors import CryptoError
from ...progress import TaskState, ensure_task
from ..pool import DEFAULT_WORKERS
from ..threads import map_threads
from .keys import ThresholdKey
from .partial import (DUPLICATE_CHECK, PartialDecryption, Rejection, check_partial,
                      check_ciphertexts, ciphertext_digest)


def lagrange_at_zero(indices: Sequence[int], delta: int) -> dict[int, int]:
    """``λ_i = Δ · Π_{j ≠ i} j / (j − i)`` for each holder number in ``indices`` (integers)."""
    out = {}
    for i in indices:
        num, den = delta, 1
        for j in indices:
            if j != i:
                num *= j
                den *= j - i
        if num % den:
            raise CryptoError("Δ does not clear the Lagrange denominators for these holders.")
        out[i] = num // den
    return out


def combine_shares(key: ThresholdKey, partials: dict[int, Sequence[int]],
                   task: TaskState | None = None) -> list[int]:
    """Plaintexts in [0, n) from the (already checked) partials of exactly ``t`` holders."""
    task = ensure_task(task)
    if len(partials) != key.threshold:
        raise CryptoError(f"Exactly {key.threshold} holders' partial decryptions are combined; "
                          f"{len(partials)} were given.")
    n, n2, delta = key.n, key.nsquare, key.delta
    lam = lagrange_at_zero(sorted(partials), delta)
    inverse = gmpy2.invert(4 * delta * delta, n)
    count = len(next(iter(partials.values())))
    out = []
    for j in range(count):
        if j % 200 == 0:
            task.report(j / max(count, 1), "combining partial decryptions")
        up, down = gmpy2.mpz(1), gmpy2.mpz(1)
        for i, coefficient in lam.items():
            if coefficient > 0:
                up = up * gmpy2.powmod(partials[i][j], 2 * coefficient, n2) % n2
            else:
                down = down * gmpy2.powmod(partials[i][j], -2 * coefficient, n2) % n2
        combined = up * gmpy2.invert(down, n2) % n2
        if (combined - 1) % n:
            raise CryptoError("The partial decryptions do not combine into a plaintext; nothing "
                              "was decrypted.")
        out.append(int((combined - 1) // n * inverse % n))
    return out


@dataclass(frozen=True)
class Combination:
    plaintexts: list
    used: tuple            # holder numbers whose answers were combined
    rejected: tuple        # Rejection per answer left out


def combine(key: ThresholdKey, ciphertexts: Sequence[int], answers: Sequence[PartialDecryption],
            *, workers: int = DEFAULT_WORKERS, task: TaskState | None = None) -> Combination:
    """Check every answer (on ``workers`` threads), leave out and name the bad ones, and
    combine ``t`` good ones."""
    task = ensure_task(task)
    cts = [gmpy2.mpz(c) for c in ciphertexts]
    check_ciphertexts(key, cts)
    digest = ciphertext_digest(key, cts)
    problems = map_threads(lambda answer: check_partial(key, cts, answer, digest), answers,
                           workers, task.sub(0.0, 0.8), "checking the proofs")
    valid: dict[int, PartialDecryption] = {}
    rejected: list[Rejection] = []
    for answer, problem in zip(answers, problems):
        if answer.index in valid:
            rejected.append(Rejection(answer.index, DUPLICATE_CHECK))
        elif problem is None:
            valid[answer.index] = answer
        else:
            rejected.append(problem)
    if len(valid) < key.threshold:
        reasons = " ".join(r.message for r in rejected)
        raise CryptoError(f"Only {len(valid)} valid partial decryptions of the {key.threshold} "
                          f"needed; nothing was decrypted.{' ' + reasons if reasons else ''}")
    used = tuple(sorted(valid)[:key.threshold])
    plaintexts = combine_shares(key, {i: valid[i].partials for i in used}, task.sub(0.8, 1.0))
    task.report(1.0, "decrypted")
    return Combination(plaintexts, used, tuple(rejected))


class ThresholdDecryption:
    """The ``Decryptor`` of a split key: plaintexts from the holders' checked answers.

    ``decrypt_raw`` checks each answer against exactly the ciphertexts it is given, so the
    rest of the engine (``EncryptedArray.decrypt_slots``, ``decrypt_vector``) works unchanged.
    After a call, ``used`` and ``rejected`` say whose answers counted and whose were left out.
    """

    def __init__(self, key: ThresholdKey, answers: Sequence[PartialDecryption], *,
                 workers: int = DEFAULT_WORKERS):
        self.key = key
        self.workers = workers
        self.public_key: phe.PaillierPublicKey = key.public_key
        self.answers = list(answers)
        self.used: tuple = ()
        self.rejected: tuple = ()

    def decrypt_raw(self, ciphertexts: Sequence[int], task: TaskState | None = None) -> list[int]:
        result = combine(self.key, ciphertexts, self.answers, workers=self.workers, task=task)
        self.used, self.rejected = result.used, result.rejected
        return result.plaintexts
