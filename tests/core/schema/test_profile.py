"""Profiling: kinds, counts, and role suggestions with reasons from headers and from values."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest

from ppds_desktop.core.io import read_table
from ppds_desktop.core.schema import column_examples, profile_table, start_profile
from ppds_desktop.core.schema.pii import normalise_header, suggest_role
from ppds_desktop.core.schema.profile import DatasetProfile
from ppds_desktop.paths import sample_csv

EXPECTED_SAMPLE_ROLES = {
    "Name": "identifier", "Age": "quasi_identifier", "Gender": "quasi_identifier",
    "Blood Type": "sensitive", "Medical Condition": "sensitive",
    "Date of Admission": "quasi_identifier", "Doctor": "quasi_identifier",
    "Hospital": "quasi_identifier", "Insurance Provider": "insensitive",
    "Billing Amount": "sensitive", "Room Number": "insensitive", "Admission Type": "insensitive",
    "Discharge Date": "quasi_identifier", "Medication": "sensitive", "Test Results": "sensitive",
    "Date of Birth": "quasi_identifier", "ZIP": "quasi_identifier", "Phone": "identifier",
    "Email": "identifier", "SSN": "identifier",
}


@pytest.fixture(scope="module")
def sample_profile() -> DatasetProfile:
    return profile_table(read_table(sample_csv()).table)


def test_sample_roles_kinds_and_counts(sample_profile):
    p = sample_profile
    assert p.rows == 1000
    assert p.roles() == EXPECTED_SAMPLE_ROLES
    kinds = {c.name: c.kind for c in p.columns}
    assert kinds["Age"] == "integer" and kinds["Billing Amount"] == "decimal"
    assert kinds["Date of Birth"] == "date" and kinds["Gender"] == "categorical"
    assert kinds["Email"] == "text" and kinds["ZIP"] == "text"
    gender = p.column("Gender")
    assert (gender.distinct, gender.missing, gender.missing_share) == (2, 0, 0.0)
    assert set(gender.examples) == {"Female", "Male"}
    email = p.column("Email")
    assert email.category == "email" and "the column name" in email.reason and "100%" in email.reason


@pytest.mark.parametrize("worker_free", [False, True], ids=["worker busy", "worker free"])
def test_started_profile_is_finished_by_whichever_thread_is_free(sample_profile, worker_free):
    """The importer starts the profile on a pool, writes, then finishes the profile itself:
    with the worker busy the calling thread does every column; either way the result is the
    same, in column order."""
    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        if not worker_free:
            pool.submit(gate.wait)
        try:
            profile = start_profile(read_table(sample_csv()).table, pool)()
        finally:
            gate.set()
    assert profile == sample_profile


def test_stored_profile_has_no_example_values(sample_profile):
    stored = sample_profile.to_dict()
    assert all("examples" not in c for c in stored["columns"])
    assert "@example" not in str(stored)
    again = DatasetProfile.from_dict(stored)
    assert again.roles() == sample_profile.roles()


def test_missing_share_counts_nulls_and_nan():
    t = pa.table({"x": pa.array([1.0, None, float("nan"), 4.0]), "y": ["a", None, None, None]})
    p = profile_table(t)
    assert p.column("x").missing == 2 and p.column("x").missing_share == 0.5
    assert p.column("y").missing_share == 0.75 and p.column("y").distinct == 1


def _text(values):
    return pa.array(values, pa.string())


@pytest.mark.parametrize("header, values, role, category", [
    # values alone give the role away, whatever the header says
    ("contact", [f"user{i}@mail.example.com" for i in range(50)], "identifier", "email"),
    ("field7", [f"{900 + i % 99}-12-{1000 + i}" for i in range(50)], "identifier", "national_id"),
    ("col", [f"+31 6 {1000 + i} {2000 + i}" for i in range(50)], "identifier", "phone"),
    ("x", [f"10.0.{i}.{i}" for i in range(50)], "identifier", "ip_address"),
    ("site", [f"https://example.org/p/{i}" for i in range(50)], "identifier", "url"),
    ("acct", [f"NL{10 + i % 80}ABNA04171{i:05d}" for i in range(50)], "identifier", "bank_account"),
    ("hw", [f"00:1A:2B:3C:4D:{i:02X}" for i in range(50)], "identifier", "device_id"),
    ("Kenteken", None, "identifier", "device_id"),
    ("Device ID", None, "identifier", "device_id"),
    ("Patient photo", None, "identifier", "biometric"),
    ("who", ["Mary Smith", "John Doe", "Dr. Anna Jones", "Peter van Dijk", "Linda Park"] * 10,
     "identifier", "person_name"),
    ("where", [f"{i} Baker Street" for i in range(1, 51)], "identifier", "address"),
    ("woonadres", ["Kerkstraat 12", "Hauptstraße 5", "Rue de Rivoli 3", "Calle Mayor 7"] * 10,
     "identifier", "address"),
    ("code", [f"SW1A {i % 9 + 1}AA" for i in range(50)], "quasi_identifier", "postcode"),
    ("ref", [f"MRN{100000 + i}" for i in range(50)], "identifier", "record_number"),
    ("s", ["M", "F", "F", "M", "X"] * 10, "quasi_identifier", "gender"),
    # headers in several languages
    ("Geboortedatum", None, "quasi_identifier", "date_of_birth"),
    ("E-Mail-Adresse", None, "identifier", "email"),
    ("Postleitzahl", None, "quasi_identifier", "postcode"),
    ("patient_id", None, "identifier", "record_number"),
    ("Numéro de sécurité sociale", None, "identifier", "national_id"),
    ("Straße", None, "identifier", "address"),
    ("Diagnose", None, "sensitive", "health"),
    ("Drug name", None, "sensitive", "health"),
    ("Ethnicity", None, "quasi_identifier", "demographic"),
    ("Religion", None, "sensitive", "beliefs"),
    ("Woonplaats", None, "quasi_identifier", "location"),
])
def test_detector(header, values, role, category):
    sample = _text(values) if values is not None else None
    n = len(values) if values is not None else 100
    distinct = len(set(values)) if values is not None else 10
    s = suggest_role(header, "text" if values else "categorical", sample, distinct, n)
    assert (s.role, s.category) == (role, category), s.reason
    for v in values or []:
        assert v not in s.reason


def test_header_wins_for_clinicians_but_not_over_unmistakable_values():
    names = _text(["Dr. Mary Smith", "Dr. John Doe"] * 30)
    assert suggest_role("Doctor", "categorical", names, 2, 60).role == "quasi_identifier"
    emails = _text([f"a{i}@example.org" for i in range(60)])
    s = suggest_role("Room", "text", emails, 60, 60)
    assert s.role == "identifier" and s.category == "email"


def test_structural_clues():
    unique = suggest_role("Ref", "integer", None, 1000, 1000)
    assert unique.role == "identifier" and "100% of values are unique" in unique.reason
    notes = _text(["Patient seen today, complains of mild pain in the left knee"] * 30)
    free = suggest_role("Notes", "text", notes, 30, 30, mean_words=11)
    assert free.role == "identifier" and "free text" in free.reason
    when = suggest_role("Col9", "date", None, 30, 300)
    assert when.role == "quasi_identifier"
    other = suggest_role("Colour", "categorical", _text(["red", "blue"] * 20), 2, 40)
    assert other.role == "insensitive" and other.category is None


def test_header_normalisation():
    assert normalise_header("DateOfBirth") == "date of birth"
    assert normalise_header(" date_of-birth ") == "date of birth"
    assert normalise_header("Straße") == "strasse"
    assert normalise_header("Prénom") == "prenom"


def test_profile_samples_large_tables_but_counts_exactly():
    n = 200_000
    t = pa.table({"id": pa.array(range(n), pa.int64()),
                  "grp": pa.array([f"g{i % 7}" for i in range(n)], pa.string())})
    p = profile_table(t)
    assert p.column("id").distinct == n and p.column("id").role == "identifier"
    assert p.column("grp").distinct == 7 and p.column("grp").kind == "categorical"


def test_new_detector_categories_map_to_safe_harbor_types():
    """Columns found only by their values (neutral headers) still get the right Safe Harbor type."""
    from ppds_desktop.core.recipe.presets import hipaa_checklist, hipaa_safe_harbor

    t = pa.table({"c1": _text([f"https://example.org/p/{i}" for i in range(50)]),
                  "c2": _text([f"NL{10 + i % 80}ABNA04171{i:05d}" for i in range(50)]),
                  "c3": _text([f"00:1A:2B:3C:4D:{i:02X}" for i in range(50)]),
                  "Face scan": _text([f"v{i % 5}" for i in range(50)])})
    kinds = {c.name: c.category for c in profile_table(t).columns}
    assert kinds == {"c1": "url", "c2": "bank_account", "c3": "device_id",
                     "Face scan": "biometric"}
    recipe = hipaa_safe_harbor(t.column_names, kinds=kinds)
    expected = {"c1": "url", "c2": "account", "c3": "device", "Face scan": "biometric"}
    assert {c: recipe["columns"][c]["hipaa"] for c in t.column_names} == expected
    assert all(recipe["columns"][c]["action"]["type"] == "drop" for c in t.column_names)
    status = {i["category"]: (i["status"], i["columns"])
              for i in hipaa_checklist(recipe, kinds=kinds)["items"]}
    for column, category in expected.items():
        assert status[category] == ("done", [column])


def test_column_examples_are_the_profiles_examples():
    """The Datasets page asks for examples alone; they must be what a full profile shows."""
    table = read_table(sample_csv()).table
    profile = profile_table(table)
    assert column_examples(table) == {c.name: c.examples for c in profile.columns}
    assert all(column_examples(table).values())
