"""A short pass of the bundle fuzz harness (longer runs: tests/fuzz/fuzz_bundle.py)."""

from fuzz.fuzz_bundle import run


def test_fuzz_short_run():
    run(150)
