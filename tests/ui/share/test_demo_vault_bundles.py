"""The demo vault's rail for bundles: its passphrase is public, so a bundle's data goes into it
only after the user's explicit yes (Open wizard question, ``ppds bundle open --yes``), as for
file imports (tests/test_rail_demo_vault.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtWidgets import QMessageBox, QWizard

from ppds_desktop.core.errors import ConfirmationNeeded
from ppds_desktop.services import demo, sharing, vault_ops


@pytest.fixture
def demo_path(tmp_path):
    path = tmp_path / "demo" / "demo.vault"
    demo.ensure_demo_vault(path)
    return path


@pytest.fixture
def bundle(tmp_path, vault, demo_path):
    """A dataset bundle sealed by a verified contact for the demo vault's identity."""
    receiver = vault_ops.unlock(demo_path, demo.DEMO_PASSPHRASE)
    try:
        sharing.init_identity(receiver, "Demo user")
        sharing.init_identity(vault, "Partner")
        for reader, owner, name in ((receiver, vault, "Partner"), (vault, receiver, "Demo")):
            card = sharing.export_identity_card(owner, tmp_path / f"{name}.ppdsid")
            sharing.import_contact_card(reader, card, name=name)
            sharing.verify_contact(reader, name, sharing.identity_or_none(owner).fingerprint)
    finally:
        receiver.lock()
    vault.put_dataset("counts", pd.DataFrame({"band": ["40-49", "50-59"], "n": [7, 9]}))
    return sharing.seal_for_contacts(vault, "counts", ["Demo"], tmp_path / "counts.ppdsb").path


def _names(vault):
    return sorted(d.name for d in vault.list_datasets())


def test_opening_a_bundle_into_the_demo_vault_needs_a_yes(demo_path, bundle):
    receiver = vault_ops.unlock(demo_path, demo.DEMO_PASSPHRASE)
    try:
        before = _names(receiver)
        with pytest.raises(ConfirmationNeeded, match="passphrase is public") as refused:
            sharing.open_into_vault(receiver, bundle)
        assert refused.value.option == "--yes"
        opened = sharing.open_files(receiver, bundle)               # verifying stores nothing
        with pytest.raises(ConfirmationNeeded, match="passphrase is public"):
            sharing.store_opened(receiver, bundle, opened)
        assert _names(receiver) == before
        assert receiver.bundles.imported_at(opened.bundle_id) is None
        result = sharing.open_into_vault(receiver, bundle, demo_confirmed=True)
        assert result.dataset.name in _names(receiver)
    finally:
        receiver.lock()


def test_cli_bundle_open_into_the_demo_vault_needs_yes(demo_path, bundle, monkeypatch, capsys):
    from ppds_desktop.cli import main

    monkeypatch.setenv("PPDS_PASSPHRASE", demo.DEMO_PASSPHRASE)
    assert main(["bundle", "open", str(bundle), "--vault", str(demo_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: error: This is the demo vault") and "\n" not in err
    assert "--yes" in err
    assert main(["bundle", "open", str(bundle), "--vault", str(demo_path), "--yes"]) == 0
    assert "Imported dataset" in capsys.readouterr().out


def test_open_wizard_asks_before_importing_into_the_demo_vault(qtbot, demo_path, bundle,
                                                              monkeypatch):
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.share.open_wizard import OpenBundleWizard

    receiver = vault_ops.unlock(demo_path, demo.DEMO_PASSPHRASE)
    session = AppSession(receiver)
    wizard = OpenBundleWizard(session)
    qtbot.addWidget(wizard)
    asked, answer = [], [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: asked.append(text) or answer[0])
    wizard.show()
    before = _names(receiver)
    try:
        wizard.file_page.path.setText(str(bundle))
        wizard.next()
        assert wizard.currentPage() is wizard.file_page         # Cancel: stays on the page
        assert "passphrase is public" in asked[0] and bundle.name in asked[0]
        assert "--" not in asked[0]
        answer[0] = QMessageBox.StandardButton.Yes
        wizard.next()
        assert wizard.currentPage() is wizard.verify_page and wizard.demo_confirmed
        qtbot.waitUntil(lambda: wizard.opened is not None, timeout=10_000)
        with qtbot.waitSignal(session.datasets_changed, timeout=10_000):
            wizard.button(QWizard.WizardButton.FinishButton).click()
        assert len(_names(receiver)) == len(before) + 1
    finally:
        for runner in session.busy_runners():
            runner.wait_until_idle()
        receiver.lock()
