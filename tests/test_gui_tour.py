"""The GUI tour (issue 14, "Must show"): every page, wizard page and dialog visited with
realistic data (the demo sample; a second vault receives a release; a small world of three
hospitals, a collector and a key holder for the encrypted aggregation). A PNG of each screen
goes to ``$PPDS_TOUR_DIR`` (CI keeps it as an artefact) or to ``tour-shots/`` in the tour's
temporary folder. On every screen: no snake_case names, no name=value pairs, no raw JSON, no
stray '&', no command-line flags, no UTC timestamps in the visible text, and every input has
an accessible name. The tour runs once for the module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gui_tour import run_tour
from visible_text import problems

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tour(request, qapp, tmp_path_factory):
    from pytestqt.qtbot import QtBot

    tmp = tmp_path_factory.mktemp("tour")
    shots = Path(os.environ.get("PPDS_TOUR_DIR") or tmp / "tour-shots")
    return run_tour(QtBot(request), tmp, shots), shots


def test_tour_writes_a_png_of_every_screen(tour):
    visited, shots = tour
    assert len(visited.texts) >= 60
    for name in ("datasets-data", "import-5-done", "prepare-3-columns", "prepare-6-run",
                 "prepare-results-utility", "share-4-sealed", "open-2-verified",
                 "dp-3-privacy", "he-role-question", "he-key-holder-review", "audit",
                 "settings", "help-user-guide"):
        assert name in visited.texts, name
    for name in visited.texts:
        assert (shots / f"{name}.png").stat().st_size > 1000, name


def test_visible_text_is_plain_language(tour):
    visited, _shots = tour
    found = [f"{name}: {kind} in {where} text {text!r}"
             for name, texts in visited.texts.items() for where, text in texts
             for kind in problems(text)]
    assert not found, "\n".join(found)


def test_every_input_has_an_accessible_name(tour):
    visited, _shots = tour
    found = {name: missing for name, missing in visited.unnamed.items() if missing}
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_ci_keeps_the_screenshots():
    import yaml

    from conftest import REPO_ROOT

    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "tests.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    test = next(s for s in steps if s.get("name") == "Test")
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == test["env"]["PPDS_TOUR_DIR"]
    assert upload["if"] == "always()" and steps.index(upload) > steps.index(test)
