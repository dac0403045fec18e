"""What a contribution carries and what the decrypted sums become: the protocol's use of the
statistics layer (``analyses.py``, ``statistics.py``, ``noise.py``, ``results.py``).

Everything here is derived from the study definition alone — the statistics spec, the number of
sites and the key size — so the sites, the aggregator, the key-share holders and whoever
finishes compute the same plan, the same packing layout (``VectorShape``: one uniform slot per
statistic, wide enough for the sum over every site) and the same figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from ..dp.accounting import Cost
from .analyses import StudySpec
from .noise import describe as describe_privacy
from .noise import ledger_charge, noise_share
from .results import StudyResult, finish
from .statistics import SiteStatistics, StatisticPlan, layout_for, plan, site_statistics
from .vector import VectorShape


def canonical_spec(spec) -> dict:
    """The spec (JSON text or dict) validated and with every default filled in."""
    text = spec if isinstance(spec, (str, bytes)) else json.dumps(spec)
    return StudySpec.from_json(text).to_dict()


@dataclass(frozen=True)
class Privacy:
    epsilon: float             # what each contributing site's ledger is charged (as ε at δ)
    delta: float
    cost: Cost                 # the ledger entry (zCDP ρ), or an empty cost without DP
    words: str                 # the guarantee in plain language

    @property
    def summary(self) -> dict:
        """For messages and results: parameters only, never a noise value."""
        return {"mechanism": "distributed discrete Gaussian" if self.epsilon else "none",
                "epsilon": self.epsilon, "delta": self.delta, "rho": self.cost.rho,
                "words": self.words}


@dataclass(frozen=True)
class StudyStatistics:
    spec: StudySpec
    n_sites: int               # the study's sites (sizes the packing headroom and the noise)
    key_bits: int

    @classmethod
    def of(cls, spec: dict, n_sites: int, key_bits: int) -> "StudyStatistics":
        return cls(StudySpec.from_dict(spec), n_sites, key_bits)

    @cached_property
    def plan(self) -> StatisticPlan:
        return plan(self.spec)

    @cached_property
    def shape(self) -> VectorShape:
        return VectorShape(layout_for(self.plan, self.n_sites, self.spec.dp,
                                      key_bits=self.key_bits), len(self.plan))

    @property
    def variables(self) -> list[str]:
        """The study variables a site maps its columns to (those the analyses use)."""
        used = {v for s in self.plan for v in s.domain}
        return [v.name for v in self.spec.variables if v.name in used]

    @property
    def statistic_labels(self) -> list[str]:
        return [s.label for s in self.plan]

    def site(self, frame, task=None) -> SiteStatistics:
        return site_statistics(self.spec, frame, study_plan=self.plan, task=task)

    def noisy(self, site: SiteStatistics) -> list[int]:
        """The vector a site encrypts: its statistics plus its own noise share."""
        noise = noise_share(self.plan, self.spec.dp, self.n_sites)
        return [int(v) + int(z) for v, z in zip(site.values, noise)]

    @property
    def privacy(self) -> Privacy:
        dp = self.spec.dp
        if dp is None:
            return Privacy(0.0, 0.0, Cost(), describe_privacy(None))
        return Privacy(dp.epsilon, dp.delta, ledger_charge(dp), describe_privacy(dp))

    def figures(self, sums: list[int], contributing: int) -> StudyResult:
        return finish(self.spec, self.plan, sums, contributing, self.spec.dp)


__all__ = ["Privacy", "StudyStatistics", "canonical_spec"]
