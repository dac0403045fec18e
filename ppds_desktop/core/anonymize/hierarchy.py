"""Generalization hierarchies: one column's levels, from the raw value (level 0) to ``*``.

A hierarchy is kept as a table of labels (one row per raw value, one column per level, the ARX
file format) and, derived from it, one integer mapping array per level (leaf index → label
index). The search engine only ever works with those arrays, so generalizing a million rows is
one numpy gather per column. Labels are identified per level, and a label must have a single
parent on the next level (a tree); otherwise losses and t-closeness would be ill-defined.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..files import write_private

TOP = "*"


def as_text(values: pd.Series) -> pd.Series:
    """The text form that hierarchy leaves use: integers without ".0", dates as ISO days,
    missing values as None. Meant for distinct values (it is a per-value map)."""
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
    if pd.api.types.is_float_dtype(s):
        finite = s.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(), 1) == 0):
            s = s.astype("Int64")
    return s.astype(object).map(lambda v: None if pd.isna(v) else str(v))


class Hierarchy:
    """A generalization hierarchy for one column; immutable after construction."""

    def __init__(self, table: Sequence[Sequence[str]], *, name: str = "",
                 source: str | None = None):
        rows = [[str(x) for x in row] for row in table]
        where = source or (f"hierarchy of '{name}'" if name else "hierarchy")
        if not rows:
            raise InputError(f"{where} has no rows")
        height = len(rows[0])
        for i, row in enumerate(rows):
            if len(row) != height:
                raise InputError(f"row has {len(row)} levels, expected {height}",
                                 path=where, line=i + 1)
        self.name = name
        self._table = np.array(rows, dtype=object).reshape(len(rows), height)
        leaves = self._table[:, 0]
        self._leaf_index: dict[str, int] = {}
        for i, v in enumerate(leaves):
            if v in self._leaf_index:
                raise InputError("a raw value appears twice", path=where, line=i + 1)
            self._leaf_index[v] = i
        self._maps: list[np.ndarray] = []
        self._labels: list[list[str]] = []
        for level in range(height):
            codes, uniques = pd.factorize(pd.Series(self._table[:, level]), sort=False)
            self._maps.append(codes.astype(np.int32))
            self._labels.append([str(u) for u in uniques])
        for level in range(height - 1):
            child, parent = self._maps[level], self._maps[level + 1]
            first_parent = np.full(len(self._labels[level]), -1, dtype=np.int64)
            first_parent[child[::-1]] = parent[::-1]
            bad = np.flatnonzero(first_parent[child] != parent)
            if len(bad):
                raise InputError(
                    f"a label on level {level} has two different parents on level {level + 1}",
                    path=where, line=int(bad[0]) + 1,
                    hint="each group must belong to exactly one group of the next level")
        n = len(rows)
        self._shares = [np.bincount(m)[m] / n for m in self._maps]

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str]], *, name: str = "") -> "Hierarchy":
        return cls(list(rows), name=name)

    @classmethod
    def read_csv(cls, path_or_text: str | Path, *, name: str = "", sep: str = ";") -> "Hierarchy":
        """Read an ARX hierarchy file (or its text): one row per raw value, ``;``-separated."""
        is_text = isinstance(path_or_text, str) and "\n" in path_or_text
        p = None if is_text else Path(path_or_text)
        if p is not None:
            try:
                text = p.read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise InputError(f"cannot read the hierarchy file ({exc.strerror})",
                                 path=str(p)) from None
            except UnicodeDecodeError:
                raise InputError("the hierarchy file is not UTF-8 text", path=str(p)) from None
        else:
            text = str(path_or_text)
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        try:
            rows = [[_unescape(v) for v in r] for r in reader if r]
        except csv.Error as exc:
            raise InputError(f"not a valid hierarchy file ({exc})", path=str(p) if p else None,
                             line=reader.line_num) from None
        # ARX names its files <dataset>_hierarchy_<column>.csv
        default = p.stem.split("_hierarchy_")[-1] if p else ""
        return cls(rows, name=name or default, source=str(p) if p else None)

    def to_csv(self, path: str | Path | None = None, *, sep: str = ";") -> str:
        """The ARX file text; also written to ``path`` if given. Labels that a spreadsheet
        would run as a formula are prefixed with a quote (removed again by :meth:`read_csv`)."""
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=sep, lineterminator="\n")
        for row in self._table:
            w.writerow([_escape(v) for v in row])
        text = buf.getvalue()
        if path is not None:
            write_private(Path(path), text)
        return text

    # -- queries ------------------------------------------------------------------------
    @property
    def height(self) -> int:
        """Number of levels including level 0 (the raw values)."""
        return self._table.shape[1]

    @property
    def leaves(self) -> list[str]:
        return list(self._table[:, 0])

    def rows(self) -> list[list[str]]:
        return [list(r) for r in self._table]

    def labels(self, level: int) -> list[str]:
        """Distinct labels of ``level``; label index i is what :meth:`level_map` points to."""
        return list(self._labels[self._check_level(level)])

    def level_map(self, level: int) -> np.ndarray:
        """Leaf index → label index on ``level`` (int32)."""
        return self._maps[self._check_level(level)]

    def share(self, level: int) -> np.ndarray:
        """Per leaf: the fraction of all leaves that share its label on ``level`` (ARX's
        domain share, used by the Loss metric)."""
        return self._shares[self._check_level(level)]

    def encode(self, values: pd.Series, *, column: str | None = None) -> np.ndarray:
        """Leaf index (int32) of every value. Missing values are looked up as the empty string.
        Values not in the hierarchy raise :class:`InputError` (counted, never shown)."""
        col = column or self.name or "column"
        codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
        text = as_text(pd.Series(uniques))
        lut = np.array([self._leaf_index.get(t if t is not None else "", -1) for t in text],
                       dtype=np.int32)
        missing_leaf = self._leaf_index.get("", -1)
        out = np.where(codes >= 0, lut[np.maximum(codes, 0)] if len(lut) else -1, missing_leaf)
        out = out.astype(np.int32)
        bad = np.flatnonzero(out < 0)
        if len(bad):
            kinds = len(np.unique(codes[bad]))
            raise InputError(
                f"column '{col}': {len(bad)} row(s) ({kinds} distinct value(s)) are not in its "
                f"hierarchy (first at row {int(bad[0]) + 1})",
                hint="extend the hierarchy or rebuild it from the data")
        return out

    def generalize(self, values: pd.Series, level: int) -> pd.Series:
        """The values replaced by their labels on ``level``."""
        level = self._check_level(level)
        s = pd.Series(values)
        return pd.Series(self.decode(self.encode(s), level), index=s.index, name=s.name)

    def decode(self, codes: np.ndarray, level: int) -> np.ndarray:
        """The labels on ``level`` (object array) of leaf codes from :meth:`encode`."""
        level = self._check_level(level)
        return np.array(self._labels[level], dtype=object)[self._maps[level][codes]]

    def _check_level(self, level: int) -> int:
        if not 0 <= int(level) < self.height:
            raise InputError(f"hierarchy of '{self.name}' has levels 0..{self.height - 1}, "
                             f"not {level}")
        return int(level)

    def __repr__(self) -> str:
        return f"Hierarchy({self.name!r}, leaves={len(self._table)}, height={self.height})"


_FORMULA_START = ("=", "+", "-", "@")


def _escape(label: str) -> str:
    """A label a spreadsheet would run as a formula gets a leading quote (numbers excepted)."""
    return "'" + label if label.startswith(_FORMULA_START) and not _is_number(label) else label


def _unescape(cell: str) -> str:
    """Undo :func:`_escape` on import, so export → import gives the same hierarchy."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA_START else cell


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _with_top(columns: list[list[str]]) -> list[list[str]]:
    """Append a ``*`` level unless the last level already is a single label."""
    if len(set(columns[-1])) > 1 or len(columns) == 1:
        columns.append([TOP] * len(columns[0]))
    return columns


def _finish(columns: list[list[str]], values, name: str, *, top: bool = True) -> Hierarchy:
    """Rows of the hierarchy from its level columns; a missing value in the data gets its own
    leaf "" that stays "" up to the ``*`` level (missing is a value of its own, as in ARX)."""
    if top:
        columns = _with_top(columns)
    missing = bool(pd.Series(values).isna().any())
    if missing and set(columns[-1]) != {TOP}:
        columns.append([TOP] * len(columns[0]))
    rows = [list(r) for r in zip(*columns)]
    if missing:
        rows.append([""] * (len(columns) - 1) + [TOP])
    return Hierarchy(rows, name=name)


def _distinct(values) -> pd.Series:
    s = pd.Series(values)
    return s.dropna().drop_duplicates()


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def build_intervals(values, widths: Sequence[float] = (5, 10, 20), *, start: float | None = None,
                    bottom: float | None = None, top: float | None = None,
                    name: str = "") -> Hierarchy:
    """Numbers grouped into nested intervals, one level per width, then ``*``.

    Integer data gets closed labels ("40-44"), other numbers half-open ones ("[0.5, 1)").
    Values below ``bottom`` become ``<bottom`` and values at or above ``top`` become ``>=top``
    on every level above 0 (bottom/top coding). Each width must be a multiple of the one
    before, so that the intervals nest.
    """
    col = name or "column"
    raw = _distinct(values)
    try:
        nums = pd.to_numeric(raw, errors="raise").astype(float)
    except (ValueError, TypeError):
        raise InputError(f"column '{col}': interval hierarchies need numbers") from None
    if not len(nums):
        raise InputError(f"column '{col}': no values to build a hierarchy from")
    widths = [float(w) for w in widths]
    for i, w in enumerate(widths):
        if w <= 0 or (i and not math.isclose(w / widths[i - 1], round(w / widths[i - 1]))):
            raise InputError(f"column '{col}': interval width {w:g} must be positive and a "
                             "multiple of the previous width")
    if bottom is not None and top is not None and bottom >= top:
        raise InputError(f"column '{col}': bottom coding value must be below the top coding value")
    integer = bool(np.all(np.mod(nums.to_numpy(), 1) == 0))
    base = float(start) if start is not None else (
        float(bottom) if bottom is not None else math.floor(nums.min() / widths[-1]) * widths[-1])
    leaves = as_text(pd.Series(nums.to_numpy())).tolist()
    columns = [leaves]
    for w in widths:
        labels = []
        for x in nums.to_numpy():
            if bottom is not None and x < bottom:
                labels.append(f"<{_fmt(bottom)}")
            elif top is not None and x >= top:
                labels.append(f">={_fmt(top)}")
            else:
                lo = base + math.floor((x - base) / w) * w
                labels.append(f"{_fmt(lo)}-{_fmt(lo + w - 1)}" if integer and w.is_integer()
                              else f"[{_fmt(lo)}, {_fmt(lo + w)})")
        columns.append(labels)
    order = np.argsort(nums.to_numpy(), kind="stable")
    return _finish([[col[i] for i in order] for col in columns], values, name)


# Labels of each date level, computed for a whole Series of dates at once.
_DATE_LEVELS = {
    "month": lambda d: d.dt.year.astype(str) + "-" + d.dt.month.astype(str).str.zfill(2),
    "quarter": lambda d: d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str),
    "year": lambda d: d.dt.year.astype(str),
    "decade": lambda d: ((d.dt.year // 10 * 10).astype(str) + "-"
                         + (d.dt.year // 10 * 10 + 9).astype(str)),
}


def build_dates(values, levels: Sequence[str] = ("month", "year", "decade"), *,
                name: str = "") -> Hierarchy:
    """Dates: day → month → year → decade (any subsequence of month, quarter, year, decade)
    → ``*``."""
    col = name or "column"
    order = list(_DATE_LEVELS)
    idx = [order.index(lv) if lv in _DATE_LEVELS else -1 for lv in levels]
    if -1 in idx or idx != sorted(set(idx)):
        raise InputError(f"column '{col}': date levels must be an ordered subset of {order}")
    dates = pd.to_datetime(_distinct(values), errors="coerce")
    if dates.isna().any():
        raise InputError(f"column '{col}': {int(dates.isna().sum())} value(s) are not dates")
    dates = dates.dt.normalize().drop_duplicates().sort_values()     # one leaf per day
    columns = [as_text(dates).tolist()]
    for lv in levels:
        columns.append(_DATE_LEVELS[lv](dates).tolist())
    return _finish(columns, values, name)


def build_redaction(values, *, step: int = 1, char: str = "*", name: str = "") -> Hierarchy:
    """Codes such as ZIP codes: each level hides ``step`` more characters from the right
    ("12345" → "1234*" → "123**" → ...), ending with ``*``."""
    col = name or "column"
    if step < 1 or len(char) != 1:
        raise InputError(f"column '{col}': redaction needs step ≥ 1 and a one-character mask")
    leaves = as_text(_distinct(values)).tolist()
    if not leaves:
        raise InputError(f"column '{col}': no values to build a hierarchy from")
    width = max(len(v) for v in leaves)
    columns = [leaves]
    hidden = step
    while hidden < width:
        columns.append([v[:len(v) - hidden] + char * hidden if hidden < len(v) else TOP
                        for v in leaves])
        hidden += step
    columns.append([TOP] * len(leaves))
    return _finish(columns, values, name, top=False)


def build_categories(values, groups: Sequence[dict], *, name: str = "") -> Hierarchy:
    """User groupings: ``groups[0]`` maps raw values to groups, ``groups[1]`` maps those
    groups to larger ones, and so on; ``*`` is added on top."""
    col = name or "column"
    leaves = as_text(_distinct(values)).tolist()
    columns = [leaves]
    for i, mapping in enumerate(groups):
        mapping = {str(k): str(v) for k, v in dict(mapping).items()}
        prev = columns[-1]
        missing = sorted(set(p for p in prev if p not in mapping))
        if missing:
            raise InputError(f"column '{col}': grouping level {i + 1} does not place "
                             f"{len(missing)} value(s) of the level below",
                             hint="every value needs a group")
        columns.append([mapping[p] for p in prev])
    return _finish(columns, values, name)
