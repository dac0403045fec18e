"""Use cases of multi-site studies with a split decryption key (``ppds study``, the Studies page).

One function per user action; each returns plain values (dataclasses of strings, numbers and
lists), long steps take ``task``, and every check happens before anything is stored or written,
so a refusal leaves the vault and the output folder as they were. The protocol, message by
message, is in ``docs/studies.md``; the formats in ``core/study/protocol.py``; the rules a
key-share holder applies in ``core/study/checks.py``.

Flow: the coordinator ``create_study`` (a draft) and ``invite`` (key ceremony, one signed
invitation per participant); each participant ``join``; each site ``preview_contribution`` then
``contribute``; any participant ``combine`` the contributions into a decryption request; each
key-share holder ``review_request`` then ``answer`` (or refuses); any participant ``finish``
with ``t`` answers; everyone ``open_result``. ``new_round`` starts the next round.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.bundle import MemorySink, open_bundle
from ..core.errors import InputError, NotFound
from ..core.he import serial
from ..core.he.encrypt import Encryptor
from ..core.he.threshold import KeyShare, PartialDecryption, combine as combine_partials
from ..core.he.pool import DEFAULT_WORKERS
from ..core.he.threshold import partial_decrypt, run_ceremony
from ..core.he.threshold.partial import check_ciphertexts
from ..core.identity import list_contacts, load_identity
from ..core.identity.store import utc_now
from ..core.progress import TaskState, ensure_task
from ..core.study import checks, masks
from ..core.study import protocol as msg
from ..core.study.definition import Participant, StudyDefinition
from ..core.study.errors import Refused, StudyError
from ..core.study.payload import StudyStatistics, canonical_spec
from ..core.study.vector import encrypt, pack, values_of
from ..core.vault import studies as store
from .sharing import bundle_header, check_recipients, open_files, seal_for_keys

DEFAULT_KEY_BITS = 2048
CONTRIBUTION_RELEASE = "study_contribution"

__all__ = ["StudyInfo", "InvitationsWritten", "InvitationPreview", "ContributionPreview",
           "ContributionSent", "RequestSent", "RequestReview", "AnswerSent", "ResultReport",
           "StudyStatus", "Refused", "StudyError", "create_study", "invite", "preview_invitation",
           "join", "new_round", "suggest_mapping", "preview_contribution", "contribute",
           "combine", "review_request", "answer", "finish", "open_result", "list_studies",
           "study_status", "result_lines"]


# -- plain values the GUI and CLI show ---------------------------------------------------------

@dataclass(frozen=True)
class StudyInfo:
    study_id: str
    title: str
    role: str                  # coordinator | participant
    state: str                 # draft | open
    round: int
    fingerprint: str           # the study's, to compare by phone ("" for a draft)
    my_roles: str              # "site and key-share holder 2" ...
    threshold: int
    holders: int
    sites: list                # names
    min_sites: int
    pairwise_masks: bool


@dataclass(frozen=True)
class InvitationsWritten:
    study: StudyInfo
    files: list                # (participant name, path)
    ceremony: dict             # who ran the key ceremony, when, how long, "trusted dealer"


@dataclass(frozen=True)
class InvitationPreview:
    study: StudyInfo
    coordinator: str
    participants: list         # (name, organisation, roles, how this vault knows them)
    statistics: list           # plain-language lines about what will be computed
    ceremony: dict
    warnings: list


@dataclass(frozen=True)
class ContributionPreview:
    """What would leave the site: every statistic by name with its value before noise, and what
    stays here (clipped values per variable)."""

    study: StudyInfo
    dataset: str
    round: int
    rows: int
    statistics: list           # (label, value before noise, records) in the order encrypted
    clipped: dict              # variable -> values clipped to the declared bounds (not sent)
    what_leaves: list          # plain-language lines: each statistic and over how many records
    notes: list                # for this screen only: clipped, unknown and missing values
    noise: str                 # plain words: the noise share's guarantee, or "no noise"
    epsilon: float             # charged to this dataset's ledger (0 without DP)
    delta: float
    ciphertexts: int
    recipients: list           # participant names the bundle is sealed for
    masked: bool


@dataclass(frozen=True)
class ContributionSent:
    path: Path
    bundle_id: str
    round: int
    bytes: int
    epsilon: float
    clipped: dict


@dataclass(frozen=True)
class RequestSent:
    path: Path
    request_id: str
    round: int
    sites: list                # names
    ciphertexts: int
    bytes: int


@dataclass(frozen=True)
class RequestReview:
    """A holder's view of a request, re-computed here: which sites, which statistics, and
    whether it would be answered (``refusal`` says why not)."""

    study: StudyInfo
    request_id: str
    round: int
    aggregator: str
    sites: list                # names
    statistics: list           # names of the statistics that would be decrypted (summed)
    checks: list               # what was checked, in words
    refusal: str | None
    answered_before: str | None = None


@dataclass(frozen=True)
class AnswerSent:
    path: Path
    request_id: str
    holder: int
    ciphertexts: int
    bytes: int


@dataclass
class ResultReport:
    study: StudyInfo
    request_id: str
    round: int
    sites: list                # names of the sites whose contributions are in the sums
    decrypted_by: list         # (holder number, name)
    left_out: list             # (holder number, reason)
    finished_by: str
    finished_at: str
    figures: dict              # the statistics layer's results (JSON: analyses, figures, intervals)
    privacy: dict              # mechanism, ε, δ, ρ charged per site, in words
    sums: list                 # the decrypted totals (with the sites' noise), in plan order
    lines: list = field(default_factory=list)     # the report, in plain language
    path: Path | None = None


@dataclass(frozen=True)
class StudyStatus:
    study: StudyInfo
    participants: list         # (name, roles)
    invited: list              # names the invitations were written for
    contributed: list          # (round, site name, direction)
    requests: list             # (round, request id, aggregator, sites)
    answered: list             # (request id, holder name)
    results: list              # (round, request id, finished by)
    holds_share: bool


# -- the study in this vault -------------------------------------------------------------------

def _definition(row: store.StudyRow) -> StudyDefinition:
    return StudyDefinition.from_bytes(row.definition)


def _info(row: store.StudyRow, definition: StudyDefinition, me: str) -> StudyInfo:
    mine = definition.participant(me)
    return StudyInfo(definition.study_id, definition.title, row.role, row.state, row.round,
                     definition.fingerprint if row.state == "open" else "",
                     mine.roles if mine else "not a participant", definition.threshold,
                     len(definition.holders), [p.name for p in definition.sites],
                     definition.min_sites, definition.pairwise_masks)


def _load(vault, ref, *, need_open: bool = True):
    row = store.get_study(vault, ref)
    if need_open and row.state != "open":
        raise StudyError(f"The study “{row.title}” is still a draft: send the invitations "
                         f"first (ppds study invite).")
    definition = _definition(row)
    me = load_identity(vault)
    return row, definition, me


def list_studies(vault) -> list[StudyInfo]:
    me = load_identity(vault).fingerprint
    return [_info(row, _definition(row), me) for row in store.list_studies(vault)]


def _stats(definition: StudyDefinition) -> StudyStatistics:
    bits = (definition.key.public_key.n.bit_length() if definition.key is not None
            else DEFAULT_KEY_BITS)
    return StudyStatistics.of(definition.spec, len(definition.sites), bits)


# -- opening study bundles ---------------------------------------------------------------------

def _read(source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "bundle"
    path = Path(source)
    try:
        return path.read_bytes(), path.name
    except OSError as exc:
        raise InputError(f"cannot read the bundle ({exc.strerror})", path=str(path)) from None


def _open_from_participant(vault, source, kind: str, definitions, *, what: str,
                           task: TaskState | None = None):
    """Open a study bundle signed by a participant of one of ``definitions`` (their keys as the
    signed definitions list them; they need not be this vault's contacts). Returns the opened
    bundle, its raw bytes, and the definitions its signer takes part in."""
    raw, name = _read(source)
    ident = load_identity(vault)
    known = []

    def check(header) -> None:
        if header.kind != kind:
            raise StudyError(f"{name} is a {header.kind!r} bundle, not a study {what}.")
        for d in definitions:
            p = d.by_sign_key(header.sender_sign_public)
            if p is not None and p.enc_public == header.sender_enc_public:
                known.append(d)
        if not known:
            raise Refused(f"{name}: the {what} is signed by someone who is not a participant of "
                          f"any study in this vault; refused.")

    opened = open_bundle(raw, keys=ident.keys, sink=MemorySink(), check_sender=check, task=task,
                         source=name)
    return opened, raw, known


def _open_studies(vault) -> list[StudyDefinition]:
    return [_definition(r) for r in store.list_studies(vault) if r.state == "open"]


def _study_of(vault, header: msg.Header, signers_studies, what: str):
    """This vault's study a message belongs to (by id), with its row and definition."""
    row = store.find_study(vault, header.study_id)
    if row is None or row.state != "open":
        raise Refused(f"The {what} is for a study this vault has not joined "
                      f"({header.study_id[:12]}…); refused.")
    definition = _definition(row)
    checks.check_header(definition, header, f"The {what}")
    if definition.study_id not in {d.study_id for d in signers_studies}:
        raise Refused(f"The {what} is signed by someone who is not a participant of the study "
                      f"“{definition.title}”; refused.")
    return row, definition


def _all_recipients(definition: StudyDefinition) -> list[tuple[str, str, bytes]]:
    return [(p.name, p.fingerprint, p.enc_public) for p in definition.participants]


def _seal(vault, definition: StudyDefinition, kind: str, title: str, files: dict, out_path,
          recipients=None, task=None):
    return seal_for_keys(vault, kind=kind, title=title, files=files,
                         recipients=recipients or _all_recipients(definition),
                         out_path=out_path,
                         manifest={"study": {"study_id": definition.study_id,
                                             "title": definition.title}},
                         task=task)


def _check_output(path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("cannot write here: the folder does not exist", path=str(path.parent))
    return path


@contextmanager
def _remove_on_failure(paths):
    """Delete the files written so far (``paths`` may grow inside) if the step then fails."""
    try:
        yield
    except BaseException:
        for p in paths:
            Path(p).unlink(missing_ok=True)
        raise


# -- coordinator: create and invite ------------------------------------------------------------

def create_study(vault, title: str, *, sites: list[str], holders: list[str], threshold: int,
                 spec, self_site: bool = False, self_holder: bool = True,
                 pairwise_masks: bool = False) -> StudyInfo:
    """A draft study coordinated by this vault. ``sites`` and ``holders`` name verified
    contacts (the coordinator takes part too: as a site with ``self_site``, as a key-share
    holder with ``self_holder``); holders are numbered in that order, the coordinator first.
    ``spec`` is the statistics — variables, analyses, minimum number of contributing sites, DP
    settings — as JSON text or a dict (``docs/studies-statistics.md``)."""
    me = load_identity(vault)
    spec_dict = canonical_spec(spec)
    names = list(dict.fromkeys([*sites, *holders]))
    contacts = check_recipients(vault, names, allow_unverified=False) if names else []
    by_name = dict(zip(names, contacts))
    if any(c.fingerprint == me.fingerprint for c in contacts):
        raise InputError("Name yourself with the options for the coordinator, not as a contact.")
    holder_no: dict[str, int] = {}
    if self_holder:
        holder_no[me.fingerprint] = 1
    for name in holders:
        holder_no.setdefault(by_name[name].fingerprint, len(holder_no) + 1)
    participants = [Participant(me.display_name, me.organisation, me.identity_id,
                                me.fingerprint, me.sign_public, me.enc_public, self_site,
                                holder_no.get(me.fingerprint))]
    for name in names:
        c = by_name[name]
        participants.append(Participant(c.name, c.organisation, c.identity_id, c.fingerprint,
                                        c.sign_public, c.enc_public, name in sites,
                                        holder_no.get(c.fingerprint)))
    definition = StudyDefinition.draft(title, participants, coordinator=me.fingerprint,
                                       threshold=threshold, min_sites=spec_dict["min_sites"],
                                       pairwise_masks=pairwise_masks, spec=spec_dict)
    _stats(definition).shape     # refuses statistics that cannot be packed for this many sites
    with vault.transaction():
        row = store.put_study(vault, study_id=definition.study_id, title=definition.title,
                              role="coordinator", state="draft",
                              definition=definition.to_bytes())
        vault.audit("study.create", study_id=definition.study_id, title=definition.title,
                    participants=len(participants), sites=len(definition.sites),
                    holders=len(definition.holders), threshold=threshold,
                    min_sites=definition.min_sites, masks=pairwise_masks)
    return _info(row, definition, me.fingerprint)


def _invitation_name(p: Participant) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in p.name).strip("-")[:40] or "participant"
    return f"invitation-{p.holder or 0:02d}-{safe}.ppdsb"


def invite(vault, ref, out_dir, *, bits: int = DEFAULT_KEY_BITS,
           task: TaskState | None = None) -> InvitationsWritten:
    """Run the key ceremony (this computer is the trusted dealer) and write one signed
    invitation per participant into ``out_dir``; a holder's invitation carries its key share
    and is the only copy of it outside that holder's vault. The coordinator keeps only its own
    share; the others are dropped with the primes."""
    task = ensure_task(task)
    row, definition, me = _load(vault, ref, need_open=False)
    if row.role != "coordinator" or row.state != "draft":
        raise StudyError(f"The invitations of “{row.title}” were sent already; to start again, "
                         f"open a new round (ppds study round) or create a new study.")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError("the folder for the invitations does not exist", path=str(out_dir))
    paths = {p.fingerprint: out_dir / _invitation_name(p) for p in definition.participants
             if p.fingerprint != me.fingerprint}
    clash = [str(p) for p in paths.values() if p.exists()]
    if clash:
        raise InputError(f"{len(clash)} invitation file(s) exist already; choose an empty "
                         f"folder", path=clash[0])
    # Below 2048 bits (tests only) the prime search is shorter than starting processes.
    ceremony = run_ceremony(definition.threshold, len(definition.holders),
                            operator=me.display_name, operator_fingerprint=me.fingerprint,
                            bits=bits, workers=DEFAULT_WORKERS if bits >= 2048 else 1,
                            task=task.sub(0.0, 0.8))
    definition = definition.with_key(ceremony.key)
    signature = definition.sign(me.keys)
    header = msg.Header(definition.study_id, definition.study_hash, 1)
    written = []
    shares = {s.index: s for s in ceremony.shares}
    del ceremony
    with _remove_on_failure(written), vault.transaction():
        for k, p in enumerate(definition.participants):
            task.report(0.8 + 0.2 * k / len(definition.participants), "writing the invitations")
            share = shares.pop(p.holder, None) if p.holder else None
            if p.fingerprint == me.fingerprint:
                if share is not None:
                    vault.put_secret(store.SHARE_SECRET, definition.study_id, share.to_bytes(),
                                     meta={"holder": p.holder, "key": share.key.fingerprint})
                continue
            invitation = msg.Invitation(header, p.fingerprint, definition.to_bytes(), signature,
                                        None if share is None else share.to_bytes())
            sealed = _seal(vault, definition, msg.KIND_INVITATION,
                           f"Invitation to the study {definition.title}", invitation.to_files(),
                           paths[p.fingerprint],
                           recipients=[(p.name, p.fingerprint, p.enc_public)])
            written.append(paths[p.fingerprint])
            store.add_message(vault, definition.study_id, "invitation", "sent", 1, p.fingerprint,
                              bundle_id=sealed.bundle_id,
                              summary={"to": p.name, "file": paths[p.fingerprint].name,
                                       "holder": p.holder})
        shares.clear()
        row = store.put_study(vault, study_id=definition.study_id, title=definition.title,
                              role="coordinator", state="open",
                              definition=definition.to_bytes(), signature=signature,
                              study_hash=definition.study_hash, round_no=1)
        record = definition.key.record.to_dict()
        vault.audit("study.invite", study_id=definition.study_id,
                    study_hash=definition.study_hash, invitations=len(written), ceremony=record)
    task.report(1.0, "invitations written")
    return InvitationsWritten(_info(row, definition, me.fingerprint),
                              [(definition.participant(fp).name, path)
                               for fp, path in paths.items()], record)


# -- participants: join ------------------------------------------------------------------------

def _checked_invitation(vault, path, accept_unverified: bool):
    """Open and check an invitation; returns (invitation, definition, share | None, me,
    how each participant is known here). Stores nothing."""
    opened = open_files(vault, path, accept_unverified=accept_unverified, accept_replay=True)
    if opened.header.kind != msg.KIND_INVITATION:
        raise StudyError(f"{Path(path).name} is a {opened.header.kind!r} bundle, not a study "
                         f"invitation.")
    invitation = msg.Invitation.from_files(opened.result)
    definition = StudyDefinition.from_bytes(invitation.definition_bytes)
    definition.verify(invitation.signature)
    coordinator = definition.participant(definition.coordinator)
    if coordinator.sign_public != opened.header.sender_sign_public:
        raise Refused("The invitation was sent by someone other than the study's coordinator; "
                      "refused.")
    checks.check_header(definition, invitation.header, "The invitation")
    me = load_identity(vault)
    mine = definition.participant(me.fingerprint)
    if invitation.to != me.fingerprint or mine is None:
        raise Refused("This invitation is addressed to someone else (or lists you with other "
                      "keys); refused.")
    known = {}
    contacts = list_contacts(vault)
    for p in definition.participants:
        same = [c for c in contacts if c.identity_id == p.identity_id or c.name == p.name]
        for c in same:
            if (c.sign_public, c.enc_public) != (p.sign_public, p.enc_public):
                raise Refused(f"The invitation lists “{p.name}” with keys that differ from your "
                              f"contact “{c.name}” (fingerprint {c.fingerprint[:17]}…): the "
                              f"participant list was altered. Nothing was stored.")
        if p.fingerprint == me.fingerprint:
            known[p.fingerprint] = "you"
        elif same:
            known[p.fingerprint] = ("your verified contact" if same[0].verified
                                    else "your unverified contact")
        else:
            known[p.fingerprint] = "vouched for by the coordinator"
    share = None
    if mine.holder:
        if invitation.share_bytes is None:
            raise Refused("You are a key-share holder of this study but the invitation carries "
                          "no key share; refused.")
        share = KeyShare.from_bytes(invitation.share_bytes)
        if share.key.key_id != definition.key.key_id or share.index != mine.holder:
            raise Refused("The key share in the invitation is not yours for this study's key; "
                          "refused.")
    elif invitation.share_bytes is not None:
        raise Refused("The invitation carries a key share, but the study does not make you a "
                      "key-share holder; refused.")
    return invitation, definition, share, me, known, opened.bundle_id


def preview_invitation(vault, path, *, accept_unverified: bool = False) -> InvitationPreview:
    """Everything checked as for joining, and what the invitation asks, as data; nothing is
    stored."""
    _inv, definition, _share, me, known, _bid = _checked_invitation(vault, path,
                                                                   accept_unverified)
    st = _stats(definition)
    row = store.StudyRow(definition.study_id, definition.title, "participant", "open",
                         definition.to_bytes(), None, definition.study_hash, 1, "", "")
    warnings = []
    if 2 * definition.threshold <= len(definition.holders):
        warnings.append(f"With {definition.threshold} of {len(definition.holders)} key-share "
                        f"holders, two groups of holders that never meet could each answer a "
                        f"request; the check against differencing sees only what one holder "
                        f"answered or saw decrypted.")
    if not definition.pairwise_masks:
        warnings.append(f"No pairwise masks: {definition.threshold} key-share holders working "
                        f"together could decrypt a single site's contribution.")
    return InvitationPreview(
        _info(row, definition, me.fingerprint), definition.name_of(definition.coordinator),
        [(p.name, p.organisation, p.roles, known[p.fingerprint])
         for p in definition.participants],
        [a.title() for a in st.spec.analyses] + [st.privacy.words],
        definition.key.record.to_dict(), warnings)


def join(vault, path, *, accept_unverified: bool = False) -> StudyInfo:
    """Accept an invitation (or the coordinator's opening of a new round): every check of
    :func:`preview_invitation`, then the study, the key share (a vault secret) and the
    invitation are stored in one transaction."""
    raw, name = _read(path)
    if _kind_of(raw, name) == msg.KIND_ROUND:
        return _accept_round(vault, raw, name)
    invitation, definition, share, me, _known, bundle_id = _checked_invitation(
        vault, path, accept_unverified)
    old = store.find_study(vault, definition.study_id)
    if old is not None:
        if old.study_hash == definition.study_hash:
            raise StudyError(f"You joined “{definition.title}” already on {old.created_at[:10]}.")
        raise Refused(f"You joined “{definition.title}” under another version of its definition "
                      f"(different participants, key or statistics); this invitation is "
                      f"refused.")
    with vault.transaction():
        row = store.put_study(vault, study_id=definition.study_id, title=definition.title,
                              role="participant", state="open",
                              definition=definition.to_bytes(), signature=invitation.signature,
                              study_hash=definition.study_hash, round_no=1)
        if share is not None:
            vault.put_secret(store.SHARE_SECRET, definition.study_id, share.to_bytes(),
                             meta={"holder": share.index, "key": share.key.fingerprint})
        store.add_message(vault, definition.study_id, "invitation", "received", 1,
                          definition.coordinator, bundle_id=bundle_id,
                          summary={"from": definition.name_of(definition.coordinator)})
        vault.audit("study.join", study_id=definition.study_id, study_hash=definition.study_hash,
                    holder=share.index if share else None)
    return _info(row, definition, me.fingerprint)


def _kind_of(raw: bytes, name: str) -> str:
    return bundle_header(raw, name).kind


def new_round(vault, ref, out_path) -> StudyInfo:
    """Coordinator: open the next round (new contributions, new masks); every participant
    accepts it with :func:`join`."""
    row, definition, me = _load(vault, ref)
    if row.role != "coordinator":
        raise StudyError("Only the coordinator opens a new round.")
    out_path = _check_output(out_path)
    rnd = row.round + 1
    opening = msg.RoundOpening(msg.Header(definition.study_id, definition.study_hash, rnd),
                               utc_now())
    with vault.transaction():
        sealed = _seal(vault, definition, msg.KIND_ROUND,
                       f"Round {rnd} of the study {definition.title}", opening.to_files(),
                       out_path)
        with _remove_on_failure([out_path]):
            store.set_round(vault, definition.study_id, rnd)
            store.add_message(vault, definition.study_id, "round", "sent", rnd, me.fingerprint,
                              bundle_id=sealed.bundle_id)
            vault.audit("study.round", study_id=definition.study_id, round=rnd)
    return _info(store.get_study(vault, definition.study_id), definition, me.fingerprint)


def _accept_round(vault, raw: bytes, name: str) -> StudyInfo:
    opened, _raw, signers = _open_from_participant(vault, raw, msg.KIND_ROUND,
                                                   _open_studies(vault), what="round opening")
    opening = msg.RoundOpening.from_files(opened.result)
    row, definition = _study_of(vault, opening.header, signers, "round opening")
    if definition.coordinator != opened.sender_fingerprint:
        raise Refused("Only the study's coordinator opens a round; this opening is signed by "
                      "another participant. Refused.")
    if opening.header.round <= row.round:
        raise StudyError(f"Round {opening.header.round} of “{definition.title}” is open already "
                         f"(this vault is at round {row.round}).")
    me = load_identity(vault).fingerprint
    with vault.transaction():
        store.set_round(vault, definition.study_id, opening.header.round)
        store.add_message(vault, definition.study_id, "round", "received",
                          opening.header.round, opened.sender_fingerprint,
                          bundle_id=opened.bundle_id)
        vault.audit("study.round", study_id=definition.study_id, round=opening.header.round)
    return _info(store.get_study(vault, definition.study_id), definition, me)


# -- sites: contribute -------------------------------------------------------------------------

def suggest_mapping(vault, ref, dataset) -> dict[str, str | None]:
    """For each study variable, the dataset column of the same name (ignoring case and
    spaces), or None: the starting point of the mapping wizard."""
    _row, definition, _me = _load(vault, ref)
    columns = vault.dataset_info(dataset).columns
    squash = {"".join(c.lower().split()): c for c in columns}
    return {v: squash.get("".join(v.lower().split())) for v in _stats(definition).variables}


def _site_statistics(vault, st: StudyStatistics, dataset, mapping, task):
    info = vault.dataset_info(dataset)
    wanted = st.variables
    missing = [v for v in wanted if not mapping.get(v)]
    if missing:
        raise InputError(f"Map every study variable to a column of {info.name!r}; not mapped: "
                         f"{', '.join(missing)}.")
    unknown = [c for c in mapping.values() if c not in info.columns]
    if unknown:
        raise InputError(f"Dataset {info.name!r} has no column {unknown[0]!r}.")
    frame = vault.load_dataset(info.id, columns=list(dict.fromkeys(mapping[v] for v in wanted)),
                               task=task)
    frame = pd.DataFrame({v: frame[mapping[v]] for v in wanted})
    return info, st.site(frame)


def _contribution_checks(vault, row, definition, me):
    mine = definition.participant(me.fingerprint)
    if mine is None or not mine.site:
        raise StudyError(f"This vault is not a site of “{definition.title}”; only sites "
                         f"contribute.")
    for m in store.messages(vault, definition.study_id, "contribution"):
        if m.direction == "sent" and m.round == row.round:
            raise Refused(f"This site contributed to round {row.round} of “{definition.title}” "
                          f"on {m.at[:10]} already; a site sends one contribution per round "
                          f"(two could be differenced).")


def preview_contribution(vault, ref, dataset, mapping: dict,
                         task: TaskState | None = None) -> ContributionPreview:
    """Exactly what would leave the site, before anything is encrypted, charged or sealed."""
    row, definition, me = _load(vault, ref)
    _contribution_checks(vault, row, definition, me)
    st = _stats(definition)
    info, site = _site_statistics(vault, st, dataset, mapping, task)
    privacy = st.privacy
    return ContributionPreview(
        _info(row, definition, me.fingerprint), info.name, row.round, info.n_rows,
        list(zip(st.statistic_labels, site.values, site.records)), dict(site.clipped),
        site.describe(),
        site.notes(), privacy.words, privacy.epsilon, privacy.delta, st.shape.count,
        [p.name for p in definition.participants], definition.pairwise_masks)


def contribute(vault, ref, dataset, mapping: dict, out_path, *,
               task: TaskState | None = None) -> ContributionSent:
    """Compute the site's statistics, add its noise share, pack, mask (if the study says so),
    encrypt under the split key, charge the dataset's ledger, and seal the contribution for
    every participant — the charge, the records and the file together or not at all."""
    task = ensure_task(task)
    row, definition, me = _load(vault, ref)
    _contribution_checks(vault, row, definition, me)
    out_path = _check_output(out_path)
    st = _stats(definition)
    info, site = _site_statistics(vault, st, dataset, mapping, task.sub(0.0, 0.1))
    privacy = st.privacy
    if privacy.epsilon:
        from ..core.dp.ledger import budget_status

        budget_status(vault, info.id, with_entries=False).check(privacy.cost)  # before the work
    task.report(0.1, "adding the noise share")
    plaintexts = pack(st.shape, st.noisy(site))
    key = definition.key.public_key
    if definition.pairwise_masks:
        plaintexts = masks.apply_mask(plaintexts, masks.site_mask(definition, me.keys, row.round,
                                                                  len(plaintexts)), key.n)
    with Encryptor(key) as encryptor:
        array = encrypt(encryptor, st.shape, plaintexts, task.sub(0.15, 0.9))
    del plaintexts
    doc = msg.ContributionDoc(msg.Header(definition.study_id, definition.study_hash, row.round),
                              me.fingerprint, definition.key.key_id,
                              st.shape.schema_id(definition.study_hash),
                              definition.pairwise_masks, privacy.summary, utc_now())
    files = doc.to_files(serial.dumps(array))
    clipped = dict(site.clipped)
    sealed = []

    def record():
        release = vault.put_release(
            f"Study {definition.title[:60]}: round {row.round} contribution "
            f"{doc.created_at}", CONTRIBUTION_RELEASE, source=info.id,
            recipe={"study_id": definition.study_id, "round": row.round, "mapping": mapping},
            report={"clipped": clipped, "privacy": privacy.summary,
                    "statistics": len(st.plan)})
        sealed.append(_seal(vault, definition, msg.KIND_CONTRIBUTION,
                            f"Contribution to the study {definition.title}", files, out_path,
                            task=task.sub(0.9, 1.0)))
        store.add_message(vault, definition.study_id, "contribution", "sent", row.round,
                          me.fingerprint, bundle_id=sealed[0].bundle_id,
                          summary={"dataset": info.name, "mapping": mapping,
                                   "clipped": clipped, "epsilon": privacy.epsilon})
        vault.audit("study.contribute", study_id=definition.study_id, round=row.round,
                    dataset=info.name, bundle_id=sealed[0].bundle_id, epsilon=privacy.epsilon)
        return release

    with _remove_on_failure([out_path]):
        if privacy.epsilon:
            from ..core.dp.ledger import spend

            spend(vault, info.id, privacy.cost, mechanism="study_noise_share",
                  description=f"study {definition.title[:60]}, round {row.round}",
                  release=record)
        else:
            with vault.transaction():
                record()
    return ContributionSent(out_path, sealed[0].bundle_id, row.round, sealed[0].size,
                            privacy.epsilon, clipped)


# -- any participant: combine ------------------------------------------------------------------

def _checked_contribution(definition, shape, raw, name, opened, round_no):
    sender = checks.check_sender(definition, opened.header.sender_sign_public,
                                 f"Contribution {name}")
    doc = msg.ContributionDoc.from_files(opened.result)
    array = checks.contribution_array(definition, sender, doc, opened.result[msg.STATISTICS_FILE],
                                      f"Contribution {name}")
    checks.check_contribution(definition, shape, sender, doc, array, round_no=round_no,
                              what=f"Contribution {name}")
    return checks.CheckedContribution(sender, opened.bundle_id, hashlib.sha256(raw).hexdigest(),
                                      doc, array, raw)


def _open_contribution(vault, definition, shape, source, round_no, name=None):
    raw, fname = _read(source)
    name = name or fname

    def check(header) -> None:
        if header.kind != msg.KIND_CONTRIBUTION:
            raise StudyError(f"{name} is a {header.kind!r} bundle, not a study contribution.")
        if definition.by_sign_key(header.sender_sign_public) is None:
            raise Refused(f"Contribution {name} is signed by someone who is not a participant of "
                          f"the study “{definition.title}”; refused.")

    opened = open_bundle(raw, keys=load_identity(vault).keys, sink=MemorySink(),
                         check_sender=check, source=name)
    return _checked_contribution(definition, shape, raw, name, opened, round_no)


def combine(vault, ref, contributions: list, out_path, *,
            task: TaskState | None = None) -> RequestSent:
    """Multiply the sites' contributions (their ciphertexts) into one vector and seal a
    decryption request that names each contribution by bundle id and hash and carries it."""
    task = ensure_task(task)
    row, definition, me = _load(vault, ref)
    out_path = _check_output(out_path)
    if not contributions:
        raise InputError("Give the contribution bundles to combine.")
    shape = _stats(definition).shape
    opened = []
    for k, source in enumerate(contributions):
        task.report(0.5 * k / len(contributions), "opening the contributions")
        c = _open_contribution(vault, definition, shape, source, None)
        if c.doc.header.round > row.round:
            raise StudyError(f"Contribution of {c.site.name} belongs to round "
                             f"{c.doc.header.round}, but this vault knows only up to round "
                             f"{row.round}: accept the coordinator's round opening first.")
        if c.doc.header.round != row.round:
            raise Refused(f"Contribution of {c.site.name} belongs to round {c.doc.header.round}, "
                          f"not the current round {row.round}: an earlier round's contribution "
                          f"cannot be replayed; refused.")
        opened.append(c)
    named = [msg.Named(c.site.fingerprint, c.bundle_id, c.sha256, msg.contribution_file(i))
             for i, c in enumerate(opened)]
    header = msg.Header(definition.study_id, definition.study_hash, row.round)
    probe = msg.RequestDoc(header, "", me.fingerprint, "", named, b"")
    checks.check_named(probe, opened)
    checks.check_site_set(definition, [c.site for c in opened])
    ciphertexts = checks.product([c.array for c in opened], task.sub(0.5, 0.8))
    first = opened[0].array
    combined = first.derive(ciphertexts, len(opened))
    request = msg.RequestDoc.new(header, me.fingerprint, named, serial.dumps(combined),
                                 {n.file: c.bundle for n, c in zip(named, opened)})
    with _remove_on_failure([out_path]), vault.transaction():
        sealed = _seal(vault, definition, msg.KIND_REQUEST,
                       f"Decryption request of the study {definition.title}",
                       request.to_files(), out_path, task=task.sub(0.8, 1.0))
        store.add_message(vault, definition.study_id, "request", "sent", row.round,
                          me.fingerprint, bundle_id=sealed.bundle_id,
                          request_id=request.request_id,
                          summary={"sites": [c.site.name for c in opened]})
        for c in opened:
            store.add_message(vault, definition.study_id, "contribution", "received", row.round,
                              c.site.fingerprint, bundle_id=c.bundle_id)
        vault.audit("study.combine", study_id=definition.study_id, round=row.round,
                    request_id=request.request_id, sites=len(opened))
    return RequestSent(out_path, request.request_id, row.round, [c.site.name for c in opened],
                       len(combined), sealed.size)


# -- key-share holders: review and answer ------------------------------------------------------

@dataclass
class _Checked:
    row: object
    definition: StudyDefinition
    request: msg.RequestDoc
    contributions: list
    ciphertexts: list           # re-computed here
    raw: bytes
    sender: str                 # fingerprint


def _checked_request(vault, source, task=None) -> _Checked:
    """Open a request and re-compute it from the signed contributions it carries; refuses on
    any difference. Applies no policy on the site set (see :func:`_policy_refusal`)."""
    task = ensure_task(task)
    opened, raw, signers = _open_from_participant(vault, source, msg.KIND_REQUEST,
                                                  _open_studies(vault), what="request",
                                                  task=task.sub(0.0, 0.1))
    request = msg.RequestDoc.from_files(opened.result)
    row, definition = _study_of(vault, request.header, signers, "request")
    if request.aggregator != opened.sender_fingerprint:
        raise Refused("The request names another aggregator than the participant who signed "
                      "it; refused.")
    if request.header.round > row.round:
        raise StudyError(f"The request is for round {request.header.round}, but this vault knows "
                         f"only up to round {row.round}: accept the coordinator's round opening "
                         f"first.")
    shape = _stats(definition).shape
    contributions = []
    for i, named in enumerate(request.named):
        task.report(0.1 + 0.4 * i / len(request.named), "opening the contributions")
        contributions.append(_open_contribution(vault, definition, shape,
                                                request.carried[named.file],
                                                request.header.round,
                                                name=f"{i + 1} of the request"))
    combined = serial.loads(request.combined, definition.key.public_key)
    ours = checks.recompute(request, combined, contributions, task.sub(0.5, 0.9))
    return _Checked(row, definition, request, contributions, ours, raw,
                    opened.sender_fingerprint)


def _policy_refusal(vault, checked: _Checked) -> str | None:
    """The holder's rules on the site set: enough sites, all of them with masks, and no
    differencing against what was decrypted before."""
    d, req = checked.definition, checked.request
    try:
        checks.check_site_set(d, [c.site for c in checked.contributions])
    except Refused as exc:
        return exc.message
    earlier = [checks.DecryptedSet(r.request_id, r.round, r.bundles, r.at)
               for r in store.decrypted_sets(vault, d.study_id) if r.request_id != req.request_id]
    return checks.differencing_refusal(d, req.header.round,
                                       {c.site.fingerprint: c.bundle_id
                                        for c in checked.contributions}, earlier)


def _my_share(vault, definition: StudyDefinition, me) -> KeyShare:
    mine = definition.participant(me.fingerprint)
    if mine is None or not mine.holder:
        raise StudyError(f"This vault holds no key share of “{definition.title}”; only its "
                         f"key-share holders answer requests.")
    share = KeyShare.from_bytes(vault.get_secret(store.SHARE_SECRET, definition.study_id))
    if share.key.key_id != definition.key.key_id:
        raise StudyError("The key share in this vault does not belong to the study's key.")
    return share


def _answered_at(vault, study_id: str, request_id: str) -> str | None:
    for r in store.decrypted_sets(vault, study_id):
        if r.request_id == request_id and r.source == "answered":
            return r.at
    return None


def review_request(vault, path, *, task: TaskState | None = None) -> RequestReview:
    """What a holder would decrypt and whether it would: everything re-computed here from the
    contributions, nothing stored. A request that fails a check of its contents raises
    :class:`Refused`; one that is well formed but breaks a rule on its site set comes back
    with ``refusal`` set."""
    checked = _checked_request(vault, path, task)
    d, req = checked.definition, checked.request
    me = load_identity(vault)
    _my_share(vault, d, me)
    return RequestReview(
        _info(checked.row, d, me.fingerprint), req.request_id, req.header.round,
        d.name_of(req.aggregator), [c.site.name for c in checked.contributions],
        _stats(d).statistic_labels,
        ["every contribution is signed by a site of the study and belongs to this round, key "
         "and schema",
         "each site appears once",
         f"the combined ciphertexts equal the product of the {len(checked.contributions)} "
         f"named contributions, re-computed here",
         f"at least {d.min_sites} sites; never one alone",
         "no single site's contribution follows from this and the sums decrypted before"],
        _policy_refusal(vault, checked), _answered_at(vault, d.study_id, req.request_id))


def answer(vault, path, out_path, *, task: TaskState | None = None) -> AnswerSent:
    """Re-compute the request; if it passes every check, compute this holder's partial
    decryptions with their proof, record the decrypted site set and seal the answer for every
    participant. Otherwise refuse with the reason; nothing is stored."""
    task = ensure_task(task)
    out_path = _check_output(out_path)
    checked = _checked_request(vault, path, task.sub(0.0, 0.2))
    d, req = checked.definition, checked.request
    me = load_identity(vault)
    share = _my_share(vault, d, me)
    before = _answered_at(vault, d.study_id, req.request_id)
    if before:
        raise Refused(f"This vault answered request {req.request_id[:12]}… on {before[:10]} "
                      f"already; a key-share holder answers a request once.")
    refusal = _policy_refusal(vault, checked)
    if refusal:
        raise Refused(refusal)
    partial = partial_decrypt(share, checked.ciphertexts, task=task.sub(0.2, 0.95))
    doc = msg.AnswerDoc(req.header, req.request_id, req.digest, share.index, utc_now(),
                        partial.to_bytes(d.key))
    bundles = {c.site.fingerprint: c.bundle_id for c in checked.contributions}
    with _remove_on_failure([out_path]), vault.transaction():
        # Recorded before it leaves: a second answer, or a set that differs by one site from
        # this one, is refused from now on.
        store.add_decrypted(vault, d.study_id, req.request_id, req.header.round, bundles,
                            "answered")
        sealed = _seal(vault, d, msg.KIND_ANSWER,
                       f"Answer of key-share holder {share.index} in the study {d.title}",
                       doc.to_files(), out_path, task=task.sub(0.95, 1.0))
        store.add_message(vault, d.study_id, "answer", "sent", req.header.round,
                          me.fingerprint, bundle_id=sealed.bundle_id, request_id=req.request_id,
                          summary={"holder": share.index,
                                   "sites": [c.site.name for c in checked.contributions]})
        vault.audit("study.answer", study_id=d.study_id, request_id=req.request_id,
                    holder=share.index, sites=len(bundles))
    return AnswerSent(out_path, req.request_id, share.index, len(checked.ciphertexts),
                      sealed.size)


# -- anyone: finish and read the result --------------------------------------------------------

def _decrypt(vault, checked: _Checked, answer_sources: list, task: TaskState):
    """Open the answers, check each one's signer, request and proof, and combine ``t`` valid
    ones; returns (plaintexts, used holder numbers, rejected (holder, reason), answer bundles
    used)."""
    d, req = checked.definition, checked.request
    answers, raws = [], {}
    for k, source in enumerate(answer_sources):
        task.report(0.3 * k / max(len(answer_sources), 1), "opening the answers")
        opened, raw, _signers = _open_from_participant(vault, source, msg.KIND_ANSWER, [d],
                                                       what="answer")
        doc = msg.AnswerDoc.from_files(opened.result)
        checks.check_header(d, doc.header, "The answer")
        sender = d.participant(opened.sender_fingerprint)
        if doc.request_id != req.request_id or doc.request_digest != req.digest:
            raise Refused(f"The answer of {sender.name} is for another request than "
                          f"{req.request_id[:12]}…; refused.")
        if not sender.holder or doc.holder != sender.holder:
            raise Refused(f"The answer signed by {sender.name} claims key share {doc.holder}, "
                          f"but {sender.name} holds "
                          f"{'share ' + str(sender.holder) if sender.holder else 'none'}; "
                          f"refused.")
        partial = PartialDecryption.from_bytes(doc.partial, d.key)
        if partial.index != doc.holder:
            raise Refused(f"The answer of {sender.name} carries another holder's partial "
                          f"decryption; refused.")
        answers.append(partial)
        raws.setdefault(partial.index, raw)
    if not answers:
        raise InputError("Give the key-share holders' answer bundles.")
    check_ciphertexts(d.key, checked.ciphertexts)
    result = combine_partials(d.key, checked.ciphertexts, answers, task=task.sub(0.3, 1.0))
    rejected = [(r.index, r.message) for r in result.rejected]
    return result.plaintexts, list(result.used), rejected, [raws[i] for i in result.used]


def _result_of(checked: _Checked, plaintexts, used, rejected, finished_by, finished_at,
               me) -> tuple[ResultReport, list]:
    """The report and the decrypted sums; the figures are computed here from the sums."""
    d = checked.definition
    st = _stats(d)
    sums = values_of(st.shape, plaintexts, d.key.public_key.n)
    figures = st.figures(sums, len(checked.contributions))
    result = ResultReport(
        _info(checked.row, d, me), checked.request.request_id, checked.request.header.round,
        [c.site.name for c in checked.contributions],
        [(i, d.holder(i).name) for i in used], rejected, d.name_of(finished_by), finished_at,
        _json_safe(figures.to_dict()), st.privacy.summary, sums)
    result.lines = result_lines(result) + [""] + figures.lines()
    return result, sums


def _json_safe(value):
    """The figures as JSON would give them back (tuples as lists), to compare and to store."""
    return json.loads(json.dumps(value, allow_nan=False))


def finish(vault, request_path, answer_paths: list, out_path, *,
           task: TaskState | None = None) -> ResultReport:
    """Check the request as a holder would, check every answer (signer, request, proof),
    leave out and name the bad ones, decrypt with ``t`` valid ones, compute the figures, and
    seal the result — with the request and the answers used, so every recipient re-checks it —
    for every participant."""
    task = ensure_task(task)
    out_path = _check_output(out_path)
    checked = _checked_request(vault, request_path, task.sub(0.0, 0.2))
    d, req = checked.definition, checked.request
    me = load_identity(vault)
    plaintexts, used, rejected, used_raw = _decrypt(vault, checked, answer_paths,
                                                    task.sub(0.2, 0.9))
    result, sums = _result_of(checked, plaintexts, used, rejected, me.fingerprint, utc_now(),
                              me.fingerprint)
    doc = msg.ResultDoc(req.header, req.request_id,
                        [{"fingerprint": c.site.fingerprint, "name": c.site.name,
                          "bundle_id": c.bundle_id} for c in checked.contributions],
                        [{"holder": i, "fingerprint": d.holder(i).fingerprint,
                          "name": d.holder(i).name} for i in used],
                        [{"holder": i, "reason": why} for i, why in rejected],
                        me.fingerprint, result.finished_at, sums, result.figures,
                        result.privacy, checked.raw, used_raw)
    with _remove_on_failure([out_path]), vault.transaction():
        _record_result(vault, checked, result, "sent")
        _seal(vault, d, msg.KIND_RESULT, f"Result of the study {d.title}", doc.to_files(),
              out_path, task=task.sub(0.9, 1.0))
        vault.audit("study.finish", study_id=d.study_id, request_id=req.request_id,
                    holders=used, left_out=[i for i, _ in rejected])
    result.path = out_path
    return result


def _record_result(vault, checked: _Checked, result: ResultReport, direction: str) -> None:
    d, req = checked.definition, checked.request
    store.add_decrypted(vault, d.study_id, req.request_id, req.header.round,
                        {c.site.fingerprint: c.bundle_id for c in checked.contributions},
                        "result")
    store.add_message(vault, d.study_id, "result", direction, req.header.round,
                      checked.sender, request_id=req.request_id,
                      summary={"sites": result.sites,
                               "decrypted_by": [name for _i, name in result.decrypted_by],
                               "finished_by": result.finished_by, "figures": result.figures,
                               "privacy": result.privacy})


def open_result(vault, path, *, task: TaskState | None = None) -> ResultReport:
    """Read a result and check it completely: the request it carries (re-computed from the
    contributions), every answer's proof, the decryption and the figures, which must equal
    what the result states. The decrypted site set is recorded (key-share holders refuse later
    requests that would difference it)."""
    task = ensure_task(task)
    opened, _raw, signers = _open_from_participant(vault, path, msg.KIND_RESULT,
                                                   _open_studies(vault), what="result",
                                                   task=task.sub(0.0, 0.1))
    doc = msg.ResultDoc.from_files(opened.result)
    _study_of(vault, doc.header, signers, "result")
    checked = _checked_request(vault, doc.request_bundle, task.sub(0.1, 0.4))
    if checked.request.request_id != doc.request_id or checked.request.header != doc.header:
        raise Refused("The result carries another request than the one it reports; refused.")
    me = load_identity(vault).fingerprint
    plaintexts, used, rejected, _ = _decrypt(vault, checked, doc.answer_bundles,
                                             task.sub(0.4, 0.95))
    result, sums = _result_of(checked, plaintexts, used, rejected, doc.finished_by,
                              doc.finished_at, me)
    if sums != doc.sums or result.figures != doc.figures:
        raise Refused("The result's figures are not what its answers decrypt to; refused.")
    if opened.sender_fingerprint != doc.finished_by:
        raise Refused("The result is signed by another participant than the one it names as "
                      "having finished it; refused.")
    seen = any(m.request_id == doc.request_id and m.direction == "received"
               for m in store.messages(vault, checked.definition.study_id, "result"))
    if not seen:
        with vault.transaction():
            _record_result(vault, checked, result, "received")
            vault.audit("study.result", study_id=checked.definition.study_id,
                        request_id=doc.request_id)
    result.path = Path(path) if not isinstance(path, (bytes, bytearray)) else None
    return result


def result_lines(result: ResultReport) -> list[str]:
    """Who and what the result covers, in plain language: the sites in the sums, who decrypted,
    who finished, answers left out and the privacy spent (the figures follow in ``lines``)."""
    lines = [f"Study “{result.study.title}”, round {result.round}, request "
             f"{result.request_id[:12]}",
             f"Sites in the sums ({len(result.sites)}): {', '.join(result.sites)}",
             "Decrypted by key-share holders: "
             + ", ".join(f"{name} (share {i})" for i, name in result.decrypted_by),
             f"Finished by {result.finished_by} on {result.finished_at[:10]}"]
    lines += [f"Left out: {why}" for _i, why in result.left_out]
    privacy = result.privacy
    if privacy["epsilon"]:
        lines.append(f"Each contributing site's privacy budget was charged ε = "
                     f"{privacy['epsilon']:g} at δ = {privacy['delta']:g} (ρ = "
                     f"{privacy['rho']:.4g}) for its dataset.")
    return lines


# -- status ------------------------------------------------------------------------------------

def study_status(vault, ref) -> StudyStatus:
    """The status board: who was invited, who contributed, who asked, who answered, results —
    as far as this vault has seen."""
    row, definition, me = _load(vault, ref, need_open=False)
    ms = store.messages(vault, definition.study_id)
    name = definition.name_of
    return StudyStatus(
        _info(row, definition, me.fingerprint),
        [(p.name, p.roles) for p in definition.participants],
        [m.summary.get("to", name(m.party)) for m in ms if m.kind == "invitation"
         and m.direction == "sent"],
        [(m.round, name(m.party), m.direction) for m in ms if m.kind == "contribution"],
        [(m.round, m.request_id, name(m.party), m.summary.get("sites", [])) for m in ms
         if m.kind == "request"],
        [(m.request_id, name(m.party)) for m in ms if m.kind == "answer"],
        [(m.round, m.request_id, m.summary.get("finished_by", "")) for m in ms
         if m.kind == "result"],
        vault.has_secret(store.SHARE_SECRET, definition.study_id))
