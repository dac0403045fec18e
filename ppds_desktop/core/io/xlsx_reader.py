"""Read one worksheet of an ``.xlsx`` workbook (openpyxl, read-only streaming) into an Arrow table.

Line numbers in errors are the worksheet's row numbers, as Excel shows them. Every workbook is
first checked by ``xlsx_guard`` (zip and XML bombs, over-long cells) before openpyxl sees it.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from ..progress import TaskState, ensure_task
from ..schema.types import convert_text_column
from .options import ParseOptions, ReadLimits
from .result import ReadResult
from .sniff import check_column_names, check_file
from .xlsx_guard import broken, check_xlsx

# What openpyxl raises on a workbook that passed the guard but is still broken inside
# (a missing part, a bad number, XML it cannot make sense of).
BROKEN_WORKBOOK = (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, TypeError,
                   IndexError, AttributeError, EOFError, SyntaxError, NotImplementedError,
                   ArithmeticError, LookupError)


@contextmanager
def open_workbook(path: Path, limits: ReadLimits | None = None):
    """The workbook, opened read-only by openpyxl after :func:`check_xlsx` passed it and
    closed after use; what openpyxl raises on a broken workbook, opening or reading it, is
    told as :func:`broken`."""
    import openpyxl

    check_xlsx(path, limits or ReadLimits())
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except BROKEN_WORKBOOK:
        raise broken(path) from None
    try:
        yield workbook
    except BROKEN_WORKBOOK:
        raise broken(path) from None
    finally:
        workbook.close()


def pick_sheet(path: Path, workbook, sheet: str | None):
    if sheet is None:
        return workbook.worksheets[0]
    if sheet not in workbook.sheetnames:
        raise InputError(f"the workbook has no sheet named {sheet!r}", path=str(path),
                         hint="sheets: " + ", ".join(workbook.sheetnames))
    return workbook[sheet]


def check_header(path: Path, cells: tuple, line: int) -> list[str]:
    """Header names with trailing empty cells dropped; refuses empty and duplicate names."""
    names = ["" if c is None else str(c).strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError("the header row is empty", path=str(path), line=line)
    check_column_names(path, names, line)
    return names


def read_xlsx(path: Path, options: ParseOptions | None = None, limits: ReadLimits | None = None,
              task: TaskState | None = None) -> ReadResult:
    path = Path(path)
    limits = limits or ReadLimits()
    options = options or ParseOptions()
    task = ensure_task(task)
    size = check_file(path, limits)
    with open_workbook(path, limits) as workbook:
        names, columns, sheet_title, header_line = _read_rows(path, workbook, options, limits,
                                                              task)
    if not columns[0]:
        raise InputError("the sheet has a header but no data rows", path=str(path),
                         line=header_line + 1)
    task.report(0.9, "reading column types")
    arrays = [_to_arrow(values) for values in columns]
    task.report(1.0, f"read {len(columns[0]):,} rows")
    return ReadResult(table=pa.Table.from_arrays(arrays, names=names), format="xlsx",
                      options=options.with_(sheet=sheet_title, header_row=options.header_row or 0),
                      file_name=path.name,
                      file_bytes=size)


def _read_rows(path: Path, workbook, options: ParseOptions, limits: ReadLimits,
               task: TaskState) -> tuple[list[str], list[list], str, int]:
    """The header names, the values column by column, the sheet's title and header line."""
    sheet = pick_sheet(path, workbook, options.sheet)
    total = max(sheet.max_row or 1, 1)
    rows = sheet.iter_rows(values_only=True)
    header_row = options.header_row or 0
    header_line = header_row + 1
    for _ in range(header_row):
        next(rows, None)
    header = next(rows, None)
    if header is None:
        raise InputError("the sheet has no header row", path=str(path), line=header_line)
    names = check_header(path, header, header_line)
    width = len(names)
    columns: list[list] = [[] for _ in names]
    for line, row in enumerate(rows, start=header_line + 1):
        if line % 5000 == 0:
            task.report(0.9 * line / total, f"reading row {line:,}")
        if row is None or all(v is None or v == "" for v in row):
            continue
        if any(v is not None and v != "" for v in row[width:]):
            raise InputError(f"a value beyond the {width} named columns", path=str(path),
                             line=line, hint="give that column a name in the header row")
        for i in range(width):
            value = row[i] if i < len(row) else None
            if isinstance(value, str):
                if len(value) * 4 > limits.max_field_bytes and \
                        len(value.encode("utf-8")) > limits.max_field_bytes:
                    raise InputError(f"column {i + 1} is longer than the limit of "
                                     f"{limits.max_field_bytes:,} bytes",
                                     path=str(path), line=line)
                if value.strip() == "":
                    value = None
            columns[i].append(value)
    return names, columns, sheet.title, header_line


def _to_arrow(values: list) -> pa.ChunkedArray:
    """Typed if Excel's cells agree on one type; text converted like CSV text otherwise."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, dt.datetime) for v in present) and \
            all(v.time() == dt.time(0) for v in present):
        values = [v.date() if v is not None else None for v in values]
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {int, float} or len(kinds) == 1 and kinds != {str}:
        try:
            return pa.chunked_array([pa.array(values)])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    text = pa.chunked_array([pa.array([None if v is None else _as_text(v) for v in values],
                                      type=pa.string())])
    return convert_text_column(text)[0]


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)
