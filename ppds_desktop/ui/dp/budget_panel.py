"""A dataset's privacy budget at a glance, and (for the data owner) the fields to set it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from ..errors import show_error
from ...core.errors import PPDSError
from ...services import dp as dp_service


def budget_text(status) -> str:
    if not status.is_set:
        return (f"<b>{status.dataset}</b>: no privacy budget set yet — DP releases are refused "
                f"until the data owner sets one.")
    text = (f"<b>{status.dataset}</b>: ε {status.epsilon_spent:g} of {status.epsilon_total:g} "
            f"spent (<b>{status.epsilon_remaining:g} left</b>)")
    if status.rho_total:
        text += f"; ρ {status.rho_spent:g} of {status.rho_total:g} (<b>{status.rho_remaining:g} left</b>)"
    return text + f"; {len(status.entries)} release(s) so far."


class BudgetPanel(QWidget):
    """Shows the budget of ``dataset`` and lets the owner change it."""

    changed = Signal(object)            # the new BudgetStatus

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.dataset: str | None = None
        self.status = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.epsilon = QDoubleSpinBox()
        self.epsilon.setRange(0.0, 100.0)
        self.epsilon.setDecimals(3)
        self.epsilon.setSingleStep(0.1)
        self.epsilon.setToolTip("Total ε for Laplace-noise releases of this dataset")
        self.rho = QDoubleSpinBox()
        self.rho.setRange(0.0, 100.0)
        self.rho.setDecimals(4)
        self.rho.setSingleStep(0.01)
        self.rho.setToolTip("Total ρ (zero-concentrated DP) for Gaussian-noise releases")
        self.epsilon.setAccessibleName("Total ε of this dataset")
        self.rho.setAccessibleName("Total ρ of this dataset")
        self.set_button = QPushButton("Set &budget")
        self.set_button.setToolTip("Data owner: set this dataset's total privacy budget")
        self.set_button.clicked.connect(self.apply)
        row = QHBoxLayout()
        row.addWidget(QLabel("Total ε"))
        row.addWidget(self.epsilon)
        row.addWidget(QLabel("Total ρ"))
        row.addWidget(self.rho)
        row.addWidget(self.set_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(row)

    def show_dataset(self, dataset: str | None) -> None:
        self.dataset = dataset
        self.refresh()

    def refresh(self) -> None:
        if not self.dataset:
            self.summary.setText("Choose a dataset to see its privacy budget.")
            self.status = None
            return
        try:
            self.status = dp_service.budget_status(self.session.vault, self.dataset)
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.summary.setText(budget_text(self.status))
        self.epsilon.setValue(self.status.epsilon_total)
        self.rho.setValue(self.status.rho_total)
        self.changed.emit(self.status)

    def apply(self) -> None:
        if not self.dataset:
            return
        try:
            dp_service.set_budget(self.session.vault, self.dataset, epsilon=self.epsilon.value(),
                                  rho=self.rho.value())
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.refresh()
