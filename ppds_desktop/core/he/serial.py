"""Compact binary form of an :class:`EncryptedArray`.

    magic "PPDSHE1\\n" | header length (4 bytes, big-endian) | header (UTF-8 JSON) | body

The header names the key fingerprint and size, the layout (slots with bit widths and scales,
headroom), the number of additions so far, the vector length and the ciphertext count; the body
is the ciphertexts as fixed-width big-endian integers of 2 × key bytes each (no decimal JSON).
A reader given the expected key (and optionally layout) refuses anything else with a
``CryptoError`` that says what differs.
"""

from __future__ import annotations

import json
import struct

import gmpy2
import phe

from ..errors import CryptoError
from .array import EncryptedArray
from .encoding import Layout
from .keys import fingerprint, key_bits, key_bytes

MAGIC = b"PPDSHE1\n"
MAX_HEADER = 1 << 20


def dumps(array: EncryptedArray) -> bytes:
    width = 2 * key_bytes(array.public_key)
    header = {"fingerprint": array.fingerprint, "key_bits": key_bits(array.public_key),
              "layout": array.layout.to_dict(), "additions": array.additions,
              "length": array.length, "count": len(array), "meta": array.meta}
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    body = b"".join(int(c).to_bytes(width, "big") for c in array.ciphertexts)
    return MAGIC + struct.pack(">I", len(head)) + head + body


def read_header(data: bytes) -> dict:
    if len(data) < 12 or data[:8] != MAGIC:
        raise CryptoError("Not an encrypted-column file (unknown format).")
    (hlen,) = struct.unpack(">I", data[8:12])
    if hlen > MAX_HEADER or 12 + hlen > len(data):
        raise CryptoError("Encrypted-column file is truncated or its header is too large.")
    try:
        header = json.loads(data[12:12 + hlen])
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise CryptoError("Encrypted-column file has a malformed header.")
    header["_body"] = 12 + hlen
    return header


def loads(data: bytes, public_key: phe.PaillierPublicKey,
          expect_layout: Layout | None = None) -> EncryptedArray:
    header = read_header(data)
    if header.get("fingerprint") != fingerprint(public_key):
        raise CryptoError(f"These ciphertexts are for key {header.get('fingerprint')}, "
                          f"not {fingerprint(public_key)}.")
    layout = Layout.from_dict(header.get("layout", {}))
    if expect_layout is not None and layout != expect_layout:
        raise CryptoError("These ciphertexts use a different scale or slot layout than expected.")
    width = 2 * key_bytes(public_key)
    try:
        count, additions = int(header["count"]), int(header["additions"])
    except (KeyError, TypeError, ValueError):
        raise CryptoError("Encrypted-column file header lacks its count or additions.") from None
    body = data[header["_body"]:]
    if len(body) != count * width:
        raise CryptoError(f"Encrypted-column file should hold {count} ciphertexts of {width} "
                          f"bytes but has {len(body)} bytes.")
    n2 = gmpy2.mpz(public_key.n) ** 2
    cts = [gmpy2.mpz(int.from_bytes(body[i:i + width], "big")) for i in range(0, len(body), width)]
    if any(not (0 < c < n2) for c in cts):
        raise CryptoError("Encrypted-column file holds a value out of range for its key.")
    return EncryptedArray(public_key, layout, cts, additions, length=header.get("length"),
                          meta=header.get("meta") or {})
