"""Use cases of homomorphic aggregation: keys, encrypted release columns, decryption requests,
answers and results. The GUI (``ui/he``) and ``ppds he`` call these.

Flow: a key holder creates a Paillier key (published on its identity card); sites encrypt
release columns under it (recipe section ``encryption``, run by the release pipeline through
``core.he.release_section``) and seal their releases for the collector *and* the key holder;
a collector opens several bundles, computes SUM / COUNT / MEAN / VARIANCE by plaintext groups on
the ciphertexts, and sends a *decryption request* bundle (kind ``he_request``) that carries the
sites' signed bundles to the key holder; the key holder opens them itself, re-computes every
cell, refuses the request on any difference, refuses small cells and cells that would isolate a
few records of an earlier exact answer, adds DP noise by default in the CLI and GUI (spending a
dataset's budget), and sends a *result* bundle (kind ``he_result``) back.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from ..core import charts
from ..core.clock import utc_now_seconds as utc_now
from ..core.errors import InputError, NotFound
from ..core.he import keys as he_keys
from ..core.he import serial
from ..core.he.aggregate import (DEFAULT_MIN_RECORDS, MAX_CELLS, RESULT_FILE, Contribution,
                                 DecryptionResult, evaluate, stat_label)
from ..core.he.answered import ValueCheck, cells_to_record, differencing_refusals, record_answers
from ..core.he.decrypt import CRTDecryptor
from ..core.he.keyring import (KEY_EXTENSION, SINGLE_KEY_WARNING, private_key_for, private_keys,
                               resolve_public_key)
from ..core.he.query import HEQuery, parse_query
from ..core.he.release_section import ENCRYPTED_FILE
from ..core.he.request import CELLS_FILE, REQUEST_FILE, DecryptionRequest, build_request
from ..core.progress import TaskState, ensure_task
from .choices import DEFAULT_EPSILON

if TYPE_CHECKING:
    from ..core.vault import Vault

REQUEST_KIND, RESULT_KIND = "he_request", "he_result"
EPSILON_HELP = (
    "Noise (differential privacy) adds a random amount to every figure before it leaves. "
    "Epsilon (ε) sets how much: smaller means more noise and stronger protection. With ε = 1, "
    "adding or removing any one patient changes the chance of any answer by at most a factor of "
    "about 2.7, so the answers cannot show whether that patient is in the data. Each answer "
    "spends its ε from the privacy budget of the dataset you choose.")
MIN_RECORDS_HELP = (
    "A cell is decrypted only if at least this many of its records come from sites other than "
    "the one asking; the key holder counts them itself from the sites' signed data. This stops "
    "figures about one or two patients. It does not stop two answers that differ by a few "
    "patients from revealing them: an exact answer that differs from an earlier one by fewer "
    "records is refused, but the same patients sent again in another bundle are not recognised. "
    "Noise protects against both.")


# -- keys -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyInfo:
    name: str
    fingerprint: str
    bits: int
    published: bool = False


def create_key(vault: Vault, name: str = "default", *, bits: int = 2048, publish: bool = True,
               replace: bool = False) -> KeyInfo:
    """Generate a Paillier key pair; the private key goes to the vault (secrets kind
    ``paillier_private``), the public key onto this vault's identity card when ``publish``."""
    if bits not in he_keys.KEY_SIZES:
        raise InputError(f"Key size {bits} is not offered; choose "
                         f"{' or '.join(map(str, he_keys.KEY_SIZES))} bits.")
    if not replace and vault.has_secret(he_keys.SECRET_KIND, name):
        raise InputError(f"A Paillier key named {name!r} already exists in this vault.",
                         hint="choose another name, or replace it (CLI: --replace); data "
                              "encrypted under the old key can then no longer be decrypted")
    public, private = he_keys.generate_keypair(bits)
    card = he_keys.public_key_to_dict(public)
    from ..core.identity import has_identity, set_card_extension

    with vault.transaction():
        vault.put_secret(he_keys.SECRET_KIND, name, he_keys.private_key_to_bytes(private),
                         meta={"fingerprint": card["fingerprint"], "bits": bits}, replace=replace)
        published = publish and has_identity(vault)
        if published:
            set_card_extension(vault, KEY_EXTENSION, {**card, "name": name})
        vault.audit("he.keygen", name=name, bits=bits, fingerprint=card["fingerprint"],
                    published=published)
    return KeyInfo(name, card["fingerprint"], bits, published)


def list_keys(vault: Vault) -> list[KeyInfo]:
    from ..core.identity import card_extensions, has_identity

    card = card_extensions(vault).get(KEY_EXTENSION, {}) if has_identity(vault) else {}
    out = []
    for name, key in private_keys(vault):
        fp = he_keys.fingerprint(key.public_key)
        out.append(KeyInfo(name, fp, he_keys.key_bits(key.public_key),
                           card.get("fingerprint") == fp))
    return out


def key_choices(vault: Vault) -> list[tuple[str, dict]]:
    """Keys a release can encrypt for: contacts' published keys first, then this vault's own.
    Each is (label, the recipe's ``encryption.public_key`` reference)."""
    from ..core.identity import list_contacts

    out = []
    for contact in list_contacts(vault):
        card = contact.extensions.get(KEY_EXTENSION)
        if card and card.get("fingerprint"):
            out.append((f"{contact.name} ({contact.state}) · {card['fingerprint']}",
                        {"contact": contact.name, "fingerprint": card["fingerprint"]}))
    out += [(f"own key {k.name} · {k.fingerprint}", {"own": k.name, "fingerprint": k.fingerprint})
            for k in list_keys(vault)]
    return out


def contribution_from_files(label: str, frame: pd.DataFrame, files: dict[str, bytes],
                            source: dict | None = None, *, bundle: bytes | None = None,
                            from_requester: bool = False) -> Contribution:
    if ENCRYPTED_FILE not in files:
        raise InputError(f"{label}: carries no encrypted columns ({ENCRYPTED_FILE}).")
    header = serial.read_header(files[ENCRYPTED_FILE])
    key = (header.get("meta") or {}).get("public_key")
    if not key:
        raise InputError(f"{label}: the encrypted columns do not name their public key.")
    array = serial.loads(files[ENCRYPTED_FILE], he_keys.public_key_from_dict(key))
    return Contribution(label, frame, array, dict(source or {}), bundle, from_requester)


def contribution_from_release(vault: Vault, ref) -> Contribution:
    """A release with encrypted columns: one of this vault's own (sealed for the key holder
    when a request carries it), or the files of a bundle imported with
    ``sharing.open_into_vault`` (kind ``received``)."""
    info = vault.release_info(ref)
    if info.output_dataset_id is None and info.kind == "received" and info.source_dataset_id:
        return contribution_from_dataset(vault, info.source_dataset_id)  # an imported bundle
    if info.output_dataset_id is None:
        raise InputError(f"Release {info.name!r} has no released table.")
    frame = vault.load_dataset(info.output_dataset_id)
    return contribution_from_files(info.name, frame, vault.release_files(info.id),
                                   {"release": info.name, "release_uid": info.uid},
                                   from_requester=True)


def contribution_from_dataset(vault: Vault, ref, *, accept_unverified: bool = False) -> Contribution:
    """A bundle already imported into this vault (dataset of kind ``bundle``): read again from
    the signed bundle kept at import, so that a request can carry it."""
    info = vault.dataset_info(ref)
    bundle_id = (info.source or {}).get("bundle_id")
    data = vault.bundles.contribution(bundle_id)
    if data is None:
        if not any(r.source_dataset_id == info.id and ENCRYPTED_FILE in r.files
                   for r in vault.list_releases()):
            raise InputError(f"Dataset {info.name!r} has no encrypted columns.")
        raise InputError(f"Dataset {info.name!r} was imported without its signed bundle; add "
                         f"the bundle file itself, which the key holder needs to re-compute "
                         f"the cells.")
    contrib = _contribution_from_bundle_bytes(vault, data, info.name,
                                              accept_unverified=accept_unverified)
    contrib.source["dataset"] = info.name
    return contrib


def contribution_from_bundle(vault: Vault, path, *, accept_unverified: bool = False,
                             task: TaskState | None = None) -> Contribution:
    """A release bundle file, verified and decrypted in memory (the vault is not changed)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the bundle ({exc.strerror})", path=str(path)) from None
    contrib = _contribution_from_bundle_bytes(vault, raw, path.name,
                                              accept_unverified=accept_unverified, task=task)
    contrib.source["bundle_file"] = path.name
    return contrib


def _contribution_from_bundle_bytes(vault: Vault, raw: bytes, source: str, *, label: str | None = None,
                                    accept_unverified: bool = False, requester: str | None = None,
                                    task: TaskState | None = None) -> Contribution:
    """A signed release bundle's contribution, verified with this vault's keys and contacts."""
    from .sharing import DATA_FILE, open_files

    opened = open_files(vault, raw, accept_unverified=accept_unverified, accept_replay=True,
                        task=task, source=source)
    files = opened.result
    if opened.header.kind != "release" or DATA_FILE not in files:
        raise InputError(f"{source}: a contribution is a release bundle with a released "
                         f"table, not a {opened.header.kind!r} bundle.")
    frame = pq.read_table(io.BytesIO(files[DATA_FILE])).to_pandas()
    sender = opened.manifest.get("sender", {})
    label = label or sender.get("organisation") or sender.get("display_name") or source
    return contribution_from_files(label, frame, files,
                                   {"bundle_id": opened.bundle_id,
                                    "sender_fingerprint": opened.sender_fingerprint},
                                   bundle=raw,
                                   from_requester=opened.sender_fingerprint == requester)


# -- compute, answer, show ------------------------------------------------------------------

def key_holder_contact(vault: Vault, key_fingerprint: str):
    """The contact whose card carries this Paillier key, or None if the key is our own."""
    from ..core.identity import list_contacts

    for contact in list_contacts(vault):
        card = contact.extensions.get(KEY_EXTENSION) or {}
        if card.get("fingerprint") == key_fingerprint:
            return contact
    if any(k.fingerprint == key_fingerprint for k in list_keys(vault)):
        return None
    raise NotFound(f"No contact holds key {key_fingerprint}; import the key holder's "
                   f"identity card first.")


def _signed_for(vault: Vault, contrib: Contribution, key_holder, allow_unverified: bool, *,
                allow_identifiers: bool, accept_risk: bool) -> None:
    """Give ``contrib`` the signed bundle a request carries to ``key_holder``: a site's bundle
    must already be sealed for it; this vault's own release is sealed for it once and kept.
    Sending the own release obeys the rules of every seal (:func:`.sharing.check_may_seal`),
    each time a request carries it."""
    from .sharing import addressed_to, bundle_id_of, check_may_seal, seal_for_contacts

    if contrib.bundle is not None:
        if not addressed_to(contrib.bundle, key_holder):
            raise InputError(f"{contrib.label}'s bundle is not sealed for the key holder "
                             f"({key_holder.name}), who re-computes every cell from the sites' "
                             f"signed bundles. Ask {contrib.label} to seal its release for both "
                             f"you and {key_holder.name}.")
        return
    uid = contrib.source["release_uid"]
    name = vault.release_info(uid).name
    kept = vault.bundles.sealed_release(uid, key_holder.fingerprint)
    if kept is not None:
        check_may_seal(vault, name, allow_identifiers=allow_identifiers, accept_risk=accept_risk)
        contrib.bundle = kept
    else:
        with vault.transaction():
            sealed = seal_for_contacts(vault, name, [key_holder], None,
                                       allow_unverified=allow_unverified,
                                       allow_identifiers=allow_identifiers,
                                       accept_risk=accept_risk)
            vault.bundles.keep_sealed_release(sealed.bundle_id, uid, key_holder.fingerprint,
                                              sealed.data, utc_now())
        contrib.bundle = sealed.data
    contrib.source["bundle_id"] = bundle_id_of(contrib.bundle)


def compute_request(vault: Vault, contributions: list[Contribution], query: HEQuery | str, *,
                    key_holder=None, allow_unverified: bool = False,
                    allow_identifiers: bool = False, accept_risk: bool = False,
                    task: TaskState | None = None) -> DecryptionRequest:
    """Combine the contributions homomorphically into a decryption request, kept in the vault.
    Each contribution's signed bundle goes with it (this vault's own releases are sealed for
    the key holder), so that the key holder can re-compute every cell. An own release that
    still has direct identifiers needs ``allow_identifiers``, one that can still identify
    people ``accept_risk`` (audited), as for any seal."""
    task = ensure_task(task)
    if isinstance(query, str):
        query = parse_query(query)
    if not contributions:
        raise InputError("Open at least one release or bundle with encrypted columns.")
    if key_holder is None:
        key_holder = key_holder_contact(vault, contributions[0].array.fingerprint)
    with vault.transaction():          # a refusal below leaves no sealed copy behind either
        if key_holder is not None:
            from .sharing import check_recipients

            [key_holder] = check_recipients(vault, [key_holder], allow_unverified)
            # sites' bundles first: a refusal comes before anything is sealed
            for contrib in sorted(contributions, key=lambda c: c.bundle is None):
                _signed_for(vault, contrib, key_holder, allow_unverified,
                            allow_identifiers=allow_identifiers, accept_risk=accept_risk)
        request = build_request(contributions, query, task.sub(0, 0.95))
        vault.put_release(f"HE request {request.request_id[:12]}", REQUEST_KIND,
                          recipe={"query": query.to_dict()},
                          report={"sources": request.sources, "cells": request.cells},
                          files=request.to_files())
    task.report(1.0, "request computed")
    return request


def send_request(vault: Vault, request: DecryptionRequest, out_path, *, to=None,
                 allow_unverified: bool = False, task: TaskState | None = None):
    from .sharing import seal_files

    contact = to if to is not None else key_holder_contact(vault, request.key_fingerprint)
    if contact is None:
        raise InputError("The request is for your own key: answer it here instead of sending it.")
    if len(request.carried) != len(request.sources):
        raise InputError("The request does not carry its contributions' signed bundles; "
                         "compute it again for this key holder.")
    return seal_files(vault, kind=REQUEST_KIND, title=f"Decryption request {request.request_id[:12]}",
                      files=request.to_files(), contacts=[contact], out_path=out_path,
                      manifest={"he_request": {"request_id": request.request_id,
                                               "key_fingerprint": request.key_fingerprint}},
                      allow_unverified=allow_unverified, task=task)


def _open_kind(vault: Vault, path, kind: str, accept_unverified: bool, task):
    from .sharing import open_files

    opened = open_files(vault, path, accept_unverified=accept_unverified, task=task)
    if opened.header.kind != kind:
        raise InputError(f"{Path(path).name} is a {opened.header.kind!r} bundle, not {kind!r}.")
    return opened


def open_request(vault: Vault, path, *, accept_unverified: bool = False,
                 task: TaskState | None = None) -> tuple[DecryptionRequest, object]:
    """A request bundle, verified; every contribution it carries is opened here (signed by a
    contact of this vault) and every cell re-computed from them and compared with the request,
    which is refused on any difference. Returns the request and its sender contact."""
    from ..core.identity import find_by_sign_key

    task = ensure_task(task)
    opened = _open_kind(vault, path, REQUEST_KIND, accept_unverified, task.sub(0, 0.2))
    contact, _old = find_by_sign_key(vault, opened.header.sender_sign_public)
    request = DecryptionRequest.from_files(opened.result)
    contributions = []
    for i, source in enumerate(request.sources):
        contributions.append(_contribution_from_bundle_bytes(
            vault, request.carried[source["file"]], f"{Path(path).name}, contribution {i + 1}",
            label=str(source.get("label")), accept_unverified=accept_unverified,
            requester=opened.sender_fingerprint))
    request.verify(contributions, task.sub(0.2, 1.0))
    return request, contact


def answer_request(vault: Vault, request: DecryptionRequest, *, min_records: int = DEFAULT_MIN_RECORDS,
                   epsilon: float | None = None, budget_dataset=None,
                   task: TaskState | None = None) -> DecryptionResult:
    """Decrypt the cells this vault re-computed for the request (key holder only), refuse
    small cells and cells that differ from an earlier exact answer by fewer than
    ``min_records`` records, optionally add discrete-Laplace noise spending ``epsilon`` from
    ``budget_dataset``'s ledger, and record the answer (release of kind ``he_result``, the
    answered cells, the spend) in one transaction."""
    task = ensure_task(task)
    combination = request.verified
    if combination is None:
        raise InputError("The request was not checked against its contributions; open it with "
                         "open_request first.")
    decryptor = CRTDecryptor(private_key_for(vault, request.key_fingerprint), workers=2)
    noise = None
    dp = None
    if epsilon is not None:
        if budget_dataset is None:
            raise InputError("Differential privacy needs the dataset whose budget to spend.")
        from ..core.dp.accounting import Cost
        from ..core.dp.ledger import budget_status

        noise, dp = _laplace_noise(epsilon, len(request.query.columns),
                                   request.query.needs_squares)
        cost = Cost(epsilon=float(epsilon))
        # Refuse an overspend before decrypting; spend() below repeats the check under the lock.
        budget_status(vault, budget_dataset, with_entries=False).check(cost)
    presence: list = []
    rows = evaluate(combination, decryptor, min_records=min_records, noise=noise,
                    task=task.sub(0, 0.9), presence=presence)
    result = DecryptionResult(request.request_id, utc_now(), request.query,
                              request.key_fingerprint, _plain_sources(combination.sources),
                              min_records, rows, dp, [SINGLE_KEY_WARNING])
    cells = cells_to_record(combination, rows, presence, min_records, noised=dp is not None)

    def record():
        return vault.put_release(f"HE result {request.request_id[:12]}-{secrets.token_hex(3)}",
                                 RESULT_KIND,
                                 source=budget_dataset, recipe={"query": request.query.to_dict()},
                                 report={"rows": result.rows, "min_records": min_records,
                                         "dp": dp, "sources": result.sources},
                                 files=result.to_files())

    with vault.transaction():
        if dp is None:        # exact answers: no cell may isolate a few records of an earlier one
            for j, (reason, on_data) in differencing_refusals(
                    vault, cells, min_records, ValueCheck.of(combination, decryptor)).items():
                rows[j].update(values={}, refused=reason)
                if not on_data:
                    cells[j] = None
            release = record()
        else:
            from ..core.dp.ledger import spend

            release = spend(vault, budget_dataset, cost, mechanism="he_laplace",
                            description=f"homomorphic result {request.request_id[:12]}: "
                                        f"{request.query.describe()}", release=record)
        record_answers(vault, request.request_id, release.id, cells,
                       [row["records"] for row in rows], noised=dp is not None)
        vault.audit("he.answer", request_id=request.request_id, cells=len(rows),
                    refused=sum(1 for r in rows if r["refused"]), epsilon=epsilon)
    task.report(1.0, "answered")
    return result


def _plain_sources(sources: list[dict]) -> list[dict]:
    """What a result says about its sources: labels, counts, bundle ids (no bundle bytes)."""
    keep = ("label", "records_total", "records_used", "bundle_id", "sender_fingerprint",
            "release", "dataset", "bundle_file")
    return [{k: s[k] for k in keep if k in s} for s in sources]


def _laplace_noise(epsilon: float, n_columns: int, with_squares: bool):
    """Split ε evenly over the noised quantities (sum, count, and sum of squares per column);
    cells are disjoint groups, so they compose in parallel."""
    from ..core.dp.accounting import LAPLACE, privacy_parameter
    from ..core.dp.mechanisms import add_noise

    eps = privacy_parameter(epsilon, "epsilon")
    parts = n_columns * (3 if with_squares else 2)
    share = eps / parts

    def noise(quantities: dict, sensitivities: dict) -> dict:
        out = {}
        for name, values in quantities.items():
            if any(abs(v) >= 2 ** 62 for v in values) or sensitivities[name] >= 2 ** 62:
                raise InputError(f"{name.split(':', 1)[1]!r}: values are too large for exact "
                                 f"integer noise; encrypt with a smaller scale or range.")
            out[name] = add_noise(values, sensitivities[name], noise=LAPLACE,
                                  budget=share).values.tolist()
        return out
    return noise, {"mechanism": "discrete Laplace", "epsilon": float(epsilon),
                   "split": parts, "note": "each sum, count and sum of squares gets ε/split"}


def send_result(vault: Vault, result: DecryptionResult, out_path, *, to, allow_unverified: bool = False,
                task: TaskState | None = None):
    from .sharing import seal_files

    return seal_files(vault, kind=RESULT_KIND, title=f"Result {result.request_id[:12]}",
                      files=result.to_files(), contacts=[to], out_path=out_path,
                      manifest={"he_result": {"request_id": result.request_id}},
                      allow_unverified=allow_unverified, task=task)


def answer_and_send(vault: Vault, request: DecryptionRequest, sender, out_path, *,
                    min_records: int = DEFAULT_MIN_RECORDS, epsilon: float | None = None,
                    budget_dataset=None, allow_unverified: bool = False,
                    task: TaskState | None = None) -> DecryptionResult:
    """Answer a request and seal the result for its sender, checking first whatever could stop
    the result from being written: an answer recorded (and budget spent) but never delivered
    would be wasted, and answering again would spend again."""
    from .sharing import check_recipients

    task = ensure_task(task)
    if sender is None:
        raise InputError("The request's sender is not among your contacts; import and verify "
                         "their identity card first.")
    check_recipients(vault, [sender], allow_unverified)
    if not Path(out_path).parent.is_dir():
        raise InputError("cannot write the result bundle: the folder does not exist",
                         path=str(Path(out_path).parent))
    result = answer_request(vault, request, min_records=min_records, epsilon=epsilon,
                            budget_dataset=budget_dataset, task=task.sub(0, 0.9))
    send_result(vault, result, out_path, to=sender, allow_unverified=allow_unverified,
                task=task.sub(0.9, 1.0))
    return result


def open_result(vault: Vault, path, *, accept_unverified: bool = False,
                task: TaskState | None = None) -> DecryptionResult:
    opened = _open_kind(vault, path, RESULT_KIND, accept_unverified, task)
    result = DecryptionResult.from_files(opened.result)
    sender = opened.manifest.get("sender", {})
    result.notes.append(f"Answered by {sender.get('display_name', '?')} "
                        f"({opened.sender_fingerprint}), bundle {opened.bundle_id}.")
    return result


def result_chart(result: DecryptionResult) -> str:
    """Bars per group for the first statistic (SVG, same chart module as the reports)."""
    stat, col = result.query.stats[0]
    label = stat_label(stat, col)
    shown = [r for r in result.rows if not r["refused"] and r["values"].get(label) is not None]
    labels = [", ".join(str(v) for v in r["group"].values()) or "all" for r in shown]
    # The title names the statistic; a long rotated y label would run into the tick labels.
    return charts.bar_chart(labels, [float(r["values"][label]) for r in shown],
                            title=label, xlabel=", ".join(result.query.by), ylabel=stat)


def write_result_chart(result: DecryptionResult, path: Path) -> Path:
    """:func:`result_chart` as an SVG file (``ppds he show --chart``), written atomically."""
    from ..core.files import atomic_path

    try:
        with atomic_path(path) as tmp:
            tmp.write_text(result_chart(result), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the chart ({exc.strerror})", path=str(path)) from None
    return Path(path)


def export_result(result: DecryptionResult, path) -> Path:
    """Write a decrypted aggregation result (one row per group, the figures asked for) as CSV
    or .xlsx, formulas escaped."""
    from ..core.io import write_table

    return write_table(result.frame(), Path(path))


def provenance_lines(result: DecryptionResult, when=str) -> list[str]:
    """Where a result comes from, as lines; ``when`` formats the answer's UTC time (the GUI
    passes its local-time formatter)."""
    lines = [f"Query: {result.query.describe()}",
             f"Key {result.key_fingerprint}; answered {when(result.answered_at)}; "
             f"cells under {result.min_records} records refused."]
    lines += [f"Source {s['label']}: {s['records_used']} of {s['records_total']} records"
              + (f" (bundle {s['bundle_id'][:12]})" if s.get("bundle_id") else "")
              for s in result.sources]
    if result.dp:
        lines.append(f"Differential privacy: {result.dp['mechanism']}, ε = {result.dp['epsilon']:g}.")
    return lines + list(result.notes)


__all__ = ["ENCRYPTED_FILE", "SINGLE_KEY_WARNING", "KeyInfo", "create_key",
           "list_keys", "key_choices", "resolve_public_key", "contribution_from_files",
           "contribution_from_release", "contribution_from_dataset", "contribution_from_bundle",
           "compute_request", "send_request", "open_request", "answer_request", "answer_and_send", "send_result",
           "open_result", "result_chart", "write_result_chart", "provenance_lines", "export_result",
           "REQUEST_FILE", "RESULT_FILE",
           "CELLS_FILE", "KEY_EXTENSION", "private_key_for", "key_holder_contact",
           "DEFAULT_MIN_RECORDS", "MAX_CELLS", "DEFAULT_EPSILON", "MIN_RECORDS_HELP",
           "EPSILON_HELP"]
