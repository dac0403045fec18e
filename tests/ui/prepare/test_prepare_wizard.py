"""pytest-qt: the Prepare wizard walked end to end on the bundled sample dataset."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pycanon import anonymity

from ppds_desktop.core.recipe.presets import HIPAA, RESEARCH
from ppds_desktop.ui.pages import PAGES
from ppds_desktop.ui.prepare.extra_pages import EXTRA_PAGES, load_extra_pages
from ppds_desktop.ui.prepare.wizard import PrepareWizard
from ppds_desktop.ui.session import AppSession


@pytest.fixture
def wizard(qtbot, vault):
    from ppds_desktop.paths import sample_csv
    from ppds_desktop.services.datasets import import_file

    import_file(vault, sample_csv(), name="Sample admissions")
    session = AppSession(vault)
    w = PrepareWizard(session)
    qtbot.addWidget(w)
    w.show()
    return w


def click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def next_until_run(qtbot, w):
    """Next through the remaining steps (and any extra pages) up to the Run page."""
    while w.steps.currentIndex() < w.run_index:
        click(qtbot, w.next_button)


def choose_dataset(qtbot, w, name="Sample admissions"):
    """Step 1 → 2: the dataset loads on the worker, then the wizard moves on."""
    w.select_dataset(name)
    click(qtbot, w.next_button)
    qtbot.waitUntil(lambda: w.steps.currentIndex() == 1, timeout=30_000)


def to_run_page(qtbot, w):
    choose_dataset(qtbot, w)
    next_until_run(qtbot, w)


def test_page_is_registered():
    assert any(p.key == "prepare" for p in PAGES)


def test_research_preset_end_to_end(qtbot, wizard, vault, tmp_path):
    w = wizard
    choose_dataset(qtbot, w)                                      # → preset
    w.preset_buttons[RESEARCH].setChecked(True)
    click(qtbot, w.next_button)                                   # → column actions
    assert w.steps.currentIndex() == 2
    cs = w.columns_step
    name_row = cs.row_of("Name")
    assert cs.table.cellWidget(name_row, 2).currentData() == "drop"
    assert "person names" in cs.table.item(name_row, 4).text()    # the profile's reason
    # keep the study manageable: fewer quasi-identifiers, one sensitive column
    for col in ("Doctor", "Hospital", "Date of Admission", "Discharge Date"):
        cs.set_action(col, "keep", role="insensitive")
    for col in ("Blood Type", "Billing Amount", "Medication", "Test Results"):
        cs.set_action(col, "keep", role="insensitive")
    cs.set_action("Name", "pseudonym", {"key": "wizard test", "prefix": "P"}, role="identifier")
    click(qtbot, w.next_button)                                   # → privacy model
    assert w.steps.currentIndex() == 3
    ms = w.model_step
    assert ms.k_check.isChecked() and ms.k_spin.value() == 5
    ms.l_check.setChecked(True)
    ms.l_spin.setValue(2)
    assert ms.sensitive_combo.count() == 2          # "every sensitive column" + the one left
    ms.sensitive_combo.setCurrentIndex(ms.sensitive_combo.findData("Medical Condition"))
    assert ms.preview.rowCount() > 0 and ms.preview.columnCount() >= 2    # hierarchy preview
    ms.qi_combo.setCurrentText("ZIP")
    assert "Hide characters from the right" in ms.hierarchy_info.text()
    click(qtbot, w.next_button)                                   # → run (extra pages first)
    next_until_run(qtbot, w)
    assert '"k": 5' in w.recipe_view.toPlainText() and not w.recipe_view.isVisible()
    assert "with at least 4 others (5-anonymity)" in w.recipe_sentences.text()
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, w.next_button)                               # Run
    assert w.steps.currentIndex() == w.results_index
    out = w.state.outcome
    qis = out.report["quasi_identifiers"]
    assert anonymity.k_anonymity(out.data, qis) >= 5
    assert anonymity.l_diversity(out.data, qis, ["Medical Condition"]) >= 2
    rs = w.results_step
    assert "satisfied" in rs.summary.text()
    assert rs.after_view.model().rowCount() > 0 and rs.before_view.model().rowCount() > 0
    assert rs.class_chart.is_valid() and rs.risk_chart.is_valid()
    assert rs.histogram_column.count() > 0 and rs.histogram_chart.is_valid()
    assert rs.risk_table.rowCount() == 8
    assert "Prosecutor risk" in rs.risk_table.item(0, 0).toolTip()      # jargon explained
    assert "0 = the same" in rs.utility_table.horizontalHeaderItem(2).toolTip()
    assert "Loss:" in rs.utility_label.text() and "% of the" in rs.utility_label.text()
    assert "detail removed" in rs.alternatives.horizontalHeaderItem(1).toolTip()
    assert not rs.tabs.isTabVisible(rs.checklist_index)
    # pick another transformation than the optimum and re-apply
    assert rs.alternatives.rowCount() >= 2
    rs.alternatives.selectRow(1)
    chosen = rs.selected_alternative()["levels"]
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, rs.apply_alternative_button)
    assert w.state.outcome.report["generalization"]["levels"] == chosen
    assert anonymity.k_anonymity(w.state.outcome.data, qis) >= 5
    # save the release, export the report
    w.release_name.setText("wizard release")
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, w.save_button)
    info = vault.release_info("wizard release")
    assert info.recipe["privacy"]["levels"] == chosen
    assert "report.html" in info.files
    html = tmp_path / "report.html"
    w.export_report(html)
    assert "<svg" in html.read_text()
    w.save_recipe(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["privacy"]["k"] == 5


def test_hipaa_preset_shows_the_checklist(qtbot, wizard):
    w = wizard
    choose_dataset(qtbot, w)
    w.preset_buttons[HIPAA].setChecked(True)
    click(qtbot, w.next_button)
    zip_row = w.columns_step.row_of("ZIP")
    assert w.columns_step.table.cellWidget(zip_row, 2).currentData() == "zip3"
    click(qtbot, w.next_button)
    assert not w.model_step.k_check.isChecked()
    next_until_run(qtbot, w)
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, w.next_button)
    rs = w.results_step
    assert rs.tabs.isTabVisible(rs.checklist_index)
    assert rs.checklist.rowCount() == 18
    assert "Every identifier type found was handled" in rs.checklist_label.text()
    assert rs.checklist.horizontalHeaderItem(1).text() == "Status"     # verdict in view
    assert "Safe Harbor rules applied" in rs.summary.text()
    assert "not a measure of risk" in rs.summary.text()
    assert rs.alternatives.isHidden() and "No search ran" in rs.alternatives_help.text()


def test_bad_parameters_keep_the_user_on_the_page(qtbot, wizard, monkeypatch):
    shown = []
    monkeypatch.setattr("ppds_desktop.ui.prepare.wizard.show_error",
                        lambda parent, exc, title="": shown.append(str(exc)))
    w = wizard
    choose_dataset(qtbot, w)
    click(qtbot, w.next_button)
    w.columns_step.set_action("SSN", "pseudonym", {"key": "!"})
    click(qtbot, w.next_button)
    assert w.steps.currentIndex() == 2
    assert shown and shown[0].startswith("SSN: “Key name”") and 'columns["' not in shown[0]


def test_cancel_leaves_the_wizard_on_the_run_page(qtbot, wizard, vault):
    w = wizard
    to_run_page(qtbot, w)
    w.runner.progress.connect(lambda *_: w.runner.cancel())     # Cancel as soon as it starts
    with qtbot.waitSignal(w.runner.cancelled, timeout=60_000):
        click(qtbot, w.next_button)
    assert w.steps.currentIndex() == w.run_index
    assert w.state.outcome is None and w.next_button.isEnabled()
    assert vault.list_releases() == []


def test_extra_pages_hook_inserts_a_page(qtbot, vault):
    from PySide6.QtWidgets import QLabel

    from ppds_desktop.ui.prepare.extra_pages import ExtraPage

    applied = []

    class Page(QLabel):
        def load(self, state):
            self.setText(f"{len(state.frame)} rows")

        def apply(self, recipe):
            applied.append(dict(recipe))

    vault.put_dataset("tiny", __import__("pandas").DataFrame({"a": [1, 2, 3]}))
    EXTRA_PAGES.append(ExtraPage("test", "Test page", lambda state: Page()))
    try:
        assert any(p.key == "test" for p in load_extra_pages())
        w = PrepareWizard(AppSession(vault))
        qtbot.addWidget(w)
        assert any(t.endswith("Test page") for t in w.titles)
        w.preset_buttons["expert"].setChecked(True)
        w.advanced.setChecked(True)
        choose_dataset(qtbot, w, "tiny")
        for _ in range(3):
            click(qtbot, w.next_button)
        while not w.titles[w.steps.currentIndex()].endswith("Test page"):
            click(qtbot, w.next_button)
        assert w.steps.currentWidget().text() == "3 rows"
        click(qtbot, w.next_button)
        assert applied
    finally:
        EXTRA_PAGES.pop()


def test_perturbation_page_adds_its_section(qtbot, wizard):
    pytest.importorskip("ppds_desktop.ui.dp.perturb_page")
    w = wizard
    w.advanced.setChecked(True)
    choose_dataset(qtbot, w)
    for _ in range(3):
        click(qtbot, w.next_button)
    assert w.titles[w.steps.currentIndex()].endswith("Perturbation (optional)")
    page = w.steps.currentWidget().page
    page.load_section({"steps": [{"method": "rank_swap", "columns": ["Billing Amount"],
                                  "p": 5}]})
    next_until_run(qtbot, w)                                     # and any later extra page
    assert w.state.recipe["perturbation"]["steps"][0]["method"] == "rank_swap"
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, w.next_button)
    assert "perturbation" in w.state.outcome.report["sections"]
    assert "perturbation" in w.results_step.sections_label.text()


def test_model_step_hierarchy_files_for_qi_and_sensitive(qtbot, tmp_path):
    import pandas as pd

    from ppds_desktop.core.recipe import new_recipe, validate
    from ppds_desktop.ui.prepare.model_step import ModelStep

    df = pd.DataFrame({"age": [21, 34, 47], "diag": ["a", "b", "a"]})
    f_age, f_diag = tmp_path / "age.csv", tmp_path / "diag.csv"
    f_age.write_text("21;20-29;*\n34;30-39;*\n47;40-49;*\n")
    f_diag.write_text("a;x;*\nb;x;*\n")
    step = ModelStep()
    qtbot.addWidget(step)
    recipe = new_recipe(columns={"age": {"role": "quasi_identifier"},
                                 "diag": {"role": "sensitive"}}, privacy={"k": 2})
    step.load(recipe, df)
    assert [step.qi_combo.itemText(i) for i in range(step.qi_combo.count())] == ["age", "diag"]
    step.set_hierarchy_file("age", str(f_age))
    assert step.preview.item(0, 1).text() == "20-29"
    step.set_hierarchy_file("diag", str(f_diag))
    step.t_check.setChecked(True)
    step.t_distance.setCurrentIndex(step.t_distance.findData("hierarchical"))
    step.apply(recipe)
    validate(recipe)
    assert recipe["columns"]["age"]["action"]["hierarchy"] == {"kind": "file", "file": str(f_age)}
    assert recipe["columns"]["diag"]["hierarchy"] == {"kind": "file", "file": str(f_diag)}
    assert recipe["privacy"]["t"]["distance"] == "hierarchical"


def load_saved_recipe(qtbot, w, tmp_path) -> int:
    """A recipe file (Name masked, 3-anonymity) loaded into the wizard, on the Columns step;
    the row of Name."""
    from ppds_desktop.core.recipe import new_recipe, dumps

    path = tmp_path / "r.json"
    path.write_text(dumps(new_recipe(name="from file", columns={
        "Name": {"role": "identifier", "action": {"type": "mask", "keep_first": 1}},
        "Age": {"role": "quasi_identifier"}, "Gender": {"role": "quasi_identifier"}},
        privacy={"k": 3})))
    choose_dataset(qtbot, w)
    w.load_recipe(path)
    click(qtbot, w.next_button)
    return w.columns_step.row_of("Name")


def test_a_saved_recipe_reloads_into_the_wizard(qtbot, wizard, tmp_path):
    w = wizard
    row = load_saved_recipe(qtbot, w, tmp_path)
    assert w.columns_step.table.cellWidget(row, 2).currentData() == "mask"
    assert w.columns_step.action_of("Name") == {"type": "mask", "keep_first": 1}
    assert w.columns_step.table.item(row, 3).text() == "first 1 characters kept, mask *"
    click(qtbot, w.next_button)
    assert w.model_step.k_check.isChecked() and w.model_step.k_spin.value() == 3
    next_until_run(qtbot, w)
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        click(qtbot, w.next_button)
    data = w.state.outcome.data
    assert data["Name"].str.match(r"^.\*+$").all()
    assert anonymity.k_anonymity(data, ["Age", "Gender"]) >= 3


def test_going_back_to_a_loaded_recipe_file_shows_the_file_again(qtbot, wizard, tmp_path):
    w = wizard
    row = load_saved_recipe(qtbot, w, tmp_path)
    actions = w.columns_step.table.cellWidget(row, 2)
    actions.setCurrentIndex(actions.findData("drop"))
    click(qtbot, w.next_button)                     # the edit goes into the wizard's recipe
    assert w.state.recipe["columns"]["Name"]["action"]["type"] == "drop"
    click(qtbot, w.back_button)
    click(qtbot, w.back_button)
    click(qtbot, w.next_button)                     # the file again, not the edited copy
    assert w.columns_step.table.cellWidget(row, 2).currentData() == "mask"


def test_keyboard_access_and_plain_language_help(qtbot, wizard):
    w = wizard
    for button in (w.back_button, w.next_button, w.save_button, w.export_button,
                   w.save_recipe_button, w.load_recipe_button,
                   w.results_step.apply_alternative_button, w.model_step.load_button):
        assert "&" in button.text(), button.text()
    assert w.next_button.isDefault()
    ms = w.model_step
    for check in (ms.k_check, ms.l_check, ms.t_check):
        assert check.text().startswith("&")
    assert "at least k records" in ms.k_check.toolTip()
    assert "at least l different values" in ms.l_check.toolTip()
    assert "differs from the whole table" in ms.t_check.toolTip()
    assert "removed from the release" in ms.suppression.toolTip()
    assert "share of detail removed" in ms.objective.toolTip()
    to_run_page(qtbot, w)
    assert w.next_button.text() == "&Run"
    role_combo = w.columns_step.table.cellWidget(0, 1)
    assert "Quasi-identifier" in [role_combo.itemText(i) for i in range(role_combo.count())]


def test_escape_cancels_the_run(qtbot, wizard, vault):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    w = wizard
    to_run_page(qtbot, w)
    esc = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    w.runner.progress.connect(lambda *_: QApplication.sendEvent(w, esc))
    with qtbot.waitSignal(w.runner.cancelled, timeout=60_000):
        click(qtbot, w.next_button)
    assert w.state.outcome is None and vault.list_releases() == []


def test_impossible_model_says_what_to_relax(qtbot, wizard):
    w = wizard
    choose_dataset(qtbot, w)
    click(qtbot, w.next_button)
    click(qtbot, w.next_button)
    ms = w.model_step
    ms.l_check.setChecked(True)
    ms.l_spin.setValue(40)
    ms.sensitive_combo.setCurrentIndex(ms.sensitive_combo.findData("Medical Condition"))
    next_until_run(qtbot, w)
    with qtbot.waitSignal(w.runner.failed, timeout=60_000):
        click(qtbot, w.next_button)
    box = w.runner.last_error_box
    assert "40-diversity" in box.text()
    assert "Lower l to at most 12: 'Medical Condition' has only 12 distinct values" \
        in box.informativeText()
    box.close()
    assert w.steps.currentIndex() == w.run_index


def test_unwritable_recipe_path_shows_an_error(qtbot, wizard, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ppds_desktop.ui.prepare.wizard.show_error",
                        lambda parent, exc, title="": shown.append(str(exc)))
    from ppds_desktop.core import recipe as R

    wizard.state.recipe = R.new_recipe(name="t")
    wizard.save_recipe(tmp_path / "no such folder" / "r.json")
    assert shown and "the destination folder does not exist" in shown[0]
