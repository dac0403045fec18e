"""A worked multi-party example of homomorphic aggregation, on synthetic admissions.

Three hospitals, a collector and a key holder each get their own vault and identity, exchange
identity cards (the key holder's card carries its Paillier public key), and each hospital
releases its Medical Condition / Gender / Admission Type / Date of Admission columns in plaintext
and Billing Amount and Age encrypted under the key holder's key, sealed for the collector and the
key holder (who re-computes every cell it is asked to decrypt from these signed bundles). Used by the demo's last step
and by the tests, so that the example the user sees is the one that is tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ..services import datasets, he, release, sharing, vault_ops
from ..services.demo import DEMO_PASSPHRASE

PLAINTEXT_COLUMNS = ["Medical Condition", "Gender", "Admission Type", "Date of Admission"]
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
    workdir.mkdir(parents=True, exist_ok=True)

    def party(name: str) -> Party:
        vault, _recovery = vault_ops.create_vault(workdir / name / "vault.ppds", passphrase)
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
        _introduce(workdir, key_holder, h)
    _introduce(workdir, collector, key_holder)
    _introduce(workdir, key_holder, collector)
    scenario = Scenario(workdir, key_holder, collector, hospitals)
    section = encryption_section(key_holder.name, key.fingerprint, rows * len(hospitals) * 10)
    for i, h in enumerate(hospitals):
        df = datasets.sample_admissions(rows, seed=100 + i)[PLAINTEXT_COLUMNS + ENCRYPTED_COLUMNS]
        scenario.originals.append(df)
        scenario.bundles.append(release_encrypted(h, df, section,
                                                  [collector.name, key_holder.name],
                                                  workdir / f"{h.name}.ppdsb"))
    say(f"{len(hospitals)} hospitals released {rows} records each with "
        f"{', '.join(ENCRYPTED_COLUMNS)} encrypted, sealed for the collector and the key holder.")
    return scenario


def release_encrypted(hospital: Party, df: pd.DataFrame, section: dict, recipients: list[str],
                      out_path: Path) -> Path:
    """Import the table, release it through the recipe pipeline with an ``encryption`` section,
    and seal the release for ``recipients``."""
    dataset = hospital.vault.put_dataset(f"{hospital.name} admissions", df)
    recipe = release.new_recipe(name="encrypted billing", encryption=section)
    outcome = release.run_release(hospital.vault, dataset.name, recipe)
    # No privacy model: synthetic rows whose released values are a few plain columns and
    # ciphertexts, which is what this scenario shows, so the risk is accepted knowingly.
    info = release.save_release(hospital.vault, outcome, f"{hospital.name} encrypted release",
                                accept_risk=True)
    sharing.seal_for_contacts(hospital.vault, info.name, recipients, out_path,
                              accept_risk=True)
    return out_path


def demo_step(ctx) -> None:
    """Demo: three hospitals encrypt Billing Amount for a key holder and send their releases to
    a collector; the collector computes means and variances by Medical Condition on the
    ciphertexts; the key holder decrypts only those cells; they equal the plaintext figures."""
    work = Path(ctx.workdir) / "homomorphic"
    sc = build(work, DEMO_PASSPHRASE, rows=300, say=ctx.say)
    try:
        contribs = [he.contribution_from_bundle(sc.collector.vault, p) for p in sc.bundles]
        query = "mean Billing Amount, variance Billing Amount by Medical Condition"
        request = he.compute_request(sc.collector.vault, contribs, query)
        he.send_request(sc.collector.vault, request, work / "request.ppdsb")
        ctx.say(f"Collector combined {len(contribs)} bundles on the ciphertexts and sent a "
                f"decryption request for {len(request.cells)} cells ({query}), carrying the "
                f"hospitals' signed bundles.")
        received, sender = he.open_request(sc.key_holder.vault, work / "request.ppdsb")
        ctx.say("Key holder checked the hospitals' signatures and re-computed every cell from "
                "their bundles: the request matches, so it is answered (exactly, in this demo; "
                "the app adds noise by default).")
        result = he.answer_request(sc.key_holder.vault, received)
        he.send_result(sc.key_holder.vault, result, work / "result.ppdsb", to=sender)
        shown = he.open_result(sc.collector.vault, work / "result.ppdsb")
        plain = pd.concat(sc.originals).groupby("Medical Condition")["Billing Amount"]
        worst = 0.0
        for row in shown.rows:
            cond = row["group"]["Medical Condition"]
            if row["refused"]:
                ctx.say(f"    {cond:<14} {row['refused']}")
                continue
            mean = row["values"]["mean Billing Amount"]
            worst = max(worst, abs(mean - plain.get_group(cond).round(2).mean()))
            ctx.say(f"    {cond:<14} n={row['records']:<4} mean {mean:>10.2f}   "
                    f"sd {row['values']['variance Billing Amount'] ** 0.5:>9.2f}")
        ctx.say(f"Key holder answered; largest difference from the plaintext means: {worst:.2e}.")
        ctx.say(he.SINGLE_KEY_WARNING)
    finally:
        sc.close()
