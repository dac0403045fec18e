"""One entry point for every supported file: read it whole, or preview its first rows."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from ..progress import TaskState
from .csv_reader import NULL_TOKENS, read_csv
from .csv_scan import header_names
from .options import ParseOptions, ReadLimits
from .parquet_reader import check_values, open_parquet, read_parquet
from .result import Preview, ReadResult
from .sniff import (check_column_names, check_file, detect_format, head_lines, parse_records,
                    read_head, refuse_binary, refuse_blank, resolve_text_options)
from .xlsx_reader import check_header, open_workbook, pick_sheet, read_xlsx

_READERS = {"csv": read_csv, "xlsx": read_xlsx, "parquet": read_parquet}


def file_format(path: Path, limits: ReadLimits | None = None) -> str:
    path = Path(path)
    check_file(path, limits or ReadLimits())
    return detect_format(path, read_head(path, 8))


def read_table(path: Path, options: ParseOptions | None = None, limits: ReadLimits | None = None,
               task: TaskState | None = None) -> ReadResult:
    """The whole file as an Arrow table; raises :class:`InputError` naming the file and line."""
    path = Path(path)
    return _READERS[file_format(path, limits)](path, options, limits, task)


def preview(path: Path, options: ParseOptions | None = None, rows: int = 100,
            limits: ReadLimits | None = None) -> Preview:
    """The first ``rows`` rows as text, with every option left ``None`` filled in by detection.

    Problems the user can fix by changing an option (wrong delimiter, encoding, header row) are
    returned in ``Preview.error`` along with what could be shown; a file that cannot be a table
    at all (missing, empty, binary, too large) raises :class:`InputError`.
    """
    path = Path(path)
    limits = limits or ReadLimits()
    options = options or ParseOptions()
    fmt = file_format(path, limits)
    size = path.stat().st_size
    if fmt == "csv":
        return _preview_text(path, options, rows, size)
    if fmt == "xlsx":
        return _preview_xlsx(path, options, rows, size, limits)
    return _preview_parquet(path, options, rows, size)


def _preview_text(path: Path, options: ParseOptions, rows: int, size: int) -> Preview:
    head = read_head(path)
    truncated = size > len(head)
    refuse_binary(path, head)
    refuse_blank(path, head, truncated)
    try:
        opts = resolve_text_options(path, head, truncated, options)
    except InputError as exc:
        return Preview("csv", options, [], [], size, error=str(exc))
    lines = head_lines(head, opts.encoding, truncated)
    records = _text_rows(lines[opts.header_row:], opts, rows + 1)
    try:
        names = header_names(path, opts, lines)
    except InputError as exc:
        return Preview("csv", opts, [], records, size, error=str(exc))
    data = records[1:]
    error = None
    for record in data:
        if len(record) != len(names):
            error = str(InputError(f"a row has {len(record)} fields where the header has "
                                   f"{len(names)}", path=str(path),
                                   hint="check the delimiter and quote character"))
            break
    return Preview("csv", opts, names, data, size, error=error)


def _text_rows(lines: list[str], opts: ParseOptions, limit: int) -> list[list[str | None]]:
    return [[None if v in NULL_TOKENS else v for v in record]
            for record in parse_records(lines, opts.delimiter, opts.quotechar, limit)]


def _preview_xlsx(path: Path, options: ParseOptions, rows: int, size: int,
                  limits: ReadLimits) -> Preview:
    with open_workbook(path, limits) as workbook:
        return _xlsx_rows(path, workbook, options, rows, size)


def _xlsx_rows(path: Path, workbook, options: ParseOptions, rows: int, size: int) -> Preview:
    sheet = pick_sheet(path, workbook, options.sheet)
    opts = options.with_(sheet=sheet.title, header_row=options.header_row or 0)
    it = sheet.iter_rows(values_only=True)
    for _ in range(opts.header_row):
        next(it, None)
    header = next(it, None) or ()
    data = [["" if v is None else str(v) for v in row] for row in islice(it, rows)]
    try:
        names = check_header(path, header, opts.header_row + 1)
        error = None
    except InputError as exc:
        names, error = [], str(exc)
    data = [[v or None for v in row[:len(names) or None]] for row in data]
    return Preview("xlsx", opts, names, data, size, error=error, sheets=workbook.sheetnames)


def _preview_parquet(path: Path, options: ParseOptions, rows: int, size: int) -> Preview:
    pfile = open_parquet(path)
    names = pfile.schema_arrow.names
    check_column_names(path, names)
    try:
        batch = next(pfile.iter_batches(batch_size=rows), None)
    except (pa.ArrowException, OSError, ValueError):
        raise InputError("the Parquet file is damaged and cannot be read", path=str(path)) from None
    if batch is not None:
        check_values(path, pa.Table.from_batches([batch]))
    data = [] if batch is None else [
        [None if v is None else str(v) for v in row.values()] for row in batch.to_pylist()]
    return Preview("parquet", options, list(names), data, size)
