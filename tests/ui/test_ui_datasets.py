"""The Datasets page (data table, profile with editable roles, details), the table model at a
million rows, and the audit page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QTableView

from conftest import PASSPHRASE
from ppds_desktop.core.vault import Vault
from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.roles_model import REASON_COLUMN, ROLE_COLUMN
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.table_model import ArrowTableModel, format_value


def _small_frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({
        "Name": [f"Person {i}" for i in range(n)],
        "Age": np.arange(n) % 90,
        "Billing Amount": np.linspace(10.5, 900.25, n),
        "Medical Condition": ["Asthma", "Diabetes", None, "Cancer"] * (n // 4),
    })


def _window(qtbot, vault) -> MainWindow:
    session = AppSession(vault)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    return window


def _wait_loaded(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.table.model() is not None, timeout=10_000)


def test_model_over_a_million_rows(qtbot):
    n = 1_000_000
    table = pa.table({
        "id": np.arange(n, dtype=np.int64),
        "amount": np.arange(n, dtype=np.float64) / 8,
        "ward": pa.array(np.array(["A", "B", "C", "D"])[np.arange(n) % 4]),
        "admitted": pa.array(np.arange(n).astype("datetime64[D]")),
    })
    model = ArrowTableModel(table, {"id": "integer"})
    assert model.rowCount() == 1_000_000 and model.columnCount() == 4
    assert model.headerData(0, Qt.Orientation.Horizontal) == "id\ninteger"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "ward\ntext"
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 400)
    view.show()
    view.scrollToBottom()
    qtbot.wait(10)  # let it paint the last screenful
    last = model.index(n - 1, 0)
    assert model.data(last) == "999999"
    assert model.data(model.index(n - 1, 1)) == "124999.875"
    assert model.data(model.index(n - 1, 2)) == "D"
    assert model.data(model.index(1, 3)) == "1970-01-02"
    assert model.data(last, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0)) == "999999"
    assert not model.index(0, 0).parent().isValid() and model.rowCount(QModelIndex()) == n


def test_model_over_a_million_row_pandas_frame(qtbot):
    n = 1_000_000
    frame = pd.DataFrame({"age": np.arange(n) % 90,
                          "condition": pd.Categorical(np.array(["Asthma", "Flu"])[np.arange(n) % 2])})
    model = ArrowTableModel(frame)
    assert model.rowCount() == n
    assert model.data(model.index(n - 1, 0)) == str((n - 1) % 90)
    assert model.data(model.index(n - 1, 1)) == "Flu"


def test_format_value():
    assert format_value(None) == "" and format_value(float("nan")) == ""
    assert format_value(3.0) == "3" and format_value(2.50) == "2.5"
    assert format_value(True) == "yes"


def test_dataset_page_shows_data_profile_and_saves_roles(qtbot, vault, vault_path):
    frame = _small_frame()
    profile = {"columns": [
        {"name": "Name", "kind": "text", "missing_share": 0.0, "distinct": 40,
         "examples": ["Person 1", "Person 2"]},
        {"name": "Age", "kind": "integer", "missing_share": 0.0, "distinct": 40},
        {"name": "Billing Amount", "kind": "decimal", "missing_share": 0.0, "distinct": 40},
        {"name": "Medical Condition", "kind": "categorical", "missing_share": 0.25,
         "distinct": 3},
    ]}
    roles = {"Name": {"role": "identifier", "reason": "the header says it holds names"},
             "Medical Condition": {"role": "sensitive", "reason": "health information"}}
    vault.put_dataset("admissions", frame, profile=profile, roles=roles,
                      source={"file": "admissions.csv"})
    window = _window(qtbot, vault)
    page = window.page("datasets")
    _wait_loaded(qtbot, page)
    model = page.table.model()
    assert model.rowCount() == 40
    assert model.data(model.index(0, 0)) == "Person 0"
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Medical Condition\ncategorical"
    assert model.data(model.index(2, 3)) == ""        # missing shown empty

    roles_model = page.roles_model
    row = roles_model.row_for("Medical Condition")
    assert roles_model.data(roles_model.index(row, 2)) == "25.0%"
    assert roles_model.data(roles_model.index(row, ROLE_COLUMN)) == "Sensitive"
    assert roles_model.data(roles_model.index(roles_model.row_for("Name"), REASON_COLUMN)) == \
        "the header says it holds names"
    assert "admissions.csv" in page.details.toPlainText()

    # change a role through the real editor (combo delegate)
    page.tabs.setCurrentIndex(1)
    age = roles_model.index(roles_model.row_for("Age"), ROLE_COLUMN)
    page.profile.setCurrentIndex(age)
    page.profile.edit(age)
    editor = page.profile.findChild(QComboBox)
    assert editor is not None and editor.currentData() == "insensitive"
    editor.setCurrentIndex(editor.findData("quasi_identifier"))
    editor.activated.emit(editor.currentIndex())
    assert roles_model.data(age) == "Quasi-identifier"
    assert vault.roles("admissions")["Age"].role == "quasi_identifier"
    assert any(e.action == "role.set" and e.details.get("column") == "Age"
               for e in vault.audit_entries())

    # the change persists across lock and unlock
    window.session.lock()
    reopened = Vault.open(vault_path, PASSPHRASE)
    window2 = _window(qtbot, reopened)
    page2 = window2.page("datasets")
    _wait_loaded(qtbot, page2)
    rows = {r.name: r for r in page2.roles_model.rows()}
    assert rows["Age"].role == "quasi_identifier" and rows["Age"].confirmed
    window2.session.lock()


def test_audit_page_lists_entries_and_verifies_the_chain(qtbot, vault):
    vault.put_dataset("t", _small_frame(8))
    window = _window(qtbot, vault)
    page = window.open_page("audit")
    actions = [page.model.data(page.model.index(r, 3)) for r in range(page.model.rowCount())]
    assert actions[0].startswith("Stored the dataset") and "Created this vault." in actions  # newest first
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.verify_button.click()
    assert "intact" in page.result.text()
    window.session.lock()


def test_delete_and_rename_from_the_page(qtbot, vault, monkeypatch):
    vault.put_dataset("first", _small_frame(8))
    vault.put_dataset("second", _small_frame(8))
    window = _window(qtbot, vault)
    page = window.page("datasets")
    assert page.list.count() == 2 and page.current_uid() == vault.dataset_info("second").uid
    monkeypatch.setattr("ppds_desktop.ui.datasets_page.QInputDialog.getText",
                        lambda *a, **k: ("renamed", True))
    page.rename_current()
    assert [d.name for d in vault.list_datasets()] == ["first", "renamed"]
    assert page.list.currentItem().text().splitlines()[0] == "renamed"
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.delete_current(confirm=False)
    assert [d.name for d in vault.list_datasets()] == ["first"]
    assert page.list.count() == 1 and page.title.text() == "first"
    window.session.lock()


def test_deleting_the_last_dataset_frees_its_table_model(qtbot, vault):
    vault.put_dataset("only", _small_frame(8))
    window = _window(qtbot, vault)
    page = window.page("datasets")
    _wait_loaded(qtbot, page)
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.delete_current(confirm=False)
    assert page.table.model() is None and page.right_stack.currentIndex() == 0
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not page.table.findChildren(ArrowTableModel)  # its data is not kept in memory
    window.session.lock()


def test_export_writes_the_file_and_audits_it(qtbot, vault, tmp_path):
    vault.put_dataset("to export", _small_frame(8), kind="release")
    window = _window(qtbot, vault)
    page = window.page("datasets")
    dest = tmp_path / "out.csv"
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.export_current(str(dest), confirm=False)
    assert dest.read_bytes().startswith(b'\xef\xbb\xbf"Name","Age"')     # for spreadsheets
    assert page.file_box.isVisible() and "out.csv" in page.file_box.text()
    assert str(tmp_path) in page.file_box.informativeText()
    assert vault.audit_entries()[-1].action == "dataset.exported"
    plain = tmp_path / "plain.csv"
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.export_current(str(plain), confirm=False, plain_csv=True)
    assert plain.read_bytes().startswith(b'"Name","Age"')
    window.session.lock()
