"""Profile a table: per column its kind, missing share, distinct count, examples and a suggested role.

Counts (missing, distinct) are exact over all rows, computed by Arrow's vectorised kernels;
value patterns and examples use an evenly spaced sample of at most :data:`SAMPLE_SIZE` rows, so
a million rows profile in about a second. Example values are for the screen only: the profile
stored with a dataset and every log or audit entry leave them out (``to_dict(examples=False)``).
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..progress import TaskState, ensure_task
from .pii import suggest_role
from .types import kind_of

SAMPLE_SIZE = 5000
N_EXAMPLES = 5
_EXAMPLE_SLICE = 64            # values converted to Python at a time when looking for examples


@dataclass
class ColumnProfile:
    name: str
    dtype: str                       # Arrow type, e.g. "int64", "string", "date32[day]"
    kind: str                        # integer | decimal | date | boolean | categorical | text
    count: int                       # rows
    missing: int
    missing_share: float
    distinct: int                    # distinct non-missing values
    role: str                        # suggested (or, once saved, the user's) role
    reason: str
    category: str | None = None      # what the detector recognised, e.g. "email"
    examples: list[str] = field(default_factory=list)


@dataclass
class DatasetProfile:
    rows: int
    columns: list[ColumnProfile]

    def column(self, name: str) -> ColumnProfile:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def roles(self) -> dict[str, str]:
        return {c.name: c.role for c in self.columns}

    def to_dict(self, examples: bool = False) -> dict:
        """JSON-ready; example values only when asked for (they are cell values)."""
        cols = []
        for col in self.columns:
            d = asdict(col)
            if not examples:
                d.pop("examples")
            cols.append(d)
        return {"rows": self.rows, "columns": cols}

    @classmethod
    def from_dict(cls, data: dict) -> "DatasetProfile":
        return cls(rows=data["rows"], columns=[ColumnProfile(**c) for c in data["columns"]])


def sample_positions(n_rows: int, size: int = SAMPLE_SIZE) -> np.ndarray:
    """Evenly spaced row positions: deterministic, and covers the whole file (sorted files too)."""
    if n_rows <= size:
        return np.arange(n_rows, dtype=np.int64)
    return np.linspace(0, n_rows - 1, size).astype(np.int64)


def _int64_array(values: np.ndarray) -> pa.Array:
    # From the buffer directly: pa.array() would import pandas (half a second) to check types.
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def take_sample(col: pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    """The values at ``positions`` (sorted), taken chunk by chunk: Arrow's take on a chunked
    column first joins its chunks, a copy of the whole column (0.1 s for 35 MB of text)."""
    parts, start = [], 0
    for chunk in col.chunks:
        end = start + len(chunk)
        lo, hi = np.searchsorted(positions, [start, end])
        if hi > lo:
            parts.append(chunk.take(_int64_array(positions[lo:hi] - start)))
        start = end
    return pa.concat_arrays(parts) if parts else col.combine_chunks()


def _as_text(values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if pa.types.is_large_string(values.type):
        values = values.cast(pa.string())
    return values


def _mean_words(text: pa.Array) -> float:
    if len(text) == 0:
        return 0.0
    gaps = pc.count_substring_regex(pc.utf8_trim_whitespace(text), r"\s+")
    return float(pc.mean(gaps).as_py() or 0.0) + 1.0


def _examples(sample: pa.Array) -> list[str]:
    """The first distinct values as text, converted to Python a slice at a time: most columns
    show five distinct values within their first few, and converting the whole sample (to
    datetimes above all) cost ten times more on the sample admissions, all of it holding the GIL."""
    out: list[str] = []
    for start in range(0, len(sample), _EXAMPLE_SLICE):
        for value in sample.slice(start, _EXAMPLE_SLICE).to_pylist():
            text = value.isoformat() if hasattr(value, "isoformat") else str(value)
            if text not in out:
                out.append(text)
                if len(out) >= N_EXAMPLES:
                    return out
    return out


def column_examples(table: pa.Table) -> dict[str, list[str]]:
    """The example values :func:`profile_table` would show, without the rest of the profile
    (no exact counts over every row), for a screen that only needs the examples."""
    positions = sample_positions(table.num_rows)
    return {name: _examples(pc.drop_null(take_sample(col, positions)))
            for name, col in zip(table.column_names, table.columns)}


def _distinct(col: pa.ChunkedArray) -> int:
    """Distinct values, missing ones included; nested values (lists, structs) by their text."""
    try:
        return len(pc.unique(col))
    except pa.ArrowNotImplementedError:
        return len({repr(v) for v in col.to_pylist()})


def profile_column(name: str, col: pa.ChunkedArray, positions: np.ndarray) -> ColumnProfile:
    n = len(col)
    nan = pc.sum(pc.is_nan(col)).as_py() or 0 if pa.types.is_floating(col.type) else 0
    missing = col.null_count + nan
    non_missing = n - missing
    # len(unique) is about twice as fast as count_distinct on a chunked column (Arrow 2x);
    # null and NaN each count once in it, and are missing values, not distinct ones.
    distinct = _distinct(col) - bool(col.null_count) - bool(nan) if non_missing else 0
    kind = kind_of(col.type, distinct, non_missing)
    sample = pc.drop_null(take_sample(col, positions))
    text = None
    mean_words = 0.0
    is_text = pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or (
        pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type))
    if is_text:
        text = _as_text(sample)
        mean_words = _mean_words(text) if kind == "text" else 0.0
    suggestion = suggest_role(name, kind, text, distinct, non_missing, mean_words)
    return ColumnProfile(
        name=name, dtype=str(col.type), kind=kind, count=n, missing=missing,
        missing_share=round(missing / n, 6) if n else 0.0, distinct=distinct,
        role=suggestion.role, reason=suggestion.reason, category=suggestion.category,
        examples=_examples(sample))


def start_profile(table: pa.Table, pool: Executor) -> Callable[[TaskState | None], DatasetProfile]:
    """Start profiling ``table`` on ``pool``, whose workers take the columns in order, and return
    the function that finishes the profile: the thread calling it takes the columns no worker has
    started yet, last first, then waits for the rest. So a profile computed beside other work
    (the importer's store) is finished by whichever threads are free first. A caller that gives
    up cancels the queued columns with ``pool.shutdown(cancel_futures=True)``."""
    positions = sample_positions(table.num_rows)
    names = table.column_names
    futures = [pool.submit(profile_column, name, col, positions)
               for name, col in zip(names, table.columns)]

    def finish(task: TaskState | None = None) -> DatasetProfile:
        task = ensure_task(task)
        n = len(names)
        done: dict[int, ColumnProfile] = {}
        try:
            for i in reversed(range(n)):
                if futures[i].cancel():          # not started by a worker: do it here
                    task.report(len(done) / n, f"profiling {names[i]}")
                    done[i] = profile_column(names[i], table.column(i), positions)
            for i, future in enumerate(futures):
                if i not in done:
                    task.report(len(done) / n, f"profiling {names[i]}")
                    done[i] = future.result()
        finally:
            for future in futures:
                future.cancel()
        task.report(1.0, "profile ready")
        return DatasetProfile(rows=table.num_rows, columns=[done[i] for i in range(n)])

    return finish


def profile_table(table: pa.Table, task: TaskState | None = None) -> DatasetProfile:
    """Profile every column of ``table`` (an Arrow table; use ``pa.Table.from_pandas`` for a frame).

    Columns are profiled on one thread per CPU (up to 4), this one included: the work is in
    Arrow kernels, which release the GIL.
    """
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1) - 1)) as pool:
        return start_profile(table, pool)(task)
