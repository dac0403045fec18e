"""Write one table as an ``.xlsx`` workbook, streamed straight into the destination file.

Why not openpyxl: its write-only mode spools each sheet to a plaintext ``openpyxl.*`` file in
the system temp folder, which a killed export leaves behind (patient data outside the vault),
and it writes a text starting with ``=`` as a formula. Here the sheet XML is built by Arrow
kernels a batch of rows at a time and deflated directly into the (private, temporary) output
file, so nothing else is ever written and memory stays at one batch.

Cells: numbers as numbers, booleans as booleans, dates and times as Excel serial numbers with a
date format (dates before 1900-03-01 or after 9999, which Excel cannot hold, as ISO text), and
text as inline strings — never formulas. A text that a spreadsheet would take for a formula
when it is edited (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) gets Excel's
"quote prefix" style: it shows as typed, without a visible apostrophe, and stays text when
edited. Characters XML cannot carry are written as Excel's ``_xHHHH_`` escapes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..progress import TaskState
from .options import UNITS_PER_DAY

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767
_BATCH_ROWS = 16 * 1024
_BATCH_BYTES = 16 * 1024 * 1024
_EPOCH_SERIAL = 25_569            # Excel's serial number of 1970-01-01
_FIRST_SERIAL = 61                # 1900-03-01: Excel's serials before it are off by its 1900 leap day
_LAST_SERIAL = 2_958_465          # 9999-12-31
_DATE, _DATETIME, _TIME, _QUOTED = 1, 2, 3, 4   # cell styles (cellXfs index) below
_ILLEGAL = [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32))] + ["\ufffe", "\uffff"]
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_STATIC_PARTS = {
    "[Content_Types].xml": _HEAD + (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": _HEAD + (
        f'<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": _HEAD + (
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
        '<sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": _HEAD + (
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        '</Relationships>'),
    "xl/styles.xml": _HEAD + (
        f'<styleSheet xmlns="{_MAIN_NS}"><numFmts count="3">'
        '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>'
        '<numFmt numFmtId="166" formatCode="hh:mm:ss"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="5">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        '</cellStyles></styleSheet>'),
}
_SHEET_START = _HEAD + f'<worksheet xmlns="{_MAIN_NS}"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"


def column_letters(index: int) -> str:
    """``A`` for column 0, ``Z``, ``AA``, … as Excel names columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_fits(table: pa.Table, dest: Path) -> None:
    """Refuse, before anything is written, a table that an Excel sheet cannot hold."""
    if table.num_rows + 1 > EXCEL_MAX_ROWS or table.num_columns > EXCEL_MAX_COLUMNS:
        raise InputError(f"{table.num_rows:,} rows and {table.num_columns:,} columns do not fit "
                         f"in an Excel sheet (at most {EXCEL_MAX_ROWS - 1:,} rows and "
                         f"{EXCEL_MAX_COLUMNS:,} columns)", path=str(dest),
                         hint="export as CSV or Parquet")
    for name, col in zip(table.column_names, table.columns):
        if _is_text(col.type) and len(col):
            longest = pc.max(pc.utf8_length(col)).as_py() or 0
            if longest > EXCEL_MAX_CELL_CHARS:
                raise InputError(f"column {name!r} has a value of {longest:,} characters; an "
                                 f"Excel cell holds at most {EXCEL_MAX_CELL_CHARS:,}",
                                 path=str(dest), hint="export as CSV or Parquet")


def write_xlsx(table: pa.Table, path: Path, formula_trigger: str, task: TaskState) -> None:
    """Write ``table`` (plain spreadsheet types, see ``writer.plain_columns``; checked by
    :func:`check_fits`) to ``path``, a batch of rows at a time (at most about
    ``_BATCH_BYTES`` of data per batch, so wide text columns do not swell memory)."""
    batch_rows = max(1, min(_BATCH_ROWS, int(_BATCH_BYTES * max(table.num_rows, 1)
                                             / max(table.nbytes, 1))))
    letters = [column_letters(j) for j in range(table.num_columns)]
    names = pa.array(table.column_names, pa.large_string())
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _STATIC_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode("utf-8"))
            numbers = _row_numbers(1, 1)
            sheet.write(_rows_xml([_text_cells(names.slice(j, 1), _join(letters[j], numbers),
                                               formula_trigger)
                                   for j in range(table.num_columns)], numbers))
            n, done = max(table.num_rows, 1), 0
            for batch in table.to_batches(max_chunksize=batch_rows):
                numbers = _row_numbers(done + 2, batch.num_rows)
                cells = [_cells(batch.column(j), letters[j], numbers, formula_trigger)
                         for j in range(batch.num_columns)]
                sheet.write(_rows_xml(cells, numbers))
                done += batch.num_rows
                task.report(done / n, f"writing row {done:,}")
            sheet.write(_SHEET_END.encode("utf-8"))


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _row_numbers(first: int, n: int) -> pa.Array:
    """The numbers of ``n`` rows from ``first``, as text: built once per batch and shared by
    the ``<row>`` elements and every column's cell references."""
    return pc.cast(pa.array(range(first, first + n), pa.int64()), pa.large_string())


def _rows_xml(cells: list[pa.Array], numbers: pa.Array) -> bytes:
    """``<row>`` elements for the rows ``numbers``, as one UTF-8 buffer."""
    rows = _join("<row r=\"", numbers, "\">", *cells, "</row>")
    joined = pc.binary_join(pa.LargeListArray.from_arrays(
        pa.array([0, len(numbers)], pa.int64()), rows), _text(""))
    return joined[0].as_buffer().to_pybytes()


def _cells(col, letter: str, numbers: pa.Array, trigger: str) -> pa.Array:
    """The XML of one column's cells ("" where the value is missing)."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = col.type
    if pa.types.is_null(t):
        return pa.array([""] * len(col), pa.large_string())
    refs = _join(letter, numbers)
    if _is_text(t):
        return _text_cells(col, refs, trigger)
    if pa.types.is_boolean(t):
        return _numeric(refs, pc.cast(pc.cast(col, pa.int8()), pa.large_string()), ' t="b"')
    if pa.types.is_integer(t):
        return _numeric(refs, pc.cast(col, pa.large_string()), "")
    if pa.types.is_floating(t):
        col = pc.cast(col, pa.float64())
        # NaN is a missing value; ±inf has no Excel number, so it is written as text (built
        # only for a column that holds one).
        cells = _numeric(refs, pc.cast(col, pa.large_string()), "")
        if pc.any(pc.is_inf(col)).as_py():
            text = _text_cells(pc.cast(col, pa.large_string()), refs, trigger)
            cells = pc.if_else(pc.is_finite(col), cells, text)
        return pc.if_else(pc.is_nan(col), _text(""), cells).fill_null("")
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return _dates(col, refs, trigger)
    if pa.types.is_time(t):
        fraction = pc.divide(pc.cast(pc.cast(col, pa.int64() if t.bit_width == 64 else pa.int32()),
                                     pa.float64()), float(UNITS_PER_DAY[t.unit]))
        return _numeric(refs, pc.cast(fraction, pa.large_string()), f' s="{_TIME}"')
    return _text_cells(pc.cast(col, pa.large_string()), refs, trigger)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and literal strings (all as large strings)."""
    return pc.binary_join_element_wise(*(_text(p) if isinstance(p, str) else p for p in parts),
                                       _text(""))


def _numeric(refs: pa.Array, values: pa.Array, attrs: str) -> pa.Array:
    cells = _join('<c r="', refs, f'"{attrs}><v>', values, "</v></c>")
    return cells.fill_null("")


def _dates(col: pa.Array, refs: pa.Array, trigger: str) -> pa.Array:
    """Serial-number cells; dates Excel cannot hold as ISO text (formatted only for a column
    that has one)."""
    t = col.type
    if pa.types.is_date(t):
        days = pc.cast(pc.cast(col, pa.date32()), pa.int32())
        serial = pc.add(pc.cast(days, pa.float64()), float(_EPOCH_SERIAL))
        style = _DATE
    else:
        raw = pc.cast(pc.cast(col, pa.timestamp(t.unit)), pa.int64())
        # unsafe: a nanosecond count past 2^53 (any time after April 1970) loses digits far
        # below a spreadsheet's millisecond, which a safe cast refuses
        as_float = pc.cast(raw, pa.float64(), safe=False)
        serial = pc.add(pc.divide(as_float, float(UNITS_PER_DAY[t.unit])),
                        float(_EPOCH_SERIAL))
        style = _DATETIME
    fits = pc.and_(pc.greater_equal(serial, float(_FIRST_SERIAL)),
                   pc.less(serial, float(_LAST_SERIAL + 1)))
    as_number = _numeric(refs, pc.cast(serial, pa.large_string()), f' s="{style}"')
    if pc.all(fits, min_count=0).as_py():
        return as_number
    if style == _DATE:
        text = pc.strftime(pc.cast(col, pa.timestamp("s")), format="%Y-%m-%d")
    else:
        text = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
    as_text = _text_cells(pc.cast(text, pa.large_string()), refs, trigger)
    return pc.if_else(fits, as_number, as_text).fill_null("")


def _text_cells(col, refs: pa.Array, trigger: str) -> pa.Array:
    """Inline-string cells at the cell references ``refs``; texts a spreadsheet would take for
    a formula get the quote-prefix style."""
    col = pc.cast(col, pa.large_string())
    escaped = _xml_text(col)
    risky = pc.fill_null(pc.match_substring_regex(col, trigger), False)
    opening = pc.if_else(risky, _text(f'" t="inlineStr" s="{_QUOTED}"><is><t xml:space="preserve">'),
                         _text('" t="inlineStr"><is><t xml:space="preserve">'))
    cells = _join('<c r="', refs, opening, escaped, "</t></is></c>")
    return cells.fill_null("")


def _xml_text(col: pa.Array) -> pa.Array:
    """Text escaped for XML, with control characters XML cannot hold as Excel's ``_xHHHH_``
    (and a literal ``_xHHHH_`` protected as Excel expects)."""
    col = pc.replace_substring_regex(col, r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1")
    if pc.any(pc.match_substring_regex(col, "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}"
                                            "\\x{ffff}]")).as_py():
        for ch in _ILLEGAL:
            col = pc.replace_substring(col, ch, f"_x{ord(ch):04X}_")
    # A carriage return as a character reference: XML parsers turn a raw one into a line feed.
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        col = pc.replace_substring(col, raw, entity)
    return col
