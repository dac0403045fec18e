"""Read a Parquet file into an Arrow table, with the same checks as for text files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..progress import TaskState, ensure_task
from .options import ParseOptions, ReadLimits
from .result import ReadResult
from .sniff import check_column_names, check_file


def open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError):
        raise InputError("not a readable Parquet file", path=str(path)) from None


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
