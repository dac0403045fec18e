"""Generalization hierarchies: ARX file round trip, builders, encoding errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppds_desktop.core.anonymize.hierarchy import (
    Hierarchy, build_categories, build_dates, build_intervals, build_redaction)
from ppds_desktop.core.errors import InputError

from conftest import ADULT_DATA


def test_arx_file_round_trip_keeps_every_row():
    path = ADULT_DATA / "adult_hierarchy_education.csv"
    h = Hierarchy.read_csv(path, name="education")
    assert h.height == 4 and len(h.leaves) == 16
    again = Hierarchy.read_csv(h.to_csv(), name="education")
    assert again.rows() == h.rows()
    assert path.read_text(encoding="utf-8").split() == h.to_csv().split()


def test_levels_are_integer_mappings_with_arx_domain_shares():
    h = Hierarchy.read_csv(ADULT_DATA / "adult_hierarchy_marital-status.csv")
    leaves = h.leaves
    spouse_present = [i for i, v in enumerate(leaves)
                      if v in ("Married-civ-spouse", "Married-AF-spouse")]
    m1 = h.level_map(1)
    assert len(set(m1[spouse_present])) == 1
    # share = leaves under the label / all leaves
    assert h.share(1)[spouse_present[0]] == pytest.approx(2 / 7)
    assert h.share(0)[0] == pytest.approx(1 / 7)
    assert np.all(h.share(2) == 1.0)


def test_generalize_and_encode_integers_read_as_numbers():
    h = Hierarchy.read_csv(ADULT_DATA / "adult_hierarchy_age.csv", name="age")
    ages = pd.Series([39, 50, 17, 90])
    # labels as written in ARX's file (which puts 50 in "45-49")
    assert h.generalize(ages, 1).tolist() == ["35-39", "45-49", "15-19", "85-89"]
    assert h.generalize(ages.astype(float), 2).tolist() == ["30-39", "40-49", "10-19", "80-89"]
    assert h.generalize(ages, 4).tolist() == ["*"] * 4


def test_unknown_values_are_counted_never_shown():
    h = Hierarchy.read_csv(ADULT_DATA / "adult_hierarchy_sex.csv", name="sex")
    with pytest.raises(InputError) as err:
        h.encode(pd.Series(["Male", "Secretvalue", "Secretvalue"]), column="sex")
    msg = str(err.value)
    assert "sex" in msg and "2 row(s)" in msg and "row 2" in msg
    assert "Secretvalue" not in msg


def test_rejects_a_label_with_two_parents_naming_the_line():
    text = "a;x;*\nb;x;*\nc;y;*\nd;y;Q\n"
    with pytest.raises(InputError, match="line 4"):
        Hierarchy.read_csv(text, name="c")


def test_rejects_ragged_rows_and_duplicate_values():
    with pytest.raises(InputError, match="line 2"):
        Hierarchy.from_rows([["a", "*"], ["b"]], name="c")
    with pytest.raises(InputError, match="twice"):
        Hierarchy.from_rows([["a", "*"], ["a", "*"]], name="c")


def test_interval_builder_nests_and_top_codes():
    h = build_intervals(pd.Series([17, 23, 45, 89, 90, 95]), [5, 10, 20], top=90, name="age")
    rows = {r[0]: r[1:] for r in h.rows()}
    assert rows["23"] == ["20-24", "20-29", "20-39", "*"]
    assert rows["89"] == ["85-89", "80-89", "80-99", "*"]
    assert rows["90"] == rows["95"] == [">=90", ">=90", ">=90", "*"]
    with pytest.raises(InputError, match="multiple"):
        build_intervals(pd.Series([1, 2]), [5, 7])


def test_interval_builder_bottom_codes_and_real_numbers():
    h = build_intervals(pd.Series([0.5, 1.2, 3.7]), [1, 2], bottom=1)
    rows = {r[0]: r[1:] for r in h.rows()}
    assert rows["0.5"] == ["<1", "<1", "*"]
    assert rows["1.2"] == ["[1, 2)", "[1, 3)", "*"]


def test_date_builder_day_month_year_decade():
    h = build_dates(pd.to_datetime(pd.Series(["2021-03-14", "2019-12-01"])), name="d")
    assert h.rows() == [["2019-12-01", "2019-12", "2019", "2010-2019", "*"],
                        ["2021-03-14", "2021-03", "2021", "2020-2029", "*"]]
    # dates in the data encode to the ISO-day leaves
    assert h.generalize(pd.to_datetime(pd.Series(["2021-03-14"])), 3).tolist() == ["2020-2029"]


def test_redaction_builder_hides_from_the_right():
    h = build_redaction(pd.Series(["12345", "12399"]), step=2)
    assert h.rows()[0] == ["12345", "123**", "1****", "*"]


def test_category_builder_user_groups_and_missing_group():
    h = build_categories(pd.Series(["flu", "cold", "cancer"]),
                         [{"flu": "infection", "cold": "infection", "cancer": "tumour"}])
    assert h.height == 3
    assert h.generalize(pd.Series(["cold", "cancer"]), 1).tolist() == ["infection", "tumour"]
    with pytest.raises(InputError, match="1 value"):
        build_categories(pd.Series(["flu", "cold"]), [{"flu": "infection"}])


def test_csv_export_neutralises_formulas(tmp_path):
    h = Hierarchy.from_rows([["=1+2", "*"], ["-5", "*"]], name="x")
    text = h.to_csv(tmp_path / "h.csv")
    assert text.splitlines()[0].startswith("'=1+2")
    assert text.splitlines()[1].startswith("-5")      # a negative number stays a number
    assert (tmp_path / "h.csv").read_text(encoding="utf-8") == text


def test_builders_keep_missing_values_as_their_own_group():
    ages = pd.Series([30, None, 41], dtype="Float64")
    h = build_intervals(ages, [10], name="age")
    assert h.rows()[-1] == ["", "", "*"]
    assert h.generalize(ages, 1).tolist() == ["30-39", "", "40-49"]
    zips = pd.Series(["12345", None])
    assert build_redaction(zips, step=5).generalize(zips, 1).tolist() == ["*", "*"]
    assert build_categories(pd.Series(["a", None]), [{"a": "g"}]).generalize(
        pd.Series(["a", None]), 1).tolist() == ["g", ""]


labels = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(labels, min_size=1, max_size=8, unique=True), st.data())
def test_export_then_import_gives_the_same_hierarchy(leaves, data):
    parents = [data.draw(st.sampled_from(["=g", "+h", "'q", "x;y", 'a"b', "-1"]))
               for _ in leaves]
    h = Hierarchy.from_rows([[leaf, parent, "*"] for leaf, parent in zip(leaves, parents)],
                            name="c")
    assert Hierarchy.read_csv(h.to_csv(), name="c").rows() == h.rows()
