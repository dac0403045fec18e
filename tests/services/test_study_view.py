"""What the Studies page relies on in ``services``: creating a study and writing its invitations
in one step (nothing kept on Cancel or failure), the status board, the contribution preview in
the variables' units with the budget it charges, a result's rows, charts and CSV export, and the
plain-language sentences of the create-study wizard. Keys are 512 bits (tests only)."""

from __future__ import annotations

import csv
import json
import re
import threading

import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.errors import Cancelled, InputError
from ppds_desktop.core.progress import TaskState
from ppds_desktop.services import dp as dp_service
from ppds_desktop.services import study, study_view, study_words
from ppds_desktop.demo import study_scenario as scenario

MAPPING = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}


def counts(vault) -> list[int]:
    return [vault._query(f"SELECT COUNT(*) FROM {t}")[0][0]
            for t in ("studies", "study_messages", "secrets", "audit")]


@pytest.fixture
def parties(tmp_path):
    sc = scenario.parties(tmp_path / "p", PASSPHRASE, sites=3, rows=40)
    yield sc
    sc.close()


def _create_and_invite(sc, folder, task=None):
    names = [s.name for s in sc.sites]
    return study.create_and_invite(sc.coordinator.vault, "Smoking and BMI", folder, sites=names,
                                   holders=names, threshold=2, spec=scenario.spec(min_sites=2),
                                   bits=512, task=task)


def _cancel_when(predicate) -> TaskState:
    event = threading.Event()

    def progress(fraction, message):
        if predicate(fraction, message):
            event.set()

    return TaskState(progress, event)


def test_create_and_invite_stores_the_study_with_its_invitations(parties, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    written = _create_and_invite(parties, folder)
    [info] = study.list_studies(parties.coordinator.vault)
    assert info.state == "open" and info.study_id == written.study.study_id
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for _n, p in written.files)
    actions = [r[0] for r in parties.coordinator.vault._query(
        "SELECT action FROM audit WHERE action LIKE 'study.%' ORDER BY seq")]
    assert actions == ["study.create", "study.invite"]


@pytest.mark.parametrize("when", ["the ceremony", "the last invitation"])
def test_cancel_leaves_no_study_no_share_and_no_file(parties, tmp_path, when):
    """Also at the very end: the last progress report comes before the commit (it came after
    it, so a Cancel there kept the study and its files and still said "cancelled")."""
    folder = tmp_path / "out"
    folder.mkdir()
    vault = parties.coordinator.vault
    before = counts(vault)
    last = 0.8 + 0.2 * 3 / 4                      # the coordinator and 3 sites
    task = _cancel_when(
        (lambda f, m: m != "writing the invitations") if when == "the ceremony" else
        (lambda f, m: m == "writing the invitations" and f >= last - 1e-9))
    with pytest.raises(Cancelled):
        _create_and_invite(parties, folder, task)
    assert counts(vault) == before and list(folder.iterdir()) == []


def test_invite_cancelled_at_the_last_moment_keeps_the_draft(parties, tmp_path):
    vault = parties.coordinator.vault
    names = [s.name for s in parties.sites]
    draft = study.create_study(vault, "Draft", sites=names, holders=names, threshold=2,
                               spec=scenario.spec(min_sites=2))
    folder = tmp_path / "out"
    folder.mkdir()
    before = counts(vault)
    task = _cancel_when(lambda f, m: m == "writing the invitations" and f >= 0.95 - 1e-9)
    with pytest.raises(Cancelled):
        study.invite(vault, draft.study_id, folder, bits=512, task=task)
    assert counts(vault) == before and list(folder.iterdir()) == []
    assert study.list_studies(vault)[0].state == "draft"


def test_a_clashing_file_is_refused_before_the_ceremony(parties, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / f"invitation-02-{parties.sites[0].name.replace(' ', '-')}.ppdsb").write_text("x")
    before = counts(parties.coordinator.vault)
    with pytest.raises(InputError, match="exist already"):
        _create_and_invite(parties, folder)
    assert counts(parties.coordinator.vault) == before


# -- a whole study, then what the page shows --------------------------------------------------

@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    sc = scenario.build(tmp_path_factory.mktemp("done"), PASSPHRASE, sites=3, rows=80, bits=512,
                        min_sites=2, threshold=2)
    files = [study.contribute(s.vault, sc.study_id, "patients", MAPPING,
                              sc.workdir / f"{s.name}.ppdsb").path for s in sc.sites]
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "req.ppdsb")
    answers = [study.answer(h.vault, request.path, sc.workdir / f"a-{h.name}.ppdsb").path
               for h in (sc.coordinator, sc.sites[1])]
    result = study.finish(sc.sites[2].vault, request.path, answers, sc.workdir / "res.ppdsb")
    yield sc, result
    sc.close()


def test_the_status_board_says_what_each_vault_saw_and_what_it_can_do(finished):
    sc, result = finished
    board = study_view.status_board(sc.sites[2].vault, sc.study_id)
    assert board.summary[0] == "You contribute data as a site and hold key share 4 of 4."
    assert "Any 2 of these 4 key-share holders must agree" in board.summary[2]
    steps = {s.action: s for s in board.steps}
    assert not steps["contribute"].enabled and "one contribution per round" in steps[
        "contribute"].reason
    assert {"combine", "review", "finish", "open_result"} <= set(steps)
    me = next(p for p in board.participants if p.name.endswith("(you)"))
    assert re.fullmatch(r"you joined on \d{4}-\d\d-\d\d; you contributed to round 1", me.seen)
    assert [r.request_id for r in board.results] == [result.request_id]
    coordinator = study_view.status_board(sc.coordinator.vault, sc.study_id)
    assert [s.action for s in coordinator.steps] == ["combine", "review", "finish",
                                                     "open_result", "new_round"]
    assert all(p.seen.startswith("invitation written") for p in coordinator.participants[1:])


def test_a_saved_result_reads_as_the_finished_one(finished):
    sc, result = finished
    saved = study_view.saved_result(sc.sites[2].vault, sc.study_id, result.request_id)
    assert saved.figures == result.figures and saved.decrypted_by == result.decrypted_by
    assert saved.finished_at == result.finished_at
    assert study_view.result_summary(saved) == study_view.result_summary(result)


def test_result_rows_write_a_variances_unit_so_it_reads_right(finished):
    _sc, result = finished
    rows = {r.label: r for r in study_view.result_rows(result)}
    assert rows["Variance of BMI (Sex is female)"].unit == "(kg/m²)²"
    assert rows["Standard deviation of BMI (Sex is female)"].unit == "kg/m²"
    assert rows["Mean of Age"].value_text.endswith(" years")
    linear = [r for r in study_view.result_rows(result) if r.analysis.startswith("Linear")]
    assert [r.note for r in linear if r.label == "Coefficient of Age"][0].startswith(
        "Standard error ")


def test_result_charts_draw_groups_categories_and_coefficients(finished):
    _sc, result = finished
    titles = [t for t, _svg in study_view.result_charts(result)]
    assert titles == ["Variance of BMI", "Standard deviation of BMI", "Distribution of Smoker",
                      "Linear regression of BMI on Age and Smoker",
                      "Logistic regression of Smoker on Age and BMI"]
    assert all(svg.startswith("<svg") for _t, svg in study_view.result_charts(result))


def test_the_csv_export_has_numbers_and_escapes_formulas(finished, tmp_path):
    sc, result = finished
    figures = json.loads(json.dumps(result.figures))
    figures["analyses"][0]["title"] = "=HYPERLINK(\"http://x\")"
    tampered = study_view.ResultReport(result.study, result.request_id, result.round,
                                       result.sites, result.decrypted_by, result.left_out,
                                       result.finished_by, result.finished_at, figures,
                                       result.privacy, result.sums)
    out = study_view.export_result_csv(sc.sites[2].vault, tampered, tmp_path / "r.csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["Analysis"].startswith("'=")
    mean = next(r for r in rows if r["Figure"] == "Mean of Age")
    assert float(mean["Value"]) == next(f["value"] for a in result.figures["analyses"]
                                        for f in a["figures"] if f["label"] == "Mean of Age")


def test_the_preview_shows_values_in_units_and_the_budget_it_charges(tmp_path):
    dp = {"epsilon": 1.0, "delta": 1e-6, "honest_sites": 1}
    sc = scenario.build(tmp_path / "dp", PASSPHRASE, sites=3, rows=50, bits=512, min_sites=2,
                        threshold=2, dp=dp)
    try:
        site = sc.sites[0]
        preview = study.preview_contribution(site.vault, sc.study_id, "patients", MAPPING)
        readable = {label: value for label, value, _n in preview.readable}
        female = sc.data[0].loc[sc.data[0]["Sex"] == "female", "BMI"]
        assert readable["Sum of BMI (Sex is female)"] == f"{female.sum():,.1f}"
        assert "charges ρ = " in preview.budget[0] and "ε = 1 at δ = one in a million" in preview.budget[0]
        assert preview.budget[1].startswith("Its budget has ρ = 0.5 left now")
        assert preview.blocked == ""
        dp_service.set_budget(sc.sites[1].vault, "patients", epsilon=3.0, rho=0.001)
        short = study.preview_contribution(sc.sites[1].vault, sc.study_id, "patients", MAPPING)
        assert short.blocked == ("Only ρ = 0.001 of the budget of “patients” remains: not "
                                 "enough for this contribution.")
        assert short.budget[1] == short.blocked
    finally:
        sc.close()


def test_the_wizards_sentences(tmp_path):
    assert study_words.threshold_sentence(3, 5) == (
        "Any 3 of these 5 key-share holders must agree to reveal a total; 2 or fewer together "
        "learn nothing.")
    assert study_words.threshold_warning(3, 5) == ""
    assert "More than half (3 of 4)" in study_words.threshold_warning(2, 4)
    assert study_words.variable_sentence_of({"name": "Age", "type": "number", "unit": "years",
                                             "lower": 90, "upper": 10, "decimals": 0}) == (
        "The lower bound of variable 'Age' (90) must be below its upper bound (10).")
    assert study_words.analysis_title({"kind": "variance", "variable": "BMI", "by": "Sex"}) == (
        "Variance of BMI by Sex")
    assert study_words.roles_words("site and key-share holder 2") == (
        "contributes data and holds key share 2")
    with pytest.raises(InputError, match="categories"):
        study_words.check_spec(study_words.new_spec(
            [{"name": "Sex", "type": "category", "categories": []}], [{"kind": "count"}],
            min_sites=2, dp=None), 3)


def test_a_bundle_of_another_kind_is_named_in_words(finished):
    """The message names the kind of file as people call it, not by its internal name."""
    sc, result = finished
    vault = sc.sites[0].vault
    with pytest.raises(study.StudyError) as wrong:
        study.combine(vault, sc.study_id, [sc.workdir / "req.ppdsb"], sc.workdir / "x.ppdsb")
    assert wrong.value.message == ("req.ppdsb is a decryption request, not a study "
                                   "contribution.")
    with pytest.raises(study.StudyError) as wrong:
        study.review_request(sc.coordinator.vault, result.path)
    assert wrong.value.message == "res.ppdsb is a study result, not a study request."
    with pytest.raises(study.StudyError) as wrong:
        study.join(vault, sc.workdir / "a-Coordinator.ppdsb")
    assert wrong.value.message == ("a-Coordinator.ppdsb is a key-share holder's answer, not a "
                                   "study invitation.")
