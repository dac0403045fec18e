"""Step 3 of the Prepare wizard: one row per column — role, action, its settings in words, and
why — and, under the table, typed editors for the selected column's settings.

Pre-filled from the preset, which starts from the roles the import profile suggested (with
their reasons); every role and action can be changed. ``to_columns()`` gives the recipe's
``columns``.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGroupBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...services import plain
from ..widgets.help_label import help_label
from .action_editor import ActionEditor
from .action_defaults import default_params

HEADERS = ("Column", "Role", "What happens to it", "Settings", "Why this role")
ROLE_COLUMN, ACTION_COLUMN, SETTINGS_COLUMN, WHY_COLUMN = 1, 2, 3, 4


class ColumnsStep(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setAccessibleName("Columns, their roles and what happens to them")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        # rows tall enough for the drop-downs they hold
        self.table.verticalHeader().setDefaultSectionSize(QComboBox().sizeHint().height() + 6)
        for column, width in ((0, 150), (1, 150), (2, 230), (3, 260)):
            self.table.setColumnWidth(column, width)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_settings(row))
        hint = QLabel("Each column's role and what happens to it. Identifiers must be removed, "
                      "masked, replaced or turned into codes; quasi-identifiers are coarsened by "
                      "the privacy model on the next page. Select a row to change its settings "
                      "below.")
        hint.setWordWrap(True)
        roles = help_label("  ·  ".join(f"<b>{plain.ROLE_LABELS[r]}</b>: {plain.ROLE_HELP[r]}"
                                        for r in plain.ROLE_LABELS))
        self.editor = ActionEditor()
        self.editor.changed.connect(self._settings_changed)
        self.settings_box = QGroupBox("Settings")
        QVBoxLayout(self.settings_box).addWidget(self.editor)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(roles)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.settings_box)
        self._dataset_name = "release"
        self._names: list[str] = []
        self._actions: list[dict] = []

    # -- rows -------------------------------------------------------------------------------
    def load(self, recipe: dict, reasons: dict[str, str], columns: list[str],
             dataset_name: str) -> None:
        self._dataset_name = dataset_name
        self._names = list(columns)
        specs = recipe.get("columns", {})
        self._actions = [copy.deepcopy(specs.get(c, {}).get("action", {"type": "keep"}))
                         for c in columns]
        self.table.setRowCount(len(columns))
        for row, col in enumerate(columns):
            spec = specs.get(col, {})
            self.table.setItem(row, 0, QTableWidgetItem(col))
            role = QComboBox()
            for key, label in plain.ROLE_LABELS.items():
                role.addItem(label, key)
                role.setItemData(role.count() - 1, plain.ROLE_HELP[key], Qt.ItemDataRole.ToolTipRole)
            role.setCurrentIndex(role.findData(spec.get("role", "insensitive")))
            role.setAccessibleName(f"Role of {col}")
            self.table.setCellWidget(row, ROLE_COLUMN, role)
            act = QComboBox()
            for key in plain.ACTIONS:
                act.addItem(plain.ACTION_LABELS[key], key)
                act.setItemData(act.count() - 1, plain.ACTION_HELP[key], Qt.ItemDataRole.ToolTipRole)
            act.setCurrentIndex(act.findData(self._actions[row]["type"]))
            act.setAccessibleName(f"What happens to {col}")
            act.currentIndexChanged.connect(lambda _i, r=row: self._action_changed(r))
            self.table.setCellWidget(row, ACTION_COLUMN, act)
            self.table.setItem(row, SETTINGS_COLUMN, QTableWidgetItem())
            why = spec.get("note") or reasons.get(col, "")
            item = QTableWidgetItem(why)
            item.setToolTip(why)
            self.table.setItem(row, WHY_COLUMN, item)
            self._show_summary(row)
        if columns:
            self.table.setCurrentCell(0, 0)
            self._show_settings(0)

    def row_of(self, column: str) -> int:
        return self._names.index(column)

    def role_combo(self, column: str) -> QComboBox:
        return self.table.cellWidget(self.row_of(column), ROLE_COLUMN)

    def action_combo(self, column: str) -> QComboBox:
        return self.table.cellWidget(self.row_of(column), ACTION_COLUMN)

    def action_of(self, column: str) -> dict:
        return copy.deepcopy(self._actions[self.row_of(column)])

    def set_action(self, column: str, action: str, params: dict | None = None,
                   role: str | None = None) -> None:
        """Set a row as a user would: its role, its action and (optionally) settings."""
        row = self.row_of(column)
        if role is not None:
            combo = self.table.cellWidget(row, ROLE_COLUMN)
            combo.setCurrentIndex(combo.findData(role))
        combo = self.table.cellWidget(row, ACTION_COLUMN)
        combo.setCurrentIndex(combo.findData(action))
        if params is not None:
            self._actions[row] = {"type": action, **params}
            self._show_summary(row)
            if self.table.currentRow() == row:
                self._show_settings(row)

    def _person_column(self) -> str | None:
        for row, col in enumerate(self._names):
            if self.table.cellWidget(row, ROLE_COLUMN).currentData() == "identifier":
                return col
        return None

    def _action_changed(self, row: int) -> None:
        action = self.table.cellWidget(row, ACTION_COLUMN).currentData()
        if self._actions[row].get("type") == action:
            return
        self._actions[row] = {"type": action,
                              **default_params(action, self._dataset_name, self._person_column())}
        if action in plain.IDENTIFIER_ACTIONS:
            role = self.table.cellWidget(row, ROLE_COLUMN)
            role.setCurrentIndex(role.findData("identifier"))
        self._show_summary(row)
        self.table.setCurrentCell(row, ACTION_COLUMN)
        self.table.scrollToItem(self.table.item(row, 0))
        self._show_settings(row)

    # -- settings -----------------------------------------------------------------------------
    def _show_summary(self, row: int) -> None:
        action = self._actions[row]
        text = plain.action_settings_text(action)
        item = self.table.item(row, SETTINGS_COLUMN)
        item.setText(text)
        item.setToolTip(text)

    def _show_settings(self, row: int) -> None:
        if not 0 <= row < len(self._names):
            return
        column = self._names[row]
        action = self._actions[row]
        self.settings_box.setTitle(f"Settings of {column}: "
                                   f"{plain.action_label(action['type']).lower()}")
        self.editor.edit(column, action, self._names)

    def _settings_changed(self, action: dict) -> None:
        row = self.row_of(self.editor.column)
        self._actions[row] = action
        self._show_summary(row)

    def to_columns(self, previous: dict) -> dict:
        """The recipe's ``columns`` section; notes and HIPAA tags of unchanged rows are kept."""
        out = {}
        for row, col in enumerate(self._names):
            role = self.table.cellWidget(row, ROLE_COLUMN).currentData()
            action = copy.deepcopy(self._actions[row])
            spec = {"role": role, "action": action}
            old = previous.get(col, {})
            if old.get("action", {}).get("type") == action["type"]:
                for key in ("note", "hipaa"):
                    if key in old:
                        spec[key] = old[key]
            out[col] = spec
        return out
