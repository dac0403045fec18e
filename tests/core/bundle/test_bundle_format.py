"""Format v1 round trips at the chunk boundaries, and the adversarial catalogue: every attack
is refused with its own message and leaves no output file (not even a partial one)."""

from __future__ import annotations

import json
import os
import struct

import blake3
import pytest

from bundle_helpers import layout, listing, open_to_dir, seal_to
from ppds_desktop.core.bundle import (CHUNK_SIZE, MemorySink, inspect_bundle, open_bundle,
                                      seal_bundle)
from ppds_desktop.core.bundle import container as container_mod
from ppds_desktop.core.bundle.container import (CONTAINER_MAGIC, file_record_head,
                                                manifest_record)
from ppds_desktop.core.errors import BundleError
from ppds_desktop.core.identity.keys import KeyPairs


def _payload_len(data_len: int) -> int:
    """Plaintext bytes in the STREAM for a one-file bundle with ``data_len`` bytes of data."""
    entry = {"name": "data.bin", "size": data_len, "blake3": "0" * 64}
    fixed = {"title": "test", "format": "ppds-bundle-manifest", "version": 1,
             "bundle_id": "0" * 32, "kind": "dataset", "created_at": "2026-01-01T00:00:00Z",
             "files": [entry]}
    return (len(CONTAINER_MAGIC) + len(file_record_head("data.bin", data_len)) + data_len
            + len(manifest_record(fixed)))


def _data_len_for_payload(target: int) -> int:
    n = target - _payload_len(0)
    while _payload_len(n) != target:
        n += target - _payload_len(n)
    return n


@pytest.mark.parametrize("size", ["empty", "one byte", "exactly one chunk", "one chunk + 1",
                                  "many chunks", "file is 1 MiB"])
def test_round_trip(tmp_path, alice, bob, size):
    data_len = {"empty": 0, "one byte": 1,
                "exactly one chunk": _data_len_for_payload(CHUNK_SIZE),
                "one chunk + 1": _data_len_for_payload(CHUNK_SIZE + 1),
                "many chunks": 3 * CHUNK_SIZE + 12345, "file is 1 MiB": CHUNK_SIZE}[size]
    data = os.urandom(data_len)
    result = seal_to(tmp_path / "b.ppdsb", alice, [bob], data)
    expected_chunks = max(1, -(-_payload_len(data_len) // CHUNK_SIZE))
    assert result.n_chunks == expected_chunks
    if size == "exactly one chunk":
        assert result.n_chunks == 1
    if size == "one chunk + 1":
        assert result.n_chunks == 2
    opened = open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
    assert (tmp_path / "out" / "data.bin").read_bytes() == data
    assert listing(tmp_path / "out") == ["data.bin"]
    assert opened.manifest["files"][0]["blake3"] == blake3.blake3(data).hexdigest()
    assert opened.manifest["title"] == "test"


def test_several_recipients_and_files(tmp_path, alice, bob):
    carol = KeyPairs.generate()
    from ppds_desktop.core.bundle import FileSource
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(CHUNK_SIZE + 7))
    seal_bundle(tmp_path / "b.ppdsb", sender=alice, recipients=[bob.enc_public, carol.enc_public],
                kind="release", manifest={"title": "t"},
                files=[FileSource("a.parquet", data=b"abc"), FileSource("empty.bin", data=b""),
                       FileSource("big.bin", path=src), FileSource("z.bin", data=b"z" * 70_000)])
    for who in (bob, carol):
        files = open_bundle(tmp_path / "b.ppdsb", keys=who, sink=MemorySink()).result
        assert files == {"a.parquet": b"abc", "empty.bin": b"", "big.bin": src.read_bytes(),
                         "z.bin": b"z" * 70_000}


def test_inspect_shows_header_without_keys(tmp_path, alice, bob):
    r = seal_to(tmp_path / "b.ppdsb", alice, [bob], b"x" * 10, kind="release")
    s = inspect_bundle(tmp_path / "b.ppdsb")
    assert (s.bundle_id, s.kind, s.version, s.n_chunks, s.complete) == (r.bundle_id, "release",
                                                                        1, 1, True)
    assert s.sender_fingerprint == alice.fingerprint


# -- the adversarial catalogue ---------------------------------------------------------------

@pytest.fixture(scope="module")
def three_chunks(tmp_path_factory, alice, bob):
    path = tmp_path_factory.mktemp("sealed") / "three.ppdsb"
    seal_to(path, alice, [bob], os.urandom(2 * CHUNK_SIZE + 1000))
    blob = path.read_bytes()
    assert len(layout(blob)["chunks"]) == 3
    return blob


def _refused(tmp_path, blob: bytes, keys, match: str, **kwargs):
    bad = tmp_path / "bad.ppdsb"
    bad.write_bytes(blob)
    out = tmp_path / "out"
    with pytest.raises(BundleError, match=match):
        open_to_dir(bad, keys, out, **kwargs)
    assert listing(out) == [], "a refused bundle must leave no output (not even a partial file)"


def _flip(blob: bytes, pos: int, bit: int = 0) -> bytes:
    b = bytearray(blob)
    b[pos] ^= 1 << bit
    return bytes(b)


def test_not_a_recipient(tmp_path, three_chunks):
    _refused(tmp_path, three_chunks, KeyPairs.generate(), "you are not a recipient")


def test_wrong_key_for_own_stanza(tmp_path, three_chunks, bob):
    lay = layout(three_chunks)
    stanza_wrapped = lay["header_len"] - 32 - 48  # last stanza's wrapped file key
    _refused(tmp_path, _flip(three_chunks, stanza_wrapped + 3), bob, "wrong key")


def test_truncated_file(tmp_path, three_chunks, bob):
    _refused(tmp_path, three_chunks[:-100], bob, "truncated")


def test_truncated_at_chunk_boundary_with_trailer_kept(tmp_path, three_chunks, bob):
    lay = layout(three_chunks)
    start, _ = lay["chunks"][2]
    blob = three_chunks[:start] + three_chunks[lay["trailer"]:]
    _refused(tmp_path, blob, bob, r"chunk 2 of 2 is not marked final: the bundle is truncated")


def test_reordered_chunks(tmp_path, three_chunks, bob):
    (a0, a1), (b0, b1), _ = layout(three_chunks)["chunks"]
    blob = three_chunks[:a0] + three_chunks[b0:b1] + three_chunks[a0:a1] + three_chunks[b1:]
    _refused(tmp_path, blob, bob, r"chunk 1 of 3 is chunk 2 moved out of place: .*reordered")


def test_duplicated_chunk(tmp_path, three_chunks, bob):
    (a0, a1), (b0, b1), _ = layout(three_chunks)["chunks"]
    blob = three_chunks[:b0] + three_chunks[a0:a1] + three_chunks[b1:]
    _refused(tmp_path, blob, bob, r"chunk 2 of 3 is a duplicate of chunk 1")


def test_appended_chunk(tmp_path, alice, bob):
    path = tmp_path / "two.ppdsb"
    seal_to(path, alice, [bob], os.urandom(_data_len_for_payload(2 * CHUNK_SIZE)))
    blob = path.read_bytes()
    lay = layout(blob)
    a0, a1 = lay["chunks"][0]
    blob = blob[:lay["trailer"]] + blob[a0:a1] + blob[lay["trailer"]:]
    _refused(tmp_path, blob, bob, r"chunk 2 of 3 is marked final but more data follows")


def test_flipped_bit_in_header(tmp_path, three_chunks, bob):
    created_field = 16 + 16  # prefix, bundle id
    _refused(tmp_path, _flip(three_chunks, created_field + 7), bob, "header was modified")


def test_flipped_bit_in_body(tmp_path, three_chunks, bob):
    start, _ = layout(three_chunks)["chunks"][1]
    _refused(tmp_path, _flip(three_chunks, start + 1000, 5), bob,
             r"chunk 2 of 3 failed authentication: the body was modified")


def test_flipped_bit_in_signature(tmp_path, three_chunks, bob):
    _refused(tmp_path, _flip(three_chunks, len(three_chunks) - 10), bob,
             "signature does not verify")


def test_unknown_future_version(tmp_path, three_chunks, bob):
    blob = three_chunks[:8] + struct.pack(">H", 2) + three_chunks[10:]
    _refused(tmp_path, blob, bob, "version 2 is newer than this program")


def test_downgraded_version(tmp_path, three_chunks, bob):
    blob = three_chunks[:8] + struct.pack(">H", 0) + three_chunks[10:]
    _refused(tmp_path, blob, bob, "version 0 is refused.*downgraded")


def test_other_suite(tmp_path, three_chunks, bob):
    blob = three_chunks[:10] + struct.pack(">H", 2) + three_chunks[12:]
    _refused(tmp_path, blob, bob, "cipher suite 2 is not the one fixed")


def test_oversized_header(tmp_path, three_chunks, bob):
    blob = three_chunks[:12] + struct.pack(">I", 1 << 30) + three_chunks[16:]
    _refused(tmp_path, blob, bob, "more than the limit of 16384; refused without reading")


def test_not_a_bundle(tmp_path, bob):
    _refused(tmp_path, b"name,age\n" * 10, bob, "not a PPDS share bundle")


def test_splice_of_two_bundles(tmp_path, three_chunks, alice, bob):
    other = tmp_path / "other.ppdsb"
    seal_to(other, alice, [bob], os.urandom(2 * CHUNK_SIZE + 1000))
    second = other.read_bytes()
    blob = three_chunks[:layout(three_chunks)["header_len"]] + second[layout(second)["header_len"]:]
    _refused(tmp_path, blob, bob, "spliced bundle: the body belongs to bundle")


def test_sender_policy_runs_before_any_decryption(tmp_path, three_chunks, bob):
    def refuse(header):
        raise BundleError("Unknown sender")
    _refused(tmp_path, three_chunks, bob, "Unknown sender", check_sender=refuse)


def test_recipient_cannot_forge_the_senders_content(tmp_path, alice, bob):
    """Bob knows the file key, so he can re-encrypt chunks and re-MAC the header; the sender's
    signature is what stops him from passing off altered data as Alice's."""
    from ppds_desktop.core.bundle import crypto
    from ppds_desktop.core.bundle.opener import read_header

    path = tmp_path / "b.ppdsb"
    seal_to(path, alice, [bob], b"original result")
    blob = path.read_bytes()
    with open(path, "rb") as fh:
        header, header_bytes = read_header(fh, "b")
    stanza = header.stanzas[0]
    file_key = crypto.unwrap_file_key(stanza.enc, stanza.wrapped, bob.enc_private, header.bundle_id)
    key = crypto.payload_key(file_key, header.bundle_id)
    lay = layout(blob)
    start, end = lay["chunks"][0]
    plain = crypto.open_chunk(key, 0, True, blob[start:end])
    forged_plain = plain.replace(b"original result", b"tampered result")
    forged = blob[:start] + crypto.seal_chunk(key, 0, True, forged_plain) + blob[end:]
    _refused(tmp_path, forged, bob, "signature does not verify")


def test_malicious_file_name_in_signed_manifest(tmp_path, alice, bob, monkeypatch):
    """Even a validly signed bundle cannot write outside the target folder."""
    monkeypatch.setattr(container_mod, "check_file_name", lambda name: name)
    path = tmp_path / "evil.ppdsb"
    seal_to(path, alice, [bob], b"x", name="../escape.txt")
    monkeypatch.undo()
    _refused(tmp_path, path.read_bytes(), bob, "is not allowed in a bundle")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "a\\b", ".hidden", "CON", "con.txt", "", "x" * 101])
def test_file_name_rules(name):
    with pytest.raises(BundleError, match="not allowed"):
        container_mod.check_file_name(name)


def test_existing_output_is_not_overwritten(tmp_path, alice, bob):
    seal_to(tmp_path / "b.ppdsb", alice, [bob], b"new")
    out = tmp_path / "out"
    out.mkdir()
    (out / "data.bin").write_bytes(b"old")
    with pytest.raises(BundleError, match="already exists"):
        open_to_dir(tmp_path / "b.ppdsb", bob, out)
    assert (out / "data.bin").read_bytes() == b"old" and listing(out) == ["data.bin"]


def test_cancelled_seal_leaves_no_file(tmp_path, alice, bob):
    from ppds_desktop.core.errors import Cancelled
    from ppds_desktop.core.progress import TaskState

    task = TaskState()
    task.cancel()
    with pytest.raises(Cancelled):
        seal_to(tmp_path / "b.ppdsb", alice, [bob], b"x" * 10, task=task)
    assert listing(tmp_path) == []


def test_manifest_is_bound_to_the_header(tmp_path, alice, bob):
    seal_to(tmp_path / "b.ppdsb", alice, [bob], b"abc")
    opened = open_bundle(tmp_path / "b.ppdsb", keys=bob, sink=MemorySink())
    assert opened.manifest["bundle_id"] == opened.bundle_id
    assert json.loads(json.dumps(opened.manifest)) == opened.manifest


def test_missing_files_are_clear_errors(tmp_path, bob):
    with pytest.raises(BundleError, match="cannot read"):
        inspect_bundle(tmp_path / "nope.ppdsb")
    with pytest.raises(BundleError, match="cannot read"):
        open_bundle(tmp_path / "nope.ppdsb", keys=bob, sink=MemorySink())


# -- bounds ---------------------------------------------------------------------------------------

def test_too_many_recipients_in_header_is_refused(tmp_path, three_chunks, bob):
    lay = layout(three_chunks)
    count_at = lay["header_len"] - 32 - 96 - 2  # u16 just before the one stanza
    blob = three_chunks[:count_at] + struct.pack(">H", 65) + three_chunks[count_at + 2:]
    _refused(tmp_path, blob, bob, "lists 65 recipients; 1 to 64 are allowed")


def test_sealing_for_too_many_recipients_is_refused(tmp_path, alice):
    many = [KeyPairs.generate() for _ in range(65)]
    with pytest.raises(BundleError, match="1 to 64 recipients"):
        seal_to(tmp_path / "b.ppdsb", alice, many, b"x")
    assert listing(tmp_path) == []


def test_oversized_manifest_is_refused_before_it_is_buffered(tmp_path, alice, bob, monkeypatch):
    seal_to(tmp_path / "b.ppdsb", alice, [bob], b"x")
    monkeypatch.setattr(container_mod, "MAX_MANIFEST", 100)
    with pytest.raises(BundleError, match=r"the manifest is \d+ bytes, more than the limit of 100"):
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_chunk_count_is_bounded():
    from ppds_desktop.core.bundle.format import MAX_CHUNKS, TAG_SIZE, body_layout

    assert body_layout(MAX_CHUNKS * (CHUNK_SIZE + TAG_SIZE), "b")[0] == MAX_CHUNKS
    with pytest.raises(BundleError, match="more than the limit"):
        body_layout(MAX_CHUNKS * (CHUNK_SIZE + TAG_SIZE) + TAG_SIZE + 1, "b")


def test_memory_stays_constant_while_streaming(tmp_path, alice, bob):
    """Sealing and opening a 16 MiB file holds a few chunks in memory, never the payload."""
    import tracemalloc

    from ppds_desktop.core.bundle import FileSource

    src = tmp_path / "in.bin"
    with open(src, "wb") as fh:
        for _ in range(16):
            fh.write(os.urandom(CHUNK_SIZE))
    tracemalloc.start()
    try:
        seal_bundle(tmp_path / "b.ppdsb", sender=alice, recipients=[bob.enc_public],
                    kind="dataset", manifest={}, files=[FileSource("in.bin", path=src)])
        _, seal_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
        _, open_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out" / "in.bin").read_bytes() == src.read_bytes()
    assert seal_peak < 8 * CHUNK_SIZE and open_peak < 8 * CHUNK_SIZE, (seal_peak, open_peak)


def test_cancelled_open_leaves_no_output(tmp_path, three_chunks, bob):
    from ppds_desktop.core.errors import Cancelled
    from ppds_desktop.core.progress import TaskState

    task = TaskState()
    task.cancel()
    (tmp_path / "b.ppdsb").write_bytes(three_chunks)
    with pytest.raises(Cancelled):
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out", task=task)
    assert listing(tmp_path / "out") == []


def test_inspect_marks_a_truncated_bundle_incomplete(tmp_path, three_chunks):
    (tmp_path / "t.ppdsb").write_bytes(three_chunks[:-100])
    summary = inspect_bundle(tmp_path / "t.ppdsb")
    assert not summary.complete and summary.kind == "dataset"
