"""PPDS Desktop: privacy-preserving data sharing for hospitals, offline and by file exchange."""

import os

__version__ = "0.1.0"

# Arrow allocates through mimalloc 3, which by default backs its memory with transparent huge
# pages and returns freed ranges to the kernel. An import frees and reallocates hundreds of MiB
# within a second, so the kernel kept zeroing fresh 2 MiB pages: 0.5-1.4 s of system time per
# million-row import on our Linux test machine, 0.3-0.4 s with 4 KiB pages (docs/architecture.md,
# "Import speed"). mimalloc reads this when Arrow first allocates, so it is set here, before
# anything imports pyarrow; a value already in the environment wins. Other systems ignore it.
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")
