"""The plain values the use cases take and return, and the constants the front ends show, under
one name: ``ui/`` and ``cli/`` import these from here, never from ``core``.

Names are loaded on first use, so importing this module costs nothing (``ppds --help``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_FROM = {
    # the vault and what it holds
    "Vault": "core.vault", "DatasetInfo": "core.vault", "DatasetRef": "core.vault",
    "ReleaseInfo": "core.vault", "ColumnRole": "core.vault", "AuditEntry": "core.vault",
    # reading files
    "ParseOptions": "core.io", "Preview": "core.io", "ReadResult": "core.io",
    "SUPPORTED_ENCODINGS": "core.io.options", "DatasetProfile": "core.schema",
    # recipes and releases
    "Recipe": "core.recipe", "ReleaseOutcome": "core.recipe.run",
    "IDENTIFIER_ACTIONS": "core.recipe.document", "PRESETS": "core.recipe.presets",
    "HIPAA": "core.recipe.presets", "RESEARCH": "core.recipe.presets",
    "EXPERT": "core.recipe.presets",
    # differential privacy
    "Query": "core.dp.query", "MAX_GROUP_COLUMNS": "core.dp.query", "DPResult": "core.dp.query",
    "BudgetStatus": "core.dp.ledger", "PerturbationOutcome": "core.perturb.recipe",
    # identities and homomorphic encryption
    "Contact": "core.identity", "Identity": "core.identity", "KeyChanged": "core.identity",
    "DEFAULT_EXPECTED_RECORDS": "core.he.columns", "DEFAULT_MAX_ABS": "core.he.columns",
    "DEFAULT_SCALE": "core.he.columns",
}
__all__ = sorted(_FROM)

if TYPE_CHECKING:
    from ..core.dp.ledger import BudgetStatus
    from ..core.dp.query import MAX_GROUP_COLUMNS, DPResult, Query
    from ..core.he.columns import DEFAULT_EXPECTED_RECORDS, DEFAULT_MAX_ABS, DEFAULT_SCALE
    from ..core.identity import Contact, Identity, KeyChanged
    from ..core.io import ParseOptions, Preview, ReadResult
    from ..core.io.options import SUPPORTED_ENCODINGS
    from ..core.perturb.recipe import PerturbationOutcome
    from ..core.recipe import Recipe
    from ..core.recipe.document import IDENTIFIER_ACTIONS
    from ..core.recipe.presets import EXPERT, HIPAA, PRESETS, RESEARCH
    from ..core.recipe.run import ReleaseOutcome
    from ..core.schema import DatasetProfile
    from ..core.vault import AuditEntry, ColumnRole, DatasetInfo, DatasetRef, ReleaseInfo, Vault


def __getattr__(name: str):
    if name in _FROM:
        return getattr(import_module(f"..{_FROM[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
