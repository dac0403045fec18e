"""The per-dataset privacy-budget ledger, kept in the vault (tables ``budgets`` and ``ledger``).

The data owner sets a total ε (pure DP, spent by discrete-Laplace mechanisms) and a total ρ
(zCDP, spent by discrete-Gaussian ones). Every release that uses a dataset's budget writes its
ledger row in the *same* ``vault.transaction()`` as the release itself, so a crash or a refusal
leaves neither. The check is repeated inside that transaction, which starts with
``BEGIN IMMEDIATE`` and so holds SQLite's write lock: two processes spending at once are
serialised and the second one sees the first one's spend — the budget can never be overspent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar

from ..errors import BudgetExceeded, InputError
from ..vault.ledger import LedgerEntry
from .accounting import Cost, combined_epsilon

if TYPE_CHECKING:
    from ..vault import Vault

T = TypeVar("T")
_TOLERANCE = 1e-9      # so that ten spends of 0.1 fit a budget of 1.0


@dataclass
class BudgetStatus:
    dataset: str
    dataset_id: int
    epsilon_total: float
    rho_total: float
    epsilon_spent: float
    rho_spent: float
    is_set: bool = True
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def epsilon_remaining(self) -> float:
        return max(self.epsilon_total - self.epsilon_spent, 0.0)

    @property
    def rho_remaining(self) -> float:
        return max(self.rho_total - self.rho_spent, 0.0)

    def overall_epsilon(self, delta: float = 1e-6) -> float:
        """Everything spent so far as one (ε, δ)-DP guarantee, for display."""
        return combined_epsilon(self.epsilon_spent, self.rho_spent, delta)

    def check(self, cost: Cost) -> None:
        """Raise :class:`BudgetExceeded` with the numbers if ``cost`` does not fit."""
        if not self.is_set:
            exc = BudgetExceeded(spent=0.0, remaining=0.0, asked=cost.epsilon or cost.rho,
                                 unit="ρ" if cost.rho and not cost.epsilon else "ε")
            exc.hint = (f"no privacy budget is set for {self.dataset}; its owner sets one on "
                        f"the Differential privacy page (CLI: ppds dp budget set)")
            raise exc
        if cost.epsilon > 0 and self.epsilon_spent + cost.epsilon > self.epsilon_total + _TOLERANCE:
            raise BudgetExceeded(spent=self.epsilon_spent, remaining=self.epsilon_remaining,
                                 asked=cost.epsilon, unit="ε")
        if cost.rho > 0 and self.rho_spent + cost.rho > self.rho_total + _TOLERANCE:
            raise BudgetExceeded(spent=self.rho_spent, remaining=self.rho_remaining,
                                 asked=cost.rho, unit="ρ")

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "is_set": self.is_set,
                "epsilon_total": self.epsilon_total, "epsilon_spent": self.epsilon_spent,
                "epsilon_remaining": self.epsilon_remaining, "rho_total": self.rho_total,
                "rho_spent": self.rho_spent, "rho_remaining": self.rho_remaining,
                "overall_epsilon_at_delta_1e-6": self.overall_epsilon(),
                "entries": [e.__dict__ for e in self.entries]}


def _validate_total(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number") from None
    if not (value >= 0 and value < float("inf")):
        raise InputError(f"{name} must be zero or positive, got {value:g}")
    return value


def _read(vault: Vault, dataset_id: int, name: str, with_entries: bool) -> BudgetStatus:
    """Read on this thread's connection: inside the caller's transaction, if there is one."""
    totals = vault.ledger.budget(dataset_id)
    eps, rho = vault.ledger.spent(dataset_id)
    entries = vault.ledger.entries(dataset_id) if with_entries else []
    if totals is None:
        return BudgetStatus(name, dataset_id, 0.0, 0.0, float(eps), float(rho), False, entries)
    return BudgetStatus(name, dataset_id, float(totals[0]), float(totals[1]), float(eps),
                        float(rho), True, entries)


def set_budget(vault: Vault, dataset_ref, *, epsilon=None, rho=None) -> BudgetStatus:
    """Set (or change) a dataset's total budget. It cannot go below what is already spent.
    ``None`` keeps that total as it is (0 for a new budget): raising ε must not reset ρ."""
    info = vault.dataset_info(dataset_ref)
    with vault.transaction():
        status = _read(vault, info.id, info.name, False)
        eps_total = (status.epsilon_total if epsilon is None
                     else _validate_total(epsilon, "epsilon"))
        rho_total = status.rho_total if rho is None else _validate_total(rho, "rho")
        for unit, total, spent in (("ε", eps_total, status.epsilon_spent),
                                   ("ρ", rho_total, status.rho_spent)):
            if total + _TOLERANCE < spent:
                raise InputError(f"The {unit} budget of {info.name} cannot be set to {total:g}: "
                                 f"{unit}={spent:g} is already spent.")
        vault.ledger.set_budget(info.id, eps_total, rho_total)
        vault.audit("dp.budget_set", dataset=info.name, dataset_id=info.id,
                    epsilon_total=eps_total, rho_total=rho_total)
        return _read(vault, info.id, info.name, True)


def budget_status(vault: Vault, dataset_ref, *, with_entries: bool = True) -> BudgetStatus:
    """For display and early refusal. It takes no lock (a long import elsewhere does not block
    it); the binding check is the one :func:`spend` repeats under the write lock."""
    info = vault.dataset_info(dataset_ref)
    return _read(vault, info.id, info.name, with_entries)


def release_spend(vault: Vault, release_id: int) -> dict:
    """What one release spent (a bundle's manifest states it): ε, ρ and its ledger rows."""
    eps, rho, n = vault.ledger.release_spend(release_id)
    return {"epsilon": float(eps), "rho": float(rho), "ledger_entries": int(n)}


def spend(vault: Vault, dataset_ref, cost: Cost, *, mechanism: str, description: str,
          release: Callable[[], T]) -> T:
    """Record ``cost`` against the dataset and run ``release()`` (which should call
    ``vault.put_release``), both in one transaction; refuse with :class:`BudgetExceeded` if the
    budget would be overspent, in which case ``release`` is never called."""
    if cost.epsilon < 0 or cost.rho < 0 or (cost.epsilon == 0 and cost.rho == 0):
        raise InputError("a DP release must spend a positive ε or ρ")
    info = vault.dataset_info(dataset_ref)
    with vault.transaction():
        status = _read(vault, info.id, info.name, False)   # re-read under the write lock
        status.check(cost)
        result = release()
        release_id = getattr(result, "id", None)
        vault.ledger.record(info.id, release_id, mechanism, cost.epsilon, cost.rho, description)
        vault.audit("dp.spend", dataset=info.name, dataset_id=info.id, release_id=release_id,
                    mechanism=mechanism, epsilon=cost.epsilon, rho=cost.rho)
        return result
