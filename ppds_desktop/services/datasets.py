"""Use cases for data: preview and import a file, profile, export. Called by the GUI and the CLI.

An import is read → profile and store, and the store (data, roles, profile, audit entries) is
one vault transaction: a bad file or a Cancel leaves the vault as it was. Audit entries and stored
profiles carry names and counts only, never cell values.
"""

from __future__ import annotations

import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..core.errors import InputError
from ..core.io import ParseOptions, Preview, ReadLimits, ReadResult, read_table, write_table
from ..core.io import preview as preview_file
from ..core.io.filenames import safe_file_name
from ..core.io.writer import as_arrow, export_format  # noqa: F401 - for the table view, ppds perturb
from ..core.progress import TaskState, ensure_task
from ..core.schema import DatasetProfile, column_examples, profile_table, start_profile
from ..core.vault import ColumnRole, DatasetInfo
from ..core.vault.datasets import check_role
from . import disclosure
from .demo_rails import check_demo_import

if TYPE_CHECKING:
    from ..core.vault import Vault

FILE_LIMIT_SETTING = "import.max_file_bytes"
FIELD_LIMIT_SETTING = "import.max_field_bytes"


def read_limits(vault: Vault | None = None) -> ReadLimits:
    """The size limits, as set in the vault's settings (defaults otherwise)."""
    default = ReadLimits()
    if vault is None:
        return default
    return ReadLimits(
        max_file_bytes=int(vault.get_setting(FILE_LIMIT_SETTING, default.max_file_bytes)),
        max_field_bytes=int(vault.get_setting(FIELD_LIMIT_SETTING, default.max_field_bytes)))


def preview(path, options: ParseOptions | None = None, rows: int = 100,
            limits: ReadLimits | None = None, task: TaskState | None = None) -> Preview:
    """The first rows of a file with detected parse options, for the import wizard.

    Only the first megabyte is read, so this is quick; ``task`` is accepted so the GUI can run
    it on its worker like every other use case.
    """
    ensure_task(task).report(0.0, "reading the first rows")
    return preview_file(Path(path), options, rows=rows, limits=limits)


@dataclass(frozen=True)
class ProfiledRead:
    """A file read into memory and profiled, not stored: what the import wizard shows on its
    roles page and then stores with :func:`store_read`, so the file is read only once."""

    result: ReadResult
    profile: DatasetProfile


def read_and_profile(path, options: ParseOptions | None = None,
                     limits: ReadLimits | None = None,
                     task: TaskState | None = None) -> ProfiledRead:
    """Read a file (nothing is stored) and profile it; the profile includes example values."""
    task = ensure_task(task)
    result = read_table(Path(path), options, limits, task.sub(0.0, 0.7))
    return ProfiledRead(result, profile_table(result.table, task.sub(0.7, 1.0)))


def profile_file(path, options: ParseOptions | None = None, limits: ReadLimits | None = None,
                 task: TaskState | None = None) -> DatasetProfile:
    """The profile of a file, with example values; nothing is stored."""
    return read_and_profile(path, options, limits, task).profile


def profile_dataset(vault: Vault, ref, task: TaskState | None = None) -> DatasetProfile:
    """Profile a stored dataset, showing the roles saved in the vault rather than suggestions."""
    task = ensure_task(task)
    table = vault.load_arrow(ref, task=task.sub(0.0, 0.5))
    profile = profile_table(table, task.sub(0.5, 1.0))
    for column, saved in vault.roles(ref).items():
        col = profile.column(column)
        col.role, col.reason = saved.role, saved.reason or "set by the user"
    return profile


def free_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``… — the first name not in ``taken``.

    Used where the user did not choose the name (an import named after its file, a bundle
    named after its title), so a second import does not fail on a taken name.
    """
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted} ({n})", n + 1
    return name


def free_dataset_name(vault: Vault, wanted: str) -> str:
    """A dataset name no stored dataset has yet (see :func:`free_name`)."""
    return free_name(wanted, {d.name for d in vault.list_datasets()})


def _check_roles(columns: list[str], roles: Mapping[str, str] | None) -> None:
    """Refuse the user's roles before the long read and store, not after them."""
    for column, role in (roles or {}).items():
        if column not in columns:
            raise InputError(f"there is no column {column!r} to give the role {role!r}")
        check_role(role, column)


def _merge_roles(profile: DatasetProfile, roles: Mapping[str, str] | None) -> dict[str, ColumnRole]:
    """Suggested roles (unconfirmed, with their reason), overridden by the user's (confirmed,
    already checked by :func:`_check_roles`)."""
    merged = {c.name: ColumnRole(c.role, c.reason, False) for c in profile.columns}
    for column, role in (roles or {}).items():
        merged[column] = ColumnRole(role, "set by the user", True)
    return merged


def import_file(vault: Vault, path, name: str | None = None, options: ParseOptions | None = None,
                roles: Mapping[str, str] | None = None, *, demo_confirmed: bool = False,
                task: TaskState | None = None) -> DatasetInfo:
    """Read, profile and store a file as a new dataset, all or nothing.

    ``roles`` (column → role) override the suggested roles; suggestions are stored unconfirmed
    with their reason so the user can review them later. The public demo vault takes only the
    bundled sample unless ``demo_confirmed`` (see :mod:`.demo`).

    The profile is computed on the other CPUs while this thread writes the data (both are
    mostly C++ work, which releases the GIL); once the data is written, this thread profiles
    the columns still waiting (see :func:`~ppds_desktop.core.schema.start_profile`),
    so neither side leaves a CPU idle while the other finishes. The profile is stored in the
    same transaction; after a failed or cancelled store, its queued columns are dropped.
    """
    task = ensure_task(task)
    path = Path(path)
    if path.is_file():                     # refused before the long read, not after it
        check_demo_import(vault, path.name, path.stat().st_size, confirmed=demo_confirmed)
    result = read_table(path, options, read_limits(vault), task.sub(0.0, 0.45))
    return store_read(vault, result, name=name, roles=roles, demo_confirmed=demo_confirmed,
                      task=task.sub(0.45, 1.0))


def store_read(vault: Vault, result: ReadResult, name: str | None = None,
               roles: Mapping[str, str] | None = None, profile: DatasetProfile | None = None,
               *, demo_confirmed: bool = False, task: TaskState | None = None) -> DatasetInfo:
    """Store a file already read (and, if ``profile`` is given, already profiled) as a new
    dataset, all or nothing; see :func:`import_file`."""
    task = ensure_task(task)
    check_demo_import(vault, result.file_name, result.file_bytes, confirmed=demo_confirmed)
    _check_roles(result.table.column_names, roles)
    source = {"file": result.file_name, "format": result.format, "bytes": result.file_bytes,
              "options": result.options.to_dict(), "date_formats": result.date_formats}
    pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) - 1))
    try:
        finish_profile = None if profile is not None else start_profile(result.table, pool)
        with vault.transaction():
            # NFC: macOS gives file names decomposed (e + combining accent), which would
            # look the same as, but not equal, a name typed on another system.
            dataset_name = unicodedata.normalize(
                "NFC", name if name is not None
                else free_dataset_name(vault, unicodedata.normalize(
                    "NFC", Path(result.file_name).stem)))
            info = vault.put_dataset(dataset_name, result.table, kind="imported",
                                     source=source, task=task.sub(0.0, 0.95))
            if finish_profile is not None:
                profile = finish_profile(task.sub(0.95, 0.99))
            info = vault.set_profile(info.id, profile.to_dict(examples=False),
                                     _merge_roles(profile, roles))
            vault.audit("dataset.imported", dataset=info.name, uid=info.uid,
                        file=result.file_name, format=result.format, rows=info.n_rows,
                        columns=info.n_cols)
            task.report(1.0, f"imported {info.n_rows:,} rows")   # last chance to cancel
    finally:
        pool.shutdown(cancel_futures=True)   # a failed store drops the columns still queued
    return info


def export_dataset(vault: Vault, ref, dest, fmt: str | None = None, *,
                   allow_identifiers: bool = False, accept_risk: bool = False, bom: bool = True,
                   task: TaskState | None = None) -> Path:
    """Write a stored dataset to ``dest`` (CSV, .xlsx or Parquet by extension, or ``fmt``).

    The rules of sealing apply (:mod:`.disclosure`): data with direct identifiers needs
    ``allow_identifiers``, a release that can still identify people needs ``accept_risk``.
    The file appears whole or not at all, owner-only; text cells that a spreadsheet would run
    as formulas are escaped (see :mod:`ppds_desktop.core.io.writer`); CSV starts with a UTF-8
    byte-order mark for spreadsheets unless ``bom`` is false. The export is audited.
    """
    task = ensure_task(task)
    info = vault.dataset_info(ref)
    identifiers = disclosure.check_identifiers(vault, info.name,
                                               allow_identifiers=allow_identifiers,
                                               doing="exporting it would write")
    risky = disclosure.saved_release_verdict(vault, info.name) if info.kind == "release" else None
    if risky is not None:
        disclosure.require_risk_accepted(*risky, accept_risk=accept_risk)
    table = vault.load_arrow(info.id, task=task.sub(0.0, 0.4))
    return _write_export(vault, info, table, dest, fmt, identifiers=identifiers, risky=risky,
                         bom=bom, task=task.sub(0.4, 1.0))


def _write_export(vault: Vault, info: DatasetInfo, table, dest, fmt: str | None, *,
                  identifiers: list[str], risky, bom: bool = True,
                  task: TaskState | None = None) -> Path:
    """Write ``table`` (the data of ``info``) to ``dest`` and audit it, once the rules of
    :func:`export_dataset` are passed: ``identifiers`` are the direct identifiers it holds,
    ``risky`` the (release name, verdict) of a release, else None. Apart so that a caller
    holding the table (``ppds perturb``) need not read it back from the vault."""
    out = write_table(table, Path(dest), fmt=fmt, task=task, bom=bom)
    with vault.transaction():
        if risky is not None:
            disclosure.audit_risk_accepted(vault, *risky, doing="exported")
        vault.audit("dataset.exported", dataset=info.name, uid=info.uid, file=out.name,
                    format=fmt or out.suffix.lstrip(".").lower(), rows=info.n_rows,
                    identifiers=identifiers)
    return out


def export_file_name(name: str, suffix: str = ".csv") -> str:
    """The file name proposed for exporting the dataset ``name`` (release names carry times
    with ``:``, users type ``/``): valid on Windows, macOS and Linux."""
    return safe_file_name(name, suffix)


def export_csv(vault: Vault, ref, dest, task: TaskState | None = None, *, bom: bool = True) -> Path:
    """:func:`export_dataset` as CSV whatever the file name."""
    return export_dataset(vault, ref, dest, fmt="csv", task=task, bom=bom)


def write_sample(dest, rows: int, seed: int = 0, task: TaskState | None = None, *,
                 bom: bool = True) -> Path:
    """Write ``rows`` synthetic admissions (no real people; see :mod:`core.sample`) to
    ``dest``; the row count, seed, file type and folder are checked before any work."""
    from ..core.sample import check_sample_size, generate_admissions

    check_sample_size(rows, seed)
    export_format(Path(dest))
    if not Path(dest).parent.is_dir():
        raise InputError("the destination folder does not exist", path=str(Path(dest).parent))
    return write_table(generate_admissions(rows, seed=seed), Path(dest), task=task, bom=bom)


def sample_admissions(rows: int, seed: int | None = None):
    """Synthetic admissions (no real people): ``ppds sample``, the demo and tests."""
    from ..core.sample import generate_admissions

    return generate_admissions(rows, seed=seed)


def sample_conditions() -> list[str]:
    """The medical conditions the synthetic sample draws from, in its order."""
    from ..core.sample import CONDITIONS

    return list(CONDITIONS)
