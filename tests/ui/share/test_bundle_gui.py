"""The sharing GUI with two vaults in one test: alice and bob exchange and verify cards through
the Identity & sharing page, alice seals a release for bob with the Share wizard, bob opens it
with the Open-bundle wizard and gets the dataset; a tampered copy is refused on the verify page."""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtWidgets import QWizard

from conftest import PASSPHRASE
from ppds_desktop.core.vault import Vault
from ppds_desktop.ui.session import AppSession
from ppds_desktop.ui.share.identity_page import IdentityContactsPage


def _page(qtbot, vault) -> IdentityContactsPage:
    page = IdentityContactsPage(AppSession(vault))
    qtbot.addWidget(page)
    page.show()
    return page


@pytest.fixture
def two(tmp_path, qtbot):
    alice_vault, _ = Vault.create(tmp_path / "alice" / "a.vault", PASSPHRASE)
    bob_vault, _ = Vault.create(tmp_path / "bob" / "b.vault", PASSPHRASE)
    pages = _page(qtbot, alice_vault), _page(qtbot, bob_vault)
    yield pages
    for page in pages:
        for runner in page.session.busy_runners():
            runner.wait_until_idle()
    alice_vault.lock()
    bob_vault.lock()


def _create(page, name, org):
    assert page.create_button.isVisible()
    page.name_edit.setText(name)
    page.org_edit.setText(org)
    page.create_button.click()
    assert not page.create_button.isVisible()
    assert len(page.fingerprint.text().split()) == 12


def _verify_through_dialog(qtbot, page, name, heard):
    page.select_contact(name)
    page.verify_button.click()
    dialog = page.compare_dialog
    dialog.typed.setText("12345")
    assert not dialog.confirm.isEnabled()
    dialog.typed.setText("0" * 60)
    assert "MISMATCH" in dialog.verdict.text() and not dialog.confirm.isEnabled()
    dialog.typed.setText(heard)
    assert "match" in dialog.verdict.text() and dialog.confirm.isEnabled()
    dialog.confirm.click()
    qtbot.waitUntil(lambda: "verified" in page.table.item(0, 2).text()
                    and "UNVERIFIED" not in page.table.item(0, 2).text(), timeout=5000)


def _give_card(tmp_path, giver, taker):
    """``taker`` imports the identity card ``giver`` exported; returns the contact."""
    card = tmp_path / f"{giver.vault.path.stem}.ppdsid"
    giver.export_card_to(card)
    return taker.import_card_file(card)


def _exchange_cards(tmp_path, alice, bob, *, verify: bool = True) -> None:
    """Both sites import each other's identity card; verified directly unless told not to."""
    _give_card(tmp_path, alice, bob)
    _give_card(tmp_path, bob, alice)
    if verify:
        bob.verify_contact("Alice")
        alice.verify_contact("Bob")


def open_to_verify(qtbot, who, path):
    """``who``'s Open-bundle wizard on ``path``, moved on to its verification page."""
    opener = who.open_bundle_wizard()
    qtbot.addWidget(opener)
    opener.file_page.path.setText(str(path))
    opener.next()
    return opener


def test_alice_shares_a_release_with_bob(tmp_path, qtbot, two):
    alice, bob = two
    _create(alice, "Alice", "St Mary")
    _create(bob, "Bob", "General")

    # exchange cards both ways; each side sees the other's fingerprint exactly as shown there
    assert _give_card(tmp_path, alice, bob).name == "Alice"
    assert _give_card(tmp_path, bob, alice).name == "Bob"
    assert "UNVERIFIED" in bob.table.item(0, 2).text()
    assert bob.table.item(0, 3).text().split() == alice.fingerprint.text().split()
    _verify_through_dialog(qtbot, bob, "Alice", alice.fingerprint.text())
    _verify_through_dialog(qtbot, alice, "Bob", bob.fingerprint.text())

    # alice seals a release for bob
    frame = pd.DataFrame({"age_band": ["40-49", "50-59"], "n": [3, 4]})
    src = alice.vault.put_dataset("raw", frame)
    alice.vault.put_release("ages k=2", "anonymized", source=src.id, output_df=frame,
                            recipe={"steps": ["generalize"]}, report={"k": 2})
    wizard = alice.open_share_wizard()
    qtbot.addWidget(wizard)
    wizard.source_page.select("ages k=2")
    wizard.next()
    assert wizard.currentPage() is wizard.recipients_page
    assert not wizard.recipients_page.isComplete()
    wizard.recipients_page.check("Bob")
    assert wizard.recipients_page.isComplete()
    wizard.next()
    assert "ages k=2" in wizard.summary_page.summary.text()
    bundle = tmp_path / "ages.ppdsb"
    wizard.summary_page.path.setText(str(bundle))
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=10_000)
    assert bundle.exists()

    # bob opens it: verification page with sender, fingerprint and contents, then import
    opener = open_to_verify(qtbot, bob, bundle)
    page = opener.verify_page
    assert "Alice" in page.sender.text() and "verified" in page.sender.text()
    assert page.fingerprint.text() == alice.fingerprint.text()
    qtbot.waitUntil(lambda: opener.opened is not None, timeout=10_000)
    assert "✔ Verified" in page.status.text() and "ages k=2" in page.contents.text()
    assert "data.parquet" in page.contents.text()
    with qtbot.waitSignal(bob.session.datasets_changed, timeout=10_000):
        opener.button(QWizard.WizardButton.FinishButton).click()
    datasets = bob.vault.list_datasets()
    assert [(d.name, d.kind) for d in datasets] == [("ages k=2 from Alice", "bundle")]
    pd.testing.assert_frame_equal(bob.vault.load_dataset(datasets[0].id), frame)
    from ppds_desktop.ui.datasets_page import DatasetsPage

    datasets_page = DatasetsPage(bob.session)
    qtbot.addWidget(datasets_page)
    assert "ages k=2 from Alice" in [datasets_page.list.item(i).text()
                                     for i in range(datasets_page.list.count())][0]

    # a tampered copy is refused on the verification page; Import stays disabled
    from ppds_desktop.services import sharing

    second = sharing.seal_for_contacts(alice.vault, "ages k=2", ["Bob"], tmp_path / "2.ppdsb")
    blob = bytearray(second.path.read_bytes())
    blob[-5] ^= 0x10
    (tmp_path / "tampered.ppdsb").write_bytes(bytes(blob))
    opener = open_to_verify(qtbot, bob, tmp_path / "tampered.ppdsb")
    qtbot.waitUntil(lambda: "✘" in opener.verify_page.status.text(), timeout=10_000)
    assert "signature does not verify" in opener.verify_page.status.text()
    assert not opener.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert len(bob.vault.list_datasets()) == 1


def test_replay_needs_the_checkbox(tmp_path, qtbot, two):
    alice, bob = two
    _create(alice, "Alice", "")
    _create(bob, "Bob", "")
    _exchange_cards(tmp_path, alice, bob)
    alice.vault.put_dataset("t", pd.DataFrame({"x": [1]}))
    from ppds_desktop.services import sharing

    sharing.seal_for_contacts(alice.vault, "t", ["Bob"], tmp_path / "t.ppdsb")
    sharing.open_into_vault(bob.vault, tmp_path / "t.ppdsb")
    opener = open_to_verify(qtbot, bob, tmp_path / "t.ppdsb")
    page = opener.verify_page
    qtbot.waitUntil(lambda: "✘" in page.status.text(), timeout=10_000)
    assert "Replay" in page.status.text() and page.accept_replay.isVisible()
    page.accept_replay.setChecked(True)
    qtbot.waitUntil(lambda: page.retry.isEnabled(), timeout=5000)
    page.retry.click()
    qtbot.waitUntil(lambda: opener.opened is not None, timeout=10_000)


def test_page_is_registered():
    from ppds_desktop.ui.pages import PAGES

    assert any(spec.key == "sharing" for spec in PAGES)


def test_key_change_is_flagged_and_needs_explicit_acceptance(tmp_path, qtbot, two):
    from ppds_desktop.core.identity import KeyPairs, make_card

    alice, bob = two
    _create(bob, "Bob", "")

    def card(path):
        c = make_card(KeyPairs.generate(), identity_id="ab" * 16, display_name="Alice",
                      organisation="St Mary", created_at="2026-01-01T00:00:00Z")
        path.write_bytes(c.to_bytes())
        return c

    old = card(tmp_path / "old.ppdsid")
    bob.import_card_file(tmp_path / "old.ppdsid")
    bob.verify_contact("Alice")
    new = card(tmp_path / "new.ppdsid")
    assert bob.import_card_file(tmp_path / "new.ppdsid") is None
    box = bob.key_change_box
    assert "KEY CHANGE" in box.text() and new.fingerprint in box.text()
    assert bob.table.item(0, 3).text() == old.fingerprint  # nothing changed yet
    accept = next(b for b in box.buttons() if b.text() == "Accept new keys")
    accept.click()
    qtbot.waitUntil(lambda: bob.table.item(0, 3).text() == new.fingerprint, timeout=5000)
    assert "UNVERIFIED" in bob.table.item(0, 2).text() and "keys changed 1×" in bob.table.item(0, 2).text()


def test_verify_page_shows_quotes_plainly_and_the_checkbox_reverifies(tmp_path, qtbot, two):
    """Messages hold quotes (and could hold '<'): shown as plain text, not as HTML entities;
    ticking "I accept this unverified sender" verifies again by itself."""
    alice, bob = two
    _create(alice, "Alice", "")
    _create(bob, "Bob", "")
    _exchange_cards(tmp_path, alice, bob, verify=False)   # left unverified on purpose
    alice.vault.put_dataset("t", pd.DataFrame({"x": [1]}))
    from ppds_desktop.services import sharing

    sharing.seal_for_contacts(alice.vault, "t", ["Bob"], tmp_path / "t.ppdsb",
                              allow_unverified=True)
    opener = open_to_verify(qtbot, bob, tmp_path / "t.ppdsb")
    page = opener.verify_page
    qtbot.waitUntil(lambda: "✘" in page.status.text(), timeout=10_000)
    text = page.status.text()
    assert "'Alice'" in text and "&#x27;" not in text and "--trust-unverified" not in text
    assert "I accept this unverified sender" in text.replace("“", "").replace("”", "")
    page.accept_unverified.setChecked(True)
    qtbot.waitUntil(lambda: opener.opened is not None, timeout=10_000)
    assert "✔ Verified" in page.status.text()


def test_share_wizard_asks_before_sending_direct_identifiers(tmp_path, qtbot, two):
    alice, bob = two
    _create(alice, "Alice", "")
    _create(bob, "Bob", "")
    _give_card(tmp_path, bob, alice)
    alice.vault.put_dataset("raw", pd.DataFrame({"Name": ["Ann"], "Age": [40]}),
                            roles={"Name": "identifier"})
    wizard = alice.open_share_wizard()
    qtbot.addWidget(wizard)
    wizard.source_page.select("raw")
    wizard.next()
    wizard.recipients_page.allow_unverified.setChecked(True)
    wizard.recipients_page.check("Bob")
    wizard.next()
    page = wizard.summary_page
    page.path.setText(str(tmp_path / "raw.ppdsb"))
    assert "Name" in page.identifiers.text() and not page.isComplete()
    page.allow_identifiers.setChecked(True)
    assert page.isComplete()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=10_000)
    assert (tmp_path / "raw.ppdsb").exists()


def test_contact_buttons_follow_the_selection(tmp_path, qtbot, two):
    """Verify, Rename and Remove did nothing, silently, when no contact was selected."""
    alice, bob = two
    _create(alice, "Alice", "")
    _create(bob, "Bob", "")
    assert not alice.verify_button.isEnabled() and not alice.remove_button.isEnabled()
    _give_card(tmp_path, bob, alice)
    alice.table.clearSelection()
    assert not alice.rename_button.isEnabled()
    alice.select_contact("Bob")
    assert alice.verify_button.isEnabled() and alice.rename_button.isEnabled()
