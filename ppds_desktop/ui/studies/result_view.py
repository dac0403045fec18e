"""A study's result: who contributed, who decrypted (and whose answers were left out, why),
every figure with its interval for the privacy noise, charts, the key ceremony record, and
Export as CSV."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ...services import study_view
from ...services.datasets import export_file_name
from ..widgets.svg_view import SvgChart
from .common import SavedFiles, dialog_runner, label, named

_COLUMNS = ("Analysis", "Figure", "Value", "Interval for the privacy noise", "Records", "Note")


class ResultView(QWidget):
    def __init__(self, session, result, ceremony: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.result = session, result
        self.runner, self.progress = dialog_runner(session, self)
        self.summary = label("\n".join(study_view.result_summary(result)))
        self.summary.setAccessibleName("Who contributed and who decrypted")
        rows = study_view.result_rows(result)
        self.table = named(QTableWidget(len(rows), len(_COLUMNS)), "Figures")
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        for r, row in enumerate(rows):
            first = r == 0 or rows[r - 1].analysis != row.analysis    # the title once
            for c, text in enumerate((row.analysis if first else "", row.label,
                                      row.value_text, row.interval_text, row.records_text,
                                      row.note)):
                item = QTableWidgetItem(text)
                if c in (2, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if c == 5 and text:
                    item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.setColumnHidden(3, not any(row.interval for row in rows))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        self.charts = study_view.result_charts(result)
        self.chart_choice = named(QComboBox(), "Chart")
        for title, _svg in self.charts:
            self.chart_choice.addItem(title)
        self.chart = SvgChart()
        self.chart.setAccessibleName("Chart of the result")
        self.chart_choice.currentIndexChanged.connect(self._show_chart)
        self._show_chart(0)
        self.ceremony = label("\n".join(ceremony))
        self.export_button = named(QPushButton("E&xport results as CSV…"),
                                   "Export results as CSV")
        self.export_button.clicked.connect(self._ask_export)
        self.saved = SavedFiles()

        charts = QWidget()
        chart_layout = QVBoxLayout(charts)
        row = QHBoxLayout()
        row.addWidget(label("&Chart:"))
        row.itemAt(0).widget().setBuddy(self.chart_choice)
        row.addWidget(self.chart_choice, 1)
        chart_layout.addLayout(row)
        chart_layout.addWidget(self.chart, 1)
        if not self.charts:
            chart_layout.addWidget(label("This result has no figure with several groups to "
                                         "draw.", "hint"))
        made = QWidget()
        made_layout = QVBoxLayout(made)
        made_layout.addWidget(self.ceremony)
        made_layout.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "&Figures")
        self.tabs.addTab(charts, "C&harts")
        self.tabs.addTab(made, "How the &key was made")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.progress, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.saved)

    def _show_chart(self, index: int) -> None:
        self.chart.set_svg(self.charts[index][1] if 0 <= index < len(self.charts) else "")

    def _ask_export(self) -> None:
        name = export_file_name(f"{self.result.study.title} round {self.result.round}")
        path, _ = QFileDialog.getSaveFileName(self, "Export the results", name,
                                              "CSV files (*.csv)")
        if path:
            self.export(Path(path if path.lower().endswith(".csv") else path + ".csv"))

    def export(self, path: Path) -> bool:
        return self.runner.run(study_view.export_result_csv, self.session.vault, self.result,
                               path, title="Exporting the results", on_done=self._exported)

    def _exported(self, path) -> None:
        self.saved.set_files("The results were saved:", [("", path)])


class ResultDialog(QDialog):
    def __init__(self, session, result, ceremony: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Result of “{result.study.title}”")
        self.resize(1100, 720)
        self.view = ResultView(session, result, ceremony)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)


__all__ = ["ResultView", "ResultDialog"]
