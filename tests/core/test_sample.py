"""The synthetic admissions generator: columns, determinism, consistency, no real identifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ppds_desktop.core.io import write_table
from ppds_desktop.core.sample import COLUMNS, SURNAMES, generate_admissions
from ppds_desktop.core.schema.name_lists import GIVEN_NAMES
from ppds_desktop.paths import sample_csv


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return generate_admissions(20_000, seed=7)


def test_columns_and_determinism(df):
    assert list(df.columns) == COLUMNS
    assert len(df) == 20_000
    pd.testing.assert_frame_equal(generate_admissions(500, seed=3), generate_admissions(500, seed=3))
    assert not generate_admissions(500, seed=3).equals(generate_admissions(500, seed=4))
    assert len(generate_admissions(0, seed=1)) == 0


def test_bundled_sample_regenerates_byte_for_byte(tmp_path):
    out = write_table(generate_admissions(1000, seed=0), tmp_path / "sample.csv", bom=False)
    assert out.read_bytes() == sample_csv().read_bytes()


def test_date_of_birth_agrees_with_age_and_stay_is_positive(df):
    adm, dob = df["Date of Admission"], df["Date of Birth"]
    before_birthday = (adm.dt.month < dob.dt.month) | \
        ((adm.dt.month == dob.dt.month) & (adm.dt.day < dob.dt.day))
    exact_age = adm.dt.year - dob.dt.year - before_birthday.astype(int)
    assert (exact_age == df["Age"]).all()
    stay = (df["Discharge Date"] - adm).dt.days
    assert stay.min() >= 1 and stay.max() <= 60


def test_identifiers_are_fake_by_construction(df):
    assert df["SSN"].str.fullmatch(r"9\d\d-\d\d-\d{4}").all()
    assert df["Email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(org|com|net)").all()
    assert df["Phone"].str.fullmatch(r"\(\d{3}\) 555-01\d\d").all()
    zips = df["ZIP"]
    assert zips.str.fullmatch(r"\d{5}").all() and zips.str.startswith("0").any()
    given, family = df["Name"].str.split(" ", n=1).str[0], df["Name"].str.split(" ", n=1).str[1]
    assert given.str.lower().isin(GIVEN_NAMES).all() and family.isin(SURNAMES).all()


def test_realistic_correlations(df):
    stay = (df["Discharge Date"] - df["Date of Admission"]).dt.days
    assert stats.spearmanr(stay, df["Billing Amount"]).statistic > 0.6
    by_condition = df.groupby("Medical Condition")["Age"].mean()
    assert by_condition["Heart Failure"] > by_condition["Asthma"] + 15
    assert by_condition["Arthritis"] > by_condition["Appendicitis"] + 15
    seniors = df["Age"] >= 65
    assert (df.loc[seniors, "Insurance Provider"] == "Medicare").mean() > 0.7
    assert (df.loc[~seniors, "Insurance Provider"] == "Medicare").mean() == 0
    blood = df["Blood Type"].value_counts(normalize=True)
    assert blood["O+"] > blood["AB-"] * 20
    # Patients mostly live near their hospital: ZIP prefix is predicted by the hospital.
    top_share = df.groupby("Hospital")["ZIP"].agg(lambda z: z.str[:3].value_counts(normalize=True).iloc[0])
    assert (top_share > 0.8).all()


def test_column_dtypes(df):
    assert df["Age"].dtype == np.int64 and df["Billing Amount"].dtype == np.float64
    assert df["Room Number"].dtype == np.int64
    for col in ("Date of Admission", "Discharge Date", "Date of Birth"):
        assert str(df[col].dtype).startswith("datetime64")
