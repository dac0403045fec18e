"""``ppds anonymize`` / ``risk`` / ``hierarchy`` / ``pseudonym`` through ppds_desktop.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pycanon import anonymity

from ppds_desktop.cli import main
from ppds_desktop.core.sample import generate_admissions

from conftest import PASSPHRASE, ADULT_DATA


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    path = tmp_path / "admissions.csv"
    df = generate_admissions(400, seed=31)
    df.loc[0, "Medication"] = "=HYPERLINK(\"x\")"         # a formula must come out escaped
    df.to_csv(path, index=False)
    return path

IDS = "Name,Phone,Email,SSN"   # the sample's direct identifiers


def test_anonymize_file_with_flags_writes_output_report_and_recipe(tmp_path, sample_csv, capsys):
    out, rep, html, rec = (tmp_path / n for n in ("out.csv", "r.json", "r.html", "recipe.json"))
    code = main(["anonymize", str(sample_csv), "-o", str(out), "--report", str(rep),
                 "--html", str(html), "--drop", "Name,SSN,Phone,Email",
                 "--qi", "Age,Gender,ZIP", "--sensitive", "Medical Condition", "--k", "5",
                 "--l", "2", "--suppression", "5%", "--save-recipe", str(rec)])
    assert code == 0
    line = capsys.readouterr().out
    assert "k = 5" in line or "k = " in line
    data = pd.read_csv(out, dtype=str)
    assert anonymity.k_anonymity(data, ["Age", "Gender", "ZIP"]) >= 5
    assert {"Name", "SSN", "Phone", "Email"}.isdisjoint(data.columns)
    assert "'=HYPERLINK" in out.read_text()
    report = json.loads(rep.read_text())
    assert report["model"]["satisfied"] is True
    assert html.read_text().startswith("<!DOCTYPE html>") and "<svg" in html.read_text()
    recipe = json.loads(rec.read_text())
    assert recipe["privacy"] == {"k": 5, "suppression_limit": 0.05,
                                 "l": {"l": 2.0, "variant": "distinct",
                                       "column": "Medical Condition"}}
    # the saved recipe reproduces the same output
    out2 = tmp_path / "out2.csv"
    assert main(["anonymize", str(sample_csv), "--recipe", str(rec), "-o", str(out2)]) == 0
    assert out2.read_text() == out.read_text()


def test_hipaa_preset_on_file_reports_rules_apart_from_the_measured_risk(tmp_path, sample_csv,
                                                                         capsys):
    """Safe Harbor alone leaves most records unique: it is written only with --accept-risk,
    and the rules applied are not read as a measured guarantee."""
    out = tmp_path / "hipaa.csv"
    err = _fails(capsys, ["anonymize", str(sample_csv), "--preset", "hipaa", "-o", str(out)])
    assert "can still identify people" in err and "--accept-risk" in err
    assert not out.exists()
    assert main(["anonymize", str(sample_csv), "--preset", "hipaa", "-o", str(out),
                 "--accept-risk"]) == 0
    printed = capsys.readouterr()
    assert "Safe Harbor rules applied: every identifier type handled" in printed.out
    assert "CAN STILL IDENTIFY PEOPLE" in printed.out and "unique on" in printed.err
    data = pd.read_csv(out, dtype=str)
    assert data["ZIP"].str.len().eq(3).all()


def test_invalid_recipe_names_the_field(tmp_path, sample_csv, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ppds_recipe": 1, "privacy": {"k": 0}}))
    assert main(["anonymize", str(sample_csv), "--recipe", str(bad), "-o",
                 str(tmp_path / "x.csv")]) == 1
    err = capsys.readouterr().err
    assert "privacy.k: must be at least 1" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_keys_need_a_vault(tmp_path, sample_csv, capsys):
    rec = tmp_path / "r.json"
    rec.write_text(json.dumps({"ppds_recipe": 1, "columns": {
        "Name": {"role": "identifier", "action": {"type": "pseudonym", "key": "k"}}}}))
    missing = tmp_path / "none.vault"
    assert main(["anonymize", str(sample_csv), "--recipe", str(rec), "--vault", str(missing),
                 "-o", str(tmp_path / "o.csv")]) == 1
    err = capsys.readouterr().err
    assert "keys kept in a vault" in err or "need the vault" in err
    assert "ppds vault init" in err and not (tmp_path / "o.csv").exists()


def test_risk_json_and_text(sample_csv, capsys):
    assert main(["risk", str(sample_csv), "--qi", "Age,Gender", "--sensitive",
                 "Medical Condition", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["risk"]["n_records"] == 400 and res["l_distinct"] >= 1
    assert main(["risk", str(sample_csv), "--qi", "Age,ZIP", "--population", "100000"]) == 0
    assert "population estimate" in capsys.readouterr().out


def test_hierarchy_build_import_export_roundtrip(tmp_path, sample_csv, capsys):
    h = tmp_path / "age.csv"
    assert main(["hierarchy", "build", str(sample_csv), "--column", "Age", "--kind", "intervals",
                 "--widths", "5,10,20", "-o", str(h)]) == 0
    first = h.read_text().splitlines()[0].split(";")
    assert len(first) == 5 and first[-1] == "*"
    rec = tmp_path / "r.json"
    assert main(["hierarchy", "import", str(h), "--input", str(sample_csv), "--column", "Age",
                 "--recipe", str(rec)]) == 0
    back = tmp_path / "age2.csv"
    assert main(["hierarchy", "export", "--recipe", str(rec), "--input", str(sample_csv),
                 "--column", "Age", "-o", str(back)]) == 0
    assert back.read_text() == h.read_text()


@pytest.mark.slow
def test_adult_with_arx_hierarchies(tmp_path, capsys):
    """ARX's setup, k=5 with 0% suppression: the same optimum as ARX 3.9.2's Flash (levels 0 4 1 2 3 2 0 0)."""
    qis = ["age", "education", "marital-status", "native-country", "race", "salary-class",
           "sex", "workclass"]
    args = ["anonymize", str(ADULT_DATA / "adult.csv"), "--k", "5", "--suppression", "0",
            "--report", str(tmp_path / "r.json"), "--qi", ",".join(qis)]
    for q in qis:
        args += ["--hierarchy", f"{q}={ADULT_DATA / f'adult_hierarchy_{q}.csv'}"]
    assert main(args) == 0
    rep = json.loads((tmp_path / "r.json").read_text())
    levels = rep["generalization"]["levels"]
    arx = dict(zip(["sex", "age", "race", "marital-status", "education", "native-country",
                    "workclass", "salary-class"], [0, 4, 1, 2, 3, 2, 0, 0]))
    assert rep["generalization"]["metrics"]["loss"] <= 0.542 + 1e-3
    assert levels == arx or rep["generalization"]["metrics"]["loss"] < 0.542
    # with occupation sensitive: 5-anonymity and distinct 2-diversity, 5% suppression
    out = tmp_path / "adult.csv"
    assert main(args + ["--sensitive", "occupation", "--l", "2", "--suppression", "5%",
                        "-o", str(out)]) == 0
    data = pd.read_csv(out, dtype=str)
    assert len(data) >= 0.95 * 30162
    assert anonymity.k_anonymity(data, qis) >= 5
    assert anonymity.l_diversity(data, qis, ["occupation"]) >= 2
    # k=5 + 0.2-closeness with ARX's occupation hierarchy (hierarchical distance), 5%
    rep2 = tmp_path / "r2.json"
    assert main(args + ["--sensitive", "occupation", "--t", "0.2", "--t-distance",
                        "hierarchical", "--suppression", "5%", "--report", str(rep2),
                        "--hierarchy",
                        f"occupation={ADULT_DATA / 'adult_hierarchy_occupation.csv'}"]) == 0
    t_rep = json.loads(rep2.read_text())
    assert t_rep["model"]["satisfied"] and t_rep["model"]["achieved"]["t[occupation]"] <= 0.2
    assert t_rep["generalization"]["metrics"]["loss"] <= 0.613 + 1e-3     # ARX's optimum


def test_vault_dataset_save_release_and_pseudonym_lookup(tmp_path, vault_path, monkeypatch,
                                                         capsys):
    from ppds_desktop.core.vault import Vault

    v, _ = Vault.create(vault_path, PASSPHRASE)
    df = generate_admissions(200, seed=32)
    v.put_dataset("adm", df)
    v.lock()
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    rec = tmp_path / "r.json"
    rec.write_text(json.dumps({"ppds_recipe": 1, "columns": {
        "Name": {"role": "identifier", "action": {"type": "pseudonym", "key": "site-x"}},
        "SSN": {"role": "identifier", "action": {"type": "drop"}}}}))
    assert main(["anonymize", "adm", "--vault", str(vault_path), "--recipe", str(rec),
                 "--save-release", "rel-1", "-o", str(tmp_path / "o.parquet"),
                 "--accept-risk"]) == 0
    out = pd.read_parquet(tmp_path / "o.parquet")
    capsys.readouterr()
    assert main(["pseudonym", "lookup", out["Name"][0], "--dataset", "adm", "--column", "Name",
                 "--key", "site-x", "--vault", str(vault_path)]) == 0
    assert capsys.readouterr().out.strip() == df["Name"][0]
    v = Vault.open(vault_path, PASSPHRASE)
    try:
        assert v.release_info("rel-1").report["rows"]["input"] == 200
    finally:
        v.lock()


def test_html_report_alone_is_a_destination(tmp_path, sample_csv, capsys):
    html = tmp_path / "only.html"
    assert main(["anonymize", str(sample_csv), "--preset", "hipaa", "--html", str(html),
                 "--accept-risk"]) == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    capsys.readouterr()
    err = _fails(capsys, ["anonymize", str(sample_csv), "--preset", "hipaa"])
    assert "nothing to write" in err and "--html" in err


def _fails(capsys, argv) -> str:
    """The command exits 1 with one ``ppds: error:`` line on stderr; returns that line."""
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: error:") and "\n" not in err and "Traceback" not in err
    return err


def test_impossible_model_says_which_setting_can_never_hold(tmp_path, sample_csv, capsys):
    out = tmp_path / "out.csv"
    err = _fails(capsys, ["anonymize", str(sample_csv), "--drop", IDS, "--qi", "Age,Gender",
                          "--k", "5000", "-o", str(out)])
    assert "lower k to at most 400" in err and "400 rows" in err
    distinct = pd.read_csv(sample_csv)["Medical Condition"].nunique()
    err = _fails(capsys, ["anonymize", str(sample_csv), "--drop", IDS, "--qi", "Age,Gender",
                          "--sensitive", "Medical Condition", "--l", "50", "-o", str(out)])
    assert f"lower l to at most {distinct}" in err and "'Medical Condition'" in err
    err = _fails(capsys, ["anonymize", str(sample_csv), "--drop", IDS,
                          "--qi", "Age,Gender,ZIP,Date of Birth",
                          "--sensitive", "Medical Condition", "--k", "300", "--l", "3",
                          "--hierarchy", f"Age={_flat_age_hierarchy(tmp_path, sample_csv)}",
                          "-o", str(out)])
    assert "allow some suppression" in err        # limit 0: the first thing to relax
    assert not out.exists()


def _flat_age_hierarchy(tmp_path, sample_csv) -> Path:
    """A one-level hierarchy: Age can never be generalized."""
    path = tmp_path / "age_flat.csv"
    ages = sorted(pd.read_csv(sample_csv)["Age"].unique())
    path.write_text("".join(f"{a}\n" for a in ages))
    return path


def test_risk_without_quasi_identifiers_is_an_error(sample_csv, capsys):
    err = _fails(capsys, ["risk", str(sample_csv), "--qi", " , "])
    assert "--qi" in err


def test_hierarchy_groups_file_of_the_wrong_shape(tmp_path, sample_csv, capsys):
    out = tmp_path / "h.csv"
    groups = tmp_path / "groups.json"
    groups.write_text('{"Male": "any"}')
    err = _fails(capsys, ["hierarchy", "build", str(sample_csv), "--column", "Gender",
                          "--kind", "categories", "--groups", str(groups), "-o", str(out)])
    assert "groups.json" in err and "one object per level" in err and "dictionary" not in err
    groups.write_text("[{")
    assert "line 1" in _fails(capsys, ["hierarchy", "build", str(sample_csv), "--column",
                                       "Gender", "--kind", "categories", "--groups",
                                       str(groups), "-o", str(out)])
    missing = _fails(capsys, ["hierarchy", "build", str(sample_csv), "--column", "Gender",
                              "--kind", "categories", "--groups", str(tmp_path / "no.json"),
                              "-o", str(out)])
    assert "cannot read the groups file (No such file or directory)" in missing
    assert not out.exists()


def test_qi_without_a_model_says_nothing_was_generalized(tmp_path, sample_csv, capsys):
    assert main(["anonymize", str(sample_csv), "--drop", IDS, "--qi", "Age", "-o",
                 str(tmp_path / "o.csv"), "--accept-risk"]) == 0
    assert "no privacy model requested (add --k, --l or --t)" in capsys.readouterr().out


def test_no_partial_release_when_a_destination_fails(tmp_path, sample_csv, capsys):
    out = tmp_path / "out.csv"
    err = _fails(capsys, ["anonymize", str(sample_csv), "--qi", "Age", "--k", "2", "-o",
                          str(out), "--report", str(tmp_path / "missing" / "r.json")])
    assert "destination folder does not exist" in err and not out.exists()
    folder = tmp_path / "a folder"             # the report path is a folder: found only
    folder.mkdir()                             # when writing, after the output was written
    _fails(capsys, ["anonymize", str(sample_csv), "--qi", "Age", "--k", "2", "-o", str(out),
                    "--report", str(folder)])
    assert not out.exists()


def test_identifier_columns_left_out_of_the_recipe_are_refused(tmp_path, sample_csv, capsys):
    """A column the profiler or the vault marks as an identifier is never released by default."""
    out = tmp_path / "out.csv"
    err = _fails(capsys, ["anonymize", str(sample_csv), "--qi", "Age", "--k", "2",
                          "-o", str(out)])
    assert 'columns["Name"]' in err and "Name, Phone, Email, SSN" in err
    assert '--drop "Name,Phone,Email,SSN"' in err
    assert not out.exists()
