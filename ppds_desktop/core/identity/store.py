"""This vault's own identity: created once, kept in the ``identity`` table, exported as a card.

Card extensions (extra public keys other areas publish, e.g. a Paillier public key) are kept in
the vault setting ``identity.card_extensions`` as ``{name: json-object}`` and put on every card
this vault exports; see :func:`set_card_extension`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..clock import utc_now_seconds as utc_now
from ..vault.contacts import IdentityRow
from . import card as cards
from .errors import IdentityError
from .keys import KeyPairs

if TYPE_CHECKING:
    from ..vault import Vault

EXTENSIONS_SETTING = "identity.card_extensions"
IDENTITY_ID_SETTING = "identity.id"


@dataclass(frozen=True)
class Identity:
    identity_id: str
    display_name: str
    organisation: str
    created_at: str
    keys: KeyPairs

    @property
    def fingerprint(self) -> str:
        return self.keys.fingerprint

    @property
    def sign_public(self) -> bytes:
        return self.keys.sign_public

    @property
    def enc_public(self) -> bytes:
        return self.keys.enc_public


def has_identity(vault: Vault) -> bool:
    return vault.identity.exists()


def create_identity(vault: Vault, display_name: str, organisation: str = "", *,
                    replace: bool = False) -> Identity:
    """Make new key pairs for this vault. Replacing an identity is a key change for every
    peer, so it is refused unless ``replace`` is given (the identity id is kept)."""
    display_name = cards.check_display_text(display_name, "Display name")
    organisation = cards.check_display_text(organisation, "Organisation", allow_empty=True)
    if has_identity(vault) and not replace:
        raise IdentityError("This vault already has an identity; replacing it changes your "
                            "keys for every contact.", hint="CLI: replace it with --force")
    pairs = KeyPairs.generate()
    created = utc_now()
    identity_id = vault.get_setting(IDENTITY_ID_SETTING) or secrets.token_hex(16)
    with vault.transaction():
        vault.identity.replace(IdentityRow(display_name, organisation, pairs.sign_private,
                                           pairs.enc_private, created))
        vault.set_setting(IDENTITY_ID_SETTING, identity_id)
        vault.audit("identity.create", display_name=display_name, fingerprint=pairs.fingerprint,
                    replaced=replace)
    return Identity(identity_id, display_name, organisation, created, pairs)


def load_identity(vault: Vault) -> Identity:
    row = vault.identity.get()
    if row is None:
        raise IdentityError("This vault has no identity yet.",
                            hint="create one: ppds identity init --name NAME")
    name, org, sign_private, enc_private, created = row
    return Identity(vault.get_setting(IDENTITY_ID_SETTING), name, org, created,
                    KeyPairs(bytes(sign_private), bytes(enc_private)))


def card_extensions(vault: Vault) -> dict:
    return dict(vault.get_setting(EXTENSIONS_SETTING) or {})


def set_card_extension(vault: Vault, name: str, value: dict | None) -> None:
    """Publish (or with ``None`` withdraw) an extra public key on this vault's identity card.

    ``value`` is a JSON object without floats (big integers as strings). Peers see it in
    ``Contact.extensions[name]`` after importing the card.
    """
    current = card_extensions(vault)
    if value is None:
        current.pop(name, None)
    else:
        current[name] = value
    cards.check_extensions(current)
    vault.set_setting(EXTENSIONS_SETTING, current)


def export_card(vault: Vault) -> cards.IdentityCard:
    ident = load_identity(vault)
    return cards.make_card(ident.keys, identity_id=ident.identity_id,
                           display_name=ident.display_name, organisation=ident.organisation,
                           created_at=ident.created_at, extensions=card_extensions(vault))
