"""A worked multi-party example of homomorphic aggregation, on synthetic admissions.

Three hospitals, a collector and a key holder each get their own vault and identity, exchange
identity cards (the key holder's card carries its Paillier public key), and each hospital
releases its Medical Condition / Gender / Admission Type columns in plaintext and Billing Amount
and Age encrypted under the key holder's key, sealed for the collector. Used by the demo step
and by the tests, so that the example the user sees is the one that is tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..core.sample import generate_admissions
from . import he, sharing

PLAINTEXT_COLUMNS = ["Medical Condition", "Gender", "Admission Type"]
ENCRYPTED_COLUMNS = ["Billing Amount", "Age"]
HOSPITAL_NAMES = ("Northbrook General", "Riverside Memorial", "Lakeview Community")


def encryption_section(key_holder: str, fingerprint: str, expected_records: int) -> dict:
    return {"columns": [{"name": "Billing Amount", "scale": 100, "max_abs": 1_000_000},
                        {"name": "Age", "scale": 1, "max_abs": 200}],
            "public_key": {"contact": key_holder, "fingerprint": fingerprint},
            "expected_records": expected_records}


@dataclass
class Party:
    name: str
    vault: object


@dataclass
class Scenario:
    workdir: Path
    key_holder: Party
    collector: Party
    hospitals: list[Party]
    originals: list[pd.DataFrame] = field(default_factory=list)   # for checking only
    bundles: list[Path] = field(default_factory=list)             # release bundles to collector

    def close(self) -> None:
        for p in [self.key_holder, self.collector, *self.hospitals]:
            p.vault.lock()


def _introduce(workdir: Path, reader: Party, owner: Party) -> None:
    card = sharing.export_identity_card(owner.vault, workdir / f"{owner.name}.ppdsid")
    contact = sharing.import_contact_card(reader.vault, card, name=owner.name)
    # In real life the fingerprint is read out over the phone; here both vaults are at hand.
    sharing.verify_contact(reader.vault, contact.name,
                           sharing.identity_or_none(owner.vault).fingerprint)


def build(workdir: Path, passphrase: str, *, rows: int = 120, bits: int = 2048,
          say: Callable[[str], None] = lambda s: None
          ) -> Scenario:
    from ..core.vault import Vault

    workdir.mkdir(parents=True, exist_ok=True)

    def party(name: str) -> Party:
        vault, _recovery = Vault.create(workdir / name / "vault.ppds", passphrase)
        sharing.init_identity(vault, name, name)
        return Party(name, vault)

    key_holder, collector = party("Key holder"), party("Collector")
    hospitals = [party(n) for n in HOSPITAL_NAMES]
    key = he.create_key(key_holder.vault, "study", bits=bits)
    say(f"Key holder made a {bits}-bit Paillier key, fingerprint {key.fingerprint}.")
    for h in hospitals:
        _introduce(workdir, h, key_holder)
        _introduce(workdir, h, collector)
        _introduce(workdir, collector, h)
    _introduce(workdir, collector, key_holder)
    _introduce(workdir, key_holder, collector)
    scenario = Scenario(workdir, key_holder, collector, hospitals)
    section = encryption_section(key_holder.name, key.fingerprint, rows * len(hospitals) * 10)
    for i, h in enumerate(hospitals):
        df = generate_admissions(rows, seed=100 + i)[PLAINTEXT_COLUMNS + ENCRYPTED_COLUMNS]
        scenario.originals.append(df)
        scenario.bundles.append(release_encrypted(h, df, section, collector.name,
                                                  workdir / f"{h.name}.ppdsb"))
    say(f"{len(hospitals)} hospitals released {rows} records each with "
        f"{', '.join(ENCRYPTED_COLUMNS)} encrypted, sealed for the collector.")
    return scenario


def release_encrypted(hospital: Party, df: pd.DataFrame, section: dict, recipient: str,
                      out_path: Path) -> Path:
    """The release step for this example: encrypt, store the release, seal it for a contact."""
    enc = he.encrypt_release_columns(hospital.vault, df, section, workers=1)
    name = f"{hospital.name} encrypted release"
    hospital.vault.put_release(name, "anonymized", output_df=enc.plaintext,
                               recipe={"encryption": section}, report={"encryption": enc.report},
                               files=enc.files)
    sharing.seal_for_contacts(hospital.vault, name, [recipient], out_path)
    return out_path
