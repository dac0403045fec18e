"""Contacts: peers' identity cards, each unverified until its fingerprint was compared.

A contact is matched across card imports by its ``identity_id``; a card with a known id (or a
known name) but other keys is a *key change* and is refused loudly unless accepted explicitly.
When it is accepted the old keys move to ``previous_json`` and the contact becomes unverified.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..errors import NotFound
from ..vault.contacts import Contact
from . import keys
from .card import IdentityCard, check_display_text
from .errors import IdentityError, KeyChanged
from .names import look_alike
from .store import has_identity, load_identity, utc_now

if TYPE_CHECKING:
    from ..vault import Vault


def list_contacts(vault: Vault) -> list[Contact]:
    return vault.contacts.all()


def get_contact(vault: Vault, ref: str | int) -> Contact:
    """By name, id, or fingerprint (any spacing)."""
    contacts = list_contacts(vault)
    for contact in contacts:
        if str(ref) in (contact.name, str(contact.id)):
            return contact
    try:
        fp = keys.normalise_fingerprint(str(ref))
    except Exception:  # noqa: BLE001 - not a fingerprint: fall through to NotFound
        fp = None
    for contact in contacts:
        if fp and contact.fingerprint == fp:
            return contact
    raise NotFound(f"No contact named '{ref}'.", hint="see ppds contact list")


def find_by_sign_key(vault: Vault, sign_public: bytes) -> tuple[Contact | None, bool]:
    """The contact whose current (False) or previous (True) signing key this is."""
    contact = vault.contacts.by_sign_key(sign_public)
    if contact is not None:
        return contact, False
    for contact in list_contacts(vault):
        if any(p.get("sign_public") == sign_public.hex() for p in contact.previous):
            return contact, True
    return None, False


def add_contact(vault: Vault, card: IdentityCard, *, name: str | None = None,
                accept_key_change: bool = False) -> Contact:
    """Import a verified-signature card as an unverified contact (or refresh a known one)."""
    own = load_identity(vault) if has_identity(vault) else None
    if own is not None and own.sign_public == card.sign_public:
        raise IdentityError("This is your own identity card; import your peer's card instead.")
    name = check_display_text(name or card.display_name, "Contact name")
    contacts = list_contacts(vault)
    known = [c for c in contacts
             if c.identity_id == card.identity_id or c.sign_public == card.sign_public]
    if not known and any(c.name == name for c in contacts):
        raise IdentityError(f"A contact named '{name}' already exists with different keys. If "
                            "this card claims to be the same person, treat it as a possible "
                            "impostor; otherwise import it under another name.")
    if not known:
        _refuse_look_alike(name, contacts, own.display_name if own is not None else None)
    card_json = json.dumps(card.to_dict(), sort_keys=True)
    with vault.transaction():
        if not known:
            vault.contacts.add(name, card.organisation, card.sign_public, card.enc_public,
                               card.fingerprint, card_json, utc_now())
            vault.audit("contact.add", contact=name, fingerprint=card.fingerprint)
            return get_contact(vault, name)
        old = known[0]
        if len(known) > 1:
            raise IdentityError(f"This card matches several contacts ({', '.join(c.name for c in known)}); "
                                "remove or rename one of them first.")
        if (old.sign_public, old.enc_public) == (card.sign_public, card.enc_public):
            # Same keys: refresh the card (display name, extensions), keep verification.
            vault.contacts.refresh_card(old.id, card.organisation, card_json)
            vault.audit("contact.refresh", contact=old.name, fingerprint=card.fingerprint)
            return get_contact(vault, old.id)
        if not accept_key_change:
            raise KeyChanged(old.name, old.fingerprint, card.fingerprint)
        previous = old.previous + [{"sign_public": old.sign_public.hex(),
                                    "enc_public": old.enc_public.hex(),
                                    "fingerprint": old.fingerprint, "replaced_at": utc_now(),
                                    "was_verified": old.verified}]
        vault.contacts.change_keys(old.id, card.organisation, card.sign_public, card.enc_public,
                                   card.fingerprint, card_json, json.dumps(previous))
        vault.audit("contact.key_change", contact=old.name, old_fingerprint=old.fingerprint,
                    new_fingerprint=card.fingerprint)
    return get_contact(vault, old.id)


def _refuse_look_alike(name: str, others: list[Contact], own_name: str | None) -> None:
    """A name that prints like another contact's (or like ``own_name``, this vault's own) would
    let one key pass for another on every screen that shows names."""
    names = [c.name for c in others] + ([own_name] if own_name is not None else [])
    twin = look_alike(name, names)
    if twin is not None:
        raise IdentityError(f"The contact name '{name}' looks like '{twin}' but is spelled with "
                            "other characters (e.g. a Cyrillic letter for a Latin one); it could "
                            "be taken for that person. Refused.",
                            hint="if this is really someone else, import the card under a "
                                 "clearly different name")


def verify_contact(vault: Vault, ref: str | int, fingerprint: str | None = None) -> Contact:
    """Mark a contact verified. With ``fingerprint`` (what the peer read out), it must match."""
    contact = get_contact(vault, ref)
    if fingerprint is not None and keys.normalise_fingerprint(fingerprint) != contact.fingerprint:
        raise IdentityError(f"The fingerprint you entered does not match contact "
                            f"'{contact.name}': do not trust this card.",
                            hint="ask the sender for their card again over another channel")
    with vault.transaction():
        vault.contacts.set_verified(contact.id)
        vault.audit("contact.verify", contact=contact.name, fingerprint=contact.fingerprint)
    return get_contact(vault, contact.id)


def rename_contact(vault: Vault, ref: str | int, new_name: str) -> Contact:
    contact = get_contact(vault, ref)
    new_name = check_display_text(new_name, "Contact name")
    others = [c for c in list_contacts(vault) if c.id != contact.id]
    if any(c.name == new_name for c in others):
        raise IdentityError(f"A contact named '{new_name}' already exists.")
    _refuse_look_alike(new_name, others,
                       load_identity(vault).display_name if has_identity(vault) else None)
    with vault.transaction():
        vault.contacts.rename(contact.id, new_name)
        vault.audit("contact.rename", old=contact.name, new=new_name)
    return get_contact(vault, contact.id)


def remove_contact(vault: Vault, ref: str | int) -> None:
    contact = get_contact(vault, ref)
    with vault.transaction():
        vault.contacts.delete(contact.id)
        vault.audit("contact.remove", contact=contact.name, fingerprint=contact.fingerprint)
