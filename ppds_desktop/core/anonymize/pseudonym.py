"""Keyed pseudonyms: HMAC-SHA-256 of the normalised value under a secret key kept in the vault.

Why keyed: an unkeyed hash of a name or record number is reversed by hashing every candidate
value. With a 256-bit secret key nobody without the key can compute or test a pseudonym.

Why one key per project or recipient: pseudonyms made under different keys are unrelated, so
two releases cannot be joined on the pseudonym column unless the owner deliberately reuses a
key. The key is a vault secret (kind ``pseudonym_key``); it never leaves the vault.

Reverse look-up: the owner can find which source value a pseudonym stands for by recomputing
pseudonyms over the source data on demand (:func:`lookup`); no table of value → pseudonym is
ever stored.
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import NotFound, RecipeError

if TYPE_CHECKING:
    from ..vault import Vault

KEY_KIND = "pseudonym_key"
KEY_BYTES = 32
DIGEST_HEX_CHARS = 20            # 80 bits: a collision among a million values has p ≈ 4e-13
_DOMAIN = b"ppds-pseudonym-v1\x00"
_SPACES = re.compile(r"\s+")
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$")


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not _KEY_NAME.match(name):
        raise RecipeError("a key name is 1-100 letters, digits, spaces or . _ @ - "
                          "and starts with a letter or digit", field="action.key")
    return name


def get_key(vault: Vault, name: str) -> bytes:
    """An existing pseudonym key; :class:`NotFound` if the vault has none by that name. (New
    keys are made by ``actions.KeyRing`` and stored with the release that first uses them.)"""
    check_key_name(name)
    if not vault.has_secret(KEY_KIND, name):
        raise NotFound(f"The vault has no pseudonym key named '{name}'.")
    return vault.get_secret(KEY_KIND, name)


def normalise(value) -> str:
    """Trim, collapse inner whitespace and case-fold, so ' John  Smith' and 'john smith'
    get the same pseudonym; integers stored as floats (3.0) read as '3'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value).strip()).casefold()


def pseudonym_of(value, key: bytes, *, prefix: str = "") -> str:
    digest = hmac.digest(key, _DOMAIN + normalise(value).encode("utf-8"), "sha256")
    return prefix + digest.hex()[:DIGEST_HEX_CHARS]


def pseudonymize(values: pd.Series, key: bytes, *, prefix: str = "") -> pd.Series:
    """Pseudonyms for a column (missing values stay missing); each distinct value is hashed once."""
    if len(key) < 16:
        raise RecipeError("a pseudonym key must be at least 128 bits", field="action.key")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = [pseudonym_of(v, key, prefix=prefix) for v in uniques]
    out = [None if c < 0 else mapped[c] for c in codes]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)


def lookup(pseudonym: str, source_values: pd.Series, key: bytes, *, prefix: str = "") -> list:
    """The distinct source values whose pseudonym is ``pseudonym`` (normally one, [] if none).

    Computed from the source data each time, so the map from values to pseudonyms exists only
    in memory for the duration of the call.
    """
    wanted = pseudonym.strip()
    found = []
    for value in pd.unique(source_values.dropna()):
        if hmac.compare_digest(pseudonym_of(value, key, prefix=prefix), wanted):
            found.append(value)
    return found
