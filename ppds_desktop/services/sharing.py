"""Use cases of identities, contacts and share bundles (one function per user action).

The GUI's Share / Open-bundle wizards and the ``ppds identity|contact|bundle`` commands call
these. Policy lives here, the format in ``core/bundle``: recipients are contacts, sealing to an
unverified contact needs ``allow_unverified``; opening refuses unknown senders, needs
``accept_unverified`` for unverified ones and ``accept_replay`` for a bundle imported before.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ..core.bundle import (BundleSummary, FileSource, MemorySink, OpenedBundle, SealResult,
                           check_file_name, inspect_bundle, open_bundle, seal_bundle)
from ..core.bundle.format import Header, recipient_key_id
from ..core.bundle.opener import read_header
from ..core.clock import utc_now_seconds as utc_now
from ..core.dp.ledger import release_spend
from ..core.errors import BundleError, InputError, NotFound
from ..core.files import atomic_path
from ..core.he.release_section import ENCRYPTED_FILE
from ..core.identity import (Contact, Identity, IdentityCard, add_contact, create_identity,
                             export_card, find_by_sign_key, get_contact, has_identity,
                             list_contacts, load_identity, parse_card, remove_contact,
                             rename_contact, verify_contact)
from ..core.identity.card import MAX_CARD_BYTES
from ..core.identity.keys import fingerprint as key_fingerprint
from ..core.identity.keys import fingerprint_lines, normalise_fingerprint
from ..core.identity.names import unsafe_characters
from ..core.progress import TaskState, ensure_task
from .choices import BUNDLE_SUFFIX, CARD_SUFFIX
from .datasets import free_dataset_name, free_name
from .demo_rails import check_demo_bundle
from .disclosure import (check_identifiers, check_release_risk, identifier_columns,
                         saved_release_verdict)

if TYPE_CHECKING:
    from ..core.vault import Vault

DATA_FILE = "data.parquet"

__all__ = [
    "BundlePreview", "ImportResult", "ShareTarget", "UnverifiedSender", "BundleReplay",
    "init_identity", "identity_or_none", "export_identity_card", "import_contact_card",
    "list_contacts", "get_contact", "verify_contact", "rename_contact", "remove_contact",
    "share_targets", "identifier_columns", "check_may_seal", "seal_for_contacts", "seal_files",
    "seal_for_keys", "preview_bundle", "open_into_vault", "open_files", "store_opened", "BUNDLE_SUFFIX",
    "CARD_SUFFIX", "fingerprint_lines", "normalise_fingerprint",
]


class UnverifiedSender(BundleError):
    """The sender is a contact whose fingerprint was never confirmed."""


class BundleReplay(BundleError):
    """This bundle id was imported before."""


# -- identity and contacts ---------------------------------------------------------------------

def init_identity(vault: Vault, display_name: str, organisation: str = "", *,
                  replace: bool = False) -> Identity:
    return create_identity(vault, display_name, organisation, replace=replace)


def identity_or_none(vault: Vault) -> Identity | None:
    return load_identity(vault) if has_identity(vault) else None


def export_identity_card(vault: Vault, dest: str | Path) -> Path:
    """Write this vault's identity card (public keys only) to ``dest``, atomically."""
    dest = Path(dest)
    data = export_card(vault).to_bytes()
    with atomic_path(dest) as temp:
        temp.write_bytes(data)
    vault.audit("identity.export_card", file=dest.name)
    return dest


def read_card(source: str | Path) -> IdentityCard:
    path = Path(source)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CARD_BYTES + 1)  # one more: parse_card says "too large"
    except OSError as exc:
        raise InputError(f"cannot read the identity card ({exc.strerror})", path=str(path)) from None
    return parse_card(data, source=path.name)


def import_contact_card(vault: Vault, source: str | Path, *, name: str | None = None,
                        accept_key_change: bool = False) -> Contact:
    """Add (or refresh) a contact from a card file; new contacts start unverified."""
    return add_contact(vault, read_card(source), name=name, accept_key_change=accept_key_change)


# -- sealing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShareTarget:
    kind: str          # 'release' | 'dataset'
    ref: str           # uid
    name: str
    detail: str


def share_targets(vault: Vault) -> list[ShareTarget]:
    """What can be shared: releases first (the normal case), then datasets."""
    out = [ShareTarget("release", r.uid, r.name, f"release · {r.kind}")
           for r in vault.list_releases()]
    out += [ShareTarget("dataset", d.uid, d.name, f"dataset · {d.kind} · {d.n_rows:,} rows")
            for d in vault.list_datasets() if d.kind != "release"]  # releases are listed above
    return out


def check_recipients(vault: Vault, contacts, allow_unverified: bool) -> list[Contact]:
    """The contacts, looked up afresh; refuses unverified ones unless allowed (also used to check
    a recipient before work that is wasted if the bundle cannot be sealed)."""
    if not contacts:
        raise BundleError("Choose at least one recipient.")
    # Contact objects are looked up again: their keys or state may have changed since.
    resolved = [get_contact(vault, c.id if isinstance(c, Contact) else c) for c in contacts]
    unverified = [c.name for c in resolved if not c.verified]
    if unverified and not allow_unverified:
        raise BundleError(f"Recipient(s) {', '.join(unverified)} are not verified: compare "
                          "their fingerprint with them first.",
                          hint="or seal anyway with --allow-unverified")
    return resolved


def _sender_block(ident: Identity) -> dict:
    return {"display_name": ident.display_name, "organisation": ident.organisation,
            "identity_id": ident.identity_id, "fingerprint": ident.fingerprint}


def _data_file(vault: Vault, info, task: TaskState) -> tuple[bytes, list[dict]]:
    """Dataset ``info`` as the bundle's ``data.parquet``, and its schema for the manifest."""
    buf = io.BytesIO()
    pq.write_table(vault.load_arrow(info.id, task=task), buf, compression="zstd")
    return buf.getvalue(), [{"name": c, "dtype": info.dtypes[c]} for c in info.columns]


def seal_files(vault: Vault, *, kind: str, title: str, files: dict[str, bytes], contacts, out_path,
               manifest: dict | None = None, allow_unverified: bool = False,
               task: TaskState | None = None) -> SealResult:
    """Seal arbitrary named files (e.g. Paillier ciphertexts) for contacts: the building block
    other areas use for their own bundle kinds. ``out_path=None`` seals into memory
    (``SealResult.data``)."""
    recipients = check_recipients(vault, contacts, allow_unverified)
    return seal_for_keys(vault, kind=kind, title=title, files=files,
                         recipients=[(c.name, c.fingerprint, c.enc_public) for c in recipients],
                         out_path=out_path, manifest=manifest, task=task)


def seal_for_keys(vault, *, kind: str, title: str, files: dict[str, bytes],
                  recipients: list[tuple[str, str, bytes]], out_path,
                  manifest: dict | None = None, task: TaskState | None = None) -> SealResult:
    """Seal for recipients given as (name, fingerprint, X25519 public key) whose keys the
    caller vouches for (e.g. a study's participants, listed in its signed definition)."""
    ident = load_identity(vault)
    extra = dict(manifest or {})
    extra.setdefault("title", title)
    extra["sender"] = _sender_block(ident)
    extra["recipients"] = [{"name": name, "fingerprint": fp} for name, fp, _key in recipients]
    head = vault.audit_head()        # signed with the manifest: evidence of the sender's history
    extra["audit_head"] = {"seq": head.seq, "hash": head.hash}
    result = seal_bundle(out_path, sender=ident.keys,
                         recipients=[key for _name, _fp, key in recipients], kind=kind,
                         manifest=extra,
                         files=[FileSource(n, data=d) for n, d in files.items()], task=task)
    vault.audit("bundle.seal", bundle_id=result.bundle_id, kind=kind, title=title,
                recipients=[name for name, _fp, _key in recipients],
                file=Path(out_path).name if out_path is not None else None,
                bytes=result.size)
    return result


def check_may_seal(vault: Vault, ref: str, *, allow_identifiers: bool, accept_risk: bool) -> None:
    """The rules every seal of ``ref`` obeys, also when an earlier sealed copy is sent again:
    direct identifiers need ``allow_identifiers``, a release that can still identify people
    ``accept_risk`` (audited)."""
    check_identifiers(vault, ref, allow_identifiers=allow_identifiers,
                      doing="sealing it would send")
    risky = saved_release_verdict(vault, ref)
    if risky is not None:
        check_release_risk(vault, *risky, accept_risk=accept_risk, doing="sealed")


def seal_for_contacts(vault: Vault, ref: str, contacts, out_path: str | Path, *,
                      allow_unverified: bool = False, allow_identifiers: bool = False,
                      accept_risk: bool = False, task: TaskState | None = None) -> SealResult:
    """Seal a release (or, failing that, a dataset) named ``ref`` for ``contacts``.

    Data that still has direct identifiers (names, SSNs...; see :func:`identifier_columns`) is
    refused unless ``allow_identifiers``: sealing it sends the identifiers as they are, which is
    rarely what a user sharing data means to do. A release whose re-identification risk stayed
    high needs ``accept_risk`` (see :mod:`.disclosure`)."""
    task = ensure_task(task)
    check_may_seal(vault, ref, allow_identifiers=allow_identifiers, accept_risk=accept_risk)
    try:
        release = vault.release_info(ref)
    except NotFound:
        release = None
    if release is not None:
        files: dict[str, bytes] = {}
        schema: list[dict] = []
        if release.output_dataset_id is not None:
            files[DATA_FILE], schema = _data_file(
                vault, vault.dataset_info(release.output_dataset_id), task.sub(0, 0.2))
        for name, data in vault.release_files(release.id).items():
            check_file_name(name)
            if name == DATA_FILE:
                raise BundleError(f"Release file name '{DATA_FILE}' is reserved for the data.")
            files[name] = data
        manifest = {"release": {"name": release.name, "uid": release.uid, "kind": release.kind,
                                "created_at": release.created_at},
                    "schema": schema, "recipe": release.recipe, "report": release.report,
                    "privacy_budget": release_spend(vault, release.id)}
        return seal_files(vault, kind="release", title=release.name, files=files,
                          contacts=contacts, out_path=out_path, manifest=manifest,
                          allow_unverified=allow_unverified, task=task.sub(0.2, 1.0))
    info = vault.dataset_info(ref)
    data, schema = _data_file(vault, info, task.sub(0, 0.2))
    manifest = {"dataset": {"name": info.name, "uid": info.uid, "kind": info.kind,
                            "rows": info.n_rows},
                "schema": schema,
                "recipe": {}, "report": {}, "privacy_budget": {"epsilon": 0.0, "rho": 0.0}}
    return seal_files(vault, kind="dataset", title=info.name, files={DATA_FILE: data},
                      contacts=contacts, out_path=out_path, manifest=manifest,
                      allow_unverified=allow_unverified, task=task.sub(0.2, 1.0))


# -- inspecting and opening -----------------------------------------------------------------------

@dataclass
class BundlePreview:
    """What the Open wizard shows before anything is decrypted (all of it *claimed*)."""

    summary: BundleSummary
    sender: Contact | None
    sender_state: str            # verified | unverified | unknown | old key of a contact | you…
    for_me: bool
    recipients: list[str] = field(default_factory=list)   # contact names, or key ids
    previously_imported: str | None = None                 # when, if this id was imported

    @property
    def sender_fingerprint(self) -> str:
        return self.summary.sender_fingerprint


def _sender_state(vault: Vault, header: Header) -> tuple[Contact | None, str]:
    contact, old = find_by_sign_key(vault, header.sender_sign_public)
    if contact is None:
        return None, "unknown"
    if old:
        return contact, "old key of a contact"
    if contact.enc_public != header.sender_enc_public:
        return contact, "keys do not match the contact's card"
    return contact, contact.state


def preview_bundle(vault: Vault, path: str | Path) -> BundlePreview:
    summary = inspect_bundle(path)
    header = summary.header
    contact, state = _sender_state(vault, header)
    by_id = {recipient_key_id(c.enc_public): c.name for c in list_contacts(vault)}
    me = identity_or_none(vault)
    if contact is None and me is not None and header.sender_sign_public == me.sign_public:
        state = "you (sealed in this vault)"      # inspecting what one just sealed
    my_id = recipient_key_id(me.enc_public) if me else None
    if my_id:
        by_id[my_id] = "you"
    return BundlePreview(summary, contact, state,
                         my_id in summary.recipient_key_ids,
                         [by_id.get(k, f"unknown key {k.hex()[:12]}") for k in summary.recipient_key_ids],
                         vault.bundles.imported_at(summary.bundle_id))


def bundle_header(raw: bytes, source: str = "bundle") -> Header:
    """The (unauthenticated) header of a bundle held in memory."""
    return read_header(io.BytesIO(raw), source)[0]


def bundle_id_of(raw: bytes) -> str:
    return bundle_header(raw).bundle_id.hex()


def addressed_to(raw: bytes, contact: Contact) -> bool:
    """Whether a bundle in memory names ``contact`` among its recipients."""
    return recipient_key_id(contact.enc_public) in {s.key_id for s in bundle_header(raw).stanzas}


def _sender_policy(vault: Vault, *, accept_unverified: bool):
    def check(header: Header) -> None:
        contact, state = _sender_state(vault, header)
        if contact is None:
            fp = key_fingerprint(header.sender_sign_public, header.sender_enc_public)
            raise BundleError(f"Unknown sender: the bundle is signed by a key that is not among "
                              f"your contacts (fingerprint {fp}).",
                              hint="import the sender's identity card and verify its "
                                   "fingerprint first")
        if state == "old key of a contact":
            raise BundleError(f"The bundle is signed with an OLD key of contact "
                              f"'{contact.name}', replaced since; refused.")
        if state == "keys do not match the contact's card":
            raise BundleError(f"The sender's encryption key does not match contact "
                              f"'{contact.name}''s card; refused.")
        if not contact.verified and not accept_unverified:
            raise UnverifiedSender(f"The sender '{contact.name}' is not verified (fingerprint "
                                   f"{contact.fingerprint}).",
                                   hint="verify the contact first, or accept the unverified "
                                    "sender explicitly (CLI: --trust-unverified)")
    return check


def _refuse_replay(vault: Vault, bundle_id: str, accept_replay: bool) -> str | None:
    """Only ever called on a bundle that verified completely: a damaged or forged copy of an
    imported bundle must be reported as such, never as a replay the user could wave through.
    Returns when the bundle was imported before (None: never)."""
    imported_at = vault.bundles.imported_at(bundle_id)
    if imported_at is not None and not accept_replay:
        raise BundleReplay(f"Replay: bundle {bundle_id} verified, but it was already imported "
                           f"on {str(imported_at)[:10]}; importing it again needs your "
                           f"confirmation.",
                           hint="confirm to import it again (CLI: ppds bundle open --yes)")
    return imported_at


def open_files(vault: Vault, path: str | Path | bytes, *, accept_unverified: bool = False,
               accept_replay: bool = False, task: TaskState | None = None,
               source: str | None = None) -> OpenedBundle:
    """Decrypt and verify a bundle (a file, or its bytes) into memory (``result``: name ->
    bytes); for areas that import their own bundle kinds. Records nothing. A bundle imported
    before is refused as a replay unless ``accept_replay`` — checked only once everything
    verified (and again by :func:`store_opened` under the write lock)."""
    ident = load_identity(vault)
    opened = open_bundle(path, keys=ident.keys, sink=MemorySink(),
                         check_sender=_sender_policy(vault, accept_unverified=accept_unverified),
                         task=task, source=source)
    _refuse_replay(vault, opened.bundle_id, accept_replay)
    return opened


@dataclass(frozen=True)
class ImportResult:
    dataset: object                  # core.vault.DatasetInfo
    bundle_id: str
    sender: str
    manifest: dict
    replayed: bool


def open_into_vault(vault: Vault, path: str | Path, *, name: str | None = None,
                    accept_unverified: bool = False, accept_replay: bool = False,
                    demo_confirmed: bool = False, task: TaskState | None = None) -> ImportResult:
    """Verify a bundle fully, then store its data as a dataset of kind 'bundle' with its
    provenance and remember the bundle id, in one transaction. The public demo vault takes it
    only if ``demo_confirmed`` (asked before anything is decrypted)."""
    task = ensure_task(task)
    check_demo_bundle(vault, confirmed=demo_confirmed)
    opened = open_files(vault, path, accept_unverified=accept_unverified,
                        accept_replay=accept_replay, task=task.sub(0.0, 0.8))
    return store_opened(vault, path, opened, name=name, accept_replay=accept_replay,
                        demo_confirmed=demo_confirmed, task=task.sub(0.8, 1.0))


def _default_title(manifest: dict, source: str) -> str:
    """The bundle's title, to name the dataset: a claim of the sender's, so characters that
    hide or reorder text are refused here, naming the bundle (not as a bad dataset name)."""
    title = unicodedata.normalize("NFC", str(manifest.get("title", "bundle"))).strip()[:100]
    bad = unsafe_characters(title)
    if bad:
        raise BundleError(f"{source}: the bundle's title contains control or invisible "
                          f"characters ({', '.join(dict.fromkeys(bad))}), so it cannot name the "
                          "dataset; nothing was imported.",
                          hint="give the dataset a name of your own (CLI: --name)")
    return title or "bundle"


def store_opened(vault: Vault, path: str | Path, opened: OpenedBundle, *, name: str | None = None,
                 accept_replay: bool = False, demo_confirmed: bool = False,
                 task: TaskState | None = None) -> ImportResult:
    """Store a bundle that :func:`open_files` verified (the Open wizard shows its contents in
    between): dataset, provenance and ``imported_bundles`` row in one transaction, whose write
    lock also covers the replay check, so a bundle opened by several processes at once is
    imported once. Into the public demo vault only if ``demo_confirmed``."""
    task = ensure_task(task)
    check_demo_bundle(vault, confirmed=demo_confirmed)
    path = Path(path)
    files, manifest = opened.result, opened.manifest
    if DATA_FILE not in files:
        raise BundleError(f"{path.name}: this bundle ({opened.header.kind}) carries no "
                          f"'{DATA_FILE}' to import as a dataset.")
    try:
        table = pq.read_table(io.BytesIO(files[DATA_FILE]))
    except (pa.ArrowException, OSError):
        raise BundleError(f"{path.name}: '{DATA_FILE}' is not a readable Parquet file.") from None
    contact, _state = _sender_state(vault, opened.header)
    if contact is None:
        raise BundleError(f"{path.name}: the sender is not among your contacts; not imported.")
    title = (_default_title(manifest, path.name) if name is None
             else str(manifest.get("title", "bundle"))[:100])
    source = {
        "bundle_id": opened.bundle_id, "bundle_file": path.name, "kind": opened.header.kind,
        "created_at": manifest.get("created_at"),
        "sender": {"contact": contact.name, "organisation": contact.organisation,
                   "fingerprint": contact.fingerprint, "verified": contact.verified},
        "title": title, "release": manifest.get("release"), "dataset": manifest.get("dataset"),
        "recipe": manifest.get("recipe", {}), "report": manifest.get("report", {}),
        "privacy_budget": manifest.get("privacy_budget", {}),
        "other_files": sorted(n for n in files if n != DATA_FILE),
        "sender_audit_head": sender_audit_head(manifest),
    }
    with vault.transaction():
        replayed = _refuse_replay(vault, opened.bundle_id, accept_replay) is not None
        info = vault.put_dataset(free_dataset_name(vault, name or f"{title} from {contact.name}"),
                                 table, kind="bundle", source=source, task=task.sub(0.0, 0.9))
        vault.bundles.record_import(opened.bundle_id, contact.fingerprint, opened.header.kind,
                                    info.id, utc_now())
        extra = {n: d for n, d in files.items() if n != DATA_FILE}
        if ENCRYPTED_FILE in extra:         # kept so that a decryption request can carry it
            _keep_signed_bundle(vault, path, opened)
        if extra:
            taken = {r.name for r in vault.list_releases()}
            vault.put_release(free_name(f"{info.name} files", taken), "received", source=info.id,
                              recipe=manifest.get("recipe"), report=manifest.get("report"),
                              files=extra)
        vault.audit("bundle.import", bundle_id=opened.bundle_id, sender=contact.name,
                    dataset=info.name, replay=replayed, file=path.name)
    task.report(1.0, "Imported")
    return ImportResult(info, opened.bundle_id, contact.name, manifest, replayed)


def _keep_signed_bundle(vault: Vault, path: Path, opened: OpenedBundle) -> None:
    """Keep the bundle's bytes (homomorphic contributions are re-verified from them whenever
    they are used, so a file swapped since it was opened is caught then)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path.name}: cannot read it again ({exc.strerror}); nothing was "
                          "imported.") from None
    vault.bundles.keep_contribution(opened.bundle_id, raw, utc_now())


def sender_audit_head(manifest: dict) -> dict | None:
    """The sender's audit head carried in a manifest (``{"seq", "hash"}``), if well formed."""
    head = manifest.get("audit_head")
    if not isinstance(head, dict):
        return None
    seq, digest = head.get("seq"), head.get("hash")
    if (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(digest, str)
            or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
        return None
    return {"seq": seq, "hash": digest}


def manifest_summary(manifest: dict) -> list[tuple[str, str]]:
    """The verified contents as (label, text) lines for the Open wizard and the CLI."""
    lines = [("Title", str(manifest.get("title", "")))]
    release = manifest.get("release") or {}
    if release:
        from .plain import release_kind_label

        lines.append(("Release", f"{release.get('name', '')} "
                                 f"({release_kind_label(str(release.get('kind', '')))})"))
    schema = manifest.get("schema") or []
    if schema:
        lines.append(("Columns", ", ".join(str(c.get("name")) for c in schema[:12])
                      + (" …" if len(schema) > 12 else "")))
    budget = manifest.get("privacy_budget") or {}
    if budget.get("epsilon") or budget.get("rho"):
        lines.append(("Privacy budget spent", f"ε = {budget.get('epsilon', 0):g}, "
                                              f"ρ = {budget.get('rho', 0):g}"))
    recipe = manifest.get("recipe") or {}
    if recipe:
        lines.append(("Recipe", f"{len(recipe.get('steps', []))} step(s)"
                      if isinstance(recipe.get("steps"), list) else "included"))
    for f in manifest.get("files", []):
        lines.append(("File", f"{f['name']} ({f['size']:,} bytes, BLAKE3 {f['blake3'][:16]}…)"))
    head = sender_audit_head(manifest)
    if head:
        lines.append(("Sender's audit log", f"entry {head['seq']}, head {head['hash']}"))
    return lines
