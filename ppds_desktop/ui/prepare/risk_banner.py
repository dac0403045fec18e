"""The red banner over a release that can still identify people: what identifies them, a
one-click fix (add k-anonymity on the quasi-identifiers and run again), and the check box
that must be ticked before such a release is saved or exported."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout


class RiskBanner(QFrame):
    fix_requested = Signal()
    acknowledged_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("riskBanner")
        self.setStyleSheet("#riskBanner { background: #fdecea; border: 2px solid #b00020; "
                           "border-radius: 4px; } #riskBanner QLabel { color: #5f0010; }")
        self.heading = QLabel("<b>This release can still identify people.</b>")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.fix_button = QPushButton()
        self.fix_button.clicked.connect(self.fix_requested)
        self.acknowledge = QCheckBox()
        self.acknowledge.toggled.connect(self.acknowledged_changed)
        row = QHBoxLayout()
        row.addWidget(self.fix_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(self.acknowledge)
        self.verdict = None
        self.setVisible(False)

    def show_verdict(self, verdict) -> None:
        """Show (or hide, when safe) the banner for a ``core.risk.ReleaseVerdict``."""
        self.verdict = verdict
        self.acknowledge.setChecked(False)
        self.setVisible(not verdict.safe)
        if verdict.safe:
            return
        k = verdict.suggested_k
        self.text.setText(" ".join(verdict.problems()))
        self.fix_button.setVisible(verdict.can_fix)
        self.fix_button.setText(f"&Add {k}-anonymity (everyone hidden among at least {k}) and "
                                f"run again")
        self.fix_button.setToolTip(
            f"Generalize {', '.join(verdict.qi_columns)} until every person shares them with at "
            f"least {k - 1} others (a risk of at most 1 in {k}). If the recipe allows no rows to "
            f"be left out, up to 5 % may be.")
        self.acknowledge.setText(
            "I &understand that this release can still identify people, and I want to save or "
            "export it anyway (recorded in the audit log).")

    @property
    def acknowledged(self) -> bool:
        """Saving may go ahead: the release is safe, or the box is ticked."""
        return self.verdict is None or self.verdict.safe or self.acknowledge.isChecked()
