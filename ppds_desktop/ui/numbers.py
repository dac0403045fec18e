"""Numbers typed and shown in the user's own notation: "0,5" in German or French, "0.5" in
English. Group separators are neither written nor read (in German "12.345" would be twelve
thousand); a number in the C notation is accepted everywhere, as a fallback."""

from __future__ import annotations

import math

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


def display_locale() -> QLocale:
    """The user's locale for showing figures and times; English when none is set (the C
    locale writes neither group separators nor readable dates)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale


def show_number(value, digits: int = 4) -> str:
    """A figure to read (not to type back): grouped thousands in the user's notation
    ("12,843.5" in English, "12.843,5" in German), whole numbers without decimals, others with
    ``digits`` significant digits (at least the whole part), never scientific notation."""
    if value is None or isinstance(value, float) and value != value:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    locale = display_locale()
    value = float(value)
    if value.is_integer():
        return locale.toString(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    decimals = min(max(digits - 1 - magnitude, 0), 12)
    text = locale.toString(value, "f", decimals)
    if locale.decimalPoint() in text:
        text = text.rstrip("0").rstrip(locale.decimalPoint())
    return text
