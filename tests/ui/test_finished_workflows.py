"""Issue 14, part 3 ("Finished workflows"): every step ends somewhere the user can see and go
on from — a confirmation naming the file, Share after Save, one Finish, Export on every result,
what kind of data each dataset is, expert pages only on request, the DP precision before
spending, the aggregation page starting from the user's role, the same wizard buttons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGroupBox, QWizard

from bundle_helpers import introduce
from ux_helpers import dp_count_page, import_sample, prepare_wizard
from ppds_desktop.core.dp import ledger
from ppds_desktop.ui.session import AppSession


@pytest.fixture
def sample(vault):
    return import_sample(vault)


@pytest.fixture
def opened_folders(monkeypatch):
    """What "Show in folder" asked the system to open (nothing is opened in tests)."""
    opened = []
    monkeypatch.setattr("ppds_desktop.ui.widgets.file_written.QDesktopServices.openUrl",
                        lambda url: opened.append(Path(url.toLocalFile())) or True)
    return opened


def _show_in_folder(box, opened, path: Path) -> None:
    """The box names the file and its folder; its Show in folder opens that folder."""
    assert box.isVisible() and path.name in box.text()
    assert str(path.resolve().parent) in box.informativeText()
    QTest.keyClick(box, Qt.Key.Key_Escape)                   # Esc dismisses it…
    assert not box.isVisible()
    box.open()                                               # …and Show in folder works
    button = next(b for b in box.buttons() if b.objectName() == "showInFolder")
    button.click()
    assert opened[-1] == path.resolve().parent


def _to_results(qtbot, w):
    while w.steps.currentIndex() < w.run_index:
        w.next()
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        w.next()
    assert w.steps.currentIndex() == w.results_index


# -- confirmation with path and Show in folder ---------------------------------------------------

def test_every_file_written_is_confirmed_with_show_in_folder(qtbot, vault, sample, tmp_path,
                                                             opened_folders):
    from ppds_desktop.ui.datasets_page import DatasetsPage
    from ppds_desktop.ui.settings_page import SettingsPage

    session = AppSession(vault)
    w = prepare_wizard(qtbot, vault)
    _to_results(qtbot, w)
    w.export_report(tmp_path / "report.html")
    _show_in_folder(w.file_box, opened_folders, tmp_path / "report.html")
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        w.export_data(tmp_path / "released.csv")
    _show_in_folder(w.file_box, opened_folders, tmp_path / "released.csv")
    assert len(pd.read_csv(tmp_path / "released.csv")) == len(w.state.outcome.data)
    w.save_recipe(tmp_path / "recipe.json")
    _show_in_folder(w.file_box, opened_folders, tmp_path / "recipe.json")

    page = DatasetsPage(session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(session.runner.finished, timeout=60_000):
        page.export_current(str(tmp_path / "raw.csv"), confirm=False)
    _show_in_folder(page.file_box, opened_folders, tmp_path / "raw.csv")

    settings = SettingsPage(session)
    qtbot.addWidget(settings)
    with qtbot.waitSignal(session.runner.finished, timeout=60_000):
        settings.back_up(str(tmp_path / "backup.vault"))
    _show_in_folder(settings.file_box, opened_folders, tmp_path / "backup.vault")


def test_sealing_says_where_the_bundle_is(qtbot, vault, sample, tmp_path, opened_folders):
    from ppds_desktop.core.vault import Vault
    from ppds_desktop.ui.share.share_wizard import ShareWizard

    partner, _ = Vault.create(tmp_path / "partner" / "p.vault", "partner passphrase 1")
    introduce(vault, "Site A", partner, "Site B", tmp_path)
    wizard = ShareWizard(AppSession(vault))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.source_page.select("Sample admissions")
    wizard.next()
    wizard.recipients_page.check("Site B")
    wizard.next()
    wizard.summary_page.path.setText(str(tmp_path / "out.ppdsb"))
    wizard.summary_page.allow_identifiers.setChecked(True)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=30_000)
    _show_in_folder(wizard.file_box, opened_folders, tmp_path / "out.ppdsb")
    assert "Only Site B can open it" in wizard.file_box.informativeText()
    partner.lock()


# -- Save release → Share this release -----------------------------------------------------------

def test_a_saved_release_leads_on_to_sharing_it(qtbot, vault, sample, tmp_path, monkeypatch):
    from ppds_desktop.core.vault import Vault

    w = prepare_wizard(qtbot, vault)
    _to_results(qtbot, w)
    assert not w.share_button.isVisible()
    w.release_name.setText("For site B")
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        w.save_button.click()
    assert w.share_button.isVisible()
    assert w.share_button.text().replace("&", "") == "Share this release…"

    assert w.share_release() is None                        # no identity yet: says what to do
    assert w.share_box.isVisible() and "identity first" in w.share_box.text()
    w.share_box.close()

    partner, _ = Vault.create(tmp_path / "partner" / "p.vault", "partner passphrase 1")
    introduce(vault, "Site A", partner, "Site B", tmp_path)
    wizard = w.share_release()
    qtbot.addWidget(wizard)
    assert wizard.isVisible() and wizard.source_page.target().name == "For site B"
    assert wizard.source_page.isComplete()
    partner.lock()


# -- one Finish after an import ------------------------------------------------------------------

def test_import_ends_with_one_finish(qtbot, vault):
    from ppds_desktop.paths import sample_csv
    from ppds_desktop.ui.import_wizard import ImportWizard

    wizard = ImportWizard(AppSession(vault))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(sample_csv()))
    wizard.next()
    qtbot.waitUntil(wizard.preview_page.isComplete, timeout=30_000)
    wizard.next()
    qtbot.waitUntil(wizard.roles_page.isComplete, timeout=30_000)
    wizard.next()
    assert wizard.button(QWizard.WizardButton.CancelButton).isVisible()   # before: can stop
    wizard.next()
    qtbot.waitUntil(wizard.import_page.isComplete, timeout=60_000)
    visible = [b for b in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                           QWizard.WizardButton.CancelButton, QWizard.WizardButton.FinishButton)
               if wizard.button(b).isVisible()]
    assert visible == [QWizard.WizardButton.FinishButton]
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


# -- Export on every results view ----------------------------------------------------------------

def test_dp_results_export(qtbot, vault, sample, tmp_path, opened_folders):
    page = dp_count_page(qtbot, vault, 1.0)
    with qtbot.waitSignal(page.runner.finished, timeout=30_000):
        page.next_button.click()
    assert page.export_button.isVisible()
    page.export_results(str(tmp_path / "dp.csv"))
    exported = pd.read_csv(tmp_path / "dp.csv")
    assert list(exported.columns) == ["value", "ci95_low", "ci95_high"] and len(exported) == 1
    _show_in_folder(page.file_box, opened_folders, tmp_path / "dp.csv")


def test_aggregation_results_export(qtbot, tmp_path, opened_folders):
    from conftest import PASSPHRASE
    from ppds_desktop.demo import he_scenario
    from ppds_desktop.services import he
    from ppds_desktop.ui.he.he_page import HomomorphicPage

    world = he_scenario.build(tmp_path / "world", PASSPHRASE, rows=30)
    try:
        contributions = [he.contribution_from_bundle(world.collector.vault, p)
                         for p in world.bundles]
        request = he.compute_request(world.collector.vault, contributions,
                                     "sum Billing Amount by Gender")
        he.send_request(world.collector.vault, request, tmp_path / "req.ppdsb")
        opened, sender = he.open_request(world.key_holder.vault, tmp_path / "req.ppdsb")
        he.answer_and_send(world.key_holder.vault, opened, sender, tmp_path / "res.ppdsb",
                           min_records=1)
        page = HomomorphicPage(AppSession(world.collector.vault))
        qtbot.addWidget(page)
        page.show()
        page.set_role("collector")
        tab = page.result_tab
        page.tabs.setCurrentWidget(tab)
        assert not tab.export_button.isEnabled()
        with qtbot.waitSignal(page.session.runner.finished, timeout=60_000):
            tab.load_result(tmp_path / "res.ppdsb")
        assert tab.export_button.isEnabled() and tab.export_button.isVisible()
        tab.export_results(str(tmp_path / "sums.csv"))
        exported = pd.read_csv(tmp_path / "sums.csv")
        assert set(exported["Gender"]) == {"Female", "Male"}
        _show_in_folder(tab.file_box, opened_folders, tmp_path / "sums.csv")
    finally:
        world.close()


# -- the kind of each dataset --------------------------------------------------------------------

def test_datasets_show_their_kind_and_identifier_status(qtbot, vault, sample, tmp_path):
    from ppds_desktop.core.vault import Vault
    from ppds_desktop.services import release, sharing
    from ppds_desktop.ui.datasets_page import DatasetsPage
    from ppds_desktop.ui.share.share_wizard import ShareWizard

    roles, kinds = release.column_hints(None, vault, sample.id)
    outcome = release.run_release(vault, sample.id, release.recipe_for_preset(
        "research_k_anonymity", vault.load_dataset(sample.id), roles, kinds))
    release.save_release(vault, outcome, "Safe release")
    partner, _ = Vault.create(tmp_path / "partner" / "p.vault", "partner passphrase 1")
    introduce(vault, "Site A", partner, "Site B", tmp_path)
    sharing.seal_for_contacts(vault, "Safe release", ["Site B"], tmp_path / "b.ppdsb")
    sharing.open_into_vault(partner, tmp_path / "b.ppdsb")

    page = DatasetsPage(AppSession(vault))
    qtbot.addWidget(page)
    items = {page.list.item(i).text().splitlines()[0]: page.list.item(i)
             for i in range(page.list.count())}
    raw, out = items["Sample admissions"], items["Safe release"]
    assert raw.text().splitlines()[1] == "Raw data · has direct identifiers"
    assert out.text().splitlines()[1] == "Release · no direct identifiers"
    assert not raw.icon().isNull() and raw.icon().cacheKey() != out.icon().cacheKey()
    assert "Name, Phone, Email, SSN" in raw.toolTip()

    theirs = DatasetsPage(AppSession(partner))
    qtbot.addWidget(theirs)
    received = theirs.list.item(0)
    assert received.text().splitlines()[1] == "Received from Site A · no direct identifiers"

    wizard = ShareWizard(AppSession(vault))
    qtbot.addWidget(wizard)
    lines = [wizard.source_page.list.item(i).text() for i in range(wizard.source_page.list.count())]
    assert "Safe release\nDe-identified release · no direct identifiers" in lines
    assert ("Sample admissions\nRaw data · has direct identifiers: Name, Phone, Email, SSN"
            in lines)
    assert all(not wizard.source_page.list.item(i).icon().isNull()
               for i in range(wizard.source_page.list.count()))
    partner.lock()


# -- expert pages behind Advanced ----------------------------------------------------------------

def test_expert_pages_only_with_advanced(qtbot, vault, sample):
    w = prepare_wizard(qtbot, vault)
    assert not w.advanced.isChecked()
    w.next()
    w.next()
    assert w.steps.currentIndex() == 3                       # privacy model
    w.next()
    assert w.steps.currentIndex() == w.run_index             # no perturbation, no encryption
    assert w.title.text() == "5. Check and run"
    w.back()
    assert w.steps.currentIndex() == 3
    w.go(1)
    w.advanced.setChecked(True)
    w.next()
    w.next()
    w.next()
    assert w.titles[w.steps.currentIndex()].endswith("Perturbation (optional)")


# -- DP: the precision before spending, ε capped at what remains ---------------------------------

def test_dp_page_shows_the_interval_before_spending_and_caps_epsilon(qtbot, vault, sample):
    page = dp_count_page(qtbot, vault, 0.6)
    page.epsilon_spin.setValue(0.25)
    shown = page.precision_label.text()
    assert shown.startswith("Each count will be within ±") and page.precision_label.isVisible()
    promised = int(shown.split("±")[1].split()[0])
    assert ledger.budget_status(vault, "Sample admissions").epsilon_spent == 0   # nothing spent
    with qtbot.waitSignal(page.runner.finished, timeout=30_000):
        page.next_button.click()
    row = page.last.result.rows[0]
    assert row["ci_high"] - row["value"] == promised             # the interval it released
    page.go(2)
    assert page.epsilon_spin.maximum() == pytest.approx(0.35)     # what remains
    page.epsilon_spin.setValue(5)
    assert page.epsilon_spin.value() == pytest.approx(0.35)
    ledger.set_budget(vault, "Sample admissions", epsilon=0.25)   # all of it spent
    page.budget.refresh()
    page.go(2)
    assert not page.next_button.isEnabled() and "Nothing is left" in page.run_blocker.text()


# -- the aggregation page starts from the user's role --------------------------------------------

def test_aggregation_page_asks_the_role_first(qtbot, vault):
    from ppds_desktop.ui.he.he_page import ROLE_SETTING, HomomorphicPage

    page = HomomorphicPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    assert "What is your role here?" in [box.title() for box in page.findChildren(QGroupBox)]
    assert not page.tabs.isVisible() and page.choose_hint.isVisible()

    def shown():
        return [page.tabs.tabText(i) for i in range(page.tabs.count())
                if page.tabs.isTabVisible(i)]
    page.role_buttons["key_holder"].click()
    assert page.tabs.isVisible() and shown() == ["Answer a request", "Keys"]
    page.role_buttons["collector"].click()
    assert shown() == ["Compute", "Results"]
    page.role_buttons["site"].click()
    assert shown() == ["Contribute"]
    assert vault.get_setting(ROLE_SETTING) == "site"
    again = HomomorphicPage(AppSession(vault))                     # remembered for this vault
    qtbot.addWidget(again)
    assert again.role == "site" and again.role_buttons["site"].isChecked()


# -- the same wizard buttons everywhere ----------------------------------------------------------

def test_every_wizard_has_the_same_buttons(qtbot, vault, tmp_path):
    from ppds_desktop.ui.first_run import FirstRunWizard
    from ppds_desktop.ui.import_wizard import ImportWizard
    from ppds_desktop.ui.share.open_wizard import OpenBundleWizard
    from ppds_desktop.ui.share.share_wizard import ShareWizard

    session = AppSession(vault)
    wizards = [ImportWizard(session), ShareWizard(session), OpenBundleWizard(session),
               FirstRunWizard(default_path=tmp_path / "v.vault")]
    for wizard in wizards:
        qtbot.addWidget(wizard)
    styles = {w.wizardStyle() for w in wizards}
    assert len(styles) == 1
    for wizard in wizards:
        texts = {b: wizard.buttonText(b) for b in (QWizard.WizardButton.BackButton,
                                                   QWizard.WizardButton.NextButton,
                                                   QWizard.WizardButton.CancelButton)}
        assert texts == {QWizard.WizardButton.BackButton: "< &Back",
                         QWizard.WizardButton.NextButton: "&Next >",
                         QWizard.WizardButton.CancelButton: "Cancel"}, type(wizard).__name__
        assert wizard.testOption(QWizard.WizardOption.NoBackButtonOnStartPage)
    finish = {type(w).__name__: w.buttonText(QWizard.WizardButton.FinishButton) for w in wizards}
    assert finish["ImportWizard"] == "&Finish"
    assert finish["ShareWizard"] == "&Seal and save" and finish["OpenBundleWizard"] == "&Import"
