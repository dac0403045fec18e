"""What the readers hand back: a whole table, or a preview of a file's first rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from .options import ParseOptions


@dataclass
class ReadResult:
    """A file read into one Arrow table, with the options actually used.

    ``date_formats`` maps a column to the date format its text was read with (e.g. ``%d.%m.%Y``).
    """

    table: pa.Table
    format: str                      # csv | xlsx | parquet
    options: ParseOptions
    file_name: str
    file_bytes: int
    date_formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Preview:
    """The first rows of a file as text, for the import wizard; ``error`` says why it cannot be read.

    ``options`` holds the detected values for every option the caller left as ``None``, so the
    wizard can show them and let the user change them. ``rows`` are the file's cells as strings
    (``None`` for missing), which is what a user checking the parse options needs to see.
    """

    format: str
    options: ParseOptions
    columns: list[str]
    rows: list[list[str | None]]
    file_bytes: int
    error: str | None = None
    sheets: list[str] = field(default_factory=list)
