"""The study's messages: what each bundle kind carries, written and read with every field checked.

Every message is a signed, encrypted bundle (``core/bundle``) of its own kind; the files inside
are below. All but the invitation are sealed for *every* participant (the sender included), so
any participant can aggregate, any holder can re-compute, and anyone can finish and check a
result. A JSON document of each message starts with the same fields::

    {"format": "ppds-study-<what>", "version": 1, "study_id", "study_hash", "round"}

- **invitation** (``study_invitation``, coordinator → one participant): ``study.json`` (the
  definition's exact bytes), ``study.sig`` (the coordinator's Ed25519 signature over them),
  ``invitation.json`` (``to``: the invitee's fingerprint) and, for a key-share holder,
  ``key_share.json`` (its share; this bundle is the only copy outside the holder's vault).
- **round** (``study_round``, coordinator → all): ``round.json`` (``opened_at``) opens the next
  round; the invitation opens round 1.
- **contribution** (``study_contribution``, site → all): ``contribution.json`` (``site``,
  ``key_id``, ``schema``, ``masked``, ``noise``, ``created_at``), ``statistics.bin`` (the
  encrypted statistics vector, ``core/he/serial`` format, one addition) and ``knowledge.bin``
  (the site's proof that it knows what it encrypted, ``core/he/plaintext_proof.py``, bound to
  :meth:`ContributionDoc.proof_context`).
- **request** (``study_request``, aggregator → all): ``request.json`` (``request_id``,
  ``aggregator``, ``created_at``, ``contributions``: ``[{"site", "bundle_id", "sha256",
  "file"}]``), ``combined.bin`` (the product of the contributions' ciphertexts) and every
  contribution bundle it combined, byte for byte (``contribution-NN.ppdsb``).
- **answer** (``study_answer``, holder → all): ``answer.json`` (``request_id``, ``request``: the
  SHA-256 of the request's ``request.json`` and ``combined.bin``, ``holder``, ``answered_at``)
  and ``partial.bin`` (the partial decryptions with their batched proof).
- **result** (``study_result``, whoever finishes → all): ``result.json`` (``request_id``,
  ``sites``, ``decrypted_by``, ``left_out``, ``finished_by``, ``finished_at``, ``sums``,
  ``figures``, ``privacy``), the request bundle (``request.ppdsb``) and the answers it used
  (``answer-NN.ppdsb``), so every recipient checks the proofs and the arithmetic itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from .. import safe_json
from ..identity.store import utc_now
from .errors import Refused, StudyError

VERSION = 1
KIND_INVITATION = "study_invitation"
KIND_ROUND = "study_round"
KIND_CONTRIBUTION = "study_contribution"
KIND_REQUEST = "study_request"
KIND_ANSWER = "study_answer"
KIND_RESULT = "study_result"
KINDS = (KIND_INVITATION, KIND_ROUND, KIND_CONTRIBUTION, KIND_REQUEST, KIND_ANSWER, KIND_RESULT)

DEFINITION_FILE, SIGNATURE_FILE = "study.json", "study.sig"
INVITATION_FILE, SHARE_FILE = "invitation.json", "key_share.json"
ROUND_FILE = "round.json"
CONTRIBUTION_FILE, STATISTICS_FILE = "contribution.json", "statistics.bin"
KNOWLEDGE_FILE = "knowledge.bin"
REQUEST_FILE, COMBINED_FILE = "request.json", "combined.bin"
ANSWER_FILE, PARTIAL_FILE = "answer.json", "partial.bin"
RESULT_FILE, REQUEST_BUNDLE_FILE = "result.json", "request.ppdsb"
MAX_ROUND = 1_000_000
_HEX = re.compile(r"^[0-9a-f]+$")


def contribution_file(i: int) -> str:
    return f"contribution-{i + 1:02d}.ppdsb"


def answer_file(i: int) -> str:
    return f"answer-{i + 1:02d}.ppdsb"


def sha256(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big") + part)
    return h.hexdigest()


def _dumps(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


@dataclass(frozen=True)
class Header:
    """The fields every message document starts with."""

    study_id: str
    study_hash: str
    round: int

    def fields(self, what: str) -> dict:
        return {"format": f"ppds-study-{what}", "version": VERSION, "study_id": self.study_id,
                "study_hash": self.study_hash, "round": self.round}


def read_document(files: dict[str, bytes], name: str, what: str) -> tuple[Header, dict]:
    """The document ``name`` of a ``what`` message, its common fields checked for type."""
    if name not in files:
        raise StudyError(f"This is not a study {what} (it has no {name}).")
    doc = safe_json.loads(files[name], what=f"The study {what}", error=StudyError)
    if not isinstance(doc, dict) or doc.get("format") != f"ppds-study-{what}":
        raise StudyError(f"{name} is not a study {what}.")
    if doc.get("version") != VERSION:
        raise StudyError(f"Study {what} version {doc.get('version')!r} is not supported (this "
                         f"program reads version {VERSION}).")
    sid, shash, rnd = doc.get("study_id"), doc.get("study_hash"), doc.get("round")
    if not (isinstance(sid, str) and _HEX.match(sid) and isinstance(shash, str)
            and _HEX.match(shash) and type(rnd) is int and 1 <= rnd <= MAX_ROUND):
        raise StudyError(f"The study {what} does not say which study and round it belongs to.")
    return Header(sid, shash, rnd), doc


def _text(doc: dict, key: str, what: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise StudyError(f"The study {what} lacks its {key.replace('_', ' ')}.")
    return value


def _int(doc: dict, key: str, what: str) -> int:
    value = doc.get(key)
    if type(value) is not int or value < 0:
        raise StudyError(f"The study {what} lacks its {key.replace('_', ' ')}.")
    return value


# -- invitation and round ----------------------------------------------------------------------

@dataclass(frozen=True)
class Invitation:
    header: Header
    to: str                           # the invitee's fingerprint
    definition_bytes: bytes
    signature: bytes
    share_bytes: bytes | None = None  # a holder's KeyShare.to_bytes()

    def to_files(self) -> dict[str, bytes]:
        doc = {**self.header.fields("invitation"), "to": self.to}
        files = {INVITATION_FILE: _dumps(doc), DEFINITION_FILE: self.definition_bytes,
                 SIGNATURE_FILE: self.signature}
        if self.share_bytes is not None:
            files[SHARE_FILE] = self.share_bytes
        return files

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "Invitation":
        header, doc = read_document(files, INVITATION_FILE, "invitation")
        if DEFINITION_FILE not in files or SIGNATURE_FILE not in files:
            raise StudyError("The invitation lacks the study definition or its signature.")
        return cls(header, _text(doc, "to", "invitation"), files[DEFINITION_FILE],
                   files[SIGNATURE_FILE], files.get(SHARE_FILE))


@dataclass(frozen=True)
class RoundOpening:
    header: Header
    opened_at: str

    def to_files(self) -> dict[str, bytes]:
        return {ROUND_FILE: _dumps({**self.header.fields("round"), "opened_at": self.opened_at})}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "RoundOpening":
        header, doc = read_document(files, ROUND_FILE, "round")
        return cls(header, _text(doc, "opened_at", "round"))


# -- contribution -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContributionDoc:
    header: Header
    site: str                 # fingerprint of the site (must be the bundle's signer)
    key_id: str               # the split key's id
    schema: str               # the statistics layout's id
    masked: bool
    noise: dict               # what DP noise share was added (parameters, no values)
    created_at: str

    def to_files(self, statistics: bytes, proof: bytes | None = None) -> dict[str, bytes]:
        doc = {**self.header.fields("contribution"), "site": self.site, "key_id": self.key_id,
               "schema": self.schema, "masked": self.masked, "noise": self.noise,
               "created_at": self.created_at}
        files = {CONTRIBUTION_FILE: _dumps(doc), STATISTICS_FILE: statistics}
        if proof is not None:
            files[KNOWLEDGE_FILE] = proof
        return files

    def proof_context(self) -> bytes:
        """What the proof of plaintext knowledge is bound to: this study and definition, this
        round, this site, this key and layout (so it cannot be replayed by another site, in
        another round or study)."""
        h = self.header
        return _dumps({"study_id": h.study_id, "study_hash": h.study_hash, "round": h.round,
                       "site": self.site, "key_id": self.key_id, "schema": self.schema})

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "ContributionDoc":
        header, doc = read_document(files, CONTRIBUTION_FILE, "contribution")
        if STATISTICS_FILE not in files:
            raise StudyError("The contribution carries no statistics.")
        masked, noise = doc.get("masked"), doc.get("noise")
        if not isinstance(masked, bool) or not isinstance(noise, dict):
            raise StudyError("The study contribution is malformed.")
        return cls(header, _text(doc, "site", "contribution"),
                   _text(doc, "key_id", "contribution"), _text(doc, "schema", "contribution"),
                   masked, noise, _text(doc, "created_at", "contribution"))


# -- request ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Named:
    """One contribution a request names."""

    site: str
    bundle_id: str
    sha256: str
    file: str

    def to_dict(self) -> dict:
        return {"site": self.site, "bundle_id": self.bundle_id, "sha256": self.sha256,
                "file": self.file}


@dataclass
class RequestDoc:
    header: Header
    request_id: str
    aggregator: str
    created_at: str
    named: list                        # Named
    combined: bytes                    # combined.bin
    carried: dict = field(default_factory=dict)    # file -> contribution bundle bytes

    @classmethod
    def new(cls, header: Header, aggregator: str, named: list, combined: bytes,
            carried: dict) -> "RequestDoc":
        return cls(header, secrets.token_hex(16), aggregator, utc_now(), named, combined,
                   carried)

    def document(self) -> bytes:
        return _dumps({**self.header.fields("request"), "request_id": self.request_id,
                       "aggregator": self.aggregator, "created_at": self.created_at,
                       "contributions": [n.to_dict() for n in self.named]})

    @property
    def digest(self) -> str:
        """What an answer names: the request's document and its combined ciphertexts."""
        return sha256(self.document(), self.combined)

    def to_files(self) -> dict[str, bytes]:
        return {REQUEST_FILE: self.document(), COMBINED_FILE: self.combined, **self.carried}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "RequestDoc":
        header, doc = read_document(files, REQUEST_FILE, "request")
        if COMBINED_FILE not in files:
            raise StudyError("The request carries no combined ciphertexts.")
        listed = doc.get("contributions")
        if not isinstance(listed, list) or not listed or len(listed) > 64:
            raise StudyError("The request must name 1 to 64 contributions.")
        named, carried = [], {}
        for i, item in enumerate(listed):
            if not isinstance(item, dict):
                raise StudyError(f"The request's contribution {i + 1} is malformed.")
            n = Named(_text(item, "site", "request"), _text(item, "bundle_id", "request"),
                      _text(item, "sha256", "request"), _text(item, "file", "request"))
            if n.file != contribution_file(i) or n.file not in files:
                raise Refused(f"The request does not carry contribution {i + 1}: key-share "
                              f"holders re-compute the combination from the sites' signed "
                              f"contributions.")
            if hashlib.sha256(files[n.file]).hexdigest() != n.sha256:
                raise Refused(f"Contribution {i + 1} of the request does not match the hash the "
                              f"request names for it; refused.")
            named.append(n)
            carried[n.file] = files[n.file]
        request = cls(header, _text(doc, "request_id", "request"),
                      _text(doc, "aggregator", "request"), _text(doc, "created_at", "request"),
                      named, files[COMBINED_FILE], carried)
        if request.document() != files[REQUEST_FILE]:
            # Re-serialising must give the bytes the answers hash; anything else was hand-made.
            raise StudyError("The request document is not in its canonical form.")
        return request


# -- answer -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerDoc:
    header: Header
    request_id: str
    request_digest: str
    holder: int
    answered_at: str
    partial: bytes                    # partial.bin (PartialDecryption.to_bytes)

    def to_files(self) -> dict[str, bytes]:
        doc = {**self.header.fields("answer"), "request_id": self.request_id,
               "request": self.request_digest, "holder": self.holder,
               "answered_at": self.answered_at}
        return {ANSWER_FILE: _dumps(doc), PARTIAL_FILE: self.partial}

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "AnswerDoc":
        header, doc = read_document(files, ANSWER_FILE, "answer")
        if PARTIAL_FILE not in files:
            raise StudyError("The answer carries no partial decryption.")
        return cls(header, _text(doc, "request_id", "answer"), _text(doc, "request", "answer"),
                   _int(doc, "holder", "answer"), _text(doc, "answered_at", "answer"),
                   files[PARTIAL_FILE])


# -- result -------------------------------------------------------------------------------------

@dataclass
class ResultDoc:
    header: Header
    request_id: str
    sites: list              # [{"fingerprint", "name", "bundle_id"}]
    decrypted_by: list       # [{"holder", "fingerprint", "name"}]
    left_out: list           # [{"holder", "reason"}]
    finished_by: str
    finished_at: str
    sums: list               # the decrypted statistics vector (integers at their scales)
    figures: Any             # the statistics computed from it (JSON)
    privacy: dict            # ε, δ spent per site, noise mechanism (no values)
    request_bundle: bytes = b""
    answer_bundles: list = field(default_factory=list)

    def document(self) -> dict:
        return {**self.header.fields("result"), "request_id": self.request_id,
                "sites": self.sites, "decrypted_by": self.decrypted_by,
                "left_out": self.left_out, "finished_by": self.finished_by,
                "finished_at": self.finished_at, "sums": [str(v) for v in self.sums],
                "figures": self.figures, "privacy": self.privacy}

    def to_files(self) -> dict[str, bytes]:
        files = {RESULT_FILE: _dumps(self.document()), REQUEST_BUNDLE_FILE: self.request_bundle}
        files.update({answer_file(i): b for i, b in enumerate(self.answer_bundles)})
        return files

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> "ResultDoc":
        header, doc = read_document(files, RESULT_FILE, "result")
        if REQUEST_BUNDLE_FILE not in files:
            raise StudyError("The result does not carry the request it answers.")
        answers = []
        while answer_file(len(answers)) in files:
            answers.append(files[answer_file(len(answers))])
        lists = [doc.get(k) for k in ("sites", "decrypted_by", "left_out", "sums")]
        if not all(isinstance(x, list) for x in lists) or not isinstance(doc.get("privacy"), dict):
            raise StudyError("The study result is malformed.")
        try:
            sums = [int(v) for v in doc["sums"]]
        except (TypeError, ValueError):
            raise StudyError("The study result's sums are malformed.") from None
        return cls(header, _text(doc, "request_id", "result"), doc["sites"],
                   doc["decrypted_by"], doc["left_out"], _text(doc, "finished_by", "result"),
                   _text(doc, "finished_at", "result"), sums, doc.get("figures"),
                   doc["privacy"], files[REQUEST_BUNDLE_FILE], answers)
