"""The Prepare wizard's results: before/after rows, risk and utility with charts, the
alternative transformations (pick one and re-apply), the Safe Harbor checklist."""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableView, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)

from ...services.release import (class_sizes_before_after, column_histogram,
                                 risk_before_after)
from ..table_model import ArrowTableModel, replace_model
from ..widgets.svg_view import SvgChart
from .risk_banner import RiskBanner

PREVIEW_ROWS = 200


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def _num(v) -> str:
    if v is None:
        return "—"
    return f"{v:,}" if isinstance(v, int) else f"{v:,.4g}"


RISK_HELP = {
    "prosecutor": "Prosecutor risk: the chance that someone who knows a person is in the "
                  "release picks out their record from the quasi-identifiers (1 / size of "
                  "the person's group of look-alike records).",
    "journalist": "Journalist risk: the same, for someone who does not know whether the person "
                  "is in the release at all (estimated from the data, or the population size "
                  "given in the recipe).",
    "marketer": "Marketer risk: the share of all records such an attacker would re-identify "
                "on average when linking the whole release to another list.",
    "records at risk": "Records whose re-identification chance is above the risk threshold "
                       "of the recipe (20 % unless set).",
    "unique records": "Records no other record shares the quasi-identifiers with.",
    "smallest class": "Size of the smallest group of records with identical quasi-identifiers "
                      "(the k actually achieved).",
    "classes": "Number of groups of records with identical quasi-identifiers (equivalence "
               "classes).",
}
UTILITY_HELP = {
    "status": "released or dropped: what became of the column",
    "Hellinger": "Hellinger distance between the column's value distribution before and "
                 "after: 0 = unchanged, 1 = no value in common. A generalized column's labels "
                 "(e.g. '40-44') differ from the original values, so it shows 1 even when the "
                 "bands keep the shape; compare the histograms below.",
    "total variation": "Total variation distance: the share of records that would have to "
                       "change value to turn one distribution into the other (0 to 1).",
    "relative mean change": "Numeric columns: change of the mean, relative to the original.",
    "variance ratio": "Numeric columns: variance after / variance before (1 = unchanged).",
}
ALTERNATIVE_HELP = {
    "Loss": "Share of detail removed by generalization and suppression (ARX's Loss): "
            "0 = nothing removed, 1 = everything. The search minimizes it.",
    "suppressed rows": "Records removed from the release because they would still stand out.",
    "classes": "Number of groups of records with identical quasi-identifiers.",
    "granularity": "Share of detail kept in the quasi-identifiers (higher is better).",
}


def _fill(table: QTableWidget, headers: list[str], rows: list[list],
          help_: dict[str, str] | None = None) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    for c, header in enumerate(headers):
        if help_ and header in help_:
            table.horizontalHeaderItem(c).setToolTip(help_[header])
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value if isinstance(value, str) else _num(value))
            tip = (help_ or {}).get(row[0]) if c == 0 and isinstance(row[0], str) else None
            if tip:
                item.setToolTip(tip)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


ALTERNATIVES_TEXT = (
    "The best transformations the search found. Each shows the generalization level per "
    "quasi-identifier (0 = as is, higher = coarser), ✓ marks the one applied. Pick another "
    "than the optimum (e.g. fewer suppressed rows) and apply it.")


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
                           "quasi-identifiers, before and after. Lower is safer; hover over "
                           "a row for what it measures.")
        risk_help.setWordWrap(True)
        rl.addWidget(risk_help)
        rl.addWidget(self.risk_table)
        charts = QHBoxLayout()
        charts.addWidget(self.class_chart)
        charts.addWidget(self.risk_chart)
        rl.addLayout(charts, 1)
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
        row = QHBoxLayout()
        row.addWidget(QLabel("Distribution before/after of:"))
        row.addWidget(self.histogram_column, 1)
        ul.addLayout(row)
        ul.addWidget(self.histogram_chart, 1)
        self.tabs.addTab(util_tab, "Utility")

        self.alternatives = QTableWidget()
        self.alternatives.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alternatives.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.apply_alternative_button = QPushButton("&Apply the selected transformation")
        alt_tab = QWidget()
        al = QVBoxLayout(alt_tab)
        self.alternatives_help = alt_help = QLabel(ALTERNATIVES_TEXT)
        alt_help.setWordWrap(True)
        al.addWidget(alt_help)
        al.addWidget(self.alternatives, 1)
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
        achieved = ", ".join(f"{k} = {_num(v)}" for k, v in model["achieved"].items())
        met = ("" if model["satisfied"] is None else
               " — satisfied" if model["satisfied"] else " — NOT satisfied")
        b, a = rep["risk"]["before"], rep["risk"]["after"]
        lines = [f"<b>{rows['input']:,}</b> rows in, <b>{rows['output']:,}</b> out "
                 f"({rows['suppressed']:,} suppressed, limit {rows['suppression_limit_rows']:,}).",
                 f"Privacy model measured on the output: {achieved or 'none'}{met}."]
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
        self.sections_label.setText("Also applied: " + ", ".join(sections) if sections else "")

    def _fill_risk(self, b: dict, a: dict) -> None:
        keys = [("prosecutor risk, highest", "prosecutor_max", _pct),
                ("prosecutor risk, average", "prosecutor_avg", _pct),
                ("journalist risk, highest", "journalist_max", _pct),
                ("marketer risk", "marketer", _pct),
                ("records at risk", "records_at_risk", _num),
                ("unique records", "unique_records", _num),
                ("smallest class", "min_class_size", _num),
                ("classes", "n_classes", _num)]
        _fill(self.risk_table, ["", "before", "after"],
              [[label, f(b[k]), f(a[k])] for label, k, f in keys],
              {label: next(t for k, t in RISK_HELP.items() if label.startswith(k))
               for label, _k, _f in keys})
        self.risk_table.horizontalHeader().setStretchLastSection(False)
        self.class_chart.set_svg(class_sizes_before_after(b, a))
        self.risk_chart.set_svg(risk_before_after(b, a))

    def _fill_utility(self, rep: dict) -> None:
        u = rep["utility"]
        m = rep["generalization"].get("metrics") or {}
        figures = ", ".join(f"{k.replace('_', ' ')} {_num(v)}" for k, v in m.items()
                            if not isinstance(v, dict))
        plain = (f"Loss: {100 * m['loss']:.0f} % of the quasi-identifiers' detail was removed "
                 f"(0 % = nothing, 100 % = everything). " if m.get("loss") is not None else "")
        self.utility_label.setText(plain + "All measures: " + (figures or "no generalization")
                                   + ". Hover over a column heading for its meaning.")
        self.utility_label.setToolTip(ALTERNATIVE_HELP["Loss"])
        rows = [[col, e["status"], e.get("hellinger"), e.get("total_variation"),
                 e.get("relative_mean_change"), e.get("variance_ratio")]
                for col, e in u["columns"].items()]
        _fill(self.utility_table, ["column", "status", "Hellinger", "total variation",
                                   "relative mean change", "variance ratio"], rows,
              UTILITY_HELP)
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
        _fill(self.alternatives, [f"levels ({', '.join(qis)})", "Loss", "suppressed rows",
                                  "classes", "granularity"], rows, ALTERNATIVE_HELP)
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
        _fill(self.checklist, ["identifier type", "status", "columns", "what was done"],
              [[i["title"], i["status"], ", ".join(i["columns"]) or "—",
                "; ".join(i["actions"]) or i["note"]] for i in checklist["items"]])
        for c, width in ((0, 300), (1, 70), (2, 200)):      # the verdict stays in view; long
            self.checklist.setColumnWidth(c, width)          # cells are elided, in full as tooltip
        self.checklist.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for r in range(self.checklist.rowCount()):
            for c in range(self.checklist.columnCount()):
                item = self.checklist.item(r, c)
                item.setToolTip(item.text())
