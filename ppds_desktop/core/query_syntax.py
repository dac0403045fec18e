"""Lexical rules shared by the two query languages (DP statistics in ``core/dp/query.py`` and
encrypted aggregates in ``core/he/query.py``), so a column name or a JSON query is read the same
way on both pages and in both CLI commands.
"""

from __future__ import annotations

import json

from .errors import InputError

# Label of a missing value when it is a group or category of its own.
MISSING_LABEL = "(missing)"


def column_name(text: str) -> str:
    """A column name as written in a query: trimmed, and unquoted if wrapped in ", ' or `."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1]
    if not text:
        raise InputError("A column name in the query is empty.")
    return text


def load_json_query(text: str):
    """The JSON form of a query, or an :class:`InputError` naming the line that is wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"query JSON, line {exc.lineno}: {exc.msg}") from None
