"""Identity cards: the small self-signed JSON file people hand to each other.

A card is a JSON object (format in ``docs/bundle-format.md``, "Identity cards")::

    {"type": "ppds-identity-card", "version": 1, "identity_id": "<32 hex>",
     "display_name": "...", "organisation": "...", "created_at": "<ISO-8601 UTC>",
     "keys": {"sign": {"alg": "Ed25519", "public": "<base64>"},
              "enc":  {"alg": "X25519",  "public": "<base64>"}},
     "extensions": {"<name>": {...}},
     "signature": "<base64 Ed25519 over the canonical JSON of all other fields>"}

The self-signature proves the card was made by the holder of the signing key and that nothing
(name, extra keys) was changed on the way; it does *not* prove who that holder is: only the
fingerprint comparison does. ``extensions`` carries extra public keys (e.g. the homomorphic
area's Paillier public key under ``"paillier"``); values are JSON objects without floats, so the
canonical form is unambiguous (put big integers in strings).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .. import safe_json
from . import keys
from .errors import IdentityError
from .names import clean_name

CARD_TYPE = "ppds-identity-card"
CARD_VERSION = 1
MAX_CARD_BYTES = 64 * 1024
MAX_NAME_CHARS = 200
CARD_SIGNATURE_LABEL = b"PPDS identity card v1\x00"
_EXTENSION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FIELDS = {"type", "version", "identity_id", "display_name", "organisation", "created_at",
           "keys", "extensions", "signature"}


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, ASCII only (non-ASCII as \\u escapes), no floats."""
    _reject_floats(obj, "card")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _reject_floats(obj: Any, where: str) -> None:
    if isinstance(obj, float):
        raise IdentityError(f"{where}: floating-point numbers are not allowed in a card "
                            "(write them as strings).")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _reject_floats(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _reject_floats(v, f"{where}[{i}]")


def check_display_text(value: Any, what: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise IdentityError(f"{what} must be text.")
    if len(value) > MAX_NAME_CHARS:
        raise IdentityError(f"{what} is {len(value)} characters long; at most "
                            f"{MAX_NAME_CHARS} are allowed.")
    value = clean_name(value, what)
    if not value and not allow_empty:
        raise IdentityError(f"{what} must not be empty.")
    return value


@dataclass(frozen=True)
class IdentityCard:
    identity_id: str
    display_name: str
    organisation: str
    created_at: str
    sign_public: bytes
    enc_public: bytes
    extensions: dict = field(default_factory=dict)
    signature: bytes = b""

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.sign_public, self.enc_public)

    def unsigned_dict(self) -> dict:
        return {
            "type": CARD_TYPE, "version": CARD_VERSION, "identity_id": self.identity_id,
            "display_name": self.display_name, "organisation": self.organisation,
            "created_at": self.created_at,
            "keys": {"sign": {"alg": "Ed25519", "public": _b64(self.sign_public)},
                     "enc": {"alg": "X25519", "public": _b64(self.enc_public)}},
            "extensions": self.extensions,
        }

    def signed_message(self) -> bytes:
        return CARD_SIGNATURE_LABEL + canonical_json(self.unsigned_dict())

    def to_dict(self) -> dict:
        return {**self.unsigned_dict(), "signature": _b64(self.signature)}

    def to_bytes(self) -> bytes:
        """The card file: indented JSON (the signature covers the canonical form, not this)."""
        return (json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=True)
                + "\n").encode("ascii")


def make_card(pairs: keys.KeyPairs, *, identity_id: str, display_name: str, organisation: str,
              created_at: str, extensions: dict | None = None) -> IdentityCard:
    unsigned = IdentityCard(identity_id, display_name, organisation, created_at,
                            pairs.sign_public, pairs.enc_public, dict(extensions or {}))
    check_extensions(unsigned.extensions)
    return IdentityCard(**{**unsigned.__dict__, "signature": pairs.sign(unsigned.signed_message())})


def parse_card(data: bytes, *, source: str = "identity card") -> IdentityCard:
    """Parse and verify a card file; every failure names what is wrong."""
    if len(data) > MAX_CARD_BYTES:
        raise IdentityError(f"{source}: not an identity card (too large: a card has at "
                            f"most {MAX_CARD_BYTES:,} bytes).")
    obj = safe_json.loads(data, what=f"{source}: not an identity card: it", error=IdentityError)
    if not isinstance(obj, dict) or obj.get("type") != CARD_TYPE:
        raise IdentityError(f"{source}: not a PPDS identity card (field 'type' is not "
                            f"'{CARD_TYPE}').")
    if obj.get("version") != CARD_VERSION:
        raise IdentityError(f"{source}: identity card version {obj.get('version')!r} is not "
                            f"supported (this program reads version {CARD_VERSION}).")
    unknown = set(obj) - _FIELDS
    if unknown:
        raise IdentityError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}.")
    identity_id = obj.get("identity_id")
    if not isinstance(identity_id, str) or not re.fullmatch(r"[0-9a-f]{32}", identity_id):
        raise IdentityError(f"{source}: field 'identity_id' must be 32 lowercase hex digits.")
    key_obj = obj.get("keys")
    if not isinstance(key_obj, dict) or set(key_obj) != {"sign", "enc"}:
        raise IdentityError(f"{source}: field 'keys' must hold exactly 'sign' and 'enc'.")
    sign_public = _key_field(key_obj["sign"], "Ed25519", f"{source}: keys.sign")
    enc_public = _key_field(key_obj["enc"], "X25519", f"{source}: keys.enc")
    extensions = obj.get("extensions", {})
    if not isinstance(extensions, dict):
        raise IdentityError(f"{source}: field 'extensions' must be an object.")
    check_extensions(extensions)
    created_at = obj.get("created_at")
    if not isinstance(created_at, str) or len(created_at) > 40:
        raise IdentityError(f"{source}: field 'created_at' must be an ISO-8601 time.")
    card = IdentityCard(
        identity_id=identity_id,
        display_name=check_display_text(obj.get("display_name"), f"{source}: display_name"),
        organisation=check_display_text(obj.get("organisation", ""), f"{source}: organisation",
                                        allow_empty=True),
        created_at=created_at, sign_public=sign_public, enc_public=enc_public,
        extensions=extensions,
        signature=_unb64(obj.get("signature"), f"{source}: signature", 64))
    if card.to_dict() != {**obj, "extensions": extensions}:
        raise IdentityError(f"{source}: fields are not in canonical form (names must not "
                            "have surrounding spaces).")
    keys.x25519_public_key(enc_public)  # rejects points that are not valid X25519 keys
    if not keys.verify(sign_public, card.signed_message(), card.signature):
        raise IdentityError(f"{source}: the card's self-signature does not verify: it was "
                            "changed after it was made, or forged.")
    return card


def check_extensions(extensions: dict) -> None:
    for name, value in extensions.items():
        if not _EXTENSION_NAME.fullmatch(name):
            raise IdentityError(f"card extension name '{name[:40]}' is invalid (lowercase "
                                "letters, digits and '_', at most 32).")
        if not isinstance(value, dict):
            raise IdentityError(f"card extension '{name}' must be a JSON object.")
        _reject_floats(value, f"extensions.{name}")


def _key_field(obj: Any, alg: str, where: str) -> bytes:
    if not isinstance(obj, dict) or obj.get("alg") != alg or set(obj) != {"alg", "public"}:
        raise IdentityError(f"{where} must be {{\"alg\": \"{alg}\", \"public\": <base64>}}.")
    return _unb64(obj["public"], f"{where}.public", 32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, where: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) != length:
        raise IdentityError(f"{where} must be {length} bytes in base64.")
    return raw
