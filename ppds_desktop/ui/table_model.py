"""A read-only Qt table model over an Arrow table that stays fast with millions of rows.

Nothing per cell is built up front: the model keeps one contiguous Arrow array per column and
turns cells into text only when a view asks for them, a block of rows at a time (a view paints
a screenful of neighbouring rows, so one ``to_pylist`` of ``BLOCK_ROWS`` values serves many ``data()``
calls). Formatted blocks live in a small LRU cache, so scrolling through a million rows costs
memory for the visible blocks only. Sorting uses Arrow's C++ sort to compute a row permutation.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from ..services.datasets import as_arrow

BLOCK_ROWS = 64                 # about two screenfuls of one column
MAX_CACHED_BLOCKS = 2048
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
# data() and flags() run for every visible cell on every paint: look the enums up once
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def format_value(value) -> str:
    """How one cell reads in the table: plain numbers, ISO dates, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) >= 1e-4 else f"{value:.4g}"
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _formats_in_arrow(t: pa.DataType) -> bool:
    """Types whose Arrow cast to string reads exactly like ``format_value`` (done in C++)."""
    if pa.types.is_dictionary(t):
        return _formats_in_arrow(t.value_type)
    return (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)
            or pa.types.is_date(t))


def _contiguous(column: pa.ChunkedArray) -> pa.Array:
    """One array per column for O(1) slicing; copies only when there are several chunks."""
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks()


_TYPE_WORDS = (("large_string", "text"), ("string", "text"), ("utf8", "text"),
               ("bool", "yes/no"), ("timestamp", "date and time"), ("date", "date"),
               ("decimal", "number"), ("double", "number"), ("float", "number"),
               ("uint", "integer"), ("int", "integer"), ("binary", "binary"))


def readable_type(name: str) -> str:
    """A stored (Arrow) type in words ('large_string' → 'text', 'int64' → 'integer'); a
    profile's own kind ('categorical', 'date') is kept."""
    lowered = name.lower()
    for prefix, words in _TYPE_WORDS:
        if lowered.startswith(prefix):
            return words
    return name


class ArrowTableModel(QAbstractTableModel):
    """``data``: a ``pyarrow.Table`` (what ``vault.load_arrow`` returns) or a pandas DataFrame.

    ``type_labels`` maps a column to the type shown under its name in the header (the profile's
    inferred type); the Arrow type is used otherwise. ``show_types=False`` shows names only
    (e.g. a preview of raw text).
    """

    def __init__(self, data, type_labels: dict[str, str] | None = None, parent=None, *,
                 show_types: bool = True):
        super().__init__(parent)
        table = as_arrow(data)
        self._names = list(table.column_names)
        self._columns = [_contiguous(table.column(i)) for i in range(table.num_columns)]
        self._numeric = [pa.types.is_integer(c.type) or pa.types.is_floating(c.type)
                         or pa.types.is_decimal(c.type) for c in self._columns]
        self._in_arrow = [_formats_in_arrow(c.type) for c in self._columns]
        labels = type_labels or {}
        self._types = [readable_type(labels.get(name) or str(col.type)) for name, col in
                       zip(self._names, self._columns)]
        self._rows = table.num_rows
        self._show_types = show_types
        self._order: np.ndarray | None = None  # view row -> data row, when sorted
        self._cache: OrderedDict[tuple[int, int], list[str]] = OrderedDict()

    # -- Qt model interface -------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._names)

    def data(self, index, role=_DISPLAY):
        if role == _DISPLAY or role == _TOOLTIP:
            row = index.row()
            return self.cell_text(row, index.column()) if row >= 0 else None
        if role == _ALIGNMENT:
            column = index.column()
            return (_RIGHT if self._numeric[column] else _LEFT) if column >= 0 else None
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                if not self._show_types:
                    return self._names[section]
                return f"{self._names[section]}\n{self._types[section]}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"{self._names[section]} ({self._types[section]})" if self._show_types
                        else self._names[section])
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        return None

    def flags(self, index):
        return _FLAGS

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        self.layoutAboutToBeChanged.emit()
        direction = "ascending" if order == Qt.SortOrder.AscendingOrder else "descending"
        indices = pc.array_sort_indices(self._columns[column], order=direction,
                                        null_placement="at_end")
        persistent = self.persistentIndexList()
        old_rows = [self._data_row(p.row()) for p in persistent]
        self._order = indices.to_numpy(zero_copy_only=False)
        self._cache.clear()
        if persistent:
            inverse = np.empty_like(self._order)
            inverse[self._order] = np.arange(len(self._order))
            self.changePersistentIndexList(
                persistent, [self.index(int(inverse[r]), p.column()) for p, r in
                             zip(persistent, old_rows)])
        self.layoutChanged.emit()

    # -- helpers ------------------------------------------------------------------------------
    def _data_row(self, row: int) -> int:
        return int(self._order[row]) if self._order is not None else row

    def cell_text(self, row: int, column: int) -> str:
        block = row // BLOCK_ROWS
        key = (column, block)
        texts = self._cache.get(key)
        if texts is None:
            texts = self._format_block(column, block)
            self._cache[key] = texts
            if len(self._cache) > MAX_CACHED_BLOCKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return texts[row - block * BLOCK_ROWS]

    def _format_block(self, column: int, block: int) -> list[str]:
        start = block * BLOCK_ROWS
        stop = min(start + BLOCK_ROWS, self._rows)
        array = self._columns[column]
        if self._order is None:
            values = array.slice(start, stop - start)
        else:
            values = array.take(pa.array(self._order[start:stop]))
        if self._in_arrow[column]:
            return pc.fill_null(values.cast(pa.string()), "").to_pylist()
        return [format_value(v) for v in values.to_pylist()]


def replace_model(view, model) -> None:
    """Show ``model`` (or nothing) in ``view`` and delete the model shown before: a model
    parented to its view or page, merely unset, would keep its data until that widget goes."""
    old = view.model()
    view.setModel(model)
    if old is not None:
        old.deleteLater()
