"""What the Studies page shows about a study, as plain values: the status board (who takes part,
what this vault has seen of each, what happened, and the next steps for this vault's part),
results saved in the vault, a result's figures as table rows, its charts (``core/charts.py``
SVG) and its CSV export. Everything here reads; nothing changes the study.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import charts
from ..core.errors import InputError
from ..core.io import write_table
from ..core.progress import TaskState
from ..core.study.results import number_text
from .study_common import StudyInfo, info_of, load_study, statistics_of
from .study_requests import ResultReport
from .study_words import (and_list, ceremony_lines, delta_words, privacy_sentence, roles_words,
                          short_fingerprint, threshold_sentence, variable_sentence)

__all__ = ["ParticipantRow", "NextStep", "ResultEntry", "StatusBoard", "FigureRow",
           "status_board", "saved_result", "result_summary", "result_rows", "result_charts",
           "export_result_csv", "study_ceremony", "study_variables"]


@dataclass(frozen=True)
class ParticipantRow:
    name: str
    part: str                  # "coordinator; contributes data; holds key share 1"
    fingerprint: str           # its first groups, to recognise it
    seen: str                  # what this vault has seen of this participant


@dataclass(frozen=True)
class NextStep:
    action: str                # what the page does: invite, contribute, combine, review, finish,
    #                            open_result, new_round, accept_round
    label: str                 # the button
    explanation: str
    enabled: bool = True
    reason: str = ""           # why it is not possible now


@dataclass(frozen=True)
class ResultEntry:
    request_id: str            # to open it (not shown)
    title: str


@dataclass(frozen=True)
class StatusBoard:
    study: StudyInfo
    summary: list              # sentences: your part, the round, the rules, the fingerprint
    participants: list         # ParticipantRow
    activity: list             # sentences, oldest first
    results: list              # ResultEntry, newest first
    steps: list                # NextStep, the most relevant first
    ceremony: list             # the key ceremony record in words (empty for a draft)
    holders: list              # the key-share holders' names, by share number


def _part(p, coordinator: str) -> str:
    return ("coordinator; " if p.fingerprint == coordinator else "") + roles_words(p.roles)


def _your_part(definition, me: str) -> str:
    p = definition.participant(me)
    if p is None:
        return "You are not a participant of this study."
    doing = (["coordinate this study"] if me == definition.coordinator else []) + (
        ["contribute data as a site"] if p.site else []) + (
        [f"hold key share {p.holder} of {len(definition.holders)}"] if p.holder else [])
    return f"You {and_list(doing) or 'follow this study'}."


def status_board(vault, ref) -> StatusBoard:
    """The study as this vault has seen it, in sentences, with the next steps for its part."""
    row, definition, ident = load_study(vault, ref, need_open=False)
    me = ident.fingerprint
    info = info_of(row, definition, me)
    ms = vault.studies.messages(definition.study_id)
    name = definition.name_of
    mine = definition.participant(me)
    summary = [_your_part(definition, me)]
    if row.state == "draft":
        summary.append("Draft: the invitations have not been sent yet.")
    else:
        summary.append(f"Round {row.round} is open.")
    summary.append(threshold_sentence(definition.threshold, len(definition.holders)))
    summary.append(f"A total is only revealed over the data of at least {definition.min_sites} "
                   f"of the {len(definition.sites)} sites.")
    if definition.pairwise_masks:
        summary.append("Each site's numbers are masked: only the sum over every site can be "
                       "read, so every site must contribute.")
    if info.fingerprint:
        summary.append(f"Study fingerprint: {info.fingerprint} (compare it by phone with the "
                       f"coordinator to be sure you all have the same study).")

    seen: dict[str, list[str]] = {p.fingerprint: [] for p in definition.participants}
    activity, results = [], []
    contributed_now = None
    for m in ms:
        day = m.at[:10]
        if m.kind == "invitation" and m.direction == "sent":
            seen.setdefault(m.party, []).append(f"invitation written on {day}")
        elif m.kind == "invitation":
            seen[me].append(f"you joined on {day}")
            seen.setdefault(m.party, []).append(f"sent you the invitation on {day}")
            activity.append(f"You joined on {day}; the invitation came from "
                            f"{name(m.party)}.")
        elif m.kind == "round":
            activity.append(f"Round {m.round} opened on {day}.")
        elif m.kind == "contribution" and m.direction == "sent":
            if m.round == row.round:
                contributed_now = day
            seen[me].append(f"you contributed to round {m.round}")
            activity.append(f"Round {m.round}: you contributed on {day} from the dataset "
                            f"“{m.summary.get('dataset', '')}”.")
        elif m.kind == "contribution" and m.party != me:
            seen.setdefault(m.party, []).append(f"contributed to round {m.round}")
        elif m.kind == "request":
            activity.append(f"Round {m.round}: you combined the contributions of "
                            f"{and_list(m.summary.get('sites', []))} into a decryption request "
                            f"on {day}.")
        elif m.kind == "answer":
            activity.append(f"Round {m.round}: you answered a decryption request over "
                            f"{and_list(m.summary.get('sites', []))} on {day}, as key-share holder "
                            f"{m.summary.get('holder', '')}.")
        elif m.kind == "result":
            holders = m.summary.get("decrypted_by", [])
            for p in definition.participants:
                if p.name in holders:
                    seen[p.fingerprint].append(f"helped decrypt round {m.round}")
            sites, finisher = len(m.summary.get("sites", [])), m.summary.get("finished_by", "")
            activity.append(f"Round {m.round}: result over {sites} sites, decrypted by "
                            f"{and_list(holders)}, finished by {finisher} on {day}.")
            if "figures" in m.summary:
                results.insert(0, ResultEntry(m.request_id, f"Round {m.round}: result over "
                                                            f"{sites} sites, {day}"))
    participants = []
    for p in definition.participants:
        notes = list(dict.fromkeys(seen.get(p.fingerprint, [])))
        if p.fingerprint == me and not notes:
            notes = ["you"]
        participants.append(ParticipantRow(
            p.name + (" (you)" if p.fingerprint == me else ""), _part(p, definition.coordinator),
            short_fingerprint(p.fingerprint),
            "; ".join(notes) if notes else "nothing received from them here yet"))
    steps = _steps(row, definition, mine, me, contributed_now)
    ceremony = [] if definition.key is None else ceremony_lines(definition.key.record.to_dict())
    return StatusBoard(info, summary, participants, activity, results, steps, ceremony,
                       [p.name for p in definition.holders])


def _steps(row, definition, mine, me: str, contributed_now: str | None) -> list[NextStep]:
    if row.state == "draft":
        if row.role == "coordinator":
            return [NextStep("invite", "Send the invitations…",
                             "Make the study's key (the key ceremony) and write one invitation "
                             "file for each participant.")]
        return []
    steps = []
    if mine is not None and mine.site:
        steps.append(NextStep(
            "contribute", "Contribute your data…",
            "Choose a dataset, match its columns to the study's variables, see exactly what "
            "leaves this site, then send the file.",
            contributed_now is None,
            f"You contributed to round {row.round} on {contributed_now}; a site sends one "
            f"contribution per round." if contributed_now else ""))
    steps.append(NextStep("combine", "Combine contributions…",
                          "Put the sites' contribution files together into one decryption "
                          "request for the key-share holders."))
    if mine is not None and mine.holder:
        steps.append(NextStep("review", "Review a decryption request…",
                              "Check a request here and answer it only if it is safe."))
    steps.append(NextStep("finish", "Finish and decrypt…",
                          f"With the answers of {definition.threshold} key-share holders, "
                          f"reveal the totals and write the result for everyone."))
    steps.append(NextStep("open_result", "Open a result file…",
                          "Read a result someone sent you; every proof is checked again here."))
    if row.role == "coordinator":
        steps.append(NextStep("new_round", "Open a new round…",
                              f"Ask every site for a new contribution (round {row.round + 1}), "
                              f"for example from newer data: write the file to send to every "
                              f"participant."))
    else:
        steps.append(NextStep("accept_round", "Accept a new round…",
                              "Open the file the coordinator sent when they opened a new round: "
                              "your site can then contribute again."))
    return steps


def study_variables(vault, ref) -> list[tuple[str, str]]:
    """The variables a site maps its columns to, each with its description in words."""
    _row, definition, _me = load_study(vault, ref)
    st = statistics_of(definition)
    return [(name, variable_sentence(st.spec.variable(name))) for name in st.variables]


def study_ceremony(vault, ref) -> list[str]:
    _row, definition, _me = load_study(vault, ref, need_open=False)
    return [] if definition.key is None else ceremony_lines(definition.key.record.to_dict())


# -- results ---------------------------------------------------------------------------------

def saved_result(vault, ref, request_id: str) -> ResultReport:
    """A result this vault finished or checked, as it was recorded then."""
    row, definition, ident = load_study(vault, ref)
    for m in vault.studies.messages(definition.study_id, "result"):
        if m.request_id == request_id and "figures" in m.summary:
            s = m.summary
            holders = s.get("holders") or [[0, n] for n in s.get("decrypted_by", [])]
            return ResultReport(info_of(row, definition, ident.fingerprint), request_id,
                                m.round, list(s.get("sites", [])),
                                [(int(i), n) for i, n in holders],
                                [(int(i), why) for i, why in s.get("left_out", [])],
                                s.get("finished_by", ""), s.get("finished_at", m.at),
                                s["figures"],
                                {**s.get("privacy", {}),       # in today's words
                                 "words": privacy_sentence(statistics_of(definition).spec.dp)},
                                [])
    raise InputError("This vault has no such result of the study.")


def result_summary(result: ResultReport) -> list[str]:
    """Who and what the result covers, in sentences (no ids)."""
    lines = [f"Round {result.round} of “{result.study.title}”.",
             f"Contributing sites ({len(result.sites)}): {and_list(result.sites)}.",
             "Decrypted by the key-share holders "
             + and_list(f"{n} (share {i})" if i else n for i, n in result.decrypted_by) + ".",
             f"Finished by {result.finished_by} on {result.finished_at[:10]}."]
    lines += [f"Left out: {why}" for _i, why in result.left_out]
    privacy = result.privacy or {}
    if privacy.get("epsilon"):
        lines.append(f"Privacy: each contributing site's budget was charged ε = "
                     f"{privacy['epsilon']:g} at δ = {delta_words(privacy['delta'])}. "
                     f"{privacy['words']}")
        confidence = result.figures.get("confidence", 0.95)
        lines.append(f"The intervals show where the true figure lies with {confidence:.0%} "
                     f"probability, given the privacy noise (not the sampling).")
    else:
        lines.append("No privacy noise was added: the figures are exact.")
    return lines


@dataclass(frozen=True)
class FigureRow:
    analysis: str
    label: str
    value: float | None
    unit: str
    interval: tuple | None     # (low, high) for the privacy noise; None without noise
    approximate: bool          # the interval comes from the delta method
    records: float | None
    note: str

    @property
    def value_text(self) -> str:
        if self.value is None and self.label == "Note":
            return ""
        return number_text(self.value) + (f" {self.unit}" if self.unit and self.value is not None
                                          else "")

    @property
    def interval_text(self) -> str:
        if not self.interval:
            return ""
        return (f"{'about ' if self.approximate else ''}{number_text(self.interval[0])} to "
                f"{number_text(self.interval[1])}")

    @property
    def records_text(self) -> str:
        return "" if self.records is None else number_text(round(self.records))


def _unit(unit: str, label: str) -> str:
    """A variance's unit written so that it reads right: "kg/m²²" -> "(kg/m²)²"."""
    base = unit[:-1]
    if label.startswith("Variance") and unit.endswith("²") and base and not base.isalpha():
        return f"({base})²"
    return unit


def result_rows(result: ResultReport) -> list[FigureRow]:
    """Every figure and regression coefficient of the result, with the analyses' notes."""
    rows = []
    for a in result.figures.get("analyses", []):
        for f in a["figures"]:
            rows.append(FigureRow(a["title"], f["label"], f["value"],
                                  _unit(f.get("unit") or "", f["label"]),
                                  f.get("interval"), bool(f.get("approximate")),
                                  f.get("records"), f.get("note", "")))
        for c in a["coefficients"]:
            se = c.get("standard_error")
            rows.append(FigureRow(a["title"], f"Coefficient of {c['name']}", c["estimate"], "",
                                  c.get("interval"), True, None,
                                  "" if se is None else f"Standard error {number_text(se)}"))
        for note in a.get("notes", []):
            rows.append(FigureRow(a["title"], "Note", None, "", None, False, None, note))
    return rows


def _split(label: str) -> tuple[str, str]:
    """'Mean of Dose (Died is no)' -> ('Mean of Dose', 'Died is no'); no group -> ('', label)."""
    if label.endswith(")") and " (" in label:
        head, _, tail = label.rpartition(" (")
        return head, tail[:-1]
    return "", label


def _chart(title: str, cells: dict) -> str:
    """One bar per cell (label -> (value, interval or None))."""
    errors = [iv for _v, iv in cells.values()]
    return charts.bar_chart(list(cells), [v for v, _iv in cells.values()],
                            errors=errors if any(errors) else None, title=title)


def result_charts(result: ResultReport) -> list[tuple[str, str]]:
    """(title, SVG) for each analysis with more than one bar to draw — groups, categories,
    bins, regression coefficients — with their intervals for the privacy noise."""
    out = []
    for a in result.figures.get("analyses", []):
        if a["kind"] in ("linear_regression", "logistic_regression"):
            cells = {c["name"]: (c["estimate"], c.get("interval")) for c in a["coefficients"]
                     if c["estimate"] is not None and c["name"] != "Intercept"}
            if cells:
                out.append((a["title"], _chart(f"{a['title']}: coefficients", cells)))
            continue
        by_head: dict[str, dict] = {}
        for f in a["figures"]:
            if f["value"] is not None:
                head, cell = _split(f["label"])
                by_head.setdefault(head, {})[cell] = (f["value"], f.get("interval"))
        if a["kind"] == "histogram" and any(by_head):
            # 'Sex is F (Died is no)': one series per group, one bar per level
            groups: dict[str, dict] = {}
            for level, cells in by_head.items():
                for group, cell in cells.items():
                    groups.setdefault(group, {})[level] = cell
            levels = list(by_head)
            values = {g: [groups[g].get(k, (0, None))[0] for k in levels] for g in groups}
            errors = {g: [groups[g].get(k, (0, None))[1] for k in levels] for g in groups}
            has_errors = any(e for errs in errors.values() for e in errs)
            out.append((a["title"], charts.grouped_bar_chart(
                levels, values, errors=errors if has_errors else None, title=a["title"])))
            continue
        for head, cells in by_head.items():
            if len(cells) > 1:
                out.append((head or a["title"], _chart(head or a["title"], cells)))
    return out


def export_result_csv(vault, result: ResultReport, dest, *,
                      task: TaskState | None = None) -> Path:
    """The result's figures as a CSV file (text a spreadsheet would run as a formula is
    escaped); recorded in the audit log. These are the study's released totals, no records."""
    rows = result_rows(result)
    low = [r.interval[0] if r.interval else None for r in rows]
    high = [r.interval[1] if r.interval else None for r in rows]
    frame = pd.DataFrame({"Analysis": [r.analysis for r in rows],
                          "Figure": [r.label for r in rows],
                          "Value": pd.array([r.value for r in rows], dtype="Float64"),
                          "Unit": [r.unit for r in rows],
                          "Interval from": pd.array(low, dtype="Float64"),
                          "Interval to": pd.array(high, dtype="Float64"),
                          "Records": pd.array([r.records for r in rows], dtype="Float64"),
                          "Note": [r.note for r in rows]})
    out = write_table(frame, Path(dest), fmt="csv", task=task)
    with vault.transaction():
        vault.audit("study.result_exported", study_id=result.study.study_id,
                    request_id=result.request_id, file=out.name, figures=len(rows))
    return out
