"""The demo's steps, one per capability, in the order a user would meet them. Each does real
work through the same use-case functions the GUI and CLI call, and says what it did."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import BudgetExceeded, BundleError
from ..paths import sample_csv
from ..services import datasets, dp, release, sharing, vault_ops
from ..services.demo import DEMO_PASSPHRASE
from . import he_scenario, study_scenario

if TYPE_CHECKING:
    from .run import DemoContext


def vault_step(ctx: DemoContext) -> None:
    """Create the demo vault in the demo's work folder and describe it."""
    path = Path(ctx.workdir) / "demo.vault"
    vault, recovery_key = vault_ops.create_vault(path, DEMO_PASSPHRASE)
    ctx.vault = vault
    info = vault.info()
    ctx.say(f"Created an encrypted vault at {path} (SQLCipher {info['cipher']}, "
            f"{info['journal_mode'].upper()} journal, schema version {info['schema_version']}).")
    ctx.say(f"Its random 256-bit key is wrapped in {vault.header_path.name} under the passphrase "
            f"({info['kdf']}) and under a recovery key, shown once: {recovery_key}")
    vault.lock()
    vault = vault_ops.unlock(path, DEMO_PASSPHRASE)
    ctx.vault = vault
    n = vault.verify_audit()
    ctx.say(f"Locked it and unlocked it again; the hash-chained audit log checks out "
            f"({n} {'entry' if n == 1 else 'entries'}).")


def import_step(ctx: DemoContext) -> None:
    """Import the bundled sample into the demo vault and show the suggested roles."""
    info = datasets.import_file(ctx.vault, sample_csv(), name="Sample admissions")
    ctx.state["sample"] = info
    ctx.say(f"Imported {sample_csv().name}: {info.n_rows:,} rows, {info.n_cols} columns, "
            f"stored encrypted as {info.byte_size:,} bytes of Parquet.")
    for column, role in ctx.vault.roles(info.id).items():
        ctx.say(f"  {column:<20} {role.role:<17} {role.reason}")


def deidentify_step(ctx: DemoContext) -> None:
    """HIPAA Safe Harbor plus 5-anonymity on the imported sample, saved as a release."""
    info = ctx.state["sample"]
    vault = ctx.vault
    recipe = release.preset_for_dataset(vault, info.ref, release.HIPAA)
    recipe["name"] = "Demo: HIPAA Safe Harbor + 5-anonymity"
    recipe["privacy"] = {"k": 5, "suppression_limit": 0.05, "objective": "loss"}
    outcome = release.run_release(vault, info.ref, recipe)
    rel = release.save_release(vault, outcome, "Demo de-identified release")
    ctx.state["release"] = rel
    rep = outcome.report
    done = [i["title"].split(")")[0] + ")" for i in rep["hipaa"]["items"] if i["status"] == "done"]
    ctx.say(f"Safe Harbor: handled identifier types {' '.join(done)}; "
            f"{sum(1 for c in rep['columns'] if not c['released'])} columns dropped.")
    levels = ", ".join(f"{c}={lv}" for c, lv in rep["generalization"]["levels"].items())
    ctx.say(f"k-anonymity: k = {rep['model']['achieved'].get('k', float('nan')):g} measured on "
            f"the output (asked 5), levels {levels}; {rep['rows']['suppressed']:,} of "
            f"{rep['rows']['input']:,} rows suppressed (limit {rep['rows']['suppression_limit_rows']:,}).")
    b, a = rep["risk"]["before"], rep["risk"]["after"]
    ctx.say(f"Re-identification risk over {', '.join(a['qi_columns'])}: highest "
            f"{b['prosecutor_max']:.0%} → {a['prosecutor_max']:.0%}, records at risk "
            f"{b['share_at_risk']:.0%} → {a['share_at_risk']:.0%}, unique records "
            f"{b['unique_records']:,} → {a['unique_records']:,}.")
    ctx.say(f"Saved release '{rel.name}' (recipe, output, JSON and HTML report) in the vault.")


def dp_step(ctx: DemoContext) -> None:
    """A budget, a DP count by condition and a DP mean with intervals, the ledger, and an
    overspend refused."""
    vault = ctx.vault
    sample = ctx.state.get("sample")              # the import step's dataset, if it ran
    if sample is not None:
        dataset = sample.name
    else:
        dataset = "Sample admissions (DP demo)"
        vault.put_dataset(dataset, datasets.sample_admissions(5000, seed=4))
    status = dp.set_budget(vault, dataset, epsilon=1.0)
    ctx.say(f"Set the privacy budget of {dataset!r}: ε = {status.epsilon_total:g} in total.")
    domains = {"Medical Condition": datasets.sample_conditions()}
    out = dp.run_query(vault, dataset, "count by Medical Condition", epsilon=0.4,
                       domains=domains, release_name="DP demo: admissions by condition")
    ctx.say(f"DP count by Medical Condition (ε = 0.4, discrete Laplace, noise std "
            f"{out.result.noise_scale:.2f}), 95% intervals:")
    for row in out.result.rows[:5]:
        ctx.say(f"  {out.result.label(row):<14} {row['value']:>6}   [{row['ci_low']}, {row['ci_high']}]")
    ctx.say(f"  ... {len(out.result.rows)} categories in all, each released (declared list).")
    out = dp.run_query(vault, dataset, "mean Billing Amount", epsilon=0.4,
                       bounds={"Billing Amount": (0, 100000)}, release_name="DP demo: mean bill")
    row = out.result.rows[0]
    ctx.say(f"DP mean Billing Amount (ε = 0.4, bounds 0..100000): {row['value']:,.0f}, "
            f"95% interval [{row['ci_low']:,.0f}, {row['ci_high']:,.0f}]")
    status = dp.budget_status(vault, dataset)
    ctx.say(f"Ledger: ε {status.epsilon_spent:g} spent of {status.epsilon_total:g}, "
            f"{status.epsilon_remaining:g} left:")
    for e in status.entries:
        ctx.say(f"  #{e.id} {e.mechanism:<16} ε={e.epsilon:g}  {e.description}")
    try:
        dp.run_query(vault, dataset, "count", epsilon=0.5)
    except BudgetExceeded as exc:
        ctx.say(f"Asked for ε = 0.5 more: refused. {exc}")
    else:                                   # pragma: no cover - would be a ledger bug
        raise AssertionError("the ledger allowed an overspend")


def sharing_step(ctx: DemoContext) -> None:
    """Two sites exchange and verify identity cards; the demo vault seals its release (or the
    sample dataset) for "bob"; bob inspects and opens it; a tampered copy is refused."""
    work = Path(ctx.workdir)
    alice = ctx.vault
    if sharing.identity_or_none(alice) is None:
        sharing.init_identity(alice, "Demo data steward", "Demo Hospital")
    bob, _recovery = vault_ops.create_vault(work / "bob" / "bob.vault", DEMO_PASSPHRASE)
    try:
        sharing.init_identity(bob, "Bob", "Partner University Hospital")
        sharing.export_identity_card(alice, work / f"demo{sharing.CARD_SUFFIX}")
        sharing.export_identity_card(bob, work / f"bob{sharing.CARD_SUFFIX}")
        bob_contact = sharing.import_contact_card(alice, work / f"bob{sharing.CARD_SUFFIX}")
        alice_contact = sharing.import_contact_card(bob, work / f"demo{sharing.CARD_SUFFIX}")
        ctx.say("Exchanged identity cards. Fingerprint of the demo site, as bob sees it:\n    "
                + sharing.fingerprint_lines(alice_contact.fingerprint).replace("\n", "\n    "))
        # In real life each side reads its own fingerprint aloud; here both screens are ours.
        sharing.verify_contact(alice, bob_contact.name, sharing.identity_or_none(bob).fingerprint)
        sharing.verify_contact(bob, alice_contact.name,
                               sharing.identity_or_none(alice).fingerprint)
        ctx.say("Both sides compared fingerprints and marked each other verified.")

        rel = ctx.state.get("release")
        ref = rel.uid if rel is not None else ctx.state["sample"].uid
        path = work / f"share{sharing.BUNDLE_SUFFIX}"
        # Without a release the synthetic sample itself goes (no real people in it).
        sealed = sharing.seal_for_contacts(alice, ref, [bob_contact.name], path,
                                           allow_identifiers=rel is None)
        ctx.say(f"Sealed {'release' if rel is not None else 'dataset'} for bob: {path.name}, "
                f"{sealed.size:,} bytes, {sealed.n_chunks} chunk(s), bundle id {sealed.bundle_id}.")
        preview = sharing.preview_bundle(bob, path)
        ctx.say(f"bob inspects it (unauthenticated claims): kind {preview.summary.kind}, sender "
                f"{preview.sender.name} ({preview.sender_state}), for bob: {preview.for_me}.")
        result = sharing.open_into_vault(bob, path)
        ctx.say(f"bob verified every chunk and the signature and imported dataset "
                f"'{result.dataset.name}' ({result.dataset.n_rows:,} rows) with its provenance.")

        blob = bytearray(path.read_bytes())
        blob[len(blob) // 2] ^= 0x01
        tampered = work / f"tampered{sharing.BUNDLE_SUFFIX}"
        tampered.write_bytes(bytes(blob))
        try:
            sharing.open_into_vault(bob, tampered, accept_replay=True)
        except BundleError as exc:
            ctx.say(f"A copy with one flipped bit is refused: {exc.message}")
        else:
            raise BundleError("The demo's tampered bundle was accepted; this is a bug.")
        ctx.say(f"bob's vault still holds {len(bob.list_datasets())} dataset(s).")
    finally:
        bob.lock()


STEPS: list = [
    ("Encrypted vault", vault_step),   # must stay first: it creates ctx.vault
    ("Import and profile", import_step),
    ("De-identify (HIPAA + k-anonymity)", deidentify_step),
    ("Differential privacy", dp_step),
    ("Share bundle", sharing_step),    # keep after the release step: it seals ctx.state["release"]
    ("Homomorphic aggregation", he_scenario.demo_step),
    ("Multi-site study with a split key", study_scenario.demo_step),
]
