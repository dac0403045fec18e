"""Decryption requests, format version 2: the request carries the signed contributions it
combined, and whoever decrypts re-computes every cell from them.

Version 1 carried only the collector's cell ciphertexts and claimed record counts; a collector
could add an encrypted 4 to a one-record cell's count and claim 5 records, and the key holder,
seeing only ciphertexts, decrypted one patient's value. Version 2 therefore holds:

- ``he_request.json``: ``{"type": "ppds-he-request", "version": 2, "request_id", "created_at",
  "query", "public_key", "sources": [{"label", "file", "bundle_id", "sha256",
  "sender_fingerprint", "records_total", "records_used"}], "cells": [{"group", "records",
  "by_source"}]}``;
- one ``contribution-NN.ppdsb`` per source: the site's release bundle exactly as the site signed
  it, sealed for the key holder too (the collector cannot alter it without breaking the site's
  signature);
- ``he_cells.bin``: the collector's cell ciphertexts.

The decryptor opens every carried bundle itself (signature of a verified contact), re-computes
the cells with :func:`~.aggregate.combine`, and refuses the whole request unless every claimed
cell — group, record counts per source, ``additions`` and ciphertext, bit for bit — equals what
it computed (:meth:`DecryptionRequest.verify`). It then decrypts only its own cells. A split-key
decryptor (issue 13) reuses exactly this: each key-share holder verifies, then decrypts its
share of the verified cells.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field

from ..errors import CryptoError, InputError
from ..clock import utc_now_seconds as utc_now
from ..progress import TaskState
from . import serial
from .aggregate import (MAX_CELLS, MAX_CONTRIBUTIONS, Combination, Contribution, combine,
                        load_document)
from .array import EncryptedArray
from .keys import fingerprint, public_key_from_dict, public_key_to_dict
from .query import HEQuery, query_from_dict

REQUEST_TYPE = "ppds-he-request"
REQUEST_VERSION = 2
REQUEST_FILE, CELLS_FILE = "he_request.json", "he_cells.bin"


def contribution_file(i: int) -> str:
    return f"contribution-{i + 1:02d}.ppdsb"


@dataclass
class DecryptionRequest:
    request_id: str
    created_at: str
    query: HEQuery
    public_key: object
    sources: list[dict]
    cells: list[dict]                # claimed: {"group": {col: value}, "records": n, "by_source"}
    array: EncryptedArray            # claimed: cells[i] <-> array.ciphertexts[i]
    carried: dict[str, bytes] = field(default_factory=dict)   # contribution file -> bundle
    verified: Combination | None = None   # what this vault computed itself

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
            group = ", ".join(f"{k}: {v}" for k, v in cell["group"].items()) or "all records"
            lines.append(f"  {group} — {cell['records']} records")
        if self.verified is not None:
            lines.append("Every cell was re-computed here from the sites' signed contributions "
                         "and matches the request.")
        return lines

    def to_files(self) -> dict[str, bytes]:
        doc = {"type": REQUEST_TYPE, "version": REQUEST_VERSION, "request_id": self.request_id,
               "created_at": self.created_at, "query": self.query.to_dict(),
               "public_key": public_key_to_dict(self.public_key), "sources": self.sources,
               "cells": self.cells}
        return {REQUEST_FILE: json.dumps(doc, sort_keys=True, indent=1).encode(),
                CELLS_FILE: serial.dumps(self.array), **self.carried}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "DecryptionRequest":
        """Parse and bound a request; its contributions are opened and checked by
        :meth:`verify` (the caller opens the carried bundles with its own keys)."""
        doc = load_document(files, REQUEST_FILE, REQUEST_TYPE, REQUEST_VERSION, refused={
            1: "This decryption request is in the old format (version 1), which asked the key "
               "holder to trust the requester's sums; it is refused. Ask the requester to "
               "compute it again with this version of PPDS Desktop."})
        if CELLS_FILE not in files:
            raise InputError(f"The decryption request has no {CELLS_FILE}.")
        cells, sources = doc.get("cells"), doc.get("sources")
        if not isinstance(cells, list) or not isinstance(sources, list):
            raise InputError("The decryption request lacks its cells or sources.")
        if len(cells) > MAX_CELLS:
            raise InputError(f"The request asks for {len(cells)} cells; at most {MAX_CELLS} are "
                             f"answered in one request. Refused without decrypting anything.")
        if not 1 <= len(sources) <= MAX_CONTRIBUTIONS:
            raise InputError(f"The request combines {len(sources)} contributions; 1 to "
                             f"{MAX_CONTRIBUTIONS} are allowed.")
        try:
            public_key = public_key_from_dict(doc["public_key"])
            array = serial.loads(files[CELLS_FILE], public_key)
            request = cls(str(doc["request_id"]), str(doc["created_at"]),
                          query_from_dict(doc["query"]), public_key, sources, cells, array)
        except (KeyError, TypeError) as exc:
            raise InputError(f"The decryption request lacks a field ({exc}).") from None
        if len(cells) != len(array):
            raise CryptoError(f"The request lists {len(cells)} cells but carries "
                              f"{len(array)} ciphertexts.")
        for i, cell in enumerate(cells):
            if (not isinstance(cell, dict) or not isinstance(cell.get("group"), dict)
                    or not isinstance(cell.get("by_source"), dict)
                    or not isinstance(cell.get("records"), int) or cell["records"] < 0):
                raise InputError(f"The request's cell {i + 1} is malformed.")
        for i, source in enumerate(sources):
            if (not isinstance(source, dict) or not isinstance(source.get("label"), str)
                    or not all(type(source.get(k)) is int and source[k] >= 0
                               for k in ("records_used", "records_total"))):
                raise InputError(f"The request's source {i + 1} is malformed.")
            name = source.get("file")
            if name != contribution_file(i) or name not in files:
                raise InputError(f"The request does not carry contribution {i + 1}: the key "
                                 f"holder re-computes every cell from the sites' signed "
                                 f"contributions.")
            if hashlib.sha256(files[name]).hexdigest() != source.get("sha256"):
                raise CryptoError(f"Contribution {i + 1} of the request does not match the "
                                  f"hash the request lists for it.")
            request.carried[name] = files[name]
        return request

    def verify(self, contributions: list[Contribution],
               task: TaskState | None = None) -> Combination:
        """Re-compute every cell from ``contributions`` (opened and checked by the caller, in
        the request's order) and refuse the request unless it claims exactly that."""
        if len(contributions) != len(self.sources):
            raise CryptoError("The request's contributions could not all be opened.")
        for i, (source, contrib) in enumerate(zip(self.sources, contributions)):
            if source.get("bundle_id") != contrib.source.get("bundle_id"):
                raise CryptoError(f"Contribution {i + 1} is bundle "
                                  f"{contrib.source.get('bundle_id')}, not bundle "
                                  f"{source.get('bundle_id')} as the request says.")
            if contrib.array.public_key.n != self.public_key.n:
                raise CryptoError(f"Contribution {i + 1} is encrypted under another key than "
                                  f"the request names.")
        labels = [str(s.get("label", "")) for s in self.sources]
        if len(set(labels)) != len(labels):
            raise InputError("The request names two of its sources alike.")
        mine = combine(contributions, self.query, labels=labels, task=task)
        if len(mine.cells) != len(self.cells):
            raise CryptoError(f"The request claims {len(self.cells)} cells, but its signed "
                              f"contributions give {len(mine.cells)}; the key holder answers "
                              f"only what it computes itself. Refused.")
        if self.array.layout != mine.array.layout or self.array.additions != mine.array.additions:
            raise CryptoError(f"The request claims {self.array.additions} additions per slot, "
                              f"but its signed contributions give {mine.array.additions}. "
                              f"Refused.")
        for claimed, cell, ours, theirs in zip(self.cells, mine.cells, mine.array.ciphertexts,
                                               self.array.ciphertexts):
            where = ", ".join(f"{k}={v}" for k, v in cell.group.items()) or "(all)"
            if claimed["group"] != cell.group:
                raise CryptoError(f"The request's cells are not the groups its signed "
                                  f"contributions give (expected {where}). Refused.")
            if claimed["records"] != cell.records or claimed["by_source"] != cell.by_source:
                raise CryptoError(f"The request claims {claimed['records']} records in cell "
                                  f"{where}, but its signed contributions give {cell.records}; "
                                  f"the key holder answers only what it computes itself. "
                                  f"Refused.")
            if ours != theirs:
                raise CryptoError(f"The ciphertext of cell {where} is not the sum of the "
                                  f"records it claims (it was altered); refused.")
        self.verified = mine
        return mine


def build_request(contributions: list[Contribution], query: HEQuery,
                  task: TaskState | None = None) -> DecryptionRequest:
    """Filter, group and add up the contributions' ciphertexts (collector side); every
    contribution with its signed bundle is carried, so the decryptor can re-compute."""
    combination = combine(contributions, query, task=task)
    sources, carried = [], {}
    for i, (source, contrib) in enumerate(zip(combination.sources, contributions)):
        if contrib.bundle is not None:
            carried[contribution_file(i)] = contrib.bundle
            source = {**source, "file": contribution_file(i),
                      "sha256": hashlib.sha256(contrib.bundle).hexdigest()}
        sources.append(source)
    request = DecryptionRequest(secrets.token_hex(16), utc_now(), query,
                                combination.array.public_key, sources,
                                [c.claim() for c in combination.cells], combination.array,
                                carried, combination)
    return request
