"""Combining several parties' encrypted columns into decryption requests, and turning the key
holder's decryption into a result.

A *contribution* is one release's plaintext (de-identified) columns plus its encrypted columns,
row for row. :func:`build_request` filters and groups each contribution by plaintext columns,
adds the matching ciphertexts of all contributions per group (homomorphically), and produces a
:class:`DecryptionRequest`: one ciphertext per cell, with the group, the number of records and
the sources it covers. :func:`evaluate` is run by the key holder: it decrypts the cells through
a :class:`~.decrypt.Decryptor`, refuses cells over fewer than ``min_records`` records (counting
the decrypted presence counts, not the requester's claim) and computes the asked statistics,
optionally after a noise function (differential privacy) has been applied to the integer sums.
Only the asked statistics leave :func:`evaluate`; other slots of a decrypted cell are dropped.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from ..errors import CryptoError, InputError
from ..identity.store import utc_now
from ..progress import TaskState, ensure_task
from . import serial
from .array import EncryptedArray
from .columns import ColumnStats
from .keys import fingerprint, public_key_from_dict, public_key_to_dict
from .query import HEQuery, query_from_dict, select_rows

REQUEST_TYPE = "ppds-he-request"
RESULT_TYPE = "ppds-he-result"
REQUEST_FILE, CELLS_FILE, RESULT_FILE = "he_request.json", "he_cells.bin", "he_result.json"
DEFAULT_MIN_RECORDS = 5


@dataclass
class Contribution:
    label: str                       # e.g. the sending hospital
    frame: pd.DataFrame              # plaintext columns, row i <-> ciphertext i
    array: EncryptedArray
    source: dict = field(default_factory=dict)   # provenance: bundle id, sender fingerprint...

    def __post_init__(self):
        if len(self.frame) != len(self.array):
            raise CryptoError(f"{self.label}: {len(self.frame)} plaintext rows but "
                              f"{len(self.array)} encrypted rows; the release is inconsistent.")


@dataclass
class DecryptionRequest:
    request_id: str
    created_at: str
    query: HEQuery
    public_key: object
    sources: list[dict]
    cells: list[dict]                # {"group": {col: value}, "records": n, "by_source": {..}}
    array: EncryptedArray            # cells[i] <-> array.ciphertexts[i]

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def describe(self) -> list[str]:
        """What the key holder would decrypt, in plain words."""
        lines = [f"Request {self.request_id[:12]}: {self.query.describe()}",
                 f"Key {self.key_fingerprint}; {len(self.cells)} cell(s) from "
                 f"{len(self.sources)} source(s):"]
        lines += [f"  - {s['label']}: {s['records_used']} of {s['records_total']} records"
                  for s in self.sources]
        for cell in self.cells:
            group = ", ".join(f"{k}={v}" for k, v in cell["group"].items()) or "(all)"
            lines.append(f"  cell {group}: {cell['records']} records")
        return lines

    def to_files(self) -> dict[str, bytes]:
        doc = {"type": REQUEST_TYPE, "version": 1, "request_id": self.request_id,
               "created_at": self.created_at, "query": self.query.to_dict(),
               "public_key": public_key_to_dict(self.public_key), "sources": self.sources,
               "cells": self.cells}
        return {REQUEST_FILE: json.dumps(doc, sort_keys=True, indent=1).encode(),
                CELLS_FILE: serial.dumps(self.array)}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "DecryptionRequest":
        doc = _load_json(files, REQUEST_FILE, REQUEST_TYPE)
        if CELLS_FILE not in files:
            raise InputError(f"The decryption request has no {CELLS_FILE}.")
        try:
            public_key = public_key_from_dict(doc["public_key"])
            array = serial.loads(files[CELLS_FILE], public_key)
            request = cls(str(doc["request_id"]), str(doc["created_at"]),
                          query_from_dict(doc["query"]), public_key, list(doc["sources"]),
                          list(doc["cells"]), array)
        except (KeyError, TypeError) as exc:
            raise InputError(f"The decryption request lacks a field ({exc}).") from None
        if not all(isinstance(s, dict) and {"label", "records_used", "records_total"} <= set(s)
                   for s in request.sources):
            raise InputError("The decryption request's list of sources is malformed.")
        if len(request.cells) != len(array):
            raise CryptoError(f"The request lists {len(request.cells)} cells but carries "
                              f"{len(array)} ciphertexts.")
        for i, cell in enumerate(request.cells):
            if (not isinstance(cell, dict) or not isinstance(cell.get("group"), dict)
                    or not isinstance(cell.get("records"), int) or cell["records"] < 0):
                raise InputError(f"The request's cell {i + 1} is malformed.")
        return request


@dataclass
class DecryptionResult:
    request_id: str
    answered_at: str
    query: HEQuery
    key_fingerprint: str
    sources: list[dict]
    min_records: int
    rows: list[dict]                 # {"group", "records", "values": {label: v}, "refused"}
    dp: dict | None = None
    notes: list[str] = field(default_factory=list)

    def to_files(self) -> dict[str, bytes]:
        doc = {"type": RESULT_TYPE, "version": 1, "request_id": self.request_id,
               "answered_at": self.answered_at, "query": self.query.to_dict(),
               "key_fingerprint": self.key_fingerprint, "sources": self.sources,
               "min_records": self.min_records, "rows": self.rows, "dp": self.dp,
               "notes": self.notes}
        return {RESULT_FILE: json.dumps(doc, sort_keys=True, indent=1).encode()}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "DecryptionResult":
        doc = _load_json(files, RESULT_FILE, RESULT_TYPE)
        try:
            result = cls(str(doc["request_id"]), str(doc["answered_at"]),
                         query_from_dict(doc["query"]), str(doc["key_fingerprint"]),
                         list(doc["sources"]), int(doc["min_records"]), list(doc["rows"]),
                         doc.get("dp"), [str(n) for n in doc.get("notes") or []])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"The result lacks a field ({exc}).") from None
        for i, row in enumerate(result.rows):
            if not (isinstance(row, dict) and isinstance(row.get("group"), dict)
                    and isinstance(row.get("values"), dict) and "refused" in row
                    and isinstance(row.get("records"), int)):
                raise InputError(f"The result's row {i + 1} is malformed.")
        return result

    def frame(self) -> pd.DataFrame:
        """One row per cell: the group columns, the records, each statistic, refusals."""
        records = []
        for row in self.rows:
            rec = dict(row["group"])
            rec["records"] = row["records"]
            rec.update(row["values"])
            rec["note"] = row["refused"] or ""
            records.append(rec)
        return pd.DataFrame.from_records(records)


def _load_json(files: dict[str, bytes], name: str, kind: str) -> dict:
    if name not in files:
        raise InputError(f"This is not a {kind} (it has no {name}).")
    try:
        doc = json.loads(files[name])
    except ValueError:
        raise InputError(f"{name} is not valid JSON.") from None
    if not isinstance(doc, dict) or doc.get("type") != kind or doc.get("version") != 1:
        raise InputError(f"{name} is not a version-1 {kind}.")
    return doc


def stat_label(stat: str, column: str) -> str:
    return f"{stat} {column}"


def _distinct_labels(contributions: list[Contribution]) -> list[str]:
    """One label per contribution, refusing the same one twice (its values would be added twice
    while its records are counted once); two releases of one site get "(2)", "(3)"..."""
    seen_ids: dict = {}
    labels: list[str] = []
    for contrib in contributions:
        ident = (contrib.source.get("bundle_id") or contrib.source.get("release_uid")
                 or id(contrib.array))
        if ident in seen_ids:
            raise InputError(f"{contrib.label} is given twice (same as source "
                             f"{seen_ids[ident]}); each contribution may be added only once.")
        label, n = contrib.label, 2
        while label in labels:
            label, n = f"{contrib.label} ({n})", n + 1
        seen_ids[ident] = len(labels) + 1
        labels.append(label)
    return labels


def build_request(contributions: list[Contribution], query: HEQuery,
                  task: TaskState | None = None) -> DecryptionRequest:
    """Filter, group and add up the contributions' ciphertexts; nothing is decrypted here."""
    task = ensure_task(task)
    if not contributions:
        raise InputError("Open at least one release or bundle with encrypted columns.")
    first = contributions[0]
    for other in contributions[1:]:
        if other.array.public_key.n != first.array.public_key.n:
            raise CryptoError(f"{other.label} is encrypted under key {other.array.fingerprint}, "
                              f"{first.label} under {first.array.fingerprint}; they cannot be "
                              f"combined.")
        if other.array.layout != first.array.layout:
            raise CryptoError(f"{other.label} and {first.label} encrypted their columns with "
                              f"different settings (scale, range or headroom); ask every site to "
                              f"use the same encryption section.")
    labels = _distinct_labels(contributions)
    encrypted = {s.name for s in first.array.layout.slots}
    for _, col in query.stats:
        if col not in encrypted:
            raise InputError(f"{col!r} is not an encrypted column of these releases.")
    sums: dict[tuple, EncryptedArray] = {}
    counts: dict[tuple, dict[str, int]] = {}
    sources = []
    for i, (contrib, label) in enumerate(zip(contributions, labels)):
        step = task.sub(i / len(contributions), (i + 1) / len(contributions))
        positions, keys = select_rows(contrib.frame, query, source=label)
        sources.append({"label": label, "records_total": len(contrib.frame),
                        "records_used": int(len(positions)), **contrib.source})
        subset = contrib.array.derive([contrib.array.ciphertexts[p] for p in positions],
                                      contrib.array.additions)
        for key, arr in subset.grouped_sums(keys, step).items():
            sums[key] = arr if key not in sums else sums[key].add(arr)
            counts.setdefault(key, {})[label] = int(arr.additions // contrib.array.additions)
    order = sorted(sums, key=lambda k: tuple(str(x) for x in k))
    if not order:
        raise InputError("No record matches the query's conditions; nothing to decrypt.")
    cells = [{"group": dict(zip(query.by, key)), "records": sum(counts[key].values()),
              "by_source": counts[key]} for key in order]
    array = first.array.derive([sums[k].ciphertexts[0] for k in order],
                               max(sums[k].additions for k in order), length=None,
                               meta={"request": True})
    return DecryptionRequest(secrets.token_hex(16), utc_now(), query, first.array.public_key,
                             sources, cells, array)


Noise = Callable[[dict[str, list[int]], dict[str, int]], dict[str, list[int]]]


def evaluate(request: DecryptionRequest, decryptor, *, min_records: int = DEFAULT_MIN_RECORDS,
             noise: Noise | None = None, task: TaskState | None = None) -> DecryptionResult:
    """Decrypt the request's cells and compute its statistics (key holder side).

    ``noise(quantities, sensitivities)`` receives, for every quantity the statistics need
    (``"sum:COL"``, ``"count:COL"``, ``"sumsq:COL"``), the integer values of the released cells
    and one cell's sensitivity, and returns noisy integers of the same shape.
    """
    if min_records < 1:
        raise InputError("The minimum number of records per cell must be at least 1.")
    if decryptor.public_key.n != request.public_key.n:
        raise CryptoError(f"This request is for key {request.key_fingerprint}, which is not "
                          f"the key held here.")
    layout = request.array.layout
    slots = {s.name: s for s in layout.slots}
    columns = request.query.columns
    missing = [c for c in columns if c not in slots or f"{c}#n" not in slots]
    if missing:
        raise InputError(f"The request asks about {', '.join(map(repr, missing))}, which the "
                         f"ciphertexts do not hold.")
    needs_sq = request.query.needs_squares
    if needs_sq and any(f"{c}^2" not in slots for c in columns):
        raise CryptoError("These columns were encrypted without squares, so variances cannot "
                          "be computed.")
    decrypted = request.array.decrypt_slots(decryptor, task)   # only once the request is valid
    rows, kept = [], []
    for cell, values in zip(request.cells, decrypted):
        by_name = dict(zip(slots, values))
        present = [by_name[f"{c}#n"] for c in columns]
        claimed = int(cell["records"])
        refused = None
        if max(present) > claimed:
            refused = "refused: more values than the records the request claims"
        elif min(present) < min_records or claimed < min_records:
            refused = f"refused: fewer than {min_records} records"
        rows.append({"group": cell["group"], "records": claimed, "values": {}, "refused": refused})
        if refused is None:
            kept.append((len(rows) - 1, by_name))
    quantities: dict[str, list[int]] = {}
    sensitivities: dict[str, int] = {}
    for c in columns:
        quantities[f"sum:{c}"] = [v[c] for _, v in kept]
        quantities[f"count:{c}"] = [v[f"{c}#n"] for _, v in kept]
        sensitivities[f"sum:{c}"] = slots[c].bound - 1
        sensitivities[f"count:{c}"] = 1
        if needs_sq:
            quantities[f"sumsq:{c}"] = [v[f"{c}^2"] for _, v in kept]
            sensitivities[f"sumsq:{c}"] = slots[f"{c}^2"].bound - 1
    if noise is not None and kept:
        quantities = noise(quantities, sensitivities)
    for j, (i, _) in enumerate(kept):
        for stat, c in request.query.stats:
            st = ColumnStats(sum=quantities[f"sum:{c}"][j] / slots[c].scale,
                             count=max(int(quantities[f"count:{c}"][j]), 0),
                             sum_sq=(quantities[f"sumsq:{c}"][j] / slots[f"{c}^2"].scale
                                     if needs_sq else None))
            value = {"sum": st.sum, "count": st.count, "mean": st.mean,
                     "variance": st.variance}[stat]
            rows[i]["values"][stat_label(stat, c)] = value
    return DecryptionResult(request.request_id, utc_now(), request.query,
                            request.key_fingerprint, request.sources, min_records, rows)
