"""The plaintext inside a bundle: the files, each framed with its name and size, then the
manifest, nothing else.

Layout (all of it encrypted by the STREAM layer)::

    "PPDSCTR1" | record ... | "M" u32 manifest length M | M bytes manifest (UTF-8 JSON)
    record = "F" u8 name length | name | u64 size | size bytes of data

The manifest comes last because it lists each file's BLAKE3 hash: a writer learns those while it
encrypts, so it reads each file once, and a reader checks them as the files end. The framing
gives names and sizes before the data, so the reader refuses a bad name or an oversized file
before writing a byte of it. No archive library, no pickle, no paths: a file name is one plain
component (see :func:`check_file_name`), so extraction cannot escape the target folder.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import struct
from pathlib import Path
from typing import Any, BinaryIO

from .. import safe_json
from ..errors import BundleError
from ..files import replace_file
from . import crypto
from .format import MAX_FILES, MAX_MANIFEST

CONTAINER_MAGIC = b"PPDSCTR1"
FILE_TAG, MANIFEST_TAG = b"F", b"M"
MANIFEST_FORMAT = "ppds-bundle-manifest"
MANIFEST_VERSION = 1
RESERVED_MANIFEST_FIELDS = ("format", "version", "bundle_id", "kind", "created_at", "files")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}


def check_file_name(name: Any) -> str:
    """One path component of safe characters: no separators, no '..', no device names, and no
    final '.' (Windows drops it, so ``data.`` and ``data`` would be the same file there)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name \
            or name.endswith(".") or name.split(".")[0].lower() in _WINDOWS_RESERVED:
        raise BundleError(f"File name {str(name)[:60]!r} is not allowed in a bundle (letters, "
                          "digits, '.', '_', '-'; no folders, no '..', no final '.'; at most 100 "
                          "characters).")
    return name


# -- writing ----------------------------------------------------------------------------------

def file_record_head(name: str, size: int) -> bytes:
    raw = check_file_name(name).encode("ascii")
    return FILE_TAG + struct.pack(">B", len(raw)) + raw + struct.pack(">Q", size)


def manifest_record(manifest: dict) -> bytes:
    raw = json.dumps(manifest, sort_keys=True, ensure_ascii=False, allow_nan=False,
                     separators=(",", ":")).encode("utf-8")
    if len(raw) > MAX_MANIFEST:
        raise BundleError(f"The manifest is {len(raw)} bytes, more than the limit of "
                          f"{MAX_MANIFEST}; attach large content as a file instead.")
    return MANIFEST_TAG + struct.pack(">I", len(raw)) + raw


class FileSource:
    """A file to put in a bundle: bytes in memory or a path. Its size is taken when sealing
    starts (the record gives it before the data); a file that then changes size is refused."""

    def __init__(self, name: str, *, data: bytes | None = None, path: str | Path | None = None):
        if (data is None) == (path is None):
            raise ValueError("give exactly one of data= or path=")
        self.name = check_file_name(name)
        self.data = data
        self.path = Path(path) if path is not None else None

    def size(self) -> int:
        return len(self.data) if self.data is not None else os.stat(self.path).st_size

    def open(self) -> BinaryIO:
        """A binary reader (``readinto``); for bytes, a view without a copy."""
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")


# -- reading ----------------------------------------------------------------------------------

class Sink:
    """Where opened files go. Nothing is visible to the user until ``commit``.

    While a bundle is opened, ``open_file`` and the writes to the files it returns are called
    from one worker thread, one call at a time and in order; ``commit`` and ``abort`` from the
    caller's thread once that worker has stopped. ``open_file`` may refuse a file (limits,
    clashes) by raising ``BundleError``. ``write`` is given views of reused buffers, so a sink
    must copy what it keeps (files and ``BytesIO`` do)."""

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
        self._total = 0
        self._files: dict[str, io.BytesIO] = {}

    def open_file(self, name: str, size: int) -> BinaryIO:
        self._total += size
        if self._total > self.max_total:
            raise BundleError(f"The bundle's files add up to more than the {self.max_total} "
                              "bytes that can be imported at once.")
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

    def open_file(self, name: str, size: int) -> BinaryIO:
        if not self.folder.is_dir():
            raise BundleError(f"Output folder {self.folder} does not exist.")
        final = self.folder / check_file_name(name)
        if not self.overwrite and final.exists():
            raise BundleError(f"{final} already exists; nothing was written.",
                              hint="choose another folder or allow overwriting")
        temp = self.folder / f".{name}.ppds-partial-{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o600)
        fh = os.fdopen(fd, "wb")
        self._temps.append((temp, final, fh))
        return fh

    def commit(self) -> list[Path]:
        """Move every file into place, or none: if one cannot be (say it is open in another
        program), the files already moved are taken back and the ones they replaced restored."""
        for _temp, _final, fh in self._temps:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        moved_in: list[Path] = []
        moved_aside: list[tuple[Path, Path]] = []       # (the replaced file's copy, its place)
        try:
            for temp, final, _fh in self._temps:
                if final.exists():                      # only with overwrite (see open_file)
                    kept = final.with_name(f".{final.name}.ppds-old-{secrets.token_hex(4)}")
                    replace_file(final, kept)
                    moved_aside.append((kept, final))
                replace_file(temp, final)
                moved_in.append(final)
        except BaseException:
            for final in moved_in:
                final.unlink(missing_ok=True)
            for kept, final in moved_aside:
                os.replace(kept, final)
            raise
        for kept, _final in moved_aside:
            kept.unlink()
        return [final for _t, final, _f in self._temps]

    def abort(self) -> None:
        for temp, _final, fh in self._temps:
            fh.close()
            temp.unlink(missing_ok=True)
        self._temps.clear()


class ContainerReader:
    """Incremental parser: ``feed`` decrypted chunks in order, then ``finish``.

    Record heads and the manifest are collected in a small buffer (the manifest is bounded by
    ``MAX_MANIFEST`` before it is buffered); file data passes straight through to the sink
    while its BLAKE3 hash is computed.
    """

    def __init__(self, sink: Sink, *, bundle_id: str, kind: str, source: str):
        self.sink, self.bundle_id, self.kind, self.source = sink, bundle_id, kind, source
        self._buf = bytearray()
        self._step, self._need = self._magic, len(CONTAINER_MAGIC)
        self._files: list[dict] = []       # name, size and computed BLAKE3, in order
        self._seen: set[str] = set()
        self._name = ""
        self._remaining = 0
        self._hash = None
        self._out: BinaryIO | None = None
        self._raw_manifest: bytes | None = None

    def feed(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self._out is not None:
                take = min(self._remaining, len(view))
                piece = view[:take]
                self._hash.update(piece)
                self._out.write(piece)
                self._remaining -= take
                view = view[take:]
                if not self._remaining:
                    self._end_file()
                continue
            if self._raw_manifest is not None:
                raise BundleError(f"{self.source}: there are bytes after the manifest.")
            take = min(self._need - len(self._buf), len(view))
            self._buf += view[:take]
            view = view[take:]
            if len(self._buf) == self._need:
                field = bytes(self._buf)
                self._buf.clear()
                self._step(field)

    def _expect(self, step, need: int) -> None:
        self._step, self._need = step, need

    def _magic(self, field: bytes) -> None:
        if field != CONTAINER_MAGIC:
            raise BundleError(f"{self.source}: the decrypted payload is not a PPDS container.")
        self._expect(self._tag, 1)

    def _tag(self, field: bytes) -> None:
        if field == FILE_TAG:
            if len(self._files) >= MAX_FILES:
                raise BundleError(f"{self.source}: the bundle holds more than {MAX_FILES} files.")
            self._expect(self._name_length, 1)
        elif field == MANIFEST_TAG:
            self._expect(self._manifest_length, 4)
        else:
            raise BundleError(f"{self.source}: the payload has an unknown record type "
                              f"{field.hex()} (expected a file or the manifest).")

    def _name_length(self, field: bytes) -> None:
        if field[0] == 0:
            raise BundleError(f"{self.source}: a file in the payload has an empty name.")
        self._expect(self._file_name, field[0])

    def _file_name(self, field: bytes) -> None:
        name = check_file_name(field.decode("ascii", errors="replace"))
        if name.lower() in self._seen:
            raise BundleError(f"{self.source}: file name '{name}' appears twice in the bundle.")
        self._seen.add(name.lower())
        self._name = name
        self._expect(self._file_size, 8)

    def _file_size(self, field: bytes) -> None:
        self._remaining = struct.unpack(">Q", field)[0]
        self._files.append({"name": self._name, "size": self._remaining, "blake3": None})
        self._out = self.sink.open_file(self._name, self._remaining)
        self._hash = crypto.bulk_hasher()
        if not self._remaining:
            self._end_file()

    def _end_file(self) -> None:
        self._files[-1]["blake3"] = self._hash.hexdigest()
        self._out = None
        self._expect(self._tag, 1)

    def _manifest_length(self, field: bytes) -> None:
        length = struct.unpack(">I", field)[0]
        if length > MAX_MANIFEST:
            raise BundleError(f"{self.source}: the manifest is {length} bytes, more than the "
                              f"limit of {MAX_MANIFEST}.")
        if length == 0:
            raise BundleError(f"{self.source}: the manifest is empty.")
        self._expect(self._manifest, length)

    def _manifest(self, field: bytes) -> None:
        self._raw_manifest = field

    def finish(self) -> dict:
        """The manifest, once it is checked against the header and the files that came."""
        if self._out is not None:
            raise BundleError(f"{self.source}: the payload ends {self._remaining} bytes before "
                              f"the end of file '{self._name}'.")
        if self._raw_manifest is None:
            raise BundleError(f"{self.source}: the payload ends before its manifest.")
        manifest = safe_json.loads(self._raw_manifest, what=f"{self.source}: the manifest",
                                   error=BundleError)
        check_manifest(manifest, bundle_id=self.bundle_id, kind=self.kind, files=self._files,
                       source=self.source)
        return manifest


def check_manifest(manifest: Any, *, bundle_id: str, kind: str, files: list[dict],
                   source: str) -> None:
    """The manifest must belong to this bundle and list exactly the files that came, with
    their BLAKE3 hashes."""
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
    listed = manifest.get("files")
    if not isinstance(listed, list) or not all(isinstance(e, dict) for e in listed) \
            or [(e.get("name"), e.get("size")) for e in listed] \
            != [(f["name"], f["size"]) for f in files]:
        raise BundleError(f"{source}: the manifest's file list does not match the files in "
                          "the bundle (names, sizes or order).")
    for entry, got in zip(listed, files):
        if entry.get("blake3") != got["blake3"]:
            raise BundleError(f"{source}: file '{got['name']}' does not match the BLAKE3 hash "
                              "in the manifest.")
