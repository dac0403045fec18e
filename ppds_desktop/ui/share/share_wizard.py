"""The Share wizard: what to share → recipients (with verification state) → summary and file.

Sealing runs on the session's worker with progress and Cancel; the wizard closes when the bundle
is written and a confirmation shows where (with "Show in folder"). ``result`` holds the
``SealResult`` afterwards (tests wait for it).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWizard, QWizardPage)

from ...services import disclosure, plain, sharing
from ..datasets_page import kind_icon
from ..widgets.demo_banner import add_to_wizard as add_demo_banner
from ..widgets.file_written import show_file_written
from ..widgets.task_progress import TaskProgress
from ..widgets.wizard_style import standard_wizard
from ..worker import TaskRunner
from .bundle_dialogs import ask_bundle_to_save


class _SourcePage(QWizardPage):
    def __init__(self, wizard: "ShareWizard"):
        super().__init__()
        self.setTitle("What do you want to share?")
        self.setSubTitle("Normally a release made on the Prepare release or Differential privacy "
                         "pages. Raw data and received data are shared as they are.")
        self.list = QListWidget()
        self.list.setAccessibleName("Releases and datasets")
        self.list.setIconSize(QSize(18, 18))
        vault = wizard.session.vault
        for target in sharing.share_targets(vault):
            kind = plain.share_target_kind(vault, target)
            item = QListWidgetItem(kind_icon(kind), f"{target.name}\n{kind.label} · "
                                                    f"{kind.identifier_status}")
            item.setData(Qt.ItemDataRole.UserRole, target)
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{target.name}, {kind.label}, {kind.identifier_status}")
            self.list.addItem(item)
        self.list.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        QVBoxLayout(self).addWidget(self.list)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.list.currentItem() is not None

    def target(self) -> sharing.ShareTarget:
        return self.list.currentItem().data(Qt.ItemDataRole.UserRole)

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole).name == name:
                self.list.setCurrentRow(i)
                return
        raise KeyError(name)


class _RecipientsPage(QWizardPage):
    def __init__(self, wizard: "ShareWizard"):
        super().__init__()
        self.setTitle("Who may open it?")
        self.setSubTitle("Only these contacts will be able to decrypt the bundle. Verify a "
                         "contact's fingerprint on the Identity & sharing page first.")
        self.list = QListWidget()
        self.list.setAccessibleName("Recipients")
        for c in sharing.list_contacts(wizard.session.vault):
            state = "✔ verified" if c.verified else "⚠ UNVERIFIED"
            item = QListWidgetItem(f"{c.name} — {c.organisation or 'no organisation'}    {state}")
            item.setData(Qt.ItemDataRole.UserRole, c)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if not self.list.count():
            self.list.addItem("No contacts yet: import a peer's identity card on the "
                              "Identity & sharing page first.")
            self.list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.allow_unverified = QCheckBox("&Also seal for unverified contacts (not recommended)")
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.list.itemChanged.connect(lambda *_: self._changed())
        self.allow_unverified.toggled.connect(lambda *_: self._changed())
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.allow_unverified)
        layout.addWidget(self.warning)

    def chosen(self) -> list:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).data(Qt.ItemDataRole.UserRole) is not None
                and self.list.item(i).checkState() == Qt.CheckState.Checked]

    def check(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole).name == name:
                self.list.item(i).setCheckState(Qt.CheckState.Checked)

    def _changed(self) -> None:
        unverified = [c.name for c in self.chosen() if not c.verified]
        self.warning.setText(f"⚠ {', '.join(unverified)} not verified: anyone could have made "
                             "that card." if unverified else "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        chosen = self.chosen()
        return bool(chosen) and (self.allow_unverified.isChecked()
                                 or all(c.verified for c in chosen))


class _SummaryPage(QWizardPage):
    def __init__(self, wizard: "ShareWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Summary")
        self.setSubTitle("The bundle is encrypted for the recipients and signed by you.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText(f"Bundle file to write (*{sharing.BUNDLE_SUFFIX})")
        self.path.setAccessibleName("Bundle file to write")
        self.path.textChanged.connect(lambda *_: self.completeChanged.emit())
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.identifiers = QLabel()
        self.identifiers.setWordWrap(True)
        self.identifiers.setStyleSheet("color: #b00020")
        self.allow_identifiers = QCheckBox("&Send the direct identifiers as they are")
        self.allow_identifiers.toggled.connect(lambda *_: self.completeChanged.emit())
        self.risk = QLabel()
        self.risk.setWordWrap(True)
        self.risk.setStyleSheet("color: #b00020")
        self.accept_risk = QCheckBox("I &understand that this release can still identify people "
                                     "(recorded in the audit log)")
        self.accept_risk.toggled.connect(lambda *_: self.completeChanged.emit())
        self.progress = TaskProgress(wizard.runner)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.identifiers)
        layout.addWidget(self.allow_identifiers)
        layout.addWidget(self.risk)
        layout.addWidget(self.accept_risk)
        layout.addLayout(row)
        layout.addWidget(self.progress)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        target = self.wiz.source_page.target()
        names = ", ".join(c.name for c in self.wiz.recipients_page.chosen())
        kind = plain.share_target_kind(self.wiz.session.vault, target)
        self.summary.setText(f"Share <b>{escape(target.name)}</b> ({escape(kind.label)}) "
                             f"with <b>{escape(names)}</b>. They will see its name, its "
                             "columns, how it was made (recipe and report), the privacy budget "
                             "spent, and its data.")
        identifiers = kind.identifiers
        self.identifiers.setText(
            f"⚠ This {'release still has' if target.kind == 'release' else 'dataset has'} direct "
            f"identifiers: {', '.join(identifiers)}. They would be sent as they are. To share "
            f"de-identified data, go back and choose a release made on the Prepare release page "
            f"that drops or pseudonymizes them." if identifiers else "")
        self.identifiers.setVisible(bool(identifiers))
        self.allow_identifiers.setChecked(False)
        self.allow_identifiers.setVisible(bool(identifiers))
        risky = disclosure.saved_release_verdict(self.wiz.session.vault, target.ref)
        problems = [] if risky is None else risky[1].problems()
        self.risk.setText("⚠ This release can still identify people. " + " ".join(problems)
                          if problems else "")
        for widget in (self.risk, self.accept_risk):
            widget.setVisible(bool(problems))
        self.accept_risk.setChecked(False)

    def _browse(self) -> None:
        path = ask_bundle_to_save(self, "Save bundle")
        if path:
            self.path.setText(str(path))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        confirmed = ((not self.identifiers.text() or self.allow_identifiers.isChecked())
                     and (not self.risk.text() or self.accept_risk.isChecked()))
        return bool(self.path.text().strip()) and confirmed and not self.wiz.runner.is_busy


class ShareWizard(QWizard):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Share")
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.result = None
        self.source_page = _SourcePage(self)
        self.recipients_page = _RecipientsPage(self)
        self.summary_page = _SummaryPage(self)
        for page in (self.source_page, self.recipients_page, self.summary_page):
            self.addPage(page)
        if session.is_demo:
            add_demo_banner(self)
        standard_wizard(self)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Seal and save")
        self.resize(780, 560)

    def accept(self) -> None:
        """Seal on the worker; close only when the bundle was written."""
        if self.runner.is_busy:
            return
        out = Path(self.summary_page.path.text().strip())
        self.runner.run(sharing.seal_for_contacts, self.session.vault,
                        self.source_page.target().ref, self.recipients_page.chosen(), out,
                        allow_unverified=self.recipients_page.allow_unverified.isChecked(),
                        allow_identifiers=self.summary_page.allow_identifiers.isChecked(),
                        accept_risk=self.summary_page.accept_risk.isChecked(),
                        title="Sealing bundle", on_done=self._sealed)

    def _sealed(self, result) -> None:
        self.result = result
        names = ", ".join(c.name for c in self.recipients_page.chosen())
        self.file_box = show_file_written(
            self.parentWidget(), result.path, "Bundle",
            note=f"Only {names} can open it. Send the file by any means (e-mail, shared "
                 "drive, USB stick): it is encrypted and signed.")
        super().accept()
