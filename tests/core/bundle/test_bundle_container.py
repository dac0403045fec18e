"""The container parser sees plaintext that only the AEAD vouches for, and every recipient knows
the payload key: an insider can feed it anything, before the signature is checked. Whatever it
gets, in whatever pieces, it must either return the manifest or raise ``BundleError``."""

from __future__ import annotations

import blake3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.bundle import MemorySink
from ppds_desktop.core.bundle.container import (CONTAINER_MAGIC, ContainerReader,
                                                file_record_head, manifest_record)
from ppds_desktop.core.errors import BundleError

BUNDLE_ID = "ab" * 16
FILES = {"data.parquet": bytes(range(200)) * 3, "empty.bin": b"", "x.bin": b"x" * 77}


def _container(files: dict[str, bytes]) -> bytes:
    manifest = {"format": "ppds-bundle-manifest", "version": 1, "bundle_id": BUNDLE_ID,
                "kind": "dataset", "created_at": "2026-01-01T00:00:00Z",
                "files": [{"name": n, "size": len(d), "blake3": blake3.blake3(d).hexdigest()}
                          for n, d in files.items()]}
    records = b"".join(file_record_head(n, len(d)) + d for n, d in files.items())
    return CONTAINER_MAGIC + records + manifest_record(manifest)


VALID = _container(FILES)


def _parse(data: bytes, cuts: list[int]) -> tuple[dict, dict]:
    sink = MemorySink(max_total=1 << 20)
    reader = ContainerReader(sink, bundle_id=BUNDLE_ID, kind="dataset", source="t")
    start = 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        reader.feed(data[start:cut])
        start = cut
    return reader.finish(), sink.commit()


@given(st.lists(st.integers(min_value=0), max_size=12))
def test_any_split_of_a_valid_container_parses_the_same(cuts):
    manifest, files = _parse(VALID, cuts)
    assert files == FILES
    assert [f["name"] for f in manifest["files"]] == list(FILES)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_containers_raise_only_bundle_errors(data):
    blob = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "set"]))
        pos = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if op == "flip" and blob:
            blob[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            blob[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del blob[pos:pos + data.draw(st.integers(1, 16))]
        elif op == "truncate":
            del blob[pos:]
        elif blob:  # set a byte to an extreme (lengths: 0 or 255, sizes: huge)
            blob[pos] = data.draw(st.sampled_from([0, 255]))
    cuts = data.draw(st.lists(st.integers(min_value=0), max_size=6))
    try:
        manifest, files = _parse(bytes(blob), cuts)
    except BundleError:
        return
    # Accepted only if it still says exactly what it holds.
    assert [(f["name"], f["size"]) for f in manifest["files"]] == [
        (n, len(d)) for n, d in files.items()]
    for entry in manifest["files"]:
        assert blake3.blake3(files[entry["name"]]).hexdigest() == entry["blake3"]


def test_huge_declared_sizes_are_refused_by_the_sink_before_any_data():
    reader = ContainerReader(MemorySink(max_total=1 << 20), bundle_id=BUNDLE_ID, kind="dataset",
                             source="t")
    with pytest.raises(BundleError, match="more than the 1048576 bytes"):
        reader.feed(CONTAINER_MAGIC + file_record_head("a.bin", 1 << 40))
