"""Recipes for the front ends: read, check, write and query recipe documents, make a preset's
recipe, build and read hierarchies. The Prepare wizard edits a recipe as a dict; the command
line builds one from its flags; both hand it to ``services.release`` to run.

These are the recipe package's own functions under one roof (``core.recipe``,
``core.recipe.presets``, ``core.anonymize.hierarchy_specs``), so that ``ui/`` and ``cli/`` use
recipes without importing ``core``.
"""

from __future__ import annotations

from pathlib import Path

from ..core.anonymize.hierarchy import Hierarchy
from ..core.anonymize.hierarchy_specs import auto_spec, build_hierarchy
from ..core.recipe import (Recipe, check_columns, column_actions, dumps, load, loads,
                           new_recipe, quasi_identifiers, save, sensitive_columns, validate)
from ..core.recipe.presets import make_preset

__all__ = ["Recipe", "auto_spec", "build_hierarchy", "check_columns", "column_actions", "dumps",
           "load", "loads", "make_preset", "new_recipe", "parse", "quasi_identifiers",
           "read_hierarchy", "save", "sensitive_columns", "validate"]


def parse(recipe) -> Recipe:
    """Validate ``recipe`` once and return it typed, ready to run and to write."""
    return Recipe.parse(recipe)


def read_hierarchy(path: Path, column: str) -> Hierarchy:
    """An ARX hierarchy CSV for ``column`` (``Hierarchy.encode(values)`` checks that it covers
    every value)."""
    return Hierarchy.read_csv(path, name=column)
