"""The Prepare wizard's results: before/after rows, risk and utility with charts, the
alternative transformations (pick one and re-apply), the Safe Harbor checklist."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableView, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)

from ...services import plain
from ...services.release import (class_sizes_before_after, column_histogram,
                                 risk_before_after)
from ..numbers import show_number
from ..table_model import ArrowTableModel, replace_model
from ..widgets.help_label import help_label
from ..widgets.svg_view import SvgChart
from .risk_banner import RiskBanner

PREVIEW_ROWS = 200


def _pct(v) -> str:
    return "—" if v is None else f"{show_number(100 * v, 3)} %"


RISK_ROWS = [("Prosecutor risk, highest", "prosecutor_max", _pct, "prosecutor risk"),
             ("Prosecutor risk, average", "prosecutor_avg", _pct, "prosecutor risk"),
             ("Journalist risk, highest", "journalist_max", _pct, "journalist risk"),
             ("Marketer risk", "marketer", _pct, "marketer risk"),
             ("Records at risk", "records_at_risk", show_number, "records at risk"),
             ("Unique records", "unique_records", show_number, "unique records"),
             ("Smallest group", "min_class_size", show_number, "smallest group"),
             ("Groups", "n_classes", show_number, "groups")]
UTILITY_HEADERS = ["Column", "Status", "Hellinger", "Total variation", "Mean change",
                   "Variance ratio", "Standard deviation before → after"]
UTILITY_TERMS = {"Hellinger": "hellinger", "Total variation": "total variation",
                 "Mean change": "mean change", "Variance ratio": "variance ratio",
                 "Standard deviation before → after": "standard deviation"}
ALTERNATIVE_TERMS = {"Loss": "loss", "Records left out": "suppression", "Groups": "groups",
                     "Detail kept": "granularity"}
METRIC_NAMES = {"loss": "Loss", "granularity": "detail kept", "discernibility": "discernibility",
                "non_uniform_entropy": "non-uniform entropy",
                "average_class_size": "average group size",
                "normalized_certainty_penalty": "normalized certainty penalty"}


def _fill(table: QTableWidget, headers: list[str], rows: list[list],
          help_: dict[str, str] | None = None) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    for c, header in enumerate(headers):
        if help_ and header in help_:
            table.horizontalHeaderItem(c).setToolTip(plain.explain(help_[header]))
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value if isinstance(value, str) else show_number(value))
            if not isinstance(value, str):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(item.text())
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _legend(terms: list[str]) -> str:
    """The visible one-line meanings of the figures a table shows."""
    return "<br>".join(f"<b>{escape(term[:1].upper() + term[1:])}</b>: "
                       f"{escape(plain.explain(term))}" for term in terms)


ALTERNATIVES_TEXT = (
    "The best transformations the search found. Each shows the generalization level per "
    "quasi-identifier (0 = as is, higher = coarser), ✓ marks the one applied. Pick another "
    "than the optimum (e.g. fewer records left out) and apply it.")


class ResultsStep(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tabs = QTabWidget()

        self.before_view, self.after_view = QTableView(), QTableView()
        data_tab = QWidget()
        dl = QHBoxLayout(data_tab)
        for title, view in (("Before", self.before_view),
                            ("After", self.after_view)):
            note = ("" if title == "Before" else
                    "; suppressed rows are left out, so rows do not line up")
            box = QVBoxLayout()
            box.addWidget(QLabel(f"<b>{title}</b> (first {PREVIEW_ROWS} rows{note})"))
            box.addWidget(view)
            dl.addLayout(box)
        self.tabs.addTab(data_tab, "Before / after")

        self.risk_table = QTableWidget()
        self.class_chart, self.risk_chart = SvgChart(), SvgChart()
        risk_tab = QWidget()
        rl = QVBoxLayout(risk_tab)
        risk_help = QLabel("How easily a record could be linked back to a person through its "
                           "quasi-identifiers, before and after. Lower is safer; the last "
                           "column says what each figure measures.")
        risk_help.setWordWrap(True)
        rl.addWidget(risk_help)
        rl.addWidget(self.risk_table, 3)
        charts = QHBoxLayout()
        charts.addWidget(self.class_chart)
        charts.addWidget(self.risk_chart)
        rl.addLayout(charts, 2)
        self.tabs.addTab(risk_tab, "Risk")

        self.utility_table = QTableWidget()
        self.utility_label = QLabel()
        self.utility_label.setWordWrap(True)
        self.histogram_column = QComboBox()
        self.histogram_column.currentTextChanged.connect(self._show_histogram)
        self.histogram_chart = SvgChart()
        util_tab = QWidget()
        ul = QVBoxLayout(util_tab)
        ul.addWidget(self.utility_label)
        ul.addWidget(self.utility_table, 1)
        self.utility_legend = help_label(_legend(list(UTILITY_TERMS.values())))
        ul.addWidget(self.utility_legend)
        row = QHBoxLayout()
        histogram_label = QLabel("Distribution before and after &of:")
        histogram_label.setBuddy(self.histogram_column)
        row.addWidget(histogram_label)
        row.addWidget(self.histogram_column, 1)
        ul.addLayout(row)
        ul.addWidget(self.histogram_chart, 1)
        self.tabs.addTab(util_tab, "Utility")

        self.alternatives = QTableWidget()
        self.alternatives.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alternatives.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.apply_alternative_button = QPushButton("A&pply the selected transformation")
        alt_tab = QWidget()
        al = QVBoxLayout(alt_tab)
        self.alternatives_help = alt_help = QLabel(ALTERNATIVES_TEXT)
        alt_help.setWordWrap(True)
        al.addWidget(alt_help)
        al.addWidget(self.alternatives, 1)
        alternatives_legend = help_label(_legend(["loss", "suppression", "granularity"]))
        al.addWidget(alternatives_legend)
        al.addWidget(self.apply_alternative_button)
        self.tabs.addTab(alt_tab, "Alternatives")

        self.checklist = QTableWidget()
        self.checklist_label = QLabel()
        self.checklist_label.setWordWrap(True)
        check_tab = QWidget()
        cl = QVBoxLayout(check_tab)
        cl.addWidget(self.checklist_label)
        cl.addWidget(self.checklist, 1)
        self.checklist_index = self.tabs.addTab(check_tab, "HIPAA checklist")
        # access keys that no other control of the results page uses (Back, Next, Save…)
        self.tabs.setTabText(0, "Before / aft&er")
        self.tabs.setTabText(1, "Ris&k")
        self.tabs.setTabText(2, "U&tility")
        self.tabs.setTabText(3, "Alternat&ives")
        self.tabs.setTabText(self.checklist_index, "HIPAA &checklist")

        self.sections_label = QLabel()
        self.sections_label.setWordWrap(True)
        self.banner = RiskBanner()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.sections_label)
        self._report: dict = {}
        self.candidates: list[dict] = []

    def show_outcome(self, original, outcome, verdict) -> None:
        """``verdict``: the release's ``core.risk.ReleaseVerdict`` (see ``services.disclosure``)."""
        rep = self._report = outcome.report
        rows, model = rep["rows"], rep["model"]
        achieved = ", ".join(f"{k} = {show_number(v)}" for k, v in model["achieved"].items())
        met = ("" if model["satisfied"] is None else
               " — satisfied" if model["satisfied"] else " — NOT satisfied")
        b, a = rep["risk"]["before"], rep["risk"]["after"]
        lines = [f"<b>{show_number(rows['input'])}</b> records in, <b>{show_number(rows['output'])}</b> "
                 f"released ({show_number(rows['suppressed'])} left out, at most "
                 f"{show_number(rows['suppression_limit_rows'])} allowed).",
                 f"Privacy model measured on the output: {achieved or 'none'}{met}."]
        levels = plain.levels_sentences(rep)
        if levels:
            lines.append("Released: " + escape("; ".join(levels)) + ".")
        if verdict.safe_harbor is not None:
            lines.append("Safe Harbor rules applied: " + (
                "every identifier type handled." if verdict.safe_harbor else
                "<b>not</b> every identifier type handled (see the checklist).")
                + " These are rules about columns, not a measure of risk.")
        risk = (f"Measured re-identification risk: highest {_pct(b['prosecutor_max'])} → "
                f"{_pct(a['prosecutor_max'])} (limit {_pct(verdict.threshold)})")
        lines.append(risk + (" — within the limit." if verdict.safe else
                             " — <b style='color:#b00020'>can still identify people</b>."))
        self.summary.setText("<br>".join(lines))
        self.banner.show_verdict(verdict)
        replace_model(self.before_view, ArrowTableModel(original.head(PREVIEW_ROWS), parent=self,
                                                        show_types=False))
        replace_model(self.after_view, ArrowTableModel(outcome.data.head(PREVIEW_ROWS),
                                                       parent=self, show_types=False))
        for view in (self.before_view, self.after_view):   # headers readable, not clipped
            view.resizeColumnsToContents()
            for c in range(view.model().columnCount()):
                view.setColumnWidth(c, min(view.columnWidth(c), 220))
        self._fill_risk(b, a)
        self._fill_utility(rep)
        self._fill_alternatives(outcome.candidates, rep["generalization"]["levels"])
        self._fill_checklist(rep.get("hipaa"))
        sections = rep.get("sections") or {}
        self.sections_label.setText("Also applied: " + ", ".join(
            {"perturbation": "record perturbation", "encryption": "column encryption"}.get(k, k)
            for k in sections) if sections else "")

    def _fill_risk(self, b: dict, a: dict) -> None:
        _fill(self.risk_table, ["Figure", "Before", "After", "What it measures"],
              [[label, f(b[k]), f(a[k]), plain.explain(term)] for label, k, f, term in RISK_ROWS])
        for r in range(self.risk_table.rowCount()):
            for c in (1, 2):
                self.risk_table.item(r, c).setTextAlignment(
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = self.risk_table.horizontalHeader()
        header.setStretchLastSection(True)
        for c in range(3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.risk_table.setWordWrap(True)
        self.risk_table.verticalHeader().setVisible(False)
        self.risk_table.resizeRowsToContents()
        self.class_chart.set_svg(class_sizes_before_after(b, a))
        self.risk_chart.set_svg(risk_before_after(b, a))

    def _fill_utility(self, rep: dict) -> None:
        u = rep["utility"]
        m = rep["generalization"].get("metrics") or {}
        figures = ", ".join(f"{METRIC_NAMES.get(k, k.replace('_', ' '))} {show_number(v)}"
                            for k, v in m.items() if not isinstance(v, dict))
        plain_loss = (f"Loss: {show_number(round(100 * m['loss']))} % of the quasi-identifiers' detail "
                      f"was removed (0 % = nothing, 100 % = everything). "
                      if m.get("loss") is not None else "")
        self.utility_label.setText(plain_loss + "All measures: " + (figures or "no grouping")
                                   + ". Each column is compared with the input at the released "
                                   "level of detail (e.g. the same age bands).")
        self.utility_label.setToolTip(plain.explain("loss"))
        rows = []
        for col, e in u["columns"].items():
            sd = ("—" if e.get("sd_before") is None or e.get("sd_after") is None else
                  f"{show_number(e['sd_before'])} → {show_number(e['sd_after'])}")
            change = e.get("relative_mean_change")
            rows.append([col, "released" if e["status"] == "released" else "removed",
                         e.get("hellinger"), e.get("total_variation"),
                         "—" if change is None else f"{show_number(100 * change, 2)} %",
                         e.get("variance_ratio"), sd])
        _fill(self.utility_table, UTILITY_HEADERS, rows, UTILITY_TERMS)
        self.utility_table.verticalHeader().setVisible(False)
        self.histogram_column.blockSignals(True)
        self.histogram_column.clear()
        self.histogram_column.addItems(list(rep.get("histograms", {})))
        self.histogram_column.blockSignals(False)
        self._show_histogram(self.histogram_column.currentText())

    def _show_histogram(self, column: str) -> None:
        h = self._report.get("histograms", {}).get(column)
        if not h:
            self.histogram_chart.set_svg("")
            return
        self.histogram_chart.set_svg(column_histogram(column, h))

    def _fill_alternatives(self, candidates: list[dict], chosen: dict) -> None:
        self.candidates = list(candidates)
        self.alternatives.setVisible(bool(candidates))
        self.alternatives_help.setText(ALTERNATIVES_TEXT if candidates else (
            "No search ran, so there are no alternatives: the recipe asks for no privacy "
            "model (k-anonymity, l-diversity or t-closeness), or fixes the levels itself. "
            "Set one on the Privacy model page to get a list here."))
        qis = list(chosen) or (list(candidates[0]["levels"]) if candidates else [])
        rows = []
        for c in candidates:
            mark = "✓ " if c["levels"] == chosen else ""
            rows.append([mark + " ".join(str(c["levels"][q]) for q in qis), c["loss"],
                         c["suppressed"], c["classes"], c["granularity"]])
        _fill(self.alternatives, [f"Levels ({', '.join(qis)})", "Loss", "Records left out",
                                  "Groups", "Detail kept"], rows, ALTERNATIVE_TERMS)
        self.apply_alternative_button.setEnabled(bool(candidates))

    def selected_alternative(self) -> dict | None:
        rows = self.alternatives.selectionModel().selectedRows() \
            if self.alternatives.selectionModel() else []
        if not rows or not self.candidates:
            return None
        return self.candidates[rows[0].row()]

    def _fill_checklist(self, checklist: dict | None) -> None:
        self.tabs.setTabVisible(self.checklist_index, checklist is not None)
        if checklist is None:
            return
        self.checklist_label.setText(
            ("Every identifier type found was handled. " if checklist["compliant"] else
             "Some identifier types are NOT handled as Safe Harbor requires. ")
            + checklist["reminder"])
        _fill(self.checklist, ["Identifier type", "Status", "Columns", "What was done"],
              [[i["title"], i["status"], ", ".join(i["columns"]) or "—",
                "; ".join(i["actions"]) or i["note"]] for i in checklist["items"]])
        for c, width in ((0, 300), (1, 70), (2, 200)):      # the verdict stays in view; long
            self.checklist.setColumnWidth(c, width)          # cells are elided, in full as tooltip
        self.checklist.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for r in range(self.checklist.rowCount()):
            for c in range(self.checklist.columnCount()):
                item = self.checklist.item(r, c)
                item.setToolTip(item.text())
