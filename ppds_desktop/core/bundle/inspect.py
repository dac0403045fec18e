"""What can be learned from a bundle without any key: header fields, sizes, recipients' key ids.

Nothing here is authenticated (the MAC and signature need the file key and the whole body),
so callers must present it as "claimed", and only :func:`opener.open_bundle` establishes trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BundleError
from ..identity import keys as idkeys
from .format import (BUNDLE_ID_SIZE, END_MAGIC, TAG_SIZE, TRAILER_SIZE, VERSION, SUITE, Header,
                     body_layout)
from .opener import read_header
from .seal import iso_time


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    size: int
    version: int
    suite: int
    header: Header
    n_chunks: int
    complete: bool               # end marker present where expected

    @property
    def bundle_id(self) -> str:
        return self.header.bundle_id.hex()

    @property
    def kind(self) -> str:
        return self.header.kind

    @property
    def created_at(self) -> str:
        return iso_time(self.header.created)

    @property
    def sender_fingerprint(self) -> str:
        return idkeys.fingerprint(self.header.sender_sign_public, self.header.sender_enc_public)

    @property
    def recipient_key_ids(self) -> list[bytes]:
        return [s.key_id for s in self.header.stanzas]


def inspect_bundle(path: str | Path) -> BundleSummary:
    """Parse the header and check the file's shape; raises ``BundleError`` like opening would."""
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise BundleError(f"{path.name}: cannot read ({exc.strerror or exc}).") from None
    with fh:
        size = fh.seek(0, 2)
        fh.seek(0)
        header, header_bytes = read_header(fh, path.name)
        body_len = size - len(header_bytes) - BUNDLE_ID_SIZE - TRAILER_SIZE
        complete = False
        n_chunks = 0
        if body_len >= TAG_SIZE:
            fh.seek(size - TRAILER_SIZE)
            try:
                n_chunks = body_layout(body_len, path.name)[0]
                complete = fh.read(len(END_MAGIC)) == END_MAGIC
            except BundleError:
                pass  # a damaged body: the header is still worth showing, marked incomplete
    return BundleSummary(path, size, VERSION, SUITE, header, n_chunks, complete)
