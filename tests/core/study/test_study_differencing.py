"""Attacks on the key-share holders' differencing rule: requests that are each acceptable but
together give away one site's contribution — to everyone, or to a site that subtracts its own.

Rules under test (``core/study/checks.differencing_refusal``; across real vaults in
``tests/services/test_study_attacks.py``): within a round, with privacy
noise, a contribution is decrypted in one sum only; across everything, no combination of
decrypted sums may equal one site's contribution, for anyone or for another site."""

from __future__ import annotations

import dataclasses

import pytest

from ppds_desktop.core.study import checks
from test_study_protocol import definition_for, parties, sets  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def plain(parties):  # noqa: F811
    return definition_for(parties)[0]


@pytest.fixture(scope="module")
def noisy(plain):
    dp = {"epsilon": 1.0, "delta": 1e-6, "honest_sites": 2}
    return dataclasses.replace(plain, spec={**plain.spec, "dp": dp}, _raw=None)


def ask(definition, letters, earlier, round_no=1):
    return checks.differencing_refusal(definition, round_no, {s: f"b{s}" for s in letters},
                                       earlier)


def test_a_site_subtracting_its_own_contribution_learns_no_other_single_site(plain):
    # A+B+C, then B+C+D: (A+B+C) − (B+C+D) = A − D, and D knows D: it would learn A alone
    reason = ask(plain, "BCD", sets("ABC"))
    assert reason and "alone to" in reason and "which knows its own contribution" in reason
    # across rounds too (the data are assumed unchanged)
    assert ask(plain, "BCD", sets("ABC"), round_no=2)
    # a superset by two sites: the two newcomers learn each other's contribution
    assert "alone to" in ask(plain, "ABCDE", sets("ABC"))


def test_two_site_sums_show_each_the_other_but_never_a_third(plain):
    # a study with a minimum of two sites shows each of the two the other's sum: declared
    assert ask(plain, "AB", []) is None
    # but A+B, then A+C gives B (who knows A from A+B) the contribution of C
    assert "alone to" in ask(plain, "AC", sets("AB"))


def test_differences_that_isolate_nobody_are_still_answered(plain):
    # A+B+C and A+B+D+E: every difference involves at least two unknown sites
    assert ask(plain, "ABDE", sets("ABC")) is None
    # the same set again adds nothing
    assert ask(plain, "ABC", sets("ABC")) is None


def test_with_noise_a_contribution_is_decrypted_in_one_sum_per_round(plain, noisy):
    # A+…+F and A+B+C differ by D+E+F: no single site, but with noise that difference
    # carries the noise shares of three sites only (the guarantee assumes every sum's)
    earlier = sets("ABCDEF")
    assert ask(plain, "ABC", earlier) is None
    reason = ask(noisy, "ABC", earlier)
    assert reason and "each contribution is decrypted in one sum only" in reason
    # a disjoint set, the same set, or new contributions in another round are fine
    assert ask(noisy, "GHI", earlier) is None
    assert ask(noisy, "ABCDEF", earlier) is None
    assert ask(noisy, "ABC", earlier, round_no=2) is None


def test_many_sites_are_checked_quickly(plain):
    import time

    letters = [f"S{i:02d}" for i in range(64)]
    earlier = [checks.DecryptedSet(f"r{k}", 1, {s: f"b{s}" for s in letters[k:k + 40]}, "2026")
               for k in range(0, 24, 2)]
    start = time.process_time()
    reason = checks.differencing_refusal(plain, 1, {s: f"b{s}" for s in letters[1:41]}, earlier)
    assert time.process_time() - start < 5
    assert reason and "alone" in reason
