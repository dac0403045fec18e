"""The CLI never shows a traceback: file-system and unexpected errors become one stderr line."""

from __future__ import annotations

import argparse

import pytest

from ppds_desktop import cli


def _parser_with(func):
    def build():
        parser = argparse.ArgumentParser(prog="ppds")
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("boom").set_defaults(func=func)
        return parser
    return build


def test_os_error_names_the_file(monkeypatch, capsys):
    def fail(_args):
        open("/nonexistent-folder/x.csv", encoding="utf-8")

    monkeypatch.setattr(cli, "build_parser", _parser_with(fail))
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: error: No such file or directory: /nonexistent-folder/x.csv")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_unexpected_error_is_one_line_unless_debugging(monkeypatch, capsys):
    def fail(_args):
        raise ValueError("bad thing")

    monkeypatch.setattr(cli, "build_parser", _parser_with(fail))
    monkeypatch.delenv("PPDS_DEBUG", raising=False)
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ppds: internal error: ValueError: bad thing") and "\n" not in err
    monkeypatch.setenv("PPDS_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main(["boom"])


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2


def test_key_value_options_split_where_the_value_allows():
    from ppds_desktop.cli.common import parse_pairs
    from ppds_desktop.core.errors import InputError

    assert parse_pairs(["a=b=1 "], "bounds") == [("a=b", "1")]          # column may hold '='
    assert parse_pairs(["Age=/x/a=b.csv"], "hierarchy", split_at_first=True) == [
        ("Age", "/x/a=b.csv")]                                           # a path may hold '='
    with pytest.raises(InputError, match="--role expects COLUMN=ROLE, got 'Age='"):
        parse_pairs(["Age="], "role", key="COLUMN", value="ROLE")
