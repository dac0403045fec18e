"""Pages other areas insert into the Prepare wizard, after the privacy model and before Run.

To add a page, append an :class:`ExtraPage` to ``EXTRA_PAGES`` from your area's
``ui/<area>/__init__.py`` and list that package in ``REGISTERING_PACKAGES`` (the wizard
imports them before it builds its pages)::

    EXTRA_PAGES.append(ExtraPage("perturbation", "Perturbation", make_page))

``make_page(state: PrepareState) -> QWidget``; the widget implements

- ``load(state)`` — called each time the page is shown: ``state.recipe`` (the recipe so far),
  ``state.frame`` (the input table), ``state.dataset``, ``state.session``;
- ``apply(recipe: dict) -> None`` — called on Next: write (or remove) its own top-level section,
  e.g. ``recipe["perturbation"] = {...}``; the wizard validates the whole recipe afterwards;
- optionally ``problem() -> str | None`` — a message that keeps the user on the page.

The section is then run by the release pipeline's hook for it (``core/recipe/sections.py``)
and its report appears in the results and the release report. The DP area's perturbation page
(``ui/dp/perturb_page.PerturbationPage``) is wired in here by an adapter, first in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget


@dataclass(frozen=True)
class ExtraPage:
    key: str
    title: str
    factory: Callable[..., QWidget]        # factory(state: PrepareState) -> QWidget


EXTRA_PAGES: list[ExtraPage] = []


class _PerturbationPage(QWidget):
    """Adapter for the DP area's ``ui/dp/perturb_page.PerturbationPage`` (its contract in
    docs/architecture.md: ``set_input(df, dataset_ref)``, ``section()``)."""

    def __init__(self, state, page_class):
        super().__init__()
        self.page = page_class(state.session)
        QVBoxLayout(self).addWidget(self.page)

    def load(self, state) -> None:
        self.page.set_input(state.frame, state.dataset.id if state.dataset else None)
        self.page.load_section(state.recipe.get("perturbation"))

    def apply(self, recipe: dict) -> None:
        section = self.page.section()
        if section:
            recipe["perturbation"] = section
        else:
            recipe.pop("perturbation", None)


def _builtin_pages() -> list[ExtraPage]:
    from ..dp.perturb_page import PerturbationPage

    return [ExtraPage("perturbation", "Perturbation (optional)",
                      lambda state: _PerturbationPage(state, PerturbationPage))]


# Area packages that append to EXTRA_PAGES when imported.
REGISTERING_PACKAGES = ("ppds_desktop.ui.he",)


def load_extra_pages() -> list[ExtraPage]:
    """The built-in area page (perturbation) and the registered ones."""
    import importlib

    for name in REGISTERING_PACKAGES:
        importlib.import_module(name)
    return _builtin_pages() + list(EXTRA_PAGES)
