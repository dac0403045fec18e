"""Where the app's files live and what happens when there is no room for them.

``location_warning`` tells the user when a vault sits where it should not: on a network share
(SMB, NFS, …) or in a folder that a cloud service keeps in sync (OneDrive, Dropbox, iCloud
Drive, Google Drive). SQLite's write-ahead log needs shared memory and file locks that such
folders do not provide reliably, and a sync client can upload a half-written database. It is a
warning, not a refusal: the check reads names and mount tables, and can be wrong.

``no_room`` turns "no space left", "quota exceeded" and "file too large" into one
:class:`DiskFull` message that names the file and, when known, how much room was needed.
"""

from __future__ import annotations

import errno as errnos
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import DiskFull

NO_ROOM_ERRNOS = {errnos.ENOSPC, errnos.EFBIG, getattr(errnos, "EDQUOT", errnos.ENOSPC)}

# File systems reached over a network (Linux /proc/mounts and macOS mount(8) names).
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "afpfs", "ceph",
                       "glusterfs", "lustre", "gpfs", "webdav", "davfs", "fuse.sshfs",
                       "fuse.rclone", "fuse.s3fs", "fuse.davfs2"}
# Folder names that cloud sync clients create (compared case-insensitively, by prefix, so
# "OneDrive - Contoso" and macOS's "GoogleDrive-name@example.org" match too).
_CLOUD_FOLDERS = (("onedrive", "OneDrive"), ("dropbox", "Dropbox"), ("google drive", "Google Drive"),
                  ("googledrive", "Google Drive"), ("my drive", "Google Drive"),
                  ("icloud drive", "iCloud Drive"), ("icloud~", "iCloud Drive"),
                  ("mobile documents", "iCloud Drive"), ("com~apple~clouddocs", "iCloud Drive"),
                  ("cloudstorage", "a cloud storage service"))
_DRIVE_REMOTE = 4      # GetDriveTypeW


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10e6 else f"{n / 1e6:.1f} MB"


def free_bytes(path: Path) -> int | None:
    """Free space on the disk holding ``path`` (or its nearest existing folder)."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def no_room(path, err: int | None = None, needed: int | None = None,
            outcome: str = "nothing was changed") -> DiskFull:
    """The error to raise when ``path`` could not be written for lack of room. ``err`` is the
    OS error number if known (None: SQLite only said "disk full" or "I/O error on write")."""
    free = free_bytes(Path(path))
    if err == errnos.EFBIG:
        reason = "the file would be larger than this system allows"
    elif err == getattr(errnos, "EDQUOT", None):
        reason = "your disk quota is used up"
    elif err == errnos.ENOSPC or (free is not None and free < max(needed or 0, 16 << 20)):
        reason = "the disk is full"
    else:
        reason = "the disk is full, over a file-size limit, or failing"
    facts = []
    if needed:
        facts.append(f"about {_mb(needed)} needed")
    if free is not None and reason != "the file would be larger than this system allows":
        facts.append(f"{_mb(free)} free")
    detail = f" ({', '.join(facts)})" if facts else ""
    error = DiskFull(f"Could not write {path}: {reason}{detail}; {outcome}.",
                     hint="make room on the disk, or choose another one")
    error.path, error.errno, error.needed = str(path), err, needed
    return error


def is_no_room(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_ROOM_ERRNOS


# ---------------------------------------------------------------------------- where files are

def location_warning(path) -> str | None:
    """A sentence for the user when ``path`` is on a network share or in a cloud-synced folder
    (see the module docstring); None when it looks like a local disk."""
    path = Path(os.path.abspath(path))
    place = _cloud_service(path)
    if place is None and _on_network(path):
        place = "a network share"
    if place is None:
        return None
    return (f"The vault {path} is in {place}. Keep vaults on this computer's own disk, outside "
            "synced folders: its journal needs a local disk, and a sync can copy a half-written "
            "vault.")


def _cloud_service(path: Path) -> str | None:
    for part in path.parts:
        name = part.lower()
        for prefix, service in _CLOUD_FOLDERS:
            if name.startswith(prefix):
                return f"a folder synced by {service}"
    for var in ("OneDrive", "OneDriveCommercial", "OneDriveConsumer"):
        root = os.environ.get(var)
        if root and _is_under(path, Path(root)):
            return "a folder synced by OneDrive"
    return None


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _on_network(path: Path) -> bool:
    if sys.platform == "win32":
        text = str(path)
        if text.startswith("\\\\"):               # \\server\share (UNC)
            return True
        return _windows_drive_type(path.anchor) == _DRIVE_REMOTE
    best, fstype = "", ""
    for mountpoint, kind in _mounts():
        if (str(path) == mountpoint or str(path).startswith(mountpoint.rstrip("/") + "/")) \
                and len(mountpoint) >= len(best):
            best, fstype = mountpoint, kind
    return fstype.lower() in NETWORK_FILESYSTEMS


def _windows_drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)))  # type: ignore


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file-system type) pairs: /proc/self/mounts on Linux, mount(8) on macOS."""
    if sys.platform.startswith("linux"):
        try:
            lines = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        out = []
        for line in lines.splitlines():
            fields = line.split()
            if len(fields) >= 3:
                out.append((fields[1].replace("\\040", " "), fields[2]))
        return out
    if sys.platform == "darwin":
        try:
            text = subprocess.run(["/sbin/mount"], capture_output=True, text=True, timeout=10,
                                  check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        found = (re.match(r"^.* on (.*) \(([^,)]+)", line) for line in text.splitlines())
        return [(m.group(1), m.group(2)) for m in found if m]
    return []
