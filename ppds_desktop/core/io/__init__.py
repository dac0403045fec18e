"""Reading users' files (CSV/TSV, .xlsx, Parquet) and writing exports safely.

``read_table`` returns an Arrow table (never a pandas copy of the whole file) or raises an
:class:`~ppds_desktop.core.errors.InputError` naming the file and line; ``preview`` shows the
first rows with the detected parse options; ``write_table`` writes atomically and escapes
spreadsheet formulas.
"""

from .options import ParseOptions, ReadLimits
from .reader import file_format, preview, read_table
from .result import Preview, ReadResult
from .writer import EXPORT_FORMATS, escape_formulas, write_table

__all__ = ["ParseOptions", "ReadLimits", "Preview", "ReadResult", "read_table", "preview",
           "file_format", "write_table", "escape_formulas", "EXPORT_FORMATS"]
