"""A synthetic hospital-admissions table: realistic enough to exercise every feature, no real people.

Everything is drawn from a numpy ``Generator`` seeded by the caller, so a seed always gives the
same table (this is test data, not privacy noise). Columns are built whole-array at a time, so a
million rows take a few seconds.

Why no one real can appear: family names are invented compounds (``Pickleford``); e-mail
addresses are at the reserved ``example.org/.com/.net`` domains (RFC 2606); phone numbers are in
the 555-0100..0199 block set aside for fiction; SSNs have area numbers 900-999, which are never
issued as Social Security numbers; hospitals and insurers are invented. Correlations that matter
to the analyses: conditions depend on age, stay length on condition, admission type and age,
billing on stay length and condition; insurance on age; ZIP codes cluster around the hospital;
Date of Birth agrees exactly with Age on the Date of Admission.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputError
from .schema.name_lists import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES

# About 650 bytes of memory per row while the table is built: 5 million rows take ~3.5 GB.
MAX_ROWS = 5_000_000
MAX_SEED = 2 ** 128 - 1

COLUMNS = ["Name", "Age", "Gender", "Blood Type", "Medical Condition", "Date of Admission",
           "Doctor", "Hospital", "Insurance Provider", "Billing Amount", "Room Number",
           "Admission Type", "Discharge Date", "Medication", "Test Results", "Date of Birth",
           "ZIP", "Phone", "Email", "SSN"]

# Whimsical stems, so that every family name is plainly invented ("Pickleford", "Muffinsworth").
_SURNAME_STEMS = ("Biscuit", "Bramble", "Clover", "Cobble", "Crumble", "Dapple", "Juniper",
                  "Kettle", "Marble", "Muffin", "Nettle", "Noodle", "Pebble", "Pickle", "Puddle",
                  "Quill", "Sorrel", "Teacup", "Thistle", "Treacle", "Trifle", "Umber", "Waffle",
                  "Yarrow", "Zephyr")
_SURNAME_ENDS = ("bottom", "by", "combe", "field", "ford", "ham", "ley", "more", "sworth",
                 "ton", "wick", "wood")
SURNAMES = tuple(s + e for s in _SURNAME_STEMS for e in _SURNAME_ENDS)

# Invented hospitals, each with the first three ZIP digits of its (invented) catchment area.
HOSPITALS = (("Northbrook General Hospital", "021"), ("Riverside Memorial Hospital", "100"),
             ("St. Elsewhere Medical Center", "191"), ("Lakeview Community Hospital", "303"),
             ("Harborview Regional Medical Center", "331"), ("Cedar Hills Hospital", "441"),
             ("Prairie State University Hospital", "606"), ("Lone Oak Medical Center", "750"),
             ("Aspen Valley Hospital", "802"), ("Desert Bloom Medical Center", "852"),
             ("Bayside Children's and Family Hospital", "941"), ("Evergreen Sound Hospital", "981"),
             ("Granite Coast Hospital", "060"), ("Pine Barrens Medical Center", "078"))
AREA_CODES = ("617", "212", "215", "404", "305", "216", "312", "214", "303", "602", "415",
              "206", "860", "973")

BLOOD_TYPES = ("O+", "A+", "B+", "AB+", "O-", "A-", "B-", "AB-")
BLOOD_P = (0.374, 0.357, 0.085, 0.034, 0.066, 0.063, 0.015, 0.006)

# condition: (base weight, change of log-weight per 20 years of age, mean stay in days,
#             daily cost in USD, medications, share of abnormal test results)
CONDITIONS = {
    "Hypertension": (1.0, 0.55, 3.0, 1900, ("Lisinopril", "Amlodipine", "Losartan"), 0.45),
    "Diabetes": (1.0, 0.35, 4.0, 2100, ("Metformin", "Insulin glargine"), 0.55),
    "Asthma": (0.8, -0.45, 2.5, 1700, ("Albuterol", "Fluticasone"), 0.35),
    "Arthritis": (0.7, 0.60, 3.0, 1800, ("Ibuprofen", "Naproxen", "Methotrexate"), 0.35),
    "Cancer": (0.6, 0.50, 8.0, 3900, ("Cisplatin", "Tamoxifen", "Pembrolizumab"), 0.70),
    "Obesity": (0.6, 0.05, 3.0, 1600, ("Orlistat", "Semaglutide"), 0.40),
    "Pneumonia": (0.7, 0.30, 6.0, 2300, ("Amoxicillin", "Azithromycin", "Ceftriaxone"), 0.60),
    "Heart Failure": (0.4, 0.80, 7.0, 3100, ("Furosemide", "Carvedilol", "Sacubitril"), 0.65),
    "COPD": (0.4, 0.70, 5.0, 2400, ("Tiotropium", "Prednisone"), 0.55),
    "Influenza": (0.6, -0.10, 3.0, 1500, ("Oseltamivir", "Paracetamol"), 0.40),
    "Fracture": (0.6, 0.20, 5.0, 2600, ("Paracetamol", "Oxycodone"), 0.50),
    "Appendicitis": (0.4, -0.50, 3.0, 2900, ("Cefazolin", "Metronidazole"), 0.60),
}
ADMISSION_TYPES = ("Emergency", "Urgent", "Elective")
ADMISSION_P = (0.45, 0.30, 0.25)
ADMISSION_STAY_FACTOR = (1.2, 1.0, 0.8)
ADMISSION_BASE_COST = (2500.0, 1500.0, 3500.0)
PRIVATE_INSURERS = ("Northwind Health", "Contoso Care", "Fabrikam Mutual", "Tailspin Assurance")

FIRST_ADMISSION = np.datetime64("2019-01-01")
LAST_ADMISSION = np.datetime64("2024-12-31")


def _age_weights() -> np.ndarray:
    """Hospital admissions by age: fewer children, most in late middle and old age."""
    ages = np.arange(0, 96)
    w = np.select([ages < 18, ages < 45, ages < 65, ages < 85], [0.35, 0.8, 1.25, 1.8], 1.0)
    return w / w.sum()


def _pick(rng: np.random.Generator, options, n: int, p=None) -> pa.Array:
    """``n`` draws from ``options`` as an Arrow string array (a take, not a Python loop)."""
    return _take(options, rng.choice(len(options), size=n, p=p))


def _take(options, index: np.ndarray) -> pa.Array:
    return pa.array(list(options), type=pa.string()).take(pa.array(index))


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")


def check_sample_size(rows: int, seed: int) -> None:
    """Refuse a row count or seed the generator cannot use, before any work."""
    if not 0 <= rows <= MAX_ROWS:
        raise InputError(f"the number of rows must be from 0 to {MAX_ROWS:,}, not {rows:,}",
                         hint="larger synthetic tables need more memory than a desktop has")
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"the seed must be a whole number from 0 to 2^128 - 1, not {seed}")


def generate_admissions(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` synthetic admissions with the columns in :data:`COLUMNS`, the same for a seed."""
    check_sample_size(rows, seed)
    rng = np.random.default_rng(seed)
    n = rows

    age = rng.choice(96, size=n, p=_age_weights())
    female = rng.random(n) < 0.51
    gender = _take(("Male", "Female"), female.astype(np.int64))
    given = pc.if_else(pa.array(female), _pick(rng, FEMALE_GIVEN_NAMES, n),
                       _pick(rng, MALE_GIVEN_NAMES, n))
    family = _pick(rng, SURNAMES, n)

    names = list(CONDITIONS)
    base = np.log([CONDITIONS[c][0] for c in names])
    slope = np.array([CONDITIONS[c][1] for c in names])
    condition_idx = np.empty(n, dtype=np.int64)
    for a in np.unique(age):
        rows_a = np.flatnonzero(age == a)
        logits = base + slope * (a - 50) / 20.0
        p = np.exp(logits - logits.max())
        condition_idx[rows_a] = rng.choice(len(names), size=len(rows_a), p=p / p.sum())
    condition = _take(names, condition_idx)

    adm_type_idx = rng.choice(3, size=n, p=ADMISSION_P)
    mean_stay = np.array([CONDITIONS[c][2] for c in names])[condition_idx]
    stay_mean = mean_stay * np.take(ADMISSION_STAY_FACTOR, adm_type_idx) * (1 + (age - 50) / 150)
    stay = np.clip(np.rint(rng.lognormal(np.log(stay_mean), 0.45)), 1, 60).astype(np.int64)

    span = int((LAST_ADMISSION - FIRST_ADMISSION).astype(int))
    admitted = FIRST_ADMISSION + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")
    discharged = admitted + stay.astype("timedelta64[D]")

    daily = np.array([CONDITIONS[c][3] for c in names])[condition_idx]
    billing = (np.take(ADMISSION_BASE_COST, adm_type_idx) + daily * stay) \
        * rng.lognormal(0.0, 0.18, size=n)
    billing = np.round(billing, 2)

    hospital_idx = rng.integers(0, len(HOSPITALS), size=n)
    hospital = _take([h for h, _ in HOSPITALS], hospital_idx)
    doctor_pool = _join("Dr. ", _pick(rng, FEMALE_GIVEN_NAMES + MALE_GIVEN_NAMES, 5 * len(HOSPITALS)),
                        " ", _pick(rng, SURNAMES, 5 * len(HOSPITALS)))
    doctor = doctor_pool.take(pa.array(hospital_idx * 5 + rng.integers(0, 5, size=n)))

    insurers = PRIVATE_INSURERS + ("Medicaid", "Self-pay", "Medicare")
    insurance_idx = rng.choice(6, size=n, p=(0.22, 0.2, 0.18, 0.15, 0.17, 0.08))
    insurance_idx[(age >= 65) & (rng.random(n) < 0.8)] = insurers.index("Medicare")
    insurance_idx[(age < 18) & (rng.random(n) < 0.35)] = insurers.index("Medicaid")
    insurance = _take(insurers, insurance_idx)

    all_meds = [m for c in names for m in CONDITIONS[c][4]]
    med_idx = np.empty(n, dtype=np.int64)
    abnormal = np.empty(n)
    offset = 0
    for i, c in enumerate(names):
        rows_c = np.flatnonzero(condition_idx == i)
        med_idx[rows_c] = offset + rng.integers(0, len(CONDITIONS[c][4]), size=len(rows_c))
        offset += len(CONDITIONS[c][4])
        abnormal[rows_c] = CONDITIONS[c][5]
    meds = _take(all_meds, med_idx)
    u = rng.random(n)
    results = _take(("Normal", "Inconclusive", "Abnormal"),
                    np.where(u < abnormal, 2, np.where(u < abnormal + (1 - abnormal) * 0.15, 1, 0)))

    birth = _birth_dates(rng, admitted, age)

    moved = rng.random(n) < 0.12
    zip_idx = np.where(moved, rng.integers(0, len(HOSPITALS), size=n), hospital_idx)
    zips = _join(_take([z for _, z in HOSPITALS], zip_idx), _digits(rng.integers(0, 100, size=n), 2))

    phone = _join("(", _pick(rng, AREA_CODES, n), ") 555-01",
                  _digits(rng.integers(0, 100, size=n), 2))
    email = _join(pc.utf8_lower(given), ".", pc.utf8_lower(family),
                  pc.cast(pa.array(rng.integers(1, 1000, size=n)), pa.string()), "@",
                  _pick(rng, ("example.org", "example.com", "example.net"), n))
    ssn = _join(_digits(rng.integers(900, 1000, size=n), 3), "-",
                _digits(rng.integers(1, 100, size=n), 2), "-",
                _digits(rng.integers(1, 10000, size=n), 4))

    table = pa.table({
        "Name": _join(given, " ", family),
        "Age": pa.array(age, pa.int64()),
        "Gender": gender,
        "Blood Type": _pick(rng, BLOOD_TYPES, n, p=BLOOD_P),
        "Medical Condition": condition,
        "Date of Admission": pa.array(admitted.astype("datetime64[s]")),
        "Doctor": doctor,
        "Hospital": hospital,
        "Insurance Provider": insurance,
        "Billing Amount": pa.array(billing, pa.float64()),
        "Room Number": pa.array(rng.integers(101, 500, size=n), pa.int64()),
        "Admission Type": _take(ADMISSION_TYPES, adm_type_idx),
        "Discharge Date": pa.array(discharged.astype("datetime64[s]")),
        "Medication": meds,
        "Test Results": results,
        "Date of Birth": pa.array(birth.astype("datetime64[s]")),
        "ZIP": zips,
        "Phone": phone,
        "Email": email,
        "SSN": ssn,
    })
    return table.to_pandas()


def _birth_dates(rng: np.random.Generator, admitted: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Birthdays such that the age on the admission day is exactly ``age``.

    A birthday (month, day) is drawn from a non-leap year; the birth year is admission year
    minus age, minus one more if this year's birthday had not yet come on the admission day.
    """
    n = len(age)
    day_of_year = rng.integers(0, 365, size=n)
    birthday = np.datetime64("2001-01-01") + day_of_year.astype("timedelta64[D]")
    b_month = birthday.astype("datetime64[M]").astype(int) % 12
    b_day = (birthday - birthday.astype("datetime64[M]")).astype(int)
    a_year = admitted.astype("datetime64[Y]").astype(int) + 1970
    a_month = admitted.astype("datetime64[M]").astype(int) % 12
    a_day = (admitted - admitted.astype("datetime64[M]")).astype(int)
    not_yet = (b_month > a_month) | ((b_month == a_month) & (b_day > a_day))
    year = a_year - age - not_yet
    months = (year - 1970) * 12 + b_month
    return months.astype("datetime64[M]").astype("datetime64[D]") + b_day.astype("timedelta64[D]")
