"""The must-show run of issue 13 through ``ppds study``: five vaults (a coordinator and four
sites, 3 of 5 key-share holders, a 2048-bit split key), every step by file. With DP off the
means, variances and regression coefficients equal the pooled plaintext computation exactly;
with DP on they are within the stated noise; the aggregator with t − 1 holders cannot decrypt;
a holder refuses a single-site request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ppds_desktop.cli import main
from ppds_desktop.core.vault import Vault
from ppds_desktop.demo import study_scenario as scenario

from conftest import PASSPHRASE
from study_flow_helpers import (assert_pooled_exactly, assert_pooled_within_noise, figure,
                                forge_request)

pytestmark = pytest.mark.slow


@pytest.fixture
def ppds(monkeypatch, capsys):
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)

    def run(*args, ok=True):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert (code == 0) == ok, f"ppds {' '.join(map(str, args[:2]))}: {code} {err}"
        if not ok:
            assert err.startswith("ppds: error: ") and err.count("\n") == 1, err
        return out if ok else err
    return run


def study_run(tmp_path, ppds, *, dp: dict | None):
    sc = scenario.parties(tmp_path / "five", PASSPHRASE, sites=4, rows=400 if dp is None else
                          2500, budget=dp is not None)
    vaults = {p.name: p.vault.path for p in [sc.coordinator, *sc.sites]}
    sc.close()                                   # from here on, only the command line
    work = sc.workdir
    spec = work / "analyses.json"
    spec.write_text(json.dumps(scenario.spec(dp=dp, min_sites=3)), encoding="utf-8")
    names = [s.name for s in sc.sites]
    coordinator = vaults["Coordinator"]
    out = ppds("study", "create", "--vault", coordinator, "--title", "BMI study", "--analyses",
               spec, "--threshold", 3, *[x for n in names for x in ("--site", n, "--holder", n)])
    study_id = re.search(r"created draft study ([0-9a-f]{32})", out).group(1)
    (work / "invitations").mkdir()
    out = ppds("study", "invite", "--vault", coordinator, study_id, "-o", work / "invitations")
    assert "3 of 5 key-share holders" in out and "trusted dealer" in out
    invitations = sorted((work / "invitations").iterdir())
    assert len(invitations) == 4
    for name, path in zip(names, invitations):
        assert ppds("study", "join", "--vault", vaults[name], path, "--dry-run").count("site")
        assert "joined" in ppds("study", "join", "--vault", vaults[name], path)
    preview = ppds("study", "contribute", "--vault", vaults[names[0]], study_id, "--dataset",
                   "patients", "--map", "Age=Age", "--preview")
    assert "What would leave this site" in preview and "Sum of Age = " in preview
    contributions = []
    for name in names:
        path = work / f"{name}.contribution.ppdsb"
        ppds("study", "contribute", "--vault", vaults[name], study_id, "--dataset", "patients",
             "-o", path)
        contributions.append(path)
    aggregator = vaults[names[0]]
    request = work / "request.ppdsb"
    ppds("study", "combine", "--vault", aggregator, study_id, *contributions, "-o", request)
    answers = []
    for holder in ("Coordinator", names[1], names[2]):
        assert "verdict: would answer" in ppds("study", "answer", "--vault", vaults[holder],
                                                request, "--dry-run")
        path = work / f"answer-{holder}.ppdsb"
        ppds("study", "answer", "--vault", vaults[holder], request, "-o", path)
        answers.append(path)
    # the aggregator with one more holder (t − 1 = 2 answers) cannot decrypt
    err = ppds("study", "finish", "--vault", aggregator, request, answers[0], answers[1], "-o",
               work / "too-few.ppdsb", ok=False)
    assert "Only 2 valid partial decryptions of the 3 needed; nothing was decrypted" in err
    assert not (work / "too-few.ppdsb").exists()
    result_path = work / "result.ppdsb"
    result = json.loads(ppds("study", "finish", "--vault", aggregator, request, *answers,
                             "--json", "-o", result_path))
    # everyone else checks the result file themselves
    shown = json.loads(ppds("study", "show", "--vault", vaults[names[3]], result_path, "--json"))
    assert shown["figures"] == result["figures"]
    assert "Decrypted by key-share holders" in ppds("study", "show", "--vault", coordinator,
                                                   result_path)
    return sc, study_id, vaults, contributions, result


class _Result:
    """The JSON the CLI printed, with the attribute the figure helpers read."""

    def __init__(self, doc):
        self.figures = doc["figures"]


def test_five_vaults_through_the_cli_exact(tmp_path, ppds):
    sc, study_id, vaults, contributions, doc = study_run(tmp_path, ppds, dp=None)
    assert_pooled_exactly(_Result(doc), sc)
    assert doc["decrypted_by"] == ["Coordinator", sc.sites[1].name, sc.sites[2].name]
    # a holder refuses a request for a single site (made by a dishonest aggregator: the
    # honest command refuses to make it)
    err = ppds("study", "combine", "--vault", vaults[sc.sites[0].name], study_id,
               contributions[1], "-o", tmp_path / "one.ppdsb", ok=False)
    assert "alone" in err and not (tmp_path / "one.ppdsb").exists()
    aggregator = Vault.open(vaults[sc.sites[0].name], PASSPHRASE)
    try:
        sc.sites[0].vault = aggregator
        sc.study_id = study_id
        forged = forge_request(sc, aggregator, contributions[1:2], path=tmp_path / "one.ppdsb")
    finally:
        aggregator.lock()
    err = ppds("study", "answer", "--vault", vaults["Coordinator"], forged, "-o",
               tmp_path / "never.ppdsb", ok=False)
    assert "contribution of Riverside Memorial alone; a single site's statistics are never " \
           "decrypted" in err
    assert not (tmp_path / "never.ppdsb").exists()
    status = ppds("study", "show", "--vault", vaults[sc.sites[0].name], study_id)
    assert "contribution received from Hillcrest University" in status


def test_five_vaults_through_the_cli_with_noise(tmp_path, ppds):
    dp = {"epsilon": 4.0, "delta": 1e-6, "honest_sites": 2}
    sc, _sid, _vaults, _c, doc = study_run(tmp_path, ppds, dp=dp)
    assert doc["privacy"]["epsilon"] == 4.0
    result = _Result(doc)
    n = figure(result, "Number of records")
    assert n["interval"] is not None and abs(n["value"] - len(scenario.pooled(sc))) <= 4 * (
        n["interval"][1] - n["value"])
    assert_pooled_within_noise(result, sc)
    for name in (s.name for s in sc.sites):
        out = ppds("dp", "budget", "show", "--vault", _vaults[name], "patients", "--json")
        assert json.loads(out)["rho_spent"] == pytest.approx(doc["privacy"]["rho"])


def test_bad_input_gets_one_line(tmp_path, ppds, vault, vault_path):
    from ppds_desktop.services import sharing

    sharing.init_identity(vault, "Coordinator")
    vault.lock()
    v = ("--vault", vault_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "ppds-study-analyses", "version": 1, "colour": 1}')
    assert "unknown field 'colour'" in ppds("study", "create", *v, "--title", "T",
                                            "--analyses", bad, "--threshold", 2, ok=False)
    assert "cannot read the analyses" in ppds("study", "create", *v, "--title", "T",
                                              "--analyses", tmp_path / "missing.json",
                                              "--threshold", 2, ok=False)
    assert "takes part in no study" in ppds("study", "show", *v, "nothing", ok=False)
    assert "no study" in ppds("study", "invite", *v, "nothing", "-o", tmp_path, ok=False)
    assert "Give -o" in ppds("study", "contribute", *v, "x", "--dataset", "d", ok=False)
    junk = tmp_path / "junk.ppdsb"
    junk.write_bytes(b"not a bundle at all")
    assert "junk.ppdsb" in ppds("study", "join", *v, junk, ok=False)
    assert "junk.ppdsb" in ppds("study", "answer", *v, junk, "-o", tmp_path / "a.ppdsb",
                                ok=False)
    assert not (tmp_path / "a.ppdsb").exists()
    assert "no study yet" in ppds("study", "list", *v)
