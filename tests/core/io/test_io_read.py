"""Readers: delimiter, encoding and decimal detection, overrides, types, xlsx and Parquet, preview."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io import ParseOptions, preview, read_table


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(tmp_path, delimiter):
    d = delimiter
    path = _write(tmp_path / "f.txt", f"id{d}name{d}city\n1{d}Ann{d}\"Paris{d} France\"\n2{d}Bo{d}Oslo\n")
    result = read_table(path)
    assert result.options.delimiter == d
    assert result.table.column_names == ["id", "name", "city"]
    assert result.table.column("city").to_pylist() == [f"Paris{d} France", "Oslo"]


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("cp1252", "cp1252")])
def test_encoding_is_detected(tmp_path, encoding, detected):
    path = _write(tmp_path / "f.csv", "Naam,Stad\nZoë,Köln\nFrançois,Zürich – Süd\n", encoding)
    result = read_table(path)
    assert result.options.encoding == detected
    assert result.table.column_names == ["Naam", "Stad"]         # no BOM in the first name
    assert result.table.column("Stad").to_pylist() == ["Köln", "Zürich – Süd"]


def test_latin1_fallback_for_bytes_cp1252_does_not_define(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,\x81x\n")
    assert read_table(path).options.encoding == "latin-1"


def test_semicolon_file_with_decimal_comma_and_title_line(tmp_path):
    path = _write(tmp_path / "eu.csv", "Export of 2024-03-01\nid;weight;when\n1;72,5;01.03.2024\n"
                                       "2;80,25;15.04.2023\n", "cp1252")
    result = read_table(path, ParseOptions(header_row=1))
    assert (result.options.delimiter, result.options.decimal) == (";", ",")
    t = result.table
    assert t.column("weight").to_pylist() == [72.5, 80.25]
    assert t.column("when").to_pylist() == [dt.date(2024, 3, 1), dt.date(2023, 4, 15)]
    assert result.date_formats == {"when": "%d.%m.%Y"}


def test_options_override_detection(tmp_path):
    path = _write(tmp_path / "f.csv", "a;b,c\n1;2,3\n4;5,6\n")
    assert read_table(path).table.column_names == ["a;b", "c"]
    forced = read_table(path, ParseOptions(delimiter=";", decimal=","))
    assert forced.table.column_names == ["a", "b,c"]
    assert forced.table.column("b,c").to_pylist() == [2.3, 5.6]


def test_types_missing_values_and_leading_zeros(tmp_path):
    path = _write(tmp_path / "t.csv",
                  "id,zip,score,when,stamp,flag,code,mixed\n"
                  "1,02134,1.5,2024-01-05,2024-01-05 10:11:12,true,007,12\n"
                  "2,90210,NA,,2024-01-06T00:00:00,False,008,x\n"
                  "3,,-2e3,2024-02-29,,TRUE,010,\n")
    t = read_table(path).table
    assert t.schema.field("id").type == pa.int64()
    assert t.column("zip").to_pylist() == ["02134", "90210", None]         # stays text
    assert t.column("code").to_pylist() == ["007", "008", "010"]
    assert t.column("score").to_pylist() == [1.5, None, -2000.0]
    assert t.column("when").to_pylist() == [dt.date(2024, 1, 5), None, dt.date(2024, 2, 29)]
    assert pa.types.is_timestamp(t.schema.field("stamp").type)
    assert t.column("flag").to_pylist() == [True, False, True]
    assert t.column("mixed").to_pylist() == ["12", "x", None]


def test_quoted_line_breaks_and_blank_lines(tmp_path):
    rows = "".join(f'{i},"line one\nline two {i}",{i * 2}\n' if i % 3 == 0 else f"{i},plain,{i * 2}\n"
                   for i in range(3000))
    path = _write(tmp_path / "ml.csv", "id,note,n\n\n" + rows)
    t = read_table(path).table
    assert t.num_rows == 3000
    assert t.column("note")[3].as_py() == "line one\nline two 3"
    assert t.column("n")[2999].as_py() == 5998


def test_reading_and_profiling_never_touch_pandas(tmp_path):
    """The whole file only ever exists as Arrow columns: pandas is not even imported."""
    path = _write(tmp_path / "big.csv", "a,b,c\n" + "".join(f"{i},x{i},2024-01-0{i % 9 + 1}\n"
                                                         for i in range(50_000)))
    code = ("import sys\n"
            "from ppds_desktop.core.io import read_table\n"
            "from ppds_desktop.core.schema import profile_table\n"
            f"r = read_table({str(path)!r})\n"
            "p = profile_table(r.table)\n"
            "assert r.table.num_rows == 50000 and p.column('c').kind == 'date'\n"
            "print('pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_xlsx_sheet_header_row_and_types(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    ws = wb.create_sheet("data")
    ws.append(["Report title"])
    ws.append(["id", "name", "admitted", "amount", "zip", None])
    ws.append([1, "Ann", dt.datetime(2024, 1, 5), 12.5, "02134"])
    ws.append([])
    ws.append([2, "=not a formula", dt.datetime(2024, 2, 1), 3, "90210"])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    result = read_table(path, ParseOptions(sheet="data", header_row=1))
    t = result.table
    assert result.format == "xlsx" and result.options.sheet == "data"
    assert t.column_names == ["id", "name", "admitted", "amount", "zip"]
    assert t.column("id").to_pylist() == [1, 2]
    assert t.column("admitted").to_pylist() == [dt.date(2024, 1, 5), dt.date(2024, 2, 1)]
    assert t.column("amount").to_pylist() == [12.5, 3.0]
    assert t.column("zip").to_pylist() == ["02134", "90210"]
    p = preview(path, ParseOptions(sheet="data", header_row=1), rows=1)
    assert p.sheets == ["notes", "data"] and p.columns == t.column_names and len(p.rows) == 1


def test_parquet_is_read_as_is(tmp_path):
    table = pa.table({"id": [1, 2], "zip": ["02134", "90210"]})
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    result = read_table(path)
    assert result.format == "parquet" and result.table.equals(table)
    assert preview(path).rows == [["1", "02134"], ["2", "90210"]]


def test_preview_reports_detected_options_and_fixable_errors(tmp_path):
    path = _write(tmp_path / "p.csv", "a;b;c\n" + "".join(f"{i};x;{i},5\n" for i in range(300)),
                  "cp1252")
    p = preview(path, rows=100)
    assert (p.options.delimiter, p.options.encoding, p.options.decimal) == (";", "utf-8", ",")
    assert p.columns == ["a", "b", "c"] and len(p.rows) == 100 and p.error is None
    assert p.rows[1] == ["1", "x", "1,5"]
    wrong = preview(path, ParseOptions(delimiter="x", header_row=0))
    assert wrong.columns == ["a;b;c"] and "2 fields where the header has 1" in wrong.error
    dup = _write(tmp_path / "dup.csv", "a,a\n1,2\n")
    assert "same name" in preview(dup).error


def test_quote_character_is_detected_and_overridable(tmp_path):
    path = _write(tmp_path / "q.csv", "id;name;note\n1;'Smith; Ann';'ok'\n2;'Bo';'x'\n")
    result = read_table(path)
    assert (result.options.quotechar, result.options.delimiter) == ("'", ";")
    assert result.table.column("name").to_pylist() == ["Smith; Ann", "Bo"]
    plain = _write(tmp_path / "p.csv", 'id,name\n1,"Ann"\n2,O\'Brien\n')
    assert read_table(plain).options.quotechar == '"'
    assert read_table(plain).table.column("name").to_pylist() == ["Ann", "O'Brien"]
    with pytest.raises(InputError, match="4 fields where the header has 3") as info:
        read_table(path, ParseOptions(quotechar='"'))     # then "Smith; Ann" splits in two
    assert info.value.line == 2


def test_title_lines_above_the_header_are_detected(tmp_path):
    path = _write(tmp_path / "t.csv", "Admissions export\nCreated 2024-03-01 by HIS\n\n"
                                      "id,name,age\n1,Ann,34\n2,Bo,40\n")
    result = read_table(path)
    assert result.options.header_row == 3       # 0-based: two title lines and a blank one
    assert result.table.column_names == ["id", "name", "age"]
    assert preview(path).columns == ["id", "name", "age"]
    forced = preview(path, ParseOptions(header_row=1))   # the user's choice wins
    assert forced.options.header_row == 1 and forced.columns == ["Created 2024-03-01 by HIS"]


def test_excel_sep_line_is_skipped(tmp_path):
    path = _write(tmp_path / "x.csv", "sep=;\r\nNaam;Leeftijd;Gewicht\r\nJan;34;72,5\r\nPiet;40;80,1\r\n")
    result = read_table(path)
    assert (result.options.header_row, result.options.delimiter, result.options.decimal) == (1, ";", ",")
    assert result.table.to_pylist() == [{"Naam": "Jan", "Leeftijd": 34, "Gewicht": 72.5},
                                        {"Naam": "Piet", "Leeftijd": 40, "Gewicht": 80.1}]
