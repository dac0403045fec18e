"""Files that only their owner can open, and syncs that reach the disk.

``restrict_to_owner``: on POSIX a mode (0600 for files, 0700 for folders); on Windows, where
``chmod`` only toggles read-only, an access list that names the current user alone, set with the
system's ``icacls`` tool (inherited entries removed; files created later in a restricted folder,
such as SQLite's ``-wal`` and ``-shm``, inherit it). It is best effort: a file system without
access lists (FAT on a USB stick) keeps whatever it has, and the function says so by returning
False rather than stopping the work.

``sync_file``: ``fsync``, except on macOS, where ``fsync`` leaves the data in the drive's cache
and only ``fcntl(F_FULLFSYNC)`` asks the drive to write it; SQLite gets the same with
``PRAGMA fullfsync`` (see ``core/vault/connection.py``).
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def restrict_to_owner(path, *, folder: bool = False) -> bool:
    """Let only the current user read and write ``path``; True if that was applied."""
    path = Path(path)
    if sys.platform == "win32":
        return _windows_owner_only(path, folder)
    try:
        os.chmod(path, FOLDER_MODE if folder else FILE_MODE)
    except OSError:
        return False
    return True


def _windows_user() -> str:
    domain = os.environ.get("USERDOMAIN")
    user = getpass.getuser()
    return f"{domain}\\{user}" if domain else user


def icacls_command(path: Path, folder: bool) -> list[str]:
    """Remove inherited entries and grant full control to the current user only (folders: also
    to what is created inside them)."""
    tool = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "icacls.exe"
    grant = "(OI)(CI)F" if folder else "F"
    return [str(tool), str(path), "/inheritance:r", "/grant:r", f"{_windows_user()}:{grant}",
            "/q"]


def _windows_owner_only(path: Path, folder: bool) -> bool:
    try:
        done = subprocess.run(icacls_command(path, folder), capture_output=True, timeout=60,
                              check=False,
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def sync_file(fd: int) -> None:
    """Make what was written to ``fd`` durable (F_FULLFSYNC on macOS, else fsync)."""
    if sys.platform == "darwin":
        import fcntl

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:        # not every file system supports it: fsync is the next best
            pass
    os.fsync(fd)
