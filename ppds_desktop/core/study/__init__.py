"""The statistics of a multi-site study (pure core: no Qt, no vault, no bundles).

The protocol (invitations, contributions, threshold decryption) lives elsewhere and calls:

- ``StudySpec.from_json(text)`` / ``spec.to_json()`` — the scientific spec, validated, versioned
  (``analyses.py``); ``spec.dp`` is ``DPSettings`` or None.
- ``plan(spec)`` → ``StatisticPlan`` — the ordered integer statistics the analyses need.
- ``site_statistics(spec, frame, task=None)`` → ``SiteStatistics`` (``.values`` in plan order,
  ``.records`` over how many records each is, ``.clipped`` / ``.unknown`` / ``.missing`` for
  the site's screen, ``.notes()``).
- ``noise_share(plan, spec.dp, n_sites_max)`` → list[int] — this site's DP noise, to add to
  ``values``; ``ledger_charge(spec.dp)`` → ``core.dp.accounting.Cost`` for the site's dataset.
- ``layout_for(plan, n_sites_max, spec.dp)`` → ``core.he.encoding.Layout`` for
  ``pack_vector`` / ``unpack``; ``ciphertext_count(plan, layout)``.
- ``finish(spec, plan, totals, n_sites, spec.dp)`` → ``StudyResult`` (``.lines()``,
  ``.to_dict()``) from the decrypted totals in plan order.

See docs/studies-statistics.md for the statistics, the encoding and the DP accounting.
"""

from .analyses import Analysis, DPSettings, StudySpec, Variable
from .noise import describe as describe_privacy
from .noise import ledger_charge, noise_share
from .results import AnalysisResult, Coefficient, Figure, StudyResult, finish
from .statistics import (SiteStatistics, Statistic, StatisticPlan, ciphertext_count, layout_for,
                         plan, site_statistics)

__all__ = ["Analysis", "AnalysisResult", "Coefficient", "DPSettings", "Figure", "SiteStatistics",
           "Statistic", "StatisticPlan", "StudyResult", "StudySpec", "Variable",
           "ciphertext_count", "describe_privacy", "finish", "layout_for", "ledger_charge",
           "noise_share", "plan", "site_statistics"]
