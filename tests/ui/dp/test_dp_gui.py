"""pytest-qt: the DP statistics wizard and the budget panel driven like a user would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from ppds_desktop.core.dp import ledger
from ppds_desktop.ui.dp.stats_page import DPStatisticsPage, explain_epsilon
from ppds_desktop.ui.pages import PAGES
from ppds_desktop.ui.session import AppSession


@pytest.fixture
def page(qtbot, vault):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"Medical Condition": rng.choice(["Asthma", "Cancer", "Flu"], 400),
                       "Billing Amount": rng.uniform(100, 900, 400)})
    vault.put_dataset("admissions", df)
    session = AppSession(vault)
    w = DPStatisticsPage(session)
    qtbot.addWidget(w)
    w.show()
    return w


def check_group(page, column):
    for i in range(page.group_list.count()):
        if page.group_list.item(i).text() == column:
            page.group_list.item(i).setCheckState(Qt.CheckState.Checked)


def test_page_is_registered_and_built_by_its_factory(qtbot, page):
    [spec] = [p for p in PAGES if p.key == "dp_statistics"]
    built = spec.factory(page.session)
    qtbot.addWidget(built)
    assert isinstance(built, DPStatisticsPage) and built.dataset_combo.count() == 1


def test_owner_sets_budget_in_the_panel(qtbot, page, vault):
    assert "no privacy budget" in page.budget.summary.text()
    page.budget.epsilon.setValue(2.0)
    qtbot.mouseClick(page.budget.set_button, Qt.MouseButton.LeftButton)
    assert ledger.budget_status(vault, "admissions").epsilon_total == 2.0
    assert "2 left" in page.budget.summary.text()


def test_count_by_condition_end_to_end(qtbot, page, vault):
    ledger.set_budget(vault, "admissions", epsilon=1.0)
    page.budget.refresh()
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("count"))
    check_group(page, "Medical Condition")
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == 1                     # categories to declare
    page.domain_edits["Medical Condition"].setText("Asthma|Cancer|Flu|Measles")
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == 2
    page.epsilon_spin.setValue(0.25)
    assert "e^ε" in page.explanation.text() and "1 left of 1" in page.remaining_label.text()
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentIndex() == 3
    assert page.table.rowCount() == 4 and page.table.item(3, 0).text() == "Measles"
    assert page.chart.is_valid() and "<path" in page.chart.svg()     # error bars drawn
    assert ledger.budget_status(vault, "admissions").epsilon_spent == pytest.approx(0.25)
    assert "0.75 left" in page.budget.summary.text()
    assert vault.list_releases()[-1].kind == "dp_statistics"


def test_guessed_bounds_warn_and_mean_runs(qtbot, page, vault, tmp_path):
    ledger.set_budget(vault, "admissions", epsilon=1.0)
    page.budget.refresh()
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("mean"))
    page.column_combo.setCurrentText("Billing Amount")
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.guess_button, Qt.MouseButton.LeftButton)
    assert "read from the data" in page.bounds_warning.text()
    assert float(page.lo_edit.text()) >= 100 and float(page.hi_edit.text()) <= 900
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert "read from the data" in page.notes_label.text()
    report = vault.list_releases()[-1].report
    assert report["grids"][0]["guessed"] is True
    page.export_results(str(tmp_path / "r.csv"))
    assert "ci95_low" in (tmp_path / "r.csv").read_text()


def test_median_with_typed_bounds_by_group(qtbot, page, vault):
    ledger.set_budget(vault, "admissions", epsilon=1.0)
    page.budget.refresh()
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("median"))
    page.column_combo.setCurrentText("Billing Amount")
    check_group(page, "Medical Condition")
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    page.lo_edit.setText("0")
    page.hi_edit.setText("1000")
    assert page.bounds_warning.text() == ""
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.runner.finished, timeout=20_000):
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 3 and page.table.item(0, 2).text() == "—"
    assert all(0 <= float(page.table.item(i, 1).text().replace(",", "")) <= 1000 for i in range(3))
    assert "taken from the data" in page.notes_label.text()     # categories were not declared
    assert page.chart.is_valid()


def test_overspend_shows_an_error_and_stays(qtbot, page, vault, monkeypatch):
    """The page caps ε at what remains; a budget lowered meanwhile (another window, the CLI)
    is still refused by the service, with an error and nothing spent."""
    ledger.set_budget(vault, "admissions", epsilon=1.0)
    page.budget.refresh()
    shown = []
    monkeypatch.setattr("ppds_desktop.ui.worker.show_error", lambda parent, exc, **kw: shown.append(exc))
    page.go(2)
    page.epsilon_spin.setValue(0.5)
    ledger.set_budget(vault, "admissions", epsilon=0.1)
    with qtbot.waitSignal(page.runner.failed, timeout=20_000):
        qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert shown and "budget exceeded" in str(shown[0])
    assert page.steps.currentIndex() == 2 and vault.list_releases() == []


def test_explanations():
    assert "e^ε" in explain_epsilon(1.0, "laplace") and "ρ" in explain_epsilon(0.1, "gaussian")


# ---------------------------------------------------------------- perturbation page

from ppds_desktop.ui.dp.perturb_page import PerturbationPage  # noqa: E402


@pytest.fixture
def perturb_page(qtbot, vault):
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"Age": rng.integers(18, 90, 300).astype(float),
                       "Billing Amount": rng.uniform(100, 900, 300),
                       "Medical Condition": rng.choice(["Asthma", "Cancer", "Flu"], 300)})
    vault.put_dataset("records", df)
    w = PerturbationPage(AppSession(vault))
    qtbot.addWidget(w)
    w.set_input(df)
    w.show()
    return w


def tick(page, *columns):
    for i in range(page.columns_list.count()):
        item = page.columns_list.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in columns else Qt.CheckState.Unchecked)


def test_perturbation_steps_and_preview_with_budget_check(qtbot, perturb_page, vault, monkeypatch):
    p = perturb_page
    p.set_input(vault.load_dataset("records"), "records")
    p.method_combo.setCurrentIndex(p.method_combo.findData("microaggregation"))
    tick(p, "Age", "Billing Amount")
    p.k_spin.setValue(5)
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    p.method_combo.setCurrentIndex(p.method_combo.findData("randomized_response"))
    tick(p, "Medical Condition")
    p.param.setValue(0.5)
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    assert p.section() == {"steps": [
        {"method": "microaggregation", "columns": ["Age", "Billing Amount"], "k": 5},
        {"method": "randomized_response", "columns": ["Medical Condition"], "epsilon": 0.5}]}
    assert "ε = 0.5" in p.cost_label.text() and "no budget is set" in p.cost_label.text()
    shown = []
    monkeypatch.setattr("ppds_desktop.ui.worker.show_error", lambda parent, exc, **kw: shown.append(exc))
    with qtbot.waitSignal(p.runner.failed, timeout=20_000):       # refused before any work
        qtbot.mouseClick(p.preview_button, Qt.MouseButton.LeftButton)
    assert "no privacy budget is set" in str(shown[0])
    ledger.set_budget(vault, "records", epsilon=1.0)
    with qtbot.waitSignal(p.runner.finished, timeout=20_000):
        qtbot.mouseClick(p.preview_button, Qt.MouseButton.LeftButton)
    assert p.utility_table.rowCount() == 3 and p.chart.is_valid()
    assert "rows perturbed in 2 step(s)" in p.summary.text()
    assert vault.list_releases() == [] and ledger.budget_status(vault, "records").epsilon_spent == 0


def test_bad_step_is_refused_with_a_message(qtbot, perturb_page, monkeypatch):
    shown = []
    monkeypatch.setattr("ppds_desktop.ui.dp.perturb_page.show_error",
                        lambda parent, exc, **kw: shown.append(exc))
    p = perturb_page
    p.method_combo.setCurrentIndex(p.method_combo.findData("local_dp"))
    tick(p, "Age")
    p.bounds_edit.setText("oops")
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    assert shown and "lowest:highest" in str(shown[0]) and p.section() is None
    p.load_section({"steps": [{"method": "rank_swap", "columns": ["Age"], "p": 2}]})
    assert p.steps_list.count() == 1


def test_prepare_wizard_hook_writes_the_perturbation_section(qtbot, vault):
    from ppds_desktop.ui.prepare.extra_pages import load_extra_pages
    from ppds_desktop.ui.prepare.state import PrepareState

    df = pd.DataFrame({"Age": np.arange(30, dtype=float), "Sex": ["F", "M", "F"] * 10})
    info = vault.put_dataset("wiz", df)
    [spec] = [p for p in load_extra_pages() if p.key == "perturbation"]
    state = PrepareState(AppSession(vault), dataset=info, frame=df)
    widget = spec.factory(state)
    qtbot.addWidget(widget)
    widget.load(state)
    page = widget.page
    assert page.columns_list.count() == 2
    page.method_combo.setCurrentIndex(page.method_combo.findData("rank_swap"))
    tick(page, "Age")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    recipe = {"ppds_recipe": 1}
    widget.apply(recipe)
    assert recipe["perturbation"] == {"steps": [{"method": "rank_swap", "columns": ["Age"], "p": 5.0}]}
    page.steps_list.setCurrentRow(0)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    widget.apply(recipe)
    assert "perturbation" not in recipe


def test_direct_identifiers_cannot_be_ticked_as_groups(qtbot, vault):
    df = pd.DataFrame({"Name": ["A", "B", "C"], "Gender": ["F", "M", "F"]})
    vault.put_dataset("named", df, roles={"Name": "identifier", "Gender": "quasi_identifier"})
    w = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(w)
    items = {w.group_list.item(i).data(Qt.ItemDataRole.UserRole) or w.group_list.item(i).text():
             w.group_list.item(i) for i in range(w.group_list.count())}
    assert not items["Name"].flags() & Qt.ItemFlag.ItemIsEnabled
    assert "direct identifier" in items["Name"].text()
    items["Name"].setCheckState(Qt.CheckState.Checked)       # even if forced, it is not used
    items["Gender"].setCheckState(Qt.CheckState.Checked)
    assert w.group_columns() == ["Gender"]


def test_empty_vault_says_what_to_do(qtbot, vault):
    w = DPStatisticsPage(AppSession(vault))
    qtbot.addWidget(w)
    w.show()
    assert w.empty_hint.isVisible() and "Import data" in w.empty_hint.text()
    assert not w.next_button.isEnabled()
    vault.put_dataset("d", pd.DataFrame({"x": [1, 2]}))
    w.reload_datasets()
    assert not w.empty_hint.isVisible()
