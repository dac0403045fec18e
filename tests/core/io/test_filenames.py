"""File names the app proposes are valid on Windows, macOS and Linux."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ppds_desktop.core.io.filenames import MAX_BYTES, MAX_CHARS, safe_file_name
from ppds_desktop.ui.main_window import MainWindow
from ppds_desktop.ui.session import AppSession

WINDOWS_RESERVED = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
           *(f"LPT{i}" for i in range(1, 10))}


def windows_accepts(name: str) -> bool:
    """Windows' rules for one path component (Naming Files, Paths, and Namespaces)."""
    if not name or any(ch in WINDOWS_RESERVED for ch in name):
        return False
    if name.endswith((".", " ")) or name in (".", ".."):
        return False
    return name.split(".")[0].rstrip(" ").upper() not in DEVICES


@pytest.mark.parametrize("name, expected", [
    ("release 2026-12-06 10:42", "release 2026-12-06 10-42.csv"),
    ("north/south\\east", "north-south-east.csv"),
    ('what? "this" <is> a|b*', 'what_ _this_ _is_ a_b_.csv'),
    ("tabs\tand\nnewlines", "tabs_and_newlines.csv"),
    ("trailing dots...", "trailing dots.csv"),
    ("  spaced  ", "spaced.csv"),
    (".hidden", "hidden.csv"),
    ("CON", "_CON.csv"),
    ("nul.backup", "_nul.backup.csv"),
    ("com1 ", "_com1.csv"),
    ("LPT9", "_LPT9.csv"),
    ("console", "console.csv"),           # only the exact device names are reserved
    ("...", "export.csv"),
    ("", "export.csv"),
    ("Zoë Ünal", "Zoë Ünal.csv"),
])
def test_safe_file_name(name, expected):
    assert safe_file_name(name, ".csv") == expected
    assert windows_accepts(expected)


def test_long_names_are_cut_to_the_path_and_byte_limits():
    assert len(safe_file_name("x" * 500, ".csv")) == MAX_CHARS
    emoji = safe_file_name("😀" * 200, ".parquet")
    assert emoji.endswith(".parquet") and len(emoji.encode("utf-8")) <= MAX_BYTES
    assert safe_file_name("a" * 98 + " .b", ".csv") == "a" * 96 + ".csv"  # no trailing dot after the cut


@given(st.text(max_size=300))
def test_every_name_becomes_one_windows_accepts(name):
    proposed = safe_file_name(name, ".xlsx")
    assert windows_accepts(proposed)
    assert proposed.endswith(".xlsx") and not proposed.startswith((".", " "))
    assert len(proposed) <= MAX_CHARS and len(proposed.encode("utf-8")) <= MAX_BYTES


def _cancelled(proposed: list[str], default: str) -> tuple[str, str]:
    """A save dialog that records the name it was given and is cancelled."""
    proposed.append(default)
    return "", ""


def test_export_proposes_a_valid_file_name(qtbot, vault, monkeypatch):
    vault.put_dataset("study A/B 10:42", pd.DataFrame({"x": [1, 2, 3]}), kind="release")
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    window.show()
    proposed = []
    monkeypatch.setattr("ppds_desktop.ui.datasets_page.QFileDialog.getSaveFileName",
                        lambda parent, title, default, filters: _cancelled(proposed, default))
    window.page("datasets").export_current()
    assert proposed == ["study A-B 10-42.csv"]
    window.session.lock()


def test_backup_proposes_a_valid_file_name(qtbot, vault, monkeypatch):
    window = MainWindow(AppSession(vault))
    qtbot.addWidget(window)
    proposed = []
    monkeypatch.setattr("ppds_desktop.ui.settings_page.QFileDialog.getSaveFileName",
                        lambda parent, title, default, filters: _cancelled(proposed, default))
    window.page("settings").back_up()
    assert proposed == [f"{vault.path.stem}-backup.vault"] and windows_accepts(proposed[0])
    window.session.lock()
