"""The "Encrypted aggregation" page: it asks the user's role first (site, collector, key
holder) and shows that role's part: a site's steps, computing on encrypted columns and reading
results (collector), keys and answering a decryption request (key holder). Every action runs a ``services.he`` function on the
session's worker; this module only collects inputs and shows outputs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox,
                               QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit,
                               QPushButton,
                               QRadioButton, QSpinBox, QTableView, QTabWidget, QVBoxLayout,
                               QWidget)

from ...services.choices import KEY_SIZES
from ...services import disclosure, he
from ..local_time import local_time
from ..session import AppSession
from ..share.bundle_dialogs import ask_bundle_to_open, ask_bundle_to_save
from ..table_model import ArrowTableModel, replace_model
from ..widgets.file_written import export_results, show_file_written
from ..widgets.help_label import help_label
from ..widgets.svg_view import SvgChart


def single_key_warning_label() -> QLabel:
    """The plain statement of what single-key mode lets the key holder do."""
    label = QLabel(he.SINGLE_KEY_WARNING)
    label.setObjectName("warning")
    label.setWordWrap(True)
    return label


class KeysTab(QWidget):
    def __init__(self, session: AppSession):
        super().__init__()
        self.session = session
        self.keys = QListWidget()
        self.bits = QComboBox()
        self.bits.addItems([str(bits) for bits in KEY_SIZES])
        self.name = QLineEdit("default")
        self.generate = QPushButton("&Generate key")
        self.generate.clicked.connect(self.create_key)
        form = QFormLayout()
        form.addRow("Key &name:", self.name)
        form.addRow("Key si&ze (bits):", self.bits)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Your Paillier keys. The public key is published on your "
                                "identity card: peers encrypt columns for you with it."))
        layout.addWidget(self.keys)
        layout.addLayout(form)
        layout.addWidget(self.generate)
        layout.addWidget(single_key_warning_label())
        self.refresh()

    def refresh(self) -> None:
        self.keys.clear()
        for k in he.list_keys(self.session.vault):
            self.keys.addItem(f"{k.name} · {k.bits} bits · {k.fingerprint}"
                              f"{' · on your card' if k.published else ''}")

    def create_key(self) -> None:
        name, bits = self.name.text().strip() or "default", int(self.bits.currentText())
        self.session.runner.run(lambda task: he.create_key(self.session.vault, name, bits=bits),
                                title="Generating a Paillier key", on_done=lambda _: self.refresh())


def _compute_and_send(vault, bundle_paths, release_names, query, out_path, *, confirmed, task):
    contributions = [he.contribution_from_bundle(vault, p, task=task.sub(0, 0.3))
                     for p in bundle_paths]
    contributions += [he.contribution_from_release(vault, r) for r in release_names]
    request = he.compute_request(vault, contributions, query, allow_identifiers=confirmed,
                                 accept_risk=confirmed, task=task.sub(0.3, 0.9))
    he.send_request(vault, request, out_path, task=task.sub(0.9, 1.0))
    return request


class ComputeTab(QWidget):
    """Collector side: choose contributions, define the query, write the request bundle."""

    def __init__(self, session: AppSession):
        super().__init__()
        self.session = session
        self.bundles: list[Path] = []
        self.sources = QListWidget()
        add = QPushButton("Add &bundle file…")
        add.clicked.connect(self._choose_bundle)
        add_release = QPushButton("Add from &vault")
        self.releases = QComboBox()
        self.releases.setAccessibleName("Encrypted releases in this vault")
        add_release.clicked.connect(self._add_release)
        self.query = QLineEdit("mean Billing Amount by Medical Condition")
        self.query.setPlaceholderText("e.g. mean Billing Amount by Medical Condition "
                                      "where Gender = Female")
        self.query.setToolTip("sum, count, mean or variance of an encrypted column, optionally "
                              "'by' plaintext columns (comma-separated) and 'where' COLUMN = VALUE "
                              "(also !=, <, <=, >, >=; join conditions with 'and'). Example: "
                              "mean Billing Amount, variance Billing Amount by Medical Condition")
        self.send = QPushButton("Compute and &save request…")
        self.send.clicked.connect(self._choose_output)
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.releases, 1)
        row.addWidget(add_release)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Releases and bundles encrypted under the same public key:"))
        layout.addWidget(self.sources)
        layout.addLayout(row)
        form = QFormLayout()
        form.addRow("&Query:", self.query)
        layout.addLayout(form)
        layout.addWidget(self.send)
        layout.addWidget(QLabel("What the key holder will be asked to decrypt:"))
        layout.addWidget(self.summary)
        layout.addWidget(single_key_warning_label())
        self.release_names: list[str] = []
        self.refresh_releases()

    def refresh_releases(self) -> None:
        self.releases.clear()
        for r in self.session.vault.list_releases():
            if he.ENCRYPTED_FILE in r.files:
                self.releases.addItem(r.name)

    def _choose_bundle(self) -> None:
        path = ask_bundle_to_open(self, "Open a release bundle")
        if path:
            self.add_bundle(path)

    def add_bundle(self, path: Path) -> None:
        if Path(path) in self.bundles:              # adding it twice would count it twice
            return
        self.bundles.append(Path(path))
        self.sources.addItem(QListWidgetItem(f"Bundle file {Path(path).name}"))

    def _add_release(self) -> None:
        name = self.releases.currentText()
        if name and name not in self.release_names:
            self.release_names.append(name)
            self.sources.addItem(f"Release in this vault: {name}")

    def _choose_output(self) -> None:
        path = ask_bundle_to_save(self, "Save the decryption request")
        if path:
            self.compute(path)

    def confirm_own_releases(self) -> bool | None:
        """Own releases travel to the key holder sealed like any share, so the Datasets page's
        question comes first when one may identify people: True (go ahead anyway), False
        (nothing to ask), None (the user said no)."""
        warnings = {name: disclosure.export_warnings(self.session.vault, name)
                    for name in self.release_names}
        text = "\n\n".join(f"“{name}”: " + " ".join(found)
                            for name, found in warnings.items() if found)
        if not text:
            return False
        answer = QMessageBox.warning(
            self, "Send data that may identify people?",
            "The request carries your own release, sealed for the key holder, who re-computes "
            "every figure from it.\n\n" + text + "\n\nSend it anyway? Going ahead is "
            "recorded in the audit log.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return True if answer == QMessageBox.StandardButton.Yes else None

    def compute(self, out_path: Path) -> bool:
        confirmed = self.confirm_own_releases()
        if confirmed is None:
            return False

        def done(request):
            self.summary.setPlainText("\n".join(request.describe()))
            self.file_box = show_file_written(
                self, out_path, "Decryption request",
                note="Send it to the key holder; they answer with a result file that you open "
                     "on the Results tab.")
        return self.session.runner.run(
            _compute_and_send, self.session.vault, list(self.bundles), list(self.release_names),
            self.query.text(), out_path, confirmed=confirmed,
            title="Computing on encrypted columns", on_done=done)


class AnswerTab(QWidget):
    """Key-holder side: review a request, then decrypt only its cells and write the result."""

    def __init__(self, session: AppSession):
        super().__init__()
        self.session = session
        self.request = None
        self.sender = None
        open_btn = QPushButton("&Open request…")
        open_btn.clicked.connect(self._choose_request)
        self.review = QPlainTextEdit()
        self.review.setReadOnly(True)
        self.min_records = QSpinBox()
        self.min_records.setRange(1, 1_000_000)
        self.min_records.setValue(he.DEFAULT_MIN_RECORDS)
        self.use_dp = QCheckBox("Add &noise to every answer (differential privacy)")
        self.use_dp.setChecked(True)
        self.epsilon = QDoubleSpinBox()
        self.epsilon.setRange(0.01, 10.0)
        self.epsilon.setValue(he.DEFAULT_EPSILON)
        self.budget = QComboBox()
        self.use_dp.toggled.connect(self._dp_toggled)
        self.refresh_datasets()
        session.datasets_changed.connect(self.refresh_datasets)
        self.answer_btn = QPushButton("&Decrypt and save answer…")
        self.answer_btn.setEnabled(False)
        self.answer_btn.clicked.connect(self._choose_output)
        self.status = QLabel()
        form = QFormLayout()
        self.min_records.setToolTip(he.MIN_RECORDS_HELP)
        self.epsilon.setToolTip(he.EPSILON_HELP)
        self.budget.setToolTip("The dataset whose privacy budget (set on the Differential "
                               "privacy page) pays for the noise.")
        self.min_records_help = help_label(he.MIN_RECORDS_HELP)
        self.epsilon_help = help_label(he.EPSILON_HELP)
        form.addRow("Refuse cells under (&records):", self.min_records)
        form.addRow(self.min_records_help)
        form.addRow(self.use_dp)
        form.addRow("&Epsilon (ε) to spend:", self.epsilon)
        form.addRow("from the &budget of:", self.budget)
        form.addRow(self.epsilon_help)
        self._dp_toggled(True)
        layout = QVBoxLayout(self)
        layout.addWidget(open_btn)
        layout.addWidget(QLabel("What would be decrypted:"))
        layout.addWidget(self.review)
        layout.addLayout(form)
        layout.addWidget(self.answer_btn)
        layout.addWidget(self.status)
        layout.addWidget(single_key_warning_label())

    def refresh_datasets(self) -> None:
        self.budget.clear()
        for d in self.session.vault.list_datasets():
            self.budget.addItem(d.name)

    def _dp_toggled(self, on: bool) -> None:
        self.epsilon.setEnabled(on)
        self.budget.setEnabled(on)
        self.epsilon_help.setEnabled(on)

    def _choose_request(self) -> None:
        path = ask_bundle_to_open(self, "Open a decryption request")
        if path:
            self.load_request(path)

    def load_request(self, path: Path) -> bool:
        def loaded(pair):
            self.request, self.sender = pair
            self.review.setPlainText("\n".join(self.request.describe()))
            self.answer_btn.setEnabled(True)
        return self.session.runner.run(
            lambda task: he.open_request(self.session.vault, path, task=task),
            title="Opening the request", on_done=loaded)

    def _choose_output(self) -> None:
        path = ask_bundle_to_save(self, "Save the answer")
        if path:
            self.answer(path)

    def answer(self, out_path: Path) -> bool:
        vault, request, sender = self.session.vault, self.request, self.sender
        dp = self.use_dp.isChecked()
        epsilon = self.epsilon.value() if dp else None
        budget = self.budget.currentText() if dp else None
        if dp and not budget:
            self.status.setText("Choose the dataset whose privacy budget pays for the noise, or "
                                "untick the noise to answer exactly.")
            return False
        min_records = self.min_records.value()

        def work(task):
            return he.answer_and_send(vault, request, sender, out_path, min_records=min_records,
                                      epsilon=epsilon, budget_dataset=budget, task=task)

        def done(result):
            refused = sum(1 for r in result.rows if r["refused"])
            how = f"with noise (ε = {epsilon:g})" if dp else "exactly, without noise"
            self.status.setText(f"Answered {len(result.rows) - refused} cell(s) {how}, refused "
                                f"{refused}; saved for {sender.name}.")
            self.file_box = show_file_written(self, out_path, "Answer",
                                              note=f"Send it to {sender.name}: only they can "
                                                   "open it.")
        return self.session.runner.run(work, title="Decrypting the requested cells", on_done=done)


class ResultTab(QWidget):
    def __init__(self, session: AppSession):
        super().__init__()
        self.session = session
        self.result = None
        open_btn = QPushButton("Open &result…")
        open_btn.clicked.connect(self._choose_result)
        self.export_button = QPushButton("E&xport results…")
        self.export_button.setToolTip("Write the decrypted figures to a CSV or Excel file")
        self.export_button.clicked.connect(lambda: self.export_results())
        self.export_button.setEnabled(False)
        self.table = QTableView()
        self.chart = SvgChart()
        self.provenance = QPlainTextEdit()
        self.provenance.setReadOnly(True)
        self.provenance.setAccessibleName("Where the result comes from")
        buttons = QHBoxLayout()
        buttons.addWidget(open_btn)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.chart, 2)
        layout.addWidget(QLabel("Provenance:"))
        layout.addWidget(self.provenance, 1)

    def _choose_result(self) -> None:
        path = ask_bundle_to_open(self, "Open a result")
        if path:
            self.load_result(path)

    def load_result(self, path: Path) -> bool:
        return self.session.runner.run(
            lambda task: he.open_result(self.session.vault, path, task=task),
            title="Opening the result", on_done=self.show_result)

    def show_result(self, result) -> None:
        self.result = result
        # Names only: Arrow types ("large_string") mean nothing to a reader of the result.
        replace_model(self.table, ArrowTableModel(result.frame(), show_types=False,
                                                  parent=self.table))
        self.table.resizeColumnsToContents()
        self.chart.set_svg(he.result_chart(result))
        self.provenance.setPlainText("\n".join(he.provenance_lines(result, when=local_time)))
        self.export_button.setEnabled(True)

    def export_results(self, path=None) -> None:
        if self.result is not None:
            self.file_box = export_results(self, lambda dest: he.export_result(self.result, dest),
                                           "aggregation-result.csv", path)


ROLE_SETTING = "ui.aggregation_role"
ROLES = {
    "site": ("A &site", "I contribute my hospital's data, with the figures encrypted."),
    "collector": ("The c&ollector", "I combine the sites' encrypted data and ask the key "
                                    "holder for the totals."),
    "key_holder": ("The &key holder", "I hold the key and decrypt only the combined figures."),
}


class SiteTab(QWidget):
    """What a site does: encrypt columns under the key holder's key while preparing a
    release, then share the release with the collector and the key holder."""

    def __init__(self, session: AppSession):
        super().__init__()
        self.session = session
        steps = QLabel(
            "<ol style='margin-left:-20px'>"
            "<li>Import the key holder's identity card (Identity &amp; sharing ▸ Import card) "
            "and verify it: it carries their public key.</li>"
            "<li>On <b>Prepare release</b>, tick <b>Advanced</b> on the Preset step and, on the "
            "<b>Encrypt columns</b> step, choose the columns to encrypt and the key holder's key. "
            "Use the settings the collector gave every site.</li>"
            "<li>Save the release, then <b>Share this release…</b> with the collector and the "
            "key holder.</li></ol>")
        steps.setWordWrap(True)
        self.keys = QListWidget()
        self.keys.setAccessibleName("Public keys you can encrypt for")
        self.prepare_button = QPushButton("Go to &Prepare release")
        self.prepare_button.clicked.connect(self._prepare)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Taking part as a site</b>"))
        layout.addWidget(steps)
        layout.addWidget(QLabel("Keys you can encrypt for:"))
        layout.addWidget(self.keys, 1)
        layout.addWidget(self.prepare_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.refresh()

    def refresh(self) -> None:
        self.keys.clear()
        for label, _ref in he.key_choices(self.session.vault):
            self.keys.addItem(label)
        if not self.keys.count():
            self.keys.addItem("None yet: import the key holder's identity card first.")

    def _prepare(self) -> None:
        window = self.window()
        page = window.open_page("prepare") if hasattr(window, "open_page") else None
        if page is not None and hasattr(page, "advanced"):
            page.advanced.setChecked(True)


class HomomorphicPage(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        title = QLabel("Encrypted aggregation")
        title.setObjectName("pageTitle")
        intro = QLabel("Several sites add up figures (sums, means, variances) without showing "
                       "each other their records: each site encrypts its columns, a collector "
                       "combines them, and a key holder decrypts only the combined figures.")
        intro.setWordWrap(True)
        role_box = QGroupBox("What is your role here?")
        role_layout = QVBoxLayout(role_box)
        self.role_group = QButtonGroup(self)
        self.role_buttons: dict[str, QRadioButton] = {}
        for key, (label, meaning) in ROLES.items():
            button = QRadioButton(f"{label} — {meaning}")
            self.role_group.addButton(button)
            self.role_buttons[key] = button
            role_layout.addWidget(button)
            button.toggled.connect(lambda on, k=key: on and self.set_role(k))
        self.tabs = QTabWidget()
        self.site_tab = SiteTab(session)
        self.keys_tab = KeysTab(session)
        self.compute_tab = ComputeTab(session)
        self.answer_tab = AnswerTab(session)
        self.result_tab = ResultTab(session)
        self.tabs.addTab(self.site_tab, "Contribute")
        self.tabs.addTab(self.compute_tab, "Compute")
        self.tabs.addTab(self.result_tab, "Results")
        self.tabs.addTab(self.answer_tab, "Answer a request")
        self.tabs.addTab(self.keys_tab, "Keys")
        self.choose_hint = QLabel("Choose your role above to see what you do.")
        self.choose_hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(role_box)
        layout.addWidget(self.choose_hint)
        layout.addWidget(self.tabs, 1)
        session.releases_changed.connect(self.compute_tab.refresh_releases)
        self.role = None
        saved = session.vault.get_setting(ROLE_SETTING, None)
        if saved in ROLES:
            self.role_buttons[saved].setChecked(True)
        else:
            self.tabs.setVisible(False)

    def set_role(self, role: str) -> None:
        """Show the part of the page this role uses (and remember it for this vault)."""
        self.role = role
        shown = {"site": [self.site_tab],
                 "collector": [self.compute_tab, self.result_tab],
                 "key_holder": [self.answer_tab, self.keys_tab]}[role]
        for i in range(self.tabs.count()):
            self.tabs.setTabVisible(i, self.tabs.widget(i) in shown)
        self.tabs.setCurrentWidget(shown[0])
        self.tabs.setVisible(True)
        self.choose_hint.setVisible(False)
        if not self.role_buttons[role].isChecked():
            self.role_buttons[role].setChecked(True)
        if self.session.vault.get_setting(ROLE_SETTING, None) != role:
            self.session.vault.set_setting(ROLE_SETTING, role)
