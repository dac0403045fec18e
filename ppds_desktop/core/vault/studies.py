"""The vault's record of multi-site studies, as ``vault.studies`` (tables ``studies``,
``study_messages``, ``study_decrypted``; migration 3). All study SQL lives here.

Writes join the caller's transaction (``vault.transaction()`` nests as a savepoint), so a step
that refuses after it started writing leaves nothing. A study's key share is not here: it is a
vault secret of kind :data:`SHARE_SECRET` named by the study id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound
from .audit import utc_now

if TYPE_CHECKING:
    from .vault import Vault

SHARE_SECRET = "study_key_share"


@dataclass(frozen=True)
class StudyRow:
    study_id: str
    title: str
    role: str                   # coordinator | participant
    state: str                  # draft | open
    definition: bytes
    signature: bytes | None
    study_hash: str | None
    round: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class MessageRow:
    id: int
    study_id: str
    kind: str
    direction: str              # sent | received
    round: int
    party: str                  # fingerprint
    bundle_id: str | None
    request_id: str | None
    summary: dict
    at: str


@dataclass(frozen=True)
class DecryptedRow:
    request_id: str
    round: int
    bundles: dict               # site fingerprint -> contribution bundle id
    source: str                 # answered | result
    at: str


_STUDY = ("study_id, title, role, state, definition, signature, study_hash, round, created_at, "
          "updated_at")
_MESSAGE = "id, study_id, kind, direction, round, party, bundle_id, request_id, summary, at"


def _study(row) -> StudyRow:
    sid, title, role, state, definition, signature, shash, rnd, created, updated = row
    return StudyRow(sid, title, role, state, bytes(definition),
                    None if signature is None else bytes(signature), shash, rnd, created, updated)


def _message(row) -> MessageRow:
    mid, sid, kind, direction, rnd, party, bundle_id, request_id, summary, at = row
    return MessageRow(mid, sid, kind, direction, rnd, party, bundle_id, request_id,
                      json.loads(summary), at)


class StudyStore:
    """Writes join the caller's transaction (``vault.transaction()`` nests as a savepoint)."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def put_study(self, *, study_id: str, title: str, role: str, state: str, definition: bytes,
                  signature: bytes | None = None, study_hash: str | None = None,
                  round_no: int = 1) -> StudyRow:
        """Insert a study, or replace a draft of this vault's (drafts become open when invited)."""
        now = utc_now()
        with self._vault.transaction() as conn:
            conn.execute(
                f"INSERT INTO studies ({_STUDY}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(study_id) DO UPDATE SET title = excluded.title, "
                "state = excluded.state, "
                "definition = excluded.definition, signature = excluded.signature, "
                "study_hash = excluded.study_hash, round = excluded.round, "
                "updated_at = excluded.updated_at",
                (study_id, title, role, state, definition, signature, study_hash, round_no,
                 now, now))
        return self.get_study(study_id)

    def set_round(self, study_id: str, round_no: int) -> None:
        with self._vault.transaction() as conn:
            conn.execute("UPDATE studies SET round = ?, updated_at = ? WHERE study_id = ?",
                         (round_no, utc_now(), study_id))

    def find_study(self, study_id: str) -> StudyRow | None:
        rows = self._vault._query(f"SELECT {_STUDY} FROM studies WHERE study_id = ?", (study_id,))
        return _study(rows[0]) if rows else None

    def get_study(self, ref: str) -> StudyRow:
        """By id, a unique prefix of at least 6 hex digits, or a unique title."""
        ref = str(ref).strip()
        rows = self._vault._query(
            f"SELECT {_STUDY} FROM studies WHERE study_id = ? OR title = ?", (ref, ref))
        if not rows and len(ref) >= 6:
            rows = self._vault._query(
                f"SELECT {_STUDY} FROM studies WHERE study_id LIKE ? || '%'", (ref.lower(),))
        if len(rows) > 1:
            raise NotFound(f"{len(rows)} studies match {ref!r}; give more of the study id.")
        if not rows:
            raise NotFound(f"This vault takes part in no study {ref!r}.",
                           hint="see ppds study list")
        return _study(rows[0])

    def list_studies(self) -> list[StudyRow]:
        return [_study(r) for r in self._vault._query(
            f"SELECT {_STUDY} FROM studies ORDER BY created_at, title")]

    def add_message(self, study_id: str, kind: str, direction: str, round_no: int, party: str, *,
                    bundle_id: str | None = None, request_id: str | None = None,
                    summary: dict | None = None) -> None:
        with self._vault.transaction() as conn:
            conn.execute(f"INSERT INTO study_messages ({_MESSAGE.replace('id, ', '', 1)}) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (study_id, kind, direction, round_no, party, bundle_id, request_id,
                          json.dumps(summary or {}, sort_keys=True, ensure_ascii=False),
                          utc_now()))

    def messages(self, study_id: str, kind: str | None = None) -> list[MessageRow]:
        if kind is None:
            rows = self._vault._query(
                f"SELECT {_MESSAGE} FROM study_messages WHERE study_id = ? ORDER BY id",
                (study_id,))
        else:
            rows = self._vault._query(
                f"SELECT {_MESSAGE} FROM study_messages WHERE study_id = ? AND kind = ? "
                "ORDER BY id", (study_id, kind))
        return [_message(r) for r in rows]

    def decrypted_sets(self, study_id: str) -> list[DecryptedRow]:
        rows = self._vault._query(
            "SELECT request_id, round, bundles, source, at FROM study_decrypted "
            "WHERE study_id = ? ORDER BY at", (study_id,))
        return [DecryptedRow(rid, rnd, json.loads(bundles), source, at)
                for rid, rnd, bundles, source, at in rows]

    def add_decrypted(self, study_id: str, request_id: str, round_no: int, bundles: dict,
                      source: str) -> bool:
        """Remember a decrypted site set; False if this request was recorded already."""
        with self._vault.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO study_decrypted (study_id, request_id, round, bundles, "
                "source, at) VALUES (?, ?, ?, ?, ?, ?)",
                (study_id, request_id, round_no, json.dumps(bundles, sort_keys=True), source,
                 utc_now()))
            return cur.rowcount == 1
