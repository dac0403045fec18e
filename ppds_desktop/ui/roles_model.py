"""The column profile as a table, with the role column editable through a combo box.

Used twice: on the Datasets page (each change is saved at once with ``vault.set_role``, which
audits it) and on the import wizard's roles page (changes are kept until the import stores them).
The model never holds cell data beyond the few example values the profile already carries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate

from ..services import plain

ROLE_LABELS, ROLE_HELP = plain.ROLE_LABELS, plain.ROLE_HELP
USER_REASON = "set by the user"
EXAMPLES_CHARS = 48  # the cell shows the start; the tooltip shows them all


@dataclass(frozen=True)
class ColumnRow:
    name: str
    kind: str = ""
    missing: float | None = None      # share 0..1
    distinct: int | None = None
    examples: tuple[str, ...] = ()
    role: str = "insensitive"
    reason: str = ""
    confirmed: bool = False


HEADERS = ("Column", "Type", "Missing", "Distinct", "Role", "Why this role", "Examples")
ROLE_COLUMN = HEADERS.index("Role")
REASON_COLUMN = HEADERS.index("Why this role")
EXAMPLES_COLUMN = HEADERS.index("Examples")
_NUMBER_COLUMNS = (HEADERS.index("Missing"), HEADERS.index("Distinct"))


class RolesModel(QAbstractTableModel):
    """``save(column, role) -> bool`` persists a change; when it returns False (it could not
    save, and said why) the model keeps the old role."""

    def __init__(self, rows: list[ColumnRow] = (), save: Callable[[str, str], bool] | None = None,
                 parent=None):
        super().__init__(parent)
        self._rows = list(rows)
        self._save = save

    def set_rows(self, rows: list[ColumnRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_examples(self, examples: dict[str, list[str]]) -> None:
        """Fill in example values once they are known (the stored profile has none)."""
        self._rows = [replace(r, examples=tuple(examples.get(r.name, r.examples)))
                      for r in self._rows]
        if self._rows:
            column = EXAMPLES_COLUMN
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def rows(self) -> list[ColumnRow]:
        return list(self._rows)

    def row_for(self, column: str) -> int:
        return next(i for i, r in enumerate(self._rows) if r.name == column)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == ROLE_COLUMN:
                return "Double-click or press F2 to change a column's role"
        return None

    def flags(self, index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ROLE_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == Qt.ItemDataRole.EditRole and col == ROLE_COLUMN:
            return row.role
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == ROLE_COLUMN:
                return ROLE_HELP.get(row.role, "")
            if col == REASON_COLUMN:
                return row.reason
            if col == EXAMPLES_COLUMN:
                return "\n".join(row.examples)
            return self._text(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in _NUMBER_COLUMNS:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and col == ROLE_COLUMN and not row.confirmed:
            font = QFont()
            font.setItalic(True)  # a suggestion the user has not confirmed yet
            return font
        return None

    @staticmethod
    def _text(row: ColumnRow, col: int) -> str:
        name = HEADERS[col]
        if name == "Column":
            return row.name
        if name == "Type":
            return row.kind
        if name == "Missing":
            return "" if row.missing is None else f"{row.missing:.1%}"
        if name == "Distinct":
            return "" if row.distinct is None else f"{row.distinct:,}"
        if name == "Examples":
            text = ", ".join(row.examples)
            return text if len(text) <= EXAMPLES_CHARS else text[:EXAMPLES_CHARS - 1] + "…"
        if name == "Role":
            return ROLE_LABELS.get(row.role, row.role)
        # "header 'Age' suggests ages — can re-identify a person…": the part after the dash
        # restates the role (its tooltip explains it), so the cell keeps the evidence only
        return row.reason.split(" — ")[0]

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or index.column() != ROLE_COLUMN:
            return False
        if value not in ROLE_LABELS:
            return False
        old = self._rows[index.row()]
        if value == old.role and old.confirmed:
            return False
        if self._save is not None and not self._save(old.name, value):
            return False
        self._rows[index.row()] = replace(old, role=value, reason=USER_REASON, confirmed=True)
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(HEADERS) - 1))
        return True


class RoleDelegate(QStyledItemDelegate):
    """A combo box of the four roles, each with its explanation as a tooltip."""

    def createEditor(self, parent, option, index):  # noqa: N802
        combo = QComboBox(parent)
        for key, label in ROLE_LABELS.items():
            combo.addItem(label, key)
            combo.setItemData(combo.count() - 1, ROLE_HELP[key], Qt.ItemDataRole.ToolTipRole)
        combo.activated.connect(lambda _i, c=combo: self._commit(c))
        return combo

    def _commit(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo)

    def setEditorData(self, editor, index):  # noqa: N802
        position = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(position, 0))

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
