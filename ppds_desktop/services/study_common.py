"""What every study use case shares: the study in this vault, opening and sealing study
bundles, and the plain ``StudyInfo`` the GUI and CLI show (``services/study.py`` is the entry
point; ``services/study_requests.py`` the decryption side)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.bundle import MemorySink, open_bundle
from ..core.errors import InputError
from ..core.identity import load_identity
from ..core.progress import TaskState
from ..core.study import checks
from ..core.study import protocol as msg
from ..core.study.definition import StudyDefinition
from ..core.study.errors import Refused, StudyError
from ..core.study.payload import StudyStatistics
from ..core.study.statistics import DEFAULT_KEY_BITS
from ..core.vault import studies as store
from .sharing import seal_for_keys


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


# -- the study in this vault -------------------------------------------------------------------

def definition_of(row: store.StudyRow) -> StudyDefinition:
    return StudyDefinition.from_bytes(row.definition)


def info_of(row: store.StudyRow, definition: StudyDefinition, me: str) -> StudyInfo:
    mine = definition.participant(me)
    return StudyInfo(definition.study_id, definition.title, row.role, row.state, row.round,
                     definition.fingerprint if row.state == "open" else "",
                     mine.roles if mine else "not a participant", definition.threshold,
                     len(definition.holders), [p.name for p in definition.sites],
                     definition.min_sites, definition.pairwise_masks)


def load_study(vault, ref, *, need_open: bool = True):
    row = vault.studies.get_study(ref)
    if need_open and row.state != "open":
        raise StudyError(f"The study “{row.title}” is still a draft: send the invitations "
                         f"first.")
    definition = definition_of(row)
    me = load_identity(vault)
    return row, definition, me


def statistics_of(definition: StudyDefinition) -> StudyStatistics:
    bits = (definition.key.public_key.n.bit_length() if definition.key is not None
            else DEFAULT_KEY_BITS)
    return StudyStatistics.of(definition.spec, len(definition.sites), bits)


# -- opening study bundles ---------------------------------------------------------------------

_KIND_WORDS = {msg.KIND_INVITATION: "a study invitation", msg.KIND_ROUND: "a round opening",
               msg.KIND_CONTRIBUTION: "a study contribution",
               msg.KIND_REQUEST: "a decryption request",
               msg.KIND_ANSWER: "a key-share holder's answer", msg.KIND_RESULT: "a study result"}


def kind_words(kind: str) -> str:
    """What a bundle of ``kind`` is, as people call it (messages never show internal names)."""
    return _KIND_WORDS.get(kind, "a share bundle of another kind")


def read_source(source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "bundle"
    path = Path(source)
    try:
        return path.read_bytes(), path.name
    except OSError as exc:
        raise InputError(f"cannot read the bundle ({exc.strerror})", path=str(path)) from None


def open_from_participant(vault, source, kind: str, definitions, *, what: str,
                          name: str | None = None, task: TaskState | None = None):
    """Open a study bundle signed by a participant of one of ``definitions`` (their keys as the
    signed definitions list them; they need not be this vault's contacts); ``name`` names it in
    messages (default: the file name). Returns the opened bundle, its raw bytes, and the
    definitions its signer takes part in."""
    raw, fname = read_source(source)
    name = name or fname
    ident = load_identity(vault)
    known = []

    def check(header) -> None:
        if header.kind != kind:
            raise StudyError(f"{name} is {kind_words(header.kind)}, not a study {what}.")
        for d in definitions:
            p = d.by_sign_key(header.sender_sign_public)
            if p is not None and p.enc_public == header.sender_enc_public:
                known.append(d)
        if not known:
            study = (f"the study “{definitions[0].title}”" if len(definitions) == 1
                     else "any study in this vault")
            raise Refused(f"{name}: the {what} is signed by someone who is not a participant of "
                          f"{study}; refused.")

    opened = open_bundle(raw, keys=ident.keys, sink=MemorySink(), check_sender=check, task=task,
                         source=name)
    return opened, raw, known


def open_studies(vault) -> list[StudyDefinition]:
    return [definition_of(r) for r in vault.studies.list_studies() if r.state == "open"]


def study_of(vault, header: msg.Header, signers_studies, what: str):
    """This vault's study a message belongs to (by id), with its row and definition."""
    row = vault.studies.find_study(header.study_id)
    if row is None or row.state != "open":
        raise Refused(f"The {what} is for a study this vault has not joined "
                      f"({header.study_id[:12]}…); refused.")
    definition = definition_of(row)
    checks.check_header(definition, header, f"The {what}")
    if definition.study_id not in {d.study_id for d in signers_studies}:
        raise Refused(f"The {what} is signed by someone who is not a participant of the study "
                      f"“{definition.title}”; refused.")
    return row, definition


def all_recipients(definition: StudyDefinition) -> list[tuple[str, str, bytes]]:
    return [(p.name, p.fingerprint, p.enc_public) for p in definition.participants]


def seal_for_all(vault, definition: StudyDefinition, kind: str, title: str, files: dict, out_path,
                 recipients=None, task=None):
    return seal_for_keys(vault, kind=kind, title=title, files=files,
                         recipients=recipients or all_recipients(definition),
                         out_path=out_path,
                         manifest={"study": {"study_id": definition.study_id,
                                             "title": definition.title}},
                         task=task)


def check_output(path) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("cannot write here: the folder does not exist", path=str(path.parent))
    return path


@contextmanager
def remove_on_failure(paths):
    """Delete the files written so far (``paths`` may grow inside) if the step then fails."""
    try:
        yield
    except BaseException:
        for p in paths:
            Path(p).unlink(missing_ok=True)
        raise
