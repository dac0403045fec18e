"""Homomorphic engine: phe-compatible Paillier with fast batch encryption, fixed-point packing,
vectorised homomorphic operations, CRT decryption behind a swappable interface, and a compact
binary format. Pure Python + gmpy2; see docs/architecture.md, "Homomorphic engine".
"""

from .array import EncryptedArray, encrypt_rows, encrypt_vector
from .decrypt import CRTDecryptor, Decryptor
from .encoding import Layout, Slot
from .encrypt import Encryptor
from .keys import fingerprint, generate_keypair, public_key_from_dict, public_key_to_dict

__all__ = ["CRTDecryptor", "Decryptor", "EncryptedArray", "Encryptor", "Layout", "Slot",
           "encrypt_rows", "encrypt_vector", "fingerprint", "generate_keypair",
           "public_key_from_dict", "public_key_to_dict"]

