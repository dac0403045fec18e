"""Fuzz the bundle opener with mutated valid bundles (hypothesis-driven).

Property: whatever the mutation, opening either returns exactly the original files (only when
the bytes are unchanged) or raises ``BundleError`` — never another exception, never a hang —
and leaves no file in the output folder. Identity cards get the same treatment.

Run for N iterations from the command line (the suite runs a short pass):

    python tests/fuzz/fuzz_bundle.py --iterations 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ppds_desktop.core.bundle import DirectorySink, FileSource, open_bundle, seal_bundle  # noqa: E402
from ppds_desktop.core.errors import BundleError  # noqa: E402
from ppds_desktop.core.identity import IdentityError, KeyPairs, make_card, parse_card  # noqa: E402

SENDER, RECIPIENT, OTHER = KeyPairs.generate(), KeyPairs.generate(), KeyPairs.generate()
FILES = {"data.parquet": bytes(range(256)) * 3, "extra.bin": b"ciphertexts"}


def _valid_bundle() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.ppdsb"
        seal_bundle(path, sender=SENDER, recipients=[OTHER.enc_public, RECIPIENT.enc_public],
                    kind="release", manifest={"title": "fuzz"},
                    files=[FileSource(n, data=d) for n, d in FILES.items()])
        return path.read_bytes()


VALID = _valid_bundle()
CARD = make_card(SENDER, identity_id="cd" * 16, display_name="Fuzz", organisation="Org",
                 created_at="2026-01-01T00:00:00Z").to_bytes()

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10 ** 6), st.integers(0, 7)),
    st.tuples(st.just("set"), st.integers(0, 10 ** 6), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10 ** 6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10 ** 6), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("delete"), st.integers(0, 10 ** 6), st.integers(1, 200)),
    st.tuples(st.just("duplicate"), st.integers(0, 10 ** 6), st.integers(1, 200)),
)


def mutate(blob: bytes, steps) -> bytes:
    b = bytearray(blob)
    for kind, pos, arg in steps:
        pos = pos % (len(b) + 1)
        if kind == "flip" and pos < len(b):
            b[pos] ^= 1 << arg
        elif kind == "set" and pos < len(b):
            b[pos] = arg
        elif kind == "truncate":
            del b[pos:]
        elif kind == "insert":
            b[pos:pos] = arg
        elif kind == "delete":
            del b[pos:pos + arg]
        elif kind == "duplicate":
            b[pos:pos] = b[pos:pos + arg]
    return bytes(b)


def check_bundle(steps) -> None:
    blob = mutate(VALID, steps)
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "m.ppdsb", Path(tmp) / "out"
        out.mkdir()
        path.write_bytes(blob)
        try:
            opened = open_bundle(path, keys=RECIPIENT, sink=DirectorySink(out))
        except BundleError:
            assert list(out.iterdir()) == [], "a refused bundle left output behind"
            return
        assert blob == VALID, "a modified bundle was accepted"
        assert {p.name: p.read_bytes() for p in out.iterdir()} == FILES
        assert opened.manifest["title"] == "fuzz"


def check_card(steps) -> None:
    blob = mutate(CARD, steps)
    try:
        card = parse_card(blob)
    except IdentityError:
        return
    assert card.sign_public == SENDER.sign_public and card.enc_public == SENDER.enc_public


def run(iterations: int) -> None:
    common = dict(max_examples=iterations, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
    given(st.lists(mutation, min_size=1, max_size=4))(settings(**common)(check_bundle))()
    given(st.lists(mutation, min_size=1, max_size=3))(settings(**common)(check_card))()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1000,
                        help="examples per target (bundle and card)")
    n = parser.parse_args().iterations
    run(n)
    print(f"fuzz_bundle: {n} mutated bundles and {n} mutated cards, no failure")
