"""The contribute wizard (a site): dataset → which column holds each study variable →
exactly what leaves this site → encrypt and write the contribution → done.

The preview is computed on the worker from the dataset in the vault and shows every figure
that would be sent with its value before noise; the clipped, unknown and missing values are
shown to this site only. Nothing is charged, encrypted or written before the commit step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QHeaderView,
                               QListWidget, QListWidgetItem, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget, QWizard, QWizardPage)

from ...services import study, study_view
from ...services.study_words import and_list
from ..errors import error_line
from ..widgets.demo_banner import add_to_wizard as add_demo_banner
from ..widgets.restyle import restyle
from .common import (CancelBeforeClosing, PathField, SavedFiles, dialog_runner, heading,
                     label, named)


class _DatasetPage(QWizardPage):
    def __init__(self, wizard: "ContributeWizard"):
        super().__init__()
        self.setTitle("Which data?")
        self.setSubTitle("Choose the dataset in your vault that holds the patients for this "
                         "study. The data never leave this computer; only totals do.")
        self.list = named(QListWidget(), "Datasets")
        for info in wizard.session.vault.list_datasets():
            item = QListWidgetItem(f"{info.name}    ({info.n_rows:,} records, "
                                   f"{info.n_cols} columns)")
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            self.list.addItem(item)
        if not self.list.count():
            self.list.addItem("No datasets yet: import your data first (File ▸ Import data…).")
            self.list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.list.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        QVBoxLayout(self).addWidget(self.list)

    def dataset(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return
        raise KeyError(name)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.dataset() is not None


class _ColumnsPage(QWizardPage):
    NOT_CHOSEN = "— choose a column —"

    def __init__(self, wizard: "ContributeWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Match your columns")
        self.setSubTitle("For each variable of the study, choose the column of your dataset "
                         "that holds it. Columns with the same name are chosen for you.")
        self.combos: dict[str, QComboBox] = {}
        self.form = QFormLayout()
        inner = QWidget()
        inner.setLayout(self.form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        QVBoxLayout(self).addWidget(scroll)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        vault, ref = self.wiz.session.vault, self.wiz.study_id
        dataset = self.wiz.dataset_page.dataset()
        columns = vault.dataset_info(dataset).columns
        suggested = study.suggest_mapping(vault, ref, dataset)
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos.clear()
        for name, sentence in study_view.study_variables(vault, ref):
            combo = named(QComboBox(), f"Column for {name}")
            combo.addItem(self.NOT_CHOSEN, None)
            for column in columns:
                combo.addItem(column, column)
            combo.setCurrentIndex(max(combo.findData(suggested.get(name)), 0))
            combo.currentIndexChanged.connect(lambda *_: self.completeChanged.emit())
            self.combos[name] = combo
            field = QWidget()
            column = QVBoxLayout(field)
            column.setContentsMargins(0, 0, 0, 6)
            column.setSpacing(2)
            column.addWidget(combo)
            column.addWidget(label(sentence, "hint"))
            self.form.addRow(f"{name}:", field)
        self.completeChanged.emit()

    def mapping(self) -> dict[str, str | None]:
        return {name: combo.currentData() for name, combo in self.combos.items()}

    def choose(self, variable: str, column: str) -> None:
        combo = self.combos[variable]
        combo.setCurrentIndex(combo.findData(column))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.combos) and all(self.mapping().values())


class _PreviewPage(QWizardPage):
    def __init__(self, wizard: "ContributeWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Exactly what leaves this site")
        self.setSubTitle("These totals, and nothing else, are sent — encrypted, so that only "
                         "their sum over enough sites can ever be read.")
        self.intro = label("")
        self.table = named(QTableWidget(0, 3), "Figures that leave this site")
        self.table.setHorizontalHeaderLabels(["Figure", "Value here (before noise)",
                                              "Over records"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.noise = label("")
        self.budget = label("")
        self.stays = label("", "note")
        self.stays.setAccessibleName("Shown to you only, not sent")
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(heading("Privacy noise"))
        layout.addWidget(self.noise)
        layout.addWidget(self.budget)
        layout.addWidget(self.stays)
        layout.addWidget(wizard.preview_progress)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.wiz.preview = None
        self.table.setRowCount(0)
        for w in (self.noise, self.budget, self.stays):
            w.setText("")
        self.stays.setVisible(False)
        self.intro.setText("Adding up your data…")
        self.wiz.preview_runner.run(
            study.preview_contribution, self.wiz.session.vault, self.wiz.study_id,
            self.wiz.dataset_page.dataset(), self.wiz.columns_page.mapping(),
            title="Adding up your data", on_done=self._show,
            on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        restyle(self.intro, error_line(exc), "error")

    def _show(self, preview) -> None:
        self.wiz.preview = preview
        restyle(self.intro, f"From {preview.rows:,} records of “{preview.dataset}”, round "
                            f"{preview.round} of “{preview.study.title}”. Sealed for "
                            f"{and_list(preview.recipients)}.")
        self.table.setHorizontalHeaderItem(1, QTableWidgetItem(
            "Value here (before noise)" if preview.epsilon else "Value sent"))
        self.table.setRowCount(len(preview.readable))
        for r, (text, value, records) in enumerate(preview.readable):
            cells = (text, value, f"{records:,}")
            for c, cell in enumerate(cells):
                item = QTableWidgetItem(cell)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        noise = preview.noise
        if preview.epsilon:
            noise += (" Before encryption a random amount of noise is added to each figure "
                      "above, so the values sent differ a little from these.")
        if preview.masked:
            noise += (" Each figure is also masked: only the sum over every site can be "
                      "read.")
        self.noise.setText(noise)
        restyle(self.budget, " ".join(preview.budget), "error" if preview.blocked else "")
        notes = preview.notes or ["No value was out of bounds, unknown or missing."]
        self.stays.setText("Shown to you only, not sent:\n" + "\n".join(notes))
        self.stays.setVisible(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.wiz.preview is not None and not self.wiz.preview.blocked


class _SendPage(QWizardPage):
    def __init__(self, wizard: "ContributeWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Encrypt and write the contribution")
        self.setSubTitle("The figures are encrypted for the study and signed by you; your "
                         "privacy budget is charged only if this succeeds.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Encrypt and write")
        self.file = PathField("save", "Contribution file to write")
        self.file.changed.connect(lambda: self.completeChanged.emit())
        layout = QVBoxLayout(self)
        layout.addWidget(label("&Contribution file to write:"))
        layout.itemAt(0).widget().setBuddy(self.file.edit)
        layout.addWidget(self.file)
        layout.addWidget(wizard.progress)
        layout.addStretch(1)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.file.path() is not None and not self.wiz.runner.is_busy

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if self.wiz.sent is not None:
            return True
        self.wiz.runner.run(study.contribute, self.wiz.session.vault, self.wiz.study_id,
                            self.wiz.dataset_page.dataset(), self.wiz.columns_page.mapping(),
                            self.file.path(), title="Encrypting your contribution",
                            on_done=self.wiz.contributed)
        self.completeChanged.emit()
        return False


class _DonePage(QWizardPage):
    def __init__(self, wizard: "ContributeWizard"):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Your contribution is ready")
        self.setSubTitle("Send the file to the participant who combines the contributions "
                         "(often the coordinator).")
        self.saved = SavedFiles()
        self.details = label("")
        layout = QVBoxLayout(self)
        layout.addWidget(self.saved)
        layout.addWidget(self.details)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        sent = self.wiz.sent
        self.saved.set_files("The contribution was written:", [("", sent.path)])
        lines = [f"Round {sent.round}, {sent.bytes:,} bytes, encrypted for every participant."]
        if sent.epsilon:
            lines.append(f"ε = {sent.epsilon:g} was charged to the privacy budget of "
                         f"“{self.wiz.dataset_page.dataset()}”.")
        self.details.setText("\n".join(lines))


class ContributeWizard(CancelBeforeClosing, QWizard):
    """``sent`` holds the ``ContributionSent`` once the file is written."""

    def __init__(self, session, study_id: str, title: str, parent=None):
        super().__init__(parent)
        self.session, self.study_id = session, study_id
        self.setWindowTitle(f"Contribute to “{title}”")
        self.resize(900, 640)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.preview = None
        self.sent = None
        self.runner, self.progress = dialog_runner(session, self)
        self.preview_runner, self.preview_progress = dialog_runner(session, self)
        self.runner.ended.connect(lambda: self.send_page.completeChanged.emit())
        self.cancel_before_closing(self.runner, self.preview_runner)
        self.dataset_page = _DatasetPage(self)
        self.columns_page = _ColumnsPage(self)
        self.preview_page = _PreviewPage(self)
        self.send_page = _SendPage(self)
        self.done_page = _DonePage(self)
        for page in (self.dataset_page, self.columns_page, self.preview_page, self.send_page,
                     self.done_page):
            self.addPage(page)
        if session.is_demo:
            add_demo_banner(self)

    def contributed(self, sent) -> None:
        self.sent = sent
        self.next()


__all__ = ["ContributeWizard"]
