"""GUI: three hospitals release encrypted columns to a collector, which computes the mean
Billing Amount by Medical Condition over all three; the key holder answers; the collector's
decrypted means equal the plaintext means computed directly."""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtWidgets import QLabel

from conftest import PASSPHRASE
from ppds_desktop.demo import he_scenario
from ppds_desktop.ui.he.he_page import HomomorphicPage
from ppds_desktop.ui.session import AppSession


def _page(qtbot, vault) -> HomomorphicPage:
    page = HomomorphicPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    return page


def _run(qtbot, page, start) -> object:
    with qtbot.waitSignal(page.session.runner.finished, timeout=60_000) as blocker:
        assert start()
    return blocker.args[0]


@pytest.mark.slow
def test_three_hospitals_mean_billing_by_condition(qtbot, tmp_path):
    sc = he_scenario.build(tmp_path / "world", PASSPHRASE, rows=40)
    try:
        collector = _page(qtbot, sc.collector.vault)
        for path in sc.bundles:
            collector.compute_tab.add_bundle(path)
        collector.compute_tab.query.setText("mean Billing Amount by Medical Condition")
        request_path = tmp_path / "request.ppdsb"
        _run(qtbot, collector, lambda: collector.compute_tab.compute(request_path))
        assert "3 source(s)" in collector.compute_tab.summary.toPlainText()

        holder = _page(qtbot, sc.key_holder.vault)
        warnings = [w.text() for w in holder.answer_tab.findChildren(QLabel, "warning")]
        assert warnings and "Single-key mode" in warnings[0]
        _run(qtbot, holder, lambda: holder.answer_tab.load_request(request_path))
        assert "Medical Condition: " in holder.answer_tab.review.toPlainText()
        holder.answer_tab.min_records.setValue(1)
        assert holder.answer_tab.use_dp.isChecked()          # noise is on by default
        holder.answer_tab.use_dp.setChecked(False)           # this test checks exact means
        result_path = tmp_path / "result.ppdsb"
        _run(qtbot, holder, lambda: holder.answer_tab.answer(result_path))
        assert "Answered" in holder.answer_tab.status.text()

        _run(qtbot, collector, lambda: collector.result_tab.load_result(result_path))
        shown = collector.result_tab.result.frame().set_index("Medical Condition")
        model = collector.result_tab.table.model()
        assert model.rowCount() == len(shown)
        expected = pd.concat(sc.originals).groupby("Medical Condition")["Billing Amount"].apply(
            lambda s: s.round(2).mean())
        assert set(shown.index) == set(expected.index)
        for cond, mean in expected.items():
            assert shown.loc[cond, "mean Billing Amount"] == pytest.approx(mean, rel=1e-12)
        assert collector.result_tab.chart.is_valid()
        assert "Single-key mode" in collector.result_tab.provenance.toPlainText()
    finally:
        sc.close()


def test_keys_tab_generates_a_key(qtbot, vault):
    page = _page(qtbot, vault)
    page.keys_tab.name.setText("study")
    with qtbot.waitSignal(page.session.runner.finished, timeout=60_000):
        page.keys_tab.create_key()
    assert page.keys_tab.keys.count() == 1
    assert page.keys_tab.keys.item(0).text().startswith("study · 2048 bits")


def test_prepare_wizard_encryption_page_writes_a_runnable_section(qtbot, vault):
    from PySide6.QtCore import Qt

    from ppds_desktop.core.recipe import new_recipe, validate
    from ppds_desktop.core.sample import generate_admissions
    from ppds_desktop.services import he, release
    from ppds_desktop.ui import pages  # noqa: F401  (registers the page)
    from ppds_desktop.ui.prepare.extra_pages import load_extra_pages
    from ppds_desktop.ui.prepare.state import PrepareState

    [spec] = [p for p in load_extra_pages() if p.key == "encryption"]
    frame = generate_admissions(30, seed=3)[["Medical Condition", "Billing Amount", "Age"]]
    state = PrepareState(AppSession(vault), frame=frame, recipe=new_recipe())
    page = spec.factory(state)
    qtbot.addWidget(page)
    page.load(state)
    assert page.problem() is None           # nothing chosen yet
    names = [page.columns.item(i).text() for i in range(page.columns.count())]
    assert names == ["Billing Amount", "Age"]
    page.columns.item(0).setCheckState(Qt.CheckState.Checked)
    assert "No Paillier public key" in page.problem()
    he.create_key(vault, "own")
    page.load(state)
    page.columns.item(0).setCheckState(Qt.CheckState.Checked)
    assert page.problem() is None
    recipe = new_recipe()
    page.apply(recipe)
    validate(recipe)
    outcome = release.run_release_on_frame(frame, recipe, vault=vault)
    assert "Billing Amount" not in outcome.data.columns and he.ENCRYPTED_FILE in outcome.files


def test_answer_tab_offers_noise_by_default_and_explains_it(qtbot, vault, tmp_path):
    page = _page(qtbot, vault)
    page.set_role("key_holder")
    tab = page.answer_tab
    page.tabs.setCurrentWidget(tab)
    assert tab.use_dp.isChecked() and tab.epsilon.value() == 1.0
    assert tab.epsilon_help.isVisible() and "smaller means more noise" in tab.epsilon_help.text()
    assert "does not stop two answers that differ" in tab.min_records_help.text()
    tab.request, tab.sender = object(), object()     # a request whose answer needs a budget
    assert tab.answer(tmp_path / "r.ppdsb") is False
    assert "privacy budget pays for the noise" in tab.status.text()
