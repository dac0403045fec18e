"""A key-share holder's review of a decryption request: which sites, which figures, what was
re-computed and checked here, and the verdict — why it is safe to answer, or why it is refused.
Answer computes this holder's partial decryption with its proof on the worker and writes it.

The review re-computes the request from the sites' signed contributions in this vault and
stores nothing; a refused request cannot be answered (the service refuses it too).
"""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget, QPushButton, QWidget

from ...services import study
from ...services.study_words import and_list
from ..errors import error_line
from ..widgets.restyle import restyle
from .common import PathField, heading, label, named
from .step_dialog import StepDialog


class ReviewDialog(StepDialog):
    """``review`` holds the ``RequestReview`` (or None), ``refusal`` the reason a request is
    refused, ``answered`` the ``AnswerSent``."""

    def __init__(self, session, board, parent: QWidget | None = None):
        super().__init__(session, f"Review a decryption request of “{board.study.title}”",
                         parent)
        self.board = board
        self.review = None
        self.refusal = ""
        self.answered = None
        self.request = PathField("open", "Decryption request")
        self.request.changed.connect(self._request_changed)
        self.check_button = named(QPushButton("&Open and check"), "Open and check the request")
        self.check_button.clicked.connect(self.check)
        self.about = label("")
        self.statistics = named(QListWidget(), "Figures that would be revealed")
        self.statistics.setMaximumHeight(150)
        self.checks = label("")
        self.checks.setAccessibleName("What was checked here")
        self.verdict = label("")
        self.verdict.setAccessibleName("Verdict")
        self.out = PathField("save", "Answer to write")
        self.out.changed.connect(self._changed)
        self.answer_button = named(QPushButton("&Answer: decrypt my share"),
                                   "Answer the request")
        self.answer_button.clicked.connect(self.answer)
        self.body.addWidget(label("&Decryption request you received:"))
        self.body.itemAt(0).widget().setBuddy(self.request.edit)
        self.body.addWidget(self.request)
        self.body.addWidget(self.check_button)
        self.body.addWidget(self.about)
        self.body.addWidget(heading("Figures that would be revealed, each summed over these "
                                    "sites"))
        self.body.addWidget(self.statistics)
        self.body.addWidget(heading("What this computer checked, from the sites' signed "
                                    "contributions"))
        self.body.addWidget(self.checks)
        self.body.addWidget(self.verdict)
        self.body.addWidget(label("Answer &file to write:"))
        self.body.itemAt(self.body.count() - 1).widget().setBuddy(self.out.edit)
        self.body.addWidget(self.out)
        self.body.addWidget(self.answer_button)
        self._changed()

    def _request_changed(self) -> None:
        self.review, self.refusal = None, ""
        self._changed()

    def _changed(self) -> None:
        self.answer_button.setEnabled(
            self.review is not None and not self.refusal and not self.review.answered_before
            and self.answered is None and self.out.path() is not None
            and not self.runner.is_busy)

    def check(self) -> bool:
        path = self.request.path()
        if path is None or self.runner.is_busy:
            return False
        self.review, self.refusal = None, ""
        self.statistics.clear()
        self.checks.setText("")
        restyle(self.verdict, "Re-computing the request from the sites' contributions…", "")
        return self.runner.run(study.review_request, self.session.vault, path,
                               title="Checking the request", on_done=self._show,
                               on_error=self._refused)

    def _refused(self, exc: BaseException) -> None:
        """A request that fails a check of its contents: the reason is the verdict."""
        self.refusal = error_line(exc)
        self.about.setText("")
        restyle(self.verdict, f"✘ Refused: {_without_refused(self.refusal)}", "error")
        self._changed()

    def _show(self, review) -> None:
        self.review = review
        info = review.study
        k = len(review.sites)
        self.about.setText(
            f"From {review.aggregator}, round {review.round}: "
            + (f"the sum over {k} sites — {and_list(review.sites)}." if k > 1 else
               f"the data of one site only — {and_list(review.sites)}."))
        self.statistics.addItems(review.statistics)
        mark = "•" if review.refusal else "✔"        # a refusal names the rule that failed
        self.checks.setText("\n".join(f"{mark} {c[:1].upper()}{c[1:]}." for c in review.checks))
        if review.refusal:
            self.refusal = review.refusal
            restyle(self.verdict, f"✘ Refused: {_without_refused(review.refusal)}", "error")
        elif review.answered_before:
            restyle(self.verdict, f"You answered this request on "
                                  f"{review.answered_before[:10]} already; a key-share holder "
                                  f"answers a request once.", "note")
        else:
            restyle(
                self.verdict,
                f"✔ Safe to answer. Your answer alone reveals nothing: only together with "
                f"the answers of {info.threshold - 1} other key-share holders can these "
                f"totals be read, and they are sums over {len(review.sites)} sites — at least "
                f"the {info.min_sites} the study requires. No single site's figures follow "
                f"from them and from what was revealed before.", "ok")
        self._changed()

    def answer(self) -> bool:
        if not self.answer_button.isEnabled():
            return False
        started = self.runner.run(study.answer, self.session.vault, self.request.path(),
                                  self.out.path(), title="Decrypting your share",
                                  on_done=self._answered)
        self._changed()
        return started

    def _answered(self, sent) -> None:
        self.answered = sent
        self.saved.set_files(
            f"Your answer (as key-share holder {sent.holder}) was written. Send it to whoever "
            f"finishes the study — usually whoever sent you the request:", [("", sent.path)])
        self._changed()


def _without_refused(text: str) -> str:
    """The service's reasons end with "Refused."; the verdict says it first."""
    return text.removesuffix(" Refused.").removesuffix("; refused.").rstrip()
