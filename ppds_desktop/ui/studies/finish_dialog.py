"""Finish a study round (any participant): the decryption request and the key-share holders'
answers in, every answer's proof checked and bad ones left out (named, with the reason), the
totals decrypted with enough valid answers, and the result written for every participant."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

from ...services import study
from .common import PathField, label, named
from .file_list import FileList
from .step_dialog import StepDialog


class FinishDialog(StepDialog):
    """``result`` holds the ``ResultReport`` once the result is written; ``finished`` is
    emitted through ``on_result`` (the page opens the result view)."""

    def __init__(self, session, board, parent: QWidget | None = None, *, on_result=None):
        super().__init__(session, f"Finish and decrypt “{board.study.title}”", parent)
        self.board = board
        self.result = None
        self._on_result = on_result
        self.request = PathField("open", "Decryption request")
        self.request.changed.connect(self._changed)
        self.answers = FileList("Answer files")
        self.answers.changed.connect(self._changed)
        self.out = PathField("save", "Result file to write")
        self.out.changed.connect(self._changed)
        self.finish_button = named(QPushButton("&Decrypt and write the result"),
                                   "Decrypt and write the result")
        self.finish_button.clicked.connect(self.finish)
        t = board.study.threshold
        self.body.addWidget(label(
            f"Give the decryption request and the answers of at least {t} key-share holders. "
            f"Every answer's proof is checked; an answer that fails is left out and named.",
            "hint"))
        self.body.addWidget(label("&Decryption request:"))
        self.body.itemAt(self.body.count() - 1).widget().setBuddy(self.request.edit)
        self.body.addWidget(self.request)
        self.body.addWidget(label("Answers of the key-share holders:"))
        self.body.addWidget(self.answers, 1)
        self.body.addWidget(label("&Result file to write (for every participant):"))
        self.body.itemAt(self.body.count() - 1).widget().setBuddy(self.out.edit)
        self.body.addWidget(self.out)
        self.body.addWidget(self.finish_button)
        self._changed()

    def _changed(self) -> None:
        self.finish_button.setEnabled(
            self.request.path() is not None and bool(self.answers.paths())
            and self.out.path() is not None and not self.runner.is_busy)

    def finish(self) -> bool:
        if not self.finish_button.isEnabled():
            return False
        started = self.runner.run(study.finish, self.session.vault, self.request.path(),
                                  self.answers.paths(), self.out.path(),
                                  title="Decrypting the totals", on_done=self._done)
        self._changed()
        return started

    def _done(self, result) -> None:
        self.result = result
        left = f" {len(result.left_out)} answer(s) were left out." if result.left_out else ""
        self.saved.set_files(f"The result was written; send it to every participant.{left}",
                             [("", result.path)])
        if self._on_result is not None:
            self._on_result(result)
