"""The demo's steps, one per capability, in the order a user would meet them."""

from __future__ import annotations

STEPS: list = [
    # ("Vault", vault_step), ("Import and profile", import_step), ... appended by each area
]
