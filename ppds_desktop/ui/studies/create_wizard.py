"""The create-study wizard (coordinator): title → participants and roles → variables →
analyses → sites and privacy → review in sentences → key ceremony and invitations → done.

Nothing is stored until the last step: the key ceremony runs on the wizard's worker with
progress and Cancel, and the study, its key share and the invitation files are written
together by ``services.study.create_and_invite`` — Cancel or a failure leaves none of them.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QGridLayout, QHBoxLayout, QLabel, QLineEdit, QRadioButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget, QWizard,
                               QWizardPage)

from ...core.errors import PPDSError
from ...services import sharing, study
from ...services.study_common import DEFAULT_KEY_BITS
from ...services.study_words import (DELTA_HELP, DELTAS, EPSILON_HELP, HONEST_SITES_HELP,
                                     MASKS_HELP, MIN_SITES_HELP, check_spec, ceremony_lines,
                                     delta_words, new_spec, plain_problem, short_fingerprint,
                                     spec_sentences, threshold_sentence, threshold_warning)
from ..errors import error_line
from ..widgets.demo_banner import add_to_wizard as add_demo_banner
from .analyses_editor import AnalysesEditor
from .common import (CancelBeforeClosing, PathField, SavedFiles, dialog_runner, html_section,
                     label, named)
from .variables_editor import VariablesEditor


def _problem_of(exc: PPDSError) -> str:
    return plain_problem(exc) if exc.message.startswith("Study analyses: ") else error_line(exc)


def _spec_ok(problem: QLabel, spec: dict, n_sites: int) -> bool:
    """Whether a page may go on: the spec checked as the service will check it, its problem
    (or nothing) shown in ``problem``."""
    try:
        check_spec(spec, n_sites)
    except PPDSError as exc:
        problem.setText(_problem_of(exc))
        return False
    problem.setText("")
    return True


class _TitlePage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.setTitle("A new study")
        self.setSubTitle("A study adds up figures from several hospitals so that nobody, you "
                         "included, can read a single hospital's numbers. You coordinate it.")
        self.study_title = named(QLineEdit(), "Study title")
        self.study_title.setPlaceholderText("e.g. Smoking and BMI in adults")
        self.study_title.setMaxLength(200)
        self.study_title.textChanged.connect(lambda *_: self.completeChanged.emit())
        form = QFormLayout(self)
        form.addRow("Study &title:", self.study_title)
        form.addRow("", label("Every participant sees this title on their invitation.", "hint"))
        if wizard.me is None:
            form.addRow(label("Create your identity on the Identity & sharing page first: "
                              "the study and its invitations are signed with it.", "error"))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.study_title.text().strip()) and self.wizard().me is not None


class _ParticipantsPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.setTitle("Who takes part")
        self.setSubTitle("Sites contribute their data. Key-share holders each keep one piece "
                         "of the key that reveals the totals. Only verified contacts can take "
                         "part.")
        me = wizard.me
        self.self_site = named(QCheckBox("You &contribute data too"),
                               "You contribute data too")
        self.self_holder = named(QCheckBox("You &hold a key share"), "You hold a key share")
        self.self_holder.setChecked(True)
        self.rows: list[tuple[object, QCheckBox, QCheckBox]] = []
        grid = QGridLayout()
        grid.addWidget(label("<b>Contact</b>", rich=True), 0, 0)
        grid.addWidget(label("<b>Contributes data</b>", rich=True), 0, 1)
        grid.addWidget(label("<b>Holds a key share</b>", rich=True), 0, 2)
        you = f"{me.display_name} (you, the coordinator)" if me else "You"
        grid.addWidget(label(you), 1, 0)
        grid.addWidget(self.self_site, 1, 1)
        grid.addWidget(self.self_holder, 1, 2)
        contacts = sharing.list_contacts(wizard.session.vault) if me else []
        for r, c in enumerate(contacts, start=2):
            text = (f"{c.name}" + (f", {c.organisation}" if c.organisation else "")
                    + f"\nfingerprint begins {short_fingerprint(c.fingerprint)}")
            if not c.verified:
                text += ("\nNot verified: compare fingerprints on the Identity & sharing page "
                         "before inviting them.")
            who = label(text, "" if c.verified else "hint")
            site = named(QCheckBox("Site"), f"{c.name} contributes data")
            holder = named(QCheckBox("Key share"), f"{c.name} holds a key share")
            for box in (site, holder):
                box.setEnabled(c.verified)
                if not c.verified:
                    box.setToolTip("Only verified contacts take part in a study.")
                box.toggled.connect(self._changed)
            grid.addWidget(who, r, 0)
            grid.addWidget(site, r, 1)
            grid.addWidget(holder, r, 2)
            self.rows.append((c, site, holder))
        if not contacts:
            grid.addWidget(label("You have no contacts yet: import the other hospitals' "
                                 "identity cards on the Identity & sharing page and verify "
                                 "them.", "error"), 2, 0, 1, 3)
        for box in (self.self_site, self.self_holder):
            box.toggled.connect(self._changed)
        grid.setColumnStretch(0, 1)
        inner = QWidget()
        inner.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.threshold = named(QSpinBox(), "How many key-share holders must agree")
        self.threshold.setRange(2, 2)
        self.threshold.valueChanged.connect(self._changed)
        self.of_holders = QLabel()
        row = QHBoxLayout()
        row.addWidget(QLabel("&Key-share holders who must agree to reveal a total:"))
        row.itemAt(0).widget().setBuddy(self.threshold)
        row.addWidget(self.threshold)
        row.addWidget(self.of_holders)
        row.addStretch(1)
        self.sentence = label("", "hint")
        self.warning = label("", "note")
        self.missing = label("", "error")
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        layout.addWidget(self.sentence)
        layout.addWidget(self.warning)
        layout.addWidget(self.missing)
        self._changed()

    def sites(self) -> list[str]:
        return [c.name for c, site, _h in self.rows if site.isChecked()]

    def holders(self) -> list[str]:
        return [c.name for c, _s, holder in self.rows if holder.isChecked()]

    def site_count(self) -> int:
        return len(self.sites()) + self.self_site.isChecked()

    def holder_count(self) -> int:
        return len(self.holders()) + self.self_holder.isChecked()

    def check(self, name: str, *, site: bool = False, holder: bool = False) -> None:
        for c, site_box, holder_box in self.rows:
            if c.name == name:
                site_box.setChecked(site)
                holder_box.setChecked(holder)
                return
        raise KeyError(name)

    def _changed(self) -> None:
        n = self.holder_count()
        self.threshold.setRange(2, max(n, 2))
        self.of_holders.setText(f"of {n}")
        t = self.threshold.value()
        self.sentence.setText(threshold_sentence(t, n) if n >= 2 else "")
        warning = threshold_warning(t, n) if n >= 2 else ""
        self.warning.setText(warning)
        self.warning.setVisible(bool(warning))
        missing = []
        if self.site_count() < 2:
            missing.append("Choose at least 2 sites that contribute data.")
        if n < 2:
            missing.append("Choose at least 2 key-share holders (3 or more is better).")
        self.missing.setText(" ".join(missing))
        self.missing.setVisible(bool(missing))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.site_count() >= 2 and self.holder_count() >= 2


class _VariablesPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("What the study measures")
        self.setSubTitle("The variables every site maps its own columns to. Give numbers their "
                         "unit and a lowest and highest value: they limit how much one patient "
                         "can change a total.")
        self.editor = VariablesEditor()
        self.editor.changed.connect(lambda: self.completeChanged.emit())
        self.problem = label("", "error")
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.editor.variables())

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        spec = new_spec(self.editor.variables(), [{"kind": "count"}], min_sites=2, dp=None)
        return _spec_ok(self.problem, spec, 2)


class _AnalysesPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("What the study computes")
        self.setSubTitle("Choose the analyses. Each site sends only the totals they need, "
                         "encrypted; the figures are computed from the combined totals.")
        self.editor = AnalysesEditor(wizard.variables_page.editor)
        self.editor.changed.connect(lambda: self.completeChanged.emit())
        self.problem = label("", "error")
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.editor.refresh()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.editor.analyses())

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        spec = new_spec(self.wiz.variables_page.editor.variables(), self.editor.analyses(),
                        min_sites=2, dp=None)
        return _spec_ok(self.problem, spec, self.wiz.participants_page.site_count())


class _PrivacyPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Sites and privacy")
        self.setSubTitle("How many sites a total needs, and whether privacy noise protects "
                         "every patient even in the totals.")
        self.min_sites = named(QSpinBox(), "Minimum number of contributing sites")
        self.dp_off = named(QRadioButton("&No noise: the figures are exact"), "No privacy noise")
        self.dp_on = named(QRadioButton("&Add privacy noise (differential privacy)"),
                           "Add privacy noise")
        self.dp_off.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.dp_off)
        group.addButton(self.dp_on)
        self.epsilon = named(QDoubleSpinBox(), "Privacy level epsilon")
        self.epsilon.setRange(0.1, 10.0)
        self.epsilon.setSingleStep(0.5)
        self.epsilon.setDecimals(1)
        self.epsilon.setValue(1.0)
        self.delta = named(QComboBox(), "Privacy level delta")
        for d in DELTAS:
            self.delta.addItem(delta_words(d), d)
        self.delta.setCurrentIndex(1)
        self.honest = named(QSpinBox(), "Sites assumed honest")
        self.masks = named(QCheckBox("&Mask each site's numbers (pairwise masks)"),
                           "Mask each site's numbers")
        self.dp_on.toggled.connect(self._dp_toggled)
        self.min_sites.valueChanged.connect(self._min_changed)
        self.problem = label("", "error")
        form = QFormLayout(self)
        form.addRow("&Minimum contributing sites:", self.min_sites)
        form.addRow("", label(MIN_SITES_HELP, "hint"))
        form.addRow(self.dp_off)
        form.addRow(self.dp_on)
        form.addRow("Privacy &level ε (epsilon):", self.epsilon)
        form.addRow("", label(EPSILON_HELP, "hint"))
        form.addRow("&Chance the protection fails, δ (delta):", self.delta)
        form.addRow("", label(DELTA_HELP, "hint"))
        form.addRow("&Sites assumed honest:", self.honest)
        form.addRow("", label(HONEST_SITES_HELP, "hint"))
        form.addRow(self.masks)
        form.addRow("", label(MASKS_HELP, "hint"))
        form.addRow(self.problem)
        self._dp_toggled(False)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        n = self.wiz.participants_page.site_count()
        self.min_sites.setRange(2, max(n, 2))
        if self.min_sites.value() < 3:
            self.min_sites.setValue(min(3, n))
        self._min_changed()

    def _min_changed(self) -> None:
        # fewer than the minimum: each site of a sum knows its own noise share
        self.honest.setRange(1, max(self.min_sites.value() - 1, 1))

    def _dp_toggled(self, on: bool) -> None:
        for widget in (self.epsilon, self.delta, self.honest):
            widget.setEnabled(on)

    def dp(self) -> dict | None:
        if not self.dp_on.isChecked():
            return None
        return {"epsilon": self.epsilon.value(), "delta": self.delta.currentData(),
                "honest_sites": self.honest.value()}

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        return _spec_ok(self.problem, self.wiz.spec(), self.wiz.participants_page.site_count())


class _ReviewPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Check the study")
        self.setSubTitle("Read it as the participants will. Go back to change anything.")
        self.text = label("", rich=True)
        self.text.setAccessibleName("The study in sentences")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        QVBoxLayout(self).addWidget(scroll)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        w = self.wiz
        parts = w.participants_page
        sentences = spec_sentences(w.spec())
        me = w.me.display_name
        sites = parts.sites() + ([f"{me} (you)"] if parts.self_site.isChecked() else [])
        holders = ([f"{me} (you)"] if parts.self_holder.isChecked() else []) + parts.holders()
        t = parts.threshold.value()
        privacy = sentences["sites"] + sentences["privacy"] + (
            ["Each site's numbers are masked: every site must contribute."]
            if w.privacy_page.masks.isChecked() else [])

        self.text.setText(
            f"<p>“{escape(w.title_page.study_title.text().strip())}”, coordinated by you "
            f"({escape(me)}).</p>"
            + html_section(f"Sites that contribute data ({len(sites)})", sites)
            + html_section(f"Key-share holders ({len(holders)})", holders,
                      " ".join(filter(None, [threshold_sentence(t, len(holders)),
                                             threshold_warning(t, len(holders))])))
            + html_section("What is measured", sentences["variables"])
            + html_section("What is computed", sentences["analyses"])
            + html_section("Sites and privacy", privacy))


class _CeremonyPage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Make the key and write the invitations")
        self.setSubTitle("This computer makes the study's key, splits it among the key-share "
                         "holders and writes one invitation file per participant. It takes "
                         "about a minute; you can cancel.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Make the key and write")
        self.folder = PathField("folder", "Folder for the invitation files")
        self.folder.changed.connect(lambda: self.completeChanged.emit())
        self.status = label("", "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(label("&Folder for the invitation files (an empty one):"))
        layout.itemAt(0).widget().setBuddy(self.folder.edit)
        layout.addWidget(self.folder)
        layout.addWidget(label("While the key is made, this computer could keep a copy of "
                               "it: run this on a computer you trust, and close the program "
                               "afterwards. Only your own key share is kept in your vault; "
                               "the others travel only inside their holders' invitations.",
                               "note"))
        layout.addWidget(self.status)
        layout.addWidget(wizard.progress)
        layout.addStretch(1)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.folder.path() is not None and not self.wiz.runner.is_busy

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if self.wiz.written is not None:
            return True
        self.wiz.start_ceremony(self.folder.path())
        return False


class _DonePage(QWizardPage):
    def __init__(self, wizard: "CreateStudyWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("The study is ready")
        self.setSubTitle("Send each participant their own invitation file, by e-mail or on a "
                         "USB stick.")
        self.saved = SavedFiles()
        self.fingerprint = label("", rich=True)
        self.ceremony = label("", "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.saved)
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.ceremony)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        done = self.wiz.written
        self.saved.set_files(f"{len(done.files)} invitation files were written:",
                             [(f"for {name}", path) for name, path in done.files])
        self.fingerprint.setText(
            f"Study fingerprint: <b>{escape(done.study.fingerprint)}</b><br>Ask each participant "
            f"to read it back to you by phone after they open their invitation: then you all "
            f"have the same study.")
        self.ceremony.setText("\n".join(ceremony_lines(done.ceremony)))


class CreateStudyWizard(CancelBeforeClosing, QWizard):
    """``written`` holds the ``InvitationsWritten`` once the invitations are written."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("New study")
        self.resize(900, 640)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.me = sharing.identity_or_none(session.vault)
        self.key_bits = DEFAULT_KEY_BITS          # tests use a small key
        self.written = None
        self.runner, self.progress = dialog_runner(session, self)
        self.runner.ended.connect(self._ended)
        self.cancel_before_closing(self.runner)     # Cancel during the ceremony keeps nothing
        self.title_page = _TitlePage(self)
        self.participants_page = _ParticipantsPage(self)
        self.variables_page = _VariablesPage(self)
        self.analyses_page = _AnalysesPage(self)
        self.privacy_page = _PrivacyPage(self)
        self.review_page = _ReviewPage(self)
        self.ceremony_page = _CeremonyPage(self)
        self.done_page = _DonePage(self)
        for page in (self.title_page, self.participants_page, self.variables_page,
                     self.analyses_page, self.privacy_page, self.review_page,
                     self.ceremony_page, self.done_page):
            self.addPage(page)
        if session.is_demo:
            add_demo_banner(self)

    def spec(self) -> dict:
        return new_spec(self.variables_page.editor.variables(),
                        self.analyses_page.editor.analyses(),
                        min_sites=self.privacy_page.min_sites.value(),
                        dp=self.privacy_page.dp())

    def start_ceremony(self, folder) -> bool:
        parts = self.participants_page
        self.ceremony_page.status.setText("Making the key…")
        started = self.runner.run(
            study.create_and_invite, self.session.vault, self.title_page.study_title.text().strip(),
            folder, sites=parts.sites(), holders=parts.holders(),
            threshold=parts.threshold.value(), spec=self.spec(),
            self_site=parts.self_site.isChecked(), self_holder=parts.self_holder.isChecked(),
            pairwise_masks=self.privacy_page.masks.isChecked(), bits=self.key_bits,
            title="Making the study's key", on_done=self._written)
        self.ceremony_page.completeChanged.emit()
        return started

    def _written(self, written) -> None:
        self.written = written
        self.next()

    def _ended(self) -> None:
        if self.written is None:
            self.ceremony_page.status.setText("")
        self.ceremony_page.completeChanged.emit()


__all__ = ["CreateStudyWizard"]
