"""Step 3 of the Prepare wizard: one row per column — role, action, parameters, and why.

Pre-filled from the preset, which starts from the roles the import profile suggested (with
their reasons); every cell can be changed. ``to_columns()`` gives the recipe's ``columns``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...services.choices import ROLES
from ...services.types import IDENTIFIER_ACTIONS
from .action_text import ACTION_LABELS, ACTIONS, default_params, format_params, parse_params

COLUMNS = ("column", "role", "action", "parameters", "why")
ROLE_HELP = ("Role — identifier: names the person on its own (name, SSN, e-mail), must be "
             "removed or replaced; quasi_identifier: identifies in combination (age, ZIP, "
             "dates), gets generalized; sensitive: what must not leak about a person "
             "(diagnosis), protected by l-diversity / t-closeness; insensitive: released as is.")
ACTION_HELP = ("Action — keep; drop the column; mask characters; replace by a fixed pattern; "
               "keyed pseudonym (same person → same code, reversible only by you); shift "
               "dates per person; generalize (coarsen by the privacy model); keep the year "
               "only; cut ZIP codes to 3 digits; top/bottom code extreme values.")


class ColumnsStep(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([c.capitalize() for c in COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        for c, tip in ((1, ROLE_HELP), (2, ACTION_HELP),
                       (3, "Settings of the action as name=value pairs, e.g. keep_last=4")):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        self.table.setColumnWidth(0, 160)
        self.table.setColumnWidth(1, 140)
        self.table.setColumnWidth(2, 130)
        self.table.setColumnWidth(3, 240)
        hint = QLabel("Each column's role and what happens to it. Identifiers must be dropped, "
                      "masked, replaced or pseudonymized; quasi-identifiers are generalized by "
                      "the privacy model on the next page. Parameters are name=value pairs.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table)
        self._dataset_name = "release"
        self._names: list[str] = []

    def load(self, recipe: dict, reasons: dict[str, str], columns: list[str],
             dataset_name: str) -> None:
        self._dataset_name = dataset_name
        self._names = list(columns)
        specs = recipe.get("columns", {})
        self.table.setRowCount(len(columns))
        for row, col in enumerate(columns):
            spec = specs.get(col, {})
            action = spec.get("action", {"type": "keep"})
            name = QTableWidgetItem(col)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 0, name)
            role = QComboBox()
            role.addItems(list(ROLES))
            role.setCurrentText(spec.get("role", "insensitive"))
            role.setToolTip(ROLE_HELP)
            self.table.setCellWidget(row, 1, role)
            act = QComboBox()
            for a in ACTIONS:
                act.addItem(ACTION_LABELS[a], a)
            act.setCurrentIndex(ACTIONS.index(action["type"]))
            act.setToolTip(ACTION_HELP)
            act.currentIndexChanged.connect(lambda _i, r=row: self._action_changed(r))
            self.table.setCellWidget(row, 2, act)
            self.table.setItem(row, 3, QTableWidgetItem(format_params(action)))
            why = spec.get("note") or reasons.get(col, "")
            item = QTableWidgetItem(why)
            item.setToolTip(why)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 4, item)

    def row_of(self, column: str) -> int:
        return self._names.index(column)

    def set_action(self, column: str, action: str, params: str | None = None,
                   role: str | None = None) -> None:
        """Set a row as a user would (used by tests and by the preset defaults)."""
        row = self.row_of(column)
        if role is not None:
            self.table.cellWidget(row, 1).setCurrentText(role)
        combo = self.table.cellWidget(row, 2)
        combo.setCurrentIndex(ACTIONS.index(action))
        if params is not None:
            self.table.item(row, 3).setText(params)

    def _person_column(self) -> str | None:
        for row, col in enumerate(self._names):
            if self.table.cellWidget(row, 1).currentText() == "identifier":
                return col
        return None

    def _action_changed(self, row: int) -> None:
        action = self.table.cellWidget(row, 2).currentData()
        params = default_params(action, self._dataset_name, self._person_column())
        self.table.item(row, 3).setText(format_params(params))
        if action in IDENTIFIER_ACTIONS:
            self.table.cellWidget(row, 1).setCurrentText("identifier")

    def to_columns(self, previous: dict) -> dict:
        """The recipe's ``columns`` section; notes and HIPAA tags of unchanged rows are kept."""
        out = {}
        for row, col in enumerate(self._names):
            role = self.table.cellWidget(row, 1).currentText()
            action_type = self.table.cellWidget(row, 2).currentData()
            action = parse_params(action_type, self.table.item(row, 3).text(), col)
            spec = {"role": role, "action": action}
            old = previous.get(col, {})
            if old.get("action", {}).get("type") == action_type:
                for key in ("note", "hipaa"):
                    if key in old:
                        spec[key] = old[key]
            out[col] = spec
        return out
