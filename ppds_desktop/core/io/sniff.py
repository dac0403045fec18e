"""Guess a file's format, encoding, quote character, delimiter and decimal mark from its head.

Guesses are made on the head of the file only, so they are cheap and the import wizard can show
them at once; the reader then checks the whole file against them and names the first line that
does not fit (with a hint to change the option), instead of silently switching mid-file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from pathlib import Path

from ..errors import InputError
from .options import DELIMITER_CANDIDATES, MIB, SUPPORTED_ENCODINGS, ParseOptions, ReadLimits

HEAD_BYTES = 1 * MIB
SNIFF_RECORDS = 200

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc

_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")


def check_file(path: Path, limits: ReadLimits) -> int:
    """The file's size, after refusing a missing, empty or too large file."""
    if not path.exists():
        raise InputError("file not found", path=str(path))
    if not path.is_file():
        raise InputError("not a regular file", path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", path=str(path))
    if size > limits.max_file_bytes:
        raise InputError(
            f"the file is {_size(size)}, larger than the limit of {_size(limits.max_file_bytes)}",
            path=str(path), hint="raise the file size limit in the settings if this is intended")
    return size


def check_column_names(path: Path, names: list[str], line: int | None = None) -> None:
    """Refuse a column without a name or two with the same one (every format has a header).

    ``line`` is the header's line (text) or row (worksheet) number, when the format has one.
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not str(name).strip():
            raise InputError(f"column {i} of the header has no name", path=str(path), line=line,
                             hint="every column needs a name in the header line")
        if name in seen:
            raise InputError(f"columns {seen[name]} and {i} have the same name {name!r}",
                             path=str(path), line=line, hint="column names must be unique")
        seen[name] = i


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < MIB else f"{n / MIB:,.1f} MiB"


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as exc:
        raise InputError(f"the file cannot be read ({exc.strerror or 'I/O error'})",
                         path=str(path)) from None


def detect_format(path: Path, head: bytes) -> str:
    """``csv``, ``xlsx`` or ``parquet``, from the magic bytes first and the extension second."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    suffix = path.suffix.lower()
    if head.startswith(OLE_MAGIC) or suffix == ".xls":
        raise InputError("old binary Excel (.xls) files are not supported", path=str(path),
                         hint="save it as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm"):
        raise InputError("not a valid .xlsx file (it is not a ZIP container)", path=str(path))
    if suffix == ".parquet":
        raise InputError("not a valid Parquet file (magic bytes missing)", path=str(path))
    return "csv"


def refuse_binary(path: Path, head: bytes) -> None:
    """Text files never contain NUL bytes; UTF-16 text does, so name it for what it is."""
    if head.startswith(UTF16_BOMS):
        raise InputError("the file is UTF-16 text, which is not supported", path=str(path),
                         hint="save it as UTF-8 CSV")
    pos = head.find(b"\x00")
    if pos >= 0:
        raise InputError("binary data (NUL byte): this is not a text file", path=str(path),
                         line=head.count(b"\n", 0, pos) + 1)


def refuse_blank(path: Path, head: bytes, truncated: bool) -> None:
    if not truncated and not head.removeprefix(UTF8_BOM).strip():
        raise InputError("the file is empty (it has only blank lines)", path=str(path))


def detect_encoding(head: bytes, truncated: bool) -> str:
    """UTF-8 (with or without BOM) if the head decodes as UTF-8, else cp1252, else latin-1."""
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the head is not evidence against UTF-8.
        if truncated and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def head_lines(head: bytes, encoding: str, truncated: bool) -> list[str]:
    """The head decoded leniently (for guessing only), without a last line that may be cut."""
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines(keepends=True)
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    return lines


def parse_records(lines: list[str], delimiter: str, quotechar: str,
                  limit: int) -> list[list[str]]:
    """Up to ``limit`` non-blank records of the head, stopping quietly at a parse error (a guess
    or a preview shows what it can; the reader names the bad line later)."""
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar=quotechar)
    out = []
    try:
        for rec in reader:
            if rec:
                out.append(rec)
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def detect_quotechar(lines: list[str]) -> str:
    """``'`` only if it opens and closes fields more often than ``"`` does; ``"`` otherwise."""
    text = "".join(lines)
    best, best_hits = '"', 0
    for q in ('"', "'"):
        # Counted with str.count (a regex over the 1 MiB head takes a tenth of a second):
        # a quote after a delimiter or at a line start, and before one or at a line end.
        opens = sum(text.count(d + q) for d in DELIMITER_CANDIDATES) + \
            text.startswith(q) + text.count("\n" + q)
        closes = sum(text.count(q + d) for d in DELIMITER_CANDIDATES) + \
            text.count(q + "\n") + text.count(q + "\r\n") + text.endswith(q) + \
            text.endswith(q + "\r")
        hits = opens + closes
        if hits > best_hits:
            best, best_hits = q, hits
    return best


def detect_delimiter(lines: list[str], quotechar: str, suffix: str) -> str:
    """The candidate that splits the most records into the same number (>1) of fields."""
    best, best_score = None, (0.0, 0)
    for cand in DELIMITER_CANDIDATES:
        recs = parse_records(lines, cand, quotechar, SNIFF_RECORDS)
        if not recs:
            continue
        widths = Counter(len(r) for r in recs)
        width, count = widths.most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(recs), width)
        if score > best_score:
            best, best_score = cand, score
    if best is None:
        return "\t" if suffix in (".tsv", ".tab") else ","
    return best


def detect_header_row(lines: list[str], delimiter: str, quotechar: str) -> int:
    """The line of the first record as wide as most records: title lines above it are skipped."""
    reader = csv.reader(iter(lines[:4 * SNIFF_RECORDS]), delimiter=delimiter, quotechar=quotechar)
    records: list[tuple[int, int]] = []       # (line index where the record starts, width)
    start = 0
    try:
        for rec in reader:
            if rec:
                records.append((start, len(rec)))
            start = reader.line_num
            if len(records) >= SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    if not records:
        return 0
    width = Counter(w for _, w in records).most_common(1)[0][0]
    if width < 2:
        return 0
    return next(line for line, w in records if w == width)


def detect_decimal(lines: list[str], delimiter: str, quotechar: str) -> str:
    """``,`` when numbers in the sample are written like ``12,5`` (impossible with ``,`` as delimiter)."""
    if delimiter == ",":
        return "."
    comma = dot = 0
    for rec in parse_records(lines, delimiter, quotechar, SNIFF_RECORDS)[1:]:
        for field in rec:
            field = field.strip()
            if _COMMA_DECIMAL.match(field):
                comma += 1
            elif _DOT_DECIMAL.match(field):
                dot += 1
    return "," if comma > dot else "."


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def resolve_text_options(path: Path, head: bytes, truncated: bool,
                         options: ParseOptions) -> ParseOptions:
    """Fill every ``None`` option from the head; options the user set are kept as they are."""
    encoding = options.encoding or detect_encoding(head, truncated)
    if _codec_name(encoding) not in {_codec_name(e) for e in SUPPORTED_ENCODINGS}:
        raise InputError(f"unsupported text encoding {encoding!r}", path=str(path),
                         hint="use " + ", ".join(SUPPORTED_ENCODINGS))
    all_lines = head_lines(head, encoding, truncated)
    if options.header_row is not None and options.header_row < 0:
        raise InputError("the header row must be 0 or more", path=str(path))
    lines = all_lines[options.header_row or 0:]
    quotechar = options.quotechar or detect_quotechar(lines)
    if len(quotechar) != 1 or quotechar in ("\r", "\n"):
        raise InputError(f"the quote character must be one character, not {quotechar!r}",
                         path=str(path))
    delimiter = options.delimiter or detect_delimiter(lines, quotechar, path.suffix.lower())
    if len(delimiter) != 1 or delimiter in ("\r", "\n", quotechar):
        raise InputError(f"the delimiter must be one character other than a quote or newline, "
                         f"not {delimiter!r}", path=str(path))
    header_row = options.header_row
    if header_row is None:
        header_row = detect_header_row(all_lines, delimiter, quotechar)
        lines = all_lines[header_row:]
    decimal = options.decimal or detect_decimal(lines, delimiter, quotechar)
    if decimal not in (".", ","):
        raise InputError(f"the decimal mark must be '.' or ',', not {decimal!r}", path=str(path))
    return options.with_(encoding=encoding, delimiter=delimiter, quotechar=quotechar,
                         decimal=decimal, header_row=header_row)

