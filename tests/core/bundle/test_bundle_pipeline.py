"""Sealing and opening run on the caller's thread while worker threads hash and write (see
``seal._ChunkSealer`` and ``opener._decrypt_chunks``): errors must still come out in payload
order with no output left, a file that changes while it is sealed is refused, cancelling stops
the workers, and a sender whose signed manifest lies about its files is refused."""

from __future__ import annotations

import os
import threading

import pytest

from bundle_helpers import layout, listing, open_to_dir
from ppds_desktop.core.bundle import CHUNK_SIZE, FileSource, MemorySink, open_bundle, seal_bundle
from ppds_desktop.core.bundle import container as container_mod
from ppds_desktop.core.bundle import seal as seal_mod
from ppds_desktop.core.errors import BundleError, Cancelled
from ppds_desktop.core.progress import TaskState


def _seal(path, alice, bob, files, **kwargs):
    return seal_bundle(path, sender=alice, recipients=[bob.enc_public], kind="dataset",
                       manifest={}, files=files, **kwargs)


def _lying_manifest(monkeypatch, change):
    """Make the sealer sign a manifest altered by ``change(first file entry)`` (same length)."""
    real = seal_mod.manifest_record

    def lying(manifest):
        if manifest["files"][0]["blake3"] != "0" * 64:  # the final manifest, not the sizing one
            change(manifest["files"][0])
        return real(manifest)

    monkeypatch.setattr(seal_mod, "manifest_record", lying)


def test_file_hash_not_matching_the_signed_manifest_is_refused(tmp_path, alice, bob, monkeypatch):
    _lying_manifest(monkeypatch, lambda entry: entry.update(blake3="f" * 64))
    _seal(tmp_path / "b.ppdsb", alice, bob, [FileSource("a.bin", data=os.urandom(CHUNK_SIZE + 9))])
    monkeypatch.undo()
    with pytest.raises(BundleError, match="'a.bin' does not match the BLAKE3 hash"):
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_manifest_listing_other_files_is_refused(tmp_path, alice, bob, monkeypatch):
    _lying_manifest(monkeypatch, lambda entry: entry.update(size=entry["size"] + 1))
    _seal(tmp_path / "b.ppdsb", alice, bob, [FileSource("a.bin", data=b"abc")])
    monkeypatch.undo()
    with pytest.raises(BundleError, match="file list does not match the files in the bundle"):
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_earlier_container_error_wins_over_a_later_bad_chunk(tmp_path, alice, bob, monkeypatch):
    """A sequential reader stops at the bad file name in chunk 1; so must the pipelined one,
    even though chunk 2 fails authentication while chunk 1 may still be in the workers' hands."""
    path = tmp_path / "b.ppdsb"
    monkeypatch.setattr(container_mod, "check_file_name", lambda name: name)
    _seal(path, alice, bob, [FileSource("../a.bin", data=os.urandom(3 * CHUNK_SIZE))])
    monkeypatch.undo()
    blob = bytearray(path.read_bytes())
    start, _ = layout(bytes(blob))["chunks"][1]
    blob[start + 10] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(BundleError, match="is not allowed in a bundle"):
        open_to_dir(path, bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


class _Resized(FileSource):
    """A file whose size changes between the start of sealing and its reading."""

    def __init__(self, name, path, delta):
        super().__init__(name, path=path)
        self.delta = delta

    def size(self):
        return super().size() + self.delta


@pytest.mark.parametrize("delta, change", [(1, "shorter"), (-1, "longer")])
def test_file_changing_size_while_sealed_is_refused(tmp_path, alice, bob, delta, change):
    src = tmp_path / "in.bin"
    src.write_bytes(os.urandom(2 * CHUNK_SIZE + 5))
    with pytest.raises(BundleError, match=f"in.bin got {change} while it was being sealed"):
        _seal(tmp_path / "b.ppdsb", alice, bob, [_Resized("in.bin", src, delta)])
    assert listing(tmp_path) == ["in.bin"]
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle-")]


def test_unreadable_source_is_a_clear_error(tmp_path, alice, bob):
    with pytest.raises(BundleError, match="Cannot read .*missing.bin"):
        _seal(tmp_path / "b.ppdsb", alice, bob,
              [FileSource("missing.bin", path=tmp_path / "missing.bin")])
    assert listing(tmp_path) == []


def test_cancelled_seal_midway_stops_the_workers_and_leaves_no_file(tmp_path, alice, bob):
    task = TaskState(on_progress=lambda fraction, _msg: fraction > 0.3 and task.cancel())
    with pytest.raises(Cancelled):
        _seal(tmp_path / "b.ppdsb", alice, bob,
              [FileSource("b.bin", data=os.urandom(4 * CHUNK_SIZE))], task=task)
    assert listing(tmp_path) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle-")]


def test_cancel_midway_stops_the_workers_and_leaves_no_output(tmp_path, alice, bob):
    path = tmp_path / "b.ppdsb"
    _seal(path, alice, bob, [FileSource("b.bin", data=os.urandom(4 * CHUNK_SIZE))])
    task = TaskState(on_progress=lambda fraction, _msg: fraction > 0.3 and task.cancel())
    with pytest.raises(Cancelled):
        open_to_dir(path, bob, tmp_path / "out", task=task)
    assert listing(tmp_path / "out") == []
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle-")]


def test_files_across_chunk_boundaries_round_trip(tmp_path, alice, bob):
    """Files ending and starting inside chunks, empty ones between, read from paths and bytes."""
    src = tmp_path / "p.bin"
    src.write_bytes(os.urandom(CHUNK_SIZE - 3))
    data = {"a.bin": os.urandom(CHUNK_SIZE + 5), "b.bin": b"", "p.bin": src.read_bytes(),
            "c.bin": os.urandom(3000), "d.bin": b""}
    files = [FileSource(n, path=src) if n == "p.bin" else FileSource(n, data=blob)
             for n, blob in data.items()]
    _seal(tmp_path / "b.ppdsb", alice, bob, files)
    opened = open_bundle(tmp_path / "b.ppdsb", keys=bob, sink=MemorySink())
    assert opened.result == data
    assert [f["name"] for f in opened.manifest["files"]] == list(data)


def test_sink_is_called_from_one_thread_in_order(tmp_path, alice, bob):
    calls = []

    class Recording(MemorySink):
        def open_file(self, name, size):
            calls.append((name, size, threading.get_ident()))
            return super().open_file(name, size)

    data = {"a.bin": os.urandom(CHUNK_SIZE + 5), "b.bin": b"", "c.bin": os.urandom(3000)}
    _seal(tmp_path / "b.ppdsb", alice, bob,
          [FileSource(name, data=blob) for name, blob in data.items()])
    opened = open_bundle(tmp_path / "b.ppdsb", keys=bob, sink=Recording())
    assert opened.result == data
    assert [(name, size) for name, size, _ in calls] == [(n, len(b)) for n, b in data.items()]
    assert len({ident for *_, ident in calls}) == 1


def test_memory_sink_refuses_files_beyond_its_limit_before_storing_them(tmp_path, alice, bob):
    _seal(tmp_path / "b.ppdsb", alice, bob, [FileSource("a.bin", data=b"x" * 600),
                                             FileSource("b.bin", data=b"y" * 600)])
    with pytest.raises(BundleError, match="more than the 1000 bytes"):
        open_bundle(tmp_path / "b.ppdsb", keys=bob, sink=MemorySink(max_total=1000))
