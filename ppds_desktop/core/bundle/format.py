"""Bundle format v1: constants, limits and the header's byte layout (``docs/bundle-format.md``).

Everything here is pure parsing and serialisation; nothing decrypts. The parser reads the fixed
16-byte prefix first and refuses a wrong magic, an unknown or older version, another suite or an
oversized header before it reads (or allocates) anything more, so a hostile file costs at most
``MAX_HEADER`` bytes of memory.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

from ..errors import BundleError

MAGIC = b"PPDSBNDL"
VERSION = 1
SUITE = 1  # X25519-HPKE(HKDF-SHA256, AES-256-GCM) / AES-256-GCM STREAM 1 MiB / Ed25519 / BLAKE3 body and file hashes
END_MAGIC = b"PPDSSIG1"
CONTEXT = b"PPDS-BUNDLE" + struct.pack(">HH", VERSION, SUITE)  # bound into every derived key

CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
FILE_KEY_SIZE = 32
BUNDLE_ID_SIZE = 16
KEY_ID_SIZE = 16
STANZA_SIZE = KEY_ID_SIZE + 32 + FILE_KEY_SIZE + TAG_SIZE
MAC_SIZE = 32
SIGNATURE_SIZE = 64
PREFIX_SIZE = 16
TRAILER_SIZE = len(END_MAGIC) + SIGNATURE_SIZE

MAX_HEADER = 16 * 1024
MAX_RECIPIENTS = 64
MAX_KIND_LEN = 32
MAX_CHUNKS = 1 << 20          # 1 TiB of payload
MAX_MANIFEST = 8 * 1024 * 1024
MAX_FILES = 1000
#: Latest creation time accepted (3000-01-01T00:00:00Z): the header's u64 could otherwise name
#: a time that ``time.gmtime`` cannot show (Windows raises OSError past the year 3000).
MAX_CREATED = 32_503_680_000

SIGNATURE_LABEL = b"PPDS bundle v1 signature\x00"
RECIPIENT_ID_LABEL = b"PPDS recipient id v1\x00"
_KIND = re.compile(rb"^[a-z][a-z0-9_]{0,31}$")


def recipient_key_id(enc_public: bytes) -> bytes:
    return hashlib.sha256(RECIPIENT_ID_LABEL + enc_public).digest()[:KEY_ID_SIZE]


@dataclass(frozen=True)
class Stanza:
    key_id: bytes
    enc: bytes          # HPKE encapsulated key (X25519 ephemeral public key)
    wrapped: bytes      # HPKE ciphertext of the file key (32 + 16 bytes)


@dataclass(frozen=True)
class Header:
    bundle_id: bytes
    created: int                 # Unix seconds, UTC
    kind: str
    sender_sign_public: bytes
    sender_enc_public: bytes
    stanzas: tuple[Stanza, ...]
    mac: bytes = b""

    def body_without_mac(self) -> bytes:
        kind = self.kind.encode("ascii")
        parts = [struct.pack(">16sQB", self.bundle_id, self.created, len(kind)), kind,
                 self.sender_sign_public, self.sender_enc_public,
                 struct.pack(">H", len(self.stanzas))]
        parts += [s.key_id + s.enc + s.wrapped for s in self.stanzas]
        fields = b"".join(parts)
        length = PREFIX_SIZE + len(fields) + MAC_SIZE
        return MAGIC + struct.pack(">HHI", VERSION, SUITE, length) + fields


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind.encode("ascii", "replace")):
        raise BundleError(f"Bundle kind '{str(kind)[:40]}' is invalid: lowercase letters, digits "
                          f"and '_', starting with a letter, at most {MAX_KIND_LEN}.")
    return kind


def parse_prefix(prefix: bytes, source: str) -> int:
    """Check magic, version, suite and header length; return the header length."""
    if len(prefix) < PREFIX_SIZE:
        raise BundleError(f"{source}: the file is too short to be a share bundle "
                          f"({len(prefix)} bytes).")
    magic, version, suite, length = struct.unpack(">8sHHI", prefix[:PREFIX_SIZE])
    if magic != MAGIC:
        raise BundleError(f"{source}: not a PPDS share bundle (the file does not start with "
                          f"the bundle signature bytes).")
    if version > VERSION:
        raise BundleError(f"{source}: bundle format version {version} is newer than this "
                          f"program understands (version {VERSION}).",
                          hint="update PPDS Desktop to open it")
    if version < VERSION:
        raise BundleError(f"{source}: bundle format version {version} is refused: this program "
                          f"only accepts version {VERSION}, so that a bundle cannot be "
                          "downgraded to a weaker format.")
    if suite != SUITE:
        raise BundleError(f"{source}: cipher suite {suite} is not the one fixed for format "
                          f"version {VERSION} (suite {SUITE}); refused.")
    if length > MAX_HEADER:
        raise BundleError(f"{source}: the header declares {length} bytes, more than the limit "
                          f"of {MAX_HEADER}; refused without reading it.")
    minimum = PREFIX_SIZE + BUNDLE_ID_SIZE + 8 + 2 + 64 + 2 + STANZA_SIZE + MAC_SIZE
    if length < minimum:
        raise BundleError(f"{source}: the header declares {length} bytes, fewer than the "
                          f"smallest possible header ({minimum}).")
    return length


def parse_header(data: bytes, source: str) -> Header:
    """Parse a whole header (prefix included). Every length is checked against the data."""
    length = parse_prefix(data, source)
    if len(data) != length:
        raise BundleError(f"{source}: the file ends inside the header (truncated).")
    pos = PREFIX_SIZE

    def take(n: int, what: str) -> bytes:
        nonlocal pos
        if pos + n > length - MAC_SIZE:
            raise BundleError(f"{source}: header field '{what}' runs past the end of the header.")
        out = data[pos:pos + n]
        pos += n
        return out

    bundle_id = take(BUNDLE_ID_SIZE, "bundle id")
    created = struct.unpack(">Q", take(8, "created"))[0]
    if created > MAX_CREATED:
        raise BundleError(f"{source}: header field 'created' is a time after the year 3000; "
                          "refused.")
    kind_len = take(1, "kind length")[0]
    kind_raw = take(kind_len, "kind")
    if not _KIND.fullmatch(kind_raw):
        raise BundleError(f"{source}: header field 'kind' is not a valid bundle kind.")
    sign_pub = take(32, "sender signing key")
    enc_pub = take(32, "sender encryption key")
    count = struct.unpack(">H", take(2, "recipient count"))[0]
    if not 1 <= count <= MAX_RECIPIENTS:
        raise BundleError(f"{source}: the header lists {count} recipients; 1 to "
                          f"{MAX_RECIPIENTS} are allowed.")
    stanzas = []
    for _ in range(count):
        raw = take(STANZA_SIZE, "recipient stanza")
        stanzas.append(Stanza(raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:KEY_ID_SIZE + 32],
                              raw[KEY_ID_SIZE + 32:]))
    if pos != length - MAC_SIZE:
        raise BundleError(f"{source}: the header has {length - MAC_SIZE - pos} unexpected bytes "
                          "before its MAC.")
    return Header(bundle_id, created, kind_raw.decode("ascii"), sign_pub, enc_pub,
                  tuple(stanzas), data[length - MAC_SIZE:length])


def body_layout(body_len: int, source: str) -> tuple[int, int]:
    """(number of chunks, ciphertext length of the last chunk) for a body of ``body_len`` bytes
    (bundle id preamble excluded). A body always has at least one chunk (an empty payload is
    one empty final chunk); only the last chunk may be shorter than a full one."""
    full = CHUNK_SIZE + TAG_SIZE
    if body_len < TAG_SIZE:
        raise BundleError(f"{source}: the bundle is truncated: its body is {body_len} bytes, "
                          "too short for even one chunk.")
    n_chunks = -(-body_len // full)
    last = body_len - (n_chunks - 1) * full
    if last < TAG_SIZE:
        raise BundleError(f"{source}: the bundle is truncated: the last chunk is only {last} "
                          "bytes, shorter than its authentication tag.")
    if n_chunks > 1 and last == TAG_SIZE:
        raise BundleError(f"{source}: the bundle is malformed: an empty final chunk may only "
                          "follow nothing (format rule: only an empty payload has one).")
    if n_chunks > MAX_CHUNKS:
        raise BundleError(f"{source}: the body holds {n_chunks} chunks, more than the limit of "
                          f"{MAX_CHUNKS}; refused.")
    return n_chunks, last
