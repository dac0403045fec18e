"""Writing the app's own files: private, whole or not at all, and with plain-language failures.

Everything the app writes outside the vault (exports, reports, recipes, charts, bundles) goes
through :func:`atomic_path` or :func:`write_private`: the data is written to a temporary file
beside the destination, created owner-only (0600, by ``mkstemp``), flushed to disk and renamed
over the destination, so a crash, a full disk or Cancel never leaves half a file, and no file
is ever readable by other users. :func:`replace_file` is that final rename for every caller
(the vault header and bundles too): on Windows a destination open in Excel, or held for a
moment by an antivirus scanner or a sync client, refuses the rename with a sharing violation,
so it is retried briefly and then reported as "close the file and try again".
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import InputError, PPDSError
from .private_files import restrict_to_owner, sync_file
from .storage import free_bytes, is_no_room

# Waits between attempts at a rename that Windows refused (about 2 s in all): long enough for
# a virus scan or a sync client to let go of a file, short enough not to look hung.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.5, 0.75)


class FileInUse(PPDSError):
    """A file could not be replaced because another program holds it open."""

    def __init__(self, path: Path):
        super().__init__(f"{path} is open in another program, so it cannot be replaced",
                         hint="close the file (in Excel or any other program) and try again")
        self.path = path


def _on_windows() -> bool:
    return os.name == "nt"


def replace_file(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """``os.replace(src, dest)``, retried briefly on Windows while another program holds
    ``dest`` (a sharing violation is a ``PermissionError`` there); then :class:`FileInUse`.
    Elsewhere a ``PermissionError`` is a real permission problem and is raised at once."""
    delays = iter(RETRY_DELAYS if _on_windows() else ())
    while True:
        try:
            os.replace(src, dest)
            return
        except PermissionError:
            delay = next(delays, None)
            if delay is None:
                if _on_windows():
                    raise FileInUse(Path(dest)) from None
                raise
            time.sleep(delay)


def is_disk_full(exc: BaseException) -> bool:
    """True for the errors a full disk (or a file-size or quota limit) gives, including
    Arrow's, which carry the system's message but not always its number."""
    return is_no_room(exc) or any(s in str(exc) for s in ("No space left", "File too large",
                                                          "Disk quota exceeded"))


def write_error(exc: BaseException, dest: Path) -> InputError:
    """One plain line for a failed write: a full disk is named as such, with the free space."""
    if is_disk_full(exc):
        free = free_bytes(dest.parent)
        room = f"; {free / 1e6:,.1f} MB free there" if free is not None else ""
        return InputError(f"the disk is full, so the file could not be written{room}; "
                          "nothing was written", path=str(dest),
                          hint="free some space or choose another place")
    reason = getattr(exc, "strerror", None) or "I/O error"
    return InputError(f"the file could not be written ({reason}); nothing was written",
                      path=str(dest))


@contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """A private temporary path beside ``dest``; renamed onto ``dest`` only if the block
    succeeds (after an fsync). On any failure, including Cancel, the temporary file is removed
    and OS errors become one plain :class:`InputError`."""
    dest = Path(dest)
    if not dest.parent.is_dir():
        raise InputError("the destination folder does not exist", path=str(dest.parent))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror})", path=str(dest)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        restrict_to_owner(tmp_path)      # owner-only on Windows too, before data goes in
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            sync_file(f.fileno())
        replace_file(tmp_path, dest)
    except OSError as exc:
        raise write_error(exc, dest) from None
    finally:
        tmp_path.unlink(missing_ok=True)


def write_private(dest: Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``dest`` atomically, owner-only."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return dest
