"""Safety rail: a release that meets no privacy model, or keeps a re-identification risk above
the vault's threshold, is named for what it is and goes nowhere without an acknowledgement
(GUI check box, CLI --accept-risk), which is audited with the risk figures."""

from __future__ import annotations

import pytest
from conftest import PASSPHRASE
from PySide6.QtCore import Qt

from ppds_desktop.cli import main
from ppds_desktop.core.recipe.presets import HIPAA, RESEARCH, make_preset
from ppds_desktop.core.errors import ConfirmationNeeded
from ppds_desktop.paths import sample_csv
from ppds_desktop.services import datasets, disclosure
from ppds_desktop.services import release as svc


@pytest.fixture
def sample(vault):
    return datasets.import_file(vault, sample_csv(), name="Sample admissions")


def _preset_run(vault, info, preset):
    roles, kinds = svc.column_hints(None, vault, info.id)
    return svc.run_release(vault, info.id, make_preset(preset, list(info.columns), roles, kinds))


def _accepted(vault):
    return [e for e in vault.audit_entries() if e.action == "release.risk_accepted"]


def test_safe_harbor_with_full_risk_is_not_safe_and_says_what_identifies(vault, sample):
    outcome = _preset_run(vault, sample, HIPAA)
    verdict = disclosure.verdict(outcome.report, vault)
    assert verdict.safe_harbor is True                       # every rule applied...
    assert not verdict.safe and verdict.highest_risk == 1.0  # ...and still 100 % risk
    text = " ".join(verdict.problems())
    assert "No privacy model" in text
    assert f"{verdict.unique_records:,} of 1,000 records are unique on Age, Gender" in text
    assert "de-identified" not in svc.default_release_name("Sample admissions", verdict)
    research = disclosure.verdict(_preset_run(vault, sample, RESEARCH).report, vault)
    assert research.safe and research.highest_risk <= 0.2
    assert svc.default_release_name("S", research) == "S – de-identified"


def test_the_html_report_states_the_verdict_apart_from_the_safe_harbor_rules(vault, sample,
                                                                           tmp_path):
    """A report file read on its own says first whether the release can still identify people;
    Safe Harbor is "rules applied", never a measured guarantee."""
    risky = svc.write_report(vault, _preset_run(vault, sample, HIPAA), tmp_path / "hipaa.html",
                             name="hipaa", accept_risk=True).read_text()
    top = risky.index("This release can still identify people.")
    assert top < risky.index("<h2>Summary</h2>") and "No privacy model" in risky
    assert "Safe Harbor rules applied" in risky and "not a measure" in risky
    safe = svc.write_report(vault, _preset_run(vault, sample, RESEARCH), tmp_path / "r.html",
                            name="research").read_text()
    assert "Measured re-identification risk within the limit of 20%" in safe
    assert "can still identify people" not in safe


def test_the_threshold_is_a_vault_setting(vault, sample):
    report = _preset_run(vault, sample, RESEARCH).report     # highest risk 1/5 exactly
    assert disclosure.verdict(report, vault).safe
    disclosure.set_risk_threshold(vault, 0.1)
    tighter = disclosure.verdict(report, vault)
    assert not tighter.safe and tighter.suggested_k == 10
    assert "above the limit of 10%" in " ".join(tighter.problems())
    with pytest.raises(Exception, match="at most 100 %"):
        disclosure.set_risk_threshold(vault, 2)


def test_saving_needs_the_acknowledgement_which_is_audited(vault, sample):
    outcome = _preset_run(vault, sample, HIPAA)
    with pytest.raises(ConfirmationNeeded, match="can still identify people"):
        svc.save_release(vault, outcome, "risky")
    assert vault.list_releases() == [] and not _accepted(vault)
    svc.save_release(vault, outcome, "risky", accept_risk=True)
    [entry] = _accepted(vault)
    assert entry.details["release"] == "risky" and entry.details["highest_risk"] == 1.0
    assert entry.details["threshold"] == 0.2 and entry.details["unique_records"] > 500
    assert entry.details["qi_columns"][:2] == ["Age", "Gender"]


def test_the_one_click_fix_adds_k_anonymity_and_makes_it_safe(vault, sample):
    outcome = _preset_run(vault, sample, HIPAA)
    verdict = disclosure.verdict(outcome.report, vault)
    fixed = svc.with_k_anonymity(outcome.recipe, verdict)
    assert fixed["privacy"]["k"] == 5 and "privacy" not in outcome.recipe
    again = svc.run_release(vault, sample.id, fixed)
    assert disclosure.verdict(again.report, vault).safe
    svc.save_release(vault, again, "fixed")                  # no acknowledgement needed


def test_cli_refuses_without_accept_risk_writes_nothing_and_audits_with_it(tmp_path, vault_path,
                                                                          monkeypatch, capsys):
    from ppds_desktop.core.vault import Vault

    v, _ = Vault.create(vault_path, PASSPHRASE)
    datasets.import_file(v, sample_csv(), name="adm")
    v.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    out, html = tmp_path / "out.csv", tmp_path / "r.html"
    args = ["anonymize", "adm", "--vault", str(vault_path), "--preset", "expert", "-o",
            str(out), "--html", str(html), "--save-release", "rel"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: error: 'rel' can still identify people") and "\n" not in err
    assert "--accept-risk" in err and not out.exists() and not html.exists()
    assert main(args + ["--accept-risk"]) == 0
    assert out.exists() and html.exists()
    v = Vault.open(vault_path, PASSPHRASE)
    try:
        assert [r.name for r in v.list_releases()] == ["rel"]
        [entry] = _accepted(v)
        assert entry.details["done"] == "saved" and entry.details["highest_risk"] == 1.0
    finally:
        v.lock()
    # exporting or sealing the saved release asks again
    back = tmp_path / "back.csv"
    assert main(["export", "rel", "-o", str(back), "--vault", str(vault_path)]) == 1
    assert "can still identify people" in capsys.readouterr().err and not back.exists()
    assert main(["export", "rel", "-o", str(back), "--vault", str(vault_path),
                 "--accept-risk"]) == 0
    assert back.exists()


def test_sealing_a_risky_release_needs_accept_risk(tmp_path, vault, sample):
    from ppds_desktop.services import sharing

    svc.save_release(vault, _preset_run(vault, sample, HIPAA), "risky", accept_risk=True)
    sharing.init_identity(vault, "Me")
    with pytest.raises(ConfirmationNeeded, match="can still identify people"):
        sharing.seal_for_contacts(vault, "risky", [], tmp_path / "b.ppdsb")
    assert not list(tmp_path.glob("b.ppdsb*"))


# -- the Prepare wizard ---------------------------------------------------------------------------

@pytest.fixture
def wizard(qtbot, vault, sample):
    from ppds_desktop.ui.prepare.wizard import PrepareWizard
    from ppds_desktop.ui.session import AppSession

    w = PrepareWizard(AppSession(vault))
    qtbot.addWidget(w)
    w.resize(1100, 820)
    w.show()
    return w


def _click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _run_preset(qtbot, w, preset):
    w.select_dataset("Sample admissions")
    _click(qtbot, w.next_button)
    qtbot.waitUntil(lambda: w.steps.currentIndex() == 1, timeout=30_000)
    w.preset_buttons[preset].setChecked(True)
    while w.steps.currentIndex() < w.run_index:
        _click(qtbot, w.next_button)
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        _click(qtbot, w.next_button)
    assert w.steps.currentIndex() == w.results_index


def test_wizard_banner_blocks_saving_until_acknowledged_then_fix_makes_it_safe(qtbot, wizard,
                                                                              vault, tmp_path):
    w = wizard
    _run_preset(qtbot, w, HIPAA)
    banner = w.results_step.banner
    assert banner.isVisible() and "unique on Age, Gender" in banner.text.text()
    assert "Safe Harbor rules applied" in w.results_step.summary.text()
    assert "can still identify people" in w.results_step.summary.text()
    assert "de-identified" not in w.release_name.text()
    assert not w.save_button.isEnabled() and not w.export_button.isEnabled()
    banner.acknowledge.setChecked(True)
    assert w.save_button.isEnabled()
    with qtbot.waitSignal(w.runner.finished, timeout=30_000):
        _click(qtbot, w.save_button)
    assert [e.details["release"] for e in _accepted(vault)] == [w.release_name.text()]

    assert banner.fix_button.text().replace("&", "").startswith("Add 5-anonymity")
    with qtbot.waitSignal(w.runner.finished, timeout=60_000):
        _click(qtbot, banner.fix_button)
    assert not banner.isVisible() and w.save_button.isEnabled()
    assert w.release_name.text() == "Sample admissions – de-identified"
    assert w.state.recipe["privacy"]["k"] == 5


def test_settings_page_sets_the_threshold(qtbot, vault):
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.settings_page import SettingsPage

    page = SettingsPage(AppSession(vault))
    qtbot.addWidget(page)
    assert page.risk_limit.value() == 20
    page.risk_limit.setValue(10)
    page.save_risk_limit()
    assert disclosure.risk_threshold(vault) == 0.1
    assert vault.audit_entries()[-1].action == "settings.risk_threshold"


def test_share_wizard_asks_before_sealing_a_risky_release(qtbot, tmp_path, vault, sample):
    from PySide6.QtWidgets import QWizard

    from ppds_desktop.core.vault import Vault
    from ppds_desktop.services import sharing
    from ppds_desktop.ui.session import AppSession
    from ppds_desktop.ui.share.share_wizard import ShareWizard

    svc.save_release(vault, _preset_run(vault, sample, HIPAA), "risky", accept_risk=True)
    sharing.init_identity(vault, "Alice")
    bob, _ = Vault.create(tmp_path / "bob" / "b.vault", PASSPHRASE)
    try:
        sharing.init_identity(bob, "Bob")
        sharing.export_identity_card(bob, tmp_path / "bob.ppdsid")
    finally:
        bob.lock()
    sharing.import_contact_card(vault, tmp_path / "bob.ppdsid")
    wizard = ShareWizard(AppSession(vault))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.source_page.select("risky")
    wizard.next()
    wizard.recipients_page.allow_unverified.setChecked(True)
    wizard.recipients_page.check("Bob")
    wizard.next()
    page = wizard.summary_page
    page.path.setText(str(tmp_path / "risky.ppdsb"))
    assert "can still identify people" in page.risk.text() and not page.isComplete()
    page.accept_risk.setChecked(True)
    assert page.isComplete()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=10_000)
    assert [e.details["done"] for e in _accepted(vault)] == ["saved", "sealed"]
