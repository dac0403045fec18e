"""The key ceremony: safe primes, the shared decryption exponent, verification keys, a record.

This is a **trusted-dealer** ceremony (Shoup 2000; Damgård–Jurik 2001): the one computer that
runs it sees ``p`` and ``q`` and could keep them; everyone else trusts that it did not. It

1. finds safe primes ``p = 2p' + 1``, ``q = 2q' + 1`` (``safe_primes.py``); ``n = pq``,
   ``m = p'q'``; the public key is an ordinary Paillier key with ``g = n + 1``;
2. sets ``d = m · (m⁻¹ mod n)``, so ``d ≡ 0 (mod m)`` and ``d ≡ 1 (mod n)``;
3. shares ``d`` with Shamir's scheme of degree ``t − 1`` modulo ``n·m``:
   ``f(X) = d + a_1 X + … + a_(t−1) X^(t−1)``, ``a_k`` uniform in [0, n·m), ``s_i = f(i) mod n·m``
   for holders ``i = 1 … parties``; combination uses Lagrange coefficients scaled by
   ``Δ = parties!`` so holders never need ``n·m`` (which would reveal the factors);
4. picks the verification base ``v = r² mod n²`` (a random square; it generates the squares
   with overwhelming probability) and the verification keys ``v_i = v^(Δ·s_i) mod n²``;
5. drops ``p, q, p', q', m, d`` and the polynomial.

*What "dropped" means in Python.* CPython's integers (and gmpy2's) are immutable and cannot be
overwritten in place; the ceremony keeps them only in local variables, empties the coefficient
list and deletes every name as soon as the shares exist, and closes the prime-search worker
processes. The memory is then free but not zeroed until reused; a swap file or a core dump
taken during the ceremony could still hold the primes. Run the ceremony on a machine you trust
and close the program afterwards.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import gmpy2
import phe

from ...errors import CryptoError
from ...progress import TaskState, ensure_task
from ..keys import KEY_SIZES
from ..pool import DEFAULT_WORKERS
from .keys import CeremonyRecord, KeyShare, ThresholdKey, check_sizes
from .safe_primes import is_safe_prime, safe_prime_pair


@dataclass(frozen=True)
class Ceremony:
    key: ThresholdKey
    shares: tuple              # KeyShare for holders 1 .. parties, in order

    @property
    def record(self) -> CeremonyRecord:
        return self.key.record


def run_ceremony(threshold: int, parties: int, *, operator: str, operator_fingerprint: str = "",
                 bits: int = 2048, workers: int = DEFAULT_WORKERS,
                 task: TaskState | None = None) -> Ceremony:
    """A fresh split key: ``threshold`` of ``parties`` holders are needed to decrypt."""
    task = ensure_task(task)
    if bits < 512 or bits % 256:          # sizes below 2048 exist for tests only, as for phe keys
        raise CryptoError(f"Paillier key size {bits} bits is not supported; "
                          f"choose one of {', '.join(map(str, KEY_SIZES))}.")
    check_sizes(threshold, parties)
    _check_operator(operator)
    started = time.monotonic()
    p, q = safe_prime_pair(bits, workers=workers, task=task.sub(0.0, 0.9))
    try:
        return deal(p, q, threshold, parties, operator=operator,
                    operator_fingerprint=operator_fingerprint, started=started,
                    task=task.sub(0.9, 1.0))
    finally:
        del p, q


def deal(p: int, q: int, threshold: int, parties: int, *, operator: str,
         operator_fingerprint: str = "", rand: Callable[[int], int] = secrets.randbelow,
         started: float | None = None, task: TaskState | None = None) -> Ceremony:
    """Steps 2–5 from given safe primes. ``rand(k)`` must return a uniform integer in [0, k)
    (the OS CSPRNG; tests pass a seeded one for known answers)."""
    task = ensure_task(task)
    started = time.monotonic() if started is None else started
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    check_sizes(threshold, parties)
    _check_operator(operator)
    p, q = gmpy2.mpz(p), gmpy2.mpz(q)
    if p == q or not (is_safe_prime(p) and is_safe_prime(q)):
        raise CryptoError("The key ceremony needs two different safe primes.")
    pp, qq = (p - 1) // 2, (q - 1) // 2
    if parties >= min(pp, qq):
        raise CryptoError("The primes are too small for this many key-share holders.")
    n = p * q
    n2 = n * n
    m = pp * qq
    nm = n * m
    d = m * gmpy2.invert(m, n)
    coefficients = [d] + [gmpy2.mpz(rand(int(nm))) for _ in range(threshold - 1)]
    secrets_ = []
    for i in range(1, parties + 1):
        acc = gmpy2.mpz(0)
        for a in reversed(coefficients):
            acc = (acc * i + a) % nm
        secrets_.append(acc)
    coefficients.clear()
    del p, q, pp, qq, m, d, nm, coefficients
    while True:
        r = gmpy2.mpz(rand(int(n2)))
        if r > 1 and gmpy2.gcd(r, n) == 1:
            break
    v = r * r % n2
    del r
    delta = math.factorial(parties)
    keys = []
    for i, s in enumerate(secrets_):
        task.report(i / parties, "making the verification keys")
        keys.append(gmpy2.powmod(v, delta * s, n2))
    record = CeremonyRecord(operator.strip(), operator_fingerprint.strip(), created,
                            int(n.bit_length()), threshold, parties,
                            round(time.monotonic() - started, 2))
    key = ThresholdKey(phe.PaillierPublicKey(int(n)), threshold, parties, v, tuple(keys), record)
    shares = tuple(KeyShare(key, i, s) for i, s in enumerate(secrets_, 1))
    secrets_.clear()
    task.report(1.0, "split key made")
    return Ceremony(key, shares)


def _check_operator(operator: str) -> None:
    if not isinstance(operator, str) or not operator.strip():
        raise CryptoError("The key ceremony needs the name of the person running it.")
