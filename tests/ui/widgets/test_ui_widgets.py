"""Small GUI pieces: the passphrase strength estimate and meter, and the SVG chart view."""

from __future__ import annotations

import pytest

from ppds_desktop.core.charts import bar_chart
from ppds_desktop.core.passphrase import MIN_BITS, estimate
from ppds_desktop.ui.widgets.passphrase import PassphraseFields
from ppds_desktop.ui.widgets.svg_view import SvgChart


@pytest.mark.parametrize("weak", ["", "password", "Password123!", "P@ssw0rd2024", "qwertyuiop12",
                                  "aaaaaaaaaaaaaaaa", "abcdefghijkl", "hospital-nurse-doctor"])
def test_weak_passphrases_are_refused(weak):
    result = estimate(weak)
    assert not result.acceptable and result.hints


@pytest.mark.parametrize("strong", ["maple orbit lantern quiet seventy",
                                    "correct horse battery staple demo", "x7#Kq9!mZp2@vT"])
def test_strong_passphrases_are_accepted(strong):
    result = estimate(strong)
    assert result.acceptable and result.bits >= MIN_BITS


def test_characters_that_lengthen_when_lower_cased_are_estimated():
    # "İ".lower() is two characters; the weak spans must still index the text typed
    result = estimate("İİxyzabcdİ")
    assert result.bits > 0 and result.hints   # "abcd" is still found as a run


def test_words_are_costed_per_word_not_per_letter():
    # 28 lowercase letters would be ~130 bits per character; four words are ~48
    assert 40 <= estimate("correct horse battery staple").bits <= 60


def test_meter_follows_typing_and_confirmation(qtbot):
    fields = PassphraseFields()
    qtbot.addWidget(fields)
    qtbot.keyClicks(fields.passphrase, "password")
    assert fields.meter.value() < 20 and "Very weak" in fields.meter.format()
    fields.passphrase.setText("maple orbit lantern quiet seventy")
    assert fields.meter.property("level") == "good" and not fields.is_acceptable()
    fields.confirm.setText("maple orbit lantern quiet")
    assert fields.mismatch.text() and not fields.is_acceptable()
    fields.confirm.setText("maple orbit lantern quiet seventy")
    assert fields.is_acceptable() and not fields.mismatch.text()


def test_svg_chart_shows_a_core_chart(qtbot):
    chart = SvgChart()
    qtbot.addWidget(chart)
    assert not chart.is_valid()
    svg = bar_chart(["a", "b"], [3, 5], title="Counts")
    chart.set_svg(svg)
    assert chart.is_valid() and chart.svg() == svg
    assert chart.sizeHint().width() > 100
    chart.set_svg("")
    assert not chart.is_valid()
