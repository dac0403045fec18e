"""A proof that whoever made a batch of Paillier ciphertexts knows what they encrypt.

Why: in a study every site's contribution is sealed for every participant. Without this proof a
dishonest site could send as its own the inverse of two other sites' ciphertexts, re-randomised
(``(c_B·c_C)⁻¹·r^n``): the sum over A, B, C and itself would be A's statistics alone, and no
check on signatures, counts or the product could tell. Nobody can prove knowledge of the
plaintext of a ciphertext it did not make (that would decrypt it), so with the proof each
contribution is independent of the others'.

**Statement.** Ciphertexts ``c_1 … c_k`` under ``n`` (``g = n + 1``), bound to a context (for a
study: its id and hash, the round, the site, the key, the layout). **Witness.** ``m_j`` and
``r_j`` with ``c_j = (1 + n)^(m_j)·r_j^n mod n²``. The :class:`~.encrypt.Encryptor` makes
``r_j^n = h_s^(α_j)`` with ``h_s = h^n``, so ``r_j = h^(α_j) mod n`` and any product
``Π r_j^(e_j) = h^(Σ e_j·α_j)``: one exponentiation, whatever ``k``.

**Batched proof** (Damgård–Jurik's proof of knowledge of a plaintext, on a random linear
combination; non-interactive by Fiat–Shamir over ``threshold/transcript.py``):

- 128-bit coefficients ``e_j`` from the transcript of the context, ``n`` and every ``c_j``;
  ``C = Π c_j^(e_j)`` has plaintext ``M = Σ e_j·m_j mod n`` and randomness ``R = Π r_j^(e_j)``;
- the prover picks ``x`` uniform mod ``n`` and ``s`` a uniform unit mod ``n``,
  ``a = (1 + n)^x·s^n mod n²``; challenge ``h`` (256 bits) from the transcript, ``C`` and ``a``;
  ``z = x + h·M mod n``, ``w = s·R^h mod n``;
- the verifier recomputes ``e``, ``C``, ``h`` and checks ``0 ≤ z < n``, ``w`` a unit mod ``n``,
  ``a`` a unit mod ``n²`` and ``(1 + n)^z·w^n = a·C^h mod n²`` (``(1 + n)^n ≡ 1 mod n²``, so
  reducing ``z`` mod ``n`` changes nothing).

*Soundness.* Two accepting answers to challenges ``h ≠ h'`` for one ``a`` give
``(1 + n)^(z − z')·(w/w')^n = C^(h − h')``; every unit mod ``n²`` is ``(1 + n)^μ·ρ^n`` for one
``μ`` mod ``n``, so ``(h − h')·μ_C ≡ z − z' (mod n)`` and, ``h − h'`` being below both prime
factors, ``μ_C`` — the plaintext of ``C`` — is computable: the prover knows it. The coefficients
are fixed by the hash only after every ``c_j`` is, so a prover that can answer for many
coefficient vectors knows every ``m_j`` (from k independent combinations). *Zero knowledge.*
``z`` is uniform mod ``n`` and ``w`` a uniform unit whatever ``M`` and ``R`` are; ``a`` follows
from them and ``h``: nothing about the plaintexts leaks.

Binary form: ``PPDSPOK1`` | ``a`` (2 × key bytes) | ``z`` | ``w`` (key bytes each).
"""

from __future__ import annotations

import secrets
from typing import Sequence

import gmpy2

from ..errors import CryptoError
from .keys import key_bytes
from .multiexp import product_of_powers
from .threshold.keys import is_unit
from .threshold.transcript import Transcript, derive_ints

MAGIC = b"PPDSPOK1"
DOMAIN = "PPDS Paillier: proof of plaintext knowledge v1"
COEFFICIENT_BITS = 128
CHALLENGE_BITS = 256


def _statement(public_key, context: bytes, ciphertexts: Sequence[int]) -> bytes:
    width = key_bytes(public_key)
    return (Transcript(DOMAIN).put("context", context).put_int("n", public_key.n, width)
            .put_ints("ciphertexts", ciphertexts, 2 * width).digest())


def _combined(n2, seed: bytes, ciphertexts: Sequence[int]) -> tuple[gmpy2.mpz, list[int]]:
    e = derive_ints(seed, "coefficients", len(ciphertexts), COEFFICIENT_BITS)
    return product_of_powers(ciphertexts, e, n2), e


def _challenge(public_key, seed: bytes, combined, a) -> int:
    width = 2 * key_bytes(public_key)
    digest = (Transcript(DOMAIN + ": challenge").put("statement", seed)
              .put_int("C", combined, width).put_int("a", a, width).digest())
    return int.from_bytes(digest, "big") >> (256 - CHALLENGE_BITS)


def prove(public_key, context: bytes, ciphertexts: Sequence[int], plaintexts: Sequence[int],
          root, exponents: Sequence[int]) -> bytes:
    """The proof for ciphertexts the caller's :class:`~.encrypt.Encryptor` made from
    ``plaintexts`` (taken mod n), with its ``randomizer_root`` and the ``exponents`` it
    listed."""
    if not len(ciphertexts) == len(plaintexts) == len(exponents):
        raise CryptoError("A proof of plaintext knowledge needs one plaintext and one exponent "
                          "per ciphertext.")
    n = gmpy2.mpz(public_key.n)
    n2 = n * n
    seed = _statement(public_key, context, ciphertexts)
    combined, e = _combined(n2, seed, ciphertexts)
    big_m = sum(ei * int(m) for ei, m in zip(e, plaintexts)) % n
    big_r = gmpy2.powmod(root, sum(ei * int(a) for ei, a in zip(e, exponents)), n)
    x = gmpy2.mpz(secrets.randbelow(int(n)))
    while True:
        s = gmpy2.mpz(secrets.randbelow(int(n) - 1) + 1)
        if gmpy2.gcd(s, n) == 1:
            break
    a = (1 + x * n) * gmpy2.powmod(s, n, n2) % n2
    h = _challenge(public_key, seed, combined, a)
    z = (x + h * big_m) % n
    w = s * gmpy2.powmod(big_r, h, n) % n
    width = key_bytes(public_key)
    return (MAGIC + int(a).to_bytes(2 * width, "big") + int(z).to_bytes(width, "big")
            + int(w).to_bytes(width, "big"))


def verify(public_key, context: bytes, ciphertexts: Sequence[int], proof: bytes) -> bool:
    """True when ``proof`` shows knowledge of every plaintext of ``ciphertexts`` in
    ``context``; False for anything else (malformed, another context, other ciphertexts)."""
    width = key_bytes(public_key)
    if not isinstance(proof, (bytes, bytearray)) or len(proof) != len(MAGIC) + 4 * width \
            or proof[:len(MAGIC)] != MAGIC:
        return False
    body = proof[len(MAGIC):]
    a = gmpy2.mpz(int.from_bytes(body[:2 * width], "big"))
    z = gmpy2.mpz(int.from_bytes(body[2 * width:3 * width], "big"))
    w = gmpy2.mpz(int.from_bytes(body[3 * width:], "big"))
    n = gmpy2.mpz(public_key.n)
    n2 = n * n
    if not (is_unit(a, n) and 0 <= z < n and 0 < w < n and gmpy2.gcd(w, n) == 1):
        return False
    if not ciphertexts or not all(is_unit(c, n) for c in ciphertexts):
        return False
    seed = _statement(public_key, context, ciphertexts)
    combined, _e = _combined(n2, seed, ciphertexts)
    h = _challenge(public_key, seed, combined, a)
    left = (1 + z * n) * gmpy2.powmod(w, n, n2) % n2
    return left == a * gmpy2.powmod(combined, h, n2) % n2
