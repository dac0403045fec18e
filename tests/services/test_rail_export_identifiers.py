"""Safety rail: exporting data that still has direct identifiers needs an explicit yes — the
same rule (``services.disclosure``) for ``ppds export``, the Datasets page, sealing and
``ppds perturb``."""

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


def test_perturbing_is_a_way_out_under_the_same_rules(vault, tmp_path):
    """Perturbation keeps direct identifiers and meets no privacy model: both need their yes
    before anything is stored or written; going ahead is audited with the measured risk, and
    the release keeps that risk, so exporting it later asks again."""
    from ppds_desktop.services import dp

    datasets.import_file(vault, sample_csv(), name="adm")
    section = {"steps": [{"method": "swap", "columns": ["Blood Type"], "rate": 0.2}]}
    out = tmp_path / "perturbed.csv"
    with pytest.raises(ConfirmationNeeded, match=r"direct identifiers \(Name, .*SSN\)"):
        dp.perturb_dataset(vault, "adm", section, output=out, accept_risk=True)
    with pytest.raises(ConfirmationNeeded, match="no privacy model") as asked:
        dp.perturb_dataset(vault, "adm", section, output=out, allow_identifiers=True)
    assert asked.value.option == "--accept-risk"
    assert vault.list_releases() == [] and not out.exists()
    _, release = dp.perturb_dataset(vault, "adm", section, release_name="swapped", output=out,
                                    allow_identifiers=True, accept_risk=True)
    assert out.exists() and release.kind == "perturbed"
    actions = [e.action for e in vault.audit_entries()]
    assert actions.count("release.risk_accepted") == 2 and actions[-1] == "dataset.exported"
    accepted = next(e for e in vault.audit_entries() if e.action == "release.risk_accepted")
    assert accepted.details["highest_risk"] == 1.0 and accepted.details["qi_columns"]
    name, verdict = disclosure.saved_release_verdict(vault, "swapped")
    assert not verdict.safe and "No privacy model" in " ".join(verdict.problems())
    with pytest.raises(ConfirmationNeeded, match="can still identify people"):
        datasets.export_dataset(vault, "swapped", tmp_path / "again.csv", allow_identifiers=True)



def test_a_release_output_named_by_its_uid_or_a_new_name_keeps_its_identifiers(vault):
    """The Datasets page names a release's output dataset by the dataset's uid, and a renamed
    output no longer has the release's name: the identifiers and the risk of the release that
    wrote it are found all the same."""
    from ppds_desktop.services import dp, plain

    datasets.import_file(vault, sample_csv(), name="adm")
    section = {"steps": [{"method": "swap", "columns": ["Blood Type"], "rate": 0.2}]}
    _, release = dp.perturb_dataset(vault, "adm", section, release_name="swapped",
                                    allow_identifiers=True, accept_risk=True)
    out = vault.dataset_info(release.output_dataset_id)
    kept = disclosure.identifier_columns(vault, "swapped")
    assert "SSN" in kept and disclosure.identifier_columns(vault, out.uid) == kept
    assert plain.dataset_kind(vault, out).identifiers == tuple(kept)
    assert disclosure.saved_release_verdict(vault, out.uid)[0] == "swapped"
    vault.rename_dataset(out.id, "renamed")
    assert disclosure.identifier_columns(vault, "renamed") == kept
    assert disclosure.saved_release_verdict(vault, "renamed")[0] == "swapped"
