"""The demo's steps, one per capability, in the order a user would meet them."""

from __future__ import annotations

from .datasets import demo_step as import_step
from .dp import demo_step as dp_step
from .he_scenario import demo_step as he_step
from .sharing import demo_step as sharing_step
from .release import demo_step as deidentify_step
from .study_scenario import demo_step as study_step
from .vault_ops import demo_step as vault_step

STEPS: list = [
    ("Encrypted vault", vault_step),   # must stay first: it creates ctx.vault
    ("Import and profile", import_step),
    ("De-identify (HIPAA + k-anonymity)", deidentify_step),
    ("Differential privacy", dp_step),
    ("Share bundle", sharing_step),    # keep after the release step: it seals ctx.state["release"]
    ("Homomorphic aggregation", he_step),
    ("Multi-site study with a split key", study_step),
]
