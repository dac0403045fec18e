"""Differential privacy: exact integer samplers from a CSPRNG, mechanisms, accounting, ledger.

``samplers`` (discrete Laplace / Gaussian, Canonne–Kamath–Steinke 2020), ``grid`` (declared
bounds and the grid values are rounded to), ``mechanisms`` (noisy counts and sums,
permute-and-flip quantiles), ``query`` (the query language and results with intervals),
``accounting`` (ε/ρ and conversions), ``ledger`` (the per-dataset budget in the vault).
See docs/privacy.md for the mathematics.
"""
