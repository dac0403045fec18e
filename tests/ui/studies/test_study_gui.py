"""The Studies page with real widgets and five vaults (a coordinator and four hospitals, 3 of 5
key-share holders): the create-study wizard, joining, the contribute wizard, combining, the
holders' review and answer, finishing and the result view — and the figures equal the pooled
computation done here with pandas and numpy. Also: a holder's review refuses a single-site
request, Cancel during the key ceremony leaves nothing, every input has an accessible name and
no screen shows developer text. Keys are 512 bits for speed (tests only), except where the
ceremony must still be running when Cancel is pressed.

Set ``PPDS_STUDY_SHOTS`` to a folder to save a screenshot of every page on the way (the user
guide's pictures come from there).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox,
                               QApplication, QCheckBox, QComboBox, QGroupBox, QLabel, QLineEdit,
                               QListWidget, QPlainTextEdit, QRadioButton, QTabBar, QTableWidget,
                               QWidget, QWizard, QWizardPage)

from conftest import PASSPHRASE
from ppds_desktop.core.identity import KeyPairs, make_card
from ppds_desktop.core.study.results import number_text
from ppds_desktop.services import dp as dp_service
from ppds_desktop.services import sharing, study
from ppds_desktop.demo import study_scenario as scenario
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.studies.studies_page import StudiesPage

SHOTS = os.environ.get("PPDS_STUDY_SHOTS")
TIMEOUT = 60_000


def shot(name: str, widget: QWidget) -> None:
    if SHOTS:
        from ppds_desktop.ui.theme import apply_theme

        apply_theme(QApplication.instance())
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


# -- what a screen shows ------------------------------------------------------------------------

_INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox, QRadioButton, QListWidget,
           QTableWidget, QPlainTextEdit)


def inputs_without_names(root: QWidget) -> list[str]:
    """Every input (not a spin box's or combo box's own line edit) without an accessible
    name."""
    bad = []
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, _INPUTS) and not w.accessibleName():
            if isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
                continue
            bad.append(f"{type(w).__name__} {w.objectName() or ''}".strip())
    return bad


def unreachable_by_keyboard(root: QWidget) -> list[str]:
    """Buttons and inputs that Tab never reaches."""
    return [f"{type(w).__name__} {w.accessibleName() or getattr(w, 'text', lambda: '')()}"
            for w in root.findChildren(QWidget) if isinstance(w, (*_INPUTS, QAbstractButton))
            and w.isVisibleTo(root)
            and not isinstance(w.parent(), (QAbstractSpinBox, QComboBox, QAbstractItemView,
                                            QTabBar))           # their own parts
            and not w.focusPolicy() & Qt.FocusPolicy.TabFocus]


def visible_texts(root: QWidget) -> list[str]:
    """The texts a user can see on ``root``: labels, buttons, titles, list, table and
    drop-down items, placeholders and tooltips."""
    out = [root.windowTitle()]
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, QLabel):
            out.append(re.sub(r"<[^>]+>", " ", w.text()))
        elif isinstance(w, QAbstractButton):
            out.append(w.text())
        elif isinstance(w, QGroupBox):
            out.append(w.title())
        elif isinstance(w, QListWidget):
            out += [w.item(i).text() for i in range(w.count())]
        elif isinstance(w, QTableWidget):
            out += [w.horizontalHeaderItem(c).text() for c in range(w.columnCount())
                    if w.horizontalHeaderItem(c) is not None]
            out += [w.item(r, c).text() for r in range(w.rowCount())
                    for c in range(w.columnCount()) if w.item(r, c) is not None]
        elif isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())]
        if isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        out.append(w.toolTip())
        if isinstance(w, QWizardPage):
            out += [w.title(), w.subTitle()]
    return [t for t in out if t]


_DEVELOPER = [(re.compile(r"\b[a-z]+_[a-z0-9_]+\b"), "a snake_case name"),
              (re.compile(r"\b\w+=\S"), "key=value"),
              (re.compile(r"[{}]"), "JSON braces"),
              (re.compile(r"(?<!\w)--[a-z]"), "a command-line option"),
              (re.compile(r"\b[0-9a-f]{12,}\b"), "a raw hash or id"),
              (re.compile(r"\b(None|True|False|Traceback)\b"), "a Python word")]


_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\]\S*")     # file paths are the user's own words


def developer_text(root: QWidget) -> list[str]:
    problems = []
    for text in visible_texts(root):
        text = _PATH.sub("", text)
        for pattern, what in _DEVELOPER:
            if pattern.search(text):
                problems.append(f"{what}: {text[:120]!r}")
    return problems


def screen_ok(root: QWidget, name: str) -> None:
    """The checks every new screen passes, and its screenshot."""
    shot(name, root)
    assert inputs_without_names(root) == [], name
    assert unreachable_by_keyboard(root) == [], name
    assert developer_text(root) == [], name


def wizard_page_ok(wizard: QWizard, name: str) -> None:
    screen_ok(wizard, name)
    page = wizard.currentPage()
    assert developer_text(page) == [] and page.title()


# -- five vaults, each with its Studies page ----------------------------------------------------

@pytest.fixture
def five(tmp_path, qtbot, monkeypatch):
    opened = []
    monkeypatch.setattr("ppds_desktop.ui.studies.common.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    sc = scenario.parties(tmp_path / "study", PASSPHRASE, sites=4, rows=120)
    _unverified_contact(sc.coordinator.vault, tmp_path)
    pages = []
    for vault in sc.vaults():
        page = StudiesPage(AppSession(vault))
        page.resize(1200, 820)
        qtbot.addWidget(page)
        page.show()
        pages.append(page)
    sc.opened = opened
    yield sc, pages
    for page in pages:
        for runner in page.session.busy_runners():
            runner.cancel()
            runner.wait_until_idle()
    qtbot.wait(10)
    sc.close()


@pytest.fixture
def files(tmp_path):
    """Where the study's files go: ``tmp_path``, or when making screenshots a folder whose
    path reads well in them."""
    if not SHOTS:
        return tmp_path
    folder = Path(SHOTS) / "Study files"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _unverified_contact(vault, tmp_path) -> None:
    card = make_card(KeyPairs.generate(), identity_id="cd" * 16, display_name="Unknown Clinic",
                     organisation="", created_at="2026-01-01T00:00:00Z")
    path = tmp_path / "unknown.ppdsid"
    path.write_bytes(card.to_bytes())
    sharing.import_contact_card(vault, path)


def idle(qtbot, *runners) -> None:
    qtbot.waitUntil(lambda: not any(r.is_busy for r in runners), timeout=TIMEOUT)


# -- the create-study wizard --------------------------------------------------------------------

def fill_create_wizard(qtbot, page: StudiesPage, sc, folder: Path, *, bits: int,
                       check_screens: bool = False):
    wizard = page.open_create_wizard()
    wizard.key_bits = bits
    ok = wizard_page_ok if check_screens else (lambda *a: None)
    wizard.title_page.study_title.setText("Smoking and BMI")
    ok(wizard, "create-1-title")
    wizard.next()
    parts = wizard.participants_page
    unknown = next(site for c, site, _h in parts.rows if c.name == "Unknown Clinic")
    assert not unknown.isEnabled()           # unverified: shown, but cannot be chosen
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    for site in sc.sites:
        parts.check(site.name, site=True, holder=True)
    parts.threshold.setValue(3)
    assert "Any 3 of these 5 key-share holders must agree" in parts.sentence.text()
    assert not parts.warning.isVisible()
    parts.threshold.setValue(2)
    assert "More than half" in parts.warning.text()
    parts.threshold.setValue(3)
    ok(wizard, "create-2-participants")
    wizard.next()
    variables = wizard.variables_page.editor
    variables.add_variable("Age", "number", unit="years", lower=18, upper=95, decimals=0)
    variables.add_variable("BMI", "number", unit="kg/m²", lower=12, upper=60, decimals=1)
    variables.add_variable("Smoker", "binary")
    variables.add_variable("Sex", "category")
    variables.select("Sex")
    for category in ("female", "male"):
        variables.categories.new.setText(category)
        variables.categories.add_button.click()
    variables.select("BMI")
    assert "from 12.0 to 60.0, kept to 1 decimal" in variables.summary.text()
    ok(wizard, "create-3-variables")
    wizard.next()
    analyses = wizard.analyses_page.editor
    for kind, variable, by in (("count", None, None), ("mean", "Age", None),
                               ("variance", "BMI", "Sex"), ("histogram", "Smoker", None)):
        analyses.choose(kind, variable, by)
        assert analyses.add_current(), analyses.problem.text()
    analyses.choose("linear_regression", outcome="BMI", predictors=("Age", "Smoker"))
    assert analyses.add_current()
    analyses.choose("logistic_regression", outcome="Smoker", predictors=("Age", "BMI"))
    assert analyses.add_current()
    analyses.choose("mean", "Age")
    assert not analyses.add_current() and "already" in analyses.problem.text()
    ok(wizard, "create-4-analyses")
    wizard.next()
    privacy = wizard.privacy_page
    assert privacy.min_sites.value() == 3 and privacy.dp_off.isChecked()
    assert privacy.honest.maximum() == 2      # below the minimum: a site knows its own share
    ok(wizard, "create-5-privacy")
    wizard.next()
    review = wizard.review_page.text.text()
    assert "Any 3 of these 5 key-share holders" in review and "Mean of Age" in review
    ok(wizard, "create-6-review")
    wizard.next()
    wizard.ceremony_page.folder.set_path(folder)
    ok(wizard, "create-7-ceremony")
    return wizard


def create_study(qtbot, page, sc, folder):
    wizard = fill_create_wizard(qtbot, page, sc, folder, bits=512, check_screens=True)
    wizard.next()                                    # the commit: key ceremony on the worker
    idle(qtbot, wizard.runner)
    assert wizard.runner.last_error_box is None, wizard.runner.last_error_box.text()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.done_page, timeout=TIMEOUT)
    wizard_page_ok(wizard, "create-8-done")
    written = wizard.written
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for _n, p in
                                                               written.files)
    assert wizard.done_page.saved.paths() == [p for _n, p in written.files]
    wizard.done_page.saved.show_button.click()
    assert sc.opened == [str(folder)]
    wizard.accept()
    return written


# -- the whole study through the GUI ------------------------------------------------------------

def test_a_study_end_to_end_through_the_gui_gives_the_pooled_figures(files, qtbot, five):
    sc, pages = five
    coordinator, site_pages = pages[0], pages[1:]
    folder = files / "invitations"
    folder.mkdir()
    written = create_study(qtbot, coordinator, sc, folder)
    screen_ok(coordinator, "page-coordinator")
    board = coordinator.board_view
    assert "You coordinate this study and hold key share 1 of 5." in board.summary.text()
    assert [board.participants.item(r, 3).text() for r in range(1, 5)] == [
        "invitation written on " + written.ceremony["created_utc"][:10]] * 4

    invitation = dict(written.files)
    for site, page in zip(sc.sites, site_pages):
        dialog = page.open_join_dialog()
        dialog.file.set_path(invitation[site.name])
        dialog.check()
        qtbot.waitUntil(lambda: dialog.preview is not None, timeout=TIMEOUT)
        assert dialog.warnings.isVisible() and "No pairwise masks" in dialog.warnings.text()
        assert dialog.participants.rowCount() == 5
        assert written.study.fingerprint in dialog.details.text()
        assert "Mean of Age" in dialog.more.text()
        screen_ok(dialog, "join")
        dialog.join_button.click()
        qtbot.waitUntil(lambda: dialog.joined is not None, timeout=TIMEOUT)
        assert page.current_study() == written.study.study_id

    contributions = []
    for k, (site, page) in enumerate(zip(sc.sites, site_pages)):
        wizard = page.do("contribute")
        wizard.dataset_page.select("patients")
        if k == 0:
            wizard_page_ok(wizard, "contribute-1-dataset")
        wizard.next()
        assert wizard.columns_page.mapping() == {v: v for v in ("Age", "BMI", "Smoker", "Sex")}
        if k == 0:
            wizard_page_ok(wizard, "contribute-2-columns")
        wizard.next()
        qtbot.waitUntil(lambda: wizard.preview is not None, timeout=TIMEOUT)
        preview_page = wizard.preview_page
        rows = {preview_page.table.item(r, 0).text(): preview_page.table.item(r, 1).text()
                for r in range(preview_page.table.rowCount())}
        data = sc.data[k]
        female = data.loc[data["Sex"] == "female", "BMI"]
        assert rows["Sum of BMI (Sex is female)"] == f"{female.sum():,.1f}"
        assert rows["Number of records"] == f"{len(data):,}"
        assert "Shown to you only, not sent" in preview_page.stays.text()
        if k == 0:
            wizard_page_ok(wizard, "contribute-3-preview")
        wizard.next()
        out = files / f"contribution-{k}.ppdsb"
        wizard.send_page.file.set_path(out)
        if k == 0:
            wizard_page_ok(wizard, "contribute-4-send")
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentPage() is wizard.done_page, timeout=TIMEOUT)
        if k == 0:
            wizard_page_ok(wizard, "contribute-5-done")
        contributions.append(wizard.sent.path)
        wizard.accept()
        assert not page.board_view.step_buttons["contribute"].isEnabled()

    aggregator = site_pages[0]
    combine = aggregator.do("combine")
    combine.files.add(*contributions)
    combine.out.set_path(files / "request")
    combine.combine_button.click()
    qtbot.waitUntil(lambda: combine.sent is not None, timeout=TIMEOUT)
    request = combine.sent.path
    assert request == files / "request.ppdsb" and request.exists()
    screen_ok(combine, "combine")
    combine.reject()

    answers = []
    for k, page in enumerate([coordinator, site_pages[1], site_pages[3]]):
        review = page.do("review")
        review.request.set_path(request)
        review.check()
        qtbot.waitUntil(lambda: review.review is not None, timeout=TIMEOUT)
        assert review.verdict.text().startswith("✔ Safe to answer")
        assert review.statistics.count() == len(review.review.statistics)
        assert not review.answer_button.isEnabled()        # no file chosen yet
        review.out.set_path(files / f"answer-{k}.ppdsb")
        if k == 0:
            screen_ok(review, "review")
        review.answer_button.click()
        qtbot.waitUntil(lambda: review.answered is not None, timeout=TIMEOUT)
        answers.append(review.answered.path)
        screen_ok(review, f"review-answered-{k}")
        review.reject()

    finisher = site_pages[2]
    finish = finisher.do("finish")
    finish.request.set_path(request)
    finish.answers.add(*answers)
    finish.out.set_path(files / "result.ppdsb")
    finish.finish_button.click()
    qtbot.waitUntil(lambda: finisher.result_dialog is not None, timeout=TIMEOUT)
    screen_ok(finish, "finish")
    result = finish.result
    view = finisher.result_dialog.view
    screen_ok(finisher.result_dialog, "result")
    view.tabs.setCurrentIndex(1)
    screen_ok(finisher.result_dialog, "result-charts")
    assert_pooled(result.figures, scenario.pooled(sc))
    mean_age = scenario.pooled(sc)["Age"].mean()
    table = {view.table.item(r, 1).text(): view.table.item(r, 2).text()
             for r in range(view.table.rowCount())}
    assert table["Mean of Age"] == f"{number_text(mean_age)} years"
    shares = dict((name, i) for i, name in result.decrypted_by)
    assert sorted(shares) == ["Coordinator", "Hillcrest University", "Riverside Memorial"]
    assert "Decrypted by the key-share holders Coordinator (share 1), " in view.summary.text()
    assert all(f"{name} (share {i})" in view.summary.text() for name, i in shares.items())
    assert view.charts and view.chart.is_valid()
    view.export(files / "figures.csv")
    idle(qtbot, view.runner)
    exported = pd.read_csv(files / "figures.csv", encoding="utf-8-sig")
    row = exported[exported["Figure"] == "Mean of Age"].iloc[0]
    assert row["Value"] == pytest.approx(mean_age, rel=1e-12) and row["Unit"] == "years"
    assert view.saved.paths() == [files / "figures.csv"]
    finisher.result_dialog.reject()
    screen_ok(finisher, "page-finisher")
    if SHOTS:                                 # the page in the main window, for the user guide
        from ppds_desktop.ui.main_window import MainWindow

        window = MainWindow(finisher.session)
        qtbot.addWidget(window)
        window.open_page("studies")
        window.show()
        qtbot.waitUntil(lambda: window.page("studies").board_view.board is not None)
        shot("main-window", window)

    # another participant opens the result file; it is checked again there
    other = site_pages[0]
    other.open_result(files / "result.ppdsb")
    qtbot.waitUntil(lambda: other.result_dialog is not None, timeout=TIMEOUT)
    assert other.result_dialog.view.result.figures == result.figures
    other.result_dialog.reject()
    assert other.board_view.results.count() == 1
    assert other.view_result().view.result.figures == result.figures


def assert_pooled(figures: dict, pooled: pd.DataFrame) -> None:
    """The figures equal the pooled computation (pandas and numpy here, no study code)."""
    by_label = {f["label"]: f["value"] for a in figures["analyses"] for f in a["figures"]}
    assert by_label["Number of records"] == len(pooled)
    assert by_label["Mean of Age"] == pytest.approx(pooled["Age"].mean(), rel=1e-12)
    variances = pooled.groupby("Sex")["BMI"].var(ddof=1)
    for sex in ("female", "male"):
        assert by_label[f"Variance of BMI (Sex is {sex})"] == pytest.approx(variances[sex],
                                                                             rel=1e-9)
    counts = pooled["Smoker"].value_counts()
    assert by_label["Smoker is yes"] == counts[1] and by_label["Smoker is no"] == counts[0]
    linear = next(a for a in figures["analyses"] if a["kind"] == "linear_regression")
    x = np.column_stack([np.ones(len(pooled)), pooled["Age"], pooled["Smoker"]])
    beta, *_ = np.linalg.lstsq(x, pooled["BMI"].to_numpy(), rcond=None)
    assert [c["estimate"] for c in linear["coefficients"]] == pytest.approx(list(beta),
                                                                           rel=1e-9)


# -- a holder's review of a single-site request -------------------------------------------------

def test_a_holders_review_refuses_a_single_site_request(tmp_path, qtbot):
    from study_flow_helpers import MAPPING, forge_request

    sc = scenario.build(tmp_path / "one", PASSPHRASE, sites=4, rows=60, bits=512)
    try:
        files = [study.contribute(s.vault, sc.study_id, "patients", MAPPING,
                                  sc.workdir / f"{s.name}.ppdsb").path for s in sc.sites]
        forged = forge_request(sc, sc.sites[0].vault, files[1:2])
        page = StudiesPage(AppSession(sc.sites[2].vault))
        qtbot.addWidget(page)
        page.show()
        review = page.do("review")
        review.request.set_path(forged)
        review.out.set_path(tmp_path / "never.ppdsb")
        review.check()
        qtbot.waitUntil(lambda: review.review is not None, timeout=TIMEOUT)
        assert review.review.sites == [sc.sites[1].name]
        assert review.verdict.text().startswith("✘ Refused:")
        assert "contribution of Riverside Memorial alone" in review.verdict.text()
        assert not review.answer_button.isEnabled()
        assert review.answer() is False and not (tmp_path / "never.ppdsb").exists()
        screen_ok(review, "review-refused")
        review.reject()
    finally:
        sc.close()


def test_with_privacy_noise_the_site_sees_the_noise_and_the_budget_it_spends(tmp_path, qtbot):
    dp = {"epsilon": 1.0, "delta": 1e-6, "honest_sites": 1}
    sc = scenario.build(tmp_path / "dp", PASSPHRASE, sites=3, rows=60, bits=512, min_sites=2,
                        threshold=2, dp=dp)
    try:
        page = StudiesPage(AppSession(sc.sites[0].vault))
        qtbot.addWidget(page)
        page.show()
        wizard = page.do("contribute")
        wizard.dataset_page.select("patients")
        wizard.next()
        wizard.next()
        qtbot.waitUntil(lambda: wizard.preview is not None, timeout=TIMEOUT)
        preview = wizard.preview_page
        assert preview.table.horizontalHeaderItem(1).text() == "Value here (before noise)"
        assert "ε = 1" in preview.noise.text() and "random amount of noise" in \
            preview.noise.text()
        assert "left now" in preview.budget.text()
        wizard_page_ok(wizard, "contribute-3-preview-noise")
        wizard.next()
        wizard.send_page.file.set_path(tmp_path / "c.ppdsb")
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentPage() is wizard.done_page, timeout=TIMEOUT)
        assert "ε = 1 was charged to the privacy budget of “patients”" in \
            wizard.done_page.details.text()
        wizard.accept()
        # a site whose budget is too small sees why, and cannot go on
        dp_service.set_budget(sc.sites[1].vault, "patients", epsilon=3.0, rho=0.001)
        other = StudiesPage(AppSession(sc.sites[1].vault))
        qtbot.addWidget(other)
        wizard = other.do("contribute")
        wizard.dataset_page.select("patients")
        wizard.next()
        wizard.next()
        qtbot.waitUntil(lambda: wizard.preview is not None, timeout=TIMEOUT)
        assert "not enough" in wizard.preview_page.budget.text()
        assert wizard.preview_page.budget.objectName() == "error"
        assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
        wizard.reject()
    finally:
        sc.close()


# -- Cancel during the key ceremony --------------------------------------------------------------

@pytest.mark.parametrize("how", ["the progress strip's Cancel", "the wizard's Cancel"])
def test_cancel_during_the_key_ceremony_leaves_nothing(tmp_path, qtbot, five, how):
    sc, pages = five
    vault = sc.coordinator.vault
    folder = tmp_path / "invitations"
    folder.mkdir()

    def state():
        return [vault._query(f"SELECT COUNT(*) FROM {t}")[0][0]
                for t in ("studies", "study_messages", "secrets", "audit")]

    before = state()
    wizard = fill_create_wizard(qtbot, pages[0], sc, folder, bits=2048)
    runner = wizard.runner
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT):
        wizard.next()                                # the commit starts the ceremony
    assert runner.is_busy and wizard.currentPage() is wizard.ceremony_page
    with qtbot.waitSignal(runner.cancelled, timeout=TIMEOUT):
        if how == "the wizard's Cancel":
            wizard.button(QWizard.WizardButton.CancelButton).click()
            assert wizard.isVisible()                # until the ceremony has unwound
        else:
            wizard.progress.cancel_button.click()
    idle(qtbot, runner)
    assert wizard.written is None and state() == before and list(folder.iterdir()) == []
    assert study.list_studies(vault) == []
    if how == "the wizard's Cancel":
        qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=TIMEOUT)
    else:
        assert wizard.currentPage() is wizard.ceremony_page
        assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()   # may try again
        wizard.reject()


def test_a_draft_made_elsewhere_is_invited_from_the_page_and_joined_unverified(
        tmp_path, qtbot, five, monkeypatch):
    sc, pages = five
    coordinator, site = pages[0], pages[1]
    names = [s.name for s in sc.sites]
    study.create_study(sc.coordinator.vault, "Drafted on the command line", sites=names,
                       holders=names, threshold=3, spec=scenario.spec())
    coordinator.refresh()
    assert list(coordinator.board_view.step_buttons) == ["invite"]
    assert "Draft: the invitations have not been sent yet." in \
        coordinator.board_view.summary.text()
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr("ppds_desktop.ui.studies.studies_page.QFileDialog.getExistingDirectory",
                        lambda *a, **k: str(folder))
    coordinator.key_bits = 512
    coordinator.board_view.step_buttons["invite"].click()
    qtbot.waitUntil(lambda: coordinator.invited_box is not None, timeout=TIMEOUT)
    screen_ok(coordinator.invited_box, "invited")
    assert len(list(folder.iterdir())) == 4
    assert "combine" in coordinator.board_view.step_buttons

    # the first site knows the coordinator only from an unverified card
    card = sharing.export_identity_card(sc.coordinator.vault, tmp_path / "c.ppdsid")
    sharing.remove_contact(sc.sites[0].vault, "Coordinator")
    sharing.import_contact_card(sc.sites[0].vault, card)
    dialog = site.open_join_dialog()
    dialog.file.set_path(next(p for p in folder.iterdir() if sc.sites[0].name.replace(" ", "-")
                              in p.name))
    dialog.check()
    qtbot.waitUntil(lambda: dialog.accept_unverified.isVisible(), timeout=TIMEOUT)
    assert dialog.status.text().startswith("✘ ") and "not verified" in dialog.status.text()
    assert not dialog.join_button.isEnabled()
    screen_ok(dialog, "join-unverified")
    dialog.accept_unverified.setChecked(True)              # checks again at once
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=TIMEOUT)
    known = [dialog.participants.item(r, 3).text() for r in range(5)]
    assert known[0] == "your unverified contact" and "you" in known
    dialog.join_button.click()
    qtbot.waitUntil(lambda: dialog.joined is not None, timeout=TIMEOUT)


def test_a_wrong_file_is_one_clear_line_and_nothing_is_written(tmp_path, qtbot, five):
    sc, pages = five
    folder = tmp_path / "inv"
    folder.mkdir()
    written = create_study(qtbot, pages[0], sc, folder)
    combine = pages[0].do("combine")
    combine.files.add(written.files[0][1])                  # an invitation, not a contribution
    combine.out.set_path(tmp_path / "request.ppdsb")
    combine.combine_button.click()
    idle(qtbot, combine.runner)
    box = combine.runner.last_error_box
    assert box is not None and "\n" not in box.text() and "not a recipient" in box.text()
    assert "Unexpected" not in box.windowTitle() and not (tmp_path / "request.ppdsb").exists()
    assert combine.sent is None and combine.combine_button.isEnabled()
    box.close()
    combine.reject()


def test_the_studies_page_is_registered_with_a_shortcut():
    from ppds_desktop.ui.pages import ordered_pages

    keys = [spec.key for spec in ordered_pages()]
    assert "studies" in keys and keys.index("studies") < 9       # Ctrl+1 … Ctrl+9


def test_without_an_identity_the_page_says_what_to_do_first(qtbot, vault):
    page = StudiesPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    assert page.no_identity.isVisible() and not page.new_button.isEnabled()
    screen_ok(page, "page-no-identity")
