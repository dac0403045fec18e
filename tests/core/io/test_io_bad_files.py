"""Every file in tests/data/bad/ is refused with a message naming the file (and line), importing nothing."""

from __future__ import annotations

import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io import ParseOptions
from ppds_desktop.services import datasets

from conftest import REPO_ROOT

BAD = REPO_ROOT / "tests" / "data" / "bad"

# file, parse options, vault settings, expected line (None: not line-specific), message fragment
CASES = [
    ("empty.csv", None, {}, None, "the file is empty"),
    ("blank_lines.csv", None, {}, None, "only blank lines"),
    ("binary.csv", None, {}, 3, "binary data (NUL byte)"),
    ("nul_byte.csv", None, {}, 4, "binary data (NUL byte)"),
    ("utf16.csv", None, {}, None, "UTF-16"),
    ("ragged_more.csv", None, {}, 4, "4 fields where the header has 3"),
    ("ragged_fewer.csv", None, {}, 3, "2 fields where the header has 3"),
    ("ragged_after_multiline.csv", None, {}, 5, "2 fields where the header has 3"),
    ("duplicate_header.csv", None, {}, 1, "columns 2 and 4 have the same name 'name'"),
    ("duplicate_header_after_trim.csv", None, {}, 1, "columns 2 and 3 have the same name"),
    ("empty_header.csv", None, {}, 1, "column 2 of the header has no name"),
    ("header_only.csv", None, {}, 2, "header but no data rows"),
    ("unclosed_quote.csv", None, {}, 2, "a quoted field is never closed"),
    ("bad_utf8.csv", ParseOptions(encoding="utf-8"), {}, 4, "not valid utf-8 text"),
    ("bad_cp1252.csv", ParseOptions(encoding="cp1252"), {}, 3, "not valid cp1252 text"),
    ("long_field.csv", None, {"import.max_field_bytes": 1000}, 3,
     "field 2 is longer than the limit of 1,000 bytes"),
    ("too_large.csv", None, {"import.max_file_bytes": 10}, None, "larger than the limit"),
    ("not_a_workbook.xlsx", None, {}, None, "not a valid .xlsx file"),
    ("broken_zip.xlsx", None, {}, None, "not a readable .xlsx workbook"),
    ("duplicate_header.xlsx", None, {}, 1, "columns 1 and 3 have the same name 'id'"),
    ("ragged.xlsx", None, {}, 3, "a value beyond the 2 named columns"),
    ("damaged.parquet", None, {}, None, "not a readable Parquet file"),
    ("legacy.xls", None, {}, None, "old binary Excel (.xls)"),
]


def test_every_corpus_file_has_a_case():
    assert sorted(p.name for p in BAD.iterdir() if p.name != "README.md") == \
        sorted(c[0] for c in CASES)


def _state(vault):
    return [d.name for d in vault.list_datasets()], len(vault.audit_entries())


@pytest.mark.parametrize("name, options, settings, line, message", CASES,
                         ids=[c[0] for c in CASES])
def test_bad_file_is_refused_and_vault_unchanged(vault, name, options, settings, line, message):
    for key, value in settings.items():
        vault.set_setting(key, value)
    before = _state(vault)
    with pytest.raises(InputError) as info:
        datasets.import_file(vault, BAD / name, options=options)
    err = info.value
    assert message in str(err)
    assert str(err).startswith(str(BAD / name))
    assert err.line == line
    if line is not None:
        assert f", line {line}: " in str(err)
    assert _state(vault) == before


def test_problems_beyond_the_sniffed_head_are_found_with_their_line(tmp_path):
    """The sniffer reads 1 MiB; a NUL or a non-UTF-8 byte after that is still found exactly."""
    body = b"".join(b"%d,row %d\n" % (i, i) for i in range(120_000))  # > 1 MiB, lines 2..120001
    late_nul = tmp_path / "late_nul.csv"
    late_nul.write_bytes(b"id,text\n" + body + b"5,a\x00b\n")
    with pytest.raises(InputError, match="NUL byte") as info:
        datasets.profile_file(late_nul)
    assert info.value.line == 120_002

    # An ASCII head made "utf-8" a mere default: Windows-1252 further on is then read as such.
    late_cp1252 = tmp_path / "late_cp1252.csv"
    late_cp1252.write_bytes(b"id,text\n" + body + "5,Zoë\n".encode("cp1252") + b"6,ok\n")
    result = datasets.read_table(late_cp1252)
    assert result.options.encoding == "cp1252"
    assert result.table.column("text")[120_000].as_py() == "Zoë"
    # ... but not when the user chose UTF-8, or the head already held real UTF-8 text.
    with pytest.raises(InputError, match="not valid utf-8") as info:
        datasets.profile_file(late_cp1252, ParseOptions(encoding="utf-8"))
    assert info.value.line == 120_002
    assert "cp1252" in str(info.value)      # the hint says which option to change
    utf8_head = tmp_path / "utf8_head.csv"
    utf8_head.write_bytes("id,text\n0,Zoë\n".encode("utf-8") + body + b"5,Zo\xeb\n")
    with pytest.raises(InputError, match="not valid utf-8") as info:
        datasets.profile_file(utf8_head)
    assert info.value.line == 120_003


def test_error_messages_never_quote_cell_values(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("id,name\n1,CANARY-VALUE-123\n2,Bob,extra-CANARY\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        datasets.profile_file(path)
    assert "CANARY" not in str(info.value)
    assert info.value.line == 3


def test_nul_scan_counts_lines_across_its_blocks(tmp_path, monkeypatch):
    """The NUL scan reads fixed blocks; a NUL many blocks in still gets its exact line."""
    from ppds_desktop.core.io import csv_reader

    monkeypatch.setattr(csv_reader, "_SCAN_CHUNK", 1000)
    body = b"".join(b"%d,row %d\n" % (i, i) for i in range(5_000))
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text\n" + body + b"5,a\x00b\n6,c\n")
    with pytest.raises(InputError, match="NUL byte") as info:
        csv_reader._refuse_nul_bytes(path)
    assert info.value.line == 5_002
