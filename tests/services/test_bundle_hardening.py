"""Bundle hardening (issue 11 "Bundles", issue 14's replay rail, issue 15's Windows items):
deep manifests, concurrent opening, look-alike contact names, hostile titles, verification
before replay, file names Windows would merge, creation times gmtime cannot show."""

from __future__ import annotations

import multiprocessing
import struct
import time

import pandas as pd
import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.bundle import inspect_bundle, seal_bundle
from ppds_desktop.core.bundle.container import MANIFEST_TAG, FileSource, check_file_name
from ppds_desktop.core.bundle.seal import SealRandomness
from ppds_desktop.core.errors import BundleError
from ppds_desktop.core.identity.errors import IdentityError
from ppds_desktop.core.identity.keys import KeyPairs
from ppds_desktop.services import sharing

from bundle_helpers import layout, open_to_dir, seal_to
from test_bundle_sharing import FRAME, pair  # noqa: F401 - the two-vault fixture


def _tampered_copy(src, dest):
    blob = bytearray(src.read_bytes())
    blob[layout(bytes(blob))["chunks"][0][0] + 40] ^= 1      # one bit of the first chunk
    dest.write_bytes(bytes(blob))
    return dest


def test_deeply_nested_manifest_is_refused_in_one_line(tmp_path, alice, bob, monkeypatch):
    from ppds_desktop.core.bundle import seal as seal_module

    depth = 100_000
    raw = b"[" * depth + b"]" * depth
    monkeypatch.setattr(seal_module, "manifest_record",
                        lambda _m: MANIFEST_TAG + struct.pack(">I", len(raw)) + raw)
    seal_to(tmp_path / "deep.ppdsb", alice, [bob], b"x")
    with pytest.raises(BundleError, match="nests more than 64 levels"):
        open_to_dir(tmp_path / "deep.ppdsb", bob, tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())


def _open_at_once(vault_path, bundle, barrier, results):
    """Child process: verify, wait until every sibling has verified too, then store."""
    import pytest  # noqa: F401 - lets the vault accept the tests' fast key derivation

    from ppds_desktop.core.vault import Vault
    from ppds_desktop.services import sharing as child_sharing

    store = child_sharing.store_opened

    def store_after_the_others(*args, **kwargs):
        barrier.wait(timeout=60)
        return store(*args, **kwargs)

    child_sharing.store_opened = store_after_the_others
    vault = Vault.open(vault_path, PASSPHRASE)
    try:
        child_sharing.open_into_vault(vault, bundle)
        results.put("imported")
    except child_sharing.BundleReplay:
        results.put("replay")
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put(f"error: {exc!r}")
    finally:
        vault.lock()


@pytest.mark.slow
def test_three_processes_opening_one_bundle_import_it_once(tmp_path, pair):  # noqa: F811
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    children = [ctx.Process(target=_open_at_once,
                            args=(str(bob.path), str(tmp_path / "d.ppdsb"), barrier, results))
                for _ in range(3)]
    for child in children:
        child.start()
    outcomes = sorted(results.get(timeout=120) for _ in children)
    for child in children:
        child.join(timeout=60)
    assert outcomes == ["imported", "replay", "replay"]
    assert len(bob.list_datasets()) == 1
    assert len(bob._query("SELECT * FROM imported_bundles")) == 1


def test_tampered_copy_of_an_imported_bundle_is_reported_as_tampered(tmp_path, pair,  # noqa: F811
                                                                     monkeypatch, capsys):
    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    bad = _tampered_copy(tmp_path / "d.ppdsb", tmp_path / "bad.ppdsb")
    with pytest.raises(BundleError) as info:
        sharing.open_into_vault(bob, bad)
    assert not isinstance(info.value, sharing.BundleReplay)
    assert "failed authentication" in str(info.value) and "Replay" not in str(info.value)
    # the CLI says the same and never suggests --yes
    from ppds_desktop import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_bundle"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert cli.main(["bundle", "open", str(bad), "--vault", str(bob.path)]) == 1
    err = capsys.readouterr().err
    assert "failed authentication" in err and "--yes" not in err and "Replay" not in err
    assert len(bob.list_datasets()) == 1


def test_gui_reports_a_tampered_copy_as_tampered_without_the_replay_box(tmp_path, qtbot,
                                                                        pair):  # noqa: F811
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.share.open_wizard import OpenBundleWizard

    alice, bob = pair
    alice.put_dataset("table", FRAME)
    sharing.seal_for_contacts(alice, "table", ["Bob"], tmp_path / "d.ppdsb")
    sharing.open_into_vault(bob, tmp_path / "d.ppdsb")
    bad = _tampered_copy(tmp_path / "d.ppdsb", tmp_path / "bad.ppdsb")
    wizard = OpenBundleWizard(AppSession(bob))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(bad))
    wizard.next()
    page = wizard.verify_page
    qtbot.waitUntil(lambda: "✘" in page.status.text(), timeout=10_000)
    assert "failed authentication" in page.status.text()
    assert "Replay" not in page.status.text() and not page.accept_replay.isVisible()
    # the intact file verifies, and only then is it offered as a replay
    wizard.back()
    wizard.file_page.path.setText(str(tmp_path / "d.ppdsb"))
    wizard.next()
    qtbot.waitUntil(lambda: "✘" in page.status.text(), timeout=10_000)
    assert "verified, but it was already imported" in page.status.text()
    assert page.accept_replay.isVisible()
    wizard.runner.wait_until_idle()


@pytest.mark.parametrize("name", ["B\u043eb",            # Cyrillic o
                                  "\u0412ob",            # Cyrillic Ve for B
                                  "B\u200bob",           # zero-width space
                                  "Bo\u202eb"])          # right-to-left override
def test_look_alike_contact_names_are_refused(tmp_path, pair, name):  # noqa: F811
    from ppds_desktop.core.vault import Vault

    alice, _bob = pair
    mallory, _ = Vault.create(tmp_path / "m" / "m.vault", PASSPHRASE)
    try:
        card = tmp_path / "mallory.ppdsid"
        if "\u200b" in name or "\u202e" in name:
            with pytest.raises(IdentityError, match="invisible or control characters"):
                sharing.init_identity(mallory, name)
            return
        sharing.init_identity(mallory, name, "St Mary")
        sharing.export_identity_card(mallory, card)
        with pytest.raises(IdentityError, match="looks like 'Bob'"):
            sharing.import_contact_card(alice, card)
        assert [c.name for c in sharing.list_contacts(alice)] == ["Bob"]
        added = sharing.import_contact_card(alice, card, name="Mallory (St Mary)")
        with pytest.raises(IdentityError, match="looks like 'Bob'"):
            sharing.rename_contact(alice, added.name, name)
    finally:
        mallory.lock()


def test_a_card_name_with_invisible_characters_is_refused_when_read(tmp_path):
    from ppds_desktop.core.identity.card import make_card, parse_card

    card = make_card(KeyPairs.generate(), identity_id="0" * 32, display_name="A\u200bB",
                     organisation="", created_at="2026-01-01T00:00:00Z")
    with pytest.raises(IdentityError, match="U\\+200B"):
        parse_card(card.to_bytes())


def test_bundle_title_with_control_characters_names_the_bundle(tmp_path, pair):  # noqa: F811
    alice, bob = pair
    data = sharing._data_file(alice, alice.put_dataset("table", FRAME), None)[0]
    sharing.seal_files(alice, kind="dataset", title="results\x1b[2J", contacts=["Bob"],
                       files={sharing.DATA_FILE: data}, out_path=tmp_path / "t.ppdsb")
    with pytest.raises(BundleError, match="t.ppdsb: the bundle's title contains control"):
        sharing.open_into_vault(bob, tmp_path / "t.ppdsb")
    assert bob.list_datasets() == []
    imported = sharing.open_into_vault(bob, tmp_path / "t.ppdsb", name="results")
    assert imported.dataset.name == "results"


def test_file_names_that_windows_would_merge_are_refused(tmp_path, alice, bob):
    for name in ("data.", "notes.txt.", "con.txt", "CON"):
        with pytest.raises(BundleError, match="not allowed in a bundle"):
            check_file_name(name)
    with pytest.raises(BundleError, match="not allowed"):
        seal_bundle(tmp_path / "b.ppdsb", sender=alice, recipients=[bob.enc_public],
                    kind="dataset", manifest={}, files=[FileSource("data.", data=b"x")])
    assert check_file_name("data.parquet") == "data.parquet"


def test_creation_time_past_the_year_3000_is_refused_when_parsing(tmp_path, alice, bob,
                                                                  monkeypatch):
    rnd = SealRandomness(b"k" * 32, b"i" * 16, 2 ** 40, (b"e" * 32,))
    seal_to(tmp_path / "far.ppdsb", alice, [bob], b"x", _randomness=rnd)
    real_gmtime = time.gmtime

    def windows_gmtime(seconds=None):     # Windows' gmtime stops at 3001-01-19
        if seconds is not None and seconds > 32_536_850_399:
            raise OSError(22, "Invalid argument")
        return real_gmtime(seconds)

    monkeypatch.setattr(time, "gmtime", windows_gmtime)
    with pytest.raises(BundleError, match="after the year 3000"):
        inspect_bundle(tmp_path / "far.ppdsb")
    with pytest.raises(BundleError, match="after the year 3000"):
        open_to_dir(tmp_path / "far.ppdsb", bob, tmp_path / "out")
