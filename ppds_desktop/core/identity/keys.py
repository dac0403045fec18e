"""An identity's key pairs and the fingerprint people compare to trust each other's keys.

Two keys per identity, as in age/OpenPGP practice, so that signing and encryption never share a
key: Ed25519 (RFC 8032) signs identity cards and bundles, X25519 receives HPKE-wrapped file keys.
Both private keys are 32-byte seeds kept only in the vault's ``identity`` table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from Crypto.Protocol.DH import import_x25519_private_key, import_x25519_public_key
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa

from ..errors import CryptoError

FINGERPRINT_LABEL = b"PPDS identity fingerprint v1\x00"
FINGERPRINT_GROUPS = 12
FINGERPRINT_GROUP_DIGITS = 5


def fingerprint(sign_public: bytes, enc_public: bytes) -> str:
    """60 decimal digits in 12 groups of 5, from SHA-512 over both public keys.

    Digits (not hex) because people read them aloud over the phone; each group is 5 bytes of the
    hash taken mod 100000, so the whole code carries about 199 bits and cannot be ground.
    The same two keys give the same code on every machine, so both sides see identical text.
    """
    if len(sign_public) != 32 or len(enc_public) != 32:
        raise CryptoError("A fingerprint needs two 32-byte public keys.")
    digest = hashlib.sha512(FINGERPRINT_LABEL + sign_public + enc_public).digest()
    groups = []
    for i in range(FINGERPRINT_GROUPS):
        value = int.from_bytes(digest[5 * i:5 * i + 5], "big") % 10 ** FINGERPRINT_GROUP_DIGITS
        groups.append(f"{value:0{FINGERPRINT_GROUP_DIGITS}d}")
    return " ".join(groups)


def fingerprint_lines(fp: str) -> str:
    """The fingerprint as three lines of four groups, the way both screens show it."""
    groups = fp.split()
    return "\n".join(" ".join(groups[i:i + 4]) for i in range(0, len(groups), 4))


def normalise_fingerprint(text: str) -> str:
    """Accept a fingerprint typed with any spacing or dashes; return the canonical spaced form."""
    digits = "".join(ch for ch in text if ch.isdigit())
    n = FINGERPRINT_GROUPS * FINGERPRINT_GROUP_DIGITS
    if len(digits) != n:
        raise CryptoError(f"A fingerprint has {n} digits; {len(digits)} were given.")
    step = FINGERPRINT_GROUP_DIGITS
    return " ".join(digits[i:i + step] for i in range(0, n, step))


def sign(seed: bytes, message: bytes) -> bytes:
    """Pure Ed25519 (RFC 8032) signature, 64 bytes."""
    return eddsa.new(ECC.construct(curve="Ed25519", seed=seed), "rfc8032").sign(message)


def verify(sign_public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        key = eddsa.import_public_key(sign_public)
        eddsa.new(key, "rfc8032").verify(message, signature)
        return True
    except (ValueError, TypeError):
        return False


def ed25519_public(seed: bytes) -> bytes:
    return ECC.construct(curve="Ed25519", seed=seed).public_key().export_key(format="raw")


def x25519_private_key(private: bytes) -> ECC.EccKey:
    return import_x25519_private_key(private)


def x25519_public_key(public: bytes) -> ECC.EccKey:
    try:
        return import_x25519_public_key(public)
    except ValueError as exc:
        raise CryptoError("Not a valid X25519 public key.") from exc


def x25519_public(private: bytes) -> bytes:
    return import_x25519_private_key(private).public_key().export_key(format="raw")


@dataclass(frozen=True)
class KeyPairs:
    """The private half of an identity: Ed25519 seed and X25519 private key (32 bytes each)."""

    sign_private: bytes
    enc_private: bytes

    @classmethod
    def generate(cls) -> "KeyPairs":
        return cls(sign_private=ECC.generate(curve="Ed25519").seed,
                   enc_private=ECC.generate(curve="Curve25519").seed)

    @property
    def sign_public(self) -> bytes:
        return ed25519_public(self.sign_private)

    @property
    def enc_public(self) -> bytes:
        return x25519_public(self.enc_private)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.sign_public, self.enc_public)

    def sign(self, message: bytes) -> bytes:
        return sign(self.sign_private, message)
