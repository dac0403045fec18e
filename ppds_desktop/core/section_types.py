"""What a recipe section's hook is given and gives back (see ``core/recipe/sections.py``).

It sits below every area, so that the areas that own a section (``core.perturb``, ``core.he``)
can build their outcome without importing the recipe package that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .progress import TaskState

if TYPE_CHECKING:
    from .vault import DatasetRef, Vault


@dataclass
class SectionContext:
    original: pd.DataFrame
    dataset_ref: DatasetRef | None     # the vault dataset the input came from, if any
    seed: int | None
    vault: Vault | None
    task: TaskState
    recipe: dict


@dataclass
class SectionOutcome:
    data: pd.DataFrame
    report: dict = field(default_factory=dict)      # goes into the release report as is
    files: dict[str, bytes] = field(default_factory=dict)   # extra release files
    state: Any = None                                # handed to the area's commit hook
