"""Join a study: open the invitation file, read what the study is, who takes part (with their
fingerprints and how you know them), what it computes, what would leave your site and its
privacy settings — with the service's warnings on top — then Join.

Opening checks everything (the coordinator's signature over the exact study, that the
invitation is yours, that every participant you know is listed with the keys you have) and
stores nothing; Join stores the study and, for a key-share holder, its share.

The same dialog takes the file a coordinator sends when opening a new round of a study this
vault is in: it says what accepting the round means, and Accept moves the study to that round
(``study.join`` takes both kinds of file).
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox,
                               QHeaderView, QPushButton, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...services import plain, sharing, study
from ...services.study_words import (ceremony_lines, roles_words, short_fingerprint,
                                     threshold_sentence)
from ..errors import error_line
from ..widgets.restyle import restyle
from .common import CancelBeforeClosing, PathField, dialog_runner, html_section, label, named


class JoinDialog(CancelBeforeClosing, QDialog):
    """``joined`` holds the ``StudyInfo`` once this vault joined."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Join a study")
        self.resize(860, 720)
        self.preview = None
        self.joined = None
        self.runner, self.progress = dialog_runner(session, self)
        self.cancel_before_closing(self.runner)
        self.file = PathField("open", "Invitation or new-round file")
        self.file.changed.connect(self._file_changed)
        self.check_button = named(QPushButton("&Open and check"), "Open and check the invitation")
        self.check_button.clicked.connect(self.check)
        self.accept_unverified = named(
            QCheckBox("I &accept this coordinator although I have not verified their "
                      "fingerprint"), "Accept an unverified coordinator")
        self.accept_unverified.setVisible(False)
        self.accept_unverified.toggled.connect(lambda _on: self.check())
        self.status = label("")
        self.warnings = label("", "note")
        self.warnings.setVisible(False)
        self.details = label("Choose the invitation file you received, then Open and check: "
                             "you will see what the study is, who takes part and what would "
                             "leave your site before you join.", rich=True)
        self.details.setAccessibleName("The study")
        self.participants = named(QTableWidget(0, 4), "Participants")
        self.participants.setHorizontalHeaderLabels(
            ["Participant", "Part", "Fingerprint begins", "How you know them"])
        self.participants.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.participants.verticalHeader().setVisible(False)
        header = self.participants.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.participants.setVisible(False)
        self.more = label("", rich=True)
        body = QWidget()
        inner = QVBoxLayout(body)
        for w in (self.warnings, self.details, self.participants, self.more):
            inner.addWidget(w)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.join_button = named(self.buttons.addButton(
            "&Join the study", QDialogButtonBox.ButtonRole.AcceptRole), "Join the study")
        self.join_button.setEnabled(False)
        self.buttons.accepted.connect(self.join)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label("&Invitation (or new-round) file you received:"))
        layout.itemAt(0).widget().setBuddy(self.file.edit)
        layout.addWidget(self.file)
        layout.addWidget(self.check_button)
        layout.addWidget(self.accept_unverified)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    def _file_changed(self) -> None:
        self.preview = None
        self.join_button.setEnabled(False)
        self.join_button.setText("&Join the study")

    def check(self) -> bool:
        path = self.file.path()
        if path is None or self.runner.is_busy:
            return False
        self.preview = None
        self.join_button.setEnabled(False)
        restyle(self.status, "Checking the coordinator's signature and the study…")
        accept = self.accept_unverified.isChecked()
        return self.runner.run(lambda task: study.preview_join(
            self.session.vault, path, accept_unverified=accept),
            title="Checking the file", on_done=self._show, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.details.setText("Nothing was stored.")
        self.more.setText("")
        self.participants.setVisible(False)
        self.warnings.setVisible(False)
        if isinstance(exc, sharing.UnverifiedSender):
            self.accept_unverified.setVisible(True)
            text = (f"{plain.error_text(exc)} Compare the coordinator's fingerprint by phone (Identity & "
                    f"sharing page), or tick the box above if you are sure who sent it.")
        else:
            text = error_line(exc)
        restyle(self.status, f"✘ {text}", "error")

    def _show(self, preview) -> None:
        self.preview = preview
        if isinstance(preview, study.RoundPreview):
            return self._show_round(preview)
        self.join_button.setText("&Join the study")
        self.setWindowTitle("Join a study")
        info = preview.study
        restyle(self.status, "✔ The invitation is genuine: signed by the coordinator over "
                             "exactly this study, and addressed to you.", "ok")
        self.warnings.setText("\n".join(f"⚠ {w}" for w in preview.warnings))
        self.warnings.setVisible(bool(preview.warnings))
        self.details.setText(
            f"<p><b>“{escape(info.title)}”</b>, coordinated by "
            f"{escape(preview.coordinator)}.</p>"
            f"<p>Your part: <b>{escape(roles_words(info.my_roles))}</b>.</p>"
            f"<p>Study fingerprint: <b>{escape(info.fingerprint)}</b> — read it to the "
            f"coordinator by phone: it must be the same on both screens.</p>"
            f"<p>{escape(threshold_sentence(info.threshold, info.holders))} A total is only "
            f"revealed over the data of at least {info.min_sites} sites.</p>"
            f"<p><b>Who takes part</b></p>")
        self.participants.setRowCount(len(preview.participants))
        for r, (name, org, roles, known, fp) in enumerate(preview.participants):
            who = name if not org or org == name else f"{name}, {org}"
            part = ("coordinator; " if name == preview.coordinator else "") + roles_words(roles)
            for c, text in enumerate((who, part, short_fingerprint(fp), known)):
                self.participants.setItem(r, c, QTableWidgetItem(text))
        self.participants.setVisible(True)
        self.participants.setMinimumHeight(
            min(60 + 30 * len(preview.participants), 260))
        spec = preview.spec

        leaves = ([f"{len(preview.what_leaves)} figures, each a total over your records, "
                   f"encrypted so that only the sum over at least {info.min_sites} sites can "
                   f"ever be read:"] + preview.what_leaves
                  if "site" in info.my_roles.split() else
                  ["You contribute no data to this study."])
        self.more.setText(
            html_section("What the study computes", spec.get("analyses", []))
            + html_section("The variables", spec.get("variables", []))
            + html_section("What would leave your site", leaves)
            + html_section("Privacy", spec.get("privacy", []) + (
                ["Each site's numbers are masked: only the sum over every site can be read."]
                if info.pairwise_masks else []))
            + html_section("How the study's key was made", ceremony_lines(preview.ceremony)))
        self.join_button.setEnabled(True)

    def _show_round(self, preview) -> None:
        info = preview.study
        self.setWindowTitle("Accept a new round")
        restyle(self.status, f"✔ The file is genuine: {preview.coordinator}, the study's "
                             f"coordinator, opened round {preview.round} of “{info.title}”.", "ok")
        self.warnings.setVisible(False)
        self.participants.setVisible(False)
        site = "site" in info.my_roles.split()
        self.details.setText(
            f"<p>Accepting it moves “{escape(info.title)}” from round {info.round} to round "
            f"{preview.round} in this vault. Nothing else changes: the same participants, key "
            f"and statistics.</p>"
            + (f"<p>Your site can then send a new contribution for round {preview.round} "
               f"(Contribute your data…); it is charged to your dataset's privacy budget "
               f"again.</p>" if site else "")
            + f"<p>Contributions to round {info.round} can no longer be combined here once "
              f"you accept.</p>")
        self.more.setText("")
        self.join_button.setText("&Accept the new round")
        self.join_button.setEnabled(True)

    def join(self) -> bool:
        path = self.file.path()
        if self.preview is None or path is None or self.runner.is_busy:
            return False
        accept = self.accept_unverified.isChecked()
        return self.runner.run(lambda task: study.join(self.session.vault, path,
                                                       accept_unverified=accept),
                               title="Joining the study" if isinstance(
                                   self.preview, study.InvitationPreview)
                               else "Accepting the new round", on_done=self._joined)

    def _joined(self, info) -> None:
        self.joined = info
        self.accept()


__all__ = ["JoinDialog"]
