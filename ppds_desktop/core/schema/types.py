"""Column types: turn text columns read from a file into typed Arrow columns, and name the kind.

Conversion is vectorised (Arrow compute, RE2 regexes) and conservative: a column becomes a number
or a date only if *every* non-missing value parses, and digit strings with a leading zero
(ZIP codes, phone numbers, record numbers such as ``007``) stay text so that nothing is lost.
A cheap check on the first values rules most text columns out before the whole column is scanned.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

KINDS = ("integer", "decimal", "date", "boolean", "categorical", "text")

_INT = r"^[+-]?[0-9]{1,18}$"
_LEADING_ZERO = r"^[+-]?0[0-9]"
# At most 15 integer digits: longer digit strings (card or account numbers) would lose digits.
_FLOAT = r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"
_DATE_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?$"
_DATE_DOTTED = r"^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}$"
_DATE_SLASHED = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"
_BOOL = r"^(?i:true|false)$"

_QUICK = 1000  # values checked before a whole column is scanned


def _quick_ok(values, pattern: str) -> bool:
    """False if one of the first values does not match (missing values are ignored)."""
    head = values[:_QUICK]
    return pc.all(pc.match_substring_regex(head, pattern)).as_py() is not False


def _any(values, pattern: str) -> bool:
    return bool(pc.any(pc.match_substring_regex(values, pattern)).as_py())


def _decimal_point(values, decimal: str):
    return pc.replace_substring(values, ",", ".") if decimal == "," else values


def _try(fn, *args, **kwargs):
    """The result of an Arrow cast or parse, or None if some value does not fit."""
    try:
        return fn(*args, **kwargs)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def convert_text_column(col: pa.ChunkedArray, decimal: str = ".") -> tuple[pa.ChunkedArray, str | None]:
    """The column as int64, float64, date32, timestamp or bool if all values fit, else unchanged.

    Returns the (maybe converted) column and the date format used, if any (shown to the user so
    they can see how ``03/04/2024`` was read). Each candidate type is ruled in or out on the
    first values by a regex, then confirmed by one strict Arrow cast over the whole column.
    """
    original = col
    if col.null_count == len(col):
        return col, None
    if _any(col[:_QUICK], r"^\s|\s$"):
        col = pc.utf8_trim_whitespace(col)   # " 42" is a number; text keeps its spaces
    # Codes with a leading zero (ZIP, phone, record numbers) usually show it in the first values,
    # which saves the full scan that a number column needs to prove it has none.
    padded = _any(col[:_QUICK], _LEADING_ZERO)
    scanned = False     # whether ``padded`` covers the whole column, not just its first values
    if not padded and _quick_ok(col, _INT):
        padded, scanned = _any(col, _LEADING_ZERO), True
        if not padded:
            converted = _try(pc.cast, col, pa.int64())
            if converted is not None:
                return converted, None
    # The first values are checked before the whole column gets its decimal commas replaced;
    # that replacement changes no character the leading-zero check reads.
    if not padded and _quick_ok(_decimal_point(col[:_QUICK], decimal), _FLOAT):
        numeric = _decimal_point(col, decimal)
        if scanned or not _any(numeric, _LEADING_ZERO):
            converted = _try(pc.cast, numeric, pa.float64())
            # Arrow also parses "nan" and "inf"; a column holding such words stays text.
            if converted is not None and not pc.any(pc.invert(pc.is_finite(converted))).as_py():
                return converted, None
    if _quick_ok(col, _DATE_ISO):
        converted = _try(pc.cast, col, pa.date32())   # strict ISO 8601, faster than strptime
        if converted is not None:
            return converted, "%Y-%m-%d"
    for pattern, formats in ((_DATE_DOTTED, ("%d.%m.%Y",)),
                             (_DATE_SLASHED, ("%m/%d/%Y", "%d/%m/%Y"))):
        if _quick_ok(col, pattern):
            for fmt in formats:
                parsed = _try(pc.strptime, col, format=fmt, unit="s")
                if parsed is not None:
                    return pc.cast(parsed, pa.date32()), fmt
    if _quick_ok(col, _DATETIME_ISO):
        converted = _try(pc.cast, pc.replace_substring(col, "T", " "), pa.timestamp("s"))
        if converted is not None:
            return converted, "ISO 8601"
    if _quick_ok(col, _BOOL):
        converted = _try(pc.cast, pc.utf8_lower(col), pa.bool_())
        if converted is not None:
            return converted, None
    return original, None


def kind_of(arrow_type: pa.DataType, distinct: int, non_missing: int) -> str:
    """The column kind shown to the user: a number, a date, or categorical versus free text."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_temporal(arrow_type):
        return "date"
    if pa.types.is_dictionary(arrow_type):
        return "categorical"
    return "categorical" if is_categorical(distinct, non_missing) else "text"


def is_categorical(distinct: int, non_missing: int) -> bool:
    """Few distinct values, each repeated: ≤ 50 values (each twice on average), or ≤ 1,000 that cover ≥ 20 rows each."""
    if non_missing == 0:
        return False
    return distinct <= 50 and 2 * distinct <= non_missing or (distinct <= 1000 and non_missing >= 20 * distinct)
