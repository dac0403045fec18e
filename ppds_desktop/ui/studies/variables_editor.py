"""The study's variables, edited with typed fields: a list on the left, the chosen variable's
name, type, unit, bounds, decimals or categories on the right. ``variables()`` gives them as the
spec lists them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QHBoxLayout, QLineEdit, QListWidget, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ...services.study_words import VARIABLE_TYPES, variable_sentence_of
from .common import label, named

_NUMBER, _CATEGORY, _BINARY = (c.value for c in VARIABLE_TYPES)
_BOUND = 1e12


class CategoriesEditor(QWidget):
    """The categories of a category variable: a list, a field and Add / Remove."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = named(QListWidget(), "Categories")
        self.list.setMaximumHeight(110)
        self.new = named(QLineEdit(), "New category")
        self.new.setPlaceholderText("Type a category, then Add")
        self.new.returnPressed.connect(self.add_typed)
        self.add_button = named(QPushButton("&Add"), "Add category")
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button = named(QPushButton("Remo&ve"), "Remove category")
        self.remove_button.clicked.connect(self._remove)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.list, 0, 0, 1, 3)
        grid.addWidget(self.new, 1, 0)
        grid.addWidget(self.add_button, 1, 1)
        grid.addWidget(self.remove_button, 1, 2)

    def add_typed(self) -> None:
        text = self.new.text().strip()
        if text and text not in self.categories():
            self.list.addItem(text)
            self.changed.emit()
        self.new.clear()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.changed.emit()

    def categories(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_categories(self, values: list[str]) -> None:
        self.list.clear()
        self.list.addItems(values)


class VariablesEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._vars: list[dict] = []
        self._loading = False
        self.list = named(QListWidget(), "Study variables")
        self.list.currentRowChanged.connect(self._show)
        self.add_button = named(QPushButton("Add &variable"), "Add variable")
        self.add_button.clicked.connect(lambda: self.add_variable(self._free_name()))
        self.remove_button = named(QPushButton("&Remove variable"), "Remove variable")
        self.remove_button.clicked.connect(self._remove)

        self.name = named(QLineEdit(), "Variable name")
        self.name.setPlaceholderText("As the study calls it, e.g. Age")
        self.type = named(QComboBox(), "Variable type")
        for choice in VARIABLE_TYPES:
            self.type.addItem(choice.name, choice.value)
        self.type_help = label("", "hint")
        self.unit = named(QLineEdit(), "Unit")
        self.unit.setPlaceholderText("e.g. years, kg/m², mmol/L (may be empty)")
        self.lower = named(self._bound_box(), "Lowest value")
        self.upper = named(self._bound_box(), "Highest value")
        self.decimals = named(QSpinBox(), "Decimals kept")
        self.decimals.setRange(0, 6)
        self.decimals.setToolTip("How precisely values are added up: 1 keeps 36.6, 0 rounds it "
                                 "to 37.")
        self.categories = CategoriesEditor()
        self.summary = label("", "hint")

        self.form = QFormLayout()
        self.form.addRow("&Name:", self.name)
        self.form.addRow("&Type:", self.type)
        self.form.addRow("", self.type_help)
        self.form.addRow("&Unit:", self.unit)
        self.form.addRow("&Lowest value:", self.lower)
        self.form.addRow("&Highest value:", self.upper)
        self.form.addRow("&Decimals kept:", self.decimals)
        self.form.addRow("&Categories:", self.categories)
        self.form.addRow("", self.summary)
        self.editor = QWidget()
        self.editor.setLayout(self.form)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 2)
        layout.addWidget(self.editor, 3)

        for widget in (self.name, self.unit):
            widget.textChanged.connect(self._store)
        self.type.currentIndexChanged.connect(self._store)
        for box in (self.lower, self.upper, self.decimals):
            box.valueChanged.connect(self._store)
        self.categories.changed.connect(self._store)
        self._show(-1)

    @staticmethod
    def _bound_box() -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-_BOUND, _BOUND)
        box.setDecimals(0)
        box.setGroupSeparatorShown(False)
        return box

    # -- the list ---------------------------------------------------------------------------
    def _free_name(self) -> str:
        taken = {v["name"] for v in self._vars}
        return next(f"Variable {k}" for k in range(1, len(taken) + 2)
                    if f"Variable {k}" not in taken)

    def add_variable(self, name: str, type: str = _NUMBER, *, unit: str = "",
                     lower: float = 0.0, upper: float = 100.0, decimals: int = 0,
                     categories: list[str] | None = None) -> None:
        """Add a variable and select it (the Add button adds a number from 0 to 100)."""
        self._vars.append({"name": name, "type": type, "unit": unit, "lower": lower,
                           "upper": upper, "decimals": decimals,
                           "categories": list(categories or [])})
        self.list.addItem(name)
        self.list.setCurrentRow(len(self._vars) - 1)
        self.changed.emit()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            del self._vars[row]
            self.list.takeItem(row)
            self.changed.emit()

    # -- the form ---------------------------------------------------------------------------
    def _show(self, row: int) -> None:
        self.editor.setEnabled(0 <= row < len(self._vars))
        self.remove_button.setEnabled(0 <= row < len(self._vars))
        if not 0 <= row < len(self._vars):
            return
        v = self._vars[row]
        self._loading = True
        try:
            self.name.setText(v["name"])
            self.type.setCurrentIndex(self.type.findData(v["type"]))
            self.unit.setText(v["unit"])
            self.decimals.setValue(v["decimals"])
            for box in (self.lower, self.upper):
                box.setDecimals(v["decimals"])
            self.lower.setValue(v["lower"])
            self.upper.setValue(v["upper"])
            self.categories.set_categories(v["categories"])
        finally:
            self._loading = False
        self._show_fields(v)

    def _show_fields(self, v: dict) -> None:
        number = v["type"] == _NUMBER
        for widget in (self.unit, self.lower, self.upper, self.decimals):
            self.form.setRowVisible(widget, number)
        self.form.setRowVisible(self.categories, v["type"] == _CATEGORY)
        self.type_help.setText(next(c.explanation for c in VARIABLE_TYPES
                                    if c.value == v["type"]))
        self.summary.setText(variable_sentence_of(self.spec_variable(v)))

    def _store(self) -> None:
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self._vars):
            return
        v = self._vars[row]
        v.update(name=self.name.text().strip(), type=self.type.currentData(),
                 unit=self.unit.text().strip(), decimals=self.decimals.value(),
                 categories=self.categories.categories())
        for box in (self.lower, self.upper):
            box.setDecimals(v["decimals"])
        v.update(lower=self.lower.value(), upper=self.upper.value())
        self.list.item(row).setText(v["name"] or "(no name yet)")
        self._show_fields(v)
        self.changed.emit()

    # -- out --------------------------------------------------------------------------------
    @staticmethod
    def spec_variable(v: dict) -> dict:
        out = {"name": v["name"], "type": v["type"]}
        if v["type"] == _NUMBER:
            out.update(unit=v["unit"], lower=v["lower"], upper=v["upper"],
                       decimals=v["decimals"])
        elif v["type"] == _CATEGORY:
            out["categories"] = list(v["categories"])
        return out

    def variables(self) -> list[dict]:
        """The variables as the study's spec lists them."""
        return [self.spec_variable(v) for v in self._vars]

    def names_of(self, *types: str) -> list[str]:
        return [v["name"] for v in self._vars if not types or v["type"] in types]

    def select(self, name: str) -> None:
        for row, v in enumerate(self._vars):
            if v["name"] == name:
                self.list.setCurrentRow(row)
                return
        raise KeyError(name)


__all__ = ["VariablesEditor", "CategoriesEditor"]
