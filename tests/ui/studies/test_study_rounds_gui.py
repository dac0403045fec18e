"""New rounds from the Studies page: the coordinator opens one (Open a new round…, after a
plain-language question, through ``study.new_round``), a participant accepts the file with
Accept a new round… (the Join dialog, which now takes a round opening and says what accepting
it means), and the site can contribute again. Keys are 512 bits (tests only)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from conftest import PASSPHRASE
from ppds_desktop.demo import study_scenario as scenario
from ppds_desktop.services import study
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.studies.studies_page import StudiesPage

MAPPING = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}
TIMEOUT = 60_000
DEVELOPER = re.compile(r"\b[a-z]+_[a-z0-9_]+\b|(?<!\w)--[a-z]|\b[0-9a-f]{12,}\b|\bppds [a-z]")


@pytest.fixture
def sc(tmp_path):
    sc = scenario.build(tmp_path / "study", PASSPHRASE, sites=3, rows=60, bits=512,
                        min_sites=2, threshold=2)
    yield sc
    sc.close()


def _page(qtbot, vault) -> StudiesPage:
    page = StudiesPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    return page


def _texts(widget) -> str:
    return " ".join(w.text() for w in widget.findChildren(QLabel))


def test_coordinator_opens_a_round_and_a_site_accepts_it(sc, qtbot, tmp_path, monkeypatch):
    site = sc.sites[0]
    study.contribute(site.vault, sc.study_id, "patients", MAPPING, tmp_path / "c1.ppdsb")
    coordinator = _page(qtbot, sc.coordinator.vault)
    assert "new_round" in coordinator.board_view.step_buttons
    asked, answer = [], [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a: asked.append(text) or answer[0])
    opening = tmp_path / "round-2.ppdsb"
    assert coordinator.open_new_round(opening) is False              # Cancel: nothing
    assert not opening.exists() and coordinator.board_view.board.study.round == 1
    assert "Open round 2 of “Smoking and BMI”?" in asked[0]
    assert "privacy budget again" in asked[0] and not DEVELOPER.search(asked[0])
    answer[0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(coordinator.runner.finished, timeout=TIMEOUT):
        assert coordinator.open_new_round(opening)
    assert opening.is_file() and coordinator.board_view.board.study.round == 2
    assert "Accept a new round" in coordinator.round_box.informativeText()

    page = _page(qtbot, site.vault)
    board = page.board_view
    assert not board.step_buttons["contribute"].isEnabled()         # round 1: contributed
    dialog = page.do("accept_round")
    dialog.file.set_path(opening)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=TIMEOUT)
    assert isinstance(dialog.preview, study.RoundPreview)
    assert "opened round 2 of “Smoking and BMI”" in dialog.status.text()
    assert dialog.join_button.text().replace("&", "") == "Accept the new round"
    shown = _texts(dialog)
    assert "from round 1 to round 2" in shown and "privacy budget" in shown
    assert not DEVELOPER.search(shown), shown
    assert site.vault.studies.get_study(sc.study_id).round == 1     # checking stores nothing
    with qtbot.waitSignal(dialog.finished, timeout=TIMEOUT):
        dialog.join_button.click()
    assert dialog.joined.round == 2
    assert page.board_view.board.study.round == 2
    assert page.board_view.step_buttons["contribute"].isEnabled()   # a new contribution


def test_the_same_round_file_twice_is_one_clear_line(sc, qtbot, tmp_path):
    opening = tmp_path / "round-2.ppdsb"
    study.new_round(sc.coordinator.vault, sc.study_id, opening)
    study.join(sc.sites[1].vault, opening)
    page = _page(qtbot, sc.sites[1].vault)
    dialog = page.open_join_dialog()
    dialog.file.set_path(opening)
    dialog.check()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("✘"), timeout=TIMEOUT)
    assert "Round 2 of “Smoking and BMI” is open already" in dialog.status.text()
    assert "\n" not in dialog.status.text() and not dialog.join_button.isEnabled()
