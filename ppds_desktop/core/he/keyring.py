"""Where Paillier keys live: private keys in the vault's ``secrets`` (kind ``paillier_private``),
public keys on identity cards (extension ``paillier``), found by name or fingerprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import CryptoError, InputError, NotFound
from . import keys as he_keys

if TYPE_CHECKING:
    from ..vault import Vault

KEY_EXTENSION = "paillier"
SINGLE_KEY_WARNING = (
    "Single-key mode: whoever holds this Paillier private key can decrypt every contribution "
    "encrypted under it, not only the combined result. Encrypt only for a key holder you would "
    "trust with the individual values; studies with a split key remove this limitation.")


def load_private_key(vault: Vault, name: str):
    return he_keys.private_key_from_bytes(vault.get_secret(he_keys.SECRET_KIND, name))


def private_keys(vault: Vault) -> list[tuple[str, object]]:
    return [(name, load_private_key(vault, name))
            for name in vault.list_secrets(he_keys.SECRET_KIND)]


def private_key_for(vault: Vault, fingerprint: str):
    for _name, key in private_keys(vault):
        if he_keys.fingerprint(key.public_key) == fingerprint:
            return key
    raise NotFound(f"This vault holds no Paillier private key with fingerprint {fingerprint}; "
                   f"only the key holder can answer.")


def contact_public_key(vault: Vault, contact_ref):
    from ..identity import get_contact

    contact = get_contact(vault, contact_ref)
    card = contact.extensions.get(KEY_EXTENSION)
    if not card:
        raise NotFound(f"Contact {contact.name!r} has published no Paillier public key on "
                       f"their identity card.", hint="ask them for a new card after 'ppds he keygen'")
    return he_keys.public_key_from_dict(card)


def resolve_public_key(vault: Vault, ref: dict):
    """The key named by a recipe's ``encryption.public_key``: own key, or a contact's card key."""
    if not isinstance(ref, dict) or not ({"own", "contact"} & set(ref)):
        raise InputError("encryption.public_key must name 'own' (a key in this vault) or "
                         "'contact' (whose identity card carries a Paillier key).")
    if vault is None:
        raise InputError("Encrypting columns needs the vault, to find the Paillier public key.")
    if "own" in ref:
        public = load_private_key(vault, ref["own"]).public_key
    else:
        public = contact_public_key(vault, ref["contact"])
    expected = ref.get("fingerprint")
    if expected and he_keys.fingerprint(public) != expected:
        raise CryptoError(f"The Paillier key found has fingerprint {he_keys.fingerprint(public)}, "
                          f"not {expected} as the recipe expects.")
    return public
