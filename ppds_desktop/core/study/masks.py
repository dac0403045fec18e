"""Pairwise masks between sites, so that even t colluding key-share holders see only noise.

Without masks, ``t`` holders who work together can decrypt any single contribution they hold
(they hold every site's ciphertexts). With masks, each pair of sites ``i < j`` (ordered by
fingerprint) shares a secret ``k_ij``: X25519 between the two sites' *identity* keys (each
computes it from its own private key and the other's public key in the signed study
definition), through HKDF-SHA256 with the study hash as salt and both fingerprints as info. From
``k_ij`` and the round number, SHAKE-256 expands one number ``r_ij,c`` per ciphertext ``c``,
uniform modulo the Paillier modulus ``n`` (``|n| + 128`` bits reduced mod ``n``: statistically
uniform). Site ``i`` adds ``Σ_{j>i} r_ij,c − Σ_{j<i} r_ji,c`` (mod n) to its packed plaintext
``c`` before encrypting it. Every ``r`` appears once with each sign, so over *all* sites of the
study the masks cancel exactly (mod n) and the decrypted sum is unchanged; any proper subset of
the sites decrypts to a value uniform mod n. One site's masked plaintext is uniform mod n for
anyone who does not know all of that site's pair secrets, i.e. anyone but a coalition of all
the *other* sites.

Consequences written into the protocol: with masks, a request must combine every site of the
study (a dropout leaves the masks uncancelled: the round has to be done again); masks are bound
to the round, so two rounds never share a mask; a site sends at most one contribution per round
(two under the same masks would differ by exactly the difference of their data).
"""

from __future__ import annotations

import hashlib
import struct

import gmpy2
from Crypto.Protocol.DH import key_agreement

from ..bundle.crypto import hkdf_sha256
from ..identity import keys as idkeys
from .definition import StudyDefinition
from .errors import StudyError

INFO = b"PPDS study pairwise mask v1\x00"
EXTRA_BITS = 128


def pair_secret(definition: StudyDefinition, own: idkeys.KeyPairs, other_fp: str) -> bytes:
    """``k_ij``: the same 32 bytes at both sites of the pair."""
    other = definition.participant(other_fp)
    if other is None or not other.site:
        raise StudyError("Masks are shared with the study's sites only.")
    shared = key_agreement(static_priv=idkeys.x25519_private_key(own.enc_private),
                           static_pub=idkeys.x25519_public_key(other.enc_public),
                           kdf=lambda x: x)
    low, high = sorted((own.fingerprint, other_fp))
    return hkdf_sha256(shared, bytes.fromhex(definition.study_hash),
                       INFO + low.encode() + b"\x00" + high.encode())


def pair_stream(secret: bytes, round_no: int, count: int, n: int) -> list[int]:
    """``count`` numbers uniform mod ``n`` from one pair secret, for one round."""
    width = (n.bit_length() + EXTRA_BITS + 7) // 8
    raw = hashlib.shake_256(INFO + secret + struct.pack(">Q", round_no)).digest(width * count)
    return [int.from_bytes(raw[i:i + width], "big") % n for i in range(0, width * count, width)]


def site_mask(definition: StudyDefinition, own: idkeys.KeyPairs, round_no: int, count: int
              ) -> list[int]:
    """The mask this site adds (mod n) to its ``count`` packed plaintexts in ``round_no``."""
    me = own.fingerprint
    if definition.participant(me) is None or not definition.participant(me).site:
        raise StudyError("Only a site of the study adds a mask.")
    n = gmpy2.mpz(definition.key.public_key.n)
    total = [gmpy2.mpz(0)] * count
    for other in definition.sites:
        if other.fingerprint == me:
            continue
        stream = pair_stream(pair_secret(definition, own, other.fingerprint), round_no, count,
                             int(n))
        sign = 1 if me < other.fingerprint else -1
        total = [(t + sign * r) % n for t, r in zip(total, stream)]
    return [int(t) for t in total]


def apply_mask(plaintexts: list[int], mask: list[int], n: int) -> list[int]:
    """Masked plaintexts as signed integers in (−n/2, n/2], what the encryptor takes."""
    half = n // 2
    out = []
    for m, r in zip(plaintexts, mask):
        x = (int(m) + r) % n
        out.append(x - n if x > half else x)
    return out
