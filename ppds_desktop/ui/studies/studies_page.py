"""The Studies page: the vault's studies on the left; for the chosen one, a status board in
plain words — your part, the rules, every participant and what this vault has seen of them,
what happened, the results — with the next steps for your part as buttons (Open a result
file…, Open a new round… for the coordinator, Accept a new round… for the others, among
them). New study… opens the create-study wizard, Join a study… an invitation (or a round
opening).
Every step runs a ``services.study`` function; this module collects inputs and shows
outputs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QScrollArea, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.errors import PPDSError
from ...services import sharing, study, study_view
from ...services.study_common import DEFAULT_KEY_BITS
from ..errors import show_error
from ..share.bundle_dialogs import ask_bundle_to_open, ask_bundle_to_save
from ..widgets.file_written import show_file_written
from .combine_dialog import CombineDialog
from .common import dialog_runner, heading, label, named, show_in_folder
from .contribute_wizard import ContributeWizard
from .create_wizard import CreateStudyWizard
from .finish_dialog import FinishDialog
from .join_dialog import JoinDialog
from .result_view import ResultDialog
from .review_dialog import ReviewDialog


class StatusBoardView(QWidget):
    """One study as this vault has seen it, with its next steps."""

    def __init__(self, page: "StudiesPage"):
        super().__init__()
        self.page = page
        self.board = None
        self.title = label("", "pageTitle")
        self.summary = label("")
        self.summary.setAccessibleName("About this study")
        self.steps_box = QGroupBox("Next steps for you")
        self.steps = QGridLayout(self.steps_box)
        self.step_buttons: dict[str, QPushButton] = {}
        self.participants = named(QTableWidget(0, 4), "Participants")
        self.participants.setHorizontalHeaderLabels(
            ["Participant", "Part", "Fingerprint begins", "Seen here"])
        self.participants.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.participants.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.participants.verticalHeader().setVisible(False)
        self.participants.setWordWrap(False)          # long cells are elided, full in tooltips
        header = self.participants.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.activity = label("")
        self.activity.setAccessibleName("What happened")
        self.results = named(QListWidget(), "Results")
        self.results.setMaximumHeight(110)
        self.results.itemActivated.connect(lambda *_: self.page.view_result())
        self.view_button = named(QPushButton("&View result"), "View the chosen result")
        self.view_button.clicked.connect(self.page.view_result)
        self.ceremony = label("", "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.steps_box)
        layout.addWidget(heading("Participants"))
        layout.addWidget(self.participants)
        layout.addWidget(heading("What happened"))
        layout.addWidget(self.activity)
        layout.addWidget(heading("Results"))
        layout.addWidget(self.results)
        row = QHBoxLayout()
        row.addWidget(self.view_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(heading("How the study's key was made"))
        layout.addWidget(self.ceremony)
        layout.addStretch(1)

    def show_board(self, board) -> None:
        self.board = board
        self.title.setText(board.study.title)
        self.summary.setText("\n".join(board.summary))
        while self.steps.count():
            item = self.steps.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.step_buttons.clear()
        for r, step in enumerate(board.steps):
            button = named(QPushButton(step.label), step.label.rstrip("…"))
            button.setEnabled(step.enabled)
            button.setToolTip(step.reason or step.explanation)
            button.clicked.connect(lambda _=False, action=step.action: self.page.do(action))
            words = label(step.reason or step.explanation, "" if step.enabled else "hint")
            self.steps.addWidget(button, r, 0)
            self.steps.addWidget(words, r, 1)
            for widget in (button, words):      # at once, not at the next event loop turn
                widget.show()
            self.step_buttons[step.action] = button
        self.steps.setColumnStretch(1, 1)
        self.steps_box.setVisible(bool(board.steps))
        self.participants.setRowCount(len(board.participants))
        for r, p in enumerate(board.participants):
            for c, text in enumerate((p.name, p.part, p.fingerprint, p.seen)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.participants.setItem(r, c, item)
        self.participants.setFixedHeight(
            self.participants.horizontalHeader().height()
            + sum(self.participants.rowHeight(r) for r in range(len(board.participants))) + 4)
        self.activity.setText("\n".join(board.activity) or "Nothing yet.")
        self.results.clear()
        for entry in board.results:
            item = QListWidgetItem(entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.request_id)
            self.results.addItem(item)
        if board.results:
            self.results.setCurrentRow(0)
        else:
            self.results.addItem("No result yet.")
            self.results.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.view_button.setEnabled(bool(board.results))
        self.ceremony.setText("\n".join(board.ceremony)
                              or "The key is made when the invitations are sent.")

    def chosen_result(self) -> str | None:
        item = self.results.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


class StudiesPage(QWidget):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.dialog = None                # the wizard or dialog open now (tests drive it)
        self.result_dialog = None
        self.key_bits = DEFAULT_KEY_BITS          # tests use a small key
        self.invited_box = None
        self.round_box = None
        self.runner, self.progress = dialog_runner(session, self)
        title = label("Studies", "pageTitle")
        intro = label("A study adds up figures from several hospitals so that nobody can read "
                      "one hospital's numbers: each site's totals are encrypted, and only "
                      "enough key-share holders together can reveal the sums.", "hint")
        self.new_button = named(QPushButton("&New study…"), "New study")
        self.new_button.clicked.connect(self.open_create_wizard)
        self.join_button = named(QPushButton("&Join a study…"), "Join a study")
        self.join_button.clicked.connect(self.open_join_dialog)
        self.no_identity = label("Create your identity on the Identity & sharing page first: "
                                 "studies and their messages are signed with it.", "error")
        self.list = named(QListWidget(), "Studies")
        self.list.currentItemChanged.connect(lambda *_: self.show_current())
        self.empty = label("You take part in no study yet. Create one with New study… (you "
                           "coordinate it), or open an invitation you received with Join a "
                           "study….", "hint")
        self.board_view = StatusBoardView(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.board_view)
        self.scroll = scroll
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([200, 900])
        buttons = QHBoxLayout()
        for b in (self.new_button, self.join_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.no_identity)
        layout.addWidget(split, 1)
        layout.addWidget(self.progress)
        self.refresh()

    # -- the list -----------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        has_identity = sharing.identity_or_none(self.session.vault) is not None
        self.no_identity.setVisible(not has_identity)
        for b in (self.new_button, self.join_button):
            b.setEnabled(has_identity)
        keep = select or self.current_study()
        infos = study.list_studies(self.session.vault) if has_identity else []
        self.list.blockSignals(True)
        self.list.clear()
        for info in infos:
            state = "draft" if info.state == "draft" else f"round {info.round}"
            part = "coordinator" if info.role == "coordinator" else "participant"
            item = QListWidgetItem(f"{info.title}\n{part}, {state}")
            item.setData(Qt.ItemDataRole.UserRole, info.study_id)
            self.list.addItem(item)
        self.empty.setVisible(not infos)
        rows = [i for i in range(self.list.count())
                if self.list.item(i).data(Qt.ItemDataRole.UserRole) == keep]
        self.list.setCurrentRow(rows[0] if rows else (0 if infos else -1))
        self.list.blockSignals(False)      # the board is read once, here, not also by the signal
        self.show_current()

    def current_study(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def select_study(self, study_id: str) -> None:
        self.refresh(select=study_id)

    def show_current(self) -> None:
        ref = self.current_study()
        self.scroll.setVisible(ref is not None)
        if ref is None:
            return
        try:
            self.board_view.show_board(study_view.status_board(self.session.vault, ref))
        except PPDSError as exc:
            show_error(self, exc, title="Showing the study")

    # -- actions ------------------------------------------------------------------------------
    def _open(self, dialog, select=None):
        """Show ``dialog``; when it closes, refresh the list once, on the study ``select()``
        names (if any)."""
        self.dialog = dialog
        dialog.finished.connect(lambda *_: self.refresh(select=select() if select else None))
        dialog.open()
        return dialog

    def open_create_wizard(self) -> CreateStudyWizard:
        wizard = CreateStudyWizard(self.session, self)
        wizard.key_bits = self.key_bits
        return self._open(wizard, lambda: wizard.written and wizard.written.study.study_id)

    def open_join_dialog(self) -> JoinDialog:
        dialog = JoinDialog(self.session, self)
        return self._open(dialog, lambda: dialog.joined and dialog.joined.study_id)

    def do(self, action: str):
        """Run a next step of the status board (or Open a result file…)."""
        board = self.board_view.board
        if action == "open_result":
            path = ask_bundle_to_open(self, "Open a result")
            return self.open_result(path) if path else None
        if action == "invite":
            return self.open_create_wizard() if board is None else self._invite(board)
        if action == "new_round":
            return self.open_new_round()
        if action == "accept_round":
            return self.open_join_dialog()
        dialogs = {"contribute": lambda: ContributeWizard(self.session, board.study.study_id,
                                                          board.study.title, self),
                   "combine": lambda: CombineDialog(self.session, board, self),
                   "review": lambda: ReviewDialog(self.session, board, self),
                   "finish": lambda: FinishDialog(self.session, board, self,
                                                  on_result=self.show_result)}
        return self._open(dialogs[action]())

    def open_new_round(self, path=None) -> bool:
        """Coordinator: say what a new round means, then open it and write the file every
        participant accepts (``study.new_round``)."""
        info = self.board_view.board.study
        answer = QMessageBox.question(
            self, "Open a new round?",
            f"Open round {info.round + 1} of “{info.title}”?\n\nEvery site can then send a new "
            f"contribution, for example from newer or corrected data; each contribution is "
            f"charged to that site's privacy budget again. Contributions to round {info.round} "
            f"can no longer be combined, and a total over fewer sites than one already revealed "
            f"is still refused.\n\nYou then send the file to every participant.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        path = path or ask_bundle_to_save(self, "Save the new round's file")
        if not path:
            return False
        return self.runner.run(lambda task: study.new_round(self.session.vault, info.study_id,
                                                            path),
                               title="Opening a new round",
                               on_done=lambda opened: self._round_opened(opened, path))

    def _round_opened(self, info, path) -> QMessageBox:
        self.refresh(select=info.study_id)
        self.round_box = show_file_written(
            self, path, f"Round {info.round} opening",
            note=f"Send it to every participant of “{info.title}”: each opens it with Accept a "
                 f"new round… on their Studies page, then sites can contribute again.")
        return self.round_box

    def _invite(self, board):
        """A draft made on the command line: make its key and write its invitations here."""
        folder = QFileDialog.getExistingDirectory(self, "Folder for the invitation files")
        if not folder:
            return None
        return self.runner.run(study.invite, self.session.vault, board.study.study_id, folder,
                               bits=self.key_bits, title="Making the study's key",
                               on_done=self._invited)

    def _invited(self, written) -> QMessageBox:
        self.refresh(select=written.study.study_id)
        folder = written.files[0][1].parent
        files = "\n".join(f"for {name}: {path.name}" for name, path in written.files)
        box = QMessageBox(QMessageBox.Icon.Information, "Invitations written",
                          f"{len(written.files)} invitation files were written in the folder "
                          f"{folder}:\n{files}\n\nSend each participant their own file. Study "
                          f"fingerprint: {written.study.fingerprint}", parent=self)
        box.addButton(QMessageBox.StandardButton.Ok)
        show = box.addButton("Show in &folder", QMessageBox.ButtonRole.ActionRole)
        show.clicked.connect(lambda: show_in_folder(folder))
        box.open()
        self.invited_box = box
        return box

    def open_result(self, path) -> bool:
        """Read a result file; every proof and figure is checked again here."""
        return self.runner.run(study.open_result, self.session.vault, path,
                               title="Checking the result", on_done=self.show_result)

    def view_result(self) -> ResultDialog | None:
        ref, request_id = self.current_study(), self.board_view.chosen_result()
        if ref is None or request_id is None:
            return None
        return self.show_result(study_view.saved_result(self.session.vault, ref, request_id))

    def show_result(self, result) -> ResultDialog:
        self.refresh(select=result.study.study_id)
        dialog = ResultDialog(self.session, result,
                              study_view.study_ceremony(self.session.vault,
                                                        result.study.study_id), self)
        self.result_dialog = dialog
        dialog.open()
        return dialog
