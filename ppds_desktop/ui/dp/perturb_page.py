"""The perturbation page of the Prepare wizard: build the recipe's ``perturbation`` steps and
preview their utility cost (moments, correlations, distribution distances, before/after chart).

The wizard (``ui/prepare/extra_pages.py``) hands it the table to perturb with
:meth:`PerturbationPage.set_input` and reads the recipe section back with
:meth:`PerturbationPage.section`. The preview runs ``core.perturb.recipe.apply_perturbation`` on
the worker and releases nothing; the wizard's release runs the section through the release
pipeline, whose commit hook spends the budget of local-DP steps in the release's transaction.
"""

from __future__ import annotations


import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.errors import InputError, PPDSError
from ...services.dp import (apply_perturbation, budget_status, histogram_before_after,
                            section_cost, validate_section)
from ..errors import show_error
from ..widgets.svg_view import SvgChart
from ..widgets.task_progress import TaskProgress
from ..worker import TaskRunner


PARAM_HELP = {
    "additive_noise": "Noise variance as a fraction of each column's own variance "
                      "(0.1 = the noise's variance is a tenth of the data's)",
    "local_dp": "Privacy loss per record: smaller ε = more noise, stronger protection; "
                "counted against the dataset's budget",
    "rank_swap": "Values are swapped only with values at most this percentage of rows away "
                 "in sorted order",
    "swap": "Share of records, in each stratum, whose values are shuffled among themselves",
    "randomized_response": "Privacy loss per record: smaller ε = answers replaced more often",
    "pram": "Probability that a category is kept as it is (the rest are changed at random)",
}

METHODS = [
    ("Additive noise", "additive_noise", "Adds random noise to numeric columns; 'correlated' keeps "
                                         "their correlations. No formal privacy guarantee."),
    ("Local-DP noise", "local_dp", "Clamps each value to the bounds and adds exact Laplace noise: "
                                   "ε-differential privacy per patient. Spends budget."),
    ("Rank swapping", "rank_swap", "Exchanges values between records whose ranks are at most p% "
                                   "apart: keeps each column's distribution exactly."),
    ("Swap within strata", "swap", "Shuffles the chosen columns among a fraction of records with "
                                   "the same strata values."),
    ("Microaggregation (MDAV)", "microaggregation", "Replaces numeric values by the mean of groups "
                                                    "of at least k similar records."),
    ("Randomized response", "randomized_response", "Keeps each category with probability "
                                                   "e^ε/(e^ε+k-1), else reports another: "
                                                   "ε-local DP. Spends budget."),
    ("PRAM", "pram", "Keeps each category with the retention probability, else another one."),
]


_PARAM_WORDS = {"alpha": "noise fraction", "epsilon": "ε", "p": "within % of rows",
                "rate": "swap rate", "k": "group size", "retain": "kept with probability",
                "correlated": "correlated"}


def step_text(step: dict) -> str:
    """One perturbation step in words: 'Rank swapping of Billing Amount (within % of rows 5)'."""
    method = next((label for label, key, _h in METHODS if key == step["method"]),
                  step["method"])
    columns = step.get("columns") or list((step.get("bounds") or {}).keys())
    settings = []
    for key, value in step.items():
        if key in ("method", "columns", "bounds") or value in (None, [], False):
            continue
        if key == "strata":
            settings.append("within " + ", ".join(value))
        elif value is True:
            settings.append(_PARAM_WORDS.get(key, key))
        else:
            settings.append(f"{_PARAM_WORDS.get(key, key.replace('_', ' '))} {value:g}"
                            if isinstance(value, (int, float)) else f"{key} {value}")
    if step.get("bounds"):
        lo, hi = next(iter(step["bounds"].values()))
        settings.append(f"values kept between {lo:g} and {hi:g}")
    return f"{method} of {', '.join(columns)}" + (f" ({'; '.join(settings)})" if settings else "")


class PerturbationPage(QWidget):
    section_changed = Signal()

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.df: pd.DataFrame | None = None
        self.dataset_ref = None
        self.steps: list[dict] = []
        self.outcome = None

        self.method_combo = QComboBox()
        for label, key, _help in METHODS:
            self.method_combo.addItem(label, key)
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.method_help = QLabel()
        self.method_help.setWordWrap(True)
        self.columns_list = QListWidget()
        self.columns_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.param = QDoubleSpinBox()
        self.param.setDecimals(3)
        self.param_label = QLabel()
        self.k_spin = QSpinBox()
        self.k_spin.setRange(2, 1000)
        self.k_spin.setValue(3)
        self.correlated = QCheckBox("&Correlated (keep the covariance structure)")
        self.strata_edit = QLineEdit()
        self.strata_edit.setPlaceholderText("strata columns, comma-separated")
        self.strata_edit.setToolTip("Values are only swapped between records that agree on "
                                    "these columns (e.g. Gender, Age band).")
        self.bounds_edit = QLineEdit()
        self.bounds_edit.setPlaceholderText("lowest:highest, e.g. 0:120")
        self.bounds_edit.setToolTip("For local-DP noise: the range of the values, in the "
                                    "column's own unit, declared from what you know (not read "
                                    "off the data). Values outside are clamped to it.")
        self.add_button = QPushButton("&Add step")
        self.add_button.clicked.connect(self.add_step)
        self.steps_list = QListWidget()
        self.remove_button = QPushButton("&Remove step")
        self.remove_button.clicked.connect(self.remove_step)
        self.cost_label = QLabel()
        self.preview_button = QPushButton("&Preview utility")
        self.preview_button.clicked.connect(self.preview)
        self.utility_table = QTableWidget(0, 6)
        self.utility_table.setHorizontalHeaderLabels(
            ["Column", "Mean before", "Mean after", "Variance ratio", "Hellinger",
             "Total variation"])
        self.utility_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.chart_column = QComboBox()
        self.chart_column.currentIndexChanged.connect(self._draw_chart)
        self.chart = SvgChart()
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Method", self.method_combo)
        form.addRow("", self.method_help)
        form.addRow("C&olumns", self.columns_list)
        form.addRow(self.param_label, self.param)
        self.k_spin.setToolTip("Microaggregation group size: each value is replaced by the mean of "
                               "a group of at least k similar records (larger k = more privacy, "
                               "less detail)")
        form.addRow("&k (group size)", self.k_spin)
        form.addRow("", self.correlated)
        form.addRow("&Strata", self.strata_edit)
        form.addRow("Bo&unds", self.bounds_edit)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addLayout(form)
        lv.addWidget(self.add_button)
        lv.addWidget(QLabel("Steps, applied in order:"))
        lv.addWidget(self.steps_list)
        lv.addWidget(self.remove_button)
        lv.addWidget(self.cost_label)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.summary)
        rv.addWidget(self.utility_table, 1)
        rv.addWidget(self.chart_column)
        rv.addWidget(self.chart, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        buttons = QHBoxLayout()
        buttons.addWidget(TaskProgress(self.runner), 1)
        buttons.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self._method_changed()
        self._steps_changed()

    # ---------------------------------------------------------------- wizard interface
    def set_input(self, df: pd.DataFrame, dataset_ref=None) -> None:
        """The table to perturb (e.g. after de-identification) and the dataset whose budget
        local-DP steps would spend."""
        self.df, self.dataset_ref = df, dataset_ref
        self.columns_list.clear()
        for col in df.columns:
            item = QListWidgetItem(str(col))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.columns_list.addItem(item)
        self.chart_column.clear()
        self.chart_column.addItems([str(c) for c in df.columns])
        self._steps_changed()                   # the remaining budget may differ per dataset

    def section(self) -> dict | None:
        """The recipe's ``perturbation`` section, or None when there are no steps."""
        return {"steps": [dict(s) for s in self.steps]} if self.steps else None

    def load_section(self, section: dict | None) -> None:
        self.steps = [dict(s) for s in (section or {}).get("steps", [])]
        self._steps_changed()

    # ---------------------------------------------------------------- building steps
    def _method_changed(self) -> None:
        key = self.method_combo.currentData()
        self.method_help.setText(METHODS[self.method_combo.currentIndex()][2])
        label, lo, hi, value = {
            "additive_noise": ("Noise fraction α", 0.001, 10.0, 0.1),
            "local_dp": ("ε", 0.001, 100.0, 1.0),
            "rank_swap": ("p (% of rows)", 0.1, 100.0, 5.0),
            "swap": ("Swap rate", 0.001, 1.0, 0.1),
            "randomized_response": ("ε", 0.001, 100.0, 1.0),
            "pram": ("Retention", 0.01, 0.99, 0.8),
        }.get(key, ("", 0.0, 1.0, 0.0))
        self.param_label.setText(label)
        self.param.setAccessibleName(label or "Setting of the method")
        self.param.setToolTip(PARAM_HELP.get(key, ""))
        self.param.setRange(lo, hi)
        self.param.setValue(value)
        self.param.setEnabled(bool(label))
        self.k_spin.setEnabled(key == "microaggregation")
        self.correlated.setEnabled(key == "additive_noise")
        self.strata_edit.setEnabled(key == "swap")
        self.bounds_edit.setEnabled(key == "local_dp")

    def checked_columns(self) -> list[str]:
        return [self.columns_list.item(i).text() for i in range(self.columns_list.count())
                if self.columns_list.item(i).checkState() == Qt.CheckState.Checked]

    def build_step(self) -> dict:
        key = self.method_combo.currentData()
        cols = self.checked_columns()
        if not cols:
            raise InputError("tick at least one column for this step")
        v = self.param.value()
        if key == "additive_noise":
            return {"method": key, "columns": cols, "alpha": v, "correlated": self.correlated.isChecked()}
        if key == "local_dp":
            lo, _, hi = self.bounds_edit.text().strip().partition(":")
            try:
                bounds = [float(lo), float(hi)]
            except ValueError:
                raise InputError("local-DP noise needs bounds as lowest:highest, e.g. 0:120") \
                    from None
            return {"method": key, "bounds": {c: bounds for c in cols}, "epsilon": v}
        if key == "rank_swap":
            return {"method": key, "columns": cols, "p": v}
        if key == "swap":
            strata = [s.strip() for s in self.strata_edit.text().split(",") if s.strip()]
            return {"method": key, "columns": cols, "strata": strata, "rate": v}
        if key == "microaggregation":
            return {"method": key, "columns": cols, "k": self.k_spin.value()}
        if key == "randomized_response":
            return {"method": key, "columns": cols, "epsilon": v}
        return {"method": key, "columns": cols, "retain": v}

    def add_step(self) -> None:
        try:
            step = self.build_step()
            validate_section({"steps": self.steps + [step]})
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.steps.append(step)
        self._steps_changed()

    def remove_step(self) -> None:
        row = self.steps_list.currentRow()
        if 0 <= row < len(self.steps):
            del self.steps[row]
            self._steps_changed()

    def _steps_changed(self) -> None:
        self.steps_list.clear()
        for step in self.steps:
            self.steps_list.addItem(step_text(step))
        cost = section_cost({"steps": self.steps})
        text = (f"Privacy budget these steps spend: ε = {cost.epsilon:g}, ρ = {cost.rho:g}"
                if cost.epsilon or cost.rho else "These steps spend no privacy budget.")
        if (cost.epsilon or cost.rho) and self.dataset_ref is not None:
            status = budget_status(self.session.vault, self.dataset_ref, with_entries=False)
            text += (f" (remaining: ε = {status.epsilon_remaining:g}, ρ = {status.rho_remaining:g})"
                     if status.is_set else " (no budget is set for this dataset yet)")
        self.cost_label.setText(text)
        self.preview_button.setEnabled(bool(self.steps))
        self.section_changed.emit()

    # ---------------------------------------------------------------- preview and release
    def preview(self) -> None:
        if self.df is None or not self.steps:
            return
        # With the dataset known, the budget is checked now, so an overspend shows up here
        # rather than at the end of the wizard; nothing is spent by a preview.
        vault = self.session.vault if self.dataset_ref is not None else None
        self.runner.run(apply_perturbation, self.df, self.section(), vault=vault,
                        dataset_ref=self.dataset_ref, title="Perturbation preview",
                        on_done=self.show_outcome)

    def show_outcome(self, outcome) -> None:
        self.outcome = outcome
        util = outcome.report.get("utility", {})
        cols = util.get("columns", {})
        self.utility_table.setRowCount(len(cols))
        for i, (col, entry) in enumerate(cols.items()):
            cells = [col, entry.get("mean_before"), entry.get("mean_after"),
                     entry.get("variance_ratio"), entry.get("hellinger"),
                     entry.get("total_variation")]
            for j, v in enumerate(cells):
                text = "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))
                self.utility_table.setItem(i, j, QTableWidgetItem(text))
        corr = util.get("correlation", {}).get("max_abs_change")
        self.summary.setText(
            f"{len(outcome.data):,} rows perturbed in {len(self.steps)} step(s). Largest change "
            f"of a correlation: {corr:.3f}." if corr is not None else
            f"{len(outcome.data):,} rows perturbed in {len(self.steps)} step(s).")
        self._draw_chart()

    def _draw_chart(self) -> None:
        col = self.chart_column.currentText()
        if self.outcome is None or self.df is None or col not in self.df.columns:
            return
        self.chart.set_svg(histogram_before_after(self.df[col], self.outcome.data[col],
                                                  title=f"{col}: share of records, before vs after",
                                                  xlabel=col))
