"""Use cases of homomorphic aggregation: keys, encrypted release columns, decryption requests,
answers and results. The GUI (``ui/he``) and ``ppds he`` call these.

Flow: a key holder creates a Paillier key (published on its identity card); sites encrypt
release columns under it (recipe section ``encryption``, run by the release pipeline through
``core.he.run_recipe_section``) and send their releases as bundles; a collector opens several
bundles, computes SUM / COUNT / MEAN / VARIANCE by plaintext groups on the ciphertexts, and
sends a *decryption request* bundle (kind ``he_request``) to the key holder; the key holder
reviews exactly what would be decrypted, refuses small cells, optionally adds DP noise (spending
a dataset's budget), and sends a *result* bundle (kind ``he_result``) back.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..core import charts
from ..core.errors import InputError, NotFound
from ..core.he import keys as he_keys
from ..core.he import serial
from ..core.he.aggregate import (CELLS_FILE, DEFAULT_MIN_RECORDS, REQUEST_FILE, RESULT_FILE,
                                 Contribution, DecryptionRequest, DecryptionResult,
                                 build_request, evaluate, stat_label)
from ..core.he.decrypt import CRTDecryptor
from ..core.he.keyring import (KEY_EXTENSION, SINGLE_KEY_WARNING, private_key_for, private_keys,
                               resolve_public_key)
from ..core.he.release_section import ENCRYPTED_FILE
from ..core.he.query import HEQuery, parse_query
from ..core.progress import TaskState, ensure_task

REQUEST_KIND, RESULT_KIND = "he_request", "he_result"


# -- keys -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyInfo:
    name: str
    fingerprint: str
    bits: int
    published: bool = False


def create_key(vault, name: str = "default", *, bits: int = 2048, publish: bool = True,
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


def list_keys(vault) -> list[KeyInfo]:
    from ..core.identity import card_extensions, has_identity

    card = card_extensions(vault).get(KEY_EXTENSION, {}) if has_identity(vault) else {}
    out = []
    for name, key in private_keys(vault):
        fp = he_keys.fingerprint(key.public_key)
        out.append(KeyInfo(name, fp, he_keys.key_bits(key.public_key),
                           card.get("fingerprint") == fp))
    return out


def key_choices(vault) -> list[tuple[str, dict]]:
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
                            source: dict | None = None) -> Contribution:
    if ENCRYPTED_FILE not in files:
        raise InputError(f"{label}: carries no encrypted columns ({ENCRYPTED_FILE}).")
    header = serial.read_header(files[ENCRYPTED_FILE])
    key = (header.get("meta") or {}).get("public_key")
    if not key:
        raise InputError(f"{label}: the encrypted columns do not name their public key.")
    array = serial.loads(files[ENCRYPTED_FILE], he_keys.public_key_from_dict(key))
    return Contribution(label, frame, array, dict(source or {}))


def contribution_from_release(vault, ref) -> Contribution:
    """A release with encrypted columns: one of this vault's own, or the files of a bundle
    imported with ``sharing.open_into_vault`` (kind ``received``)."""
    info = vault.release_info(ref)
    if info.output_dataset_id is None and info.kind == "received" and info.source_dataset_id:
        return contribution_from_dataset(vault, info.source_dataset_id)  # an imported bundle
    if info.output_dataset_id is None:
        raise InputError(f"Release {info.name!r} has no released table.")
    frame = vault.load_dataset(info.output_dataset_id)
    return contribution_from_files(info.name, frame, vault.release_files(info.id),
                                   {"release": info.name, "release_uid": info.uid})


def contribution_from_dataset(vault, ref) -> Contribution:
    """A bundle already imported into this vault (dataset of kind ``bundle``)."""
    info = vault.dataset_info(ref)
    for release in vault.list_releases():
        if release.source_dataset_id == info.id and ENCRYPTED_FILE in release.files:
            sender = (info.source or {}).get("sender", {})
            return contribution_from_files(
                sender.get("contact") or info.name, vault.load_dataset(info.id),
                vault.release_files(release.id),
                {"bundle_id": (info.source or {}).get("bundle_id"),
                 "sender_fingerprint": sender.get("fingerprint"), "dataset": info.name})
    raise InputError(f"Dataset {info.name!r} has no encrypted columns.")


def contribution_from_bundle(vault, path, *, accept_unverified: bool = False,
                             task: TaskState | None = None) -> Contribution:
    """A release bundle file, verified and decrypted in memory (the vault is not changed)."""
    from .sharing import DATA_FILE, open_files

    opened = open_files(vault, path, accept_unverified=accept_unverified, accept_replay=True,
                        task=task)
    files = opened.result
    if DATA_FILE not in files:
        raise InputError(f"{Path(path).name}: the bundle carries no released table.")
    frame = pq.read_table(io.BytesIO(files[DATA_FILE])).to_pandas()
    sender = opened.manifest.get("sender", {})
    label = sender.get("organisation") or sender.get("display_name") or Path(path).stem
    return contribution_from_files(label, frame, files,
                                   {"bundle_id": opened.bundle_id,
                                    "sender_fingerprint": opened.sender_fingerprint,
                                    "bundle_file": Path(path).name})


# -- compute, answer, show ------------------------------------------------------------------

def compute_request(vault, contributions: list[Contribution], query: HEQuery | str, *,
                    task: TaskState | None = None) -> DecryptionRequest:
    """Combine the contributions homomorphically into a decryption request, kept in the vault."""
    if isinstance(query, str):
        query = parse_query(query)
    request = build_request(contributions, query, task)
    vault.put_release(f"HE request {request.request_id[:12]}", REQUEST_KIND,
                      recipe={"query": query.to_dict()},
                      report={"sources": request.sources, "cells": request.cells},
                      files=request.to_files())
    return request


def key_holder_contact(vault, request: DecryptionRequest):
    """The contact whose card carries the request's key, or None if the key is our own."""
    from ..core.identity import list_contacts

    for contact in list_contacts(vault):
        card = contact.extensions.get(KEY_EXTENSION) or {}
        if card.get("fingerprint") == request.key_fingerprint:
            return contact
    if any(k.fingerprint == request.key_fingerprint for k in list_keys(vault)):
        return None
    raise NotFound(f"No contact holds key {request.key_fingerprint}; import the key holder's "
                   f"identity card first.")


def send_request(vault, request: DecryptionRequest, out_path, *, to=None,
                 allow_unverified: bool = False, task: TaskState | None = None):
    from .sharing import seal_files

    contact = to if to is not None else key_holder_contact(vault, request)
    if contact is None:
        raise InputError("The request is for your own key: answer it here instead of sending it.")
    return seal_files(vault, kind=REQUEST_KIND, title=f"Decryption request {request.request_id[:12]}",
                      files=request.to_files(), contacts=[contact], out_path=out_path,
                      manifest={"he_request": {"request_id": request.request_id,
                                               "key_fingerprint": request.key_fingerprint}},
                      allow_unverified=allow_unverified, task=task)


def _open_kind(vault, path, kind: str, accept_unverified: bool, task):
    from .sharing import open_files

    opened = open_files(vault, path, accept_unverified=accept_unverified, task=task)
    if opened.header.kind != kind:
        raise InputError(f"{Path(path).name} is a {opened.header.kind!r} bundle, not {kind!r}.")
    return opened


def open_request(vault, path, *, accept_unverified: bool = False,
                 task: TaskState | None = None) -> tuple[DecryptionRequest, object]:
    """A request bundle, verified; returns the request and its sender contact."""
    from ..core.identity import find_by_sign_key

    opened = _open_kind(vault, path, REQUEST_KIND, accept_unverified, task)
    contact, _old = find_by_sign_key(vault, opened.header.sender_sign_public)
    return DecryptionRequest.from_files(opened.result), contact


def answer_request(vault, request: DecryptionRequest, *, min_records: int = DEFAULT_MIN_RECORDS,
                   epsilon: float | None = None, budget_dataset=None,
                   task: TaskState | None = None) -> DecryptionResult:
    """Decrypt the request's cells (key holder only), refuse small cells, optionally add
    discrete-Laplace noise spending ``epsilon`` from ``budget_dataset``'s ledger, and record
    the answer as a release of kind ``he_result`` in the same transaction as the spend."""
    task = ensure_task(task)
    decryptor = CRTDecryptor(private_key_for(vault, request.key_fingerprint), workers=2)
    noise = None
    dp = None
    if epsilon is not None:
        if budget_dataset is None:
            raise InputError("Differential privacy needs the dataset whose budget to spend.")
        from ..core.dp.accounting import Cost
        from ..core.dp.ledger import budget_status, spend

        noise, dp = _laplace_noise(epsilon, len(request.query.columns),
                                   request.query.needs_squares)
        cost = Cost(epsilon=float(epsilon))
        # Refuse an overspend before decrypting; spend() below repeats the check under the lock.
        budget_status(vault, budget_dataset, with_entries=False).check(cost)
    result = evaluate(request, decryptor, min_records=min_records, noise=noise,
                      task=task.sub(0, 0.9))
    result.dp = dp
    result.notes.append(SINGLE_KEY_WARNING)

    def record():
        return vault.put_release(f"HE result {request.request_id[:12]}-{secrets.token_hex(3)}",
                                 RESULT_KIND,
                                 source=budget_dataset, recipe={"query": request.query.to_dict()},
                                 report={"rows": result.rows, "min_records": min_records,
                                         "dp": dp, "sources": request.sources},
                                 files=result.to_files())
    if dp is None:
        record()
    else:
        spend(vault, budget_dataset, cost, mechanism="he_laplace",
              description=f"homomorphic result {request.request_id[:12]}: "
                          f"{request.query.describe()}", release=record)
    vault.audit("he.answer", request_id=request.request_id, cells=len(result.rows),
                refused=sum(1 for r in result.rows if r["refused"]), epsilon=epsilon)
    task.report(1.0, "answered")
    return result


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


def send_result(vault, result: DecryptionResult, out_path, *, to, allow_unverified: bool = False,
                task: TaskState | None = None):
    from .sharing import seal_files

    return seal_files(vault, kind=RESULT_KIND, title=f"Result {result.request_id[:12]}",
                      files=result.to_files(), contacts=[to], out_path=out_path,
                      manifest={"he_result": {"request_id": result.request_id}},
                      allow_unverified=allow_unverified, task=task)


def answer_and_send(vault, request: DecryptionRequest, sender, out_path, *,
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


def open_result(vault, path, *, accept_unverified: bool = False,
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


def provenance_lines(result: DecryptionResult) -> list[str]:
    lines = [f"Query: {result.query.describe()}",
             f"Key {result.key_fingerprint}; answered {result.answered_at}; "
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
           "open_result", "result_chart", "provenance_lines", "REQUEST_FILE", "RESULT_FILE",
           "CELLS_FILE", "KEY_EXTENSION", "private_key_for"]
