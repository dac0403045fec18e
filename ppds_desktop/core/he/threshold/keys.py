"""The threshold key (public), a holder's key share (secret) and the ceremony record.

:class:`ThresholdKey` is everything anyone needs to encrypt (``public_key``, an ordinary
``phe.PaillierPublicKey`` with g = n + 1), to check a holder's partial decryption (the
verification base ``v`` and the verification keys ``v_i = v^(Δ·s_i)``), and to combine
(``threshold`` of ``parties``, Δ = parties!). :class:`KeyShare` adds one holder's index and
secret ``s_i``. Both travel as versioned JSON (integers as fixed-width big-endian base64, never
pickle); a share is checked against its verification key when read, so a share altered in
transit or swapped with another holder's is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import gmpy2
import phe

from ...errors import CryptoError
from ..keys import fingerprint, key_bytes, public_key_from_dict, public_key_to_dict

KEY_FORMAT = "ppds-threshold-paillier-key"
SHARE_FORMAT = "ppds-threshold-paillier-share"
VERSION = 1
MIN_THRESHOLD = 2
MAX_PARTIES = 100
TRUSTED_DEALER = "trusted dealer"


def check_sizes(threshold: int, parties: int) -> None:
    if not (isinstance(threshold, int) and isinstance(parties, int)):
        raise CryptoError("The threshold and the number of key-share holders must be whole numbers.")
    if not MIN_THRESHOLD <= threshold <= parties <= MAX_PARTIES:
        raise CryptoError(
            f"A split key needs between {MIN_THRESHOLD} and {MAX_PARTIES} key-share holders and a "
            f"threshold from {MIN_THRESHOLD} up to their number; {threshold} of {parties} was "
            f"asked.")


@dataclass(frozen=True)
class CeremonyRecord:
    """Who made the key, when, and how (stored with the key; shown with every result)."""

    operator: str
    operator_fingerprint: str
    created_utc: str
    key_bits: int
    threshold: int
    parties: int
    seconds: float
    dealer: str = TRUSTED_DEALER

    def to_dict(self) -> dict:
        return {"operator": self.operator, "operator_fingerprint": self.operator_fingerprint,
                "created_utc": self.created_utc, "key_bits": self.key_bits,
                "threshold": self.threshold, "parties": self.parties,
                "seconds": self.seconds, "dealer": self.dealer}

    @classmethod
    def from_dict(cls, data: Any) -> "CeremonyRecord":
        try:
            record = cls(**data)
        except TypeError:
            raise CryptoError("The key ceremony record is malformed.") from None
        if not (all(isinstance(getattr(record, k), str) for k in
                    ("operator", "operator_fingerprint", "created_utc", "dealer"))
                and all(type(getattr(record, k)) is int for k in
                        ("key_bits", "threshold", "parties"))
                and isinstance(record.seconds, (int, float))):
            raise CryptoError("The key ceremony record is malformed.")
        return record


def _int_to_b64(value: int, width: int) -> str:
    return base64.b64encode(int(value).to_bytes(width, "big")).decode("ascii")


def _b64_to_int(value: Any, width: int, what: str) -> gmpy2.mpz:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) != width:
        raise CryptoError(f"The {what} is malformed ({width} bytes in base64 expected).")
    return gmpy2.mpz(int.from_bytes(raw, "big"))


def is_unit(value: int, n: int) -> bool:
    """``0 < value < n²`` and coprime to ``n``: an element of Z*_{n²}."""
    return 0 < value < n * n and gmpy2.gcd(value, n) == 1


@dataclass(frozen=True)
class ThresholdKey:
    public_key: phe.PaillierPublicKey
    threshold: int
    parties: int
    verification_base: gmpy2.mpz
    verification_keys: tuple                 # v_1 .. v_parties (holder i at position i - 1)
    record: CeremonyRecord
    _id: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        check_sizes(self.threshold, self.parties)
        n = self.public_key.n
        if len(self.verification_keys) != self.parties:
            raise CryptoError(f"The split key lists {len(self.verification_keys)} verification "
                              f"keys for {self.parties} key-share holders.")
        if not all(is_unit(x, n) for x in (self.verification_base, *self.verification_keys)):
            raise CryptoError("The split key's verification values are not valid for its modulus.")
        r = self.record
        if (r.threshold, r.parties, r.key_bits) != (self.threshold, self.parties, n.bit_length()):
            raise CryptoError("The key ceremony record does not match the split key.")
        object.__setattr__(self, "_id", self._digest())

    @property
    def n(self) -> gmpy2.mpz:
        return gmpy2.mpz(self.public_key.n)

    @property
    def nsquare(self) -> gmpy2.mpz:
        return self.n * self.n

    @property
    def delta(self) -> int:
        return math.factorial(self.parties)

    @property
    def width(self) -> int:
        """Bytes of one number mod n² (ciphertexts, partials, verification values)."""
        return 2 * key_bytes(self.public_key)

    @property
    def fingerprint(self) -> str:
        """The Paillier key's fingerprint (what users compare)."""
        return fingerprint(self.public_key)

    @property
    def key_id(self) -> str:
        """SHA-256 over everything a proof is checked against (n, t, parties, v, all v_i)."""
        return self._id

    def _digest(self) -> str:
        w = self.width
        h = hashlib.sha256(KEY_FORMAT.encode() + b"\0")
        h.update(int(self.public_key.n).to_bytes(w // 2, "big"))
        h.update(self.threshold.to_bytes(4, "big") + self.parties.to_bytes(4, "big"))
        for x in (self.verification_base, *self.verification_keys):
            h.update(int(x).to_bytes(w, "big"))
        return h.hexdigest()

    def verification_key(self, index: int) -> gmpy2.mpz:
        if not 1 <= index <= self.parties:
            raise CryptoError(f"There is no key-share holder {index} (holders are 1 to "
                              f"{self.parties}).")
        return self.verification_keys[index - 1]

    def to_dict(self) -> dict:
        w = self.width
        return {"format": KEY_FORMAT, "version": VERSION,
                "public_key": public_key_to_dict(self.public_key),
                "threshold": self.threshold, "parties": self.parties,
                "verification_base": _int_to_b64(self.verification_base, w),
                "verification_keys": [_int_to_b64(x, w) for x in self.verification_keys],
                "ceremony": self.record.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> "ThresholdKey":
        if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
            raise CryptoError("This is not a split Paillier key.")
        if data.get("version") != VERSION:
            raise CryptoError(f"Split Paillier key version {data.get('version')!r} is not "
                              f"supported (this program reads version {VERSION}).")
        public = public_key_from_dict(data.get("public_key") or {})
        w = 2 * key_bytes(public)
        keys = data.get("verification_keys")
        if not isinstance(keys, list):
            raise CryptoError("The split key's verification keys are missing.")
        return cls(public, data.get("threshold"), data.get("parties"),
                   _b64_to_int(data.get("verification_base"), w, "verification base"),
                   tuple(_b64_to_int(x, w, "verification key") for x in keys),
                   CeremonyRecord.from_dict(data.get("ceremony")))


@dataclass(frozen=True, repr=False)
class KeyShare:
    """One holder's secret share ``s_i`` of the decryption exponent, with the public key."""

    key: ThresholdKey
    index: int
    secret: gmpy2.mpz

    def __repr__(self) -> str:          # never print the secret
        return f"KeyShare(holder {self.index} of {self.key.parties}, key {self.key.fingerprint})"

    def check(self) -> None:
        """Refuse a share that does not match its verification key ``v_i = v^(Δ·s_i)``."""
        expected = self.key.verification_key(self.index)
        if gmpy2.powmod(self.key.verification_base, self.key.delta * self.secret,
                        self.key.nsquare) != expected:
            raise CryptoError(f"Key share {self.index} does not match its verification key; it "
                              f"was altered or belongs to another key.")

    def to_bytes(self) -> bytes:
        body = {"format": SHARE_FORMAT, "version": VERSION, "key": self.key.to_dict(),
                "index": self.index, "share": _int_to_b64(self.secret, self.key.width)}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "KeyShare":
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise CryptoError("This is not a key share (not readable JSON).") from None
        if not isinstance(body, dict) or body.get("format") != SHARE_FORMAT:
            raise CryptoError("This is not a key share.")
        if body.get("version") != VERSION:
            raise CryptoError(f"Key share version {body.get('version')!r} is not supported "
                              f"(this program reads version {VERSION}).")
        key = ThresholdKey.from_dict(body.get("key"))
        index = body.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise CryptoError("The key share's holder number is missing.")
        key.verification_key(index)
        share = cls(key, index, _b64_to_int(body.get("share"), key.width, "key share"))
        share.check()
        return share
