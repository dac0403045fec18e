"""Lexical rules shared by the two query languages (DP statistics in ``core/dp/query.py`` and
encrypted aggregates in ``core/he/query.py``), so a column name or a JSON query is read the same
way on both pages and in both CLI commands.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

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


def category_codes(values: pd.Series, declared, column) -> tuple[list[str], np.ndarray]:
    """The categories of ``values`` (as text, missing ones as ``MISSING_LABEL``) and each
    row's code among them, -1 where a value is not one of them. ``declared``: the categories
    the user gave (public, so they leak nothing); None: those that occur, sorted."""
    labels = values.astype("string").fillna(MISSING_LABEL)
    if declared is not None:
        cats = [str(v) for v in declared]
        if len(set(cats)) != len(cats):
            raise InputError(f"the declared categories of {column!r} contain duplicates")
    else:
        cats = sorted(labels.unique().tolist())
    return cats, pd.Index(cats).get_indexer(labels.astype(object)).astype(np.int64)

