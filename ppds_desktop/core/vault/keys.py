"""The vault header: the database key wrapped under the passphrase and under the recovery key.

The SQLCipher database is encrypted with a random 256-bit raw key. That key never touches disk in
the clear: the header file beside the database holds it twice, AES-256-GCM-wrapped

* under a key derived from the passphrase with Argon2id (parameters and salt in the header, so
  they can be strengthened later: a passphrase change re-wraps with the current defaults), and
* under a key derived with HKDF-SHA256 from the recovery key (160 random bits, shown once at
  creation as ``XXXX-XXXX-…`` base32 groups plus a check group, so typos are caught before any
  crypto runs). The recovery key has full entropy, so it needs no slow KDF.

Each wrap authenticates, as GCM associated data, the header format and version, the vault id,
the slot name and that slot's KDF description: editing any of them makes the unwrap fail.

Fast KDF parameters exist for the test suite only. They are used when ``PPDS_TEST_FAST_KDF=1``
**and** pytest is running in this process (or when a caller passes ``kdf=FAST_KDF``
explicitly), so a stray environment variable cannot weaken a real user's vault.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import sys
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from argon2.low_level import Type, hash_secret_raw
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF

from ..errors import VaultDamaged, VaultError, WrongPassphrase
from ..files import replace_file
from ..private_files import restrict_to_owner, sync_file

HEADER_FORMAT = "ppds-vault-header"
HEADER_VERSION = 1
HEADER_MAX_BYTES = 64 * 1024
DB_KEY_BYTES = 32
# The database's SQLCipher settings, named in the header's "cipher" field. SQLCipher 4's own
# defaults are 4 KiB pages with HMAC-SHA512; 64 KiB pages with HMAC-SHA256 (still AES-256-CBC with
# a random IV and an HMAC per page) make writing a large dataset about 2.5x cheaper, mostly fewer
# pages to authenticate and SHA-256's CPU instructions. Every connection applies them after the key.
CIPHER = "sqlcipher4-raw-key-64k-hmac-sha256"
CIPHER_PRAGMAS = ("PRAGMA cipher_page_size = 65536", "PRAGMA cipher_hmac_algorithm = HMAC_SHA256")
# The first release's format (SQLCipher 4's defaults, spelled out): such a vault is upgraded to
# ``CIPHER`` when it is next unlocked (``vault.upgrade_format``).
LEGACY_CIPHERS = {"sqlcipher4-raw-key": ("PRAGMA cipher_page_size = 4096",
                                         "PRAGMA cipher_hmac_algorithm = HMAC_SHA512")}
RECOVERY_KEY_BYTES = 20          # 160 bits -> 32 base32 characters
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters (memory in KiB)."""

    memory_kib: int
    time_cost: int
    parallelism: int

    def describe(self) -> str:
        return (f"Argon2id, {self.memory_kib // 1024} MiB, {self.time_cost} passes, "
                f"{self.parallelism} lanes")


#: What every real vault uses: RFC 9106's second recommendation with twice the memory.
PRODUCTION_KDF = KdfParams(memory_kib=128 * 1024, time_cost=3, parallelism=4)
#: For the test suite only (see the module docstring for when it applies).
FAST_KDF = KdfParams(memory_kib=1024, time_cost=1, parallelism=1)
#: Headers with weaker Argon2id settings than this are refused as damaged or forged.
_MIN_KDF = FAST_KDF
#: ... and so are headers asking for much more than the app ever writes (PRODUCTION_KDF), before
#: any key derivation: the header's authentication can only refuse an edited header *after*
#: Argon2id ran, and a hand-edited 4 GiB, 100-pass header made each attempt take 15 minutes.
#: The margin (1 GiB, and 8 times the production work, about 3 s here) leaves room for a later
#: release to raise the defaults; raising them past it means raising these bounds too.
MAX_KDF_MEMORY_KIB = 1024 * 1024
MAX_KDF_PARALLELISM = 16
MAX_KDF_WORK = 8 * PRODUCTION_KDF.memory_kib * PRODUCTION_KDF.time_cost   # KiB × passes


def default_kdf() -> KdfParams:
    """PRODUCTION_KDF, unless the test suite asked for speed while pytest is running."""
    if os.environ.get("PPDS_TEST_FAST_KDF") == "1" and "pytest" in sys.modules:
        return FAST_KDF
    return PRODUCTION_KDF


# ---------------------------------------------------------------------------- recovery key

def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _check_group(body: str) -> str:
    return _b32(hashlib.sha256(b"ppds-recovery:" + body.encode("ascii")).digest())[:4]


def new_recovery_key() -> tuple[bytes, str]:
    """Random recovery secret and how it is shown: 8 groups of 4 base32 chars + a check group."""
    raw = secrets.token_bytes(RECOVERY_KEY_BYTES)
    body = _b32(raw)
    groups = [body[i:i + 4] for i in range(0, len(body), 4)] + [_check_group(body)]
    return raw, "-".join(groups)


def parse_recovery_key(text: str) -> bytes:
    """The recovery secret from what the user typed (case, spaces and dashes don't matter;
    0/1/8 are read as O/I/B). Raises VaultError when it is malformed or mistyped."""
    if not isinstance(text, str):
        raise VaultError("No recovery key was given.")
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\n")
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    if len(cleaned) != 36 or any(ch not in _B32 for ch in cleaned):
        raise VaultError("That is not a recovery key: expected 9 groups of 4 letters and digits "
                         "(A-Z, 2-7), as shown when the vault was created.")
    body, check = cleaned[:32], cleaned[32:]
    if _check_group(body) != check:
        raise VaultError("The recovery key is mistyped: its last group does not match the rest.")
    return base64.b32decode(body)


# ---------------------------------------------------------------------------- wrapping

def _derive_passphrase_key(passphrase: str, kdf: dict) -> bytearray:
    if not isinstance(passphrase, str):
        raise WrongPassphrase("No passphrase was given.")
    # NFC, so the same passphrase typed on systems that compose accents differently still works.
    return bytearray(hash_secret_raw(
        unicodedata.normalize("NFC", passphrase).encode("utf-8"), base64.b64decode(kdf["salt"]),
        time_cost=kdf["time_cost"], memory_cost=kdf["memory_kib"],
        parallelism=kdf["parallelism"], hash_len=32, type=Type.ID))


def _derive_recovery_key(raw: bytes, kdf: dict) -> bytearray:
    return bytearray(HKDF(raw, 32, base64.b64decode(kdf["salt"]), SHA256,
                          context=b"ppds-vault recovery wrap"))


def _associated_data(header: dict, slot: str, kdf: dict) -> bytes:
    bound = {"format": header["format"], "version": header["version"],
             "vault_id": header["vault_id"], "slot": slot, "kdf": kdf}
    return json.dumps(bound, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _wrap(header: dict, slot: str, kdf: dict, kek: bytearray, db_key: bytearray) -> dict:
    nonce = secrets.token_bytes(12)
    cipher = AES.new(kek, AES.MODE_GCM, nonce=nonce)
    cipher.update(_associated_data(header, slot, kdf))
    ct, tag = cipher.encrypt_and_digest(db_key)
    _zero(kek)
    return {"kdf": kdf, "nonce": _b64(nonce), "ciphertext": _b64(ct), "tag": _b64(tag)}


def _unwrap(header: dict, slot: str, kek: bytearray) -> bytearray | None:
    entry = header["wraps"][slot]
    cipher = AES.new(kek, AES.MODE_GCM, nonce=base64.b64decode(entry["nonce"]))
    _zero(kek)
    cipher.update(_associated_data(header, slot, entry["kdf"]))
    ciphertext = base64.b64decode(entry["ciphertext"])
    key = bytearray(len(ciphertext))     # decrypt in place of a buffer we can wipe
    try:
        cipher.decrypt_and_verify(ciphertext, base64.b64decode(entry["tag"]), output=key)
    except ValueError:
        _zero(key)
        return None
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _zero(buf: bytearray) -> None:
    for i in range(len(buf)):
        buf[i] = 0


def zero(buf: bytearray | None) -> None:
    """Overwrite key material we hold (best effort: Python may have made copies)."""
    if buf is not None:
        _zero(buf)


def _passphrase_kdf(params: KdfParams) -> dict:
    return {"name": "argon2id", "memory_kib": params.memory_kib, "time_cost": params.time_cost,
            "parallelism": params.parallelism, "salt": _b64(secrets.token_bytes(16))}


def new_header(db_key: bytearray, passphrase: str, recovery_raw: bytes,
               kdf: KdfParams | None = None) -> dict:
    header = {"format": HEADER_FORMAT, "version": HEADER_VERSION,
              "vault_id": secrets.token_hex(16), "cipher": CIPHER, "wraps": {}}
    set_passphrase(header, db_key, passphrase, kdf)
    rkdf = {"name": "hkdf-sha256", "salt": _b64(secrets.token_bytes(16))}
    header["wraps"]["recovery"] = _wrap(header, "recovery", rkdf,
                                        _derive_recovery_key(recovery_raw, rkdf), db_key)
    return header


def set_passphrase(header: dict, db_key: bytearray, passphrase: str,
                   kdf: KdfParams | None = None) -> None:
    """(Re-)wrap the database key under ``passphrase`` with a fresh salt."""
    pkdf = _passphrase_kdf(kdf or default_kdf())
    header["wraps"]["passphrase"] = _wrap(header, "passphrase", pkdf,
                                          _derive_passphrase_key(passphrase, pkdf), db_key)


def unlock_with_passphrase(header: dict, passphrase: str) -> bytearray:
    kdf = header["wraps"]["passphrase"]["kdf"]
    key = _unwrap(header, "passphrase", _derive_passphrase_key(passphrase, kdf))
    if key is None:
        raise WrongPassphrase()
    return key


def unlock_with_recovery(header: dict, recovery_key: str) -> bytearray:
    raw = parse_recovery_key(recovery_key)
    kdf = header["wraps"]["recovery"]["kdf"]
    key = _unwrap(header, "recovery", _derive_recovery_key(raw, kdf))
    if key is None:
        raise WrongPassphrase("That recovery key does not unlock this vault.")
    return key


def kdf_of(header: dict) -> KdfParams:
    k = header["wraps"]["passphrase"]["kdf"]
    return KdfParams(k["memory_kib"], k["time_cost"], k["parallelism"])


# ---------------------------------------------------------------------------- header file

def header_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".header")


def header_bytes(header: dict) -> bytes:
    return (json.dumps(header, indent=2, sort_keys=True) + "\n").encode("utf-8")


def parse_header(data: bytes, where: str) -> dict:
    """Validate a header's structure; VaultError naming ``where`` and the bad field otherwise."""
    if len(data) > HEADER_MAX_BYTES:
        raise VaultError(f"Vault header {where} is damaged: {len(data)} bytes is too large.")
    try:
        header = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise VaultError(f"Vault header {where} is damaged: not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise VaultError(f"Vault header {where} is damaged: invalid JSON at line "
                         f"{exc.lineno}.") from None
    if not isinstance(header, dict) or header.get("format") != HEADER_FORMAT:
        raise VaultError(f"{where} is not a PPDS vault header.")
    version = header.get("version")
    if not isinstance(version, int):
        raise VaultError(f"Vault header {where} is damaged: field 'version' is missing.")
    if version > HEADER_VERSION:
        raise VaultError(f"Vault header {where} has format version {version}; this version of "
                         f"PPDS Desktop reads up to {HEADER_VERSION}. Please update the app.")
    try:
        _check_fields(header)
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultError(f"Vault header {where} is damaged: field {exc} is missing or "
                         "invalid.") from None
    _check_kdf_cost(header["wraps"]["passphrase"]["kdf"], where)
    if header.get("cipher") != CIPHER and header.get("cipher") not in LEGACY_CIPHERS:
        raise VaultError(f"Vault header {where} names the database format "
                         f"{header.get('cipher')!r}; this version of PPDS Desktop opens "
                         f"{CIPHER!r} vaults.")
    return header


def _check_fields(header: dict) -> None:
    str(header["vault_id"])
    wraps = header["wraps"]
    for slot in ("passphrase", "recovery"):
        entry = wraps[slot]
        for name in ("nonce", "ciphertext", "tag"):
            base64.b64decode(entry[name], validate=True)
        base64.b64decode(entry["kdf"]["salt"], validate=True)
    k = wraps["passphrase"]["kdf"]
    if k.get("name") != "argon2id":
        raise ValueError("'wraps.passphrase.kdf.name'")
    for name in ("memory_kib", "time_cost", "parallelism"):
        if not isinstance(k[name], int) or isinstance(k[name], bool):
            raise ValueError(f"'wraps.passphrase.kdf.{name}'")
    if (k["memory_kib"] < _MIN_KDF.memory_kib or k["time_cost"] < _MIN_KDF.time_cost
            or k["parallelism"] < 1):
        raise ValueError("'wraps.passphrase.kdf' (cost parameters out of range)")
    if wraps["recovery"]["kdf"].get("name") != "hkdf-sha256":
        raise ValueError("'wraps.recovery.kdf.name'")


def _check_kdf_cost(kdf: dict, where: str) -> None:
    memory, passes, lanes = kdf["memory_kib"], kdf["time_cost"], kdf["parallelism"]
    if (memory > MAX_KDF_MEMORY_KIB or lanes > MAX_KDF_PARALLELISM
            or memory * passes > MAX_KDF_WORK):
        raise VaultDamaged(
            f"Vault header {where} asks for Argon2id with {memory // 1024:,} MiB, {passes:,} "
            f"passes and {lanes:,} lanes, far more than this app ever writes (at most "
            f"{MAX_KDF_MEMORY_KIB // 1024:,} MiB, {MAX_KDF_PARALLELISM} lanes and 8 times the "
            "work of its default); it was edited or damaged, and is refused before any key "
            "derivation.")


def read_header(db_path: Path) -> dict:
    path = header_path(db_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VaultError(f"Vault header {path} is missing; without it the vault cannot be "
                         "unlocked.", hint="restore it from a backup") from None
    except OSError as exc:
        raise VaultError(f"Cannot read vault header {path}: {exc.strerror}.") from None
    return parse_header(data, str(path))


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A new file in ``path``'s folder to write into, readable by its owner only; once the block
    succeeds it is synced and renamed over ``path`` (then the folder is fsynced), so ``path`` is
    never half written. On any error the temporary file is removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        restrict_to_owner(tmp)            # before anything is written into it
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            sync_file(fh.fileno())
        replace_file(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_header(db_path: Path, header: dict) -> None:
    with atomic_file(header_path(db_path)) as fh:
        fh.write(header_bytes(header))
