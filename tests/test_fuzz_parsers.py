"""A short pass of the parser fuzz harness (long runs: tests/fuzz/harness.py --help).

Every parser that reads outside input gets a few hundred mutated inputs; anything but a
``PPDSError`` escaping is a failure (the harness names the exception and where it came from).
"""

import pytest

from fuzz import harness
from fuzz.targets import TARGETS


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_only_user_errors_escape(target):
    outcome = harness.run_loop(target, 300, seed=0, record=False)
    assert outcome.runs >= 300
    assert outcome.failures == {}


def test_mutations_are_reproducible():
    seeds = [b"name,age\nAnn,30\n"]
    a, b = harness.Mutator(seeds, 5), harness.Mutator(seeds, 5)
    assert [a.next() for _ in range(50)] == [b.next() for _ in range(50)]
