"""Times as the user reads them: the vault stores UTC (ISO 8601), screens show local time in
the user's own date notation."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, QLocale, Qt

from .numbers import display_locale


def local_time(iso: str | None, *, seconds: bool = False) -> str:
    """'2025-05-12T12:03:07Z' → '12/05/2025 14:03' (the user's zone and notation); text that is
    not a time is returned as it is."""
    if not iso:
        return ""
    stamp = QDateTime.fromString(str(iso).strip().replace(" ", "T"), Qt.DateFormat.ISODateWithMs)
    if not stamp.isValid():
        stamp = QDateTime.fromString(str(iso).strip().replace(" ", "T"), Qt.DateFormat.ISODate)
    if not stamp.isValid():
        return str(iso)
    if stamp.timeSpec() == Qt.TimeSpec.LocalTime and not str(iso).rstrip().endswith("Z") \
            and "+" not in str(iso)[10:]:
        stamp.setTimeZone(QDateTime.currentDateTimeUtc().timeZone())   # stored as UTC
    locale = display_locale()
    fmt = locale.dateTimeFormat(QLocale.FormatType.ShortFormat)
    if seconds and ":ss" not in fmt:
        fmt = fmt.replace(":mm", ":mm:ss")
    return locale.toString(stamp.toLocalTime(), fmt)
