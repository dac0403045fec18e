"""The sharing use cases with two real vaults: alice seals, bob opens; sender and replay
policy; provenance and one-transaction import; CSV export of an imported dataset; the CLI."""

from __future__ import annotations

import argparse
import csv
import json

import pandas as pd
import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.errors import BundleError, ConfirmationNeeded
from ppds_desktop.services import sharing


@pytest.fixture
def pair(tmp_path):
    """Two vaults that have exchanged and verified identity cards."""
    from ppds_desktop.core.vault import Vault

    alice, _ = Vault.create(tmp_path / "alice" / "a.vault", PASSPHRASE)
    bob, _ = Vault.create(tmp_path / "bob" / "b.vault", PASSPHRASE)
    sharing.init_identity(alice, "Alice", "St Mary")
    sharing.init_identity(bob, "Bob", "General")
    sharing.export_identity_card(alice, tmp_path / "alice.ppdsid")
    sharing.export_identity_card(bob, tmp_path / "bob.ppdsid")
    sharing.import_contact_card(alice, tmp_path / "bob.ppdsid")
    sharing.import_contact_card(bob, tmp_path / "alice.ppdsid")
    sharing.verify_contact(alice, "Bob", sharing.identity_or_none(bob).fingerprint)
    sharing.verify_contact(bob, "Alice", sharing.identity_or_none(alice).fingerprint)
    yield alice, bob
    alice.lock()
    bob.lock()


FRAME = pd.DataFrame({"age_band": ["40-49", "50-59", "40-49"],
                      "note": ["=HYPERLINK(\"http://x\")", "+1", "ok"],
                      "count": [3, 5, 7]})


def _release(alice):
    src = alice.put_dataset("raw", FRAME)
    rel = alice.put_release("k-anon v1", "anonymized", source=src.id, output_df=FRAME,
                            recipe={"version": 1, "steps": ["generalize"]},
                            report={"k": 3}, files={"notes.txt": b"generalised ages"})
    with alice.transaction() as conn:
        conn.execute("INSERT INTO ledger (dataset_id, release_id, mechanism, epsilon, rho, "
                     "description, created_at) VALUES (?, ?, 'laplace', 0.5, 0, 'counts', "
                     "'2026-01-01T00:00:00Z')", (src.id, rel.id))
    return rel


def test_release_round_trip_with_provenance(tmp_path, pair):
    alice, bob = pair
    _release(alice)
    out = tmp_path / "share.ppdsb"
    sealed = sharing.seal_for_contacts(alice, "k-anon v1", ["Bob"], out)
    preview = sharing.preview_bundle(bob, out)
    assert (preview.sender.name, preview.sender_state, preview.for_me) == ("Alice", "verified", True)
    assert preview.recipients == ["you"] and preview.summary.kind == "release"

    result = sharing.open_into_vault(bob, out)
    info = bob.dataset_info(result.dataset.id)
    assert info.kind == "bundle" and info.name == "k-anon v1 from Alice"
    pd.testing.assert_frame_equal(bob.load_dataset(info.id), FRAME)
    src = info.source
    assert src["bundle_id"] == sealed.bundle_id and src["sender"]["contact"] == "Alice"
    assert src["sender"]["verified"] and src["recipe"]["steps"] == ["generalize"]
    assert src["report"] == {"k": 3} and src["privacy_budget"]["epsilon"] == 0.5
    assert src["other_files"] == ["notes.txt"]
    assert bob.release_files("k-anon v1 from Alice files") == {"notes.txt": b"generalised ages"}
    rows = bob._query("SELECT bundle_id, kind, dataset_id FROM imported_bundles")
    assert rows == [(sealed.bundle_id, "release", info.id)]
    assert "bundle.import" in [e.action for e in bob.audit_entries()]
    assert "bundle.seal" in [e.action for e in alice.audit_entries()]


def test_csv_export_of_imported_dataset_escapes_formulas(tmp_path, pair):
    from ppds_desktop.services.datasets import export_csv

    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    imported = sharing.open_into_vault(bob, tmp_path / "d.ppdsb").dataset
    dest = export_csv(bob, imported.id, tmp_path / "export.csv")
    with open(dest, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["note"].startswith("'=") and rows[1]["note"] == "'+1"
    assert rows[2]["note"] == "ok"


def test_unknown_sender_is_refused_with_fingerprint(tmp_path, pair):
    alice, bob = pair
    sharing.remove_contact(bob, "Alice")
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    before = len(bob.list_datasets())
    with pytest.raises(BundleError, match="Unknown sender.*fingerprint") as info:
        sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    assert sharing.identity_or_none(alice).fingerprint in str(info.value)
    assert len(bob.list_datasets()) == before
    assert sharing.preview_bundle(bob, tmp_path / "d.ppdsb").sender_state == "unknown"


def test_unverified_sender_needs_explicit_acceptance(tmp_path, pair):
    alice, bob = pair
    sharing.remove_contact(bob, "Alice")
    sharing.import_contact_card(bob, tmp_path / "alice.ppdsid")
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    with pytest.raises(sharing.UnverifiedSender, match="not verified"):
        sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    assert bob.list_datasets() == []
    res = sharing.open_into_vault(bob, tmp_path / "d.ppdsb", accept_unverified=True)
    assert res.dataset.source["sender"]["verified"] is False


def test_replay_warns_and_needs_confirmation(tmp_path, pair):
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    assert sharing.preview_bundle(bob, tmp_path / "d.ppdsb").previously_imported
    with pytest.raises(sharing.BundleReplay, match="Replay: bundle .* was already imported"):
        sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    assert len(bob.list_datasets()) == 1
    again = sharing.open_into_vault(bob, tmp_path / "d.ppdsb", accept_replay=True)
    assert again.replayed and len(bob.list_datasets()) == 2


def test_sealing_to_unverified_contact_needs_permission(tmp_path, pair):
    alice, bob = pair
    sharing.remove_contact(alice, "Bob")
    sharing.import_contact_card(alice, tmp_path / "bob.ppdsid")
    alice.put_dataset("table", FRAME)
    with pytest.raises(BundleError, match="not verified"):
        sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    assert not (tmp_path / "d.ppdsb").exists()
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb", allow_unverified=True)
    assert (tmp_path / "d.ppdsb").exists()


def test_tampered_bundle_adds_nothing_to_the_vault(tmp_path, pair):
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    blob = bytearray((tmp_path / "d.ppdsb").read_bytes())
    blob[-30] ^= 1
    (tmp_path / "t.ppdsb").write_bytes(bytes(blob))
    with pytest.raises(BundleError, match="signature does not verify"):
        sharing.open_into_vault(bob, tmp_path / "t.ppdsb")
    assert bob.list_datasets() == [] and bob._query("SELECT * FROM imported_bundles") == []


def _cli(argv: list[str]) -> int:
    from ppds_desktop.cli import cmd_bundle

    parser = argparse.ArgumentParser(prog="ppds")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd_bundle.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_end_to_end(tmp_path, pair, monkeypatch, capsys):
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    a_path, b_path = str(alice.path), str(bob.path)
    alice.lock()
    bob.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert _cli(["identity", "show", "--vault", a_path, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["display_name"] == "Alice" and len(shown["fingerprint"].split()) == 12
    assert _cli(["contact", "list", "--vault", a_path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["verified"] is True
    out = tmp_path / "cli.ppdsb"
    assert _cli(["bundle", "seal", "--vault", a_path, "--to", "Bob", "table", "-o", str(out)]) == 0
    assert _cli(["bundle", "inspect", "--vault", b_path, str(out), "--json"]) == 0
    inspected = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert inspected["sender"] == "Alice" and inspected["for_me"] is True
    assert _cli(["bundle", "open", "--vault", b_path, str(out)]) == 0
    assert "Imported dataset 'table from Alice'" in capsys.readouterr().out
    with pytest.raises(sharing.BundleReplay):
        _cli(["bundle", "open", "--vault", b_path, str(out)])
    assert _cli(["bundle", "open", "--vault", b_path, str(out), "--yes"]) == 0
    assert _cli(["contact", "rename", "--vault", b_path, "Alice", "Alice S"]) == 0
    assert _cli(["contact", "remove", "--vault", b_path, "Alice S"]) == 0


def test_demo_step(tmp_path, vault):
    from ppds_desktop.demo import DemoContext
    from ppds_desktop.demo.steps import sharing_step

    lines: list[str] = []
    ctx = DemoContext(workdir=tmp_path, say=lines.append, vault=vault)
    ctx.state["sample"] = vault.put_dataset("sample", FRAME)
    sharing_step(ctx)
    text = "\n".join(lines)
    assert "imported dataset 'sample from" in text
    assert "one flipped bit is refused" in text and "1 dataset(s)" in text


# -- review regressions ----------------------------------------------------------------------------

def test_cli_identity_show_without_identity_is_an_error(tmp_path, vault, vault_path,
                                                       monkeypatch, capsys):
    from ppds_desktop.cli import main
    from ppds_desktop.core.errors import NotFound

    vault.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    with pytest.raises(NotFound, match="no identity yet"):
        _cli(["identity", "show", "--vault", str(vault_path)])
    assert main(["identity", "show", "--vault", str(vault_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("ppds: error: This vault has no identity yet.")


def test_cli_inspect_prints_plain_values(tmp_path, pair, monkeypatch, capsys):
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    out = tmp_path / "t.ppdsb"
    sharing.seal_for_contacts(alice, "table", ["Bob"], out)
    b_path = str(bob.path)
    bob.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert _cli(["bundle", "inspect", "--vault", b_path, str(out)]) == 0
    text = capsys.readouterr().out
    assert "recipients           you\n" in text and "for me               yes" in text
    assert "previously imported  no" in text and "['" not in text and "None" not in text


def test_oversized_card_is_not_a_card(tmp_path, pair):
    alice, _ = pair
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" * 20_000)
    with pytest.raises(Exception, match="big.csv: not an identity card \\(too large"):
        sharing.import_contact_card(alice, big)


def test_dataset_with_direct_identifiers_needs_explicit_consent(tmp_path, pair, monkeypatch,
                                                                capsys):
    alice, bob = pair
    alice.put_dataset("raw", pd.DataFrame({"Name": ["Ann", "Bo"], "Age": [40, 50]}),
                      roles={"Name": "identifier", "Age": "quasi_identifier"})
    out = tmp_path / "raw.ppdsb"
    with pytest.raises(ConfirmationNeeded, match=r"direct identifiers \(Name\)"):
        sharing.seal_for_contacts(alice, "raw", ["Bob"], out)
    assert not list(tmp_path.glob("raw.ppdsb*"))
    a_path = str(alice.path)
    alice.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    from ppds_desktop.cli import main

    assert main(["bundle", "seal", "raw", "--to", "Bob", "-o", str(out), "--vault", a_path]) == 1
    err = capsys.readouterr().err
    assert "direct identifiers (Name)" in err and "--allow-identifiers" in err
    assert not out.exists()
    assert main(["bundle", "seal", "raw", "--to", "Bob", "-o", str(out), "--vault", a_path,
                 "--allow-identifiers"]) == 0
    assert out.exists()


def test_release_that_kept_identifiers_needs_explicit_consent(tmp_path, pair):
    """A release whose recipe never handled the identifier columns (or a perturbation run of a
    raw dataset) still carries them: sealing it is refused like sealing the raw dataset."""
    alice, _bob = pair
    raw = pd.DataFrame({"Name": ["Ann", "Bo"], "SSN": ["1", "2"], "Age": [40, 50]})
    src = alice.put_dataset("raw", raw, roles={"Name": "identifier", "SSN": "identifier",
                                               "Age": "quasi_identifier"})
    alice.put_release("kept", "perturbed", source=src.id, output_df=raw,
                      recipe={"ppds_recipe": 1, "perturbation": {"steps": []}})
    alice.put_release("handled", "anonymized", source=src.id,
                      output_df=raw.assign(Name=["P1", "P2"]).drop(columns=["SSN"]),
                      recipe={"ppds_recipe": 1, "columns": {
                          "Name": {"role": "identifier", "action": {"type": "pseudonym",
                                                                    "key": "k"}},
                          "SSN": {"role": "identifier", "action": {"type": "drop"}}}})
    assert sharing.identifier_columns(alice, "kept") == ["Name", "SSN"]
    assert sharing.identifier_columns(alice, "handled") == []
    out = tmp_path / "kept.ppdsb"
    with pytest.raises(ConfirmationNeeded, match=r"direct identifiers \(Name, SSN\)"):
        sharing.seal_for_contacts(alice, "kept", ["Bob"], out)
    assert not out.exists()
    sharing.seal_for_contacts(alice, "kept", ["Bob"], out, allow_identifiers=True)
    sharing.seal_for_contacts(alice, "handled", ["Bob"], tmp_path / "handled.ppdsb")


def test_inspecting_a_bundle_one_sealed_says_so(tmp_path, pair):
    """The sender's own vault is not among its contacts: the preview says 'you', not 'unknown'."""
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    out = tmp_path / "d.ppdsb"
    sharing.seal_for_contacts(alice, "table", ["Bob"], out)
    assert sharing.preview_bundle(alice, out).sender_state.startswith("you")
    assert sharing.preview_bundle(bob, out).sender_state == "verified"
