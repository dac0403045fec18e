"""Shared helpers of the bundle tests: key pairs, sealing small bundles, locating chunks."""

from __future__ import annotations

import struct
from pathlib import Path

from ppds_desktop.core.bundle import DirectorySink, FileSource, open_bundle, seal_bundle
from ppds_desktop.core.bundle.format import BUNDLE_ID_SIZE, CHUNK_SIZE, TAG_SIZE, TRAILER_SIZE
from ppds_desktop.core.identity.keys import KeyPairs

FULL = CHUNK_SIZE + TAG_SIZE


def seal_to(path: Path, sender: KeyPairs, recipients: list[KeyPairs], data: bytes,
            *, name: str = "data.bin", kind: str = "dataset", **kwargs):
    return seal_bundle(path, sender=sender, recipients=[r.enc_public for r in recipients],
                       kind=kind, manifest={"title": "test"},
                       files=[FileSource(name, data=data)], **kwargs)


def open_to_dir(path: Path, keys: KeyPairs, out: Path, **kwargs):
    out.mkdir(exist_ok=True)
    return open_bundle(path, keys=keys, sink=DirectorySink(out), **kwargs)


def layout(blob: bytes) -> dict:
    """Byte offsets of a bundle's parts."""
    header_len = struct.unpack(">I", blob[12:16])[0]
    body = header_len + BUNDLE_ID_SIZE
    end = len(blob) - TRAILER_SIZE
    chunks = []
    pos = body
    while pos < end:
        chunks.append((pos, min(pos + FULL, end)))
        pos += FULL
    return {"header_len": header_len, "body": body, "chunks": chunks, "trailer": end}


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def introduce(first, first_name: str, second, second_name: str, folder: Path) -> None:
    """Give two vaults identities, exchange their cards through ``folder`` and verify both."""
    from ppds_desktop.services import sharing

    for vault, name in ((first, first_name), (second, second_name)):
        sharing.init_identity(vault, name)
        sharing.export_identity_card(vault, folder / f"{name}.ppdsid")
    sharing.import_contact_card(first, folder / f"{second_name}.ppdsid")
    sharing.import_contact_card(second, folder / f"{first_name}.ppdsid")
    sharing.verify_contact(first, second_name, sharing.identity_or_none(second).fingerprint)
    sharing.verify_contact(second, first_name, sharing.identity_or_none(first).fingerprint)
