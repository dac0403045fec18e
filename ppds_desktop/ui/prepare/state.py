"""What the Prepare wizard's pages share: the session, the chosen dataset and the recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class PrepareState:
    session: Any                                   # ui.session.AppSession
    dataset: Any = None                            # core.vault.DatasetInfo
    frame: pd.DataFrame | None = None              # the input, loaded once per dataset
    roles: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)   # profile categories (e.g. "email")
    recipe: dict = field(default_factory=dict)
    outcome: Any = None                            # services.release.ReleaseOutcome
