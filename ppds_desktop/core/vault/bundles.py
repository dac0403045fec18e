"""Tables about bundles received and answered, as ``vault.bundles``: ``imported_bundles``
(replay detection), ``he_contributions`` (signed bundles kept so homomorphic requests can carry
them) and ``he_answered_cells`` / ``he_answered_rows`` (the key holder's record against
differencing, see ``core.he.answered``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .vault import Vault


class BundleStore:
    """Time stamps are the callers' (bundles use the seconds-precision UTC of the peers)."""

    def __init__(self, vault: Vault):
        self._vault = vault

    # ------------------------------------------------------------------ imported bundles

    def imported_at(self, bundle_id: str) -> str | None:
        """When the bundle was imported, or None if it never was."""
        rows = self._vault._query("SELECT imported_at FROM imported_bundles WHERE bundle_id = ?",
                                  (bundle_id,))
        return rows[0][0] if rows else None

    def record_import(self, bundle_id: str, sender_fp: str, kind: str, dataset_id: int,
                      imported_at: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO imported_bundles (bundle_id, sender_fp, kind, "
                         "dataset_id, imported_at) VALUES (?, ?, ?, ?, ?)",
                         (bundle_id, sender_fp, kind, dataset_id, imported_at))

    # ------------------------------------------------------------------ HE contributions

    def keep_contribution(self, bundle_id: str, data: bytes, stored_at: str) -> None:
        """Keep a received bundle's bytes (re-verified whenever used)."""
        with self._vault.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO he_contributions (bundle_id, data, stored_at) "
                         "VALUES (?, ?, ?)", (bundle_id, data, stored_at))

    def contribution(self, bundle_id: str) -> bytes | None:
        rows = self._vault._query("SELECT data FROM he_contributions WHERE bundle_id = ?",
                                  (bundle_id,))
        return bytes(rows[0][0]) if rows else None

    def sealed_release(self, release_uid: str, key_holder_fp: str) -> bytes | None:
        """A release of this vault sealed earlier for that key holder, if there is one."""
        rows = self._vault._query("SELECT data FROM he_contributions WHERE release_uid = ? AND "
                                  "key_holder = ?", (release_uid, key_holder_fp))
        return bytes(rows[0][0]) if rows else None

    def keep_sealed_release(self, bundle_id: str, release_uid: str, key_holder_fp: str,
                            data: bytes, stored_at: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute("INSERT INTO he_contributions (bundle_id, release_uid, key_holder, "
                         "data, stored_at) VALUES (?, ?, ?, ?, ?)",
                         (bundle_id, release_uid, key_holder_fp, data, stored_at))

    # ------------------------------------------------------------------ answered cells

    def exact_answers_over(self, bundle_ids: list[str]
                           ) -> list[tuple[int, str, int, str, int, bytes]]:
        """(cell id, answered at, records lacking a value, bundle id, rows, rows bitmap) of
        every exact (not noised) cell decided that covered one of these contributions, oldest
        cell first."""
        marks = ",".join("?" * len(bundle_ids))
        return self._vault._query(
            f"SELECT c.id, c.answered_at, c.missing, r.bundle_id, r.n_rows, r.rows_bitmap "
            f"FROM he_answered_cells c JOIN he_answered_rows r ON r.cell_id = c.id "
            f"WHERE c.noised = 0 AND c.id IN (SELECT cell_id FROM he_answered_rows "
            f"WHERE bundle_id IN ({marks})) ORDER BY c.id", bundle_ids)

    def record_answered_cell(self, request_id: str, release_id: int | None, records: int,
                             noised: bool, answered_at: str,
                             rows: list[tuple[str, int, bytes]], missing: int = 0) -> None:
        """One decided cell and, per contribution, (bundle id, rows, rows bitmap)."""
        with self._vault.transaction() as conn:
            cur = conn.execute("INSERT INTO he_answered_cells (request_id, release_id, records, "
                               "noised, answered_at, missing) VALUES (?, ?, ?, ?, ?, ?)",
                               (request_id, release_id, records, int(noised), answered_at,
                                missing))
            conn.executemany("INSERT INTO he_answered_rows (cell_id, bundle_id, n_rows, "
                             "rows_bitmap) VALUES (?, ?, ?, ?)",
                             [(cur.lastrowid, *row) for row in rows])
