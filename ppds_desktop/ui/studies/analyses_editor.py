"""The study's analyses, chosen with drop-downs: the kind (with what it means), the variable,
the groups, the ranges of a number's histogram, a regression's outcome and predictors; Add puts
the analysis on the list. ``analyses()`` gives them as the spec lists them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from ...services.study_words import (ANALYSES, ANALYSIS_VARIABLE_TYPES, GROUP_TYPES,
                                     OUTCOME_TYPES, analysis_title)
from .common import label, named

_REGRESSIONS = tuple(OUTCOME_TYPES)
_HISTOGRAM = "histogram"
_COUNT = "count"
_NUMBER = "number"


class AnalysesEditor(QWidget):
    changed = Signal()

    def __init__(self, variables, parent: QWidget | None = None):
        """``variables`` is the wizard's VariablesEditor (names by type, bounds)."""
        super().__init__(parent)
        self._variables = variables
        self._analyses: list[dict] = []
        self.kind = named(QComboBox(), "Kind of analysis")
        for choice in ANALYSES:
            self.kind.addItem(choice.name, choice.value)
        self.kind_help = label("", "hint")
        self.variable = named(QComboBox(), "Variable")
        self.by = named(QComboBox(), "Groups")
        self.bins_from = named(self._number_box(), "Ranges from")
        self.bins_to = named(self._number_box(), "Ranges up to")
        self.bins_count = named(QSpinBox(), "Number of ranges")
        self.bins_count.setRange(2, 50)
        self.bins_count.setValue(5)
        bins = QWidget()
        row = QHBoxLayout(bins)
        row.setContentsMargins(0, 0, 0, 0)
        for text, widget in (("from", self.bins_from), ("to", self.bins_to),
                             ("in", self.bins_count)):
            row.addWidget(QLabel(text))
            row.addWidget(widget)
        row.addWidget(QLabel("equal ranges"))
        row.addStretch(1)
        self.bins = bins
        self.outcome = named(QComboBox(), "Outcome")
        self.predictors = named(QListWidget(), "Predictors")
        self.predictors.setMaximumHeight(120)
        self.add_button = named(QPushButton("&Add analysis"), "Add analysis")
        self.add_button.clicked.connect(self.add_current)
        self.problem = label("", "error")

        self.form = QFormLayout()
        self.form.addRow("&Kind:", self.kind)
        self.form.addRow("", self.kind_help)
        self.form.addRow("&Variable:", self.variable)
        self.form.addRow("&Groups:", self.by)
        self.form.addRow("&Ranges:", self.bins)
        self.form.addRow("&Outcome:", self.outcome)
        self.form.addRow("&Predictors:", self.predictors)
        self.form.addRow("", self.add_button)
        self.form.addRow("", self.problem)

        self.chosen = named(QListWidget(), "Chosen analyses")
        self.remove_button = named(QPushButton("&Remove analysis"), "Remove analysis")
        self.remove_button.clicked.connect(self._remove)
        right = QVBoxLayout()
        right.addWidget(label("The study will compute:"))
        right.addWidget(self.chosen, 1)
        right.addWidget(self.remove_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.form, 3)
        layout.addLayout(right, 2)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.variable.currentIndexChanged.connect(self._variable_changed)
        self.refresh()

    @staticmethod
    def _number_box() -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-1e12, 1e12)
        box.setDecimals(2)
        box.setGroupSeparatorShown(False)
        return box

    # -- the form ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Fill the drop-downs from the current variables (after the variables page)."""
        self._kind_changed()

    def _fill(self, combo: QComboBox, names: list[str], first: str | None = None) -> None:
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        if first is not None:
            combo.addItem(first, None)
        for name in names:
            combo.addItem(name, name)
        index = combo.findData(keep)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.kind_help.setText(next(c.explanation for c in ANALYSES if c.value == kind))
        regression = kind in _REGRESSIONS
        names = self._variables.names_of(*ANALYSIS_VARIABLE_TYPES[kind])
        self._fill(self.variable, names)
        self._fill(self.by, self._variables.names_of(*GROUP_TYPES), "No groups: one figure")
        if regression:
            self._fill(self.outcome, self._variables.names_of(*OUTCOME_TYPES[kind]))
            self.predictors.clear()
            for name in names:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.predictors.addItem(item)
        self.form.setRowVisible(self.variable, kind != _COUNT and not regression)
        self.form.setRowVisible(self.by, not regression)
        self.form.setRowVisible(self.outcome, regression)
        self.form.setRowVisible(self.predictors, regression)
        self._variable_changed()

    def _variable_changed(self) -> None:
        kind = self.kind.currentData()
        name = self.variable.currentData()
        spec = next((v for v in self._variables.variables() if v["name"] == name), None)
        number_histogram = kind == _HISTOGRAM and spec is not None and spec["type"] == _NUMBER
        self.form.setRowVisible(self.bins, number_histogram)
        if number_histogram:
            self.bins_from.setValue(spec["lower"])
            self.bins_to.setValue(spec["upper"])

    # -- the list ---------------------------------------------------------------------------
    def current(self) -> dict | None:
        """The analysis the form describes, or None with the reason in ``problem``."""
        kind = self.kind.currentData()
        if kind in _REGRESSIONS:
            outcome = self.outcome.currentData()
            predictors = [self.predictors.item(i).text() for i in range(self.predictors.count())
                          if self.predictors.item(i).checkState() == Qt.CheckState.Checked
                          and self.predictors.item(i).text() != outcome]
            if not outcome:
                return self._problem("Add a suitable outcome variable first (a yes-or-no one "
                                     "for a logistic regression).")
            if not predictors:
                return self._problem("Tick at least one predictor other than the outcome.")
            return {"kind": kind, "outcome": outcome, "predictors": predictors}
        out = {"kind": kind}
        if kind != _COUNT:
            if not self.variable.currentData():
                return self._problem("Add a suitable variable first on the variables page.")
            out["variable"] = self.variable.currentData()
        if self.by.currentData():
            if self.by.currentData() == out.get("variable"):
                return self._problem("Choose groups made by another variable.")
            out["by"] = self.by.currentData()
        if self.bins.isVisibleTo(self):
            lo, hi, k = self.bins_from.value(), self.bins_to.value(), self.bins_count.value()
            if not lo < hi:
                return self._problem("The ranges must go from a lower to a higher value.")
            out["bins"] = [lo + (hi - lo) * i / k for i in range(k)] + [hi]
        return out

    def _problem(self, text: str) -> None:
        self.problem.setText(text)
        return None

    def add_current(self) -> bool:
        analysis = self.current()
        if analysis is None:
            return False
        if analysis in self._analyses:
            self._problem("This analysis is on the list already.")
            return False
        self.problem.setText("")
        self._analyses.append(analysis)
        self.chosen.addItem(analysis_title(analysis))
        self.changed.emit()
        return True

    def _remove(self) -> None:
        row = self.chosen.currentRow()
        if row >= 0:
            del self._analyses[row]
            self.chosen.takeItem(row)
            self.changed.emit()

    def analyses(self) -> list[dict]:
        return [dict(a) for a in self._analyses]

    # -- for tests and keyboard users: set the form in one call -------------------------------
    def choose(self, kind: str, variable: str | None = None, by: str | None = None, *,
               outcome: str | None = None, predictors: tuple[str, ...] = ()) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))
        if variable:
            self.variable.setCurrentIndex(self.variable.findData(variable))
        self.by.setCurrentIndex(max(self.by.findData(by), 0))
        if outcome:
            self.outcome.setCurrentIndex(self.outcome.findData(outcome))
        for i in range(self.predictors.count()):
            item = self.predictors.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in predictors
                               else Qt.CheckState.Unchecked)


__all__ = ["AnalysesEditor"]
