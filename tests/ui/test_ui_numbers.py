"""Numbers typed in the user's notation: a German user types "0,5" for a DP bound."""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtCore import QLocale

from ppds_desktop.ui.dp.stats_page import DPStatisticsPage
from ppds_desktop.ui.numbers import format_number, parse_number
from ppds_desktop.ui.session import AppSession


@pytest.fixture
def use_locale():
    """Set the default locale for one test; restored afterwards."""
    previous = QLocale()
    yield lambda language, country: QLocale.setDefault(QLocale(language, country))
    QLocale.setDefault(previous)


GERMAN = (QLocale.Language.German, QLocale.Country.Germany)
ENGLISH = (QLocale.Language.English, QLocale.Country.UnitedStates)


def test_german_notation(use_locale):
    use_locale(*GERMAN)
    assert parse_number("0,5") == 0.5
    assert parse_number(" -12,25 ") == -12.25
    assert parse_number("1e3") == 1000
    assert parse_number("12.345") == 12.345        # the C notation, not twelve thousand
    assert format_number(12.345) == "12,345"
    for value in (0.5, 100000.0, 1e-7, 123456789.25, -3.0):
        assert parse_number(format_number(value)) == value
    with pytest.raises(ValueError):
        parse_number("zwölf")


def test_english_notation(use_locale):
    use_locale(*ENGLISH)
    assert parse_number("0.5") == 0.5
    assert format_number(100000) == "100000"         # no group separator to misread
    with pytest.raises(ValueError):
        parse_number("0,5")                          # ambiguous in English: refused


def test_dp_bounds_in_german_notation(use_locale, qtbot, vault):
    use_locale(*GERMAN)
    vault.put_dataset("patients", pd.DataFrame({"Age": [20.5, 30.0, 40.0, 55.5]}))
    page = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(page)
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("mean"))
    page.column_combo.setCurrentText("Age")
    page.lo_edit.setText("0,5")
    page.hi_edit.setText("99,5")
    assert page.query_kwargs()["bounds"] == {"Age": (0.5, 99.5)}
    page.guess_bounds()                                # written back in the same notation
    assert page.lo_edit.text().count(",") <= 1 and "." not in page.lo_edit.text()
    lo, hi = page.query_kwargs()["bounds"]["Age"]
    assert lo <= 20.5 and hi >= 55.5
