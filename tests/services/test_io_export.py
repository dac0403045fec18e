"""Exports: formula-injection escaping, atomic writes, round trips through CSV, .xlsx and Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io import escape_formulas, read_table, write_table
from ppds_desktop.core.progress import TaskState
from ppds_desktop.services import datasets

RISKY = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "plain", "a=b", None]


def _risky_table() -> pa.Table:
    return pa.table({"text": RISKY, "n": pa.array([-5, 3, -1, 0, 1, 2, 3, 4, None], pa.int64()),
                     "x": pa.array([-0.5] * 9, pa.float64())})


def test_escaping_rule():
    out = escape_formulas(_risky_table())
    assert out.column("text").to_pylist() == [
        "'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "plain", "a=b", None]
    assert out.column("n").equals(_risky_table().column("n"))      # numbers stay numbers
    renamed = escape_formulas(pa.table({"=HYPERLINK(1)": [1], "ok": [2]}))
    assert renamed.column_names == ["'=HYPERLINK(1)", "ok"]
    assert out.column("x").equals(_risky_table().column("x"))


def test_csv_export_escapes_text_but_keeps_negative_numbers(tmp_path):
    dest = write_table(_risky_table(), tmp_path / "out.csv")
    with open(dest, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "n", "x"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx",
                                         "plain", "a=b", ""]
    assert [r[1] for r in rows[1:5]] == ["-5", "3", "-1", "0"]
    assert rows[1][2] == "-0.5"


def test_xlsx_export_writes_formula_like_text_as_text_cells_without_a_visible_quote(tmp_path):
    """Text a spreadsheet would take for a formula is a text cell with Excel's quote-prefix
    style (what Excel itself stores when a user types '=1+1): shown as typed, no apostrophe."""
    dest = write_table(_risky_table(), tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(dest).active
    cells = [ws.cell(row=r, column=1) for r in range(2, 10)]
    assert [c.value for c in cells] == ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx",
                                        "plain", "a=b"]
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * 6 + [False] * 2
    assert ws.cell(row=2, column=2).value == -5 and ws.cell(row=2, column=2).data_type == "n"
    sheet = zipfile.ZipFile(dest).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "'=1+1" not in sheet


def test_parquet_and_dates_round_trip(tmp_path):
    df = pd.DataFrame({"d": pd.to_datetime(["2024-01-05", "2024-02-29"]), "zip": ["02134", "90210"],
                       "v": [1.25, -3.0]})
    for ext in ("csv", "parquet", "xlsx"):
        back = read_table(write_table(df, tmp_path / f"r.{ext}")).table
        assert back.column("d").cast(pa.date32()).to_pylist() == [dt.date(2024, 1, 5),
                                                                  dt.date(2024, 2, 29)]
        assert back.column("zip").to_pylist() == ["02134", "90210"]
        assert back.column("v").to_pylist() == [1.25, -3.0]


def test_export_is_atomic_on_cancel(tmp_path):
    dest = tmp_path / "keep.csv"
    dest.write_text("old content\n")
    task = TaskState()
    task.cancel()
    big = pa.table({"a": list(range(200_000))})
    with pytest.raises(Exception):
        write_table(big, dest, task=task)
    assert dest.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]   # no temp file left


def test_unknown_format_and_missing_folder(tmp_path):
    with pytest.raises(InputError, match="unknown export format"):
        write_table(_risky_table(), tmp_path / "out.txt")
    with pytest.raises(InputError, match="folder does not exist"):
        write_table(_risky_table(), tmp_path / "nope" / "out.csv")


def test_export_dataset_from_vault_is_audited_without_values(vault, tmp_path):
    info = vault.put_dataset("risky", _risky_table())
    out = datasets.export_csv(vault, "risky", tmp_path / "risky.dat")
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == '"text","n","x"'
    assert "'=1+1" in text
    entry = vault.audit_entries()[-1]
    assert entry.action == "dataset.exported"
    assert entry.details["dataset"] == info.name and entry.details["rows"] == 9
    assert "=1+1" not in str(entry.details)


def test_values_spreadsheets_cannot_hold_are_written_plainly(tmp_path):
    import decimal

    t = pa.table({"tz": pa.array([dt.datetime(2024, 1, 1, 12)], pa.timestamp("s", tz="UTC")),
                  "dec": pa.array([decimal.Decimal("1.50")]), "lst": [[1, 2]],
                  "cat": pa.array(["=x"]).dictionary_encode()})
    text = write_table(t, tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[1] == "2024-01-01 12:00:00,1.5,\"[1, 2]\",\"'=x\""
    ws = openpyxl.load_workbook(write_table(t, tmp_path / "p.xlsx")).active
    assert [c.value for c in ws[2]] == [dt.datetime(2024, 1, 1, 12), 1.5, "[1, 2]", "=x"]


def test_nanosecond_times_export_to_xlsx(tmp_path):
    """pandas keeps times in nanoseconds: any time after April 1970 counts more than 2^53 of
    them, which the float conversion for the spreadsheet's serial number refused."""
    when = dt.datetime(2020, 3, 14, 15, 9, 26)
    t = pa.table({"at": pa.array([when, None], pa.timestamp("ns")),
                  "us": pa.array([dt.datetime(2300, 1, 1), None], pa.timestamp("us"))})
    ws = openpyxl.load_workbook(write_table(t, tmp_path / "t.xlsx")).active
    assert [c.value for c in ws[2]] == [when, dt.datetime(2300, 1, 1)]
    assert [c.value for c in ws[3]] == [None, None]
