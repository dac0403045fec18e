"""Homomorphic engine: phe-compatible Paillier with fast batch encryption, fixed-point packing,
vectorised homomorphic operations, CRT decryption behind a swappable interface, and a compact
binary format. Pure Python + gmpy2; see docs/architecture.md, "Homomorphic engine".
"""

from importlib import import_module

# The package's names and the modules that define them, loaded on first use so that importing
# a light module of the package (``limits``) does not load gmpy2 and phe.
_FROM = {"EncryptedArray": "array", "encrypt_rows": "array", "encrypt_vector": "array",
         "CRTDecryptor": "decrypt", "Decryptor": "decrypt", "Layout": "encoding",
         "Slot": "encoding", "Encryptor": "encrypt", "fingerprint": "keys",
         "generate_keypair": "keys", "public_key_from_dict": "keys", "public_key_to_dict": "keys"}
__all__ = sorted(_FROM)


def __getattr__(name: str):
    if name in _FROM:
        return getattr(import_module(f".{_FROM[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

