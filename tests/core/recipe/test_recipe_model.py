"""The typed recipe: every recipe the tests, the docs and the bundled sample use parses into the
frozen parts and comes back as the same JSON; a parsed recipe is not validated again."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest

from ppds_desktop.core import recipe as R
from ppds_desktop.core.errors import RecipeError
from ppds_desktop.core.recipe import model
from ppds_desktop.core.recipe.model import Recipe
from ppds_desktop.core.recipe.run import run_recipe
from ppds_desktop.services.release import recipe_for_preset

from conftest import REPO_ROOT as ROOT


def _doc_recipes():
    """Every JSON block in the docs that is a whole recipe."""
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```json\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            try:
                data = json.loads(block)
            except json.JSONDecodeError:
                continue                     # a fragment with "…" in it
            if isinstance(data, dict) and "ppds_recipe" in data:
                yield f"{path.name}", data


def _corpus():
    # Gathered from every recipe the test suite runs (tests/data/recipes/from_tests.json).
    tests = json.loads((ROOT / "tests/data/recipes/from_tests.json").read_text(encoding="utf-8"))
    out = [(f"tests[{i}]", r) for i, r in enumerate(tests)]
    out += list(_doc_recipes())
    sample = pd.read_csv(ROOT / "resources" / "sample_admissions.csv", nrows=200)
    for preset in ("hipaa_safe_harbor", "research_k_anonymity", "expert"):
        out.append((f"preset {preset}", recipe_for_preset(preset, sample)))
    return out


CORPUS = _corpus()


def test_the_corpus_covers_every_part():
    keys = {k for _, r in CORPUS for k in r}
    assert {"columns", "privacy", "perturbation", "encryption", "seed", "preset"} <= keys
    assert len(CORPUS) > 60


@pytest.mark.parametrize("name,data", CORPUS, ids=[n for n, _ in CORPUS])
def test_round_trip_gives_the_same_json(name, data):
    parsed = Recipe.parse(data)
    again = parsed.to_json()
    assert again == data
    # the same keys in the same order, so even unsorted JSON is the same text
    assert json.dumps(again, ensure_ascii=False) == json.dumps(data, ensure_ascii=False)
    assert R.dumps(parsed) == R.dumps(data)
    assert Recipe.from_json(again) == parsed


def test_parts_are_typed_and_frozen():
    data = {"ppds_recipe": 1, "columns": {"Age": {"role": "quasi_identifier", "action": {
        "type": "generalize", "hierarchy": {"kind": "intervals", "widths": [5, 10]}}}},
        "privacy": {"k": 5, "l": {"l": 2}}, "perturbation": {"steps": [
            {"method": "additive_noise", "columns": ["Age"]}]}}
    r = Recipe.parse(data)
    age = r.columns["Age"]
    assert isinstance(age, model.Column) and isinstance(age.action, model.Action)
    assert age.action.hierarchy["widths"] == (5, 10)
    assert isinstance(r.privacy.l, model.LDiversity) and r.privacy.l.l == 2
    assert r.perturbation.steps[0].method == "additive_noise"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.privacy.k = 2
    with pytest.raises(TypeError):
        r.columns["Age"] = None
    assert r.released("quasi_identifier") == ["Age"]


def test_a_parsed_recipe_is_not_validated_again(monkeypatch):
    data = {"ppds_recipe": 1, "columns": {"a": {"role": "quasi_identifier"}},
            "privacy": {"k": 2}}
    parsed = Recipe.parse(data)

    def refuse(_recipe):
        raise AssertionError("validated again")

    monkeypatch.setattr(model, "validate", refuse)
    monkeypatch.setattr("ppds_desktop.core.recipe.document.validate", refuse)
    df = pd.DataFrame({"a": [1, 1, 2, 2]})
    out = run_recipe(df, parsed)
    assert out.recipe == data
    assert R.dumps(parsed) == json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_bad_recipe_is_refused_when_parsed():
    with pytest.raises(RecipeError, match="privacy.k"):
        Recipe.parse({"ppds_recipe": 1, "privacy": {"k": 0}})
