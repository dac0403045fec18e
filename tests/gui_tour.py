"""A tour of every page, wizard page and dialog of the app with realistic data, writing a PNG of
each screen and recording the text visible on it (see ``tests/test_gui_tour.py``).

Two vaults take part: a hospital's ("Northbrook General", with the bundled demo sample) and a
partner's ("Riverside Memorial") that receives a release; a third small world (three hospitals,
a collector and a key holder, ``demo.he_scenario``) shows the encrypted aggregation.
Nothing here opens a file dialog: every step passes its file names to the app's own methods.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from visible_text import unnamed_inputs, visible_texts

PASSPHRASE = "tour passphrase 123"
SITE, PARTNER = "Northbrook General", "Riverside Memorial"
SIZE = (1280, 800)


class Tour:
    def __init__(self, qtbot, folder: Path):
        self.qtbot = qtbot
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.texts: dict[str, list[tuple[str, str]]] = {}
        self.unnamed: dict[str, list[str]] = {}

    def shot(self, widget: QWidget, name: str) -> Path:
        """A PNG of ``widget``'s window and the text visible on it."""
        window = widget.window()
        for _ in range(3):
            QApplication.processEvents()
        path = self.folder / f"{name}.png"
        window.grab().save(str(path))
        self.texts[name] = visible_texts(window)
        self.unnamed[name] = unnamed_inputs(window)
        return path

    def shot_modal(self, name: str, trigger) -> None:
        """Shoot the modal dialog ``trigger`` opens with ``exec()`` and close it."""
        def grab():
            dialog = QApplication.activeModalWidget()
            if dialog is None:
                QTimer.singleShot(20, grab)
                return
            self.shot(dialog, name)
            dialog.close()
        QTimer.singleShot(0, grab)
        trigger()

    def wait(self, condition, timeout: int = 120_000) -> None:
        self.qtbot.waitUntil(condition, timeout=timeout)

    def shot_file_box(self, owner, name: str) -> None:
        """Shoot the "file saved" confirmation ``owner`` showed (once it is there), then
        close it."""
        self.wait(lambda: getattr(owner, "file_box", None) is not None)
        self.shot(owner.file_box, name)
        owner.file_box.close()


def _window(qtbot, session):
    from ppds_desktop.ui.main_window import MainWindow

    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    return window


def _vault(folder: Path):
    from ppds_desktop.core.vault import Vault

    vault, _recovery = Vault.create(folder / "site.vault", PASSPHRASE)
    return vault


def run_tour(qtbot, tmp_path: Path, folder: Path) -> Tour:
    from bundle_helpers import introduce
    from ppds_desktop.paths import sample_csv
    from ppds_desktop.services.datasets import import_file
    from ppds_desktop.ui.session import AppSession

    from ppds_desktop.ui.theme import apply_theme
    from PySide6.QtGui import QPalette

    app = QApplication.instance()
    old_palette, old_sheet = QPalette(app.palette()), app.styleSheet()
    apply_theme(app)                 # as the app looks (run_app applies the same theme)
    tour = Tour(qtbot, folder)
    site = _vault(tmp_path / "site")
    partner = _vault(tmp_path / "partner")
    import_file(site, sample_csv(), name="Sample admissions")
    introduce(site, SITE, partner, PARTNER, tmp_path)
    session = AppSession(site, vault_path=site.path)
    window = _window(qtbot, session)
    try:
        _entry_screens(tour, tmp_path)
        _datasets(tour, window)
        _import(tour, window)
        _prepare(tour, window)
        _dp(tour, window)
        _sharing(tour, window, partner, tmp_path)
        _he(tour, qtbot, tmp_path)
        _audit_settings_help(tour, window)
    finally:
        for widget in QApplication.topLevelWidgets():      # nothing of the tour stays open
            if widget.isVisible():
                widget.close()
        session.lock()
        partner.lock()
        app.setStyleSheet(old_sheet)
        app.setPalette(old_palette)
    return tour


# -- before the main window --------------------------------------------------------------------

def _entry_screens(tour: Tour, tmp_path: Path) -> None:
    from ppds_desktop.ui.first_run import PAGE_CREATE, FirstRunWizard
    from ppds_desktop.ui.unlock import UnlockWindow

    unlock = UnlockWindow(tmp_path / "site" / "site.vault")
    tour.qtbot.addWidget(unlock)
    unlock.show()
    tour.shot(unlock, "unlock")
    recovery = unlock.open_recovery()
    tour.shot(recovery, "unlock-recovery-key")
    recovery.close()
    unlock.close()

    wizard = FirstRunWizard(default_path=tmp_path / "new" / "new.vault")
    tour.qtbot.addWidget(wizard)
    wizard.show()
    tour.shot(wizard, "first-run-1-welcome")
    wizard.next()
    create = wizard.page(PAGE_CREATE)
    create.fields.passphrase.setText("maple orbit lantern quiet seventy")
    create.fields.confirm.setText("maple orbit lantern quiet seventy")
    tour.shot(wizard, "first-run-2-create")
    wizard.next()
    tour.wait(lambda: wizard.vault is not None)
    tour.shot(wizard, "first-run-3-recovery-key")
    wizard.vault.lock()
    wizard.set_locked_in(False)
    wizard.close()


# -- datasets and import -----------------------------------------------------------------------

def _datasets(tour: Tour, window) -> None:
    page = window.open_page("datasets")
    tour.wait(lambda: page._loaded_uid is not None)
    tour.shot(window, "datasets-data")
    page.tabs.setCurrentIndex(1)
    tour.shot(window, "datasets-columns")
    page.tabs.setCurrentIndex(2)
    tour.shot(window, "datasets-details")
    page.tabs.setCurrentIndex(0)
    dest = tour.folder.parent / "export" / "sample-admissions.csv"
    dest.parent.mkdir(exist_ok=True)
    tour.shot_modal("datasets-export-question", lambda: page.export_current(str(dest)))
    page.export_current(str(dest), confirm=False)
    tour.shot_file_box(page, "datasets-exported")


def _import(tour: Tour, window) -> None:
    from ppds_desktop.paths import sample_csv

    wizard = window.open_import_wizard()
    tour.qtbot.addWidget(wizard)
    wizard.file_page.path.setText(str(sample_csv()))
    tour.shot(wizard, "import-1-file")
    wizard.next()
    tour.wait(lambda: wizard.preview_page.isComplete())
    tour.shot(wizard, "import-2-preview")
    wizard.next()
    tour.wait(lambda: wizard.roles_page.isComplete())
    tour.shot(wizard, "import-3-roles")
    wizard.next()
    tour.shot(wizard, "import-4-name")
    wizard.next()
    tour.wait(lambda: wizard.import_page.isComplete())
    tour.wait(lambda: not wizard.runner.is_busy)
    tour.shot(wizard, "import-5-done")
    wizard.button(QWizard.WizardButton.FinishButton).click()


# -- Prepare release ---------------------------------------------------------------------------

def _prepare(tour: Tour, window) -> None:
    from ppds_desktop.core.recipe.presets import HIPAA, RESEARCH

    page = window.open_page("prepare")
    page.select_dataset("Sample admissions")
    tour.shot(window, "prepare-1-dataset")
    page.next()
    tour.wait(lambda: page.steps.currentIndex() == 1)
    page.preset_buttons[HIPAA].setChecked(True)
    tour.shot(window, "prepare-2-preset")
    _prepare_steps(tour, window, page, "hipaa")
    tour.shot(window, "prepare-results-hipaa-risk-banner")
    rs = page.results_step
    rs.tabs.setCurrentIndex(rs.checklist_index)
    tour.shot(window, "prepare-results-hipaa-checklist")

    page.go(1)
    page.preset_buttons[RESEARCH].setChecked(True)
    page.advanced.setChecked(True)              # the tour visits the expert pages too
    _prepare_steps(tour, window, page, "research")
    for index, name in enumerate(("before-after", "risk", "utility", "alternatives")):
        rs.tabs.setCurrentIndex(index)
        if name == "utility":
            rs.histogram_column.setCurrentText("Age")
        tour.shot(window, f"prepare-results-{name}")
    rs.tabs.setCurrentIndex(0)
    page.release_name.setText("Admissions for Riverside")
    with tour.qtbot.waitSignal(page.runner.finished, timeout=120_000):
        page.save_button.click()
    tour.shot(window, "prepare-saved")
    page.export_data(tour.folder.parent / "export" / "admissions-released.csv")
    tour.shot_file_box(page, "prepare-exported-confirmation")
    wizard = page.share_release()
    tour.shot(wizard, "prepare-share-this-release")
    wizard.close()


def _prepare_steps(tour: Tour, window, page, preset: str) -> None:
    """From the preset step to the results, shooting each step once (the research run)."""
    page.next()
    if preset == "research":
        tour.shot(window, "prepare-3-columns")
        columns = page.columns_step               # typed editors for the settings
        for column, name in (("SSN", "mask"), ("Date of Admission", "date_shift"),
                             ("Age", "generalize")):
            original = columns.action_of(column)
            columns.action_combo(column).setCurrentIndex(
                columns.action_combo(column).findData(name))
            tour.shot(window, f"prepare-3-columns-{name.replace('_', '-')}-settings")
            columns.set_action(column, original["type"],
                               {k: v for k, v in original.items() if k != "type"})
        columns.table.setCurrentCell(0, 0)
    page.next()
    if preset == "research":
        tour.shot(window, "prepare-4-model")
    while page.steps.currentIndex() < page.run_index:
        page.next()
        if preset == "research" and page.steps.currentIndex() < page.run_index:
            title = page.titles[page.steps.currentIndex()].split(". ", 1)[1]
            tour.shot(window, "prepare-5-" + title.split(" (")[0].lower().replace(" ", "-"))
    if preset == "research":
        tour.shot(window, "prepare-6-run")
    with tour.qtbot.waitSignal(page.runner.finished, timeout=120_000):
        page.next()
    tour.wait(lambda: page.steps.currentIndex() == page.results_index)


# -- differential privacy ----------------------------------------------------------------------

def _dp(tour: Tour, window) -> None:
    from PySide6.QtCore import Qt

    page = window.open_page("dp_statistics")
    page.dataset_combo.setCurrentIndex(page.dataset_combo.findText("Sample admissions"))
    page.budget.epsilon.setValue(1.0)
    page.budget.apply()
    page.statistic_combo.setCurrentIndex(page.statistic_combo.findData("mean"))
    page.column_combo.setCurrentText("Billing Amount")
    for i in range(page.group_list.count()):
        if page.group_list.item(i).text() == "Gender":
            page.group_list.item(i).setCheckState(Qt.CheckState.Checked)
    tour.shot(window, "dp-1-question")
    page._next()
    page.lo_edit.setText("0")
    page.hi_edit.setText("60000")
    page.domain_edits["Gender"].setText("Female|Male")
    tour.shot(window, "dp-2-bounds")
    page._next()
    page.epsilon_spin.setValue(0.5)
    tour.shot(window, "dp-3-privacy")
    with tour.qtbot.waitSignal(page.runner.finished, timeout=120_000):
        page._next()
    tour.shot(window, "dp-4-results")
    page.export_results(str(tour.folder.parent / "export" / "dp-results.csv"))
    tour.shot_file_box(page, "dp-4-results-exported")
    page.go(2)
    page.epsilon_spin.setValue(page.epsilon_spin.maximum())
    if page.next_button.isEnabled():
        with tour.qtbot.waitSignal(page.runner.ended, timeout=120_000):
            page._next()
        box = page.runner.last_error_box
        if box is not None and box.isVisible():
            tour.shot(box, "dp-error-budget")
            box.close()
    tour.shot(window, "dp-3-privacy-after-spending")


# -- identity, contacts, share and open bundles ------------------------------------------------

def _sharing(tour: Tour, window, partner, tmp_path: Path) -> None:
    from ppds_desktop.ui.session import AppSession

    page = window.open_page("sharing")
    tour.shot(window, "sharing-identity-contacts")
    page.select_contact(PARTNER)
    page._verify_clicked()
    tour.shot(page.compare_dialog, "sharing-verify-fingerprint")
    page.compare_dialog.close()

    wizard = page.open_share_wizard()
    tour.qtbot.addWidget(wizard)
    wizard.source_page.select("Admissions for Riverside")
    tour.shot(wizard, "share-1-what")
    wizard.next()
    wizard.recipients_page.check(PARTNER)
    tour.shot(wizard, "share-2-recipients")
    wizard.next()
    bundle = tmp_path / "admissions-for-riverside.ppdsb"
    wizard.summary_page.path.setText(str(bundle))
    tour.shot(wizard, "share-3-summary")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    tour.wait(lambda: wizard.result is not None)
    tour.shot_file_box(wizard, "share-4-sealed")

    other = _window(tour.qtbot, AppSession(partner, vault_path=partner.path))
    their = other.open_page("sharing")
    opener = their.open_bundle_wizard()
    tour.qtbot.addWidget(opener)
    opener.file_page.path.setText(str(bundle))
    tour.shot(opener, "open-1-file")
    opener.next()
    tour.wait(lambda: opener.opened is not None)
    tour.shot(opener, "open-2-verified")
    with tour.qtbot.waitSignal(other.session.datasets_changed, timeout=60_000):
        opener.button(QWizard.WizardButton.FinishButton).click()
    received = other.open_page("datasets")
    tour.wait(lambda: received._loaded_uid is not None)
    tour.shot(other, "partner-datasets-received")
    received.tabs.setCurrentIndex(2)
    tour.shot(other, "partner-datasets-received-details")
    other.close()


# -- encrypted aggregation ---------------------------------------------------------------------

def _he(tour: Tour, qtbot, tmp_path: Path) -> None:
    from ppds_desktop.demo import he_scenario
    from ppds_desktop.ui.session import AppSession

    world = he_scenario.build(tmp_path / "he", PASSPHRASE, rows=40)
    try:
        hospital = _window(qtbot, AppSession(world.hospitals[0].vault))
        page = hospital.open_page("he")
        tour.shot(hospital, "he-role-question")
        page.set_role("site")
        tour.shot(hospital, "he-site")
        hospital.close()

        collector = _window(qtbot, AppSession(world.collector.vault))
        page = collector.open_page("he")
        page.set_role("collector")
        for path in world.bundles:
            page.compute_tab.add_bundle(path)
        page.compute_tab.query.setText("mean Billing Amount by Medical Condition")
        request = tmp_path / "request.ppdsb"
        page.compute_tab.compute(request)
        tour.wait(lambda: getattr(page.compute_tab, "file_box", None) is not None)
        page.compute_tab.file_box.close()
        page.tabs.setCurrentWidget(page.compute_tab)
        tour.shot(collector, "he-collector-compute")

        holder = _window(qtbot, AppSession(world.key_holder.vault))
        hpage = holder.open_page("he")
        hpage.set_role("key_holder")
        hpage.tabs.setCurrentWidget(hpage.answer_tab)
        with qtbot.waitSignal(holder.session.runner.finished, timeout=120_000):
            hpage.answer_tab.load_request(request)
        hpage.answer_tab.min_records.setValue(5)
        hpage.answer_tab.use_dp.setChecked(False)
        tour.shot(holder, "he-key-holder-review")
        result = tmp_path / "result.ppdsb"
        hpage.answer_tab.answer(result)
        tour.shot_file_box(hpage.answer_tab, "he-key-holder-answer-saved")
        tour.shot(holder, "he-key-holder-answered")
        hpage.tabs.setCurrentWidget(hpage.keys_tab)
        tour.shot(holder, "he-key-holder-keys")
        holder.close()

        page.tabs.setCurrentWidget(page.result_tab)
        with qtbot.waitSignal(collector.session.runner.finished, timeout=120_000):
            page.result_tab.load_result(result)
        tour.shot(collector, "he-collector-results")
        page.result_tab.export_results(str(tmp_path / "aggregation-result.csv"))
        tour.shot_file_box(page.result_tab, "he-collector-results-exported")
        collector.close()
    finally:
        world.close()


# -- audit, settings, help ---------------------------------------------------------------------

def _audit_settings_help(tour: Tour, window) -> None:
    window.open_page("audit")
    tour.shot(window, "audit")
    settings = window.open_page("settings")
    tour.shot(window, "settings")
    dialog = settings.change_passphrase()
    tour.shot(dialog, "settings-change-passphrase")
    dialog.close()
    settings.back_up(str(tour.folder.parent / "export" / "site-backup.vault"))
    tour.shot_file_box(settings, "settings-backup-saved")
    guide = window.show_user_guide()
    tour.shot(guide, "help-user-guide")
    guide.close()
    box = window.show_shortcuts()
    tour.shot(box, "help-shortcuts")
    box.close()
    box = window.show_about()
    tour.shot(box, "help-about")
    box.close()
