"""Issue 11, serious 1 and 2: the key holder never trusts the requester's arithmetic, and
refuses exact answers that differ from earlier ones by a few records (differencing)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.errors import PPDSError
from ppds_desktop.core.he import serial
from ppds_desktop.demo import he_scenario
from ppds_desktop.services import he, sharing


@pytest.fixture(scope="module")
def sc(tmp_path_factory):
    scenario = he_scenario.build(tmp_path_factory.mktemp("heh"), PASSPHRASE, rows=40)
    yield scenario
    scenario.close()


def _contribs(sc):
    return [he.contribution_from_bundle(sc.collector.vault, p) for p in sc.bundles]


def _forge_and_send(sc, files, path):
    """The collector seals hand-edited request files for the key holder."""
    sharing.seal_files(sc.collector.vault, kind="he_request", title="forged", files=files,
                       contacts=["Key holder"], out_path=path)
    return path


def _answer(sc, path, **kwargs):
    """What the key holder does with a request: the result, or the refusal's message."""
    try:
        received, _sender = he.open_request(sc.key_holder.vault, path)
        return he.answer_request(sc.key_holder.vault, received, **kwargs)
    except PPDSError as exc:
        return str(exc)


def _results(sc):
    return [r for r in sc.key_holder.vault.list_releases() if r.kind == "he_result"]


def test_forged_record_count_cannot_reveal_one_patient(sc, tmp_path):
    """The attack: with the public key only, add an encrypted 4 to a one-record cell's count
    slot and claim 5 records. The key holder answered it and decrypted one patient's bill."""
    query = "sum Billing Amount by Medical Condition, Gender, Admission Type"
    request = he.compute_request(sc.collector.vault, _contribs(sc), query)
    files = request.to_files()
    doc = json.loads(files[he.REQUEST_FILE])
    i = next(j for j, cell in enumerate(doc["cells"]) if cell["records"] == 1)
    pk = request.public_key
    cells = serial.loads(files[he.CELLS_FILE], pk)
    widths = cells.layout.widths
    k = [s.name for s in cells.layout.slots].index("Billing Amount#n")
    four = 4 << sum(widths[:k])                    # +4 in the count slot, nothing else
    cells.ciphertexts[i] = cells.ciphertexts[i] * pk.raw_encrypt(four) % pk.nsquare
    doc["cells"][i]["records"] = 5
    files[he.CELLS_FILE] = serial.dumps(cells)
    files[he.REQUEST_FILE] = json.dumps(doc).encode()
    before = len(_results(sc))
    outcome = _answer(sc, _forge_and_send(sc, files, tmp_path / "forged.ppdsb"))
    group = doc["cells"][i]["group"]
    plain = pd.concat(sc.originals)
    patient = plain[(plain["Medical Condition"] == group["Medical Condition"])
                    & (plain["Gender"] == group["Gender"])
                    & (plain["Admission Type"] == group["Admission Type"])]
    assert len(patient) == 1
    if not isinstance(outcome, str):              # the old code answered: show what leaked
        leaked = outcome.rows[i]["values"].get("sum Billing Amount")
        pytest.fail(f"the key holder answered the forged cell: {leaked} "
                    f"(the patient's bill is {patient['Billing Amount'].round(2).iloc[0]})")
    assert "claims 5 records" in outcome and "computes itself" in outcome
    assert len(_results(sc)) == before


def test_claims_that_disagree_with_the_contributions_are_refused(sc, tmp_path):
    request = he.compute_request(sc.collector.vault, _contribs(sc), "mean Age by Gender")
    cases = []
    files = request.to_files()
    doc = json.loads(files[he.REQUEST_FILE])
    doc["cells"][0]["by_source"] = {k: v + 1 for k, v in doc["cells"][0]["by_source"].items()}
    cases.append(({he.REQUEST_FILE: json.dumps(doc).encode()}, "computes itself"))
    cells = serial.loads(files[he.CELLS_FILE], request.public_key)
    for additions, message in ((-3, "must be positive"), (10 ** 30, "headroom"),
                               (cells.additions + 1, "additions per slot")):
        head = serial.read_header(files[he.CELLS_FILE])
        body = files[he.CELLS_FILE][head.pop("_body"):]
        head["additions"] = additions
        raw = json.dumps(head).encode()
        cases.append(({he.CELLS_FILE: serial.MAGIC + len(raw).to_bytes(4, "big") + raw + body},
                      message))
    doc = json.loads(files[he.REQUEST_FILE])
    doc["sources"][1]["sha256"] = "0" * 64
    cases.append(({he.REQUEST_FILE: json.dumps(doc).encode()}, "does not match the hash"))
    doc = json.loads(files[he.REQUEST_FILE])
    doc["version"] = 1
    cases.append(({he.REQUEST_FILE: json.dumps(doc).encode()}, "old format (version 1)"))
    doc = json.loads(files[he.REQUEST_FILE])
    doc["cells"] = doc["cells"] * 501
    cases.append(({he.REQUEST_FILE: json.dumps(doc).encode()}, "at most 1000"))
    before = len(_results(sc))
    for n, (changes, message) in enumerate(cases):
        outcome = _answer(sc, _forge_and_send(sc, {**files, **changes},
                                              tmp_path / f"forged{n}.ppdsb"))
        assert isinstance(outcome, str) and message in outcome, (message, outcome)
    assert len(_results(sc)) == before


def test_too_many_cells_are_refused_before_any_work(sc, monkeypatch):
    from ppds_desktop.core.he import aggregate

    monkeypatch.setattr(aggregate, "MAX_CELLS", 20)
    with pytest.raises(PPDSError, match="more than 20 cells"):
        he.compute_request(sc.collector.vault, _contribs(sc), "sum Age by Date of Admission")


def test_a_bundle_not_sealed_for_the_key_holder_cannot_be_combined(sc, tmp_path):
    h = sc.hospitals[0]
    path = tmp_path / "collector-only.ppdsb"
    sharing.seal_for_contacts(h.vault, f"{h.name} encrypted release", ["Collector"], path,
                              accept_risk=True)
    contribs = [he.contribution_from_bundle(sc.collector.vault, path)]
    before = len(sc.collector.vault.list_releases())
    with pytest.raises(PPDSError, match="not sealed for the key holder"):
        he.compute_request(sc.collector.vault, contribs, "sum Age")
    assert len(sc.collector.vault.list_releases()) == before


def test_differencing_a_few_patients_is_refused_unless_noised(sc, tmp_path):
    """Two exact answers that both pass the 5-record rule, ``sum Billing Amount where
    Medical Condition = C`` and the same ``and Admission Type != T``, differ by the one to four
    patients of condition C admitted as T: their bills' sum is revealed."""
    from ppds_desktop.core.dp.ledger import budget_status, set_budget

    col, kh = sc.collector.vault, sc.key_holder.vault
    plain = pd.concat(sc.originals)
    sizes = plain.groupby(["Medical Condition", "Admission Type"]).size()
    totals = plain.groupby("Medical Condition").size()
    (cond, kind), few = next((k, n) for k, n in sizes.items()
                             if 1 <= n <= 4 and totals[k[0]] - n >= 5)
    answers = []
    for n, query in enumerate([f"sum Billing Amount where Medical Condition = {cond}",
                               f"sum Billing Amount where Medical Condition = {cond} and "
                               f"Admission Type != {kind}"]):
        request = he.compute_request(col, _contribs(sc), query)
        he.send_request(col, request, tmp_path / f"q{n}.ppdsb")
        answers.append(_answer(sc, tmp_path / f"q{n}.ppdsb", min_records=5))
    first, second = answers
    assert first.rows[0]["refused"] is None
    assert second.rows[0]["records"] == totals[cond] - few
    assert second.rows[0]["values"] == {}, "the difference of the two answers leaks patients"
    assert second.rows[0]["refused"].startswith(f"refused: differs by only {few} record(s)")
    # answered with noise, charged to a budget, the same request is allowed
    ds = kh.put_dataset("answers budget", pd.DataFrame({"x": [1]}))
    set_budget(kh, ds.name, epsilon=2.0)
    noisy = _answer(sc, tmp_path / "q1.ppdsb", epsilon=1.0, budget_dataset=ds.name)
    assert noisy.rows[0]["refused"] is None and noisy.dp["epsilon"] == 1.0
    assert budget_status(kh, ds.name).epsilon_spent == pytest.approx(1.0)
    rows = kh._query("SELECT noised, records FROM he_answered_cells ORDER BY id")
    assert rows[-1] == (1, totals[cond] - few) and (0, totals[cond]) in rows


def test_differencing_record_compares_row_sets():
    import numpy as np

    from ppds_desktop.core.he.answered import _differences

    a = {"b1": np.array([1, 1, 1, 0], bool), "b2": np.array([1, 0], bool)}
    b = {"b1": np.array([1, 1, 0, 0], bool), "b3": np.array([1], bool)}
    assert _differences(a, b) == (2, 1, 2)        # a's row 2 and b2's row 0; b3's row 0; 2 shared


def test_own_release_is_carried_signed_and_does_not_count_towards_the_minimum(sc, tmp_path):
    """The collector is also a site: its own release is sealed for the key holder once and
    carried; the key holder re-computes with it but counts only the other sites' records."""
    col = sc.collector
    key = he.list_keys(sc.key_holder.vault)[0].fingerprint
    section = he_scenario.encryption_section("Key holder", key, 40 * 3 * 10)   # as build()
    df = sc.originals[0].head(30)
    from ppds_desktop.core.recipe import new_recipe
    from ppds_desktop.services import release

    dataset = col.vault.put_dataset("collector admissions", df)
    outcome = release.run_release(col.vault, dataset.name,
                                  new_recipe(name="own", encryption=section))
    own = release.save_release(col.vault, outcome, "collector encrypted release",
                               accept_risk=True)
    contribs = [he.contribution_from_release(col.vault, own.name), *_contribs(sc)[:1]]
    request = he.compute_request(col.vault, contribs, "sum Age", accept_risk=True)
    again = he.compute_request(col.vault, [he.contribution_from_release(col.vault, own.name)],
                               "sum Age", accept_risk=True)
    assert again.sources[0]["bundle_id"] == request.sources[0]["bundle_id"]   # sealed once
    he.send_request(col.vault, request, tmp_path / "own.ppdsb")
    received, _ = he.open_request(sc.key_holder.vault, tmp_path / "own.ppdsb")
    assert [c.from_requester for c in received.verified.contributions] == [True, False]
    result = he.answer_request(sc.key_holder.vault, received, min_records=41)
    assert result.rows[0]["records"] == 70
    assert result.rows[0]["refused"] == ("refused: fewer than 41 records from sites other "
                                         "than the requester")


def test_cli_answer_adds_noise_by_default(sc, tmp_path, monkeypatch, capsys):
    from ppds_desktop import cli
    from ppds_desktop.core.dp.ledger import set_budget

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    kh = sc.key_holder.vault
    ds = kh.put_dataset("cli answers budget", pd.DataFrame({"x": [1]}))
    set_budget(kh, ds.name, epsilon=5.0)
    wd = sc.workdir
    req, res = tmp_path / "req.ppdsb", tmp_path / "res.ppdsb"
    assert cli.main(["he", "compute", *map(str, sc.bundles), "--query", "mean Age by Gender",
                     "-o", str(req), "--vault", str(wd / "Collector" / "vault.ppds")]) == 0
    capsys.readouterr()
    assert cli.main(["he", "answer", str(req), "-o", str(res), "--budget-dataset", ds.name,
                     "--vault", str(wd / "Key holder" / "vault.ppds")]) == 0
    out = capsys.readouterr().out
    assert "noise spent ε = 1 from cli answers budget" in out
    assert "re-computed here from the sites' signed contributions" in out


def test_a_request_carrying_one_bundle_twice_is_refused_by_the_key_holder(sc, tmp_path,
                                                                          monkeypatch):
    """A collector whose own software skips the check sends one site's bundle twice under two
    labels: its records would count twice towards the minimum and its values be added twice.
    The key holder re-computes and refuses it."""
    from ppds_desktop.core.he import aggregate

    real = aggregate.distinct_labels
    monkeypatch.setattr(aggregate, "distinct_labels",
                        lambda cs: [f"{c.label} #{i}" for i, c in enumerate(cs)])
    first = _contribs(sc)[0]
    twice = [first, he.contribution_from_bundle(sc.collector.vault, sc.bundles[0])]
    request = he.compute_request(sc.collector.vault, twice, "sum Age")
    he.send_request(sc.collector.vault, request, tmp_path / "twice.ppdsb")
    monkeypatch.setattr(aggregate, "distinct_labels", real)
    before = len(_results(sc))
    outcome = _answer(sc, tmp_path / "twice.ppdsb")
    assert isinstance(outcome, str) and "given twice" in outcome, outcome
    assert len(_results(sc)) == before
