"""Opening decrypts on the caller's thread while worker threads hash and write (see
``opener._decrypt_chunks``): errors found by the workers must still come out in chunk order,
with no output left, and cancelling must stop the workers before the sink is cleaned up."""

from __future__ import annotations

import os
import threading

import pytest

from bundle_helpers import layout, listing, open_to_dir
from ppds_desktop.core.bundle import CHUNK_SIZE, FileSource, MemorySink, open_bundle, seal_bundle
from ppds_desktop.core.errors import BundleError, Cancelled
from ppds_desktop.core.identity.keys import KeyPairs
from ppds_desktop.core.progress import TaskState


@pytest.fixture(scope="module")
def alice():
    return KeyPairs.generate()


@pytest.fixture(scope="module")
def bob():
    return KeyPairs.generate()


def _changing(first: bytes, second: bytes) -> FileSource:
    """A source whose bytes change between sealing's hashing pass and its encrypting pass
    (same size), so the sender signs a manifest whose hash does not match the data."""
    calls = iter([first, second])
    return FileSource("a.bin", stream=lambda: [next(calls)])


def _seal(path, alice, bob, files):
    seal_bundle(path, sender=alice, recipients=[bob.enc_public], kind="dataset",
                manifest={}, files=files)


def test_file_hash_mismatch_found_by_a_worker_is_refused(tmp_path, alice, bob):
    size = 2 * CHUNK_SIZE + 77
    _seal(tmp_path / "b.ppdsb", alice, bob, [_changing(os.urandom(size), os.urandom(size))])
    with pytest.raises(BundleError, match="'a.bin' does not match the SHA-256"):
        open_to_dir(tmp_path / "b.ppdsb", bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_earlier_container_error_wins_over_a_later_bad_chunk(tmp_path, alice, bob):
    """A sequential reader stops in chunk 1 (a.bin's hash); so must the pipelined one, even
    though chunk 2 fails authentication while chunk 1 may still be in the workers' hands."""
    path = tmp_path / "b.ppdsb"
    _seal(path, alice, bob, [_changing(b"first", b"other"),
                             FileSource("b.bin", data=os.urandom(3 * CHUNK_SIZE))])
    blob = bytearray(path.read_bytes())
    start, _ = layout(bytes(blob))["chunks"][1]
    blob[start + 10] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(BundleError, match="'a.bin' does not match the SHA-256"):
        open_to_dir(path, bob, tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_cancel_midway_stops_the_workers_and_leaves_no_output(tmp_path, alice, bob):
    path = tmp_path / "b.ppdsb"
    _seal(path, alice, bob, [FileSource("b.bin", data=os.urandom(4 * CHUNK_SIZE))])
    task = TaskState(on_progress=lambda fraction, _msg: fraction > 0.3 and task.cancel())
    with pytest.raises(Cancelled):
        open_to_dir(path, bob, tmp_path / "out", task=task)
    assert listing(tmp_path / "out") == []
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle-")]


def test_sink_is_called_from_one_thread_in_order(tmp_path, alice, bob):
    calls = []

    class Recording(MemorySink):
        def begin(self, files):
            calls.append(("begin", threading.get_ident()))
            super().begin(files)

        def open_file(self, name, size):
            calls.append((name, threading.get_ident()))
            return super().open_file(name, size)

    data = {"a.bin": os.urandom(CHUNK_SIZE + 5), "b.bin": b"", "c.bin": os.urandom(3000)}
    _seal(tmp_path / "b.ppdsb", alice, bob,
          [FileSource(name, data=blob) for name, blob in data.items()])
    opened = open_bundle(tmp_path / "b.ppdsb", keys=bob, sink=Recording())
    assert opened.result == data
    assert [name for name, _ in calls] == ["begin", "a.bin", "b.bin", "c.bin"]
    assert len({ident for _, ident in calls}) == 1
