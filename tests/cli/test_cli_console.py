"""``ppds`` on consoles that are not UTF-8 (a redirected Windows console encodes in cp1252), on a
pipe whose reader went away, and failed commands leaving no output file behind."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from ppds_desktop.cli import build_parser, main
from ppds_desktop.cli.console import ascii_text
from ppds_desktop.core.sample import generate_admissions

from conftest import PASSPHRASE

IDS = "Name,Phone,Email,SSN"


def _command_paths(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
    paths = [prefix]
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its sub-parsers here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                paths += _command_paths(sub, [*prefix, name])
    return paths


def _cp1252_env(tmp_path: Path) -> dict[str, str]:
    """A child environment whose stdout is cp1252 and whose home and temp folders are empty
    folders of this test, so that any file a command leaves behind is seen."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    return dict(os.environ, PYTHONIOENCODING="cp1252", HOME=str(home), USERPROFILE=str(home),
                APPDATA=str(home), LOCALAPPDATA=str(home), XDG_DATA_HOME=str(home),
                XDG_CONFIG_HOME=str(home), TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp),
                PPDS_PASSPHRASE=PASSPHRASE)


def _ppds(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ppds_desktop.cli", *args], env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)


def _files_under(*roots: Path) -> list[str]:
    return sorted(str(p) for root in roots for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_every_help_on_a_cp1252_pipe(tmp_path):
    """All 49 ``--help`` pages in one child (a child each would take ~40 s): each exits 0."""
    paths = _command_paths(build_parser(), [])
    assert len(paths) > 40
    child = textwrap.dedent("""
        import json, sys
        from ppds_desktop.cli import main
        codes = []
        for path in json.loads(sys.argv[1]):
            try:
                codes.append(main([*path, "--help"]))
            except SystemExit as exc:
                codes.append(exc.code)
        sys.stderr.write(json.dumps(codes))
    """)
    env = _cp1252_env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-c", child, json.dumps(paths)], env=env, cwd=work,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    codes = json.loads(proc.stderr.decode())
    failed = [" ".join(p) for p, code in zip(paths, codes) if code != 0]
    assert failed == []
    text = proc.stdout.decode("cp1252")
    assert "eps to spend" in text and "ε" not in text      # dp query --help, degraded
    assert _files_under(tmp_path / "home", tmp_path / "tmp", work) == []


@pytest.mark.slow
def test_demo_on_a_cp1252_pipe_exits_0_and_leaves_nothing(tmp_path):
    env = _cp1252_env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    proc = _ppds(["demo"], env, work)
    assert proc.returncode == 0, proc.stderr.decode("cp1252")[-2000:]
    out = proc.stdout.decode("cp1252")
    assert "eps" in out and "->" in out and proc.stderr == b""
    assert _files_under(tmp_path / "home", tmp_path / "tmp", work) == []


@pytest.mark.slow
def test_dp_query_on_a_cp1252_pipe(tmp_path, vault, vault_path):
    vault.put_dataset("patients", pd.DataFrame({"Medical Condition": ["Asthma", "Cancer"] * 50,
                                                "Age": list(range(100))}))
    vault.lock()
    env = _cp1252_env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    before = _files_under(vault_path.parent)
    common = ["--vault", str(vault_path)]
    assert _ppds(["dp", "budget", "set", "patients", "--epsilon", "1", *common], env,
                 work).returncode == 0
    proc = _ppds(["dp", "query", "patients", "count by Medical Condition", "--epsilon", "0.5",
                  "--domain", "Medical Condition=Asthma|Cancer", *common], env, work)
    assert proc.returncode == 0, proc.stderr.decode("cp1252")
    out = proc.stdout.decode("cp1252")
    assert "Asthma" in out and "eps=0.5" in out.replace(" ", "")
    proc = _ppds(["dp", "query", "patients", "mean Age", "--epsilon", "0.2", "--bounds",
                  "Age=0:100", "--json", *common], env, work)
    assert proc.returncode == 0, proc.stderr.decode("cp1252")
    assert json.loads(proc.stdout.decode("cp1252"))["budget"]["epsilon_remaining"] > 0
    proc = _ppds(["dp", "budget", "show", "patients", *common], env, work)
    assert proc.returncode == 0 and b"eps" in proc.stdout
    assert _files_under(tmp_path / "home", tmp_path / "tmp", work) == []
    assert _files_under(vault_path.parent) == before


def test_ascii_replacements_read_as_the_symbols_they_replace():
    assert ascii_text("ε = 0.5, ρ ≤ 1, δ → 0 ± 2 — “ok” …") == \
        'eps = 0.5, rho <= 1, delta -> 0 +/- 2 - "ok" ...'
    assert ascii_text("Zoë Ünal") == "Zoe Unal"
    assert ascii_text("患者") == "??"


@pytest.mark.slow
def test_a_closed_pipe_stops_the_command_quietly(tmp_path):
    """``ppds … | head -1``: the reader is gone before ppds writes (the deterministic form of
    the race); no "Broken pipe" error, no "Exception ignored" message."""
    csv = tmp_path / "a.csv"
    generate_admissions(300, seed=1).to_csv(csv, index=False)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as `ppds` runs
    for args in (["--help"], ["profile", str(csv), "--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "ppds_desktop.cli", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=120)
        assert err == b"", err.decode()
        assert proc.returncode == 141


def test_a_failed_command_leaves_no_output_file(tmp_path, capsys):
    """The recipe is written before the run; the run then fails: the recipe goes too. A file
    that was there before the command is left alone."""
    src = tmp_path / "adm.csv"
    generate_admissions(200, seed=3).to_csv(src, index=False)
    recipe, out, kept = tmp_path / "recipe.json", tmp_path / "out.csv", tmp_path / "kept.json"
    kept.write_text("{}")
    for save in (recipe, kept):
        code = main(["anonymize", str(src), "--drop", IDS, "--qi", "Age,Gender", "--k", "5000",
                     "-o", str(out), "--save-recipe", str(save)])
        assert code == 1 and "lower k" in capsys.readouterr().err
    assert not recipe.exists() and not out.exists()
    assert kept.exists()            # not made by the command: not the command's to remove
