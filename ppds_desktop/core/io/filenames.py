"""File names the app proposes (from dataset or release names), valid on Windows, macOS, Linux.

A dataset name is free text: release names carry times (``10:42``), users type ``/`` or ``?``.
Windows refuses ``<>:"/\\|?*`` and control characters, names ending in a dot or a space, and the
device names ``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9`` (with any
extension); Linux file systems allow 255 bytes per name, and deep Windows folders run into the
260-character path limit. A proposed name avoids all of these and still reads like the original.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 100          # leaves room for the folder under Windows' 260-character path limit
MAX_BYTES = 240          # under the 255-byte limit of ext4, APFS and NTFS, suffix included

_SEPARATORS = re.compile(r"[:/\\]+")
_RESERVED = re.compile(r'[<>"|?*\x00-\x1f\x7f]+')
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"{kind}{n}" for kind in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³"))}


def safe_file_name(name: str, suffix: str = "", *, default: str = "export") -> str:
    """``name`` + ``suffix`` as a file name every supported system accepts: reserved characters
    replaced (``:``, ``/`` and ``\\`` by ``-``, the others by ``_``), no leading or trailing
    dots and spaces, no device name, at most 100 characters and 240 UTF-8 bytes."""
    stem = unicodedata.normalize("NFC", name)
    stem = _RESERVED.sub("_", _SEPARATORS.sub("-", stem))
    stem = " ".join(stem.split())                   # tabs and newlines were replaced; tidy runs
    stem = stem.strip(" .") or default
    if stem.split(".")[0].rstrip(" ").upper() in _DEVICES:
        stem = f"_{stem}"
    room = MAX_CHARS - len(suffix)
    stem = stem[:room]
    while len((stem + suffix).encode("utf-8")) > MAX_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(" .") or default) + suffix
