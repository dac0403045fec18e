"""The decryption side of a study: any participant ``combine`` contributions into a request;
each key-share holder ``review_request`` and ``answer`` (or refuses); whoever has ``t`` answers
``finish``; everyone ``open_result``. Re-exported by ``services/study.py``.

A holder decrypts only what it re-computed itself from the sites' signed contributions
(``core/study/checks.py``); a result carries its request and answers so every reader re-checks
the proofs and the figures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import CryptoError, InputError
from ..core.he import serial
from ..core.he.threshold import KeyShare, PartialDecryption, combine as combine_partials
from ..core.he.threshold import partial_decrypt
from ..core.he.threshold.partial import check_ciphertexts, check_partial, ciphertext_digest
from ..core.identity import load_identity
from ..core.identity.store import utc_now
from ..core.progress import TaskState, ensure_task
from ..core.study import checks
from ..core.study import protocol as msg
from ..core.study.definition import StudyDefinition
from ..core.study.errors import Refused, StudyError
from ..core.study.payload import StudyStatistics
from ..core.study.vector import values_of
from ..core.vault import studies as store
from .study_common import (StudyInfo, check_output, info_of, load_study, open_from_participant,
                           open_studies, read_source, remove_on_failure, seal_for_all,
                           statistics_of, study_of)
from .study_words import delta_words, privacy_sentence

__all__ = ["RequestSent", "RequestReview", "AnswerSent", "ResultReport", "combine",
           "review_request", "answer", "finish", "open_result", "result_lines"]


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


# -- any participant: combine ------------------------------------------------------------------

def _checked_contribution(definition, shape, raw, name, opened, round_no):
    sender = checks.check_sender(definition, opened.header.sender_sign_public,
                                 f"Contribution {name}")
    doc = msg.ContributionDoc.from_files(opened.result)
    array = checks.contribution_array(definition, sender, doc, opened.result[msg.STATISTICS_FILE],
                                      f"Contribution {name}")
    checks.check_contribution(definition, shape, sender, doc, array, round_no=round_no,
                              what=f"Contribution {name}")
    checks.check_knowledge(sender, doc, array, opened.result.get(msg.KNOWLEDGE_FILE),
                           what=f"Contribution {name}")
    return checks.CheckedContribution(sender, opened.bundle_id, hashlib.sha256(raw).hexdigest(),
                                      doc, array, raw)


def _open_contribution(vault, definition, shape, source, round_no, name=None):
    raw, fname = read_source(source)
    name = name or fname
    opened, _raw, _known = open_from_participant(vault, raw, msg.KIND_CONTRIBUTION, [definition],
                                                 what="contribution", name=name)
    return _checked_contribution(definition, shape, raw, name, opened, round_no)


def combine(vault, ref, contributions: list, out_path, *,
            task: TaskState | None = None) -> RequestSent:
    """Multiply the sites' contributions (their ciphertexts) into one vector and seal a
    decryption request that names each contribution by bundle id and hash and carries it."""
    task = ensure_task(task)
    row, definition, me = load_study(vault, ref)
    out_path = check_output(out_path)
    if not contributions:
        raise InputError("Give the contribution bundles to combine.")
    shape = statistics_of(definition).shape
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
    with remove_on_failure([out_path]), vault.transaction():
        sealed = seal_for_all(vault, definition, msg.KIND_REQUEST,
                              f"Decryption request of the study {definition.title}",
                              request.to_files(), out_path, task=task.sub(0.8, 1.0))
        vault.studies.add_message(definition.study_id, "request", "sent", row.round,
                          me.fingerprint, bundle_id=sealed.bundle_id,
                          request_id=request.request_id,
                          summary={"sites": [c.site.name for c in opened]})
        for c in opened:
            vault.studies.add_message(definition.study_id, "contribution", "received", row.round,
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
    stats: StudyStatistics      # the study's statistics layer, built once per request


def _checked_request(vault, source, task=None) -> _Checked:
    """Open a request and re-compute it from the signed contributions it carries; refuses on
    any difference. Applies no policy on the site set (see :func:`_policy_refusal`)."""
    task = ensure_task(task)
    opened, raw, signers = open_from_participant(vault, source, msg.KIND_REQUEST,
                                                 open_studies(vault), what="request",
                                                 task=task.sub(0.0, 0.1))
    request = msg.RequestDoc.from_files(opened.result)
    row, definition = study_of(vault, request.header, signers, "request")
    if request.aggregator != opened.sender_fingerprint:
        raise Refused("The request names another aggregator than the participant who signed "
                      "it; refused.")
    if request.header.round > row.round:
        raise StudyError(f"The request is for round {request.header.round}, but this vault knows "
                         f"only up to round {row.round}: accept the coordinator's round opening "
                         f"first.")
    stats = statistics_of(definition)
    contributions = []
    for i, named in enumerate(request.named):
        task.report(0.1 + 0.4 * i / len(request.named), "opening the contributions")
        contributions.append(_open_contribution(vault, definition, stats.shape,
                                                request.carried[named.file],
                                                request.header.round,
                                                name=f"{i + 1} of the request"))
    combined = serial.loads(request.combined, definition.key.public_key)
    ours = checks.recompute(request, combined, contributions, task.sub(0.5, 0.9))
    return _Checked(row, definition, request, contributions, ours, raw,
                    opened.sender_fingerprint, stats)


def _policy_refusal(vault, checked: _Checked) -> str | None:
    """The holder's rules on the site set: enough sites, all of them with masks, an id not
    reused for other contributions, and no differencing against what was decrypted before
    (every earlier set, whatever its request id: an identical set adds nothing)."""
    d, req = checked.definition, checked.request
    try:
        checks.check_site_set(d, [c.site for c in checked.contributions])
    except Refused as exc:
        return exc.message
    bundles = {c.site.fingerprint: c.bundle_id for c in checked.contributions}
    earlier = vault.studies.decrypted_sets(d.study_id)
    for r in earlier:
        if r.request_id == req.request_id and r.bundles != bundles:
            return (f"This request reuses the id of a request decrypted on {r.at[:10]} over "
                    f"other contributions. Refused.")
    return checks.differencing_refusal(
        d, req.header.round, bundles,
        [checks.DecryptedSet(r.request_id, r.round, r.bundles, r.at) for r in earlier])


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
    """When this vault answered this request, if it did."""
    return next((m.at for m in vault.studies.messages(study_id, "answer")
                 if m.direction == "sent" and m.request_id == request_id), None)


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
        info_of(checked.row, d, me.fingerprint), req.request_id, req.header.round,
        d.name_of(req.aggregator), [c.site.name for c in checked.contributions],
        checked.stats.statistic_labels,
        ["every contribution is signed by a site of the study and belongs to this round, to "
         "the study's key and to its list of figures",
         "each site appears once",
         f"the combined (still encrypted) totals are exactly the sum of the named "
         f"contributions ({len(checked.contributions)}), re-computed here",
         f"at least {d.min_sites} sites; never one alone",
         "no single site's contribution follows from this and the sums decrypted before"],
        _policy_refusal(vault, checked), _answered_at(vault, d.study_id, req.request_id))


def answer(vault, path, out_path, *, task: TaskState | None = None) -> AnswerSent:
    """Re-compute the request; if it passes every check, compute this holder's partial
    decryptions with their proof, record the decrypted site set and seal the answer for every
    participant. Otherwise refuse with the reason; nothing is stored."""
    task = ensure_task(task)
    out_path = check_output(out_path)
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
    with remove_on_failure([out_path]), vault.transaction():
        # Recorded before it leaves: a second answer, or a set that differs by one site from
        # this one, is refused from now on.
        vault.studies.add_decrypted(d.study_id, req.request_id, req.header.round, bundles,
                            "answered")
        sealed = seal_for_all(vault, d, msg.KIND_ANSWER,
                              f"Answer of key-share holder {share.index} in the study {d.title}",
                              doc.to_files(), out_path, task=task.sub(0.95, 1.0))
        vault.studies.add_message(d.study_id, "answer", "sent", req.header.round,
                          me.fingerprint, bundle_id=sealed.bundle_id, request_id=req.request_id,
                          summary={"holder": share.index,
                                   "sites": [c.site.name for c in checked.contributions]})
        vault.audit("study.answer", study_id=d.study_id, request_id=req.request_id,
                    holder=share.index, sites=len(bundles))
    return AnswerSent(out_path, req.request_id, share.index, len(checked.ciphertexts),
                      sealed.size)


# -- anyone: finish and read the result --------------------------------------------------------

def _decrypt(vault, checked: _Checked, answer_sources: list, task: TaskState):
    """Open the answers; leave out, naming them, those for another request, with a holder
    number their signer does not hold, or whose proof fails; combine ``t`` valid ones. Returns
    (plaintexts, used holder numbers, left out (holder, reason), the answer bundles used)."""
    d, req = checked.definition, checked.request
    answers, left_out = [], []
    request_digest = req.digest           # re-serialises and hashes the request: once
    for k, source in enumerate(answer_sources):
        task.report(0.3 * k / max(len(answer_sources), 1), "opening the answers")
        opened, raw, _signers = open_from_participant(vault, source, msg.KIND_ANSWER, [d],
                                                      what="answer")
        doc = msg.AnswerDoc.from_files(opened.result)
        checks.check_header(d, doc.header, "The answer")
        sender = d.participant(opened.sender_fingerprint)
        if doc.request_id != req.request_id or doc.request_digest != request_digest:
            left_out.append((sender.holder or 0, f"The answer of {sender.name} is for another "
                                                 f"request; it was left out."))
            continue
        partial = PartialDecryption.from_bytes(doc.partial, d.key)
        claimed = doc.holder if doc.holder != sender.holder else partial.index
        if not sender.holder or claimed != sender.holder:
            left_out.append((sender.holder or 0, f"The answer signed by {sender.name} claims "
                                                 f"key share {claimed}, which {sender.name} "
                                                 f"does not hold; it was left out."))
            continue
        answers.append((partial, raw))
    if not answers and not left_out:
        raise InputError("Give the key-share holders' answer bundles.")
    check_ciphertexts(d.key, checked.ciphertexts)
    try:
        result = combine_partials(d.key, checked.ciphertexts, [a for a, _ in answers],
                                  task=task.sub(0.3, 0.95))
    except CryptoError as exc:
        raise CryptoError(" ".join([exc.message] + [why for _i, why in left_out])) from None
    left_out += [(r.index, r.message) for r in result.rejected]
    used_raw, digest = [], None
    for i in result.used:                 # the answer that counted (the first valid one)
        same = [(a, raw) for a, raw in answers if a.index == i]
        if len(same) > 1 and digest is None:      # only a repeated holder number needs it
            digest = ciphertext_digest(d.key, checked.ciphertexts)
        used_raw.append(next(raw for a, raw in same if len(same) == 1 or
                             check_partial(d.key, checked.ciphertexts, a, digest) is None))
    return result.plaintexts, list(result.used), left_out, used_raw


def _result_of(checked: _Checked, plaintexts, used, rejected, finished_by, finished_at,
               me) -> tuple[ResultReport, list]:
    """The report and the decrypted sums; the figures are computed here from the sums."""
    d, st = checked.definition, checked.stats
    sums = values_of(st.shape, plaintexts, d.key.public_key.n)
    figures = st.figures(sums, len(checked.contributions))
    result = ResultReport(
        info_of(checked.row, d, me), checked.request.request_id, checked.request.header.round,
        [c.site.name for c in checked.contributions],
        [(i, d.holder(i).name) for i in used], rejected, d.name_of(finished_by), finished_at,
        _json_safe(figures.to_dict()),
        {**st.privacy.summary, "words": privacy_sentence(st.spec.dp)}, sums)
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
    out_path = check_output(out_path)
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
    with remove_on_failure([out_path]), vault.transaction():
        _record_result(vault, checked, result, "sent")
        seal_for_all(vault, d, msg.KIND_RESULT, f"Result of the study {d.title}", doc.to_files(),
                     out_path, task=task.sub(0.9, 1.0))
        vault.audit("study.finish", study_id=d.study_id, request_id=req.request_id,
                    holders=used, left_out=[i for i, _ in rejected])
    result.path = out_path
    return result


def _record_result(vault, checked: _Checked, result: ResultReport, direction: str) -> None:
    d, req = checked.definition, checked.request
    vault.studies.add_decrypted(d.study_id, req.request_id, req.header.round,
                        {c.site.fingerprint: c.bundle_id for c in checked.contributions},
                        "result")
    vault.studies.add_message(d.study_id, "result", direction, req.header.round,
                      checked.sender, request_id=req.request_id,
                      summary={"sites": result.sites,
                               "decrypted_by": [name for _i, name in result.decrypted_by],
                               "finished_by": result.finished_by, "figures": result.figures,
                               "privacy": result.privacy,
                               "holders": [[i, name] for i, name in result.decrypted_by],
                               "left_out": [[i, why] for i, why in result.left_out],
                               "finished_at": result.finished_at})


def open_result(vault, path, *, task: TaskState | None = None) -> ResultReport:
    """Read a result and check it completely: the request it carries (re-computed from the
    contributions), every answer's proof, the decryption and the figures, which must equal
    what the result states. The decrypted site set is recorded (key-share holders refuse later
    requests that would difference it)."""
    task = ensure_task(task)
    opened, _raw, signers = open_from_participant(vault, path, msg.KIND_RESULT,
                                                  open_studies(vault), what="result",
                                                  task=task.sub(0.0, 0.1))
    doc = msg.ResultDoc.from_files(opened.result)
    study_of(vault, doc.header, signers, "result")
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
               for m in vault.studies.messages(checked.definition.study_id, "result"))
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
                     f"{privacy['epsilon']:g} at δ = {delta_words(privacy['delta'])} (ρ = "
                     f"{privacy['rho']:.4g}) for its dataset.")
    return lines
