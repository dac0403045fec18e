"""Exact, line-by-line checks of a delimited text file, for when the fast parser cannot say where.

The fast path (``csv_reader``) parses with Arrow's multithreaded CSV reader, which reports what is
wrong but not reliably where, and quotes the offending row (a cell value we must not show). When
it fails, this module re-reads the file with Python's ``csv`` module, counting physical lines
from 1 including the header and any lines above it, and raises an :class:`InputError` for the
first problem it meets.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .options import ParseOptions, ReadLimits
from .sniff import check_column_names


class UndecodableText(InputError):
    """Bytes that the chosen encoding cannot decode (the reader may then try another one)."""


def header_names(path: Path, options: ParseOptions, text_lines: list[str]) -> list[str]:
    """The header record, after refusing empty, duplicate or missing header names.

    ``text_lines`` are the decoded first lines of the file (from the sniffer's head).
    """
    lines = text_lines[options.header_row:]
    line_no = options.header_row + 1
    reader = csv.reader(iter(lines), delimiter=options.delimiter, quotechar=options.quotechar)
    try:
        header = next(reader, None)
        while header == []:  # blank lines above the header
            line_no += 1
            header = next(reader, None)
    except csv.Error:
        raise InputError("the header line cannot be parsed (unbalanced quotes?)",
                         path=str(path), line=line_no) from None
    if header is None:
        raise InputError("the file has no header line", path=str(path), line=line_no)
    names = [h.strip() for h in header]
    if names:
        names[0] = names[0].lstrip("\ufeff").strip()  # a BOM read with a non-BOM encoding
    check_column_names(path, names, line_no)
    return names


def _decoded_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text with its line ending) for each physical line, decoding strictly."""
    decode = codecs.getdecoder(encoding)
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text, _ = decode(raw, "strict")
            except UnicodeDecodeError:
                raise UndecodableText(f"bytes that are not valid {encoding} text",
                                      path=str(path), line=number,
                                      hint="choose the file's encoding (e.g. cp1252 for "
                                           "Windows exports, utf-8 otherwise)") from None
            if "\x00" in text:
                raise InputError("binary data (NUL byte): this is not a text file",
                                 path=str(path), line=number)
            yield number, text


def mixed_encoding(path: Path) -> InputError | None:
    """An error naming the first line whose encoding disagrees with an earlier line, when the
    file holds both lines of UTF-8 text and lines that are not UTF-8 (a file pieced together
    from two sources); ``None`` if it does not. Read as Windows-1252, its UTF-8 lines would be
    garbled ("JosÃ©") without a word."""
    first_utf8 = first_other = None
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
                first_utf8 = first_utf8 or number
            except UnicodeDecodeError:
                first_other = first_other or number
            if first_utf8 and first_other:
                return InputError(
                    f"the file mixes two text encodings: line {first_utf8} is UTF-8 text and "
                    f"line {first_other} is not (probably Windows-1252); refused so that no "
                    "text is garbled", path=str(path), line=max(first_utf8, first_other),
                    hint="save the whole file as UTF-8, or choose its encoding if you are sure")
    return None


def find_first_problem(path: Path, options: ParseOptions, limits: ReadLimits,
                       n_fields: int) -> InputError | None:
    """The first problem in the file, as an error naming its line; ``None`` if there is none."""
    lines = _decoded_lines(path, options.encoding)
    position = {"line": 0}

    def tracked() -> Iterator[str]:
        for number, text in lines:
            position["line"] = number
            yield text

    source = tracked()
    for _ in range(options.header_row):
        next(source, None)
    reader = csv.reader(source, delimiter=options.delimiter, quotechar=options.quotechar,
                        strict=True)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, limits.max_field_bytes * 4 + 1))
    header_line, has_data = None, False
    try:
        while True:
            start = position["line"] + 1
            try:
                record = next(reader)
            except StopIteration:
                if header_line is not None and not has_data:
                    return InputError("the file has a header but no data rows", path=str(path),
                                      line=header_line + 1)
                return None
            except csv.Error as exc:
                return InputError(_describe_csv_error(exc), path=str(path), line=start)
            if not record:
                continue
            if header_line is None:
                header_line = start
                continue
            has_data = True
            if len(record) != n_fields:
                return InputError(
                    f"{len(record)} fields where the header has {n_fields}",
                    path=str(path), line=start,
                    hint="check the delimiter and quoting; a field containing the delimiter "
                         "must be quoted")
            for i, value in enumerate(record, start=1):
                if len(value) * 4 > limits.max_field_bytes and \
                        len(value.encode("utf-8")) > limits.max_field_bytes:
                    return InputError(
                        f"field {i} is longer than the limit of {limits.max_field_bytes:,} bytes",
                        path=str(path), line=start)
    except InputError as exc:
        return exc
    finally:
        csv.field_size_limit(old_limit)


def _describe_csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "EOF" in text or "end of data" in text:
        return "a quoted field is never closed"
    if "field larger than field limit" in text:
        return "a field is far larger than the field size limit"
    return "a field is not quoted properly"
