"""Queries over encrypted columns: SUM / COUNT / MEAN / VARIANCE, filtered and grouped by
plaintext columns.

Text form (keywords case-insensitive; column names may contain spaces)::

    mean Billing Amount, variance Billing Amount by Medical Condition, Gender
        where Admission Type = Urgent and Age >= 40

JSON form: ``{"stats": [["mean", "Billing Amount"]], "by": ["Medical Condition"],
"where": [["Age", ">=", 40]]}``. Filters and groups use only plaintext columns; statistics use
only encrypted ones. ``count COL`` counts records with a value in the encrypted column ``COL``.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..query_syntax import MISSING_LABEL, column_name, load_json_query

STATISTICS = ("sum", "count", "mean", "variance")
_OPS = {"=": operator.eq, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
        "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_COND = re.compile(r"^(?P<col>.+?)\s*(?P<op>==|!=|<=|>=|=|<|>)\s*(?P<val>.+)$")


@dataclass
class HEQuery:
    stats: list[tuple[str, str]]
    by: list[str] = field(default_factory=list)
    where: list[tuple[str, str, object]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"stats": [list(s) for s in self.stats], "by": list(self.by),
                "where": [list(w) for w in self.where]}

    def describe(self) -> str:
        text = ", ".join(f"{s} {c}" for s, c in self.stats)
        if self.by:
            text += " by " + ", ".join(self.by)
        if self.where:
            text += " where " + " and ".join(f"{c} {o} {v}" for c, o, v in self.where)
        return text

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(c for _, c in self.stats))

    @property
    def needs_squares(self) -> bool:
        """Whether a statistic (a variance) needs the encrypted squares."""
        return any(s == "variance" for s, _ in self.stats)


def _value(text: str):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def parse_query(text: str) -> HEQuery:
    text = (text or "").strip()
    if text.startswith("{"):
        return query_from_dict(load_json_query(text))
    parts = re.split(r"\s+where\s+", text, maxsplit=1, flags=re.IGNORECASE)
    head, where_text = parts[0], (parts[1] if len(parts) > 1 else "")
    parts = re.split(r"\s+by\s+", head, maxsplit=1, flags=re.IGNORECASE)
    stats_text, by_text = parts[0], (parts[1] if len(parts) > 1 else "")
    stats = []
    for item in stats_text.split(","):
        words = item.strip().split(None, 1)
        if len(words) != 2:
            raise InputError(f"Cannot read {item.strip()!r}: write a statistic and an encrypted "
                             f"column, e.g. 'mean Billing Amount'.")
        stats.append((words[0].lower(), column_name(words[1])))
    by = [column_name(c) for c in by_text.split(",")] if by_text.strip() else []
    where = []
    for cond in (re.split(r"\s+and\s+", where_text, flags=re.IGNORECASE) if where_text else []):
        m = _COND.match(cond.strip())
        if not m:
            raise InputError(f"Cannot read the condition {cond.strip()!r}: write "
                             f"'COLUMN = VALUE' (or !=, <, <=, >, >=).")
        where.append((column_name(m["col"]), m["op"].replace("==", "="), _value(m["val"])))
    return _validated(HEQuery(stats, by, where))


def query_from_dict(obj: dict) -> HEQuery:
    if not isinstance(obj, dict) or not isinstance(obj.get("stats"), list):
        raise InputError("A query needs a 'stats' list, e.g. [[\"mean\", \"Billing Amount\"]].")
    try:
        stats = [(str(s).lower(), str(c)) for s, c in obj["stats"]]
        by = [str(c) for c in obj.get("by") or []]
        where = [(str(c), str(o), v) for c, o, v in obj.get("where") or []]
    except (TypeError, ValueError):
        raise InputError("Malformed query: stats are [statistic, column] pairs and conditions "
                         "[column, operator, value] triples.") from None
    return _validated(HEQuery(stats, by, where))


def _validated(query: HEQuery) -> HEQuery:
    if not query.stats:
        raise InputError("The query asks for no statistic.")
    for stat, _ in query.stats:
        if stat not in STATISTICS:
            raise InputError(f"Unknown statistic {stat!r}: use {', '.join(STATISTICS)}.")
    for _, op, _ in query.where:
        if op not in _OPS:
            raise InputError(f"Unknown comparison {op!r}: use =, !=, <, <=, >, >=.")
    return query


def select_rows(frame: pd.DataFrame, query: HEQuery, *, source: str) -> tuple[np.ndarray, list]:
    """Row positions passing the filters, and their group keys (tuples of strings)."""
    for col in [c for c, _, _ in query.where] + query.by:
        if col not in frame.columns:
            raise InputError(f"{source}: no plaintext column {col!r} to filter or group by.")
    mask = np.ones(len(frame), dtype=bool)
    for col, op, value in query.where:
        series = frame[col]
        if isinstance(value, (int, float)) and not pd.api.types.is_numeric_dtype(series):
            series = pd.to_numeric(series, errors="coerce")
        elif not isinstance(value, (int, float)):
            series = series.astype("string")
            value = str(value)
        try:
            hit = _OPS[op](series, value)
        except TypeError:
            raise InputError(f"{source}: column {col!r} cannot be compared with {op}.") from None
        mask &= np.asarray(hit.fillna(False), dtype=bool)
    positions = np.flatnonzero(mask)
    if not query.by:
        return positions, [()] * len(positions)
    keys = frame[query.by].iloc[positions].astype("string").fillna(MISSING_LABEL)
    return positions, list(keys.itertuples(index=False, name=None))
