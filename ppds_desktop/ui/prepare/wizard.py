"""The Prepare wizard page (see the package docstring for the steps)."""

from __future__ import annotations

import copy
from pathlib import Path

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPlainTextEdit,
                               QPushButton, QRadioButton, QStackedWidget, QVBoxLayout, QWidget)

from ...services import recipes as R
from ...services.recipes import make_preset
from ...services.types import EXPERT, HIPAA, RESEARCH
from ...core.errors import PPDSError
from ...services import disclosure, files, plain, sharing
from ...services.datasets import export_file_name
from ...services import release as svc
from ..errors import show_error
from ..widgets.file_written import show_file_written
from ..widgets.help_label import help_label
from ..widgets.task_progress import TaskProgress
from ..worker import TaskRunner
from .columns_step import ColumnsStep
from .extra_pages import load_extra_pages
from .model_step import ModelStep
from .results_step import ResultsStep
from .state import PrepareState

FIXED_STEPS = 4         # dataset, preset, column actions, privacy model; then the extra pages

PRESET_TITLES = {
    HIPAA: "HIPAA &Safe Harbor",
    RESEARCH: "&Research: 5-anonymity, at most 5 % of the records left out",
    EXPERT: "&Expert: set every action and model setting yourself",
}
PRESET_HELP = {
    HIPAA: "Removes or coarsens the 18 identifier types of the HIPAA Safe Harbor rule "
           "(names, contact details, numbers, ZIP below 3 digits, date parts but the year, "
           "ages over 89) and shows a checklist of what was done per column.",
    RESEARCH: "Drops identifiers and generalizes quasi-identifiers until every record hides "
              "among at least 5 (k-anonymity), suppressing at most 5 % of the rows.",
    EXPERT: "Start from the roles and set every column action and model parameter yourself.",
}


class PrepareWizard(QWidget):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.state = PrepareState(session)
        self.runner = session.register_runner(TaskRunner(self, dialog_parent=self))
        self.extra = load_extra_pages()
        self._recipe_file: dict | None = None
        self._default_name = ""

        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px")
        self.steps = QStackedWidget()
        self.steps.addWidget(self._dataset_step())
        self.steps.addWidget(self._preset_step())
        self.columns_step = ColumnsStep()
        self.steps.addWidget(self.columns_step)
        self.model_step = ModelStep()
        self.steps.addWidget(self.model_step)
        self._extra_widgets: list[QWidget] = []
        for spec in self.extra:
            widget = spec.factory(self.state)
            self._extra_widgets.append(widget)
            self.steps.addWidget(widget)
        self.steps.addWidget(self._run_step())
        self.results_step = ResultsStep()
        self.results_step.apply_alternative_button.clicked.connect(self.apply_alternative)
        self.results_step.banner.fix_requested.connect(self.apply_risk_fix)
        self.results_step.banner.acknowledged_changed.connect(lambda _: self._update_save())
        self.steps.addWidget(self._results_page())
        self._names = (["Dataset", "Preset", "Column actions", "Privacy model"]
                       + [spec.title for spec in self.extra] + ["Check and run", "Results"])
        self.titles: list[str] = []
        self._retitle()

        self.back_button = QPushButton("< &Back")
        self.next_button = QPushButton("&Next >")
        self.next_button.setDefault(True)
        self.next_button.setAutoDefault(True)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        nav = QHBoxLayout()
        nav.addWidget(TaskProgress(self.runner), 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.steps, 1)
        layout.addLayout(nav)
        session.datasets_changed.connect(self.refresh_datasets)
        self.runner.busy_changed.connect(lambda busy: self._update_nav())
        self.refresh_datasets()
        self.go(0)

    # -- steps ----------------------------------------------------------------------------
    @property
    def run_index(self) -> int:
        return FIXED_STEPS + len(self.extra)

    @property
    def results_index(self) -> int:
        return self.run_index + 1

    def _dataset_step(self) -> QWidget:
        w = QWidget()
        self.dataset_combo = QComboBox()
        self.dataset_info = QLabel()
        self.dataset_info.setWordWrap(True)
        self.dataset_combo.currentIndexChanged.connect(self._describe_dataset)
        form = QFormLayout(w)
        label = QLabel("&Dataset to release:")
        label.setBuddy(self.dataset_combo)
        form.addRow(label, self.dataset_combo)
        form.addRow("", self.dataset_info)
        return w

    def _preset_step(self) -> QWidget:
        w = QWidget()
        layout = QVBoxLayout(w)
        self.preset_group = QButtonGroup(w)
        self.preset_buttons: dict[str, QRadioButton] = {}
        for key in (HIPAA, RESEARCH, EXPERT):
            button = QRadioButton(PRESET_TITLES[key])
            button.setProperty("preset", key)
            self.preset_group.addButton(button)
            self.preset_buttons[key] = button
            layout.addWidget(button)
            layout.addWidget(_help(PRESET_HELP[key]))
        self.preset_buttons[RESEARCH].setChecked(True)
        self.load_recipe_button = QPushButton("Or &load a recipe file…")
        self.load_recipe_button.clicked.connect(self._load_recipe_file)
        layout.addWidget(self.load_recipe_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(12)
        titles = ", ".join(spec.title.split(" (")[0].lower() for spec in self.extra)
        self.advanced = QCheckBox(f"&Advanced: also show the expert steps ({titles})")
        self.advanced.setChecked(False)
        self.advanced.toggled.connect(lambda _on: self._retitle())
        layout.addWidget(self.advanced)
        layout.addWidget(_help("Most releases need neither: leave this off unless an expert "
                               "asked you to perturb records or to encrypt columns for an "
                               "encrypted aggregation."))
        layout.addStretch(1)
        return w

    def _run_step(self) -> QWidget:
        w = QWidget()
        self.recipe_sentences = QLabel()
        self.recipe_sentences.setObjectName("recipeSentences")
        self.recipe_sentences.setWordWrap(True)
        self.recipe_sentences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recipe_sentences.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.recipe_view = QPlainTextEdit()
        self.recipe_view.setReadOnly(True)
        self.recipe_view.setAccessibleName("The recipe as a file")
        self.recipe_view.setVisible(False)
        self.show_recipe = QCheckBox("Show the recipe as a file (for e&xperts)")
        self.show_recipe.toggled.connect(self.recipe_view.setVisible)
        self.save_recipe_button = QPushButton("&Save this recipe…")
        self.save_recipe_button.setToolTip("Save the recipe to run it again later, here or in "
                                           "another vault")
        self.save_recipe_button.clicked.connect(lambda: self.save_recipe())
        row = QHBoxLayout()
        row.addWidget(self.show_recipe)
        row.addStretch(1)
        row.addWidget(self.save_recipe_button)
        layout = QVBoxLayout(w)
        layout.addWidget(QLabel("<b>What will happen</b> (press Run to start; Cancel or Esc "
                                "stops it and nothing is kept):"))
        layout.addWidget(self.recipe_sentences)
        layout.addLayout(row)
        layout.addWidget(self.recipe_view, 1)
        layout.addStretch(0)
        return w

    def _results_page(self) -> QWidget:
        w = QWidget()
        self.release_name = QLineEdit()
        self.save_button = QPushButton("&Save release in the vault")
        self.save_button.setToolTip("Store the recipe, the de-identified table and the report "
                                    "in the vault under the release name")
        self.save_button.clicked.connect(self.save_release)
        self.export_button = QPushButton("E&xport report…")
        self.export_button.setToolTip("Write the release report (every figure and chart) as "
                                      "one self-contained HTML file")
        self.export_button.clicked.connect(lambda: self.export_report())
        self.export_data_button = QPushButton("Export &data…")
        self.export_data_button.setToolTip("Write the de-identified table to a CSV, Excel or "
                                           "Parquet file (spreadsheet formulas are escaped)")
        self.export_data_button.clicked.connect(lambda: self.export_data())
        self.share_button = QPushButton("Share this &release…")
        self.share_button.setToolTip("Seal the saved release for contacts you verified")
        self.share_button.clicked.connect(self.share_release)
        self.share_button.setVisible(False)
        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        row = QHBoxLayout()
        name_label = QLabel("Release na&me:")
        name_label.setBuddy(self.release_name)
        row.addWidget(name_label)
        row.addWidget(self.release_name, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.share_button)
        row.addWidget(self.export_data_button)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(w)
        layout.addWidget(self.results_step, 1)
        layout.addLayout(row)
        layout.addWidget(self.saved_label)
        self.saved_release: str | None = None
        return w

    # -- navigation -----------------------------------------------------------------------
    def shown_steps(self) -> list[int]:
        """The steps the user walks through: the expert pages only with Advanced ticked."""
        extra = range(FIXED_STEPS, self.run_index)
        return [i for i in range(self.results_index + 1)
                if i not in extra or self.advanced.isChecked()]

    def _retitle(self) -> None:
        """Step titles numbered over the steps shown (the expert pages count only when on)."""
        shown = self.shown_steps()
        self.titles = [f"{shown.index(i) + 1}. {name}" if i in shown else name
                       for i, name in enumerate(self._names)]
        self.title.setText(self.titles[self.steps.currentIndex()])

    def go(self, index: int) -> None:
        index = max(0, min(index, self.results_index))
        self.steps.setCurrentIndex(index)
        self.title.setText(self.titles[index])
        if FIXED_STEPS <= index < self.run_index:
            self._extra_widgets[index - FIXED_STEPS].load(self.state)
        if index == self.run_index:
            self._show_recipe()
        self._update_nav()

    def _show_recipe(self) -> None:
        recipe = self.state.recipe
        self.recipe_sentences.setText("<ul style='margin-left:-20px'>" + "".join(
            f"<li style='margin-bottom:4px'>{escape(line)}</li>"
            for line in plain.recipe_sentences(recipe, self.state.frame)) + "</ul>")
        self.recipe_view.setPlainText(R.dumps(recipe))

    def _update_nav(self) -> None:
        i = self.steps.currentIndex()
        busy = self.runner.is_busy
        self.back_button.setEnabled(i > 0 and not busy)
        self.next_button.setEnabled(i < self.results_index and not busy)
        self.next_button.setText("&Run" if i == self.run_index else "&Next >")

    def _step_after(self, i: int) -> int:
        return next((s for s in self.shown_steps() if s > i), self.results_index)

    def back(self) -> None:
        i = self.steps.currentIndex()
        if i == self.results_index:
            self.go(self.run_index)
            return
        self.go(max([s for s in self.shown_steps() if s < i], default=0))

    def next(self) -> None:
        i = self.steps.currentIndex()
        try:
            if i == 0:
                if not self._enter_dataset():
                    return
            elif i == 1:
                self._enter_preset()
            elif i == 2:
                self.state.recipe["columns"] = self.columns_step.to_columns(
                    self.state.recipe.get("columns", {}))
                R.validate(self.state.recipe)
                R.check_columns(self.state.recipe, list(self.state.frame.columns))
                self.model_step.load(self.state.recipe, self.state.frame)
            elif i == 3:
                recipe = copy.deepcopy(self.state.recipe)
                self.model_step.apply(recipe)
                R.validate(recipe)
                R.check_columns(recipe, list(self.state.frame.columns))
                self.state.recipe = recipe
                if not self.advanced.isChecked():       # sections only expert pages edit
                    for spec in self.extra:
                        self.state.recipe.pop(spec.key, None)
            elif i < self.run_index:
                page = self._extra_widgets[i - FIXED_STEPS]
                problem = page.problem() if hasattr(page, "problem") else None
                if problem:
                    raise PPDSError(problem)
                recipe = copy.deepcopy(self.state.recipe)
                page.apply(recipe)
                self.state.recipe = R.validate(recipe)
            elif i == self.run_index:
                self.run()
                return
        except PPDSError as exc:
            show_error(self, _in_words(exc, self.state.recipe), title=self.titles[i])
            return
        self.go(self._step_after(i))

    # -- step logic -------------------------------------------------------------------------
    def refresh_datasets(self) -> None:
        current = self.dataset_combo.currentData()
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        for info in self.session.vault.list_datasets():
            if info.kind != "release":
                self.dataset_combo.addItem(f"{info.name} ({info.n_rows:,} rows)", info.id)
        if current is not None:
            self.dataset_combo.setCurrentIndex(max(0, self.dataset_combo.findData(current)))
        self.dataset_combo.blockSignals(False)
        self._describe_dataset()

    def select_dataset(self, name: str) -> None:
        for i in range(self.dataset_combo.count()):
            if self.dataset_combo.itemText(i).startswith(name + " ("):
                self.dataset_combo.setCurrentIndex(i)
                return
        raise KeyError(name)

    def _describe_dataset(self) -> None:
        ref = self.dataset_combo.currentData()
        if ref is None:
            self.dataset_info.setText("The vault has no dataset yet: import one first.")
            return
        info = self.session.vault.dataset_info(ref)
        self.dataset_info.setText(f"{info.n_rows:,} rows, {info.n_cols} columns: "
                                  + ", ".join(info.columns[:12])
                                  + (" …" if info.n_cols > 12 else ""))

    def _enter_dataset(self) -> bool:
        """True when the dataset is already loaded; otherwise start loading it on the worker
        (a million rows take a moment) and move on when it is there."""
        ref = self.dataset_combo.currentData()
        if ref is None:
            raise PPDSError("Choose a dataset (import one on the Datasets page first).")
        if self.state.dataset is not None and self.state.dataset.id == ref:
            return True
        self.runner.run(_load_dataset, self.session.vault, ref, title="Loading the dataset",
                        on_done=self._dataset_loaded)
        return False

    def _dataset_loaded(self, loaded: dict) -> None:
        for key, value in loaded.items():
            setattr(self.state, key, value)
        self.state.recipe = {}
        self.release_name.clear()
        self.go(1)

    def preset(self) -> str:
        return next(k for k, b in self.preset_buttons.items() if b.isChecked())

    def _enter_preset(self) -> None:
        if self._recipe_file is not None:
            self.state.recipe = copy.deepcopy(self._recipe_file)   # edits stay out of it
            R.check_columns(self.state.recipe, list(self.state.frame.columns))
        else:
            self.state.recipe = make_preset(self.preset(), list(self.state.frame.columns),
                                            self.state.roles, self.state.kinds)
        self.columns_step.load(self.state.recipe, self.state.reasons,
                               list(self.state.frame.columns), self.state.dataset.name)

    def _load_recipe_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a recipe", "", "Recipe (*.json)")
        if path:
            self.load_recipe(Path(path))

    def load_recipe(self, path: Path) -> None:
        try:
            recipe = R.load(path)
        except PPDSError as exc:
            show_error(self, _in_words(exc), title="Load recipe")
            return
        self._recipe_file = recipe
        if any(spec.key in recipe for spec in self.extra):
            self.advanced.setChecked(True)               # its expert sections are shown
        self.load_recipe_button.setText(f"Recipe loaded from {Path(path).name} (Next uses it)")

    def _ask_save_path(self, title: str, default: str, filter_: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, title, default, filter_)
        return Path(name) if name else None

    def save_recipe(self, path: Path | None = None) -> None:
        path = path or self._ask_save_path("Save recipe", "recipe.json", "Recipe (*.json)")
        if path is None:
            return
        try:
            files.save_recipe(path, self.state.recipe)
        except PPDSError as exc:
            show_error(self, exc, title="Save recipe")
            return
        self.file_box = show_file_written(self, path, "Recipe",
                                          note="Load it on the Preset step to run it again.")

    # -- run, alternatives, save ------------------------------------------------------------
    def run(self) -> None:
        self.saved_label.setText("")
        self.runner.run(svc.run_release, self.session.vault, self.state.dataset.id,
                        copy.deepcopy(self.state.recipe), title="De-identifying",
                        on_done=self._show_outcome)

    def _show_outcome(self, outcome) -> None:
        self.state.outcome = outcome
        self.saved_release = None
        self.share_button.setVisible(False)
        verdict = disclosure.verdict(outcome.report, self.session.vault)
        self.results_step.show_outcome(self.state.frame, outcome, verdict)
        if self.release_name.text().strip() in ("", self._default_name):   # not typed by the user
            self._default_name = svc.default_release_name(self.state.dataset.name, verdict)
            self.release_name.setText(self._default_name)
        self._update_save()
        self.go(self.results_index)

    def _update_save(self) -> None:
        """Saving and exporting a release that can still identify people wait for the
        banner's check box."""
        ok = self.state.outcome is not None and self.results_step.banner.acknowledged
        for button in (self.save_button, self.export_button, self.export_data_button):
            button.setEnabled(ok)

    def apply_risk_fix(self) -> None:
        """The banner's one-click fix: add k-anonymity on the quasi-identifiers, run again."""
        try:
            self.state.recipe = svc.with_k_anonymity(self.state.recipe,
                                                     self.results_step.banner.verdict)
        except PPDSError as exc:
            show_error(self, exc, title="Add k-anonymity")
            return
        self.model_step.load(self.state.recipe, self.state.frame)
        self.run()

    def apply_alternative(self) -> None:
        chosen = self.results_step.selected_alternative()
        if chosen is None:
            QMessageBox.information(self, "Alternatives", "Select a row first.")
            return
        self.state.recipe.setdefault("privacy", {})["levels"] = dict(chosen["levels"])
        candidates = self.results_step.candidates

        def keep_list(outcome):
            outcome.candidates = candidates       # a fixed-levels run does not search again
            self._show_outcome(outcome)
        self.runner.run(svc.run_release, self.session.vault, self.state.dataset.id,
                        copy.deepcopy(self.state.recipe), title="Applying the transformation",
                        on_done=keep_list)

    def save_release(self) -> None:
        if self.state.outcome is None:
            return
        name = self.release_name.text().strip()
        if not name:
            show_error(self, PPDSError("Give the release a name."), title="Save release")
            return
        self.runner.run(svc.save_release, self.session.vault, self.state.outcome, name,
                        accept_risk=self.results_step.banner.acknowledge.isChecked(),
                        title="Saving the release", on_done=self._saved)

    def _saved(self, info) -> None:
        self.saved_release = info.name
        self.saved_label.setText(f"Saved the release “{info.name}” in the vault, with its "
                                 "recipe and report. Next: share it with a partner.")
        self.share_button.setVisible(True)
        self.share_button.setFocus()
        self.session.releases_changed.emit()
        self.session.datasets_changed.emit()

    def share_release(self):
        """Open the Share wizard with the saved release chosen (the identity comes first)."""
        if self.saved_release is None:
            return None
        from ..share.share_wizard import ShareWizard

        if sharing.identity_or_none(self.session.vault) is None:
            box = QMessageBox(QMessageBox.Icon.Information, "Share this release",
                              "To share, this vault needs an identity first: create it on the "
                              "Identity & sharing page, exchange identity cards with your "
                              "partner and verify them. The release stays saved in the vault.",
                              QMessageBox.StandardButton.Ok, self)
            window = self.window()
            if hasattr(window, "open_page"):
                box.finished.connect(lambda _r: window.open_page("sharing"))
            box.open()
            self.share_box = box
            return None
        self.share_wizard = ShareWizard(self.session, self)
        self.share_wizard.source_page.select(self.saved_release)
        self.share_wizard.open()
        return self.share_wizard

    def export_report(self, path: Path | None = None) -> None:
        if self.state.outcome is None:
            return
        path = path or self._ask_save_path("Export report", "report.html", "HTML (*.html)")
        if path is None:
            return
        try:
            svc.write_report(self.session.vault, self.state.outcome, path,
                             name=self.release_name.text().strip() or self.state.dataset.name,
                             accept_risk=self.results_step.banner.acknowledge.isChecked())
        except PPDSError as exc:
            show_error(self, exc, title="Export report")
            return
        self.file_box = show_file_written(self, path, "Report")

    def export_data(self, path: Path | None = None) -> None:
        """Write the de-identified table (saved or not) to a file, on the worker."""
        if self.state.outcome is None:
            return
        name = self.release_name.text().strip() or self.state.dataset.name
        path = path or self._ask_save_path(
            "Export the de-identified data", export_file_name(name),
            "CSV (*.csv);;Excel workbook (*.xlsx);;Parquet (*.parquet)")
        if path is None:
            return
        self.runner.run(svc.export_output, self.session.vault, self.state.outcome, path,
                        name=name, accept_risk=self.results_step.banner.acknowledge.isChecked(),
                        title="Exporting the data",
                        on_done=lambda out: setattr(self, "file_box", show_file_written(
                            self, out, "De-identified data")))

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Esc cancels the wizard's own job (the main window's Esc only knows its runner)."""
        if event.key() == Qt.Key.Key_Escape and self.runner.is_busy:
            self.runner.cancel()
            return
        super().keyPressEvent(event)


def _help(text: str) -> QLabel:
    """A preset's explanation, indented under its choice."""
    label = help_label(text)
    label.setContentsMargins(24, 0, 0, 8)
    return label


def _in_words(exc: PPDSError, recipe: dict | None = None) -> PPDSError:
    """The error with a recipe field path put in words (column and setting by name)."""
    text = plain.error_text(exc, recipe)
    return exc if text == exc.message else PPDSError(text, hint=exc.hint)


def _load_dataset(vault, ref, task=None) -> dict:
    """The dataset, its roles with reasons, and the profile's detected categories (worker)."""
    info = vault.dataset_info(ref)
    frame = vault.load_dataset(info.id, task=task)
    roles = vault.roles(info.id)
    return {"dataset": info, "frame": frame,
            "roles": {c: r.role for c, r in roles.items()},
            "reasons": {c: r.reason for c, r in roles.items()},
            "kinds": svc.profile_kinds(info.profile)}
