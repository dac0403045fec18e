"""Combining several parties' encrypted columns into cells, and turning a decryption of those
cells into a result.

A *contribution* is one release's plaintext (de-identified) columns plus its encrypted columns,
row for row, as one site signed it (``bundle``: the signed bundle it came in). :func:`combine`
filters and groups each contribution by plaintext columns and adds the matching ciphertexts of
all contributions per group (homomorphically): one :class:`Cell` per group, with its ciphertext,
its record count and the rows of each contribution it covers. The collector runs it to build a
request (``request.py``); the key holder runs it *again* on the signed contributions the request
carries and decrypts only what it computed itself (never the requester's arithmetic).
:func:`evaluate` decrypts the cells through a :class:`~.decrypt.Decryptor`, refuses cells over
fewer than ``min_records`` records that the requester did not contribute itself, and computes the
asked statistics, optionally after a noise function (differential privacy) has been applied to
the integer sums. Only the asked statistics leave :func:`evaluate`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import gmpy2
import numpy as np
import pandas as pd

from .. import safe_json
from ..errors import CryptoError, InputError
from ..progress import TaskState, ensure_task
from .array import EncryptedArray
from .columns import ColumnStats
from .limits import DEFAULT_MIN_RECORDS
from .query import HEQuery, query_from_dict, select_rows

RESULT_TYPE = "ppds-he-result"
RESULT_FILE = "he_result.json"
#: Cells one request may ask for: decrypting costs ~3 ms a cell (a 20,000-cell request took
#: 52 s of CPU), and no meaningful table of statistics has more groups than this.
MAX_CELLS = 1000
#: Contributions one request may combine (each is a whole release bundle).
MAX_CONTRIBUTIONS = 64


@dataclass
class Contribution:
    label: str                       # e.g. the sending hospital
    frame: pd.DataFrame              # plaintext columns, row i <-> ciphertext i
    array: EncryptedArray
    source: dict = field(default_factory=dict)   # provenance: bundle id, sender fingerprint...
    bundle: bytes | None = None      # the signed bundle it was read from (carried in requests)
    from_requester: bool = False     # signed by whoever asks for the decryption

    def __post_init__(self):
        if len(self.frame) != len(self.array):
            raise CryptoError(f"{self.label}: {len(self.frame)} plaintext rows but "
                              f"{len(self.array)} encrypted rows; the release is inconsistent.")
        if self.array.additions != 1:
            raise CryptoError(f"{self.label}: its encrypted columns claim {self.array.additions} "
                              f"additions, but a release holds one fresh ciphertext per record "
                              f"(1); refused.")

    @property
    def key(self) -> str:
        """What identifies this contribution across requests: its signed bundle's id."""
        return str(self.source.get("bundle_id") or self.source.get("release_uid") or self.label)


@dataclass
class Cell:
    group: dict
    records: int
    by_source: dict[str, int]                    # label -> records
    members: dict[int, np.ndarray]               # contribution index -> row positions

    def claim(self) -> dict:
        return {"group": self.group, "records": self.records, "by_source": self.by_source}


@dataclass
class Combination:
    """Cells of a query over contributions; ``array.ciphertexts[i]`` is cell i's ciphertext."""
    query: HEQuery
    contributions: list[Contribution]
    labels: list[str]
    cells: list[Cell]
    array: EncryptedArray

    @property
    def sources(self) -> list[dict]:
        used = [0] * len(self.contributions)
        for cell in self.cells:
            for i, rows in cell.members.items():
                used[i] += len(rows)
        return [{"label": label, "records_total": len(c.frame), "records_used": n, **c.source}
                for c, label, n in zip(self.contributions, self.labels, used)]


def stat_label(stat: str, column: str) -> str:
    return f"{stat} {column}"


def distinct_labels(contributions: list[Contribution]) -> list[str]:
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


def combine(contributions: list[Contribution], query: HEQuery, *,
            labels: list[str] | None = None, task: TaskState | None = None) -> Combination:
    """Filter, group and add up the contributions' ciphertexts; nothing is decrypted here."""
    task = ensure_task(task)
    if not contributions:
        raise InputError("Open at least one release or bundle with encrypted columns.")
    if len(contributions) > MAX_CONTRIBUTIONS:
        raise InputError(f"{len(contributions)} contributions; one request combines at most "
                         f"{MAX_CONTRIBUTIONS}.")
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
    names = distinct_labels(contributions)      # refuses one contribution given twice, always
    labels = labels or names
    encrypted = {s.name for s in first.array.layout.slots}
    for _, col in query.stats:
        if col not in encrypted:
            raise InputError(f"{col!r} is not an encrypted column of these releases.")
    groups: dict[tuple, dict[int, list[int]]] = {}
    for i, (contrib, label) in enumerate(zip(contributions, labels)):
        positions, keys = select_rows(contrib.frame, query, source=label)
        for pos, key in zip(positions.tolist(), keys):
            groups.setdefault(key, {}).setdefault(i, []).append(pos)
        if len(groups) > MAX_CELLS:
            raise InputError(f"The query makes more than {MAX_CELLS} cells (groups); a request "
                             f"may ask for at most {MAX_CELLS}. Group by fewer or coarser "
                             f"columns.")
    order = sorted(groups, key=lambda k: tuple(str(x) for x in k))
    if not order:
        raise InputError("No record matches the query's conditions; nothing to decrypt.")
    # refuse a sum the packing has no headroom for before computing anything
    first.array._check_additions(max(sum(map(len, groups[k].values())) for k in order))
    n2 = gmpy2.mpz(first.array.public_key.n) ** 2
    cells, ciphertexts = [], []
    for j, key in enumerate(order):
        task.report(j / len(order), "adding up the cells")
        members = {i: np.asarray(rows, dtype=np.int64) for i, rows in groups[key].items()}
        by_source = {labels[i]: len(rows) for i, rows in members.items()}
        cells.append(Cell(dict(zip(query.by, key)), sum(by_source.values()), by_source, members))
        ciphertexts.append(_added_up(contributions, members, n2))
    array = first.array.derive(ciphertexts, max(c.records for c in cells), length=None,
                               meta={"request": True})
    return Combination(query, list(contributions), labels, cells, array)


def _added_up(contributions: list[Contribution], selection: dict[int, np.ndarray],
              n2: gmpy2.mpz) -> gmpy2.mpz:
    """One ciphertext of the selected rows (contribution index -> row positions) added up:
    the product of their ciphertexts mod n², for combine's cells and the key holder's counts."""
    acc = gmpy2.mpz(1)
    for i, rows in selection.items():
        cts = contributions[i].array.ciphertexts
        for pos in np.asarray(rows).tolist():
            acc = acc * cts[pos] % n2
    return acc


Noise = Callable[[dict[str, list[int]], dict[str, int]], dict[str, list[int]]]


def own_contributions(combination: Combination) -> set[int]:
    """The contributions signed by whoever asks (it knows their values)."""
    return {i for i, c in enumerate(combination.contributions) if c.from_requester}


def public_refusal(combination: Combination, j: int, min_records: int) -> str | None:
    """Cell ``j``'s refusal on what the requester knows anyway (records per source): fewer than
    ``min_records`` of its records from contributions the requester did not sign."""
    cell, own = combination.cells[j], own_contributions(combination)
    others = sum(len(r) for i, r in cell.members.items() if i not in own)
    if others >= min_records:
        return None
    return (f"refused: fewer than {min_records} records"
            + (" from sites other than the requester" if others < cell.records else ""))


def value_counts(combination: Combination, decryptor,
                 selections: list[dict[int, np.ndarray]]) -> list[dict[str, int]]:
    """For each selection (contribution index -> row positions), how many of its records have
    a value of each asked column: their ciphertexts added up and the counts decrypted (by the
    key holder, for its own checks; nothing of this leaves it)."""
    if not selections:
        return []
    n2 = gmpy2.mpz(combination.array.public_key.n) ** 2
    sums = [_added_up(combination.contributions, selection, n2) for selection in selections]
    first = combination.contributions[0].array
    array = first.derive(sums, max(1, max(sum(len(r) for r in s.values()) for s in selections)),
                         length=None)
    names = [s.name for s in array.layout.slots]
    return [{c: row[names.index(f"{c}#n")] for c in combination.query.columns}
            for row in array.decrypt_slots(decryptor)]


def evaluate(combination: Combination, decryptor, *, min_records: int = DEFAULT_MIN_RECORDS,
             noise: Noise | None = None, task: TaskState | None = None,
             presence: list | None = None) -> list[dict]:
    """Decrypt the cells the key holder computed and return one row per cell:
    ``{"group", "records", "values": {label: v}, "refused": reason | None}``.

    A cell is refused when fewer than ``min_records`` of its records come from contributions
    not signed by the requester (the requester knows its own values and could subtract them), or
    when fewer than ``min_records`` of them have a value: answered exactly, fewer than
    ``min_records`` values *from the other contributions* (a cell of the requester's 100 records
    and another site's 5, four of them without a value, would otherwise give that one value);
    with noise, counted after the noise (so the refusal is not an exact fact about the data).
    ``noise(quantities, sensitivities)`` receives, for every quantity the statistics need
    (``"sum:COL"``, ``"count:COL"``, ``"sumsq:COL"``), the integer values of the released cells
    and one record's sensitivity, and returns noisy integers of the same shape. ``presence``,
    if given, receives per cell the decrypted number of values of each asked column.
    """
    if min_records < 1:
        raise InputError("The minimum number of records per cell must be at least 1.")
    array, query = combination.array, combination.query
    if decryptor.public_key.n != array.public_key.n:
        raise CryptoError(f"These cells are for key {array.fingerprint}, which is not the key "
                          f"held here.")
    slots = {s.name: s for s in array.layout.slots}
    columns = query.columns
    missing = [c for c in columns if c not in slots or f"{c}#n" not in slots]
    if missing:
        raise InputError(f"The request asks about {', '.join(map(repr, missing))}, which the "
                         f"ciphertexts do not hold.")
    needs_sq = query.needs_squares
    if needs_sq and any(f"{c}^2" not in slots for c in columns):
        raise CryptoError("These columns were encrypted without squares, so variances cannot "
                          "be computed.")
    own = own_contributions(combination)
    decrypted = array.decrypt_slots(decryptor, task)   # only once the request is valid
    cells = combination.cells
    mixed = [j for j, cell in enumerate(cells) if noise is None and own & set(cell.members)
             and public_refusal(combination, j, min_records) is None]
    from_others = dict(zip(mixed, value_counts(
        combination, decryptor, [{i: r for i, r in cells[j].members.items() if i not in own}
                                 for j in mixed])))
    rows, kept = [], []
    for j, (cell, values) in enumerate(zip(cells, decrypted)):
        by_name = dict(zip(slots, values))
        present = {c: by_name[f"{c}#n"] for c in columns}
        if presence is not None:
            presence.append(present)
        refused = None
        if max(present.values()) > cell.records or min(present.values()) < 0:
            refused = "refused: the ciphertexts hold more values than the cell has records"
        else:
            refused = public_refusal(combination, j, min_records)
        if refused is None and noise is None:
            counted = from_others.get(j, present)
            if min(counted.values()) < min_records:
                refused = (f"refused: fewer than {min_records} records with a value"
                           + (" from sites other than the requester" if j in from_others
                              else ""))
        rows.append({"group": cell.group, "records": cell.records, "values": {},
                     "refused": refused})
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
            if min(quantities[f"count:{c}"][j] for c in columns) < min_records:
                rows[i]["refused"] = (f"refused: fewer than {min_records} records with a value "
                                      f"(counted with the noise)")
    for j, (i, _) in enumerate(kept):
        if rows[i]["refused"]:
            continue
        for stat, c in query.stats:
            st = ColumnStats(sum=quantities[f"sum:{c}"][j] / slots[c].scale,
                             count=max(int(quantities[f"count:{c}"][j]), 0),
                             sum_sq=(quantities[f"sumsq:{c}"][j] / slots[f"{c}^2"].scale
                                     if needs_sq else None))
            value = {"sum": st.sum, "count": st.count, "mean": st.mean,
                     "variance": st.variance}[stat]
            rows[i]["values"][stat_label(stat, c)] = value
    return rows


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
        doc = load_document(files, RESULT_FILE, RESULT_TYPE, 1)
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


def load_document(files: dict[str, bytes], name: str, kind: str, version: int, *,
                  refused: dict[int, str] | None = None) -> dict:
    """The JSON document ``name`` of a request or result, of this ``kind`` and ``version``;
    ``refused`` maps older versions to the message that says why they are refused."""
    if name not in files:
        raise InputError(f"This is not a {kind} (it has no {name}).")
    doc = safe_json.loads(files[name], what=name, error=InputError)
    if isinstance(doc, dict):
        for old, message in (refused or {}).items():
            if doc.get("version") == old:
                raise InputError(message)
    if not isinstance(doc, dict) or doc.get("type") != kind:
        raise InputError(f"{name} is not a {kind}.")
    if doc.get("version") != version:
        raise InputError(f"{name} is a version-{doc.get('version')!r} {kind}; this program reads "
                         f"version {version}.")
    return doc
