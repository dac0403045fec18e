"""``ppds dp budget set/show``, ``ppds dp query`` (text and JSON forms) and ``ppds perturb``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import PASSPHRASE
from ppds_desktop.cli import main
from ppds_desktop.cli.cmd_dp import parse_bounds
from ppds_desktop.core.errors import InputError


@pytest.fixture
def cli_vault(vault, vault_path, monkeypatch):
    rng = np.random.default_rng(6)
    df = pd.DataFrame({"Medical Condition": rng.choice(["Asthma", "Cancer"], 500),
                       "Billing Amount": rng.uniform(0, 1000, 500),
                       "Age": rng.integers(0, 100, 500)})
    vault.put_dataset("patients", df)
    vault.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    return str(vault_path)


def ppds(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_budget_query_ledger_and_overspend(cli_vault, capsys):
    code, out, _ = ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    assert code == 0 and "ε 0 spent of 1" in out
    code, out, _ = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.4", "--vault", cli_vault,
                        "count by Medical Condition", "--domain", "Medical Condition=Asthma|Cancer")
    assert code == 0 and "Asthma" in out and "95% interval" in out and "Remaining: ε=0.6" in out
    code, out, _ = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.4", "--vault", cli_vault,
                        "mean Billing Amount", "--bounds", "Billing Amount=0:1000", "--json")
    doc = json.loads(out)
    assert code == 0 and 0 <= doc["result"]["rows"][0]["value"] <= 1000
    assert doc["budget"]["epsilon_remaining"] == pytest.approx(0.2)
    code, out, err = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.3", "--vault", cli_vault,
                          "count")
    assert code == 1 and "asked ε=0.3" in err and "remains" in err and out == ""
    code, out, _ = ppds(capsys, "dp", "budget", "show", "patients", "--vault", cli_vault, "--json")
    doc = json.loads(out)
    assert [e["epsilon"] for e in doc["entries"]] == [0.4, 0.4]


def test_json_query_form(cli_vault, capsys):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    query = json.dumps({"statistic": "median", "column": "Age", "bounds": {"Age": [0, 100]},
                        "epsilon": 0.5})
    code, out, err = ppds(capsys, "dp", "query", "patients", query, "--vault", cli_vault, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["result"]["statistic"] == "quantile" and doc["result"]["epsilon"] == 0.5


def test_missing_bounds_are_a_one_line_error(cli_vault, capsys):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    code, _, err = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.1", "--vault", cli_vault,
                        "sum Age")
    assert code == 1 and "needs declared bounds" in err and len(err.strip().splitlines()) == 1


def test_parse_bounds():
    assert parse_bounds(["Billing Amount=0:50000", "t=-5.5:3"]) == {
        "Billing Amount": (0.0, 50000.0), "t": (-5.5, 3.0)}
    with pytest.raises(InputError):
        parse_bounds(["Age=young:old"])


def test_perturb_file_to_file(tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"x": np.arange(60, dtype=float), "y": np.arange(60, dtype=float) % 7,
                  "c": ["a", "b", "=cmd()"] * 20}).to_csv(src, index=False)
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"ppds_recipe": 1, "perturbation": {"steps": [
        {"method": "microaggregation", "columns": ["x", "y"], "k": 4},
        {"method": "swap", "columns": ["c"], "rate": 0.5}]}}))
    out = tmp_path / "out.csv"
    code, stdout, err = ppds(capsys, "perturb", str(src), "--recipe", str(recipe), "-o", str(out))
    assert code == 1 and "--accept-risk" in err and not out.exists()    # no privacy model
    code, stdout, err = ppds(capsys, "perturb", str(src), "--recipe", str(recipe), "-o", str(out),
                             "--accept-risk")
    assert code == 0, err
    result = pd.read_csv(out)
    assert len(result) == 60 and result["x"].mean() == pytest.approx(29.5)
    assert not result["c"].astype(str).str.startswith("=").any()      # formula escaped on export
    ldp = tmp_path / "ldp.json"
    ldp.write_text(json.dumps({"ppds_recipe": 1, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"x": [0, 100]}, "epsilon": 1}]}}))
    code, _, err = ppds(capsys, "perturb", str(src), "--recipe", str(ldp), "-o", str(out))
    assert code == 1 and "budget" in err


def test_perturb_vault_dataset_spends_budget(cli_vault, tmp_path, capsys):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"ppds_recipe": 1, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"Age": [0, 100]}, "epsilon": 0.7}]}}))
    out = tmp_path / "out.parquet"
    code, stdout, err = ppds(capsys, "perturb", "patients", "--recipe", str(recipe), "-o", str(out),
                             "--vault", cli_vault, "--name", "noisy ages", "--accept-risk")
    assert code == 0, err
    assert "spent ε=0.7" in stdout and len(pd.read_parquet(out)) == 500
    code, out_text, _ = ppds(capsys, "dp", "budget", "show", "patients", "--vault", cli_vault)
    assert "remaining 0.3" in out_text and "local_dp" in out_text


def test_json_query_with_rho_uses_gaussian_noise(cli_vault, capsys):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--rho", "0.5",
         "--vault", cli_vault)
    code, out, err = ppds(capsys, "dp", "query", "patients", '{"statistic": "count", "rho": 0.1}',
                          "--vault", cli_vault, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["result"]["noise"] == "gaussian" and doc["budget"]["rho_spent"] == 0.1


# -- review regressions: bad input gets one clear line, no traceback, nothing spent ----------------

def _spent(cli_vault, capsys) -> float:
    code, out, _ = ppds(capsys, "dp", "budget", "show", "patients", "--vault", cli_vault, "--json")
    return json.loads(out)["epsilon_spent"]


@pytest.mark.parametrize("extra, message", [
    (["mean Age", "--bounds", "Age=0:100", "--granularity", "Age=x"],
     "--granularity for 'Age' must be a number"),
    (["histogram Age", "--bounds", "Age=0:100", "--bins", "-3"], "bins must be between 1 and 1000"),
    (["histogram Age", "--bounds", "Age=0:100", "--bins", "0"], "bins must be between 1 and 1000"),
    (["mean Medical Condition", "--bounds", "Medical Condition=0:1"],
     "Medical Condition is not a numeric column"),
])
def test_bad_options_are_one_line_errors_and_spend_nothing(cli_vault, capsys, extra, message):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    code, out, err = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.1",
                          "--vault", cli_vault, *extra)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _spent(cli_vault, capsys) == 0


def test_grouping_by_a_direct_identifier_is_refused(vault, vault_path, monkeypatch, capsys):
    """Categories read off the data become the published labels: for names that would publish
    the names themselves, whatever the noise on the counts."""
    df = pd.DataFrame({"Name": [f"Person {i}" for i in range(50)], "Age": list(range(50))})
    vault.put_dataset("named", df, roles={"Name": "identifier", "Age": "quasi_identifier"})
    vault.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    ppds(capsys, "dp", "budget", "set", "named", "--epsilon", "1", "--vault", str(vault_path))
    for query in ("count by Name", "histogram Name", "mean Age by name"):
        code, out, err = ppds(capsys, "dp", "query", "named", query, "--epsilon", "0.1",
                              "--bounds", "Age=0:100", "--vault", str(vault_path))
        assert code == 1 and "Person" not in out + err
        assert "Name is a direct identifier" in err
    # Declared categories do not come from the data, so they are allowed.
    code, out, err = ppds(capsys, "dp", "query", "named", "count by Name", "--epsilon", "0.1",
                          "--domain", "Name=Alice|Bob", "--vault", str(vault_path))
    assert code == 0, err


def test_missing_vault_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    code, out, err = ppds(capsys, "dp", "budget", "show", "x", "--vault",
                          str(tmp_path / "nowhere.vault"))
    assert code == 1 and "There is no vault at" in err and "ppds vault init" in err


@pytest.mark.parametrize("output, message", [("no/such/folder/out.csv", "folder does not exist"),
                                             ("out.txt", "unknown export format")])
def test_perturb_checks_the_output_before_spending(cli_vault, tmp_path, capsys, output, message):
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--vault", cli_vault)
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"ppds_recipe": 1, "perturbation": {"steps": [
        {"method": "local_dp", "bounds": {"Age": [0, 100]}, "epsilon": 0.7}]}}))
    code, out, err = ppds(capsys, "perturb", "patients", "--recipe", str(recipe),
                          "-o", str(tmp_path / output), "--vault", cli_vault)
    assert code == 1 and message in err and "Traceback" not in err
    assert _spent(cli_vault, capsys) == 0
    assert not list(tmp_path.glob("out*"))


def test_epsilon_and_rho_together_are_refused(cli_vault, capsys):
    """One of them would have been ignored without a word."""
    ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--rho", "1",
         "--vault", cli_vault)
    code, out, err = ppds(capsys, "dp", "query", "patients", "count", "--epsilon", "0.1",
                          "--rho", "0.1", "--vault", cli_vault)
    assert code == 1 and "not both" in err and _spent(cli_vault, capsys) == 0


def test_budget_text_says_pure_dp_and_how_to_declare_categories(cli_vault, capsys):
    """Laplace-only spending is pure ε-DP (no δ, no unused ρ line), and the warning about
    categories taken from the data names the flag that declares them."""
    code, out, _ = ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1",
                        "--vault", cli_vault)
    assert code == 0 and "ρ" not in out and "0-DP (pure, δ = 0)" in out
    code, out, _ = ppds(capsys, "dp", "query", "patients", "--epsilon", "0.25", "count by Medical Condition",
                        "--vault", cli_vault)
    assert code == 0 and '--domain "Medical Condition=A|B|C"' in out
    assert out.rstrip().endswith("Remaining: ε=0.75")
    code, out, _ = ppds(capsys, "dp", "budget", "show", "patients", "--vault", cli_vault)
    assert "0.25-DP (pure, δ = 0)" in out and "1e-6" not in out and "ρ" not in out
    code, out, _ = ppds(capsys, "dp", "budget", "set", "patients", "--epsilon", "1", "--rho",
                        "0.5", "--vault", cli_vault)
    assert "ρ 0 spent of 0.5" in out
