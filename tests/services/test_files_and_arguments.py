"""Replacing files held open by another program (Windows), bundle files committed all or none,
recipes with portable hierarchy paths, DP bounds, and new passphrases in the CLI."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ppds_desktop.cli import main
from ppds_desktop.core import files
from ppds_desktop.core.bundle import DirectorySink
from ppds_desktop.core.errors import InputError, PPDSError
from ppds_desktop.core.files import FileInUse, replace_file
from ppds_desktop.core.vault import Vault


@pytest.fixture
def windows_locks(monkeypatch):
    """``os.replace`` refuses (as Windows does while Excel or a virus scanner holds the target)
    the first ``fails[0]`` times; the retry waits are not slept."""
    fails = [0]
    calls = []
    real = os.replace

    def replace(src, dest):
        calls.append(Path(dest).name)
        if fails[0]:
            fails[0] -= 1
            raise PermissionError(13, "The process cannot access the file", str(dest))
        real(src, dest)

    monkeypatch.setattr(files, "_on_windows", lambda: True)
    monkeypatch.setattr(files.time, "sleep", lambda _s: None)
    monkeypatch.setattr(files.os, "replace", replace)
    return fails, calls


def test_a_brief_lock_is_waited_out(tmp_path, windows_locks):
    fails, calls = windows_locks
    fails[0] = 3
    (tmp_path / "a").write_text("new")
    (tmp_path / "b").write_text("old")
    replace_file(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "new" and len(calls) == 4


def test_a_file_held_open_says_close_it_and_leaves_the_old_file(tmp_path, windows_locks):
    from ppds_desktop.core.io import write_table
    from ppds_desktop.core.sample import generate_admissions

    fails, _calls = windows_locks
    fails[0] = 10 ** 6
    dest = tmp_path / "open in excel.xlsx"
    dest.write_bytes(b"old")
    with pytest.raises(FileInUse, match="close the file"):
        write_table(generate_admissions(20), dest)
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]


def test_posix_permission_errors_are_not_retried(tmp_path, monkeypatch):
    calls = []

    def refuse(src, dest):
        calls.append(dest)
        raise PermissionError(13, "Permission denied", str(dest))

    monkeypatch.setattr(files, "_on_windows", lambda: False)
    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(InputError, match="Permission denied"):
        files.write_private(tmp_path / "x.txt", "x")
    assert len(calls) == 1 and list(tmp_path.iterdir()) == []


def test_vault_header_and_sealed_bundle_use_the_same_retry(tmp_path, windows_locks, alice, bob):
    from ppds_desktop.core.bundle import FileSource, seal_bundle
    from ppds_desktop.core.vault.keys import atomic_file

    fails, calls = windows_locks
    fails[0] = 2
    with atomic_file(tmp_path / "v.vault.header") as fh:
        fh.write(b"{}")
    fails[0] = 2
    seal_bundle(tmp_path / "b.ppdsb", sender=alice, recipients=[bob.enc_public], kind="release",
                manifest={"title": "t"}, files=[FileSource("a.csv", data=b"1")])
    assert calls.count("v.vault.header") == 3 and calls.count("b.ppdsb") == 3
    fails[0] = 10 ** 6
    with pytest.raises(FileInUse):
        seal_bundle(tmp_path / "b.ppdsb", sender=alice, recipients=[bob.enc_public],
                    kind="release", manifest={"title": "t"}, files=[FileSource("a.csv", data=b"2")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.ppdsb", "v.vault.header"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_bundle_files_are_committed_all_or_none(tmp_path, windows_locks, overwrite):
    fails, calls = windows_locks
    out = tmp_path / "out"
    out.mkdir()
    if overwrite:
        for name in ("a.csv", "b.csv", "c.csv"):
            (out / name).write_text(f"old {name}")
    sink = DirectorySink(out, overwrite=overwrite)
    for name in ("a.csv", "b.csv", "c.csv"):
        sink.open_file(name, 3).write(b"new")
    real = os.replace

    def third_refused(src, dest):        # c.csv stays held open: every attempt fails
        calls.append(Path(dest).name)
        if Path(dest).name == "c.csv" or Path(src).name == "c.csv":
            raise PermissionError(13, "The process cannot access the file", str(dest))
        real(src, dest)

    files.os.replace = third_refused
    try:
        with pytest.raises(FileInUse):
            sink.commit()
    finally:
        files.os.replace = real
    sink.abort()
    expected = {f"{n}": f"old {n}" for n in ("a.csv", "b.csv", "c.csv")} if overwrite else {}
    assert {p.name: p.read_text() for p in out.iterdir()} == expected


def test_recipes_store_hierarchy_files_relative_and_read_old_forms(tmp_path):
    import pandas as pd

    from ppds_desktop.core import recipe as R
    from ppds_desktop.core.anonymize.hierarchy_specs import build_hierarchy

    (tmp_path / "hier").mkdir()
    hfile = tmp_path / "hier" / "age.csv"
    hfile.write_text("1;<5\n2;<5\n7;>=5\n")
    recipe = R.new_recipe(name="r")
    recipe["columns"] = {"Age": {"role": "quasi_identifier", "action": {
        "type": "generalize", "hierarchy": {"kind": "file", "file": str(hfile.resolve())}}}}
    saved = R.save(tmp_path / "recipe.json", recipe)
    stored = json.loads(saved.read_text())
    assert stored["columns"]["Age"]["action"]["hierarchy"]["file"] == "hier/age.csv"
    assert recipe["columns"]["Age"]["action"]["hierarchy"]["file"] == str(hfile.resolve())
    values = pd.Series(["1", "2", "7"])
    for form in ("hier/age.csv", "hier\\age.csv", str(hfile.resolve())):
        h = build_hierarchy({"kind": "file", "file": form}, values, column="Age",
                            base_dir=tmp_path)
        assert h.height == 2


# -- DP bounds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lo, hi", [(0, 1e308), (-1e308, 1e308), (0, 1e-320), (1e21, 1e21 + 1e6)])
def test_bounds_the_grid_cannot_hold_are_refused(lo, hi):
    import pandas as pd

    from ppds_desktop.core.dp.grid import Grid
    from ppds_desktop.core.dp.query import QueryOptions, evaluate, parse_query

    with pytest.raises(InputError, match="bounds of Age"):
        Grid.make("Age", lo, hi)
    opts = QueryOptions(epsilon=1.0, bounds={"Age": (lo, hi)})
    with pytest.raises(InputError, match="bounds of Age"):
        evaluate(pd.DataFrame({"Age": [30.0, 40.0]}), parse_query("mean Age")[0], opts)


# -- new passphrases in the CLI -----------------------------------------------------------------

@pytest.fixture
def cli(monkeypatch, capsys):
    def run(*argv, passphrase=None, new=None):
        for name, value in (("PPDS_PASSPHRASE", passphrase), ("PPDS_NEW_PASSPHRASE", new)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


GOOD = "tidal marble quartz 123"


@pytest.mark.parametrize("weak", [" " * 8, "password123", "correct horse"])
def test_weak_new_passphrases_are_refused_by_every_cli_command(cli, vault_path, weak):
    code, _, err = cli("vault", "init", "--vault", vault_path, passphrase=weak)
    assert code == 1 and "too weak" in err and len(err.strip().splitlines()) == 1
    assert not vault_path.exists() and not vault_path.parent.exists()
    code, out, _ = cli("vault", "init", "--vault", vault_path, passphrase=GOOD)
    assert code == 0
    key = re.search(r"RECOVERY KEY: (\S+)", out).group(1)
    code, _, err = cli("vault", "passwd", "--vault", vault_path, passphrase=GOOD, new=weak)
    assert code == 1 and "too weak" in err
    code, _, err = cli("vault", "recover", "--vault", vault_path, "--recovery-key", key,
                       new=weak)
    assert code == 1 and "too weak" in err
    Vault.open(vault_path, GOOD).lock()                 # unchanged


def test_the_gui_meter_and_the_cli_use_one_rule():
    from ppds_desktop.services import vault_ops

    for text in ("", " " * 8, "password123", "correct horse", GOOD,
                 "plum orbit candle seventy window"):
        strength = vault_ops.passphrase_strength(text)
        if strength.acceptable:
            assert vault_ops.check_new_passphrase(text) == text
        else:
            with pytest.raises(PPDSError, match="too weak"):
                vault_ops.check_new_passphrase(text)
