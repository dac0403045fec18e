"""Hostile and clumsy input to import, export and the data commands (issue 11): each refused
with one clear line, nothing stored, no file left behind, nothing written outside the export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from ppds_desktop.cli import main
from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io import read_table, write_table
from ppds_desktop.core.io.options import ReadLimits
from ppds_desktop.core.sample import generate_admissions
from ppds_desktop.services import datasets

from conftest import REPO_ROOT

POSIX = pytest.mark.skipif(os.name != "posix", reason="needs POSIX resource limits and signals")
KILL = signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
PARTS = {   # the least a workbook needs besides its sheet
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
    'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{MAIN_NS}" xmlns:r="{_REL}"><sheets><sheet '
                       'name="data" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                                  f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                                  '</Relationships>',
}


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppds: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _child(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=REPO_ROOT, env={**os.environ, **env}, timeout=600)


def _workbook(path: Path, cell_xml: bytes | None = None, *, sheet: bytes | None = None,
              repeat: int = 1) -> Path:
    """A minimal workbook whose A2 holds ``cell_xml`` (repeated ``repeat`` times, streamed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            if sheet is not None:
                out.write(sheet)
            else:
                out.write(f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" '
                          f't="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2" '
                          f't="inlineStr"><is><t>'.encode())
                for _ in range(repeat):
                    out.write(cell_xml)
                out.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


# -- export -------------------------------------------------------------------------------------

@POSIX
def test_a_killed_xlsx_export_leaves_no_plaintext_outside_its_private_partial_file(tmp_path):
    """openpyxl spooled the sheet to an openpyxl.* file in the temp folder (8.9 MB of names
    left by a killed export). The process kills itself at the first progress report."""
    temp, out = tmp_path / "temp", tmp_path / "out"
    temp.mkdir()
    out.mkdir()
    proc = _child(f"""
        import signal
        KILL = signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM
        from ppds_desktop.core.io import write_table
        from ppds_desktop.core.progress import TaskState
        from ppds_desktop.core.sample import generate_admissions
        df = generate_admissions(70_000, seed=1)
        write_table(df, {str(out / 'export.xlsx')!r},
                    task=TaskState(lambda f, m: f > 0 and signal.raise_signal(KILL)))
    """, TMPDIR=str(temp))
    assert proc.returncode == -KILL, proc.stderr
    assert list(temp.iterdir()) == []
    left = list(out.iterdir())
    assert len(left) == 1 and left[0].name.startswith(".export.xlsx.")   # the partial output
    assert left[0].stat().st_mode & 0o777 == 0o600


def test_a_finished_export_writes_nothing_to_the_temp_folder(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = _child(f"""
        from ppds_desktop.core.io import write_table
        from ppds_desktop.core.sample import generate_admissions
        for ext in ("xlsx", "csv", "parquet"):
            write_table(generate_admissions(300), {str(tmp_path)!r} + "/s." + ext)
    """, TMPDIR=str(temp))
    assert proc.returncode == 0, proc.stderr
    assert list(temp.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.parquet", "s.xlsx", "temp"]


@POSIX
@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_disk_full_during_export_is_one_line_and_leaves_no_file(tmp_path, ext):
    """RLIMIT_FSIZE stands in for a full disk (SIGXFSZ ignored, so writes fail with EFBIG)."""
    dest = tmp_path / f"big.{ext}"
    proc = _child(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
        from ppds_desktop.cli import main
        sys.exit(main(["sample", "--rows", "20000", "-o", {str(dest)!r}]))
    """)
    assert proc.returncode == 1
    assert "the disk is full" in _one_line_error(proc.stderr)
    assert list(tmp_path.iterdir()) == []


def test_csv_exports_start_with_a_bom_for_spreadsheets_unless_plain_utf8_is_asked(
        tmp_path, capsys):
    assert _cli(capsys, "sample", "--rows", "5", "-o", tmp_path / "a.csv")[0] == 0
    assert _cli(capsys, "sample", "--rows", "5", "-o", tmp_path / "b.csv", "--plain-utf8")[0] == 0
    assert (tmp_path / "a.csv").read_bytes().startswith(b'\xef\xbb\xbf"Name",')
    assert (tmp_path / "b.csv").read_bytes().startswith(b'"Name",')
    assert read_table(tmp_path / "a.csv").table.column_names[0] == "Name"


def test_reports_and_recipes_are_written_owner_only(tmp_path):
    old = os.umask(0o022)           # the usual umask, under which write_text made 0644 files
    try:
        from ppds_desktop.core import recipe as R
        from ppds_desktop.services import files

        report = files.save_text(tmp_path / "report.html", "<html></html>")
        recipe = files.save_recipe(tmp_path / "recipe.json", R.new_recipe(name="r"))
    finally:
        os.umask(old)
    if os.name == "posix":
        assert report.stat().st_mode & 0o777 == 0o600
        assert recipe.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.json", "report.html"]


def test_cli_report_and_html_are_owner_only(tmp_path, capsys):
    data = write_table(generate_admissions(200), tmp_path / "d.csv")
    code, _, err = _cli(capsys, "anonymize", data, "--drop", "Name,Phone,Email,SSN", "--report",
                        tmp_path / "r.json", "--html", tmp_path / "r.html", "--accept-risk")
    assert code == 0, err
    if os.name == "posix":
        for name in ("r.json", "r.html"):
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


# -- import: xlsx -------------------------------------------------------------------------------

def test_xlsx_entity_bomb_is_refused_as_a_dtd(tmp_path):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY a{i} "{("&a%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE w [{entities}]><worksheet xmlns="{MAIN_NS}">'
             f'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'
             f'</sheetData></worksheet>').encode()
    path = _workbook(tmp_path / "laughs.xlsx", sheet=sheet)
    with pytest.raises(InputError, match="document type declaration"):
        read_table(path)


def _peak_rss_reading(path: Path) -> tuple[int, int, str]:
    """(peak RSS before reading, peak RSS after, the error) in a fresh process, in KiB."""
    proc = _child(f"""
        import resource
        from ppds_desktop.core.errors import PPDSError
        from ppds_desktop.core.io import read_table
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            read_table({str(path)!r})
            message = "read without error"
        except PPDSError as exc:
            message = str(exc)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(before, after, message)
    """)
    assert proc.returncode == 0, proc.stderr
    before, after, message = proc.stdout.strip().split(" ", 2)
    return int(before), int(after), message


@POSIX
def test_a_compressed_giant_cell_is_refused_before_it_is_inflated(tmp_path):
    """An 817 KB workbook with one 800 MB cell reached 2.4 GB; here 200 MB in 200 KB."""
    path = _workbook(tmp_path / "bomb.xlsx", b"a" * (1 << 20), repeat=200)
    assert path.stat().st_size < 300_000
    before, after, message = _peak_rss_reading(path)
    assert "zip bomb" in message
    assert after - before < 40_000, f"peak memory grew by {(after - before) // 1024} MiB"


@POSIX
def test_an_over_long_cell_is_refused_while_streaming(tmp_path):
    """30 MiB of text in one cell (too little expansion for the zip check): refused at the
    field limit while the part streams through, without building the cell."""
    path = _workbook(tmp_path / "long.xlsx", b"abcdefgh" * (1 << 17), repeat=30)
    before, after, message = _peak_rss_reading(path)
    assert "line 2" in message and "longer than the limit" in message
    assert after - before < 10_000, f"peak memory grew by {(after - before) // 1024} MiB"


@pytest.mark.parametrize("cell, problem", [
    (b"".join([b"x" * 1000 + b"<!-- -->"] * 70), "longer than the limit"),   # text split by comments
    (b"<![CDATA[" + b"y" * 70_000 + b"]]>", "longer than the limit"),
])
def test_cell_text_in_pieces_still_counts_whole(tmp_path, cell, problem):
    with pytest.raises(InputError, match=problem):
        read_table(_workbook(tmp_path / "pieces.xlsx", cell))


def test_a_giant_tag_is_refused(tmp_path):
    sheet = (f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1" x="'.encode()
             + b"z" * (6 << 20) + b'"/></sheetData></worksheet>')
    with pytest.raises(InputError, match="tag or comment"):
        read_table(_workbook(tmp_path / "tag.xlsx", sheet=sheet))


def test_too_many_parts_and_unpacked_size_over_the_file_limit(tmp_path):
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"p{i}", b"")
    with pytest.raises(InputError, match="10,001 parts"):
        read_table(path)
    big = _workbook(tmp_path / "big.xlsx", b"b" * 1000, repeat=3000)
    with pytest.raises(InputError, match="file size limit"):
        read_table(big, limits=ReadLimits(max_file_bytes=2_000_000))


@pytest.mark.parametrize("mutate", ["zlib", "style"])
def test_broken_workbooks_found_by_fuzzing_are_one_line(tmp_path, mutate):
    """zlib errors inside a part and an out-of-range style number used to escape."""
    path = write_table(generate_admissions(5), tmp_path / "broken.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
        infos = {i.filename: i for i in archive.infolist()}
    if mutate == "zlib":
        raw = bytearray(path.read_bytes())
        start = infos["xl/worksheets/sheet1.xml"].header_offset + 30 + len(
            "xl/worksheets/sheet1.xml") + 20
        raw[start:start + 40] = bytes(40)
        path.write_bytes(bytes(raw))
    else:
        parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(
            b'<xf numFmtId="164"', b'<xf numFmtId="99999999999999999999"')
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    with pytest.raises(InputError, match="not a readable .xlsx|damaged"):
        read_table(path)


# -- import: CSV and Parquet --------------------------------------------------------------------

@pytest.mark.parametrize("filler", [40_000, 140_000])     # mixed within and beyond the 1 MiB head
def test_csv_mixing_utf8_and_latin1_lines_is_refused_at_the_first_inconsistent_line(
        tmp_path, filler):
    path = tmp_path / "mixed.csv"
    path.write_bytes(("name,city\n" + "Bob,Paris\n" * filler + "José,Zürich\n").encode()
                     + "René,Köln\n".encode("latin-1"))
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert exc.value.line == filler + 3 and "mixes two text encodings" in str(exc.value)


def test_a_windows_1252_csv_is_still_read_as_such(tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes(("name,city\n" + "Bob,Paris\n" * 140_000).encode()
                     + "René,Köln\n".encode("cp1252"))
    table = read_table(path).table
    assert table.column("name")[-1].as_py() == "René"


@pytest.mark.parametrize("content", [b"a,b,c", b"a,b,c\r\n", b"\xef\xbb\xbfa;b;c"])
def test_a_header_without_data_rows_says_so_with_or_without_a_final_newline(tmp_path, content):
    path = tmp_path / "header.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="header but no data rows") as exc:
        read_table(path)
    assert exc.value.line == 2


def test_a_damaged_parquet_preview_is_one_line(tmp_path):
    """Found by fuzzing: a Parquet file whose pages are cut escaped from the preview."""
    from ppds_desktop.core.io import preview

    path = write_table(generate_admissions(50), tmp_path / "cut.parquet")
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 3] + bytes(64) + raw[len(raw) // 3 + 64:])
    with pytest.raises(InputError, match="Parquet"):
        preview(path)
        read_table(path)


def test_dataset_names_from_decomposed_file_names_are_nfc(vault, tmp_path):
    import unicodedata

    path = write_table(generate_admissions(20),
                       tmp_path / unicodedata.normalize("NFD", "Zürich é.csv"))
    info = datasets.import_file(vault, path)
    assert info.name == unicodedata.normalize("NFC", "Zürich é")


# -- CLI arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, problem", [
    (["--rows", "1000000000000"], "number of rows must be from 0 to 5,000,000"),
    (["--seed", "-1"], "seed must be a whole number"),
])
def test_sample_refuses_sizes_and_seeds_it_cannot_use(tmp_path, capsys, args, problem):
    code, _, err = _cli(capsys, "sample", *args, "-o", tmp_path / "s.csv")
    assert code == 1 and problem in _one_line_error(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rows, problem", [
    ('<row r="4294967296"><c r="A3"><v>1</v></c></row>', "beyond the last row"),
    ('<row r="2"><c r="XFE2"><v>1</v></c></row>', "beyond the last column"),
    ("".join(f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(2, 7000)),
     "more than 100,000,000 cells"),
])
def test_cell_positions_that_would_make_openpyxl_pad_billions_of_cells(tmp_path, rows, problem):
    """Found by fuzzing: a row numbered 4,294,967,296 kept openpyxl yielding empty rows for
    hours; a cell in column XFD on every row pads each row to 16,384 cells."""
    sheet = (f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
             f'<t>name</t></is></c></row>{rows}</sheetData></worksheet>').encode()
    with pytest.raises(InputError, match=problem):
        read_table(_workbook(tmp_path / "grid.xlsx", sheet=sheet))


def test_fuzz_findings_in_he_files_are_one_line():
    """Found by fuzzing: an HE cells file whose header is JSON but not an object, and a
    request whose cells lack their per-source counts."""
    import json

    from ppds_desktop.core.he import serial
    from ppds_desktop.core.he.request import DecryptionRequest
    from ppds_desktop.core.errors import CryptoError

    from fuzz.targets import he_keys, seeds, split_parts

    with pytest.raises(CryptoError, match="malformed header"):
        serial.loads(serial.MAGIC + (2).to_bytes(4, "big") + b"17", he_keys()[0])
    files = split_parts(seeds("he_request")[0])
    doc = json.loads(files["he_request.json"])
    doc["cells"][0].pop("by_source")
    files["he_request.json"] = json.dumps(doc).encode()
    with pytest.raises(InputError, match="cell 1 is malformed"):
        DecryptionRequest.from_files(files)


FOUND = REPO_ROOT / "tests" / "data" / "fuzz_found"


@pytest.mark.parametrize("name, problem", [
    ("parquet-11e08cc3cf1b", "outside the years 1 to 9999"),        # OverflowError
    ("parquet-2f1d7a622567", "unknown time zone"),                  # ArrowInvalid
    ("parquet-3ddb9875fd81", "not valid"),                          # UnicodeDecodeError
    ("parquet-e3470360827e", "not valid"),                          # ArrowIndexError
])
def test_parquet_values_found_by_fuzzing_are_refused_in_preview_and_import(tmp_path, name,
                                                                           problem):
    """Parquet files that decode but hold invalid values (text that is not UTF-8, dictionary
    codes out of range, dates past year 9999, a garbled time zone) escaped as raw errors."""
    from ppds_desktop.core.io import preview

    path = FOUND / f"{name}.parquet"
    with pytest.raises(InputError, match=problem):
        preview(path)
    with pytest.raises(InputError, match=problem):
        read_table(path)


def test_an_infinite_number_in_an_he_layout_is_one_line():
    """Found by fuzzing the version-2 request: ``Infinity`` as a slot width raised
    OverflowError from ``int()``."""
    from ppds_desktop.core.errors import CryptoError
    from ppds_desktop.core.he.encoding import Layout

    with pytest.raises(CryptoError, match="Malformed packing layout"):
        Layout.from_dict({"headroom_bits": 3, "slots": [["v", float("inf"), 1]]})


def test_outside_json_with_infinity_or_nan_is_refused_as_not_json():
    from ppds_desktop.core import safe_json
    from ppds_desktop.core.errors import CryptoError

    for raw in (b'{"count": Infinity}', b'[NaN]', b'{"x": -Infinity}',
                b'{"additions": 1e999}', b'[-1E400]'):     # too large for a float: infinity
        with pytest.raises(CryptoError, match="not valid UTF-8 JSON"):
            safe_json.loads(raw, what="The header", error=CryptoError)
