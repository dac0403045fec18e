"""Safety rail: exporting data that still has direct identifiers needs an explicit yes — the
same rule (``services.disclosure``) for ``ppds export``, the Datasets page and sealing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from ppds_desktop.core.errors import ConfirmationNeeded
from ppds_desktop.paths import sample_csv
from ppds_desktop.services import datasets, disclosure


def test_service_refuses_identifiers_without_allow_and_audits_them_with_it(vault, tmp_path):
    info = datasets.import_file(vault, sample_csv(), name="adm")
    dest = tmp_path / "adm.csv"
    with pytest.raises(ConfirmationNeeded, match=r"direct identifiers \(Name, .*SSN\)"):
        datasets.export_dataset(vault, info.name, dest)
    assert not list(tmp_path.glob("adm*"))
    datasets.export_dataset(vault, info.name, dest, allow_identifiers=True)
    entry = vault.audit_entries()[-1]
    assert entry.action == "dataset.exported" and "SSN" in entry.details["identifiers"]
    # the very rule sealing uses
    assert disclosure.identifier_columns(vault, "adm") == entry.details["identifiers"]


def test_datasets_page_asks_with_the_same_rule(qtbot, vault, tmp_path, monkeypatch):
    from ppds_desktop.ui.main_window import MainWindow
    from ppds_desktop.ui.session import AppSession

    datasets.import_file(vault, sample_csv(), name="adm")
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    page = window.page("datasets")
    qtbot.waitUntil(lambda: page.info is not None, timeout=10_000)
    asked = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: asked.append(text) or answer[0])
    dest = tmp_path / "out.csv"
    page.export_current(str(dest))
    assert "direct identifiers (Name, " in asked[0] and not dest.exists()
    answer[0] = QMessageBox.StandardButton.Save
    with qtbot.waitSignal(window.session.runner.finished, timeout=10_000):
        page.export_current(str(dest))
    assert dest.exists() and "SSN" in vault.audit_entries()[-1].details["identifiers"]
    window.session.lock()
