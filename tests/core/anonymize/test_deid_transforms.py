"""Column transformations: masking, keyed pseudonyms, per-person date shifting, recoding."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.anonymize import dateshift, masking, pseudonym, recode
from ppds_desktop.core.anonymize.actions import vault_keyring
from ppds_desktop.core.errors import InputError, RecipeError

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20),
       st.integers(0, 6), st.integers(0, 6))
@example(["000*000"], 3, 3)   # the hidden character was already the mask character
def test_mask_never_lets_a_whole_value_through(values, first, last):
    out = masking.mask_keep(pd.Series(values), keep_first=first, keep_last=last)
    for raw, masked in zip(values, out):
        assert len(masked) == len(raw)
        if first + last < len(raw):
            assert masked[:first] == raw[:first]
            assert masked[len(raw) - last:] == raw[len(raw) - last:]
            hidden = masked[first:len(raw) - last]
        else:
            hidden = masked
        # At least one character is hidden, and every hidden one shows only the mask: the
        # output equals the input only where the input already had "*" at those places.
        assert hidden and set(hidden) == {"*"}


def test_mask_keeps_last_four_and_missing_values():
    s = pd.Series(["123-45-6789", None, "12"])
    out = masking.mask_keep(s, keep_last=4)
    assert out[0] == "*******6789"
    assert out[1] is None
    assert out[2] == "**"


def test_fixed_pattern_and_drop():
    s = pd.Series(["a", None, "b"])
    assert masking.fixed_pattern(s, "XXX").tolist() == ["XXX", None, "XXX"]
    df = pd.DataFrame({"a": [1], "b": [2]})
    assert list(masking.drop_columns(df, ["a"]).columns) == ["b"]
    with pytest.raises(RecipeError):
        masking.drop_columns(df, ["zzz"])


def test_pseudonyms_are_deterministic_per_key_and_unlinkable_across_keys():
    names = pd.Series(["Ann Lee", "Bob Roe", "Ann Lee", " ann  LEE ", None])
    a1 = pseudonym.pseudonymize(names, KEY_A, prefix="P")
    a2 = pseudonym.pseudonymize(names, KEY_A, prefix="P")
    b = pseudonym.pseudonymize(names, KEY_B, prefix="P")
    assert a1.tolist() == a2.tolist()
    assert a1[0] == a1[2] == a1[3] and a1[0] != a1[1]          # normalised, consistent
    assert a1[4] is None
    assert not set(a1.dropna()) & set(b.dropna())              # nothing in common across keys
    assert all(p.startswith("P") and len(p) == 1 + pseudonym.DIGEST_HEX_CHARS for p in a1.dropna())
    assert not any("Ann" in p or "Bob" in p for p in a1.dropna())


def test_pseudonym_lookup_recomputes_from_source():
    source = pd.Series(["MRN001", "MRN002", "MRN003"])
    p = pseudonym.pseudonymize(source, KEY_A)
    assert pseudonym.lookup(p[1], source, KEY_A) == ["MRN002"]
    assert pseudonym.lookup(p[1], source, KEY_B) == []


def test_pseudonym_keys_come_from_the_vault_or_are_made_in_memory(vault):
    vault.put_secret(pseudonym.KEY_KIND, "study-42", KEY_A)
    ring = vault_keyring(vault)
    assert ring.get(pseudonym.KEY_KIND, "study-42") == KEY_A
    fresh = ring.get(pseudonym.KEY_KIND, "other-recipient")
    assert ring.get(pseudonym.KEY_KIND, "other-recipient") == fresh
    assert len(fresh) == pseudonym.KEY_BYTES and fresh != KEY_A
    assert ring.created == {(pseudonym.KEY_KIND, "other-recipient"): fresh}
    assert not vault.has_secret(pseudonym.KEY_KIND, "other-recipient")   # a run writes nothing
    with pytest.raises(RecipeError):
        ring.get(pseudonym.KEY_KIND, "../bad")


def test_date_shift_is_consistent_per_person_and_bounded():
    df = pd.DataFrame({
        "pid": ["a", "a", "b", "c", "c"],
        "admit": ["2020-01-10", "2021-06-01", "2020-01-10", "2019-12-31", None],
        "discharge": pd.to_datetime(["2020-01-15", "2021-06-03", "2020-01-12",
                                     "2020-01-02", "2020-02-01"]),
    })
    out = dateshift.shift_dates(df, ["admit", "discharge"], KEY_A, 30, "pid")
    admit_in = pd.to_datetime(df["admit"])
    admit_out = pd.to_datetime(out["admit"])
    delta_admit = (admit_out - admit_in).dt.days
    delta_dis = (out["discharge"] - df["discharge"]).dt.days
    assert out["admit"][4] is None
    for pid in "abc":
        rows = df.index[df["pid"] == pid]
        shifts = set(delta_dis[rows]) | set(delta_admit[rows].dropna())
        assert len(shifts) == 1                                # one offset per person
        (d,) = shifts
        assert 1 <= abs(d) <= 30
    # length of stay preserved exactly
    assert ((out["discharge"] - admit_out).dt.days.dropna()
            == (df["discharge"] - admit_in).dt.days.dropna()).all()
    # same key, same offsets; another key, other offsets
    again = dateshift.shift_dates(df, ["admit"], KEY_A, 30, "pid")
    assert again["admit"].tolist() == out["admit"].tolist()
    offsets_b = [dateshift.offset_days(p, KEY_B, 30) for p in "abc"]
    offsets_a = [dateshift.offset_days(p, KEY_A, 30) for p in "abc"]
    assert offsets_a != offsets_b


def test_date_shift_offsets_cover_the_range_without_zero():
    seen = {dateshift.offset_days(f"p{i}", KEY_A, 3) for i in range(300)}
    assert seen == {-3, -2, -1, 1, 2, 3}


def test_date_shift_rejects_non_dates_without_quoting_them():
    df = pd.DataFrame({"d": ["2020-01-01", "SECRET-VALUE"]})
    with pytest.raises(InputError) as err:
        dateshift.shift_dates(df, ["d"], KEY_A, 5)
    assert "SECRET" not in str(err.value) and "1 value(s)" in str(err.value)


def test_zip3_sets_restricted_prefixes_to_000():
    assert "036" in recode.restricted_zip3() and len(recode.restricted_zip3()) == 17
    s = pd.Series(["03601", "02139-4307", 2139, "89301", None, "12"])
    assert recode.zip3(s).tolist() == ["000", "021", "021", "000", None, "000"]


def test_year_only_with_bottom_and_top_bottom_code():
    s = pd.Series(pd.to_datetime(["1930-05-01", "1980-01-02", None]))
    assert recode.year_only(s, bottom=1937).tolist() == ["before 1937", 1980, None]
    ages = pd.Series([10, 89, 90, 104, None])
    assert recode.top_bottom_code(ages, top=89, top_label="90+").tolist() == \
        [10, 89, "90+", "90+", None]
    assert recode.top_bottom_code(pd.Series([1.5, 50.0]), bottom=2).tolist() == ["<2", 50]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh0123456789", min_size=3, max_size=10),
                min_size=1, max_size=30))
def test_pseudonyms_never_contain_the_value(values):
    out = pseudonym.pseudonymize(pd.Series(values), KEY_A)
    for raw, p in zip(values, out):
        assert p != raw and len(p) == pseudonym.DIGEST_HEX_CHARS


def test_date_shift_keeps_date_objects_as_dates():
    import datetime as dt

    df = pd.DataFrame({"p": ["a", "b"], "d": [dt.date(2020, 1, 1), None]})
    out = dateshift.shift_dates(df, ["d"], KEY_A, 7, "p")
    assert isinstance(out["d"][0], dt.date) and out["d"][1] is None
    assert 1 <= abs((out["d"][0] - dt.date(2020, 1, 1)).days) <= 7
