"""Check an ``.xlsx`` file for hostile structure before openpyxl parses any of it.

An ``.xlsx`` file is a ZIP of XML parts, and both layers can be made to explode: a part that
inflates a thousand-fold (an 817 KB file holding one 800 MB cell took 2.4 GB of memory before
the field-size limit could refuse it, because openpyxl builds each cell's text whole), or XML
entities that expand exponentially ("billion laughs"). This guard runs first and reads each
part as a stream, in constant memory:

- from the ZIP directory alone (nothing inflated): at most ``MAX_PARTS`` parts, each part and
  all of them together at most the file-size limit unpacked, and no large part that unpacks
  more than ``MAX_RATIO``-fold;
- each XML part through expat with no tree built: a document type declaration (where entities
  are defined; spreadsheets never use one) is refused, as is any text in a cell or shared
  string longer than the field limit, a row of more than ``MAX_ROW_BYTES``, or a tag or comment
  longer than ``MAX_TOKEN_BYTES`` (expat holds a whole tag in memory);
- cell positions beyond Excel's grid (row 1,048,576, column XFD), and sheets whose rows,
  padded to their last cell as openpyxl pads them, would hold more than ``MAX_CELLS`` cells: a
  40-byte row numbered 4,294,967,296 or a cell in column XFD on every row would otherwise
  have openpyxl produce billions of empty cells.

``zipfile`` never inflates more than a part's declared size, so these bounds hold whatever the
file claims. openpyxl also parses through ``defusedxml`` (a dependency), a second line against
entity tricks.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from xml.parsers import expat

from ..errors import InputError
from .options import MIB, ReadLimits

MAX_PARTS = 10_000
MAX_RATIO = 100
RATIO_CHECKED_ABOVE = 32 * MIB
MAX_ROW_BYTES = 64 * MIB
MAX_TOKEN_BYTES = 4 * MIB
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELLS = 100_000_000
_CELL_REF = re.compile(r"([A-Za-z]{1,4})(\d*)$")
_CHUNK = 256 * 1024
_TEXT_HOLDERS = {"c", "si", "is"}    # a cell, a shared string, an inline string


class _Refused(Exception):
    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.message, self.row = message, row


def check_xlsx(path: Path, limits: ReadLimits) -> None:
    """Raise :class:`InputError` if the workbook at ``path`` is hostile or broken (see above)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            _check_directory(path, parts, limits)
            for part in parts:
                if part.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with archive.open(part) as stream:
                        _scan_part(path, part.filename, stream, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error,
            NotImplementedError, EOFError, ValueError, OSError, RuntimeError, LookupError):
        # RuntimeError: an encrypted part; NotImplementedError: an unknown compression;
        # LookupError: an XML declaration naming an unknown encoding.
        raise broken(path) from None


def broken(path: Path) -> InputError:
    """The refusal of a workbook that is damaged or no workbook at all."""
    return InputError("not a readable .xlsx workbook (the file is damaged or not a workbook)",
                      path=str(path))


def _check_directory(path: Path, parts: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    if len(parts) > MAX_PARTS:
        raise InputError(f"the workbook has {len(parts):,} parts, more than the "
                         f"{MAX_PARTS:,} a spreadsheet has; refused", path=str(path))
    total = 0
    for part in parts:
        total += part.file_size
        if total > limits.max_file_bytes:
            raise InputError(f"the workbook unpacks to more than the file size limit of "
                             f"{limits.max_file_bytes / MIB:,.0f} MiB", path=str(path),
                             hint="save it as CSV, or raise the file size limit in the settings")
        if part.file_size > RATIO_CHECKED_ABOVE and \
                part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise InputError(f"a part of the workbook unpacks from {part.compress_size:,} to "
                             f"{part.file_size:,} bytes (more than {MAX_RATIO}-fold), which "
                             "real spreadsheets do not; refused as a possible zip bomb",
                             path=str(path), hint="save it as CSV")


def _scan_part(path: Path, name: str, stream, limits: ReadLimits) -> None:
    parser = expat.ParserCreate()
    state = {"text": 0, "inside": 0, "row": None, "row_start": 0, "mark": 0,
             "row_no": 0, "col": 0, "width": 0, "cells": 0}

    def local(tag: str) -> str:
        return tag.rpartition(":")[2]

    def start(tag, attrs):
        tag = local(tag)
        state["mark"] = parser.CurrentByteIndex
        if tag in _TEXT_HOLDERS:
            state["inside"] += 1
        if state["inside"] <= (tag in _TEXT_HOLDERS):    # not within a cell or string
            state["text"] = 0
        if tag == "row":
            state["row"] = attrs.get("r")
            state["row_start"] = parser.CurrentByteIndex
            _start_row(state)
        elif tag == "c":
            _start_cell(state, attrs.get("r"))

    def end(tag):
        state["mark"] = parser.CurrentByteIndex
        tag = local(tag)
        if tag in _TEXT_HOLDERS:
            state["inside"] -= 1
        if tag == "row":
            if parser.CurrentByteIndex - state["row_start"] > MAX_ROW_BYTES:
                raise _Refused(f"a row of the sheet is larger than {MAX_ROW_BYTES // MIB} MiB",
                               _row(state["row"]))
            state["cells"] += state["width"]
            if state["cells"] > MAX_CELLS:
                raise _Refused(f"the sheet spans more than {MAX_CELLS:,} cells (counting the "
                               "empty ones before each row's last cell); refused",
                               _row(state["row"]))

    def text(data):
        state["mark"] = parser.CurrentByteIndex
        state["text"] += len(data)
        if state["text"] > limits.max_field_bytes:
            raise _Refused(f"a cell is longer than the limit of {limits.max_field_bytes:,} "
                           "bytes", _row(state["row"]))

    def mark(*_args):
        state["mark"] = parser.CurrentByteIndex

    def doctype(*_args):
        raise _Refused("the workbook contains an XML document type declaration, which "
                       "spreadsheets do not use and which can hide an entity bomb; refused")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    parser.CommentHandler = parser.ProcessingInstructionHandler = mark
    parser.StartCdataSectionHandler = parser.EndCdataSectionHandler = mark
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = doctype
    fed = 0
    try:
        while chunk := stream.read(_CHUNK):
            fed += len(chunk)
            parser.Parse(chunk, False)
            if fed - state["mark"] > MAX_TOKEN_BYTES + _CHUNK:
                raise _Refused(f"a tag or comment in the workbook is longer than "
                               f"{MAX_TOKEN_BYTES // MIB} MiB, which real spreadsheets do not "
                               "have; refused")
        parser.Parse(b"", True)
    except _Refused as exc:
        raise InputError(exc.message, path=str(path), line=exc.row) from None
    except expat.ExpatError as exc:
        raise InputError(f"the workbook is damaged: its part {name} is not well-formed XML "
                         f"({expat.ErrorString(exc.code)})", path=str(path)) from None


def _start_row(state: dict) -> None:
    """Rows are numbered by their ``r`` or, without one, follow the previous row."""
    number = _row(state["row"])
    state["row_no"] = number if number is not None else state["row_no"] + 1
    state["col"] = state["width"] = 0
    state["cells"] += 1                      # an empty row still costs a little
    if state["row_no"] > MAX_ROWS:
        raise _Refused(f"a row is numbered {state['row_no']:,}, beyond the last row of a "
                       f"sheet ({MAX_ROWS:,})")


def _start_cell(state: dict, ref: str | None) -> None:
    """Cells are placed by their reference (``XFD7``) or, without one, after the previous."""
    match = _CELL_REF.match(ref) if ref else None
    if match:
        col = 0
        for letter in match.group(1).upper():
            col = col * 26 + ord(letter) - 64
    else:
        col = state["col"] + 1
    if col > MAX_COLUMNS:
        raise _Refused("a cell lies beyond the last column of a sheet (XFD)",
                       state["row_no"] or None)
    state["col"] = col
    state["width"] = max(state["width"], col)


def _row(r: str | None) -> int | None:
    return int(r) if r is not None and r.isdigit() else None
