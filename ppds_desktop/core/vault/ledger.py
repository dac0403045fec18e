"""The ``budgets`` and ``ledger`` tables (privacy budget per dataset and its spends), as
``vault.ledger``. Rows only: ``core.dp.ledger`` checks budgets and decides what may be spent."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from ..clock import utc_now

if TYPE_CHECKING:
    from .vault import Vault


@dataclass
class LedgerEntry:
    """One spend of a dataset's privacy budget."""
    id: int
    release_id: int | None
    mechanism: str
    epsilon: float
    rho: float
    description: str
    created_at: str


class LedgerStore:
    def __init__(self, vault: Vault):
        self._vault = vault

    def budget(self, dataset_id: int) -> tuple[float, float] | None:
        """(ε total, ρ total), or None if no budget was set."""
        rows = self._vault._query("SELECT epsilon_total, rho_total FROM budgets "
                                  "WHERE dataset_id = ?", (dataset_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def spent(self, dataset_id: int) -> tuple[float, float]:
        """(ε, ρ) spent on the dataset so far."""
        [(eps, rho)] = self._vault._query(
            "SELECT COALESCE(SUM(epsilon), 0), COALESCE(SUM(rho), 0) FROM ledger "
            "WHERE dataset_id = ?", (dataset_id,))
        return eps, rho

    def entries(self, dataset_id: int) -> list[LedgerEntry]:
        columns = ", ".join(f.name for f in fields(LedgerEntry))
        return [LedgerEntry(*r) for r in self._vault._query(
            f"SELECT {columns} FROM ledger WHERE dataset_id = ? ORDER BY id", (dataset_id,))]

    def release_spend(self, release_id: int) -> tuple[float, float, int]:
        """(ε, ρ, number of ledger rows) one release spent."""
        [(eps, rho, n)] = self._vault._query(
            "SELECT COALESCE(SUM(epsilon), 0), COALESCE(SUM(rho), 0), COUNT(*) FROM ledger "
            "WHERE release_id = ?", (release_id,))
        return eps, rho, n

    def set_budget(self, dataset_id: int, epsilon_total: float, rho_total: float) -> None:
        with self._vault.transaction() as conn:
            conn.execute("INSERT INTO budgets (dataset_id, epsilon_total, rho_total, set_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT(dataset_id) DO UPDATE SET "
                         "epsilon_total = excluded.epsilon_total, rho_total = excluded.rho_total, "
                         "set_at = excluded.set_at",
                         (dataset_id, epsilon_total, rho_total, utc_now()))

    def record(self, dataset_id: int, release_id: int | None, mechanism: str, epsilon: float,
               rho: float, description: str) -> None:
        with self._vault.transaction() as conn:
            conn.execute("INSERT INTO ledger (dataset_id, release_id, mechanism, epsilon, rho, "
                         "description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (dataset_id, release_id, mechanism, epsilon, rho, description,
                          utc_now()))
