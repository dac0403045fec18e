"""Paillier keys as ``phe`` objects, with a fingerprint and lossless byte/JSON forms.

``phe`` stays the reference implementation: every key this project makes *is* a
``phe.PaillierPublicKey`` / ``phe.PaillierPrivateKey``, so anything we encrypt can be checked by
decrypting it with ``phe``. Public keys travel in identity cards and bundles as a small JSON dict;
private keys are stored in the vault (secrets kind ``paillier_private``) as fixed-width bytes.
"""

from __future__ import annotations

import base64
import hashlib
import struct

import phe

from ..errors import CryptoError
from .limits import KEY_SIZES

SCHEME = "paillier-phe-v1"          # g = n + 1, as in phe
SECRET_KIND = "paillier_private"
_PRIVATE_MAGIC = b"PPDSPK1\0"


def generate_keypair(bits: int = 2048) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """A fresh key pair from ``phe``'s generator (two random primes of ``bits/2`` bits each).

    Sizes below 2048 bits are not secure; they are accepted only so tests can run quickly.
    """
    if bits < 512 or bits % 256:
        raise CryptoError(f"Paillier key size {bits} bits is not supported; "
                          f"choose one of {', '.join(map(str, KEY_SIZES))}.")
    public, private = phe.generate_paillier_keypair(n_length=bits)
    return public, private


def key_bits(public_key: phe.PaillierPublicKey) -> int:
    return public_key.n.bit_length()


def key_bytes(public_key: phe.PaillierPublicKey) -> int:
    """Byte length of ``n``; a ciphertext (mod n²) takes twice as many."""
    return (public_key.n.bit_length() + 7) // 8


def fingerprint(public_key: phe.PaillierPublicKey) -> str:
    """SHA-256 over the scheme name and ``n``: 32 hex digits, grouped by 4 for reading aloud."""
    digest = hashlib.sha256(SCHEME.encode() + b"\0" +
                            public_key.n.to_bytes(key_bytes(public_key), "big")).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def public_key_to_dict(public_key: phe.PaillierPublicKey) -> dict:
    """The form used in identity cards (extension field) and bundle manifests."""
    return {"scheme": SCHEME, "bits": key_bits(public_key),
            "n": base64.b64encode(public_key.n.to_bytes(key_bytes(public_key), "big")).decode(),
            "fingerprint": fingerprint(public_key)}


def public_key_from_dict(data: dict) -> phe.PaillierPublicKey:
    """Inverse of :func:`public_key_to_dict`; refuses a dict whose fingerprint does not match."""
    try:
        if data.get("scheme") != SCHEME:
            raise CryptoError(f"Unknown Paillier key scheme {data.get('scheme')!r}; "
                              f"expected {SCHEME!r}.")
        n = int.from_bytes(base64.b64decode(data["n"], validate=True), "big")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CryptoError(f"Malformed Paillier public key ({exc.__class__.__name__}).") from None
    if n < 2 ** 500 or n % 2 == 0:
        raise CryptoError("Malformed Paillier public key: the modulus is not a valid size.")
    public = phe.PaillierPublicKey(n)
    if "fingerprint" in data and data["fingerprint"] != fingerprint(public):
        raise CryptoError("Paillier public key does not match its fingerprint; "
                          "it was altered or mis-copied.")
    return public


def private_key_to_bytes(private_key: phe.PaillierPrivateKey) -> bytes:
    """Magic, byte width, then p and q as fixed-width big-endian integers (never pickle)."""
    width = (max(private_key.p, private_key.q).bit_length() + 7) // 8
    return (_PRIVATE_MAGIC + struct.pack(">I", width) +
            private_key.p.to_bytes(width, "big") + private_key.q.to_bytes(width, "big"))


def private_key_from_bytes(data: bytes) -> phe.PaillierPrivateKey:
    if len(data) < 12 or data[:8] != _PRIVATE_MAGIC:
        raise CryptoError("Stored Paillier private key is not in a known format.")
    (width,) = struct.unpack(">I", data[8:12])
    if len(data) != 12 + 2 * width:
        raise CryptoError("Stored Paillier private key is truncated or too long.")
    p = int.from_bytes(data[12:12 + width], "big")
    q = int.from_bytes(data[12 + width:], "big")
    return phe.PaillierPrivateKey(phe.PaillierPublicKey(p * q), p, q)
