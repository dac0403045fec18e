"""Read a Parquet file into an Arrow table, with the same checks as for text files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..progress import TaskState, ensure_task
from .options import UNITS_PER_DAY, ParseOptions, ReadLimits
from .result import ReadResult
from .sniff import check_column_names, check_file


def open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError):
        raise InputError("not a readable Parquet file", path=str(path)) from None


_FIRST_DAY = (dt.date(1, 1, 1) - dt.date(1970, 1, 1)).days        # what Python dates can hold
_LAST_DAY = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days


def check_values(path: Path, table: pa.Table) -> None:
    """Refuse data that decodes but is not valid: text that is not UTF-8, dictionary codes
    out of range, dates outside the years 1 to 9999, an unknown time zone. Each would fail
    later, far from the file, when the values are shown or converted."""
    try:
        table.validate(full=True)
    except (pa.ArrowException, ValueError):
        raise InputError("the Parquet file is damaged: it holds values that are not valid "
                         "(text that is not UTF-8, or broken categories)", path=str(path)) from None
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_timestamp(t) and t.tz is not None and not _known_zone(t.tz):
            raise InputError(f"column {name!r} names an unknown time zone {t.tz[:40]!r}",
                             path=str(path))
        if not (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            continue
        col = col.cast(t)     # decodes a dictionary column (its nulls may be in the values)
        if len(col) > col.null_count:
            raw = col.cast(pa.int64()) if pa.types.is_timestamp(t) or pa.types.is_date64(t) \
                else col.cast(pa.int32()).cast(pa.int64())
            per_day = (UNITS_PER_DAY[t.unit] if pa.types.is_timestamp(t)
                       else 86_400_000 if pa.types.is_date64(t) else 1)
            span = pc.min_max(raw).as_py()
            if span["min"] < _FIRST_DAY * per_day or span["max"] > (_LAST_DAY + 1) * per_day:
                raise InputError(f"column {name!r} holds dates outside the years 1 to 9999",
                                 path=str(path))


def _known_zone(tz: str) -> bool:
    try:
        pa.scalar(0, pa.timestamp("s", tz=tz)).as_py()
        return True
    except (pa.ArrowException, ValueError, KeyError):
        return False


def read_parquet(path: Path, options: ParseOptions | None = None,
                 limits: ReadLimits | None = None, task: TaskState | None = None) -> ReadResult:
    path = Path(path)
    limits = limits or ReadLimits()
    task = ensure_task(task)
    size = check_file(path, limits)
    pfile = open_parquet(path)
    check_column_names(path, pfile.schema_arrow.names)
    groups = []
    n = max(pfile.num_row_groups, 1)
    try:
        for i in range(pfile.num_row_groups):
            task.report(0.9 * i / n, f"reading row group {i + 1}/{n}")
            groups.append(pfile.read_row_group(i))
    except (pa.ArrowException, OSError):
        raise InputError("the Parquet file is damaged and cannot be read", path=str(path)) from None
    table = pa.concat_tables(groups) if groups else pfile.schema_arrow.empty_table()
    table = table.replace_schema_metadata(None)
    check_values(path, table)
    if table.num_rows == 0:
        raise InputError("the file has no data rows", path=str(path))
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) \
                or pa.types.is_binary(col.type):
            longest = pc.max(pc.binary_length(col)).as_py() or 0
            if longest > limits.max_field_bytes:
                raise InputError(f"column {name!r} has a value longer than the limit of "
                                 f"{limits.max_field_bytes:,} bytes", path=str(path))
    task.report(1.0, f"read {table.num_rows:,} rows")
    return ReadResult(table=table, format="parquet", options=options or ParseOptions(),
                      file_name=path.name, file_bytes=size)
