"""The import wizard, driven through its pages: preview with live parse options, roles
pre-filled from the profile, name, import with progress; and Cancel of a running import."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from ppds_desktop.paths import sample_csv
from ppds_desktop.services import datasets
from ppds_desktop.ui.import_wizard import (PAGE_IMPORT, PAGE_NAME, PAGE_PREVIEW, PAGE_ROLES,
                                           ImportWizard)
from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.roles_model import ROLE_COLUMN
from ppds_desktop.ui.session import AppSession


@pytest.fixture
def window(qtbot, vault):
    w = MainWindow(AppSession(vault))
    qtbot.addWidget(w)
    w.show()
    yield w
    if not w.session.is_locked:
        w.session.lock()


def _next(qtbot, wizard):
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def _to_roles_page(qtbot, wizard: ImportWizard, path) -> None:
    wizard.file_page.path.setText(str(path))
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_PREVIEW
    with qtbot.waitSignal(wizard.runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_ROLES


def test_import_the_sample_through_the_wizard(qtbot, window, vault, monkeypatch):
    reads = []
    real_read = datasets.read_table
    monkeypatch.setattr(datasets, "read_table",
                        lambda *a, **k: reads.append(a) or real_read(*a, **k))
    wizard = window.open_import_wizard()
    assert isinstance(wizard, ImportWizard) and wizard.isVisible()
    wizard.file_page.path.setText(str(sample_csv()))
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        _next(qtbot, wizard)
    preview = wizard.preview_page
    model = preview.table.model()
    assert model.columnCount() == 20 and model.rowCount() == 100
    assert "comma" in preview.detected.text() and "utf-8" in preview.detected.text()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    # a wrong delimiter re-previews live: one column, and the header problem is visible
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        preview.delimiter.setCurrentIndex(preview.delimiter.findData(";"))
    assert preview.table.model().columnCount() == 1
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        preview.delimiter.setCurrentIndex(0)      # back to "Detect"
    assert preview.table.model().columnCount() == 20

    with qtbot.waitSignal(wizard.runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    roles = wizard.roles_page.model
    rows = {r.name: r for r in roles.rows()}
    assert rows["SSN"].role == "identifier" and rows["SSN"].reason
    assert rows["ZIP"].role == "quasi_identifier"
    assert rows["Name"].examples                    # examples shown before import
    billing = roles.index(roles.row_for("Billing Amount"), ROLE_COLUMN)
    assert roles.setData(billing, "sensitive")
    assert wizard.roles() == {"Billing Amount": "sensitive"}

    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_NAME
    wizard.name_page.name.setText("Admissions 2024")
    with qtbot.waitSignal(wizard.runner.finished, timeout=30_000):
        _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IMPORT
    assert "1,000 rows" in wizard.import_page.status.text()
    with qtbot.waitSignal(wizard.imported, timeout=5000):
        wizard.button(QWizard.WizardButton.FinishButton).click()

    info = vault.dataset_info("Admissions 2024")
    assert info.n_rows == 1000
    assert len(reads) == 1          # the roles page's read is the one stored: no second read
    saved = vault.roles(info.uid)
    assert saved["Billing Amount"].role == "sensitive" and saved["Billing Amount"].confirmed
    assert saved["SSN"].role == "identifier" and not saved["SSN"].confirmed

    page = window.page("datasets")
    assert window.stack.currentWidget() is page and page.current_uid() == info.uid
    qtbot.waitUntil(lambda: page.table.model() is not None, timeout=20_000)
    table = page.table.model()
    assert table.rowCount() == 1000 and table.columnCount() == 20
    assert table.headerData(1, Qt.Orientation.Horizontal) == "Age\ninteger"
    assert page.roles_model.rows()[0].examples     # filled in from the loaded data


def test_name_page_refuses_a_taken_name(qtbot, window, vault):
    vault.put_dataset("sample admissions", __import__("pandas").DataFrame({"a": [1, 2]}))
    wizard = window.open_import_wizard()
    _to_roles_page(qtbot, wizard, sample_csv())
    _next(qtbot, wizard)
    assert wizard.name_page.name.text() == "sample admissions (2)"
    wizard.name_page.name.setText("sample admissions")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "already exists" in wizard.name_page.problem.text()
    wizard.reject()


def test_cancel_of_a_running_import_leaves_no_dataset(qtbot, window, vault):
    """Cancel is pressed while the import is inside its vault transaction."""
    inside, gate = threading.Event(), threading.Event()
    real_put = vault.put_dataset

    def slow_put(*args, **kwargs):  # runs on the worker, inside store_read's transaction
        inside.set()
        gate.wait(10)
        return real_put(*args, **kwargs)

    vault.put_dataset = slow_put
    before = len(vault.audit_entries())
    wizard = window.open_import_wizard()
    _to_roles_page(qtbot, wizard, sample_csv())
    _next(qtbot, wizard)
    _next(qtbot, wizard)                          # starts the import
    assert wizard.currentId() == PAGE_IMPORT
    qtbot.waitUntil(inside.is_set, timeout=20_000)
    with qtbot.waitSignal(wizard.runner.cancelled, timeout=20_000):
        wizard.reject()                           # the wizard's Cancel button / Esc
        gate.set()
    assert wizard.isVisible()                     # stays to say what happened
    assert "nothing was stored" in wizard.import_page.status.text()
    assert wizard.import_page.retry.isVisible()
    assert vault.list_datasets() == []
    assert len(vault.audit_entries()) == before
    wizard.reject()                               # a second Cancel closes it
    assert not wizard.isVisible()


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_preview_of_excel_and_parquet_files(qtbot, window, tmp_path, suffix):
    import pandas as pd

    frame = pd.DataFrame({"Age": [34, 51, 29], "ZIP": ["02139", "10001", "94110"]})
    path = tmp_path / f"extract.{suffix}"
    if suffix == "xlsx":
        with pd.ExcelWriter(path) as writer:
            frame.to_excel(writer, sheet_name="Patients", index=False)
            frame.head(1).to_excel(writer, sheet_name="Other", index=False)
    else:
        frame.to_parquet(path, index=False)
    wizard = window.open_import_wizard()
    wizard.file_page.path.setText(str(path))
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        _next(qtbot, wizard)
    preview = wizard.preview_page
    assert preview.table.model().rowCount() == 3
    assert preview.table.model().data(preview.table.model().index(0, 1)) == "02139"
    assert not preview.delimiter.isEnabled() and not preview.encoding.isEnabled()
    assert suffix.upper() in preview.detected.text()
    if suffix == "xlsx":
        assert preview.sheet.isVisibleTo(wizard)
        assert [preview.sheet.itemText(i) for i in range(preview.sheet.count())][1:] == \
            ["Patients", "Other"]
        with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
            preview.sheet.setCurrentIndex(2)
        assert preview.table.model().rowCount() == 1
    else:
        assert not preview.sheet.isVisibleTo(wizard)
    wizard.reject()


@pytest.mark.parametrize("first_line", ["Admissions export, March 2024", "sep=;"])
def test_detected_header_row_is_used_and_shown(qtbot, window, vault, tmp_path, first_line):
    """A title line (or Excel's ``sep=;`` line) above the header is skipped by detection; the
    spin box shows the detected line, and a line the user picks is used as given."""
    sep = ";" if first_line.startswith("sep=") else ","
    path = tmp_path / "extract.csv"
    path.write_text(f"{first_line}\n" + "\n".join(
        sep.join(row) for row in (["Name", "Age", "City"], ["Ann", "34", "Delft"],
                                  ["Bob", "51", "Leiden"])) + "\n")
    wizard = window.open_import_wizard()
    wizard.file_page.path.setText(str(path))
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        _next(qtbot, wizard)
    preview = wizard.preview_page
    assert preview.result.columns == ["Name", "Age", "City"] and not preview.result.error
    assert preview.header_row.value() == 2 and preview.result.options.header_row == 1

    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        preview.header_row.setValue(1)            # the user's choice is used as given
    assert preview.result.options.header_row == 0
    assert preview.result.columns != ["Name", "Age", "City"]
    with qtbot.waitSignal(wizard.runner.finished, timeout=10_000):
        preview.header_row.setValue(0)            # "Detect" again
    assert preview.header_row.value() == 2
    assert preview.result.columns == ["Name", "Age", "City"]

    with qtbot.waitSignal(wizard.runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_ROLES
    _next(qtbot, wizard)
    with qtbot.waitSignal(wizard.runner.finished, timeout=20_000):
        _next(qtbot, wizard)
    assert wizard.import_page.info is not None
    info = vault.dataset_info(wizard.import_page.info.id)
    assert info.columns == ["Name", "Age", "City"] and info.n_rows == 2
    assert info.source["options"]["header_row"] == 1
    wizard.reject()
