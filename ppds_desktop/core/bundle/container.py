"""The plaintext inside a bundle: a manifest followed by the files it lists, nothing else.

Layout (all of it encrypted by the STREAM layer)::

    "PPDSCTR1" | u32 manifest length M | M bytes manifest (UTF-8 JSON) | file 1 | file 2 | ...

The manifest's ``files`` list gives each file's name, size and SHA-256 in order, so the reader
knows where each file ends without any framing and can refuse names and sizes before a single
byte of data arrives. No archive library, no pickle, no paths: a file name is one plain
component (see :func:`check_file_name`), so extraction cannot escape the target folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import struct
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from ..errors import BundleError
from .format import MAX_FILES, MAX_MANIFEST

CONTAINER_MAGIC = b"PPDSCTR1"
MANIFEST_FORMAT = "ppds-bundle-manifest"
MANIFEST_VERSION = 1
RESERVED_MANIFEST_FIELDS = ("format", "version", "bundle_id", "kind", "created_at", "files")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}


def check_file_name(name: Any) -> str:
    """One path component of safe characters: no separators, no '..', no device names."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name \
            or name.split(".")[0].lower() in _WINDOWS_RESERVED:
        raise BundleError(f"File name {str(name)[:60]!r} is not allowed in a bundle (letters, "
                          "digits, '.', '_', '-'; no folders, no '..'; at most 100 characters).")
    return name


def manifest_prefix(manifest: dict) -> bytes:
    raw = json.dumps(manifest, sort_keys=True, ensure_ascii=False, allow_nan=False,
                     separators=(",", ":")).encode("utf-8")
    if len(raw) > MAX_MANIFEST:
        raise BundleError(f"The manifest is {len(raw)} bytes, more than the limit of "
                          f"{MAX_MANIFEST}; attach large content as a file instead.")
    return CONTAINER_MAGIC + struct.pack(">I", len(raw)) + raw


def check_manifest(manifest: Any, *, bundle_id: str, kind: str, source: str) -> list[dict]:
    """Validate the fields the reader relies on; return the file list."""
    if not isinstance(manifest, dict):
        raise BundleError(f"{source}: the manifest is not a JSON object.")
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
        raise BundleError(f"{source}: unknown manifest format or version.")
    if manifest.get("bundle_id") != bundle_id:
        raise BundleError(f"{source}: the manifest belongs to bundle {manifest.get('bundle_id')!r}"
                          f", not to bundle {bundle_id} named in the header (spliced).")
    if manifest.get("kind") != kind:
        raise BundleError(f"{source}: the manifest says kind {manifest.get('kind')!r} but the "
                          f"signed header says {kind!r}.")
    files = manifest.get("files")
    if not isinstance(files, list) or len(files) > MAX_FILES:
        raise BundleError(f"{source}: the manifest's file list is missing or longer than "
                          f"{MAX_FILES} entries.")
    seen: set[str] = set()
    for i, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise BundleError(f"{source}: manifest files[{i}] is not an object.")
        name = check_file_name(entry.get("name"))
        if name.lower() in seen:
            raise BundleError(f"{source}: file name '{name}' appears twice in the manifest.")
        seen.add(name.lower())
        size, digest = entry.get("size"), entry.get("sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BundleError(f"{source}: manifest files[{i}].size is not a byte count.")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise BundleError(f"{source}: manifest files[{i}].sha256 is not a SHA-256 in hex.")
    return files


class FileSource:
    """A file to put in a bundle: bytes in memory, a path read in 1 MiB pieces, or ``stream``,
    a function returning a fresh iterator of byte pieces each time it is called (it is called
    twice: once to hash the file for the manifest, once to encrypt it)."""

    def __init__(self, name: str, *, data: bytes | None = None, path: str | Path | None = None,
                 stream: Callable[[], Iterable[bytes]] | None = None):
        if sum(x is not None for x in (data, path, stream)) != 1:
            raise ValueError("give exactly one of data=, path= or stream=")
        self.name = check_file_name(name)
        self.data = data
        self.path = Path(path) if path is not None else None
        self.stream = stream

    def pieces(self, piece: int = 1 << 20) -> Iterator[bytes]:
        if self.data is not None:
            view = memoryview(self.data)
            for start in range(0, len(view), piece):
                yield view[start:start + piece]
        elif self.path is not None:
            with open(self.path, "rb") as fh:
                while block := fh.read(piece):
                    yield block
        else:
            for block in self.stream():
                view = memoryview(block)
                for start in range(0, len(view), piece):
                    yield view[start:start + piece]


# -- reading ----------------------------------------------------------------------------------

class Sink:
    """Where opened files go. Nothing is visible to the user until ``commit``.

    While a bundle is opened, ``begin``, ``open_file`` and the writes to the files it returns
    are called from one worker thread, one call at a time and in order; ``commit`` and
    ``abort`` from the caller's thread once that worker has stopped. ``write`` is given views
    of reused buffers, so a sink must copy what it keeps (files and ``BytesIO`` do)."""

    def begin(self, files: list[dict]) -> None:
        """Called with the manifest's file list before any data; may refuse (limits)."""

    def open_file(self, name: str, size: int) -> BinaryIO:
        raise NotImplementedError

    def commit(self) -> Any:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class MemorySink(Sink):
    """Files as bytes, for imports into the vault (which stores them encrypted)."""

    def __init__(self, max_total: int = 4 << 30):
        self.max_total = max_total
        self._files: dict[str, io.BytesIO] = {}

    def begin(self, files: list[dict]) -> None:
        total = sum(f["size"] for f in files)
        if total > self.max_total:
            raise BundleError(f"The bundle's files add up to {total} bytes, more than the "
                              f"{self.max_total} that can be imported at once.")

    def open_file(self, name: str, size: int) -> BinaryIO:
        self._files[name] = io.BytesIO()
        return self._files[name]

    def commit(self) -> dict[str, bytes]:
        return {name: buf.getvalue() for name, buf in self._files.items()}

    def abort(self) -> None:
        self._files.clear()


class DirectorySink(Sink):
    """Files into a folder: each is written to a hidden temp file beside its target and
    renamed into place only in ``commit`` (after every check passed); ``abort`` deletes them."""

    def __init__(self, folder: str | Path, *, overwrite: bool = False):
        self.folder = Path(folder)
        self.overwrite = overwrite
        self._temps: list[tuple[Path, Path, BinaryIO]] = []

    def begin(self, files: list[dict]) -> None:
        if not self.folder.is_dir():
            raise BundleError(f"Output folder {self.folder} does not exist.")
        if not self.overwrite:
            clash = [f["name"] for f in files if (self.folder / f["name"]).exists()]
            if clash:
                raise BundleError(f"{self.folder / clash[0]} already exists; nothing was "
                                  "written.", hint="choose another folder or allow overwriting")

    def open_file(self, name: str, size: int) -> BinaryIO:
        final = self.folder / check_file_name(name)
        temp = self.folder / f".{name}.ppds-partial-{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        fh = os.fdopen(fd, "wb")
        self._temps.append((temp, final, fh))
        return fh

    def commit(self) -> list[Path]:
        for _temp, _final, fh in self._temps:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        for temp, final, _fh in self._temps:
            os.replace(temp, final)
        return [final for _t, final, _f in self._temps]

    def abort(self) -> None:
        for temp, _final, fh in self._temps:
            fh.close()
            temp.unlink(missing_ok=True)
        self._temps.clear()


class ContainerReader:
    """Incremental parser: ``feed`` decrypted chunks in order, then ``finish``."""

    def __init__(self, sink: Sink, *, bundle_id: str, kind: str, source: str):
        self.sink, self.bundle_id, self.kind, self.source = sink, bundle_id, kind, source
        self._buf = bytearray()
        self._manifest_len: int | None = None
        self.manifest: dict | None = None
        self._files: list[dict] = []
        self._index = -1
        self._remaining = 0
        self._hash = None
        self._out: BinaryIO | None = None

    def feed(self, data: bytes | memoryview) -> None:
        if self.manifest is None:
            self._buf += data
            self._parse_manifest()
            if self.manifest is None:
                return
            data, self._buf = self._buf, bytearray()  # what follows the manifest
        view = memoryview(data)
        while view:
            if self._remaining == 0 and not self._next_file():
                raise BundleError(f"{self.source}: there are bytes after the last file the "
                                  "manifest lists.")
            take = min(self._remaining, len(view))
            piece = view[:take]
            self._hash.update(piece)
            self._out.write(piece)
            self._remaining -= take
            view = view[take:]

    def _parse_manifest(self) -> None:
        if self._manifest_len is None:
            if len(self._buf) < 12:
                return
            if bytes(self._buf[:8]) != CONTAINER_MAGIC:
                raise BundleError(f"{self.source}: the decrypted payload is not a PPDS container.")
            self._manifest_len = struct.unpack(">I", self._buf[8:12])[0]
            if self._manifest_len > MAX_MANIFEST:
                raise BundleError(f"{self.source}: the manifest is {self._manifest_len} bytes, "
                                  f"more than the limit of {MAX_MANIFEST}.")
        if len(self._buf) < 12 + self._manifest_len:
            return
        raw = bytes(self._buf[12:12 + self._manifest_len])
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise BundleError(f"{self.source}: the manifest is not UTF-8 JSON.") from None
        self._files = check_manifest(manifest, bundle_id=self.bundle_id, kind=self.kind,
                                     source=self.source)
        self.sink.begin(self._files)
        self.manifest = manifest
        del self._buf[:12 + self._manifest_len]

    def _next_file(self) -> bool:
        self._close_current()
        while self._index + 1 < len(self._files):
            self._index += 1
            entry = self._files[self._index]
            self._out = self.sink.open_file(entry["name"], entry["size"])
            self._hash = hashlib.sha256()
            self._remaining = entry["size"]
            if self._remaining:
                return True
            self._close_current()
        return False

    def _close_current(self) -> None:
        if self._out is None:
            return
        entry = self._files[self._index]
        if self._hash.hexdigest() != entry["sha256"]:
            raise BundleError(f"{self.source}: file '{entry['name']}' does not match the SHA-256 "
                              "in the manifest.")
        self._out = None

    def finish(self) -> dict:
        if self.manifest is None:
            raise BundleError(f"{self.source}: the payload ends before its manifest does.")
        if self._remaining:
            raise BundleError(f"{self.source}: the payload ends {self._remaining} bytes before "
                              f"the end of file '{self._files[self._index]['name']}'.")
        self._close_current()
        if self._next_file():  # zero-length files are consumed; anything else is missing
            raise BundleError(f"{self.source}: the payload ends before file "
                              f"'{self._files[self._index]['name']}'.")
        return self.manifest
