"""Write a table to CSV, ``.xlsx`` or Parquet: atomically, and safe to open in a spreadsheet.

Atomic and private: the file is written beside its destination under a temporary owner-only
name, flushed to disk and renamed over the destination (``core.files.atomic_path``), so a
crash, a full disk or Cancel never leaves half a file and nothing is written anywhere else.

Formula injection (CSV injection): a spreadsheet treats a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula, which can run commands or leak data when a
recipient opens the file. In CSV text columns every such cell is written with a leading ``'``,
which spreadsheets show as plain text, and so is such a column name; ``.xlsx`` cells are typed,
so such texts are written as text cells with Excel's quote-prefix style instead (no visible
apostrophe; see ``xlsx_writer``). Columns stored as numbers, dates or booleans are never
changed: a negative number in a numeric column stays a number. Parquet is not opened by
spreadsheets and is written unchanged.

CSV is written as UTF-8 with a byte-order mark by default, which Excel needs to read
non-English characters correctly; ``bom=False`` writes plain UTF-8 for other programs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError
from ..files import atomic_path
from ..progress import TaskState, ensure_task
from .sniff import UTF8_BOM
from .xlsx_writer import check_fits, write_xlsx

FORMULA_TRIGGER = r"^[=+\-@\t\r]"
EXPORT_FORMATS = ("csv", "xlsx", "parquet")
_BATCH_ROWS = 64 * 1024


def as_arrow(data) -> pa.Table:
    """An Arrow table from a table (as is) or a pandas DataFrame (its index dropped)."""
    if isinstance(data, pa.Table):
        return data
    return pa.Table.from_pandas(data, preserve_index=False)


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def escape_formulas(table: pa.Table) -> pa.Table:
    """Text cells (and column names) that a spreadsheet would run as a formula get a leading
    ``'`` (see the module docstring)."""
    columns = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type) and _is_text(col.type.value_type):
            col = col.cast(col.type.value_type)
        if _is_text(col.type):
            risky = pc.match_substring_regex(col, FORMULA_TRIGGER)
            if pc.any(risky).as_py():
                quote, empty = pa.scalar("'", col.type), pa.scalar("", col.type)
                col = pc.if_else(risky, pc.binary_join_element_wise(quote, col, empty), col)
        columns.append(col)
    names = ["'" + n if re.match(FORMULA_TRIGGER, n) else n for n in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def dates_without_time(table: pa.Table) -> pa.Table:
    """Timestamps that are all at midnight are written as plain dates (``2024-03-01``)."""
    columns = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type) and col.type.tz is None and col.null_count < len(col):
            if pc.all(pc.equal(pc.floor_temporal(col, unit="day"), col)).as_py():
                col = col.cast(pa.date32())
        columns.append(col)
    return pa.Table.from_arrays(columns, names=table.column_names)


def export_format(dest: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the destination's extension; one of :data:`EXPORT_FORMATS`."""
    fmt = (fmt or Path(dest).suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError("unknown export format; use a .csv, .xlsx or .parquet file name",
                         path=str(dest))
    return fmt


def write_table(data, dest: Path, fmt: str | None = None, task: TaskState | None = None, *,
                bom: bool = True) -> Path:
    """Write ``data`` (Arrow table or DataFrame) to ``dest`` as ``fmt`` (default: by extension).

    ``bom``: start a CSV file with the UTF-8 byte-order mark (for spreadsheets)."""
    dest = Path(dest)
    fmt = export_format(dest, fmt)
    table = as_arrow(data)
    task = ensure_task(task)
    if fmt == "xlsx":
        table = dates_without_time(plain_columns(table))
        check_fits(table, dest)
    with atomic_path(dest) as tmp:
        if fmt == "csv":
            _write_csv(table, tmp, task, bom)
        elif fmt == "xlsx":
            write_xlsx(table, tmp, FORMULA_TRIGGER, task)
        else:
            pq.write_table(table, tmp, compression="zstd")
    task.report(1.0, f"wrote {table.num_rows:,} rows")
    return dest


def _write_csv(table: pa.Table, path: Path, task: TaskState, bom: bool) -> None:
    table = escape_formulas(dates_without_time(plain_columns(table)))
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    with pa.OSFile(str(path), "wb") as sink:
        if bom:
            sink.write(UTF8_BOM)
        with pacsv.CSVWriter(sink, table.schema, write_options=options) as writer:
            n, done = max(table.num_rows, 1), 0
            for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
                writer.write_batch(batch)
                done += batch.num_rows
                task.report(done / n, f"writing row {done:,}")


def plain_columns(table: pa.Table) -> pa.Table:
    """Spreadsheet cells hold plain values: times in UTC without a zone, decimals as floats,
    anything else (lists, durations, structs) as its text."""
    columns = []
    for col in table.columns:
        t = col.type
        if pa.types.is_timestamp(t) and t.tz is not None:
            col = col.cast(pa.timestamp(t.unit))
        elif pa.types.is_decimal(t):
            col = col.cast(pa.float64())
        elif not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                  or pa.types.is_temporal(t) and not pa.types.is_duration(t) or _is_text(t)
                  or pa.types.is_null(t)):
            col = pa.chunked_array([pa.array([None if v is None else str(v) for v in
                                              col.to_pylist()], pa.string())])
        columns.append(col)
    return pa.Table.from_arrays(columns, names=table.column_names)
