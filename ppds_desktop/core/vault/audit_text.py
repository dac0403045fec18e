"""Audit entries as sentences: ``audit_sentence(action, details)``.

The audit log stores an action code ("dataset.exported") and its details (names, counts,
parameters, never cell values); the Audit page shows this sentence instead ("Exported the
dataset “Sample admissions” (1,000 rows) to admissions.csv."). ``ppds vault audit --raw``
keeps the codes. An action this module does not know yet still reads as words.
"""

from __future__ import annotations

from typing import Any, Callable

from ..words import and_list

ROLE_WORDS = {"identifier": "identifier", "quasi_identifier": "quasi-identifier",
              "sensitive": "sensitive", "insensitive": "insensitive"}
PRESET_WORDS = {"hipaa_safe_harbor": "HIPAA Safe Harbor",
                "research_k_anonymity": "research k-anonymity", "expert": "expert"}
_BUNDLE_KINDS = {"release": "a release", "dataset": "a dataset"}


def _q(value) -> str:
    return f"“{value}”"


def _n(value, unit: str = "") -> str:
    """A count with group separators and its unit, pluralised."""
    if not isinstance(value, (int, float)):
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
    return text + (f" {unit}{'' if value == 1 else 's'}" if unit else "")


def _pct(value) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, (int, float)) else "unknown"


def _model(model) -> str:
    if not isinstance(model, dict) or not model:
        return "no privacy model"
    return ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                     for k, v in model.items())


def _budget(d: dict, total: bool = False) -> str:
    parts = []
    for key, symbol in (("epsilon", "ε"), ("rho", "ρ")):
        value = d.get(f"{key}_total" if total else key)
        if value:
            parts.append(f"{symbol} = {value:g}")
    return " and ".join(parts) or "nothing"


_SENTENCES: dict[str, Callable[[dict], str]] = {
    "vault.created": lambda d: "Created this vault.",
    "vault.migrated": lambda d: f"Updated the vault's format from version "
                                f"{d.get('from_version')} to {d.get('to_version')}.",
    "vault.format_upgraded": lambda d: "Upgraded the vault's encryption format.",
    "vault.passphrase_changed": lambda d: "Changed the passphrase.",
    "vault.recovered": lambda d: "Set a new passphrase with the recovery key.",
    "vault.backup": lambda d: f"Backed up the vault to {d.get('file')} "
                              f"({_n(round((d.get('bytes') or 0) / 1e6, 1))} MB).",
    "vault.restored": lambda d: f"Restored this vault from the backup {d.get('file')}.",
    "dataset.imported": lambda d: f"Imported {_q(d.get('dataset'))} from {d.get('file')} "
                                  f"({_n(d.get('rows'), 'row')}, {_n(d.get('columns'), 'column')}).",
    "dataset.stored": lambda d: f"Stored the dataset {_q(d.get('dataset'))} "
                                f"({_n(d.get('rows'), 'row')}, {_n(d.get('columns'), 'column')}).",
    "dataset.profiled": lambda d: f"Profiled {_q(d.get('dataset'))} and suggested roles for "
                                  f"{_n(d.get('roles'), 'column')}.",
    "dataset.exported": lambda d: f"Exported {_q(d.get('dataset'))} ({_n(d.get('rows'), 'row')}) "
                                  f"to {d.get('file')}" + (
                                      f", with the direct identifiers {and_list(d['identifiers'] or [])}."
                                      if d.get("identifiers") else "."),
    "dataset.renamed": lambda d: f"Renamed the dataset {_q(d.get('old'))} to {_q(d.get('new'))}.",
    "dataset.deleted": lambda d: f"Deleted the dataset {_q(d.get('dataset'))} "
                                 f"({_n(d.get('rows'), 'row')}).",
    "role.set": lambda d: f"Set the role of {d.get('column')} in {_q(d.get('dataset'))} to "
                          f"{ROLE_WORDS.get(d.get('role'), d.get('role'))}.",
    "release.created": lambda d: f"Saved the release {_q(d.get('release'))}.",
    "release.deidentified": lambda d: (
        f"De-identified {_n(d.get('rows_in'), 'row')} into the release {_q(d.get('release'))}"
        + (f" ({PRESET_WORDS.get(d.get('preset'), d.get('preset'))} preset)"
           if d.get("preset") else "")
        + f": {_n(d.get('rows_out'), 'row')} kept, {_n(d.get('suppressed'))} left out; "
          f"{_model(d.get('model'))}; highest re-identification risk {_pct(d.get('highest_risk'))}."),
    "release.exported": lambda d: f"Exported the release {_q(d.get('release'))} "
                                  f"({_n(d.get('rows'), 'row')}) to {d.get('file')}.",
    "release.risk_accepted": lambda d: (
        f"Accepted that the release {_q(d.get('release'))} can still identify people "
        f"(highest risk {_pct(d.get('highest_risk'))}) and {d.get('done', 'used')} it anyway."),
    "settings.risk_threshold": lambda d: f"Set the highest re-identification risk a release may "
                                         f"keep without a confirmation to {_pct(d.get('threshold'))}.",
    "pseudonym.lookup": lambda d: f"Looked up a pseudonym of {d.get('column')} in "
                                  f"{_q(d.get('dataset'))} ({_n(d.get('found'))} found).",
    "secret.stored": lambda d: f"Stored a new key {_q(d.get('name'))}.",
    "secret.replaced": lambda d: f"Replaced the key {_q(d.get('name'))}.",
    "dp.budget_set": lambda d: f"Set the privacy budget of {_q(d.get('dataset'))} to "
                               f"{_budget(d, total=True)}.",
    "dp.spend": lambda d: f"Spent {_budget(d)} of the privacy budget of {_q(d.get('dataset'))}.",
    "identity.create": lambda d: f"Created the identity {_q(d.get('display_name'))}.",
    "identity.export_card": lambda d: f"Saved this vault's identity card as {d.get('file')}.",
    "contact.add": lambda d: f"Added the contact {_q(d.get('contact'))} (not yet verified).",
    "contact.refresh": lambda d: f"Refreshed the card of {_q(d.get('contact'))}.",
    "contact.key_change": lambda d: f"Accepted new keys for {_q(d.get('contact'))}.",
    "contact.verify": lambda d: f"Verified the fingerprint of {_q(d.get('contact'))}.",
    "contact.rename": lambda d: f"Renamed the contact {_q(d.get('old'))} to {_q(d.get('new'))}.",
    "contact.remove": lambda d: f"Removed the contact {_q(d.get('contact'))}.",
    "bundle.seal": lambda d: (f"Sealed {_BUNDLE_KINDS.get(d.get('kind'), 'a bundle')} "
                              f"{_q(d.get('title'))} for {and_list(d.get('recipients') or [])}"
                              + (f" into {d.get('file')}." if d.get("file") else ".")),
    "bundle.import": lambda d: (f"Imported {_q(d.get('dataset'))} from a bundle sent by "
                                f"{d.get('sender')}" + (" (a second copy)." if d.get("replay")
                                                        else ".")),
    "he.keygen": lambda d: f"Generated the {d.get('bits')}-bit aggregation key "
                           f"{_q(d.get('name'))}"
                           + (" and put it on the identity card." if d.get("published") else "."),
    "he.answer": lambda d: (f"Decrypted {_n((d.get('cells') or 0) - (d.get('refused') or 0), 'cell')} "
                            f"of an aggregation request and refused {_n(d.get('refused'))}"
                            + (f", with noise (ε = {d['epsilon']:g})." if d.get("epsilon")
                               else ", without noise.")),
    "study.create": lambda d: (f"Drafted the study {_q(d.get('title'))}: "
                               f"{_n(d.get('sites'), 'site')}, any {d.get('threshold')} of "
                               f"{_n(d.get('holders'), 'key-share holder')} needed to decrypt."),
    "study.invite": lambda d: (f"Split the study's decryption key and wrote "
                               f"{_n(d.get('invitations'), 'invitation')}."),
    "study.join": lambda d: "Joined a study" + (" as a key-share holder." if d.get("holder")
                                                else "."),
    "study.round": lambda d: f"Opened round {d.get('round')} of a study.",
    "study.contribute": lambda d: (f"Sent encrypted statistics of {_q(d.get('dataset'))} to a "
                                   f"study (round {d.get('round')})"
                                   + (f", with noise (ε = {d['epsilon']:g})."
                                      if d.get("epsilon") else ", without noise.")),
    "study.combine": lambda d: (f"Combined the contributions of {_n(d.get('sites'), 'site')} "
                                f"and asked the key-share holders to decrypt the total."),
    "study.answer": lambda d: (f"Checked a study's decryption request over "
                               f"{_n(d.get('sites'), 'site')} and answered it as key-share "
                               f"holder {d.get('holder')}."),
    "study.finish": lambda d: (f"Decrypted a study's result with the answers of "
                               f"{_n(len(d.get('holders') or []), 'key-share holder')}."),
    "study.result": lambda d: "Received and checked a study's result.",
    "study.result_exported": lambda d: (f"Exported {_n(d.get('figures'), 'figure')} of a study's "
                                        f"result to {d.get('file')}."),
}


def _fallback(action: str, details: dict[str, Any]) -> str:
    """An action this module does not know: its code and details in words."""
    area, _, verb = action.partition(".")
    head = f"{area.replace('_', ' ').capitalize()}: {verb.replace('_', ' ') or 'recorded'}"
    shown = [f"{key.replace('_', ' ')} {value}" for key, value in details.items()
             if isinstance(value, (str, int, float)) and not isinstance(value, bool)
             and not key.endswith(("id", "fingerprint", "hash"))]
    return head + (f" ({'; '.join(shown)})" if shown else "") + "."


def audit_sentence(action: str, details: dict[str, Any] | None) -> str:
    """One audit entry as a sentence a data steward can read."""
    details = details or {}
    describe = _SENTENCES.get(action)
    if describe is None:
        return _fallback(action, details)
    try:
        return describe(details)
    except (TypeError, ValueError, KeyError):      # an older entry with other details
        return _fallback(action, details)
