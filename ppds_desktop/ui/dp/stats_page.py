"""The "Statistics with differential privacy" wizard: dataset and variables → bounds → privacy
(ε) → results with 95% intervals, recorded as a release.

Running the query *is* the release: the noisy answer is computed, its budget spent and the
result stored in one vault transaction on the worker thread, and only then shown. (Showing a
"preview" without spending would leak for free.) Bounds typed by the user are data-independent;
bounds read off the data are marked with a warning because they reveal the minimum and maximum.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.errors import InputError, PPDSError
from ...services import dp as dp_service
from ...services import plain
from ...services.dp import MAX_GROUP_COLUMNS, Query, bar_chart, guess_bounds, quantile_level
from ..errors import error_line, show_error
from ..numbers import format_number, parse_number, show_number
from ..widgets.file_written import export_results
from ..widgets.help_label import help_label, with_help
from ..widgets.svg_view import SvgChart
from ..widgets.task_progress import TaskProgress
from ..worker import TaskRunner
from .budget_panel import BudgetPanel

STEPS = ("1. Data and variables", "2. Bounds", "3. Privacy", "4. Results")
STATISTICS = [("Count", "count"), ("Histogram of a column", "histogram"), ("Sum", "sum"),
              ("Mean", "mean"), ("Median", "median"), ("Quantile", "quantile")]
NEEDS_BOUNDS = ("sum", "mean", "median", "quantile")
MAX_CHART_BARS = 20          # more groups: the largest in the chart, every one in the table


def explain_epsilon(epsilon: float, noise: str) -> str:
    """Plain-language meaning of the chosen ε (or ρ); the precision it buys is shown beside it
    (``precision_text``)."""
    if noise == "gaussian":
        return (f"ρ = {epsilon:g} (zero-concentrated DP): smaller ρ means more privacy and more "
                f"noise; every release spends from the dataset's budget.")
    if epsilon <= 0:
        return "Choose ε above 0."
    return (f"ε = {epsilon:g}: whatever an onlooker believes about any one patient, seeing this "
            f"result can change the odds by at most a factor of e^ε ≈ {math.exp(epsilon):.2f}. "
            f"Smaller ε: more privacy, more noise; every release spends from the dataset's "
            f"budget.")


class DPStatisticsPage(QWidget):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.last = None                      # the DPRelease shown on the results step
        self.guessed: set[str] = set()

        self.budget = BudgetPanel(session)
        self.steps = QStackedWidget()
        self.step_title = QLabel()
        self.step_title.setStyleSheet("font-weight: bold; font-size: 14px")
        self.steps.addWidget(self._data_step())
        self.steps.addWidget(self._bounds_step())
        self.steps.addWidget(self._privacy_step())
        self.steps.addWidget(self._results_step())
        self.back_button = QPushButton("< &Back")
        self.next_button = QPushButton("&Next >")
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(lambda: self.go(self.steps.currentIndex() - 1))
        self.next_button.clicked.connect(self._next)
        nav = QHBoxLayout()
        nav.addWidget(TaskProgress(self.runner), 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        box = QGroupBox("Privacy budget")
        QVBoxLayout(box).addWidget(self.budget)
        layout.addWidget(box)
        layout.addWidget(self.step_title)
        layout.addWidget(self.steps, 1)
        layout.addLayout(nav)
        session.datasets_changed.connect(self.reload_datasets)
        self.runner.busy_changed.connect(lambda busy: self._sync_buttons())
        self.reload_datasets()
        self.go(0)

    # ---------------------------------------------------------------- steps
    def _data_step(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.dataset_combo = QComboBox()
        self.dataset_combo.currentIndexChanged.connect(self._dataset_changed)
        self.statistic_combo = QComboBox()
        for label, key in STATISTICS:
            self.statistic_combo.addItem(label, key)
        self.statistic_combo.currentIndexChanged.connect(self._statistic_changed)
        self.column_combo = QComboBox()
        self.level_spin = QDoubleSpinBox()
        self.level_spin.setRange(0.0, 1.0)
        self.level_spin.setSingleStep(0.05)
        self.level_spin.setValue(0.5)
        self.group_list = QListWidget()
        self.group_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.group_list.setToolTip(f"Break the statistic down by up to {MAX_GROUP_COLUMNS} columns")
        self.empty_hint = QLabel("This vault has no datasets yet: import one with File → "
                                 "Import data… first.")
        self.empty_hint.setWordWrap(True)
        form.addRow(self.empty_hint)
        form.addRow("&Dataset", self.dataset_combo)
        form.addRow("S&tatistic", self.statistic_combo)
        form.addRow("&Variable", self.column_combo)
        form.addRow("Quantile &level (0–1)", self.level_spin)
        form.addRow("Grou&p by", self.group_list)
        return w

    def _bounds_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        intro = QLabel("Declare the range of the variable <i>without looking at the data</i> "
                       "(e.g. from the data dictionary). Values outside are clamped to it. "
                       "For each group-by column, list its categories separated by | (e.g. "
                       "Female|Male); every listed category is released, even with no rows, and "
                       "rows in other categories are left out.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.lo_edit, self.hi_edit = QLineEdit(), QLineEdit()
        self.lo_edit.setAccessibleName("Lower bound")
        self.hi_edit.setAccessibleName("Upper bound")
        self.lo_edit.setPlaceholderText("lower bound, in the column's own unit")
        self.hi_edit.setPlaceholderText("upper bound, in the column's own unit")
        for edit in (self.lo_edit, self.hi_edit):
            edit.setToolTip("In the unit of the column (years for an age, dollars for a bill). "
                            "Values outside the range are clamped to it.")
        self.guess_button = QPushButton("&Read bounds from the data")
        self.guess_button.setToolTip("Fills in the smallest and largest value: convenient, but "
                                     "those two numbers are then not protected.")
        self.guess_button.clicked.connect(self.guess_bounds)
        row = QHBoxLayout()
        row.addWidget(self.lo_edit)
        row.addWidget(QLabel("to"))
        row.addWidget(self.hi_edit)
        row.addWidget(self.guess_button)
        bounds_label = QLabel("Bo&unds")
        bounds_label.setBuddy(self.lo_edit)
        form.addRow(bounds_label, row)
        self.granularity_edit = QLineEdit()
        self.granularity_edit.setPlaceholderText("automatic (a power of two)")
        self.granularity_edit.setToolTip("Values are rounded to multiples of this step before "
                                         "noise is added (e.g. 1 for whole years, 0.01 for "
                                         "cents). Leave empty for an automatic step.")
        form.addRow("Grid ste&p", self.granularity_edit)
        layout.addWidget(help_label(plain.explain("bounds")))
        layout.addLayout(form)
        self.domain_edits: dict[str, QLineEdit] = {}
        self.bin_edits: dict[str, tuple[QLineEdit, QLineEdit]] = {}
        self.group_notes: dict[str, QLabel] = {}
        self.domain_form = QFormLayout()
        layout.addLayout(self.domain_form)
        self.bounds_warning = QLabel()
        self.bounds_warning.setWordWrap(True)
        self.bounds_warning.setStyleSheet("color: #b00020")
        layout.addWidget(self.bounds_warning)
        layout.addStretch(1)
        return w

    def _privacy_step(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.noise_combo = QComboBox()
        self.noise_combo.addItem("Laplace noise (pure ε-DP)", "laplace")
        self.noise_combo.addItem("Gaussian noise (ρ-zCDP)", "gaussian")
        self.noise_combo.currentIndexChanged.connect(self._explain)
        self.epsilon_spin = QDoubleSpinBox()
        self.epsilon_spin.setRange(0.001, 10.0)
        self.epsilon_spin.setDecimals(3)
        self.epsilon_spin.setSingleStep(0.05)
        self.epsilon_spin.setValue(0.5)
        self.epsilon_spin.valueChanged.connect(self._explain)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.remaining_label = QLabel()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("automatic")
        noise_label = QLabel("N&oise")
        noise_label.setBuddy(self.noise_combo)
        form.addRow(noise_label, with_help(self.noise_combo, plain.explain("noise")))
        self.epsilon_spin.setToolTip("How much of the dataset's privacy budget this query "
                                     "spends: ε for Laplace noise, ρ for Gaussian noise. "
                                     "Smaller means more noise and more privacy.")
        self.noise_combo.setToolTip("Laplace: the classic choice, spends ε. Gaussian: better "
                                    "for many queries on the same data, spends ρ.")
        form.addRow("Budget to &spend (ε or ρ)", self.epsilon_spin)
        form.addRow("", self.explanation)
        self.precision_label = QLabel()
        self.precision_label.setObjectName("precision")
        self.precision_label.setWordWrap(True)
        form.addRow("Expected precision", self.precision_label)
        form.addRow("Remaining budget", self.remaining_label)
        form.addRow("Release na&me", self.name_edit)
        self.run_blocker = QLabel()
        self.run_blocker.setObjectName("error")
        self.run_blocker.setWordWrap(True)
        form.addRow(self.run_blocker)
        self.budget.changed.connect(lambda _s: self._explain())
        return w

    def _results_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Group", "Value", "95% low", "95% high"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.chart = SvgChart()
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.export_button = QPushButton("Export results…")
        self.export_button.clicked.connect(self.export_results)
        split = QHBoxLayout()
        split.addWidget(self.table, 1)
        split.addWidget(self.chart, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(split, 1)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignRight)
        return w

    # ---------------------------------------------------------------- navigation
    def go(self, index: int) -> None:
        index = max(0, min(index, len(STEPS) - 1))
        if index == 1:
            self._prepare_bounds_step()
        if index == 2:
            self._explain()
        self.steps.setCurrentIndex(index)
        self.step_title.setText(STEPS[index])
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        i = self.steps.currentIndex()
        busy = self.runner.is_busy
        blocked = i == 2 and bool(self._blocking_text())
        self.back_button.setEnabled(i > 0 and not busy)
        self.next_button.setEnabled(not busy and self.dataset_combo.count() > 0 and not blocked)
        self.next_button.setText({2: "&Run and release", 3: "New &query"}.get(i, "&Next >"))

    def _blocking_text(self) -> str:
        """Why Run is disabled: no budget left, or grouping columns whose categories must be
        declared first."""
        if self.steps.currentIndex() != 2:
            return ""
        status = self.budget.status
        if status is not None and status.is_set:
            gaussian = self.noise_combo.currentData() == "gaussian"
            left = status.rho_remaining if gaussian else status.epsilon_remaining
            if left <= 0:
                text = (f"Nothing is left of this dataset's {'ρ' if gaussian else 'ε'} budget: "
                        "no more releases can be made from it.")
                self.run_blocker.setText(text)
                return text
        problems = self.declaration_problems()
        text = ("Declare these on the previous step before running (nothing has been spent): "
                + " ".join(problems)) if problems else ""
        self.run_blocker.setText(text)
        return text

    def _next(self) -> None:
        i = self.steps.currentIndex()
        if i == 0 and self.needs_bounds() is False and not self.group_columns():
            self.go(2)                          # nothing to declare
        elif i == 2:
            self.run_query()
        elif i == 3:
            self.go(0)
        else:
            self.go(i + 1)

    # ---------------------------------------------------------------- state
    def reload_datasets(self) -> None:
        current = self.dataset_combo.currentText()
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        try:
            names = [d.name for d in self.session.vault.list_datasets()]
        except PPDSError:
            names = []
        self.dataset_combo.addItems(names)
        self.empty_hint.setVisible(not names)
        if current in names:
            self.dataset_combo.setCurrentText(current)
        self.dataset_combo.blockSignals(False)
        self._dataset_changed()

    def _dataset_changed(self) -> None:
        name = self.dataset_combo.currentText() or None
        self.column_combo.clear()
        self.group_list.clear()
        self.guessed.clear()
        if name:
            info = self.session.vault.dataset_info(name)
            roles = self.session.vault.roles(info.id)
            self.column_combo.addItems(info.columns)
            for col in info.columns:
                item = QListWidgetItem(col)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                role = roles.get(col)
                if role is not None and role.role == "identifier":
                    # Its values would become the published group labels.
                    item.setText(f"{col}  (direct identifier: cannot group by it)")
                    item.setData(Qt.ItemDataRole.UserRole, col)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip("Grouping by a direct identifier would publish its values "
                                    "(names, numbers…) as group labels.")
                self.group_list.addItem(item)
        self.budget.show_dataset(name)
        self._statistic_changed()
        self._sync_buttons()

    def _statistic_changed(self) -> None:
        stat = self.statistic()
        self.column_combo.setEnabled(stat != "count")
        self.level_spin.setEnabled(stat == "quantile")

    def statistic(self) -> str:
        return self.statistic_combo.currentData()

    def group_columns(self) -> list[str]:
        return [self.group_list.item(i).text() for i in range(self.group_list.count())
                if self.group_list.item(i).checkState() == Qt.CheckState.Checked
                and self.group_list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled]

    def needs_bounds(self) -> bool:
        stat = self.statistic()
        if stat in NEEDS_BOUNDS:
            return True
        if stat == "histogram":
            info = self.session.vault.dataset_info(self.dataset_combo.currentText())
            return info.dtypes.get(self.column_combo.currentText(), "").startswith(("int", "double", "float"))
        return False


    def _prepare_bounds_step(self) -> None:
        needs = self.needs_bounds()
        for widget in (self.lo_edit, self.hi_edit, self.guess_button, self.granularity_edit):
            widget.setEnabled(needs)
        while self.domain_form.rowCount():
            self.domain_form.removeRow(0)
        self.domain_edits, self.bin_edits, self.group_notes = {}, {}, {}
        groups = self.group_columns()
        if self.statistic() == "histogram" and not needs:
            groups = [self.column_combo.currentText()] + groups
        info = self.session.vault.dataset_info(self.dataset_combo.currentText())
        for col in groups:
            field = QWidget()
            box = QVBoxLayout(field)
            box.setContentsMargins(0, 0, 0, 6)
            edit = QLineEdit()
            edit.setPlaceholderText("categories separated by |")
            edit.setAccessibleName(f"Categories of {col}")
            edit.textChanged.connect(self._update_group_notes)
            self.domain_edits[col] = edit
            box.addWidget(edit)
            if col in self.group_columns() and dp_service.is_numeric_column(info, col):
                lo, hi = QLineEdit(), QLineEdit()
                row = QHBoxLayout()
                for end, label in ((lo, "lowest"), (hi, "highest")):
                    end.setPlaceholderText(f"{label} value")
                    end.setAccessibleName(f"{label.capitalize()} value of the bins of {col}")
                    end.textChanged.connect(self._update_group_notes)
                row.addWidget(QLabel(f"or {dp_service.DEFAULT_BINS} equal bins from"))
                row.addWidget(lo)
                row.addWidget(QLabel("to"))
                row.addWidget(hi)
                self.bin_edits[col] = (lo, hi)
                box.addLayout(row)
            note = QLabel()
            note.setWordWrap(True)
            self.group_notes[col] = note
            box.addWidget(note)
            label = QLabel(f"Categories of {col}")
            label.setBuddy(edit)
            self.domain_form.addRow(label, field)
        self._update_group_notes()
        self._update_bounds_warning()

    def declared(self) -> tuple[dict[str, list[str]], dict[str, tuple[float, float]]]:
        """(categories, bin bounds) declared per grouping column; half-typed bins count as
        not declared."""
        domains = {c: [v.strip() for v in e.text().split("|") if v.strip()]
                   for c, e in self.domain_edits.items() if e.text().strip()}
        bins = {}
        for col, (lo, hi) in self.bin_edits.items():
            try:
                bins[col] = (float(lo.text()), float(hi.text()))
            except ValueError:
                continue
        return domains, bins

    def declaration_problems(self) -> list[str]:
        """Grouping columns that still need declared categories (or bins), with the reason."""
        if not self.dataset_combo.currentText():
            return []
        domains, bins = self.declared()
        bounds = {**bins}
        col = self.column_combo.currentText()
        if self.needs_bounds():
            try:
                bounds[col] = (float(self.lo_edit.text()), float(self.hi_edit.text()))
            except ValueError:
                pass
        try:
            needs = dp_service.grouping_needs(self.session.vault, self.dataset_combo.currentText(),
                                              self.query(), domains=domains, bounds=bounds)
        except PPDSError as exc:
            return [error_line(exc)]
        return [n.reason for n in needs]

    def _update_group_notes(self) -> None:
        """Under each grouping column: required (red, with the reason) or what reading its
        categories from the data gives away — said before anything is spent."""
        if not self.group_notes:
            return
        problems = self.declaration_problems()
        domains, bins = self.declared()
        for col, note in self.group_notes.items():
            reason = next((p for p in problems if p.startswith(col + " ")), "")
            if reason:
                how = "categories or bins" if col in self.bin_edits else "categories"
                note.setText(f"Required: {reason} Declare its {how} first.")
                note.setStyleSheet("color: #b00020")
            elif col in domains or col in bins:
                note.setText("Declared: only these groups are released, each one even if it "
                             "has no rows.")
                note.setStyleSheet("")
            else:
                note.setText(f"Left empty, the categories of {col} are read from the data: "
                             f"which ones occur is then not protected.")
                note.setStyleSheet("color: #8a5a00")
    def guess_bounds(self) -> None:
        col = self.column_combo.currentText()
        try:
            values = self.session.vault.load_dataset(self.dataset_combo.currentText(),
                                                     columns=[col])[col]
            lo, hi = guess_bounds(pd.to_numeric(values, errors="coerce"))
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.lo_edit.setText(format_number(lo))
        self.hi_edit.setText(format_number(hi))
        self.guessed.add(col)
        self._update_bounds_warning()

    def _update_bounds_warning(self) -> None:
        col = self.column_combo.currentText()
        if col in self.guessed:
            self.bounds_warning.setText(
                f"Warning: these bounds were read from the data. They reveal the smallest and "
                f"largest {col} in the dataset, which differential privacy does not protect. "
                f"Prefer bounds known in advance (e.g. 0 to 120 for an age).")
        else:
            self.bounds_warning.setText("")

    def _explain(self) -> None:
        noise = self.noise_combo.currentData()
        status = self.budget.status
        left = None
        if status is None or not status.is_set:
            self.remaining_label.setText("no budget set — set one above first")
        elif noise == "gaussian":
            left = status.rho_remaining
            self.remaining_label.setText(f"ρ {left:g} left of {status.rho_total:g}")
        else:
            left = status.epsilon_remaining
            self.remaining_label.setText(f"ε {left:g} left of {status.epsilon_total:g}")
        self.epsilon_spin.blockSignals(True)       # never more than what remains
        self.epsilon_spin.setMaximum(max(left, self.epsilon_spin.minimum()) if left else 10.0)
        self.epsilon_spin.blockSignals(False)
        self.explanation.setText(explain_epsilon(self.epsilon_spin.value(), noise))
        self.precision_label.setText(self.precision_text())
        self._sync_buttons()

    def precision_text(self) -> str:
        """How far the answers will be from the exact values, from the settings alone (shown
        before anything is spent)."""
        try:
            col = self.column_combo.currentText()
            bounds = None
            if self.needs_bounds():
                bounds = (parse_number(self.lo_edit.text()), parse_number(self.hi_edit.text()))
            gran = self.granularity_edit.text().strip() or None
            p = dp_service.expected_precision(self.query(), noise=self.noise_combo.currentData(),
                                              budget=self.epsilon_spin.value(), bounds=bounds,
                                              granularity=parse_number(gran) if gran else None)
        except (PPDSError, ValueError):
            return "Declare the bounds on the previous step to see it."
        if p.halfwidth is None:
            return "Declare the bounds on the previous step to see it."
        if p.kind == "count":
            return (f"Each count will be within ±{show_number(p.halfwidth)} of the exact count "
                    f"in 95 of 100 releases.")
        if p.kind == "sum":
            return (f"Each sum of {col} will be within ±{show_number(p.halfwidth)} of the exact "
                    f"sum in 95 of 100 releases.")
        if p.kind == "mean":
            sizes = "; ".join(f"±{show_number(h)} for a group of {show_number(n)} records"
                              for n, h in p.by_group.items())
            return (f"Each mean of {col} will be within about {sizes} (95 of 100 releases; "
                    f"larger groups are more precise).")
        return (f"The released value's rank will be within {show_number(round(p.halfwidth))} "
                f"records of the exact quantile's rank in 95 of 100 releases.")

    # ---------------------------------------------------------------- running
    def query(self) -> Query:
        stat = self.statistic()
        column = None if stat == "count" else self.column_combo.currentText()
        if stat == "median":
            return Query("quantile", column, self.group_columns(), q=quantile_level(0.5))
        q = quantile_level(self.level_spin.value()) if stat == "quantile" else None
        return Query(stat, column, self.group_columns(), q=q)

    def query_kwargs(self) -> dict:
        noise = self.noise_combo.currentData()
        kwargs: dict = {"noise": noise}
        kwargs["rho" if noise == "gaussian" else "epsilon"] = self.epsilon_spin.value()
        col = self.column_combo.currentText()
        if self.needs_bounds():
            try:
                lo, hi = parse_number(self.lo_edit.text()), parse_number(self.hi_edit.text())
            except ValueError:
                raise InputError(f"the bounds of {col} must be two numbers") from None
            kwargs["bounds"] = {col: (lo, hi)}
            if self.granularity_edit.text().strip():
                kwargs["granularity"] = {col: self.granularity_edit.text().strip()}
        domains, bins = self.declared()
        kwargs["domains"] = domains
        kwargs.setdefault("bounds", {}).update(bins)
        kwargs["bounds_from_data"] = set(self.guessed) & set(kwargs.get("bounds", {}))
        if self.name_edit.text().strip():
            kwargs["release_name"] = self.name_edit.text().strip()
        return kwargs

    def run_query(self) -> None:
        try:
            query, kwargs = self.query(), self.query_kwargs()
        except PPDSError as exc:
            show_error(self, exc)
            return
        self.runner.run(dp_service.run_query, self.session.vault, self.dataset_combo.currentText(),
                        query, title="DP query", on_done=self.show_result, **kwargs)

    def show_result(self, out) -> None:
        self.last = out
        res = out.result
        spent = f"ε = {res.cost.epsilon:g}" if res.cost.epsilon else f"ρ = {res.cost.rho:g}"
        self.result_label.setText(
            f"<b>{escape(res.query)}</b> — {res.noise.capitalize()} noise, {spent} spent; saved as release "
            f"<b>{escape(out.release.name)}</b>. Intervals cover the exact value with 95% "
            f"probability.")
        self.table.setRowCount(len(res.rows))
        for i, row in enumerate(res.rows):
            cells = [res.label(row), row["value"], row["ci_low"], row["ci_high"]]
            for j, v in enumerate(cells):
                text = show_number(v, 6) if isinstance(v, (int, float)) else str(v)
                item = QTableWidgetItem("—" if v is None else text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()          # group labels on one line
        labels = [res.label(r) for r in res.rows]
        values = [float(r["value"]) for r in res.rows]
        errors = [(r["ci_low"], r["ci_high"]) if r["ci_low"] is not None else None for r in res.rows]
        self.chart.set_svg(bar_chart(labels, values, errors=errors, title=res.query,
                                     ylabel=res.statistic, max_bars=MAX_CHART_BARS,
                                     others=res.statistic in ("count", "histogram", "sum")))
        self.notes_label.setText("<br>".join(
            [f"<span style='color:#b00020'>{escape(plain.screen_text(w))}</span>"
             for w in res.warnings] + [escape(plain.screen_text(n)) for n in res.notes]))
        self.budget.refresh()
        self.session.releases_changed.emit()
        self.go(3)

    def export_results(self, path: str | None = None) -> None:
        """Write the released table (already public) as CSV/Excel, formulas escaped."""
        if self.last is None:
            return
        self.file_box = export_results(
            self, lambda dest: dp_service.export_result(self.last, dest), "dp-results.csv", path)
