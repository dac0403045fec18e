"""Saving the files a user asks for besides exports (reports, charts, recipes): owner-only,
whole or not at all, and a plain one-line error when the disk is full or the file is held
open by another program (see :mod:`ppds_desktop.core.files`)."""

from __future__ import annotations

from pathlib import Path

from ..core import recipe as R
from ..core.files import write_private


def save_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``."""
    return write_private(Path(path), text)


def save_recipe(path, recipe: dict) -> Path:
    """Write a recipe with its hierarchy files named relative to it (``core.recipe.save``)."""
    return R.save(path, recipe)
