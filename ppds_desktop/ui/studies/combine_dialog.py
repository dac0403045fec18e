"""Combine the sites' contributions into one decryption request (any participant): add the
contribution files, choose where the request goes, combine on the worker; the confirmation
says whom to send it to."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

from ...services import study
from ...services.study_words import and_list
from .common import PathField, label, named
from .file_list import FileList
from .step_dialog import StepDialog


class CombineDialog(StepDialog):
    """``sent`` holds the ``RequestSent`` once the request is written."""

    def __init__(self, session, board, parent: QWidget | None = None):
        super().__init__(session, f"Combine contributions to “{board.study.title}”", parent)
        self.board = board
        self.sent = None
        self.files = FileList("Contribution files")
        self.files.changed.connect(self._changed)
        self.out = PathField("save", "Decryption request to write")
        self.out.changed.connect(self._changed)
        self.combine_button = named(QPushButton("&Combine and write the request"),
                                    "Combine and write the request")
        self.combine_button.clicked.connect(self.combine)
        info = board.study
        self.body.addWidget(label(
            f"Add the contribution files the sites sent you for round {info.round}. They stay "
            f"encrypted: combining adds them up without reading them. Each total can only be "
            f"revealed over at least {info.min_sites} sites.", "hint"))
        self.body.addWidget(self.files, 1)
        self.body.addWidget(label("&Decryption request to write:"))
        self.body.itemAt(self.body.count() - 1).widget().setBuddy(self.out.edit)
        self.body.addWidget(self.out)
        self.body.addWidget(self.combine_button)
        self._changed()

    def _changed(self) -> None:
        self.combine_button.setEnabled(bool(self.files.paths()) and self.out.path() is not None
                                       and not self.runner.is_busy)

    def combine(self) -> bool:
        if not self.combine_button.isEnabled():
            return False
        started = self.runner.run(study.combine, self.session.vault, self.board.study.study_id,
                                  self.files.paths(), self.out.path(),
                                  title="Combining the contributions", on_done=self._done)
        self._changed()
        return started

    def _done(self, sent) -> None:
        self.sent = sent
        info = self.board.study
        self.saved.set_files(
            f"The decryption request over {len(sent.sites)} sites ({and_list(sent.sites)}) "
            f"was written. Send it to the key-share holders — {and_list(self.board.holders)}; "
            f"any {info.threshold} of them must answer:", [("", sent.path)])
