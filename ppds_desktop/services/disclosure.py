"""Checks before data leaves the vault or becomes a release, shared by every way out.

Saving a release, exporting a dataset and sealing a bundle all call these, from the GUI and the
CLI alike: data that still has direct identifiers needs ``allow_identifiers``; a release that
meets no privacy model or whose highest re-identification risk is above the vault's threshold
needs ``accept_risk``, and going ahead is written to the audit log with the risk figures.
The GUI asks its question first and passes the answer; the CLI passes its flags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import ConfirmationNeeded, InputError, NotFound
from ..core.recipe.document import IDENTIFIER_ACTIONS
from ..core.risk import DEFAULT_THRESHOLD, ReleaseVerdict, release_verdict
from ..core.vault import ReleaseInfo

if TYPE_CHECKING:
    from ..core.vault import Vault

RISK_THRESHOLD_SETTING = "release.risk_threshold"

__all__ = ["RISK_THRESHOLD_SETTING", "audit_risk_accepted", "check_identifiers",
           "check_release_risk", "identifier_columns", "require_risk_accepted", "risk_threshold",
           "saved_release_verdict", "set_risk_threshold", "verdict"]


# -- the vault's risk threshold -----------------------------------------------------------------

def risk_threshold(vault: Vault | None = None) -> float:
    """The highest re-identification risk a release may keep without an acknowledgement:
    the vault's setting, 1/5 (20 %) by default and without a vault."""
    if vault is None:
        return DEFAULT_THRESHOLD
    try:
        value = float(vault.get_setting(RISK_THRESHOLD_SETTING, DEFAULT_THRESHOLD))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return value if 0 < value <= 1 else DEFAULT_THRESHOLD


def set_risk_threshold(vault: Vault, value: float) -> float:
    """Change the vault's threshold (audited); 0 < value ≤ 1, e.g. 0.2 for 1 in 5."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"the risk threshold must be a number, got {value!r}") from None
    if not 0 < value <= 1:
        raise InputError(f"the risk threshold must be above 0 % and at most 100 %, got "
                         f"{value:.0%}")
    with vault.transaction():
        vault.set_setting(RISK_THRESHOLD_SETTING, value)
        vault.audit("settings.risk_threshold", threshold=value)
    return value


# -- releases whose risk stayed high ------------------------------------------------------------

def verdict(report: dict, vault: Vault | None = None) -> ReleaseVerdict:
    """The verdict on a release report under the vault's threshold."""
    return release_verdict(report, risk_threshold(vault))


def _release_of(vault: Vault, ref) -> ReleaseInfo | None:
    """The release ``ref`` is (a ``ReleaseInfo``, or a release's name, uid or id), else the
    release that wrote the dataset ``ref`` names (by the dataset's name, uid or id), else None;
    NotFound if ``ref`` names neither."""
    if isinstance(ref, ReleaseInfo):
        return ref
    try:
        return vault.release_info(ref)
    except NotFound:
        info = vault.dataset_info(ref)
    return vault.releases.writer_of(info.id) if info.kind == "release" else None


def saved_release_verdict(vault: Vault, ref) -> tuple[str, ReleaseVerdict] | None:
    """(release name, verdict) for a stored de-identification release, or for the dataset it
    wrote; None for anything else (raw data, DP statistics)."""
    try:
        release = _release_of(vault, ref)
    except NotFound:
        return None
    if release is None:
        return None
    report = release.report or {}
    if "risk" not in report or "model" not in report:
        return None
    return release.name, verdict(report, vault)


def require_risk_accepted(name: str, release: ReleaseVerdict, *, accept_risk: bool) -> None:
    """Refuse a release that is not safe unless ``accept_risk`` (nothing is audited: see
    :func:`check_release_risk`)."""
    if not release.safe and not accept_risk:
        raise ConfirmationNeeded(f"{name!r} can still identify people: "
                                 + " ".join(release.problems()), option="--accept-risk")


def audit_risk_accepted(vault: Vault, name: str, release: ReleaseVerdict, *, doing: str) -> None:
    """Record that the user went ahead with a release that is not safe, with its figures."""
    if not release.safe:
        vault.audit("release.risk_accepted", release=name, done=doing, **release.figures())


def check_release_risk(vault: Vault, name: str, release: ReleaseVerdict, *, accept_risk: bool,
                       doing: str) -> None:
    """Refuse ``doing`` (e.g. "saved") a release that is not safe unless ``accept_risk``;
    when accepted, audit it with the risk figures."""
    require_risk_accepted(name, release, accept_risk=accept_risk)
    audit_risk_accepted(vault, name, release, doing=doing)


# -- direct identifiers ---------------------------------------------------------------------------

def identifier_columns(vault: Vault, ref) -> list[str]:
    """Direct identifiers that would leave with ``ref`` as they are: for a dataset, its
    columns marked (or suggested at import) as identifiers; for a release (or the dataset it
    wrote), the source's identifier columns still in the released table that its recipe did
    not drop, mask, fix or pseudonymize (a recipe that never mentions them, or a perturbation
    run, keeps them)."""
    release = _release_of(vault, ref)
    if release is None:
        return [col for col, role in vault.roles(ref).items() if role.role == "identifier"]
    if release.output_dataset_id is None or release.source_dataset_id is None:
        return []
    try:
        source_roles = vault.roles(release.source_dataset_id)
    except NotFound:                       # the source was deleted since: nothing to compare
        return []
    released = set(vault.dataset_info(release.output_dataset_id).columns)
    specs = (release.recipe or {}).get("columns") or {}
    found = []
    for col, role in source_roles.items():
        spec = specs.get(col) or {}
        action = (spec.get("action") or {}).get("type", "keep")
        if (spec.get("role", role.role) == "identifier" and col in released
                and action not in IDENTIFIER_ACTIONS):
            found.append(col)
    return found


def check_identifiers(vault: Vault, ref: str, *, allow_identifiers: bool, doing: str) -> list[str]:
    """Refuse ``doing`` (e.g. "sealing it would send") data that still has direct
    identifiers unless ``allow_identifiers``; returns those identifiers (for the audit)."""
    identifiers = identifier_columns(vault, ref)
    if identifiers and not allow_identifiers:
        raise ConfirmationNeeded(f"{ref!r} still has direct identifiers "
                                 f"({', '.join(identifiers)}); {doing} them as they are.",
                                 option="--allow-identifiers")
    return identifiers


def export_warnings(vault: Vault, ref: str) -> list[str]:
    """What the user must agree to before ``ref`` leaves the vault, in plain sentences (what
    :func:`check_identifiers` and :func:`require_risk_accepted` would otherwise refuse);
    the GUI asks with these, then passes its yes as ``allow_identifiers`` / ``accept_risk``."""
    out = []
    identifiers = identifier_columns(vault, ref)
    if identifiers:
        out.append(f"It still has direct identifiers ({', '.join(identifiers)}): the file "
                   f"will hold them as they are.")
    risky = saved_release_verdict(vault, ref)
    if risky is not None and not risky[1].safe:
        out.append("This release can still identify people. " + " ".join(risky[1].problems()))
    return out
