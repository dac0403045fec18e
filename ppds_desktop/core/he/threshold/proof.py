"""One zero-knowledge proof per holder that all its partial decryptions are correct.

Holder ``i`` publishes ``c_ij = c_j^(2Δ·s_i) mod n²`` for ciphertexts ``c_1 .. c_k`` and must
show, without revealing ``s_i``, that it used the same ``s_i`` as in its verification key
``v_i = v^(Δ·s_i)``. Working with squares (``c_j⁴`` and ``c_ij²``) puts everything in the group
``Q`` of squares of Z*_{n²}, which is cyclic of order ``n·p'·q'``: every prime factor of its
order is at least ``min(p', q') > 2^1000`` (for 2048-bit keys), so it has no small subgroups.

**Batching.** From a transcript binding the key (``n``, t, parties, ``v``, all ``v_j``), the
holder number ``i``, all ``k`` ciphertexts and all ``k`` partials, SHA-256 derives 128-bit
coefficients ``e_1 .. e_k``; then ``u = (Π c_j^e_j)⁴`` and ``w = (Π c_ij^e_j)²``. If every
partial is correct, ``w = u^(Δ·s_i)``. The holder proves ``log_u w = log_v v_i`` once
(Chaum–Pedersen, made non-interactive by Fiat–Shamir as in Damgård–Jurik):
``r`` uniform with ``|Δ·n²| + 256 + 128`` bits, ``a = u^r``, ``b = v^r``, challenge ``h`` =
SHA-256 of the transcript with ``u, w, a, b``, response ``z = r + h·Δ·s_i`` (over the integers).
The verifier recomputes ``e``, ``u``, ``w`` and ``h`` and checks ``u^z = a·w^h`` (the ciphertext
check) and ``v^z = b·v_i^h`` (the verification-key check).

*Why one proof covers all k partials.* Write ``δ_j = c_ij² · c_j^(−4Δ·s_i)`` in ``Q``; all
``δ_j = 1`` exactly when every partial is right, and ``w = u^(Δ·s_i) · Π δ_j^e_j``. A valid
proof shows (Chaum–Pedersen soundness in a group without small subgroups, challenge below its
smallest prime factor) that ``w = u^(Δ·s_i)``, i.e. ``Π δ_j^e_j = 1``. The coefficients are
hash outputs over a transcript that already contains every ``c_ij``, so the holder must fix its
partials before it learns them (random-oracle model). If some ``δ_j ≠ 1``, its order has only
prime factors above 2^128; fixing the other coefficients, at most one value of ``e_j`` in
[0, 2^128) makes the product 1. So each attempt (each hash query) succeeds with probability at
most 2^−128, and a holder that tries Q times at most Q·2^−128 — the same bound as checking the
k proofs one by one, for the cost of two multi-exponentiations with 128-bit exponents (~60 ms
for k = 350 at 2048 bits) instead of k proofs. Leaving ``i`` or the key out of the transcript
would let one holder's proof be replayed as another's.

*Zero knowledge.* ``r`` exceeds ``h·Δ·s_i`` by 128 bits, so ``z`` is statistically
independent of ``s_i`` (distance < 2^−128); ``a, b`` are simulated from ``z, h`` as usual.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Sequence

import gmpy2

from ..multiexp import product_of_powers
from .keys import KeyShare, ThresholdKey, is_unit
from .transcript import Transcript, derive_ints

DOMAIN = "PPDS threshold Paillier: partial decryption proof v1"
COEFFICIENT_BITS = 128
CHALLENGE_BITS = 256
HIDING_BITS = 128

CIPHERTEXT_CHECK = "ciphertext check"
VERIFICATION_KEY_CHECK = "verification-key check"
RANGE_CHECK = "range check"


@dataclass(frozen=True)
class Proof:
    a: gmpy2.mpz
    b: gmpy2.mpz
    z: gmpy2.mpz


def nonce_bits(key: ThresholdKey) -> int:
    return (key.delta * key.nsquare).bit_length() + CHALLENGE_BITS + HIDING_BITS


def statement(key: ThresholdKey, index: int, ciphertexts: Sequence[int],
              partials: Sequence[int]) -> bytes:
    """The digest every coefficient and the challenge are derived from."""
    w = key.width
    return (Transcript(DOMAIN).put("key", bytes.fromhex(key.key_id))
            .put_int("holder", index, 4)
            .put_ints("ciphertexts", ciphertexts, w)
            .put_ints("partials", partials, w).digest())


def combined_bases(key: ThresholdKey, seed: bytes, ciphertexts: Sequence[int],
                   partials: Sequence[int]) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """``u = (Π c_j^e_j)⁴`` and ``w = (Π c_ij^e_j)²`` with the derived coefficients ``e``."""
    n2 = key.nsquare
    e = derive_ints(seed, "batch coefficients", len(ciphertexts), COEFFICIENT_BITS)
    x = product_of_powers(ciphertexts, e, n2)
    y = product_of_powers(partials, e, n2)
    return gmpy2.powmod(x, 4, n2), y * y % n2


def challenge(key: ThresholdKey, seed: bytes, u, w, a, b) -> int:
    wd = key.width
    digest = (Transcript(DOMAIN + ": challenge").put("statement", seed)
              .put_int("u", u, wd).put_int("w", w, wd).put_int("a", a, wd).put_int("b", b, wd)
              .digest())
    return int.from_bytes(digest, "big") >> (256 - CHALLENGE_BITS)


def prove(share: KeyShare, ciphertexts: Sequence[int], partials: Sequence[int]) -> Proof:
    key = share.key
    n2 = key.nsquare
    seed = statement(key, share.index, ciphertexts, partials)
    u, w = combined_bases(key, seed, ciphertexts, partials)
    r = gmpy2.mpz(secrets.randbits(nonce_bits(key)))
    a = gmpy2.powmod(u, r, n2)
    b = gmpy2.powmod(key.verification_base, r, n2)
    h = challenge(key, seed, u, w, a, b)
    return Proof(a, b, r + h * key.delta * share.secret)


def failed_check(key: ThresholdKey, index: int, ciphertexts: Sequence[int],
                 partials: Sequence[int], proof: Proof) -> str | None:
    """The name of the first check the proof fails, or None when it holds."""
    n, n2 = key.n, key.nsquare
    if not (is_unit(proof.a, n) and is_unit(proof.b, n)
            and 0 <= proof.z < 1 << (nonce_bits(key) + 1)):
        return RANGE_CHECK
    seed = statement(key, index, ciphertexts, partials)
    u, w = combined_bases(key, seed, ciphertexts, partials)
    h = challenge(key, seed, u, w, proof.a, proof.b)
    if gmpy2.powmod(u, proof.z, n2) != proof.a * gmpy2.powmod(w, h, n2) % n2:
        return CIPHERTEXT_CHECK
    vk = key.verification_key(index)
    if gmpy2.powmod(key.verification_base, proof.z, n2) != proof.b * gmpy2.powmod(vk, h, n2) % n2:
        return VERIFICATION_KEY_CHECK
    return None
