"""The ``identity`` and ``contacts`` tables, as ``vault.identity`` and ``vault.contacts``.

Rows only: ``core.identity`` turns them into ``Identity`` and ``Contact`` objects and decides
what may be stored (key changes, look-alike names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .vault import Vault


class IdentityRow(NamedTuple):
    display_name: str
    organisation: str
    sign_private: bytes
    enc_private: bytes
    created_at: str


class ContactRow(NamedTuple):
    id: int
    name: str
    organisation: str
    sign_public: bytes
    enc_public: bytes
    fingerprint: str
    verified: int
    card_json: str
    previous_json: str
    added_at: str


_CONTACT_COLS = ", ".join(ContactRow._fields)


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

    def all(self) -> list[ContactRow]:
        """Every contact, by name."""
        return [ContactRow(*r) for r in self._vault._query(
            f"SELECT {_CONTACT_COLS} FROM contacts ORDER BY name")]

    def by_sign_key(self, sign_public: bytes) -> ContactRow | None:
        rows = self._vault._query(f"SELECT {_CONTACT_COLS} FROM contacts WHERE sign_public = ?",
                                  (sign_public,))
        return ContactRow(*rows[0]) if rows else None

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
