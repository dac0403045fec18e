"""The demo's steps, one per capability, in the order a user would meet them."""

from __future__ import annotations

from .vault_ops import demo_step as vault_step

STEPS: list = [
    # ("Vault", vault_step), ("Import and profile", import_step), ... appended by each area
    ("Encrypted vault", vault_step),   # must stay first: it creates ctx.vault
]
