"""Append-only, hash-chained audit log: who did what, when — never cell values.

Each row's ``hash`` is SHA-256 over the previous row's hash, a newline, and the canonical JSON
(sorted keys, no spaces, UTF-8) of ``{seq, ts, actor, action, details}``. The first row chains
from 64 zeros. Triggers refuse UPDATE and DELETE on the table; the chain catches edits made
around them, and the head (last seq and hash, kept in the reserved setting ``_audit_head`` in the
same transaction) catches removal of the newest rows.

The chain alone cannot stop someone who holds the passphrase: they can drop the triggers, edit
entries and recompute every hash after them. What they cannot do is make a head recorded
*outside* the vault reappear: ``verify_chain(conn, expect_head=…)`` checks that a head noted
earlier (on paper, by ``ppds vault audit --verify``, or carried in a sealed bundle's signed
manifest, see ``services/sharing.py``) is still an entry of the chain, so history up to that
point is as it was when the head was noted. Entries written after it are not covered.

``details`` hold names, ids, counts and parameters. Callers must never put cell values in them:
the log is shown to users and exported with reports.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..clock import utc_now
from ..errors import VaultError

if TYPE_CHECKING:
    from .vault import Vault

GENESIS = "0" * 64
HEAD_KEY = "_audit_head"
MIN_HEAD_PREFIX = 16     # hex characters of a recorded head that must match (64 bits)
_ENTRY_COLS = "seq, ts, actor, action, details_json, prev_hash, hash"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    actor: str
    action: str
    details: dict
    prev_hash: str
    hash: str


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, ts: str, actor: str, action: str, details: dict) -> str:
    body = canonical({"seq": seq, "ts": ts, "actor": actor, "action": action, "details": details})
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def current_actor(conn) -> str:
    """The vault identity's display name if one is set, else the OS user name."""
    row = conn.execute("SELECT display_name FROM identity WHERE id = 1").fetchone()
    if row and row[0]:
        return str(row[0])
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown user"


def append_entry(conn, action: str, details: dict) -> AuditEntry:
    """Append one entry on ``conn``, which must be inside a transaction."""
    if not action or not isinstance(action, str):
        raise ValueError("an audit action must be a non-empty string")
    details = json.loads(canonical(details))   # what is stored is what gets hashed
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ts, actor = utc_now(), current_actor(conn)
    digest = entry_hash(prev, seq, ts, actor, action, details)
    conn.execute("INSERT INTO audit (seq, ts, actor, action, details_json, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (seq, ts, actor, action, canonical(details), prev, digest))
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (HEAD_KEY, canonical({"seq": seq, "hash": digest})))
    return AuditEntry(seq, ts, actor, action, details, prev, digest)


@dataclass(frozen=True)
class AuditHead:
    """The newest entry's number and hash: what to note down outside the vault."""

    seq: int
    hash: str


def read_head(conn) -> AuditHead:
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return AuditHead(row[0], row[1]) if row else AuditHead(0, GENESIS)


def parse_head(text: str) -> str:
    """A recorded head as typed or pasted (``#12 3fa4…``, spaces, any case) -> lowercase hex;
    VaultError if it is not at least ``MIN_HEAD_PREFIX`` hex characters."""
    words = str(text or "").replace("…", " ").split()
    candidates = [w.strip(".,;:()").lower() for w in words if not w.startswith("#")]
    hexes = [w for w in candidates if w and all(c in "0123456789abcdef" for c in w)]
    if len(hexes) != 1 or not MIN_HEAD_PREFIX <= len(hexes[0]) <= 64:
        raise VaultError(f"That is not an audit head: expected the 64-character hash shown "
                         f"as the head (at least its first {MIN_HEAD_PREFIX} characters).")
    return hexes[0]


def _row_entry(row) -> AuditEntry:
    seq, ts, actor, action, details_json, prev, digest = row
    try:
        details = json.loads(details_json)
    except json.JSONDecodeError:
        details = {"_unreadable": True}
    return AuditEntry(seq, ts, actor, action, details, prev, digest)


def read_entries(conn, limit: int | None = None) -> list[AuditEntry]:
    """Entries oldest first; with ``limit``, the newest ``limit`` entries (still oldest first)."""
    if limit is None:
        rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM audit ORDER BY seq").fetchall()
    else:
        rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM audit ORDER BY seq DESC LIMIT ?",
                            (int(limit),)).fetchall()[::-1]
    return [_row_entry(r) for r in rows]


def verify_chain(conn, expect_head: str | None = None) -> int:
    """Check the whole chain; return the number of entries, or raise VaultError naming the
    first broken entry. ``expect_head``: a head recorded earlier (see :func:`parse_head`) that
    must still be the hash of one of the entries."""
    wanted = parse_head(expect_head) if expect_head is not None else None
    found = None
    prev, expected_seq = GENESIS, 1
    for row in conn.execute(f"SELECT {_ENTRY_COLS} FROM audit ORDER BY seq"):
        e = _row_entry(row)
        if e.seq != expected_seq:
            raise VaultError(f"The audit log is broken: entry #{expected_seq} is missing "
                             f"(the next entry is #{e.seq}).")
        if e.prev_hash != prev:
            raise VaultError(f"The audit log is broken at entry #{e.seq}: it does not link to "
                             "the entry before it.")
        if entry_hash(prev, e.seq, e.ts, e.actor, e.action, e.details) != e.hash:
            raise VaultError(f"The audit log is broken at entry #{e.seq}: its contents were "
                             "changed after it was written.")
        if wanted is not None and found is None and e.hash.startswith(wanted):
            found = e.seq
        prev, expected_seq = e.hash, e.seq + 1
    count = expected_seq - 1
    head_row = conn.execute("SELECT value FROM settings WHERE key = ?", (HEAD_KEY,)).fetchone()
    head = json.loads(head_row[0]) if head_row else {"seq": 0, "hash": GENESIS}
    if head.get("seq") != count or head.get("hash") != prev:
        raise VaultError(f"The audit log is broken: it ends at entry #{count}, but entry "
                         f"#{head.get('seq')} was the last one written (entries were removed).")
    if wanted is not None and found is None:
        raise VaultError(f"The audit log does not contain the recorded head {wanted[:16]}…: "
                         "its history was rewritten after that head was noted, or the head "
                         "belongs to another vault.")
    return count


class AuditLog:
    """The hash-chained ``audit`` table, as ``vault.audit_log`` (``vault.audit(...)`` appends)."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def append(self, action: str, details: dict) -> AuditEntry:
        """Record ``action``; joins the caller's transaction if there is one."""
        with self._vault.transaction() as conn:
            return append_entry(conn, action, details)

    def entries(self, limit: int | None = None) -> list[AuditEntry]:
        with self._vault._snapshot() as conn:
            return read_entries(conn, limit)

    def verify(self, expect_head: str | None = None) -> int:
        """Raise VaultError if the log was tampered with (or, given ``expect_head``, a head
        recorded earlier is no longer in it); else return its length."""
        with self._vault._snapshot() as conn:
            return verify_chain(conn, expect_head)

    def head(self) -> AuditHead:
        with self._vault._snapshot() as conn:
            return read_head(conn)
