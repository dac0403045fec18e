"""Read a delimited text file into an Arrow table, fast, refusing bad input with its line number.

Plan: (1) size limits and a byte scan for NULs (binary files), (2) the header is parsed and
checked by Python's ``csv``, (3) Arrow's multithreaded CSV parser reads every column as text,
(4) over-long fields are found with one vectorised length check, (5) each column is converted to
its type and the text copy is dropped column by column, so memory stays near one copy of the
data and no pandas object of the whole file ever exists. When Arrow rejects the file, or a field
is too long, ``csv_scan`` re-reads it line by line to name the first bad line; Arrow's own
message is never shown because it quotes the row.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from ..progress import TaskState, ensure_task
from ..schema.types import convert_text_column
from .csv_scan import UndecodableText, find_first_problem, header_names, mixed_encoding
from .options import MIB, ParseOptions, ReadLimits
from .result import ReadResult
from .sniff import (check_file, head_lines, read_head, refuse_binary, refuse_blank,
                    resolve_text_options)

# Cells read as missing. Deliberately short: "-", "none" or "?" may be real codes in a column.
NULL_TOKENS = ["", "NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "#N/A"]

_GUESSED_LEGACY = ("cp1252", "latin-1")
_SCAN_CHUNK = 8 * MIB
_BLOCK_SIZE = 4 * MIB


def open_text_options(path: Path, options: ParseOptions | None, limits: ReadLimits
                      ) -> tuple[ParseOptions, list[str], int, list[str]]:
    """Resolved options, the decoded head lines, the file size, and the checked header names."""
    size = check_file(path, limits)
    head = read_head(path)
    truncated = size > len(head)
    refuse_binary(path, head)
    refuse_blank(path, head, truncated)
    opts = resolve_text_options(path, head, truncated, options or ParseOptions())
    lines = head_lines(head, opts.encoding, truncated)
    names = header_names(path, opts, lines)
    return opts, lines, size, names


def read_csv(path: Path, options: ParseOptions | None = None, limits: ReadLimits | None = None,
             task: TaskState | None = None) -> ReadResult:
    path = Path(path)
    limits = limits or ReadLimits()
    task = ensure_task(task)
    task.report(0.0, "checking the file")
    opts, lines, size, names = open_text_options(path, options, limits)
    _refuse_nul_bytes(path)
    if opts.encoding in _GUESSED_LEGACY and not (options is not None and options.encoding):
        _refuse_mixed_encoding(path)
    task.report(0.1, "parsing")
    try:
        columns = _parse(path, opts, names, lines, limits)
    except UndecodableText:
        guessed = opts.encoding == "utf-8" and not (options is not None and options.encoding)
        if not guessed or not all(line.isascii() for line in lines):
            raise   # chosen by the user, or the head showed real UTF-8 text: do not re-guess
        _refuse_mixed_encoding(path)
        opts, columns = _parse_as_windows_text(path, opts, names, lines, limits)
    if _open_quote_suspected(columns):
        problem = find_first_problem(path, opts, limits, len(names))
        if problem is not None:
            raise problem
    task.report(0.5, "checking field sizes")
    for col in columns:
        longest = pc.max(pc.binary_length(col)).as_py() if len(col) else None
        if (longest or 0) > limits.max_field_bytes:
            _raise_first_problem(path, opts, limits, len(names))
    if len(columns[0]) == 0:
        raise InputError("the file has a header but no data rows", path=str(path),
                         line=_header_line(opts, lines) + 1)
    date_formats = _convert_columns(columns, names, opts.decimal, task.sub(0.55, 1.0))
    table = pa.Table.from_arrays(columns, names=names)
    del columns
    task.report(1.0, f"read {table.num_rows:,} rows")
    return ReadResult(table=table, format="csv", options=opts, file_name=path.name,
                      file_bytes=size, date_formats=date_formats)


def _convert_columns(columns: list[pa.ChunkedArray], names: list[str], decimal: str,
                     task: TaskState) -> dict[str, str]:
    """Type every column in place (on a few threads: the work is in Arrow kernels, which release
    the GIL); each text column is dropped as soon as its typed version exists. Returns the date
    format used per date column."""
    date_formats = {}
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(convert_text_column, col, decimal) for col in columns]
        try:
            for i, future in enumerate(futures):
                task.report(i / len(names), f"reading column types ({i + 1}/{len(names)})")
                columns[i], fmt = future.result()
                futures[i] = None
                if fmt:
                    date_formats[names[i]] = fmt
        finally:
            for future in futures:
                if future is not None:
                    future.cancel()
    return date_formats


def _refuse_mixed_encoding(path: Path) -> None:
    """A guess of Windows-1252 or Latin-1 would garble the lines of UTF-8 text in the file."""
    mixed = mixed_encoding(path)
    if mixed is not None:
        raise mixed


def _header_line(opts: ParseOptions, lines: list[str]) -> int:
    """1-based line number of the header (blank lines above it are skipped)."""
    i = opts.header_row
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i + 1


def _refuse_nul_bytes(path: Path) -> None:
    """NUL bytes mean a binary file. Blocks are read into one reused buffer and searched with
    ``find`` (memchr speed). Not a memory map: a file that shrinks, or a USB stick pulled out,
    under a map kills the process with SIGBUS instead of raising an error."""
    buf = bytearray(_SCAN_CHUNK)
    offset = 0
    with open(path, "rb") as f:
        while n := f.readinto(buf):
            pos = buf.find(b"\x00", 0, n)
            if pos >= 0:
                raise InputError("binary data (NUL byte): this is not a text file",
                                 path=str(path), line=_line_at(f, buf, offset + pos))
            offset += n


def _line_at(f, buf: bytearray, pos: int) -> int:
    """1-based line number of byte ``pos`` of ``f``, counted block by block."""
    f.seek(0)
    line, view = 1, memoryview(buf)
    while pos > 0:
        n = f.readinto(view[:min(len(buf), pos)])
        line += buf.count(b"\n", 0, n)
        pos -= n
    return line


def _open_quote_suspected(columns: list[pa.ChunkedArray]) -> bool:
    """Arrow silently accepts a quote left open: the rest of the file becomes one field of the
    last row. A line break in the last row is the tell-tale (or a legitimate quoted line break,
    which the exact check then clears)."""
    for col in columns:
        if len(col) and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            last = col[len(col) - 1].as_py()
            if last is not None and ("\n" in last or "\r" in last):
                return True
    return False


def _parse(path: Path, opts: ParseOptions, names: list[str], lines: list[str],
           limits: ReadLimits) -> list[pa.ChunkedArray]:
    """Every column as text. Fields may hold quoted line breaks; Arrow splits the file into blocks
    faster when they do not, and detects when they do, so try the fast way first."""
    # Arrow skips a UTF-8 BOM itself and reads UTF-8 natively; other encodings are transcoded.
    encoding = "utf8" if opts.encoding in ("utf-8", "utf-8-sig") else opts.encoding
    read_options = pacsv.ReadOptions(
        use_threads=True, block_size=max(_BLOCK_SIZE, 2 * limits.max_field_bytes),
        skip_rows=_header_line(opts, lines), column_names=names, encoding=encoding)
    convert_options = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, null_values=NULL_TOKENS,
        strings_can_be_null=True, quoted_strings_can_be_null=True, check_utf8=True)
    for newlines_in_values in (False, True):
        parse_options = pacsv.ParseOptions(
            delimiter=opts.delimiter, quote_char=opts.quotechar or False, double_quote=True,
            newlines_in_values=newlines_in_values, ignore_empty_lines=True)
        try:
            table = pacsv.read_csv(path, read_options=read_options, parse_options=parse_options,
                                   convert_options=convert_options)
            break
        except (pa.ArrowException, UnicodeDecodeError, ValueError):
            if newlines_in_values:
                _raise_first_problem(path, opts, limits, len(names))
    columns = table.columns
    del table
    return columns


def _parse_as_windows_text(path: Path, opts: ParseOptions, names: list[str], lines: list[str],
                           limits: ReadLimits) -> tuple[ParseOptions, list[pa.ChunkedArray]]:
    """The head was plain ASCII, so "UTF-8" was only a default; the bytes beyond it that are not
    UTF-8 are most likely Windows-1252 (Excel's CSV export), else Latin-1 (decodes anything)."""
    try:
        cp1252 = opts.with_(encoding="cp1252")
        return cp1252, _parse(path, cp1252, names, lines, limits)
    except UndecodableText:
        latin1 = opts.with_(encoding="latin-1")
        return latin1, _parse(path, latin1, names, lines, limits)


def _raise_first_problem(path: Path, opts: ParseOptions, limits: ReadLimits, n_fields: int):
    problem = find_first_problem(path, opts, limits, n_fields)
    if problem is None:
        problem = InputError("the file cannot be read as delimited text with these options",
                             path=str(path), hint="check the delimiter, quote character and encoding")
    raise problem
