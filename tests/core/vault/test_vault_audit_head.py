"""A head noted outside the vault catches an audit log rewritten by someone who holds the
passphrase (the chain alone cannot), in the CLI, the GUI and in every sealed bundle."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from PySide6.QtWidgets import QApplication

from ppds_desktop.core.errors import VaultError
from ppds_desktop.core.vault import Vault
from ppds_desktop.core.vault.audit import GENESIS, HEAD_KEY, canonical, entry_hash
from ppds_desktop.services import sharing, vault_ops

from bundle_helpers import introduce
from cli_process import one_error_line, run_ppds
from conftest import PASSPHRASE


def _rewrite_history(vault: Vault) -> None:
    """What a passphrase holder can do: drop the triggers, change entry #2, re-chain the rest
    and the stored head, put the triggers back."""
    triggers = vault._query("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
    rows = vault._query("SELECT seq, ts, actor, action, details_json FROM audit ORDER BY seq")
    with vault.transaction() as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
        prev = GENESIS
        for seq, ts, actor, action, details_json in rows:
            details = json.loads(details_json)
            if seq == 2:
                details["dataset"] = "something else"
            digest = entry_hash(prev, seq, ts, actor, action, details)
            conn.execute("UPDATE audit SET details_json = ?, prev_hash = ?, hash = ? "
                         "WHERE seq = ?", (canonical(details), prev, digest, seq))
            prev = digest
        conn.execute("UPDATE settings SET value = ? WHERE key = ?",
                     (canonical({"seq": rows[-1][0], "hash": prev}), HEAD_KEY))
        for (sql,) in triggers:
            conn.execute(sql)


@pytest.fixture
def logged(vault):
    vault.put_dataset("admissions", pd.DataFrame({"x": [1, 2, 3]}))
    vault.set_role("admissions", "x", "insensitive")
    return vault


def test_a_recorded_head_catches_a_rewritten_history(logged):
    head = logged.audit_head()
    assert (head.seq, head.hash) == (logged.audit_entries()[-1].seq,
                                     logged.audit_entries()[-1].hash)
    logged.put_dataset("later", pd.DataFrame({"y": [1]}))      # the log goes on growing
    assert logged.verify_audit(head.hash) == head.seq + 1
    assert logged.verify_audit(head.hash[:16]) == head.seq + 1    # a noted prefix is enough
    assert logged.verify_audit(f"#{head.seq} {head.hash.upper()}") == head.seq + 1

    _rewrite_history(logged)
    assert logged.verify_audit() == head.seq + 1       # the chain alone is fooled ...
    with pytest.raises(VaultError, match="does not contain the recorded head"):
        logged.verify_audit(head.hash)                 # ... the recorded head is not


@pytest.mark.parametrize("text", ["", "abc", "zz" * 32, "12345678 9abcdef0"])
def test_what_is_not_a_head_is_refused_plainly(logged, text):
    with pytest.raises(VaultError, match="not an audit head"):
        logged.verify_audit(text)


def test_cli_expect_head(logged, vault_path):
    head = logged.audit_head()
    logged.lock()
    proc = run_ppds("vault", "audit", "--verify", "--vault", vault_path)
    assert proc.returncode == 0 and head.hash in proc.stderr      # the full head, to note down
    proc = run_ppds("vault", "audit", "--verify", "--expect-head", head.hash,
                    "--vault", vault_path)
    assert proc.returncode == 0 and "recorded head is in it" in proc.stderr
    with Vault.open(vault_path, PASSPHRASE) as v:
        _rewrite_history(v)
    assert run_ppds("vault", "audit", "--verify", "--vault", vault_path).returncode == 0
    line = one_error_line(run_ppds("vault", "audit", "--verify", "--expect-head", head.hash,
                                   "--vault", vault_path))
    assert "does not contain the recorded head" in line


def test_every_sealed_bundle_carries_the_senders_head(tmp_path):
    alice, _ = Vault.create(tmp_path / "a" / "a.vault", PASSPHRASE)
    bob, _ = Vault.create(tmp_path / "b" / "b.vault", PASSPHRASE)
    try:
        introduce(alice, "Alice", bob, "Bob", tmp_path)
        alice.put_dataset("counts", pd.DataFrame({"n": [1, 2]}))
        head = alice.audit_head()
        sharing.seal_for_contacts(alice, "counts", ["Bob"], tmp_path / "s.ppdsb")
        assert alice.audit_head().seq == head.seq + 1          # the seal itself is logged

        result = sharing.open_into_vault(bob, tmp_path / "s.ppdsb")
        assert result.manifest["audit_head"] == {"seq": head.seq, "hash": head.hash}
        stored = bob.dataset_info(result.dataset.id).source["sender_audit_head"]
        assert stored == {"seq": head.seq, "hash": head.hash}
        assert ("Sender's audit log", f"entry {head.seq}, head {head.hash}") in \
            sharing.manifest_summary(result.manifest)
        assert alice.verify_audit(stored["hash"]) == head.seq + 1   # what bob holds checks out
    finally:
        alice.lock()
        bob.lock()


@pytest.mark.parametrize("claim", [None, "x", {"seq": "1", "hash": "0" * 64},
                                   {"seq": 3, "hash": "g" * 64}, {"seq": True, "hash": "0" * 64}])
def test_a_malformed_head_in_a_manifest_is_ignored(claim):
    assert sharing.sender_audit_head({"audit_head": claim}) is None


def test_audit_page_shows_copies_and_checks_the_head(qtbot, logged):
    from ppds_desktop.ui.audit_page import AuditPage
    from ppds_desktop.ui.session import AppSession

    page = AuditPage(AppSession(logged))
    qtbot.addWidget(page)
    page.show()
    head = vault_ops.audit_head(logged)
    assert head.hash in page.head.text() and f"entry {head.seq}" in page.head.text()
    page.copy_button.click()
    assert QApplication.clipboard().text() == head.hash

    page.recorded.setText(head.hash)
    with qtbot.waitSignal(page.session.runner.finished, timeout=20_000):
        page.check_button.click()
    assert page.result.text().startswith("✓") and "unchanged" in page.result.text()

    _rewrite_history(logged)
    page.recorded.setText(head.hash)
    with qtbot.waitSignal(page.session.runner.failed, timeout=20_000):
        page.check_button.click()
    assert page.result.text().startswith("✗") and "rewritten" in page.result.text()
