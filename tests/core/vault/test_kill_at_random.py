"""A short run of the kill-at-random stress test (``tests/stress/kill_at_random.py`` runs the
long one): one SIGKILL per operation, and the vault checked after each."""

from __future__ import annotations

import sys

import pytest

from stress.kill_at_random import run

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX-only")]


def test_kills_leave_a_sound_vault_with_nothing_committed_lost(tmp_path):
    result = run(5, tmp_path, seed=3, rows=10_000, bundle_rows=100_000, ballast_rows=100_000,
                 report=lambda s: None)
    assert result["failures"] == []
    assert result["total_kills"] == 5 and sum(result["kills"].values()) == 5
