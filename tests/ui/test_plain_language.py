"""Issue 14, part 2 ("Plain language"): words instead of codes on every screen, each checked
on what the user sees."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from html import escape

import numpy as np
import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from ppds_desktop.core import recipe as R
from ppds_desktop.core.recipe.presets import RESEARCH
from ppds_desktop.core.errors import RecipeError
from ppds_desktop.services import plain
from ppds_desktop.services import release as svc
from ppds_desktop.ui.session import AppSession
from ux_helpers import import_sample, prepare_wizard
from visible_text import problems

from conftest import REPO_ROOT as REPO


@pytest.fixture
def sample(vault):
    return import_sample(vault)


def _research_outcome(vault, info):
    roles, kinds = svc.column_hints(None, vault, info.id)
    recipe = svc.recipe_for_preset(RESEARCH, vault.load_dataset(info.id), roles, kinds)
    return svc.run_release(vault, info.id, recipe)


# -- the recipe as sentences ---------------------------------------------------------------------

def test_recipe_reads_as_sentences():
    recipe = R.new_recipe(columns={
        "Name": {"role": "identifier", "action": {"type": "drop"}},
        "SSN": {"role": "identifier", "action": {"type": "mask", "keep_last": 4}},
        "Age": {"role": "quasi_identifier", "action": {
            "type": "generalize", "hierarchy": {"kind": "intervals", "widths": [5, 10, 20]}}},
        "Gender": {"role": "quasi_identifier"}, "ZIP": {"role": "quasi_identifier",
                                                        "action": {"type": "zip3"}},
        "Diagnosis": {"role": "sensitive"}},
        privacy={"k": 5, "suppression_limit": 0.05})
    text = " ".join(plain.recipe_sentences(recipe))
    assert "Remove Name." in text
    assert "Mask SSN with *, keeping the last 4 characters." in text
    assert "Age in bands of 5, 10 or 20" in text
    assert "Keep the first 3 digits of ZIP" in text
    assert ("Every person shares their Age, Gender and ZIP (as released) with at least 4 "
            "others (5-anonymity).") in text
    assert "Up to 5 % of the records may be left out" in text
    assert not problems(text)


def test_run_step_shows_sentences_and_the_file_only_on_request(qtbot, vault, sample):
    w = prepare_wizard(qtbot, vault)
    while w.steps.currentIndex() < w.run_index:
        w.next()
    shown = w.recipe_sentences.text()
    assert "Remove Name" in shown and "(5-anonymity)" in shown and "Age in bands of" in shown
    assert not w.recipe_view.isVisible() and not w.show_recipe.isChecked()
    w.show_recipe.setChecked(True)
    assert w.recipe_view.isVisible() and '"ppds_recipe": 1' in w.recipe_view.toPlainText()


# -- labels and typed editors --------------------------------------------------------------------

def _columns_step(qtbot, frame_columns, recipe):
    from ppds_desktop.ui.prepare.columns_step import ColumnsStep

    step = ColumnsStep()
    qtbot.addWidget(step)
    step.show()
    step.load(recipe, {}, frame_columns, "study")
    return step


def test_roles_and_actions_are_named_in_words(qtbot):
    step = _columns_step(qtbot, ["Age"], R.new_recipe(columns={"Age": {"role": "quasi_identifier"}}))
    for combo in (step.role_combo("Age"), step.action_combo("Age")):
        items = [combo.itemText(i) for i in range(combo.count())]
        assert items and all("_" not in item and item[0].isupper() for item in items), items
    assert step.role_combo("Age").currentText() == "Quasi-identifier"
    assert "Keep the year only" in [step.action_combo("Age").itemText(i)
                                    for i in range(step.action_combo("Age").count())]


@pytest.mark.parametrize("action, widgets", [
    ("mask", {"keep_first": QSpinBox, "keep_last": QSpinBox, "char": QLineEdit}),
    ("date_shift", {"max_days": QSpinBox, "person": QComboBox, "key": QLineEdit}),
    ("year", {"bottom": QSpinBox, "bottom_on": QCheckBox}),
    ("zip3", {"restricted_to_000": QCheckBox}),
    ("top_bottom_code", {"top": QSpinBox.__mro__[1], "top_on": QCheckBox,
                         "top_label": QLineEdit}),
    ("generalize", {"kind": QComboBox, "level_on": QCheckBox}),
])
def test_every_action_setting_has_a_typed_editor(qtbot, action, widgets):
    """Numbers in spin boxes, choices in drop-downs, yes/no in check boxes; the recipe they
    write is valid — no name=value text anywhere."""
    columns = ["Name", "Visit", "Age", "ZIP"]
    step = _columns_step(qtbot, columns, R.new_recipe(columns={
        "Name": {"role": "identifier", "action": {"type": "drop"}}}))
    column = {"mask": "Name", "generalize": "Age", "zip3": "ZIP"}.get(action, "Visit")
    combo = step.action_combo(column)
    combo.setCurrentIndex(combo.findData(action))
    editor = step.editor
    assert editor.column == column
    for key, kind in widgets.items():
        assert isinstance(editor.fields[key], kind), (key, type(editor.fields[key]))
    if action == "mask":
        editor.fields["keep_last"].setValue(2)
        editor.fields["keep_first"].setValue(1)
    elif action == "date_shift":
        editor.fields["max_days"].setValue(90)
        editor.fields["person"].setCurrentIndex(editor.fields["person"].findData("Name"))
    elif action == "year":
        editor.fields["bottom_on"].setChecked(True)
        editor.fields["bottom"].setValue(1930)
    elif action == "top_bottom_code":
        editor.fields["top"].setValue(90)
    recipe = R.new_recipe(columns=step.to_columns({}))
    R.validate(recipe)
    made = recipe["columns"][column]["action"]
    expected = {"mask": {"type": "mask", "keep_last": 2, "keep_first": 1},
                "date_shift": {"type": "date_shift", "key": "study dates", "max_days": 90,
                               "person": "Name"},
                "year": {"type": "year", "bottom": 1930},
                "zip3": {"type": "zip3"},
                "top_bottom_code": {"type": "top_bottom_code", "top": 90, "top_label": "90+"},
                "generalize": {"type": "generalize", "hierarchy": {"kind": "auto"}}}[action]
    assert made == expected
    assert "=" not in step.table.item(step.row_of(column), 3).text()


def test_generalize_editor_switches_to_number_bands(qtbot):
    step = _columns_step(qtbot, ["Age"], R.new_recipe(columns={
        "Age": {"role": "quasi_identifier", "action": {"type": "generalize"}}}))
    kind = step.editor.fields["kind"]
    kind.setCurrentIndex(kind.findData("intervals"))
    qtbot.waitUntil(lambda: "widths" in step.editor.fields)
    step.editor.fields["widths"].setValue(10)
    action = step.to_columns({})["Age"]["action"]
    assert action["hierarchy"] == {"kind": "intervals", "widths": [10, 20, 40]}
    assert step.table.item(0, 3).text().startswith("bands of 10, 20 or 40")


def test_recipe_errors_name_the_column_and_the_setting():
    bad = R.new_recipe(columns={"SSN": {"role": "identifier",
                                        "action": {"type": "mask", "keep_last": 101}}})
    with pytest.raises(RecipeError) as caught:
        R.validate(bad)
    assert caught.value.field.endswith("keep_last")          # the path a developer reads
    assert plain.error_text(caught.value, bad) == \
        "SSN: “Keep the last characters” must be at most 100"
    with pytest.raises(RecipeError) as caught:
        R.validate(R.new_recipe(privacy={"k": 0}))
    assert plain.error_text(caught.value) == "k-anonymity (k): must be at least 1"


# -- privacy terms explained on the page ---------------------------------------------------------

def test_every_privacy_term_is_explained_in_view(qtbot, vault, sample):
    from PySide6.QtWidgets import QLabel

    from ppds_desktop.ui.prepare.model_step import ModelStep
    from ppds_desktop.ui.prepare.results_step import ResultsStep

    step = ModelStep()
    qtbot.addWidget(step)
    step.show()
    shown = " ".join(label.text() for label in step.findChildren(QLabel) if label.isVisible())
    for term in ("k-anonymity", "l-diversity", "t-closeness", "suppression", "objective",
                 "method"):
        assert plain.explain(term) in shown, term

    outcome = _research_outcome(vault, sample)
    results = ResultsStep()
    qtbot.addWidget(results)
    results.show()
    results.show_outcome(vault.load_dataset(sample.id), outcome,
                         plain_verdict(vault, outcome))
    risk = results.risk_table
    assert risk.horizontalHeaderItem(3).text() == "What it measures"
    assert risk.item(0, 3).text() == plain.explain("prosecutor risk")
    results.tabs.setCurrentIndex(2)
    for term in ("hellinger", "total variation", "standard deviation"):
        assert escape(plain.explain(term)) in results.utility_legend.text()
    assert results.utility_legend.isVisible()


def plain_verdict(vault, outcome):
    from ppds_desktop.services import disclosure

    return disclosure.verdict(outcome.report, vault)


# -- audit log as sentences ---------------------------------------------------------------------

def _audit_codes_in_source() -> set[str]:
    import re

    codes = set()
    for path in (REPO / "ppds_desktop").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r"""audit\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
        codes.update(re.findall(r"""["']([a-z_]+\.[a-z_]+)["'] if exists else""", text))
        codes.update(re.findall(r"""else ["']([a-z_]+\.[a-z_]+)["'], kind=kind""", text))
        codes.update(re.findall(r"""c, ["']([a-z]+\.[a-z_]+)["'], \{""", text))
    return codes


def test_every_audit_action_reads_as_a_sentence():
    from ppds_desktop.core.vault.audit_text import _SENTENCES

    codes = _audit_codes_in_source()
    assert {"dataset.exported", "bundle.seal", "dp.spend", "vault.created"} <= codes
    assert codes <= set(_SENTENCES), codes - set(_SENTENCES)
    assert plain.audit_sentence("dataset.exported", {
        "dataset": "Sample", "file": "s.csv", "rows": 1000, "identifiers": ["Name", "SSN"]}) == \
        "Exported “Sample” (1,000 rows) to s.csv, with the direct identifiers Name and SSN."
    assert plain.audit_sentence("study.site_joined", {"site": "Riverside", "rows": 40}) == \
        "Study: site joined (site Riverside; rows 40)."


def test_audit_page_shows_sentences_and_local_times(qtbot, vault, sample):
    from ppds_desktop.services import vault_ops
    from ppds_desktop.ui.audit_page import AuditPage
    from ppds_desktop.ui.local_time import local_time

    page = AuditPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    model = page.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["#", "When", "Who", "What happened"]
    texts = [model.data(model.index(r, 3)) for r in range(model.rowCount())]
    assert texts[0] == "Imported “Sample admissions” from sample_admissions.csv (1,000 rows, " \
                       "20 columns)."
    newest = vault_ops.audit_log(vault)[-1]
    assert model.data(model.index(0, 1)) == local_time(newest.ts, seconds=True)
    assert not any(problems(t) for t in texts)


def test_cli_keeps_the_codes_with_raw(vault_path, vault, monkeypatch):
    from cli_process import run_ppds

    vault.lock()
    plain_out = run_ppds("vault", "audit", "--vault", vault_path).stdout
    raw_out = run_ppds("vault", "audit", "--raw", "--vault", vault_path).stdout
    assert "Created this vault." in plain_out and "vault.created" not in plain_out
    assert "vault.created" in raw_out


# -- local times ----------------------------------------------------------------------------------

def test_times_are_shown_in_the_users_time_zone():
    """A UTC time from the vault is shown in the system's zone (India: UTC+5:30)."""
    code = ("import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen';"
            "from PySide6.QtWidgets import QApplication; app = QApplication([]);"
            "from ppds_desktop.ui.local_time import local_time;"
            "print(local_time('2025-05-12T12:03:07Z'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TZ": "Asia/Kolkata", "LANG": "C", "LC_ALL": "C"},
                         cwd=REPO, check=True).stdout.strip()
    assert out.replace("\u202f", " ") == "5/12/25 5:33 PM"


def test_dataset_page_shows_no_utc(qtbot, vault, sample):
    from ppds_desktop.ui.datasets_page import DatasetsPage
    from ppds_desktop.ui.local_time import local_time

    page = DatasetsPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    assert "UTC" not in page.summary.text() and "UTC" not in page.details.toPlainText()
    assert local_time(sample.created_at) in page.summary.text()


# -- figures ---------------------------------------------------------------------------------------

def test_age_distance_is_measured_on_the_bands_the_chart_shows(vault, sample):
    """Age is released in bands: its distance compares the input put in the same bands with
    the release (what the histogram shows), not raw ages with band labels, which share no
    category (Hellinger = TV = 1 while the histograms were almost identical)."""
    report = _research_outcome(vault, sample).report
    age = report["utility"]["columns"]["Age"]
    h = report["histograms"]["Age"]
    p, q = np.array(h["before"]), np.array(h["after"])
    independent = math.sqrt(max(0.0, 1 - float(np.sum(np.sqrt(p * q)))))   # Bhattacharyya form
    assert age["hellinger"] == pytest.approx(independent, abs=1e-9)
    assert age["total_variation"] == pytest.approx(0.5 * float(np.abs(p - q).sum()), abs=1e-9)
    assert age["hellinger"] < 0.1 and age["total_variation"] < 0.1


def test_standard_deviation_is_shown_beside_the_variance(qtbot, vault, sample):
    from ppds_desktop.ui.prepare.results_step import ResultsStep

    outcome = _research_outcome(vault, sample)
    billing = outcome.report["utility"]["columns"]["Billing Amount"]
    raw = vault.load_dataset(sample.id)["Billing Amount"].to_numpy(dtype=float)
    assert billing["sd_before"] == pytest.approx(float(np.std(raw, ddof=1)))
    assert billing["sd_after"] == pytest.approx(float(np.std(outcome.data["Billing Amount"],
                                                             ddof=1)))
    results = ResultsStep()
    qtbot.addWidget(results)
    results.show_outcome(vault.load_dataset(sample.id), outcome, plain_verdict(vault, outcome))
    table = results.utility_table
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    sd = header.index("Standard deviation before → after")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "Billing Amount")
    assert table.item(row, sd).text().startswith(f"{billing['sd_before']:,.0f} → ")


def test_large_numbers_are_grouped_in_the_users_notation():
    from ppds_desktop.ui.numbers import show_number

    previous = QLocale()
    try:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        assert show_number(46840.0) == "46,840" and show_number(12843.48391) == "12,843"
        assert show_number(0.0036531) == "0.003653" and show_number(1_000_000) == "1,000,000"
        QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
        assert show_number(46840.0) == "46.840" and show_number(0.5177) == "0,5177"
    finally:
        QLocale.setDefault(previous)


def test_error_dialogs_speak_words_not_paths_or_options(qtbot):
    from ppds_desktop.core.errors import InputError, VaultDamaged
    from ppds_desktop.core.recipe import document
    from ppds_desktop.ui.errors import show_error

    with pytest.raises(RecipeError) as caught:
        document.check_identifiers_handled({"columns": {}}, {"SSN": "identifier"})
    box = show_error(None, caught.value)
    assert box.text().startswith("SSN: the recipe says nothing about the identifier column")
    assert "--" not in box.text() and 'columns["' not in box.text()
    box.close()
    box = show_error(None, VaultDamaged("The vault's database is damaged."))
    assert box.informativeText() == "Restore it from a backup."
    box.close()
    box = show_error(None, InputError("Gender needs declared categories.",
                                      hint='CLI: --domain "Gender=A|B|C"'))
    assert box.informativeText() == "" and not problems(box.text())
    box.close()
