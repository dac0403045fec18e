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

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.errors import InputError
from ..core.he import plaintext_proof, serial
from ..core.he.encrypt import Encryptor
from ..core.he.pool import DEFAULT_WORKERS
from ..core.he.threshold import KeyShare, run_ceremony
from ..core.identity import list_contacts, load_identity
from ..core.identity.store import utc_now
from ..core.progress import TaskState, ensure_task
from ..core.study import checks, masks
from ..core.study import protocol as msg
from ..core.study.definition import Participant, StudyDefinition
from ..core.study.errors import Refused, StudyError
from ..core.study.payload import StudyStatistics, canonical_spec
from ..core.study.vector import encrypt, pack
from ..core.vault import studies as store
from .sharing import bundle_header, get_contact, open_files
from .study_common import (DEFAULT_KEY_BITS, StudyInfo, check_output, definition_of, info_of,
                           kind_words, load_study, open_from_participant, open_studies,
                           read_source, remove_on_failure, seal_for_all, statistics_of, study_of)
from .study_requests import (AnswerSent, RequestReview, RequestSent, ResultReport, answer,
                             combine, finish, open_result, result_lines, review_request)
from .study_words import delta_words, privacy_sentence, spec_sentences

CONTRIBUTION_RELEASE = "study_contribution"

__all__ = ["StudyInfo", "InvitationsWritten", "InvitationPreview", "ContributionPreview",
           "ContributionSent", "RequestSent", "RequestReview", "AnswerSent", "ResultReport",
           "StudyStatus", "Refused", "StudyError", "create_study", "invite", "create_and_invite",
           "preview_invitation", "preview_join", "RoundPreview",
           "join", "new_round", "suggest_mapping", "preview_contribution", "contribute",
           "combine", "review_request", "answer", "finish", "open_result", "list_studies",
           "study_status", "result_lines"]


# -- plain values the GUI and CLI show ---------------------------------------------------------

@dataclass(frozen=True)
class InvitationsWritten:
    study: StudyInfo
    files: list                # (participant name, path)
    ceremony: dict             # who ran the key ceremony, when, how long, "trusted dealer"


@dataclass(frozen=True)
class InvitationPreview:
    study: StudyInfo
    coordinator: str
    participants: list         # (name, organisation, roles, how this vault knows them,
    #                            fingerprint)
    statistics: list           # plain-language lines about what will be computed
    ceremony: dict
    warnings: list
    spec: dict = field(default_factory=dict)    # the spec as sentences, by section
    what_leaves: list = field(default_factory=list)   # the statistics a site would send


@dataclass(frozen=True)
class RoundPreview:
    """The coordinator's opening of a new round, checked as :func:`join` accepts it."""
    study: StudyInfo           # as this vault has it now (its current round)
    round: int                 # the round the file opens
    coordinator: str


@dataclass(frozen=True)
class ContributionPreview:
    """What would leave the site: every statistic by name with its value before noise, and what
    stays here (clipped, unknown and missing values, in ``notes``)."""

    study: StudyInfo
    dataset: str
    round: int
    rows: int
    statistics: list           # (label, value before noise, records) in the order encrypted;
    #                            values as encoded: in steps of the variables' decimals
    notes: list                # for this screen only: clipped, unknown and missing values
    noise: str                 # plain words: the noise share's guarantee, or "no noise"
    epsilon: float             # charged to this dataset's ledger (0 without DP)
    ciphertexts: int
    recipients: list           # participant names the bundle is sealed for
    masked: bool
    readable: list = field(default_factory=list)   # (label, value before noise in the
    #                                                variables' units as text, records)
    budget: list = field(default_factory=list)     # what the dataset's budget is charged, and
    #                                                what remains, in words
    blocked: str = ""          # why contributing would be refused (the budget), or ""


@dataclass(frozen=True)
class ContributionSent:
    path: Path
    bundle_id: str
    round: int
    bytes: int
    epsilon: float
    clipped: dict


@dataclass(frozen=True)
class StudyStatus:
    study: StudyInfo
    participants: list         # (name, roles)
    invited: list              # names the invitations were written for
    contributed: list          # (round, site name, direction)
    requests: list             # (round, request id, aggregator, sites)
    answered: list             # (request id, holder name)
    results: list              # (round, request id, finished by, holders who decrypted)
    holds_share: bool


def list_studies(vault) -> list[StudyInfo]:
    me = load_identity(vault).fingerprint
    return [info_of(row, definition_of(row), me) for row in vault.studies.list_studies()]


# -- coordinator: create and invite ------------------------------------------------------------

def _draft(vault, title: str, *, sites: list[str], holders: list[str], threshold: int, spec,
           self_site: bool, self_holder: bool, pairwise_masks: bool):
    """The study definition (without its key) and this vault's identity; stores nothing."""
    me = load_identity(vault)
    spec_dict = canonical_spec(spec)
    names = list(dict.fromkeys([*sites, *holders]))
    contacts = [get_contact(vault, name) for name in names]
    unverified = [c.name for c in contacts if not c.verified]
    if unverified:
        raise StudyError(f"Only verified contacts take part in a study; compare fingerprints "
                         f"with {', '.join(unverified)} first.")
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
    statistics_of(definition).shape     # refuses statistics too wide for this many sites
    return definition, me


def _audit_created(vault, definition: StudyDefinition) -> None:
    vault.audit("study.create", study_id=definition.study_id, title=definition.title,
                participants=len(definition.participants), sites=len(definition.sites),
                holders=len(definition.holders), threshold=definition.threshold,
                min_sites=definition.min_sites, masks=definition.pairwise_masks)


def create_study(vault, title: str, *, sites: list[str], holders: list[str], threshold: int,
                 spec, self_site: bool = False, self_holder: bool = True,
                 pairwise_masks: bool = False) -> StudyInfo:
    """A draft study coordinated by this vault. ``sites`` and ``holders`` name verified
    contacts (the coordinator takes part too: as a site with ``self_site``, as a key-share
    holder with ``self_holder``); holders are numbered in that order, the coordinator first.
    ``spec`` is the statistics — variables, analyses, minimum number of contributing sites, DP
    settings — as JSON text or a dict (``docs/studies-statistics.md``)."""
    definition, me = _draft(vault, title, sites=sites, holders=holders, threshold=threshold,
                            spec=spec, self_site=self_site, self_holder=self_holder,
                            pairwise_masks=pairwise_masks)
    with vault.transaction():
        row = vault.studies.put_study(study_id=definition.study_id, title=definition.title,
                              role="coordinator", state="draft",
                              definition=definition.to_bytes())
        _audit_created(vault, definition)
    return info_of(row, definition, me.fingerprint)


def _invitation_name(p: Participant) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in p.name).strip("-")[:40] or "participant"
    return f"invitation-{p.holder or 0:02d}-{safe}.ppdsb"


def invite(vault, ref, out_dir, *, bits: int = DEFAULT_KEY_BITS,
           task: TaskState | None = None) -> InvitationsWritten:
    """Run the key ceremony (this computer is the trusted dealer) and write one signed
    invitation per participant into ``out_dir``; a holder's invitation carries its key share
    and is the only copy of it outside that holder's vault. The coordinator keeps only its own
    share; the others are dropped with the primes."""
    row, definition, me = load_study(vault, ref, need_open=False)
    if row.role != "coordinator" or row.state != "draft":
        raise StudyError(f"The invitations of “{row.title}” were sent already; to start again, "
                         f"open a new round or create a new study.")
    return _write_invitations(vault, definition, me, out_dir, bits, task)


def create_and_invite(vault, title: str, out_dir, *, sites: list[str], holders: list[str],
                      threshold: int, spec, self_site: bool = False, self_holder: bool = True,
                      pairwise_masks: bool = False, bits: int = DEFAULT_KEY_BITS,
                      task: TaskState | None = None) -> InvitationsWritten:
    """:func:`create_study` and :func:`invite` in one step (the create-study wizard): the study
    is stored only together with its invitations, so Cancel during the key ceremony, or any
    failure, leaves no draft, no key share and no file."""
    definition, me = _draft(vault, title, sites=sites, holders=holders, threshold=threshold,
                            spec=spec, self_site=self_site, self_holder=self_holder,
                            pairwise_masks=pairwise_masks)
    return _write_invitations(vault, definition, me, out_dir, bits, task, created=True)


def _write_invitations(vault, definition: StudyDefinition, me, out_dir, bits: int,
                       task: TaskState | None, *, created: bool = False) -> InvitationsWritten:
    task = ensure_task(task)
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
    with remove_on_failure(written), vault.transaction():
        if created:
            _audit_created(vault, definition)
        row = vault.studies.put_study(study_id=definition.study_id, title=definition.title,
                              role="coordinator", state="open",
                              definition=definition.to_bytes(), signature=signature,
                              study_hash=definition.study_hash, round_no=1)
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
            sealed = seal_for_all(vault, definition, msg.KIND_INVITATION,
                                  f"Invitation to the study {definition.title}",
                                  invitation.to_files(), paths[p.fingerprint],
                                  recipients=[(p.name, p.fingerprint, p.enc_public)])
            written.append(paths[p.fingerprint])
            vault.studies.add_message(definition.study_id, "invitation", "sent", 1, p.fingerprint,
                              bundle_id=sealed.bundle_id,
                              summary={"to": p.name, "file": paths[p.fingerprint].name,
                                       "holder": p.holder})
        shares.clear()
        record = definition.key.record.to_dict()
        vault.audit("study.invite", study_id=definition.study_id,
                    study_hash=definition.study_hash, invitations=len(written), ceremony=record)
        task.report(1.0, "invitations written")      # the last chance to cancel: before commit
    return InvitationsWritten(info_of(row, definition, me.fingerprint),
                              [(definition.participant(fp).name, path)
                               for fp, path in paths.items()], record)


# -- participants: join ------------------------------------------------------------------------

def _checked_invitation(vault, source, accept_unverified: bool, name: str | None = None):
    """Open and check an invitation (a file, or its bytes with ``name`` for messages); returns
    (invitation, definition, share | None, me, how each participant is known here). Stores
    nothing."""
    raw, fname = read_source(source)
    name = name or fname
    opened = open_files(vault, raw, accept_unverified=accept_unverified, accept_replay=True,
                        source=name)
    if opened.header.kind != msg.KIND_INVITATION:
        raise StudyError(f"{name} is {kind_words(opened.header.kind)}, not a study invitation.")
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


def preview_invitation(vault, path, *, accept_unverified: bool = False,
                       name: str | None = None) -> InvitationPreview:
    """Everything checked as for joining, and what the invitation asks, as data; nothing is
    stored. ``path`` may be the bundle's bytes already read, with ``name`` for messages."""
    _inv, definition, _share, me, known, _bid = _checked_invitation(vault, path,
                                                                   accept_unverified, name)
    st = statistics_of(definition)
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
        info_of(row, definition, me.fingerprint), definition.name_of(definition.coordinator),
        [(p.name, p.organisation, p.roles, known[p.fingerprint], p.fingerprint)
         for p in definition.participants],
        [a.title() for a in st.spec.analyses] + [privacy_sentence(st.spec.dp)],
        definition.key.record.to_dict(), warnings, spec_sentences(definition.spec),
        st.statistic_labels)


def join(vault, path, *, accept_unverified: bool = False) -> StudyInfo:
    """Accept an invitation (or the coordinator's opening of a new round): every check of
    :func:`preview_invitation`, then the study, the key share (a vault secret) and the
    invitation are stored in one transaction."""
    raw, name = read_source(path)
    if _kind_of(raw, name) == msg.KIND_ROUND:
        return _accept_round(vault, raw, name)
    invitation, definition, share, me, _known, bundle_id = _checked_invitation(
        vault, raw, accept_unverified, name)
    old = vault.studies.find_study(definition.study_id)
    if old is not None:
        if old.study_hash == definition.study_hash:
            raise StudyError(f"You joined “{definition.title}” already on {old.created_at[:10]}.")
        raise Refused(f"You joined “{definition.title}” under another version of its definition "
                      f"(different participants, key or statistics); this invitation is "
                      f"refused.")
    with vault.transaction():
        row = vault.studies.put_study(study_id=definition.study_id, title=definition.title,
                              role="participant", state="open",
                              definition=definition.to_bytes(), signature=invitation.signature,
                              study_hash=definition.study_hash, round_no=1)
        if share is not None:
            vault.put_secret(store.SHARE_SECRET, definition.study_id, share.to_bytes(),
                             meta={"holder": share.index, "key": share.key.fingerprint})
        vault.studies.add_message(definition.study_id, "invitation", "received", 1,
                          definition.coordinator, bundle_id=bundle_id,
                          summary={"from": definition.name_of(definition.coordinator)})
        vault.audit("study.join", study_id=definition.study_id, study_hash=definition.study_hash,
                    holder=share.index if share else None)
    return info_of(row, definition, me.fingerprint)


def _kind_of(raw: bytes, name: str) -> str:
    return bundle_header(raw, name).kind


def new_round(vault, ref, out_path) -> StudyInfo:
    """Coordinator: open the next round (new contributions, new masks); every participant
    accepts it with :func:`join`."""
    row, definition, me = load_study(vault, ref)
    if row.role != "coordinator":
        raise StudyError("Only the coordinator opens a new round.")
    out_path = check_output(out_path)
    rnd = row.round + 1
    opening = msg.RoundOpening(msg.Header(definition.study_id, definition.study_hash, rnd),
                               utc_now())
    with vault.transaction():
        sealed = seal_for_all(vault, definition, msg.KIND_ROUND,
                              f"Round {rnd} of the study {definition.title}", opening.to_files(),
                              out_path)
        with remove_on_failure([out_path]):
            vault.studies.set_round(definition.study_id, rnd)
            vault.studies.add_message(definition.study_id, "round", "sent", rnd, me.fingerprint,
                              bundle_id=sealed.bundle_id)
            vault.audit("study.round", study_id=definition.study_id, round=rnd)
    return info_of(vault.studies.get_study(definition.study_id), definition, me.fingerprint)


def _checked_round(vault, raw: bytes, name: str):
    """A round opening checked completely (signed by the study's coordinator, for a later
    round than this vault's): (opened bundle, opening, study row, definition)."""
    opened, _raw, signers = open_from_participant(vault, raw, msg.KIND_ROUND,
                                                  open_studies(vault), what="round opening",
                                                  name=name)
    opening = msg.RoundOpening.from_files(opened.result)
    row, definition = study_of(vault, opening.header, signers, "round opening")
    if definition.coordinator != opened.sender_fingerprint:
        raise Refused("Only the study's coordinator opens a round; this opening is signed by "
                      "another participant. Refused.")
    if opening.header.round <= row.round:
        raise StudyError(f"Round {opening.header.round} of “{definition.title}” is open already "
                         f"(this vault is at round {row.round}).")
    return opened, opening, row, definition


def preview_join(vault, path, *, accept_unverified: bool = False):
    """What :func:`join` would accept from ``path``, checked the same way, nothing stored: an
    :class:`InvitationPreview`, or a :class:`RoundPreview` for the coordinator's opening of a
    new round."""
    raw, name = read_source(path)
    if _kind_of(raw, name) != msg.KIND_ROUND:
        return preview_invitation(vault, raw, accept_unverified=accept_unverified, name=name)
    _opened, opening, row, definition = _checked_round(vault, raw, name)
    return RoundPreview(info_of(row, definition, load_identity(vault).fingerprint),
                        opening.header.round, definition.name_of(definition.coordinator))


def _accept_round(vault, raw: bytes, name: str) -> StudyInfo:
    opened, opening, _row, definition = _checked_round(vault, raw, name)
    me = load_identity(vault).fingerprint
    with vault.transaction():
        vault.studies.set_round(definition.study_id, opening.header.round)
        vault.studies.add_message(definition.study_id, "round", "received",
                          opening.header.round, opened.sender_fingerprint,
                          bundle_id=opened.bundle_id)
        vault.audit("study.round", study_id=definition.study_id, round=opening.header.round)
    return info_of(vault.studies.get_study(definition.study_id), definition, me)


# -- sites: contribute -------------------------------------------------------------------------

def suggest_mapping(vault, ref, dataset) -> dict[str, str | None]:
    """For each study variable, the dataset column of the same name (ignoring case and
    spaces), or None: the starting point of the mapping wizard."""
    _row, definition, _me = load_study(vault, ref)
    columns = vault.dataset_info(dataset).columns
    squash = {"".join(c.lower().split()): c for c in columns}
    return {v: squash.get("".join(v.lower().split())) for v in statistics_of(definition).variables}


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
    for m in vault.studies.messages(definition.study_id, "contribution"):
        if m.direction == "sent" and m.round == row.round:
            raise Refused(f"This site contributed to round {row.round} of “{definition.title}” "
                          f"on {m.at[:10]} already; a site sends one contribution per round "
                          f"(two could be differenced).")


def preview_contribution(vault, ref, dataset, mapping: dict,
                         task: TaskState | None = None) -> ContributionPreview:
    """Exactly what would leave the site, before anything is encrypted, charged or sealed."""
    row, definition, me = load_study(vault, ref)
    _contribution_checks(vault, row, definition, me)
    st = statistics_of(definition)
    info, site = _site_statistics(vault, st, dataset, mapping, task)
    privacy = st.privacy
    return ContributionPreview(
        info_of(row, definition, me.fingerprint), info.name, row.round, info.n_rows,
        list(zip(st.statistic_labels, site.values, site.records)), site.notes(),
        privacy_sentence(st.spec.dp), privacy.epsilon, st.shape.count,
        [p.name for p in definition.participants], definition.pairwise_masks,
        [(s.label, _in_units(v, s.scale), n) for s, v, n in zip(st.plan, site.values,
                                                                site.records)],
        *_budget_lines(vault, info, privacy))


def _in_units(value: int, scale: int) -> str:
    """An encoded total in the variables' own units (``scale`` is 10 to the decimals)."""
    decimals = len(str(scale)) - 1
    if not decimals:
        return f"{value:,}"
    whole, rest = divmod(abs(value), scale)
    return f"{'-' if value < 0 else ''}{whole:,}.{rest:0{decimals}d}"


def _budget_lines(vault, info, privacy) -> tuple[list[str], str]:
    """What a contribution charges to the dataset's privacy budget and what remains, in words;
    and why it would be refused ("" if it would not)."""
    if not privacy.epsilon:
        return ["No privacy noise: nothing is charged to the privacy budget of "
                f"“{info.name}”."], ""
    from ..core.dp.ledger import budget_status

    status = budget_status(vault, info.id, with_entries=False)
    rho = privacy.cost.rho
    charge = (f"This contribution charges ρ = {rho:.4g} to the privacy budget of "
              f"“{info.name}” (the same as ε = {privacy.epsilon:g} at δ = "
              f"{delta_words(privacy.delta)}).")
    if not status.is_set:
        blocked = (f"No privacy budget is set for “{info.name}”: set one on the Differential "
                   f"privacy page before contributing.")
        return [charge, blocked], blocked
    left = status.rho_remaining
    if rho > left + 1e-12:
        blocked = (f"Only ρ = {left:.4g} of the budget of “{info.name}” remains: not enough "
                   f"for this contribution.")
        return [charge, blocked], blocked
    return [charge, f"Its budget has ρ = {left:.4g} left now, and ρ = {left - rho:.4g} after "
                    f"this contribution."], ""


def contribute(vault, ref, dataset, mapping: dict, out_path, *,
               task: TaskState | None = None) -> ContributionSent:
    """Compute the site's statistics, add its noise share, pack, mask (if the study says so),
    encrypt under the split key, charge the dataset's ledger, and seal the contribution for
    every participant — the charge, the records and the file together or not at all."""
    task = ensure_task(task)
    row, definition, me = load_study(vault, ref)
    _contribution_checks(vault, row, definition, me)
    out_path = check_output(out_path)
    st = statistics_of(definition)
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
    doc = msg.ContributionDoc(msg.Header(definition.study_id, definition.study_hash, row.round),
                              me.fingerprint, definition.key.key_id,
                              st.shape.schema_id(definition.study_hash),
                              definition.pairwise_masks, privacy.summary, utc_now())
    exponents: list = []
    with Encryptor(key) as encryptor:
        array = encrypt(encryptor, st.shape, plaintexts, task.sub(0.15, 0.85),
                        exponents=exponents)
        task.report(0.85, "proving the site knows what it encrypted")
        proof = plaintext_proof.prove(key, doc.proof_context(), array.ciphertexts, plaintexts,
                                      encryptor.randomizer_root, exponents)
    del plaintexts, exponents
    files = doc.to_files(serial.dumps(array), proof)
    clipped = dict(site.clipped)
    sealed = []

    def record():
        release = vault.put_release(
            f"Study {definition.title[:60]}: round {row.round} contribution "
            f"{doc.created_at}", CONTRIBUTION_RELEASE, source=info.id,
            recipe={"study_id": definition.study_id, "round": row.round, "mapping": mapping},
            report={"clipped": clipped, "privacy": privacy.summary,
                    "statistics": len(st.plan)})
        sealed.append(seal_for_all(vault, definition, msg.KIND_CONTRIBUTION,
                                   f"Contribution to the study {definition.title}", files, out_path,
                                   task=task.sub(0.9, 1.0)))
        vault.studies.add_message(definition.study_id, "contribution", "sent", row.round,
                          me.fingerprint, bundle_id=sealed[0].bundle_id,
                          summary={"dataset": info.name, "mapping": mapping,
                                   "clipped": clipped, "epsilon": privacy.epsilon})
        vault.audit("study.contribute", study_id=definition.study_id, round=row.round,
                    dataset=info.name, bundle_id=sealed[0].bundle_id, epsilon=privacy.epsilon)
        return release

    with remove_on_failure([out_path]):
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


# -- status ------------------------------------------------------------------------------------

def study_status(vault, ref) -> StudyStatus:
    """The status board: who was invited, who contributed, who asked, who answered, results —
    as far as this vault has seen."""
    row, definition, me = load_study(vault, ref, need_open=False)
    ms = vault.studies.messages(definition.study_id)
    name = definition.name_of
    return StudyStatus(
        info_of(row, definition, me.fingerprint),
        [(p.name, p.roles) for p in definition.participants],
        [m.summary.get("to", name(m.party)) for m in ms if m.kind == "invitation"
         and m.direction == "sent"],
        [(m.round, name(m.party), m.direction) for m in ms if m.kind == "contribution"],
        [(m.round, m.request_id, name(m.party), m.summary.get("sites", [])) for m in ms
         if m.kind == "request"],
        [(m.request_id, name(m.party)) for m in ms if m.kind == "answer"],
        [(m.round, m.request_id, m.summary.get("finished_by", ""),
          m.summary.get("decrypted_by", [])) for m in ms if m.kind == "result"],
        vault.has_secret(store.SHARE_SECRET, definition.study_id))
