"""Threshold Paillier (Shoup; Damgård–Jurik with s = 1): a decryption key split t-of-n.

The public key stays an ordinary ``phe.PaillierPublicKey`` (g = n + 1), so encryption, packing
and every homomorphic operation of the engine are unchanged; only decryption needs ``t`` key-share
holders, each answering with partial decryptions and one proof that they are correct.
See docs/architecture.md, "Threshold decryption".

- ``ceremony.py``: ``run_ceremony`` (trusted dealer) → ``ThresholdKey`` + ``KeyShare`` per holder
- ``partial.py``: ``partial_decrypt`` (holder), ``check_partial``, ``PartialDecryption`` bytes
- ``proof.py``: the batched Chaum–Pedersen proof; ``transcript.py``: Fiat–Shamir hashing
- ``combine.py``: ``combine`` and ``ThresholdDecryption`` (the engine's ``Decryptor``)
- ``safe_primes.py``: the sieved safe-prime search used by the ceremony
"""

from .ceremony import Ceremony, deal, run_ceremony
from .combine import Combination, ThresholdDecryption, combine
from .keys import CeremonyRecord, KeyShare, ThresholdKey
from .partial import PartialDecryption, Rejection, check_partial, partial_decrypt

__all__ = ["Ceremony", "CeremonyRecord", "Combination", "KeyShare", "PartialDecryption",
           "Rejection", "ThresholdDecryption", "ThresholdKey", "check_partial", "combine",
           "deal", "partial_decrypt", "run_ceremony"]
