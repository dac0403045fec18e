"""The engine's privacy-model objects for a recipe's ``privacy`` section.

Used by the release pipeline to search and by the report to measure a table again after a
section hook changed it, so both check exactly the models the recipe asks for.
"""

from __future__ import annotations

from ..anonymize import models as M
from ..anonymize.hierarchy import Hierarchy
from ..errors import RecipeError
from . import document
from .model import Recipe


def build_models(recipe: Recipe | dict, hierarchies: dict[str, Hierarchy]) -> list[M.PrivacyModel]:
    """k, and l and t once per sensitive column they protect; ``hierarchies`` holds the
    sensitive columns' hierarchies that hierarchical t-closeness needs."""
    privacy = document.privacy_settings(recipe)
    out = []
    if "k" in privacy:
        out.append(M.KAnonymity(privacy["k"]))
    spec = privacy.get("l")
    for col in document.model_columns(recipe, "l"):
        if spec["variant"] == "distinct":
            if float(spec["l"]) != int(spec["l"]):
                raise RecipeError("distinct l-diversity needs a whole number", field="privacy.l.l")
            out.append(M.DistinctLDiversity(col, int(spec["l"])))
        elif spec["variant"] == "entropy":
            out.append(M.EntropyLDiversity(col, spec["l"]))
        else:
            out.append(M.RecursiveCLDiversity(col, spec["c"], int(spec["l"])))
    spec = privacy.get("t")
    for col in document.model_columns(recipe, "t"):
        out.append(M.TCloseness(col, spec["t"], distance=spec["distance"],
                                hierarchy=hierarchies.get(col)))
    return out
