"""The column-profile table: rows from a stored profile and roles, and how the table looks.

Used by the Datasets page and the import wizard's roles page. A profile table has one row per
column of the dataset (tens, not millions), so rows can grow to show the whole reason.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyledItemDelegate, QTableView

from .roles_model import EXAMPLES_COLUMN, HEADERS, ROLE_COLUMN, ColumnRow, RoleDelegate
from .table_model import readable_type

_WIDTHS = {"Column": 130, "Type": 82, "Missing": 60, "Distinct": 60, "Role": 115,
           "Why this role": 250}


class _OneLineDelegate(QStyledItemDelegate):
    """Elides instead of wrapping, so long examples do not make rows tall."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        option.features &= ~option.ViewItemFeature.WrapText
        option.textElideMode = Qt.TextElideMode.ElideRight


def setup_profile_table(view: QTableView) -> None:
    """Role combo editor, wrapped reasons, fixed widths for the short columns."""
    view.setItemDelegateForColumn(ROLE_COLUMN, RoleDelegate(view))
    view.setItemDelegateForColumn(EXAMPLES_COLUMN, _OneLineDelegate(view))
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                         | QAbstractItemView.EditTrigger.SelectedClicked
                         | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.AnyKeyPressed)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    _apply_widths(view)
    view.model().modelReset.connect(lambda: _apply_widths(view))  # a reset forgets widths


def _apply_widths(view: QTableView) -> None:
    for column, name in enumerate(HEADERS):
        if name in _WIDTHS:
            view.setColumnWidth(column, _WIDTHS[name])


def _profile_columns(profile: dict | None) -> dict[str, dict]:
    """The per-column entries of a stored profile (``DatasetProfile.to_dict``), by column name."""
    return {c["name"]: c for c in (profile or {}).get("columns", [])}


def column_row(name: str, entry: dict, role=None) -> ColumnRow:
    """One table row from a stored profile entry and the saved ``ColumnRole`` (if any). The
    stored profile has no example values; the Datasets page adds them once it has them."""
    return ColumnRow(
        name=name,
        kind=readable_type(str(entry.get("kind", ""))),
        missing=entry.get("missing_share"),
        distinct=entry.get("distinct"),
        role=role.role if role is not None else entry.get("role", "insensitive"),
        reason=role.reason if role is not None else entry.get("reason", ""),
        confirmed=role is not None and role.confirmed,
    )


def profile_rows(info, roles: dict) -> list[ColumnRow]:
    """Rows in column order for a stored dataset (``DatasetInfo``) and ``vault.roles(...)``."""
    entries = _profile_columns(info.profile)
    rows = []
    for name in info.columns:
        entry = dict(entries.get(name, {}))
        entry.setdefault("kind", info.dtypes.get(name, ""))
        rows.append(column_row(name, entry, roles.get(name)))
    return rows


def type_labels(info) -> dict[str, str]:
    """The type shown under each column name in the data table (profile kind, else Arrow type)."""
    entries = _profile_columns(info.profile)
    return {name: str(entries.get(name, {}).get("kind") or info.dtypes.get(name, ""))
            for name in info.columns}
