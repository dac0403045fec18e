"""``ppds import / datasets / profile / sample / export`` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from ppds_desktop.cli import main
from ppds_desktop.paths import sample_csv

from conftest import PASSPHRASE, REPO_ROOT

BAD = REPO_ROOT / "tests" / "data" / "bad"


@pytest.fixture
def cli(monkeypatch, capsys, vault, vault_path):
    monkeypatch.setenv("PPDS_PASSPHRASE", PASSPHRASE)
    vault.lock()

    def run(*argv, with_vault=True):
        args = [str(a) for a in argv] + (["--vault", str(vault_path)] if with_vault else [])
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_sample_import_list_profile_export(cli, tmp_path):
    csv_path = tmp_path / "s.csv"
    code, _, _ = cli("sample", "--rows", 300, "--seed", 5, "-o", csv_path, with_vault=False)
    assert code == 0 and csv_path.read_text(encoding="utf-8").count("\n") == 301

    code, out, _ = cli("import", csv_path, "--name", "adm", "--role", "Hospital=insensitive")
    assert code == 0 and "Imported 'adm': 300 rows, 20 columns." in out
    assert "Hospital" in out and "set by the user" in out

    code, out, _ = cli("datasets", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [(d["name"], d["rows"], d["columns"]) for d in listed] == [("adm", 300, 20)]

    code, out, _ = cli("profile", "adm", "--json")
    roles = {c["name"]: c["role"] for c in json.loads(out)["columns"]}
    assert code == 0 and roles["Hospital"] == "insensitive" and roles["Email"] == "identifier"
    assert "examples" not in out

    out_path = tmp_path / "back.parquet"
    code, _, err = cli("export", "adm", "-o", out_path)     # names, SSNs...: asks first
    assert code == 1 and "direct identifiers" in err and "--allow-identifiers" in err
    assert not out_path.exists()
    code, _, _ = cli("export", "adm", "-o", out_path, "--allow-identifiers")
    assert code == 0 and out_path.stat().st_size > 0


def test_profile_a_file_needs_no_vault(cli):
    code, out, _ = cli("profile", sample_csv(), with_vault=False)
    assert code == 0 and "1,000 rows, 20 columns" in out
    assert "SSN" in out and "national identity numbers" in out
    assert "@example" not in out                         # no values unless --examples
    code, out, _ = cli("profile", sample_csv(), "--examples", with_vault=False)
    assert "@example" in out


def test_parse_options_from_the_command_line(cli, tmp_path):
    path = tmp_path / "eu.txt"
    path.write_bytes("id|Gewicht\n1|72,5\n2|80\n".encode("cp1252"))
    code, out, _ = cli("import", path, "--delimiter", "|", "--encoding", "cp1252", "--decimal", ",")
    assert code == 0 and "2 rows, 2 columns" in out
    code, out, _ = cli("datasets")
    assert "eu" in out


def test_errors_are_one_line_with_exit_code_1(cli, tmp_path):
    code, out, err = cli("import", BAD / "ragged_more.csv")
    assert code == 1 and out == ""
    assert err.strip() == (f"ppds: error: {BAD / 'ragged_more.csv'}, line 4: 4 fields where the "
                           "header has 3 (check the delimiter and quoting; a field containing the "
                           "delimiter must be quoted)")
    code, _, err = cli("import", sample_csv(), "--role", "Age")
    assert code == 1 and "COLUMN=ROLE" in err
    code, _, err = cli("export", "missing", "-o", tmp_path / "x.csv")
    assert code == 1 and "no dataset 'missing'" in err
    code, _, err = cli("sample", "--rows", 0, "-o", tmp_path / "x.csv", with_vault=False)
    assert code == 1 and "at least 1" in err
