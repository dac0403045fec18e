"""import_file: one transaction, roles (suggested or the user's), profile, audit without values."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from ppds_desktop.core.errors import Cancelled, InputError
from ppds_desktop.core.progress import TaskState
from ppds_desktop.services import datasets
from ppds_desktop.demo import DemoContext
from ppds_desktop.demo.steps import import_step
from ppds_desktop.paths import sample_csv


def test_import_sample_stores_data_roles_profile_and_audit(vault):
    info = datasets.import_file(vault, sample_csv(), roles={"Hospital": "insensitive"})
    assert (info.name, info.n_rows, info.n_cols) == ("sample_admissions", 1000, 20)
    table = vault.load_arrow(info.id)
    assert table.column("ZIP").type == pa.string() and table.column("ZIP")[0].as_py() == "85239"
    assert table.column("Age").type == pa.int64()
    roles = vault.roles(info.id)
    assert roles["Hospital"].role == "insensitive" and roles["Hospital"].confirmed
    assert roles["SSN"].role == "identifier" and not roles["SSN"].confirmed
    assert "national identity numbers" in roles["SSN"].reason
    assert info.source["file"] == "sample_admissions.csv"
    assert info.source["options"]["delimiter"] == ","
    assert {c["name"]: c["role"] for c in info.profile["columns"]}["SSN"] == "identifier"
    entry = vault.audit_entries()[-1]
    assert entry.action == "dataset.imported"
    assert entry.details["file"] == "sample_admissions.csv"
    assert (entry.details["rows"], entry.details["columns"]) == (1000, 20)
    everything = json.dumps([e.details for e in vault.audit_entries()]) + json.dumps(info.profile)
    first_row = sample_csv().read_text(encoding="utf-8").splitlines()[1]
    for value in first_row.replace('"', "").split(","):
        if len(value) > 4:   # names, e-mail, SSN, phone, dates...
            assert value not in everything


def test_default_name_does_not_clash_and_explicit_name_is_kept(vault):
    a = datasets.import_file(vault, sample_csv())
    b = datasets.import_file(vault, sample_csv())
    c = datasets.import_file(vault, sample_csv(), name="mine")
    assert (a.name, b.name, c.name) == ("sample_admissions", "sample_admissions (2)", "mine")


def test_bad_roles_import_nothing(vault):
    before = len(vault.audit_entries())
    with pytest.raises(InputError, match="no column 'Nope'"):
        datasets.import_file(vault, sample_csv(), roles={"Nope": "identifier"})
    with pytest.raises(InputError, match="'secret' is not a column role"):
        datasets.import_file(vault, sample_csv(), roles={"Age": "secret"})
    assert vault.list_datasets() == [] and len(vault.audit_entries()) == before


@pytest.mark.parametrize("cancel_at", [0.7, 0.97],
                         ids=["during the store", "while the profile finishes"])
def test_cancel_leaves_vault_unchanged(vault, cancel_at):
    """The profile runs beside the store; a Cancel even after the data is written rolls back."""
    seen = []

    def on_progress(fraction, message):
        seen.append(fraction)
        if fraction >= cancel_at:
            task.cancel()

    task = TaskState(on_progress)
    before = len(vault.audit_entries())
    with pytest.raises(Cancelled):
        datasets.import_file(vault, sample_csv(), task=task)
    assert vault.list_datasets() == [] and len(vault.audit_entries()) == before
    assert vault._query("SELECT count(*) FROM dataset_chunks") == [(0,)]
    assert seen == sorted(seen)       # progress only moves forward


def test_profile_dataset_shows_saved_roles_and_examples(vault):
    info = datasets.import_file(vault, sample_csv())
    vault.set_role(info.id, "Room Number", "quasi_identifier")
    profile = datasets.profile_dataset(vault, info.name)
    col = profile.column("Room Number")
    assert (col.role, col.reason) == ("quasi_identifier", "set by the user")
    assert profile.column("Gender").examples


def test_import_limits_come_from_vault_settings(vault, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1," + "y" * 200 + "\n", encoding="utf-8")
    vault.set_setting(datasets.FIELD_LIMIT_SETTING, 100)
    with pytest.raises(InputError, match="longer than the limit of 100 bytes"):
        datasets.import_file(vault, path)
    vault.set_setting(datasets.FIELD_LIMIT_SETTING, 1000)
    assert datasets.import_file(vault, path).n_rows == 1


def test_demo_step_imports_the_sample(vault, tmp_path):
    said = []
    ctx = DemoContext(workdir=tmp_path, say=said.append, vault=vault)
    import_step(ctx)
    assert ctx.state["sample"].n_rows == 1000
    assert any("1,000 rows, 20 columns" in s for s in said)
    assert any("SSN" in s and "identifier" in s for s in said)


def test_import_then_export_gives_back_the_same_file(vault, tmp_path):
    info = datasets.import_file(vault, sample_csv())
    out = datasets.export_dataset(vault, info.name, tmp_path / "again.csv",
                                  allow_identifiers=True, bom=False)
    assert out.read_bytes() == sample_csv().read_bytes()
