"""Regenerate ``bundle_v1.json``: a deterministic format-v1 bundle with every intermediate value.

Run from the repository root: ``python tests/vectors/make_bundle_vector.py``. The keys and
randomness are fixed test values (never use them for anything else); the test
``tests/core/bundle/test_bundle_vectors.py`` re-derives every field and checks the bytes are reproduced.
"""

from __future__ import annotations

import json
from pathlib import Path

import blake3

from ppds_desktop.core.bundle import FileSource, SealRandomness, seal_bundle
from ppds_desktop.core.bundle import crypto
from ppds_desktop.core.bundle.format import recipient_key_id
from ppds_desktop.core.identity.card import make_card
from ppds_desktop.core.identity.keys import KeyPairs

HERE = Path(__file__).resolve().parent

INPUTS = {
    "sender_sign_seed": bytes(range(0x00, 0x20)).hex(),
    "sender_enc_private": bytes(range(0x20, 0x40)).hex(),
    "recipient_sign_seed": bytes(range(0x40, 0x60)).hex(),
    "recipient_enc_private": bytes(range(0x60, 0x80)).hex(),
    "file_key": bytes(range(0x80, 0xa0)).hex(),
    "bundle_id": bytes(range(0xa0, 0xb0)).hex(),
    "created": 1767225600,                       # 2026-01-01T00:00:00Z
    "ephemeral_private": bytes(range(0xb0, 0xd0)).hex(),
    "kind": "dataset",
    "manifest_extra": {"title": "test vector"},
    "file_name": "data.csv",
    "file_data": "age,sex\n42,F\n".encode().hex(),
}


def build(workdir: Path) -> dict:
    i = INPUTS
    sender = KeyPairs(bytes.fromhex(i["sender_sign_seed"]), bytes.fromhex(i["sender_enc_private"]))
    recipient = KeyPairs(bytes.fromhex(i["recipient_sign_seed"]),
                         bytes.fromhex(i["recipient_enc_private"]))
    file_key, bundle_id = bytes.fromhex(i["file_key"]), bytes.fromhex(i["bundle_id"])
    rnd = SealRandomness(file_key, bundle_id, i["created"], (bytes.fromhex(i["ephemeral_private"]),))
    out = workdir / "vector.ppdsb"
    seal_bundle(out, sender=sender, recipients=[recipient.enc_public], kind=i["kind"],
                manifest=dict(i["manifest_extra"]),
                files=[FileSource(i["file_name"], data=bytes.fromhex(i["file_data"]))],
                _randomness=rnd)
    blob = out.read_bytes()
    return {
        "description": "PPDS share bundle format v1, one recipient, one file; see "
                       "docs/bundle-format.md. All keys are public test values.",
        "inputs": i,
        "derived": {
            "sender_sign_public": sender.sign_public.hex(),
            "sender_enc_public": sender.enc_public.hex(),
            "sender_fingerprint": sender.fingerprint,
            "recipient_enc_public": recipient.enc_public.hex(),
            "recipient_key_id": recipient_key_id(recipient.enc_public).hex(),
            "hpke_info": crypto.hpke_info(bundle_id).hex(),
            "payload_key": crypto.payload_key(file_key, bundle_id).hex(),
            "header_mac_key": crypto.header_mac_key(file_key, bundle_id).hex(),
            "file_blake3": blake3.blake3(bytes.fromhex(i["file_data"])).hexdigest(),
        },
        "bundle": blob.hex(),
        "sender_card": make_card(sender, identity_id="00" * 15 + "01", display_name="Test Sender",
                                 organisation="Test Hospital", created_at="2026-01-01T00:00:00Z",
                                 extensions={"paillier": {"n": "3233"}}).to_dict(),
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        vector = build(Path(tmp))
    (HERE / "bundle_v1.json").write_text(json.dumps(vector, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {HERE / 'bundle_v1.json'} ({len(vector['bundle']) // 2} bundle bytes)")
