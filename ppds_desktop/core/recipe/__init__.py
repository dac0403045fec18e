"""The release recipe: one versioned JSON document that describes a whole release.

The Prepare wizard writes one, ``ppds anonymize --recipe`` runs one, a share bundle carries
one; the same input, recipe and seed give the same output. The format is defined by the JSON
Schema ``ppds_desktop/schemas/recipe-v1.schema.json`` and documented in ``docs/recipe.md``.

- ``Recipe.parse(recipe)`` validates once and gives the typed, frozen recipe (``model.py``)
  that the pipeline runs; ``to_json()`` gives the same document back.
- ``validate(recipe)`` raises :class:`RecipeError` naming the field path; returns the recipe.
- ``load(path)`` / ``loads(text)`` parse and validate; ``dumps(recipe)`` writes canonical JSON;
  ``save(path, recipe)`` writes it privately with hierarchy files relative to the recipe.
- ``check_columns(recipe, columns)`` checks the recipe against a table's column names.
- ``privacy_settings(recipe)`` the privacy section with defaults filled in.
"""

from ..recipe_schema import schema_path, validate
from .document import (RECIPE_VERSION, check_columns, column_actions, dumps, load, loads,
                        model_columns, new_recipe, privacy_settings, quasi_identifiers,
                        risk_settings, save, sensitive_columns)
from .model import Recipe

__all__ = ["RECIPE_VERSION", "Recipe", "check_columns", "column_actions", "dumps", "load",
           "loads", "model_columns", "new_recipe", "privacy_settings", "quasi_identifiers",
           "risk_settings", "save", "schema_path", "sensitive_columns", "validate"]
