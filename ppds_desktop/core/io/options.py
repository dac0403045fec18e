"""Parse options and size limits for reading a user's file.

Every option has an ``auto`` value (``None``) that the sniffer fills in; the import wizard shows
the detected values and lets the user override any of them, so the same dataclass travels from
the wizard to the reader unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

SUPPORTED_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "ascii")
DELIMITER_CANDIDATES = (",", ";", "\t", "|")


@dataclass(frozen=True)
class ParseOptions:
    """How to read a delimited text file; ``None`` means "detect it".

    ``header_row`` is the 0-based line index of the header (lines above it are skipped, e.g. a
    title line an export tool put there); detected as the first record as wide as most.
    ``decimal`` is the decimal mark of numbers, ``"."`` or ``","`` (common with ``;``-separated
    files from European spreadsheets). ``sheet`` names the worksheet of an ``.xlsx`` file
    (default: the first one).
    """

    delimiter: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    quotechar: str | None = None
    decimal: str | None = None
    sheet: str | None = None

    def with_(self, **changes) -> "ParseOptions":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "ParseOptions":
        return cls(**{k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__})


KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
UNITS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


@dataclass(frozen=True)
class ReadLimits:
    """Refuse files and fields too large to be real tabular data (or that would exhaust memory)."""

    max_file_bytes: int = 2 * GIB
    max_field_bytes: int = 64 * KIB
