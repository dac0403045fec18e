"""The ``identity`` and ``contacts`` tables, as ``vault.identity`` and ``vault.contacts``.

The stores read and write; ``core.identity`` decides what may be stored (key changes,
look-alike names) and turns the identity row into an ``Identity`` with its key pairs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .vault import Vault


class IdentityRow(NamedTuple):
    display_name: str
    organisation: str
    sign_private: bytes
    enc_private: bytes
    created_at: str


@dataclass(frozen=True)
class Contact:
    """A peer's identity card as imported; unverified until its fingerprint was compared."""
    id: int
    name: str
    organisation: str
    sign_public: bytes
    enc_public: bytes
    fingerprint: str
    verified: bool
    identity_id: str
    card: dict
    previous: list = field(default_factory=list)
    added_at: str = ""

    @property
    def extensions(self) -> dict:
        return dict(self.card.get("extensions", {}))

    @property
    def state(self) -> str:
        return "verified" if self.verified else "unverified"


_CONTACT_COLS = ("id, name, organisation, sign_public, enc_public, fingerprint, verified, "
                 "card_json, previous_json, added_at")


def _contact(row) -> Contact:
    cid, name, org, spub, epub, fp, verified, card_json, prev_json, added = row
    card = json.loads(card_json)
    return Contact(cid, name, org, bytes(spub), bytes(epub), fp, bool(verified),
                   card.get("identity_id", ""), card, json.loads(prev_json), added)


class IdentityStore:
    """This vault's one identity row (id 1)."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def exists(self) -> bool:
        return bool(self._vault._query("SELECT COUNT(*) FROM identity")[0][0])

    def get(self) -> IdentityRow | None:
        rows = self._vault._query(
            "SELECT display_name, organisation, sign_private, enc_private, created_at"
            " FROM identity WHERE id = 1")
        return IdentityRow(*rows[0]) if rows else None

    def replace(self, row: IdentityRow) -> None:
        """Store ``row`` as the identity, in the caller's transaction."""
        with self._vault.transaction() as conn:
            conn.execute("DELETE FROM identity")
            conn.execute(
                "INSERT INTO identity (id, display_name, organisation, sign_private, enc_private,"
                " created_at) VALUES (1, ?, ?, ?, ?, ?)", tuple(row))


class ContactStore:
    def __init__(self, vault: Vault):
        self._vault = vault

    def all(self) -> list[Contact]:
        """Every contact, by name."""
        return [_contact(r) for r in self._vault._query(
            f"SELECT {_CONTACT_COLS} FROM contacts ORDER BY name")]

    def by_sign_key(self, sign_public: bytes) -> Contact | None:
        rows = self._vault._query(f"SELECT {_CONTACT_COLS} FROM contacts WHERE sign_public = ?",
                                  (sign_public,))
        return _contact(rows[0]) if rows else None

    def add(self, name: str, organisation: str, sign_public: bytes, enc_public: bytes,
            fingerprint: str, card_json: str, added_at: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute(
                "INSERT INTO contacts (name, organisation, sign_public, enc_public, fingerprint,"
                " verified, card_json, previous_json, added_at) VALUES (?, ?, ?, ?, ?, 0, ?, '[]', ?)",
                (name, organisation, sign_public, enc_public, fingerprint, card_json, added_at))

    def refresh_card(self, contact_id: int, organisation: str, card_json: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute("UPDATE contacts SET organisation = ?, card_json = ? WHERE id = ?",
                         (organisation, card_json, contact_id))

    def change_keys(self, contact_id: int, organisation: str, sign_public: bytes,
                    enc_public: bytes, fingerprint: str, card_json: str,
                    previous_json: str) -> None:
        """New keys for a known contact, which becomes unverified."""
        with self._vault.transaction() as conn:
            conn.execute(
                "UPDATE contacts SET organisation = ?, sign_public = ?, enc_public = ?, "
                "fingerprint = ?, verified = 0, card_json = ?, previous_json = ? WHERE id = ?",
                (organisation, sign_public, enc_public, fingerprint, card_json, previous_json,
                 contact_id))

    def set_verified(self, contact_id: int) -> None:
        with self._vault.transaction() as conn:
            conn.execute("UPDATE contacts SET verified = 1 WHERE id = ?", (contact_id,))

    def rename(self, contact_id: int, new_name: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute("UPDATE contacts SET name = ? WHERE id = ?", (new_name, contact_id))

    def delete(self, contact_id: int) -> None:
        with self._vault.transaction() as conn:
            conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
