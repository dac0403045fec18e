"""The Open-bundle wizard: choose the file → verify (sender, fingerprint, contents) → import.

The verification page runs the full verification (every chunk and the signature) on the worker
and only then shows the contents; nothing reaches the vault until Import. An unknown sender is
refused; an unverified sender, or a bundle that verified but was imported before, shows a
warning with a checkbox the user must tick before verifying again.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QVBoxLayout, QWizard, QWizardPage)

from ...core.errors import PPDSError
from ...services.sharing import fingerprint_lines
from ...services import demo, plain, sharing
from ..errors import error_line
from ..local_time import local_time
from ..widgets.demo_banner import add_to_wizard as add_demo_banner
from ..widgets.task_progress import TaskProgress
from ..widgets.wizard_style import standard_wizard
from ..worker import TaskRunner
from .bundle_dialogs import ask_bundle_to_open
from .fingerprint_view import fingerprint_label


_KINDS = {"release": "release bundle", "dataset": "dataset bundle",
          "he_request": "aggregation request", "he_result": "aggregation result"}


class _FilePage(QWizardPage):
    def __init__(self, wizard: "OpenBundleWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Open a share bundle")
        self.setSubTitle("Choose the bundle file you received.")
        self.path = QLineEdit()
        self.path.setPlaceholderText(f"Bundle file (*{sharing.BUNDLE_SUFFIX})")
        self.path.setAccessibleName("Bundle file to open")
        self.path.textChanged.connect(lambda *_: self.completeChanged.emit())
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)   # messages may hold quotes and <
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def _browse(self) -> None:
        path = ask_bundle_to_open(self, "Open bundle")
        if path:
            self.path.setText(str(path))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.path.text().strip())

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        """Read the header (cheap, no key needed) before going on."""
        try:
            self.wiz.preview = sharing.preview_bundle(self.wiz.session.vault,
                                                      self.wiz.bundle_path())
        except (PPDSError, OSError) as exc:
            self.error.setText(f"⚠ {error_line(exc)}")
            return False
        self.error.setText("")
        return self.wiz.confirm_demo_open()


class _VerifyPage(QWizardPage):
    def __init__(self, wizard: "OpenBundleWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Verify")
        self.setSubTitle("Check who sent it before you import it.")
        self.sender = QLabel()
        self.sender.setWordWrap(True)
        self.fingerprint = fingerprint_label()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.contents = QLabel()
        self.contents.setWordWrap(True)
        self.accept_unverified = QCheckBox("I &accept this unverified sender")
        self.accept_unverified.setToolTip("Only if you know where the file came from: the "
                                          "fingerprint above was not compared with the sender's.")
        self.accept_replay = QCheckBox("&Import this bundle again")
        self.accept_replay.setToolTip("This bundle was imported before; importing it again "
                                      "makes a second copy of its data.")
        # Ticking a box is the user's answer: verify again at once.
        self.accept_unverified.toggled.connect(lambda _on: self.verify())
        self.accept_replay.toggled.connect(lambda _on: self.verify())
        self.retry = QPushButton("&Verify again")
        self.retry.clicked.connect(self.verify)
        self.progress = TaskProgress(wizard.runner)
        layout = QVBoxLayout(self)
        for w in (self.sender, self.fingerprint, self.status, self.accept_unverified,
                  self.accept_replay, self.retry, self.contents, self.progress):
            layout.addWidget(w)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        p = self.wiz.preview
        s = p.summary
        who = p.sender.name if p.sender else "an unknown sender"
        self.sender.setText(
            f"A {escape(_KINDS.get(s.kind, 'bundle'))} created {escape(local_time(s.created_at))} by "
            f"<b>{escape(who)}</b> ({escape(p.sender_state)}).<br>Recipients: "
            f"{escape(', '.join(p.recipients))}. Sender's fingerprint:")
        self.fingerprint.setText(fingerprint_lines(p.sender_fingerprint))
        self.accept_unverified.setVisible(p.sender_state == "unverified")
        # Offered only once the bundle verified and turned out to be a replay: a damaged or
        # forged copy of an imported bundle is reported as damaged, never as a replay.
        self.accept_replay.blockSignals(True)
        self.accept_replay.setChecked(False)
        self.accept_replay.blockSignals(False)
        self.accept_replay.setVisible(False)
        self.verify()

    def verify(self) -> None:
        self.wiz.opened = None
        self.contents.setText("")
        self.retry.setEnabled(False)
        self.status.setText("Verifying every chunk and the sender's signature…")
        self.completeChanged.emit()
        self.wiz.runner.run(sharing.open_files, self.wiz.session.vault, self.wiz.bundle_path(),
                            accept_unverified=self.accept_unverified.isChecked(),
                            accept_replay=self.accept_replay.isChecked(),
                            title="Verifying bundle", on_done=self._verified,
                            on_error=self._failed)

    def _verified(self, opened) -> None:
        self.wiz.opened = opened
        state = self.wiz.preview.sender_state
        self.status.setText(f"✔ Verified: signed by {self.wiz.preview.sender.name} "
                            f"({state}), every chunk intact, addressed to you.")
        rows = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(v)}</td></tr>"
                       for k, v in sharing.manifest_summary(opened.manifest))
        self.contents.setText(f"<table>{rows}</table>")
        self.retry.setEnabled(True)
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, sharing.UnverifiedSender):
            text = (f"{plain.error_text(exc)} Compare the fingerprint above with the one the sender reads "
                    f"to you (Identity & sharing → Verify…), or tick “I accept this unverified "
                    f"sender”.")
        elif isinstance(exc, sharing.BundleReplay):
            self.accept_replay.setVisible(True)
            text = f"{plain.error_text(exc)} Tick “Import this bundle again” to import a second copy."
        else:
            text = error_line(exc)
        self.status.setText(f"✘ {text}")
        self.retry.setEnabled(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.wiz.opened is not None and not self.wiz.runner.is_busy


class OpenBundleWizard(QWizard):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Open bundle")
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.preview = None
        self.opened = None
        self.result = None
        self.demo_confirmed = False
        self.file_page = _FilePage(self)
        self.verify_page = _VerifyPage(self)
        self.addPage(self.file_page)
        self.addPage(self.verify_page)
        if session.is_demo:
            add_demo_banner(self)
        standard_wizard(self)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Import")
        self.resize(780, 560)

    def bundle_path(self) -> Path:
        return Path(self.file_page.path.text().strip())

    def confirm_demo_open(self) -> bool:
        """Into the public demo vault a bundle's data goes only after the import wizard's
        question (a bundle is never the bundled sample)."""
        self.demo_confirmed = False
        if not self.session.is_demo:
            return True
        answer = QMessageBox.warning(
            self, "Open into the demo vault?",
            demo.DEMO_IMPORT_RISK + f"\n\nOpen “{self.bundle_path().name}” into the demo "
            "vault anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        self.demo_confirmed = answer == QMessageBox.StandardButton.Yes
        return self.demo_confirmed

    def accept(self) -> None:
        if self.runner.is_busy or self.opened is None:
            return
        self.runner.run(sharing.store_opened, self.session.vault, self.bundle_path(), self.opened,
                        accept_replay=self.verify_page.accept_replay.isChecked(),
                        demo_confirmed=self.demo_confirmed,
                        title="Importing bundle", on_done=self._imported)

    def _imported(self, result) -> None:
        self.result = result
        self.session.datasets_changed.emit()
        super().accept()
