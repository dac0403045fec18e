"""Identities (this vault's keys), identity cards, fingerprints and contacts."""

from .card import IdentityCard, make_card, parse_card
from .contacts import (Contact, add_contact, find_by_sign_key, get_contact, list_contacts,
                       remove_contact, rename_contact, verify_contact)
from .errors import IdentityError, KeyChanged
from .keys import KeyPairs, fingerprint, fingerprint_lines, normalise_fingerprint
from .store import (Identity, card_extensions, create_identity, export_card, has_identity,
                    load_identity, set_card_extension)

__all__ = [
    "Contact", "Identity", "IdentityCard", "IdentityError", "KeyChanged", "KeyPairs",
    "add_contact", "card_extensions", "create_identity", "export_card", "find_by_sign_key",
    "fingerprint", "fingerprint_lines", "get_contact", "has_identity", "list_contacts",
    "load_identity", "make_card", "normalise_fingerprint", "parse_card", "remove_contact",
    "rename_contact", "set_card_extension", "verify_contact",
]
