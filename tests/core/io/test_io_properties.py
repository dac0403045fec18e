"""Properties: text survives a CSV round trip, and the reported line of a bad row is exact."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.io import read_table, write_table
from ppds_desktop.core.io.csv_reader import NULL_TOKENS

# Text that stays text: starts with a letter (so it is not a number, a date or a formula) and
# may hold delimiters, quotes, line breaks and non-ASCII letters.
_TEXT = st.text(alphabet="abcXYZéßø 0123456789,;|\t\"'\n\r-=", min_size=0, max_size=12).map(
    lambda s: "k" + s).filter(lambda s: s not in NULL_TOKENS and s.lower() not in
                                       ("true", "false"))

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=st.lists(st.tuples(_TEXT, st.integers(-10**12, 10**12), _TEXT), min_size=1,
                     max_size=25))
def test_csv_round_trip_keeps_text_and_numbers(tmp_path, rows):
    table = pa.table({"a": [r[0] for r in rows], "n": pa.array([r[1] for r in rows], pa.int64()),
                      "b": [r[2] for r in rows]})
    path = write_table(table, tmp_path / "rt.csv")
    back = read_table(path).table
    assert back.column("a").to_pylist() == table.column("a").to_pylist()
    assert back.column("b").to_pylist() == table.column("b").to_pylist()
    assert back.column("n").to_pylist() == table.column("n").to_pylist()


@SETTINGS
@given(n_rows=st.integers(1, 60), bad=st.data(), multiline=st.sets(st.integers(0, 59)))
def test_ragged_row_is_reported_at_its_physical_line(tmp_path, n_rows, bad, multiline):
    bad_row = bad.draw(st.integers(0, n_rows - 1))
    lines, line_of = ["id,note,n"], {}
    physical = 1
    for i in range(n_rows):
        physical += 1
        line_of[i] = physical
        note = f'"two\nlines {i}"' if i in multiline else f"plain {i}"
        extra = ",oops" if i == bad_row else ""
        lines.append(f"{i},{note},{i * 3}{extra}")
        physical += note.count("\n")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_table(path)
    assert info.value.line == line_of[bad_row]
    assert "4 fields where the header has 3" in str(info.value)
