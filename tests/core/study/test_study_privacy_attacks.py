"""Attacks on a study's differential-privacy accounting: what a site that takes part in a sum,
and so knows its own noise share, sees of the others' records."""

from __future__ import annotations

import dataclasses

import pytest

from ppds_desktop.core.errors import InputError
from ppds_desktop.core.study import StudySpec, noise, plan


def spec(min_sites: int, honest: int) -> dict:
    return {"format": "ppds-study-analyses", "version": 1,
            "variables": [{"name": "Age", "type": "number", "lower": 0, "upper": 100}],
            "analyses": [{"kind": "mean", "variable": "Age"}], "min_sites": min_sites,
            "dp": {"epsilon": 1.0, "delta": 1e-6, "honest_sites": honest}}


def test_a_site_in_the_smallest_sum_would_see_less_noise_than_declared():
    """With n_h equal to the minimum number of sites, a sum over that many sites protects one
    site's records, against another site of the sum (which subtracts its own share), with only
    n_h − 1 unknown shares: the privacy loss is above the declared ρ*. Such settings are refused."""
    allowed = StudySpec.from_dict(spec(3, 2))
    cal = noise.calibrate(plan(allowed), allowed.dp)
    assert cal.rho <= cal.rho_target
    # the calibration n_h = 3 would choose, seen with the two shares a third site does not know
    three = dataclasses.replace(allowed.dp, honest_sites=3)
    cal3 = noise.calibrate(plan(allowed), three)
    seen_by_a_site = noise._Structure(plan(allowed)).rho(float(cal3.v), 2)
    assert seen_by_a_site > 1.4 * cal3.rho_target
    with pytest.raises(InputError, match="must be below the minimum number of contributing "
                                         "sites .* each site in a sum knows its own noise share"):
        StudySpec.from_dict(spec(3, 3))
    with pytest.raises(InputError, match="must be below"):
        StudySpec.from_dict(spec(2, 2))
    StudySpec.from_dict(spec(2, 1))
