"""Numbers typed and shown in the user's own notation: "0,5" in German or French, "0.5" in
English. Group separators are neither written nor read (in German "12.345" would be twelve
thousand); a number in the C notation is accepted everywhere, as a fallback."""

from __future__ import annotations

from PySide6.QtCore import QLocale


def _locale(base: QLocale) -> QLocale:
    locale = QLocale(base)
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator
                            | QLocale.NumberOption.RejectGroupSeparator)
    return locale


def parse_number(text: str) -> float:
    """The number in ``text``; ValueError if it is none, like ``float``."""
    for locale in (_locale(QLocale()), _locale(QLocale.c())):
        value, ok = locale.toDouble(text.strip())
        if ok:
            return value
    raise ValueError(f"not a number: {text!r}")


def format_number(value: float) -> str:
    """``value`` as the user writes numbers, without group separators, so that
    :func:`parse_number` reads it back."""
    return _locale(QLocale()).toString(float(value), "g", 15)
