"""The study definition: who takes part in which role, the split key, the statistics, the rules.

The coordinator writes it, runs the key ceremony, adds the public split key and signs the whole
definition with its Ed25519 identity key (``sign``). The signed bytes travel unchanged in every
invitation; each participant checks the signature against the coordinator's key (the sender
of the invitation, a verified contact) *over those exact bytes*, so there is no re-serialisation
to disagree about, and keeps them. Their SHA-256, the *study hash*, is named by every later
message: a contribution, request or answer made under a different definition (for instance a
participant list the coordinator changed for some participants only) is refused by whoever
receives it. The short form of the hash (``fingerprint``) can be compared by phone like an
identity fingerprint.

Participants carry their identity keys: messages from participants who are not this vault's
contacts are checked against the keys the coordinator listed (the coordinator vouches for
them; it may only list verified contacts of its own). A joiner refuses an invitation that
lists one of *its* contacts with other keys.

Document (``study.json``, UTF-8 JSON)::

    {"format": "ppds-study", "version": 1, "study_id": "<32 hex>", "title", "created_at",
     "coordinator": "<fingerprint>",
     "participants": [{"name", "organisation", "identity_id", "fingerprint", "sign_public": b64,
                       "enc_public": b64, "site": bool, "holder": int | null}],
     "threshold": t, "min_sites": k, "pairwise_masks": bool,
     "spec": {... the statistics: variables, analyses, DP settings ...},
     "key": {... ThresholdKey.to_dict(), with the ceremony record ...} | null (a draft)}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from .. import safe_json
from ..he.threshold import ThresholdKey
from ..he.threshold.keys import MAX_PARTIES, MIN_THRESHOLD
from ..identity import keys as idkeys
from ..identity.store import utc_now
from .errors import Refused, StudyError

FORMAT = "ppds-study"
VERSION = 1
SIGNATURE_LABEL = b"PPDS study definition v1\x00"
MAX_PARTICIPANTS = 64                 # a bundle has at most 64 recipients
MAX_TITLE = 200
MAX_DEFINITION_BYTES = 16 * 1024 * 1024
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Participant:
    name: str
    organisation: str
    identity_id: str            # the identity card's id: how a joiner matches its contacts
    fingerprint: str
    sign_public: bytes
    enc_public: bytes
    site: bool                  # contributes data
    holder: int | None          # key-share holder number (1 .. holders), or None

    @property
    def roles(self) -> str:
        parts = (["site"] if self.site else []) + (
            [f"key-share holder {self.holder}"] if self.holder else [])
        return " and ".join(parts) or "observer"

    def to_dict(self) -> dict:
        return {"name": self.name, "organisation": self.organisation,
                "identity_id": self.identity_id, "fingerprint": self.fingerprint,
                "sign_public": _b64(self.sign_public),
                "enc_public": _b64(self.enc_public), "site": self.site, "holder": self.holder}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Participant":
        if not isinstance(data, dict):
            raise StudyError(f"{where} is malformed.")
        name, org, ident = data.get("name"), data.get("organisation", ""), data.get("identity_id")
        site, holder = data.get("site"), data.get("holder")
        if (not isinstance(name, str) or not name.strip() or not isinstance(org, str)
                or not isinstance(ident, str)):
            raise StudyError(f"{where} has no name or identity.")
        if not isinstance(site, bool) or not (holder is None or (type(holder) is int
                                                               and holder >= 1)):
            raise StudyError(f"{where} ({name}) has malformed roles.")
        sign, enc = _unb64(data.get("sign_public"), where), _unb64(data.get("enc_public"), where)
        fp = idkeys.fingerprint(sign, enc)
        if data.get("fingerprint") != fp:
            raise Refused(f"{where} ({name}): its fingerprint does not belong to its keys; the "
                          f"participant list was altered.")
        return cls(name, org, ident, fp, sign, enc, site, holder)


@dataclass(frozen=True)
class StudyDefinition:
    study_id: str
    title: str
    created_at: str
    coordinator: str                      # the coordinator's fingerprint
    participants: tuple                   # Participant, in the coordinator's order
    threshold: int
    min_sites: int
    pairwise_masks: bool
    spec: dict
    key: ThresholdKey | None = None       # None while a draft
    _raw: bytes | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        self._check()

    # -- making ---------------------------------------------------------------------------
    @classmethod
    def draft(cls, title: str, participants, *, coordinator: str, threshold: int,
              min_sites: int, pairwise_masks: bool, spec: dict) -> "StudyDefinition":
        return cls(secrets.token_hex(16), title.strip(), utc_now(), coordinator,
                   tuple(participants), threshold, min_sites, pairwise_masks, spec)

    def with_key(self, key: ThresholdKey) -> "StudyDefinition":
        if key.threshold != self.threshold or key.parties != len(self.holders):
            raise StudyError(f"The split key is {key.threshold} of {key.parties}; the study "
                             f"needs {self.threshold} of {len(self.holders)}.")
        return replace(self, key=key, _raw=None)

    # -- roles ----------------------------------------------------------------------------
    @property
    def sites(self) -> list[Participant]:
        return [p for p in self.participants if p.site]

    @property
    def holders(self) -> list[Participant]:
        return sorted((p for p in self.participants if p.holder), key=lambda p: p.holder)

    def participant(self, fingerprint: str) -> Participant | None:
        return next((p for p in self.participants if p.fingerprint == fingerprint), None)

    def by_sign_key(self, sign_public: bytes) -> Participant | None:
        return next((p for p in self.participants if p.sign_public == sign_public), None)

    def holder(self, index: int) -> Participant | None:
        return next((p for p in self.participants if p.holder == index), None)

    def name_of(self, fingerprint: str) -> str:
        p = self.participant(fingerprint)
        return p.name if p else f"an unknown party ({fingerprint[:11]}…)"

    # -- checks ---------------------------------------------------------------------------
    def _check(self) -> None:
        if not _HEX32.match(str(self.study_id)):
            raise StudyError("The study id is malformed.")
        if not isinstance(self.title, str) or not self.title.strip() or len(self.title) > MAX_TITLE:
            raise StudyError(f"A study needs a title of 1 to {MAX_TITLE} characters.")
        ps = self.participants
        if not 2 <= len(ps) <= MAX_PARTICIPANTS:
            raise StudyError(f"A study has 2 to {MAX_PARTICIPANTS} participants; "
                             f"{len(ps)} were given.")
        if len({p.fingerprint for p in ps}) != len(ps):
            raise StudyError("A participant is listed twice.")
        if len({p.name for p in ps}) != len(ps):
            raise StudyError("Two participants have the same name.")
        if self.participant(self.coordinator) is None:
            raise StudyError("The coordinator must be one of the participants.")
        holders = self.holders
        if [p.holder for p in holders] != list(range(1, len(holders) + 1)):
            raise StudyError("Key-share holders must be numbered 1, 2, … without gaps.")
        if not (type(self.threshold) is int and MIN_THRESHOLD <= self.threshold <= len(holders)
                <= MAX_PARTIES):
            raise StudyError(f"The threshold must be at least {MIN_THRESHOLD} and at most the "
                             f"number of key-share holders ({len(holders)}); "
                             f"{self.threshold} was given.")
        if not (type(self.min_sites) is int and 2 <= self.min_sites <= len(self.sites)):
            raise StudyError(f"The minimum number of contributing sites must be at least 2 and "
                             f"at most the number of sites ({len(self.sites)}); "
                             f"{self.min_sites} was given.")
        if not isinstance(self.pairwise_masks, bool) or not isinstance(self.spec, dict):
            raise StudyError("The study definition is malformed (masks or statistics).")
        if self.key is not None and (self.key.threshold != self.threshold
                                     or self.key.parties != len(holders)):
            raise Refused("The study's split key does not match its key-share holders; the "
                          "definition was altered.")

    # -- bytes, hash, signature -----------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "study_id": self.study_id,
                "title": self.title, "created_at": self.created_at,
                "coordinator": self.coordinator,
                "participants": [p.to_dict() for p in self.participants],
                "threshold": self.threshold, "min_sites": self.min_sites,
                "pairwise_masks": self.pairwise_masks, "spec": self.spec,
                "key": None if self.key is None else self.key.to_dict()}

    def to_bytes(self) -> bytes:
        """The exact bytes that are signed, hashed and sent (those read, if read)."""
        if self._raw is None:
            raw = json.dumps(self.to_dict(), sort_keys=True, indent=1, ensure_ascii=False,
                             allow_nan=False).encode("utf-8")
            object.__setattr__(self, "_raw", raw)
        return self._raw

    @property
    def study_hash(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """The study hash's first 80 bits in groups of 4 hex digits, to compare by phone."""
        h = self.study_hash[:20]
        return " ".join(h[i:i + 4] for i in range(0, 20, 4))

    def sign(self, pairs: idkeys.KeyPairs) -> bytes:
        if pairs.fingerprint != self.coordinator:
            raise StudyError("Only the coordinator signs the study definition.")
        if self.key is None:
            raise StudyError("A draft (without its split key) is not signed.")
        return pairs.sign(SIGNATURE_LABEL + self.to_bytes())

    def verify(self, signature: bytes) -> None:
        """Refuse a definition whose bytes the coordinator did not sign exactly."""
        coordinator = self.participant(self.coordinator)
        if self.key is None or not idkeys.verify(coordinator.sign_public,
                                                 SIGNATURE_LABEL + self.to_bytes(), signature):
            raise Refused("The study definition does not carry the coordinator's signature "
                          "over its exact contents: its participant list or another field was "
                          "altered. Nothing was stored.")

    @classmethod
    def from_bytes(cls, raw: bytes) -> "StudyDefinition":
        if len(raw) > MAX_DEFINITION_BYTES:
            raise StudyError("The study definition is too large.")
        data = safe_json.loads(raw, what="The study definition", error=StudyError)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StudyError("This is not a study definition.")
        if data.get("version") != VERSION:
            raise StudyError(f"Study definition version {data.get('version')!r} is not "
                             f"supported (this program reads version {VERSION}).")
        plist = data.get("participants")
        if not isinstance(plist, list):
            raise StudyError("The study definition lists no participants.")
        key = data.get("key")
        try:
            definition = cls(
                str(data.get("study_id")), data.get("title"), str(data.get("created_at")),
                str(data.get("coordinator")),
                tuple(Participant.from_dict(p, f"Participant {i + 1}")
                      for i, p in enumerate(plist)),
                data.get("threshold"), data.get("min_sites"), data.get("pairwise_masks"),
                data.get("spec"), None if key is None else ThresholdKey.from_dict(key), raw)
        except TypeError:
            raise StudyError("The study definition is malformed.") from None
        return definition


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, where: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise StudyError(f"{where} has a malformed public key.")
    return raw
