"""Shared by the ``test_attack_*`` files: the study fixtures and helpers they borrow from the
study tests, imported in this one place (so a move of those tests changes one file)."""

from __future__ import annotations

from test_study_flow import (MAPPING, answers_for, contribute_all, definition_of,  # noqa: F401
                             forge_request, open_contribution, open_files, refused, reseal, sc)
from test_study_protocol import SHAPE, contribution, definition_for, parties, sets  # noqa: F401
