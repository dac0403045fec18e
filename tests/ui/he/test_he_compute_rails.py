"""The collector's own release goes to the key holder sealed like any share: data with direct
identifiers needs a yes, a release that can still identify people needs a yes (audited), from
the service, the CLI (``ppds he compute``) and the Encrypted aggregation page alike."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from conftest import PASSPHRASE
from ppds_desktop.core.errors import ConfirmationNeeded
from ppds_desktop.demo import he_scenario
from ppds_desktop.services import he, release


@pytest.fixture(scope="module")
def sc(tmp_path_factory):
    scenario = he_scenario.build(tmp_path_factory.mktemp("he-rails"), PASSPHRASE, rows=40)
    yield scenario
    scenario.close()


def _own_release(sc, name: str):
    """A collector's release that meets no privacy model and keeps the Name column, marked
    as a direct identifier once the release was made."""
    col = sc.collector.vault
    key = he.list_keys(sc.key_holder.vault)[0].fingerprint
    frame = sc.originals[0].head(30).assign(Name=[f"Patient {i}" for i in range(30)])
    dataset = col.put_dataset(f"{name} data", frame)
    recipe = release.new_recipe(
        name=name, encryption=he_scenario.encryption_section("Key holder", key, 1200))
    outcome = release.run_release(col, dataset.name, recipe)
    info = release.save_release(col, outcome, name, accept_risk=True)
    col.set_role(dataset.name, "Name", "identifier")
    return info


def _state(col):
    """What a refused request must leave untouched: no request kept, no acceptance recorded,
    nothing sealed."""
    actions = [e.action for e in col.audit_entries()]
    return (sum(r.kind == he.REQUEST_KIND for r in col.list_releases()),
            actions.count("release.risk_accepted"), actions.count("bundle.seal"))


def test_own_release_sealed_for_the_key_holder_obeys_the_identifier_and_risk_rules(sc):
    col = sc.collector.vault
    own = _own_release(sc, "own release with names")
    site = he.contribution_from_bundle(col, sc.bundles[0])

    def compute(**flags):
        return he.compute_request(col, [he.contribution_from_release(col, own.name), site],
                                  "sum Age", **flags)

    before = _state(col)
    with pytest.raises(ConfirmationNeeded, match=r"direct identifiers \(Name\)") as refused:
        compute()
    assert refused.value.option == "--allow-identifiers"
    assert _state(col) == before
    with pytest.raises(ConfirmationNeeded, match="can still identify people") as refused:
        compute(allow_identifiers=True)
    assert refused.value.option == "--accept-risk"
    assert _state(col) == before                    # nothing sealed, nothing audited
    request = compute(allow_identifiers=True, accept_risk=True)
    assert len(request.carried) == 2
    accepted = [e for e in col.audit_entries() if e.action == "release.risk_accepted"]
    assert accepted[-1].details["release"] == own.name
    assert accepted[-1].details["done"] == "sealed"
    seals = [e for e in col.audit_entries() if e.action == "bundle.seal"]
    assert seals[-1].details["title"] == own.name
    assert seals[-1].details["recipients"] == ["Key holder"]


def test_cli_he_compute_asks_for_the_flags_in_one_line(sc, tmp_path, monkeypatch, capsys):
    from ppds_desktop import cli

    own = _own_release(sc, "own release for the cli")
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "request.ppdsb"
    args = ["he", "compute", own.name, str(sc.bundles[1]), "--query", "sum Age", "-o", str(out),
            "--vault", str(sc.workdir / "Collector" / "vault.ppds")]
    assert cli.main(args) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "direct identifiers (Name)" in err
    assert "--allow-identifiers" in err and not out.exists()
    assert cli.main(args + ["--allow-identifiers"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--accept-risk" in err and not out.exists()
    assert cli.main(args + ["--allow-identifiers", "--accept-risk"]) == 0
    assert out.is_file()


def test_compute_tab_asks_the_datasets_page_question_first(sc, qtbot, tmp_path, monkeypatch):
    from ppds_desktop.ui.he.he_page import HomomorphicPage
    from ppds_desktop.ui.session import AppSession

    own = _own_release(sc, "own release for the page")
    page = HomomorphicPage(AppSession(sc.collector.vault))
    qtbot.addWidget(page)
    tab = page.compute_tab
    tab.refresh_releases()
    tab.releases.setCurrentText(own.name)
    tab._add_release()
    tab.add_bundle(sc.bundles[2])
    tab.query.setText("sum Age")
    asked, answer = [], [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: asked.append(text) or answer[0])
    out = tmp_path / "request.ppdsb"
    assert tab.compute(out) is False and not out.exists()     # Cancel: nothing runs
    assert "Name" in asked[0] and "can still identify people" in asked[0]
    assert "--" not in asked[0]
    answer[0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(page.session.runner.finished, timeout=60_000):
        assert tab.compute(out)
    assert out.is_file()
