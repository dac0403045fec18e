"""Safety rail: the public demo vault says so on every screen and takes only the bundled sample
unless the user explicitly says yes (GUI question, CLI --yes)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QMessageBox

from ppds_desktop.cli import main
from ppds_desktop.core.errors import ConfirmationNeeded
from ppds_desktop.paths import sample_csv
from ppds_desktop.services import datasets, demo, demo_rails, vault_ops


@pytest.fixture
def demo_vault(tmp_path):
    path = tmp_path / "demo" / "demo.vault"
    demo.ensure_demo_vault(path)
    v = vault_ops.unlock(path, demo.DEMO_PASSPHRASE)
    yield v
    v.lock()


@pytest.fixture
def other_csv(tmp_path):
    path = tmp_path / "real.csv"
    path.write_text("Name,Age\nAnn,40\nBo,50\n", encoding="utf-8")
    return path


def test_demo_vault_is_marked_at_creation_and_known_by_its_path(tmp_path, vault, demo_vault,
                                                                monkeypatch):
    assert demo.is_demo_vault(demo_vault) and not demo.is_demo_vault(vault)
    assert [d.name for d in demo_vault.list_datasets()] == ["Sample admissions"]
    # a demo vault made before the mark existed: recognised by where it lives
    monkeypatch.setattr(demo_rails, "demo_vault_path", lambda: vault.path)
    assert demo.is_demo_vault(vault)


def test_only_the_sample_goes_in_without_a_yes(demo_vault, other_csv, tmp_path):
    copy = tmp_path / "sample_admissions.csv"
    shutil.copy(sample_csv(), copy)
    datasets.import_file(demo_vault, copy, name="again")          # the sample: no question
    with pytest.raises(ConfirmationNeeded, match="passphrase is public"):
        datasets.import_file(demo_vault, other_csv)
    assert "real" not in [d.name for d in demo_vault.list_datasets()]
    datasets.import_file(demo_vault, other_csv, demo_confirmed=True)
    assert "real" in [d.name for d in demo_vault.list_datasets()]


def test_cli_import_into_the_demo_vault_needs_yes(tmp_path, other_csv, monkeypatch, capsys):
    path = tmp_path / "demo.vault"
    demo.ensure_demo_vault(path)
    monkeypatch.setenv("PPDS_PASSPHRASE", demo.DEMO_PASSPHRASE)
    assert main(["import", str(other_csv), "--vault", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: error: This is the demo vault") and "\n" not in err
    assert "--yes" in err
    assert main(["import", str(other_csv), "--vault", str(path), "--yes"]) == 0


def _session(vault):
    from ppds_desktop.ui.session import AppSession

    return AppSession(vault)


def test_main_window_shows_the_banner_on_every_page(qtbot, demo_vault, vault):
    from ppds_desktop.ui.main_window import MainWindow

    window = MainWindow(_session(demo_vault))
    qtbot.addWidget(window)
    window.show()
    assert "demo vault" in window.windowTitle()
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
        assert window.demo_banner.isVisible()
        assert "passphrase is public" in window.demo_banner.text()
    plain = MainWindow(_session(vault))
    qtbot.addWidget(plain)
    assert plain.demo_banner is None and "demo" not in plain.windowTitle()


def test_import_wizard_asks_before_anything_but_the_sample(qtbot, demo_vault, other_csv,
                                                          monkeypatch):
    from ppds_desktop.ui.import_wizard import ImportWizard
    from ppds_desktop.ui.widgets.demo_banner import DemoBanner

    wizard = ImportWizard(_session(demo_vault))
    qtbot.addWidget(wizard)
    assert all(wizard.page(i).findChild(DemoBanner) is not None for i in wizard.pageIds())
    asked = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: asked.append(text) or answer[0])
    wizard.show()
    wizard.file_page.path.setText(str(sample_csv()))
    assert wizard.file_page.validatePage() and not asked        # the sample: no question
    wizard.file_page.path.setText(str(other_csv))
    assert not wizard.file_page.validatePage()                  # Cancel: stays on the page
    assert "passphrase is public" in asked[0] and "real.csv" in asked[0]
    answer[0] = QMessageBox.StandardButton.Yes
    assert wizard.file_page.validatePage() and wizard.demo_confirmed
