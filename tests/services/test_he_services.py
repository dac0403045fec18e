"""The homomorphic use cases across five real vaults, exchanging real bundles."""

from __future__ import annotations

import re

import pandas as pd
import phe
import pytest

from ppds_desktop.core.errors import InputError, NotFound
from ppds_desktop.core.he import keys as he_keys
from ppds_desktop.core.he import serial
from ppds_desktop.demo import he_scenario
from ppds_desktop.services import he, sharing

from conftest import PASSPHRASE


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    sc = he_scenario.build(tmp_path_factory.mktemp("he"), PASSPHRASE, rows=40)
    yield sc
    sc.close()


def plain_means(sc, by="Medical Condition"):
    return pd.concat(sc.originals).groupby(by)["Billing Amount"].apply(
        lambda s: s.round(2).mean())


def test_key_is_in_vault_and_on_card(scenario):
    kh = scenario.key_holder.vault
    [info] = he.list_keys(kh)
    assert info.published and info.bits == 2048
    sk = he_keys.private_key_from_bytes(kh.get_secret(he_keys.SECRET_KIND, "study"))
    assert isinstance(sk, phe.PaillierPrivateKey)
    contact = sharing.get_contact(scenario.hospitals[0].vault, "Key holder")
    assert contact.extensions[he.KEY_EXTENSION]["fingerprint"] == info.fingerprint


def test_release_keeps_only_ciphertexts_of_encrypted_columns(scenario):
    h = scenario.hospitals[0].vault
    release = h.release_info("Northbrook General encrypted release")
    table = h.load_dataset(release.output_dataset_id)
    assert "Billing Amount" not in table.columns and "Medical Condition" in table.columns
    files = h.release_files(release.id)
    header = serial.read_header(files[he.ENCRYPTED_FILE])
    assert header["count"] == len(table) and header["meta"]["columns"] == ["Billing Amount", "Age"]


def test_full_round_trip_through_bundles(scenario, tmp_path):
    col, kh = scenario.collector, scenario.key_holder
    contribs = [he.contribution_from_bundle(col.vault, p) for p in scenario.bundles]
    assert [c.label for c in contribs] == list(he_scenario.HOSPITAL_NAMES)
    request = he.compute_request(col.vault, contribs,
                                 "mean Billing Amount, count Billing Amount by Medical Condition")
    req_path = tmp_path / "request.ppdsb"
    he.send_request(col.vault, request, req_path)
    with pytest.raises(NotFound, match="no Paillier private key"):
        he.answer_request(col.vault, request)

    received, sender = he.open_request(kh.vault, req_path)
    assert sender.name == "Collector"
    assert any("records" in line for line in received.describe())
    result = he.answer_request(kh.vault, received, min_records=5)
    res_path = tmp_path / "result.ppdsb"
    he.send_result(kh.vault, result, res_path, to=sender)

    shown = he.open_result(col.vault, res_path)
    expected = plain_means(scenario)
    sizes = pd.concat(scenario.originals)["Medical Condition"].value_counts()
    for row in shown.rows:
        cond = row["group"]["Medical Condition"]
        if sizes[cond] < 5:
            assert row["refused"]
        else:
            assert row["values"]["mean Billing Amount"] == pytest.approx(expected[cond], rel=1e-12)
            assert row["values"]["count Billing Amount"] == sizes[cond]
    assert "<svg" in he.result_chart(shown)
    assert any("Single-key mode" in line for line in he.provenance_lines(shown))
    assert [r.kind for r in kh.vault.list_releases()].count("he_result") == 1


def test_dp_answer_spends_budget_and_is_refused_past_it(scenario):
    from ppds_desktop.core.dp.ledger import budget_status, set_budget
    from ppds_desktop.core.errors import BudgetExceeded

    kh = scenario.key_holder.vault
    ds = kh.put_dataset("study budget", pd.DataFrame({"x": [1]}))
    set_budget(kh, ds.name, epsilon=1.0)
    contribs = [he.contribution_from_bundle(scenario.collector.vault, p) for p in scenario.bundles]
    request = he.compute_request(scenario.collector.vault, contribs, "mean Age")
    result = he.answer_request(kh, request, epsilon=0.6, budget_dataset=ds.name)
    assert result.dp["epsilon"] == 0.6
    true_mean = pd.concat(scenario.originals)["Age"].mean()
    # sum noise scale 255/0.3 over 120 records: an error above 80 has probability < 1e-4
    assert abs(result.rows[0]["values"]["mean Age"] - true_mean) < 80
    assert budget_status(kh, ds.name).epsilon_spent == pytest.approx(0.6)
    with pytest.raises(BudgetExceeded):
        he.answer_request(kh, request, epsilon=0.6, budget_dataset=ds.name)
    with pytest.raises(InputError, match="budget"):
        he.answer_request(kh, request, epsilon=0.1)


def test_contribution_of_an_imported_bundle(scenario):
    col = scenario.collector.vault
    imported = sharing.open_into_vault(col, scenario.bundles[1], accept_replay=True)
    contrib = he.contribution_from_dataset(col, imported.dataset.name)
    assert len(contrib.frame) == 40 and contrib.source["bundle_id"] == imported.bundle_id
    [received] = [r for r in col.list_releases() if r.kind == "received"]
    assert he.contribution_from_release(col, received.name).source == contrib.source


def test_recipe_key_reference_is_checked(scenario):
    h = scenario.hospitals[0].vault
    with pytest.raises(Exception, match="fingerprint"):
        he.resolve_public_key(h, {"contact": "Key holder", "fingerprint": "0000 0000"})
    with pytest.raises(NotFound, match="no Paillier public key"):
        he.resolve_public_key(h, {"contact": "Collector"})


def test_cli_compute_answer_show(scenario, tmp_path, monkeypatch, capsys):
    from ppds_desktop import cli
    from ppds_desktop.cli import main

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])   # independent of other areas
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    wd = scenario.workdir
    col, kh = wd / "Collector" / "vault.ppds", wd / "Key holder" / "vault.ppds"
    req, res = tmp_path / "req.ppdsb", tmp_path / "res.ppdsb"
    assert main(["he", "compute", *map(str, scenario.bundles), "--query",
                 "mean Billing Amount by Gender", "-o", str(req), "--vault", str(col)]) == 0
    assert main(["he", "answer", str(req), "--dry-run", "--vault", str(kh)]) == 0
    assert "  Gender: " in capsys.readouterr().out
    assert main(["he", "answer", str(req), "-o", str(res), "--exact", "--min-records", "1",
                 "--vault", str(kh)]) == 0
    assert "Single-key mode" in capsys.readouterr().err
    assert main(["he", "show", str(res), "--json", "--vault", str(col),
                 "--chart", str(tmp_path / "c.svg")]) == 0
    import json
    shown = json.loads(capsys.readouterr().out)
    expected = pd.concat(scenario.originals).groupby("Gender")["Billing Amount"].apply(
        lambda s: s.round(2).mean())
    for row in shown["rows"]:
        assert row["values"]["mean Billing Amount"] == pytest.approx(
            expected[row["group"]["Gender"]], rel=1e-12)
    assert (tmp_path / "c.svg").read_text().startswith("<svg")
    assert main(["he", "show", str(res), "--vault", str(col)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["Gender", "records", "mean", "Billing", "Amount"]   # no "note"
    assert all(re.search(r"\d\.\d\d$", line) for line in table[1:3])
    assert main(["he", "show", str(req), "--vault", str(kh)]) == 1   # a request is not a result
    assert "not 'he_result'" in capsys.readouterr().err


def test_contribution_of_an_own_release_and_report(scenario):
    h = scenario.hospitals[2].vault
    contrib = he.contribution_from_release(h, "Lakeview Community encrypted release")
    assert len(contrib.frame) == len(contrib.array) == 40
    report = h.release_info("Lakeview Community encrypted release").report
    enc = report["sections"]["encryption"]
    assert enc["encrypted_columns"] == ["Billing Amount", "Age"]
    assert "Single-key mode" in enc["warning"]


def test_cli_keygen_and_keys(vault, vault_path, monkeypatch, capsys):
    from ppds_desktop import cli
    from ppds_desktop.cli import main

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert main(["he", "keygen", "--name", "study", "--vault", str(vault_path)]) == 0
    out = capsys.readouterr()
    assert "2048 bits, fingerprint" in out.out and "Single-key mode" in out.err
    assert main(["he", "keygen", "--name", "study", "--vault", str(vault_path)]) == 1
    assert "study" in capsys.readouterr().err
    assert main(["he", "keys", "--vault", str(vault_path)]) == 0
    assert capsys.readouterr().out.startswith("study\t2048 bits\t")
    assert [k.name for k in he.list_keys(vault)] == ["study"]


# -- review regressions ----------------------------------------------------------------------------

def test_the_same_contribution_twice_is_refused(scenario):
    """Its values would be added twice while its records were counted once."""
    col = scenario.collector.vault
    contribs = [he.contribution_from_bundle(col, p) for p in scenario.bundles]
    again = he.contribution_from_bundle(col, scenario.bundles[0])
    with pytest.raises(InputError, match="given twice"):
        he.compute_request(col, [*contribs, again], "mean Age")


def test_two_releases_of_one_site_are_counted_separately(scenario):
    col = scenario.collector.vault
    a, b = (he.contribution_from_bundle(col, p) for p in scenario.bundles[:2])
    b.label = a.label                         # e.g. two years' releases of one hospital
    request = he.compute_request(col, [a, b], "mean Age")
    [cell] = request.cells
    assert cell["records"] == 80 and sorted(cell["by_source"]) == [a.label, f"{a.label} (2)"]
    # min_records=1: this module's earlier exact answers (by Medical Condition over all three
    # sites) differ from this cell by a few records, which the default minimum would refuse
    result = he.answer_request(scenario.key_holder.vault, request, min_records=1)
    assert result.rows[0]["refused"] is None
    expected = pd.concat(scenario.originals[:2])["Age"].mean()
    assert result.rows[0]["values"]["mean Age"] == pytest.approx(expected)


def test_cli_answer_checks_everything_before_decrypting(scenario, tmp_path, monkeypatch, capsys):
    """A result that cannot be written must not be recorded or spend budget first."""
    from ppds_desktop import cli
    from ppds_desktop.cli import main
    from ppds_desktop.core.dp.ledger import budget_status, set_budget

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    wd = scenario.workdir
    col, kh = wd / "Collector" / "vault.ppds", wd / "Key holder" / "vault.ppds"
    req = tmp_path / "req.ppdsb"
    assert main(["he", "compute", *map(str, scenario.bundles), "--query", "mean Age",
                 "-o", str(req), "--vault", str(col)]) == 0
    capsys.readouterr()
    kv = scenario.key_holder.vault
    ds = kv.put_dataset("cli budget", pd.DataFrame({"x": [1]}))
    set_budget(kv, ds.name, epsilon=1.0)
    results_before = len(kv.list_releases())
    cases = [
        (["-o", str(tmp_path / "no" / "res.ppdsb"), "--epsilon", "0.5", "--budget-dataset",
          ds.name], "folder does not exist"),
        (["-o", str(tmp_path / "r.ppdsb"), "--epsilon", "0.5"], "answers get noise by default"),
        (["-o", str(tmp_path / "r.ppdsb")], "give --budget-dataset"),
        (["-o", str(tmp_path / "r.ppdsb"), "--epsilon", "-1", "--budget-dataset", ds.name],
         "--epsilon must be a positive number"),
        (["-o", str(tmp_path / "r.ppdsb"), "--min-records", "0"], "--min-records must be at least 1"),
    ]
    for extra, message in cases:
        assert main(["he", "answer", str(req), *extra, "--vault", str(kh)]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert budget_status(kv, ds.name).epsilon_spent == 0
    assert len(kv.list_releases()) == results_before
    assert not list(tmp_path.glob("r.ppdsb*"))
    # compute refuses a missing output folder before storing a request
    requests_before = len(scenario.collector.vault.list_releases())
    assert main(["he", "compute", *map(str, scenario.bundles), "--query", "mean Age",
                 "-o", str(tmp_path / "no" / "req.ppdsb"), "--vault", str(col)]) == 1
    assert "folder does not exist" in capsys.readouterr().err
    assert len(scenario.collector.vault.list_releases()) == requests_before


def test_cli_show_chart_to_a_missing_folder_is_an_error(scenario, tmp_path, monkeypatch, capsys):
    from ppds_desktop import cli
    from ppds_desktop.cli import main

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    wd = scenario.workdir
    col, kh = wd / "Collector" / "vault.ppds", wd / "Key holder" / "vault.ppds"
    req, res = tmp_path / "req.ppdsb", tmp_path / "res.ppdsb"
    assert main(["he", "compute", *map(str, scenario.bundles), "--query", "mean Age",
                 "-o", str(req), "--vault", str(col)]) == 0
    assert main(["he", "answer", str(req), "-o", str(res), "--exact", "--min-records", "1",
                 "--vault", str(kh)]) == 0
    capsys.readouterr()
    assert main(["he", "show", str(res), "--chart", str(tmp_path / "no" / "c.svg"),
                 "--vault", str(col)]) == 1
    err = capsys.readouterr().err
    assert "folder does not exist" in err and "Traceback" not in err


def test_cli_keys_empty_and_duplicate_name_in_plain_words(vault, vault_path, monkeypatch,
                                                           capsys):
    from ppds_desktop import cli
    from ppds_desktop.cli import main

    monkeypatch.setattr(cli, "COMMAND_MODULES", ["cmd_he"])
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    assert main(["he", "keys", "--vault", str(vault_path)]) == 0
    assert "No Paillier keys in this vault yet" in capsys.readouterr().out
    assert main(["he", "keygen", "--name", "k", "--vault", str(vault_path)]) == 0
    capsys.readouterr()
    assert main(["he", "keygen", "--name", "k", "--vault", str(vault_path)]) == 1
    err = capsys.readouterr().err
    assert "A Paillier key named 'k' already exists" in err and "paillier_private" not in err
