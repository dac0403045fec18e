"""Write a table to CSV, ``.xlsx`` or Parquet: atomically, and safe to open in a spreadsheet.

Atomic: the file is written beside its destination under a temporary name, flushed to disk and
renamed over the destination, so a crash or Cancel never leaves half a file.

Formula injection (CSV injection): a spreadsheet treats a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula, which can run commands or leak data when a
recipient opens the file. In text columns every such cell is written with a leading ``'``,
which spreadsheets show as plain text, and so is such a column name. Columns stored as
numbers, dates or booleans are never changed: a negative number in a numeric column stays a
number. Parquet is not opened by spreadsheets and is written unchanged.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError
from ..private_files import restrict_to_owner
from ..progress import TaskState, ensure_task

FORMULA_TRIGGER = r"^[=+\-@\t\r]"
EXCEL_MAX_ROWS = 1_048_576
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


@contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest``; renamed onto ``dest`` only if the block succeeds."""
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise InputError("the destination folder does not exist", path=str(dest.parent))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror})", path=str(dest)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        restrict_to_owner(tmp_path)      # owner-only on Windows too, before data goes in
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, dest)
    except OSError as exc:
        raise InputError(f"the file could not be written ({exc.strerror or 'I/O error'})",
                         path=str(dest)) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def export_format(dest: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the destination's extension; one of :data:`EXPORT_FORMATS`."""
    fmt = (fmt or Path(dest).suffix.lstrip(".")).lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError("unknown export format; use a .csv, .xlsx or .parquet file name",
                         path=str(dest))
    return fmt


def write_table(data, dest: Path, fmt: str | None = None, task: TaskState | None = None) -> Path:
    """Write ``data`` (Arrow table or DataFrame) to ``dest`` as ``fmt`` (default: by extension)."""
    dest = Path(dest)
    fmt = export_format(dest, fmt)
    table = as_arrow(data)
    task = ensure_task(task)
    with atomic_path(dest) as tmp:
        if fmt == "csv":
            _write_csv(table, tmp, task)
        elif fmt == "xlsx":
            _write_xlsx(table, tmp, task)
        else:
            pq.write_table(table, tmp, compression="zstd")
    task.report(1.0, f"wrote {table.num_rows:,} rows")
    return dest


def _write_csv(table: pa.Table, path: Path, task: TaskState) -> None:
    table = escape_formulas(dates_without_time(plain_columns(table)))
    n = max(table.num_rows, 1)
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    with pacsv.CSVWriter(str(path), table.schema, write_options=options) as writer:
        done = 0
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


def _write_xlsx(table: pa.Table, path: Path, task: TaskState) -> None:
    import openpyxl

    if table.num_rows + 1 > EXCEL_MAX_ROWS:
        raise InputError(f"{table.num_rows:,} rows do not fit in an Excel sheet "
                         f"(at most {EXCEL_MAX_ROWS - 1:,})", path=str(path),
                         hint="export as CSV or Parquet")
    table = escape_formulas(dates_without_time(plain_columns(table)))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(table.column_names)
    n = max(table.num_rows, 1)
    done = 0
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        columns = [c.to_pylist() for c in batch.columns]
        for row in zip(*columns):
            sheet.append(list(row))
        done += batch.num_rows
        task.report(done / n, f"writing row {done:,}")
    workbook.save(path)
