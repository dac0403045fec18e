"""Recipe format: schema validation with errors naming the field, parsing, defaults."""

from __future__ import annotations

import json

import pytest

from ppds_desktop.core import recipe as R
from ppds_desktop.core.errors import InputError, RecipeError


def _err(recipe) -> str:
    with pytest.raises(RecipeError) as exc:
        R.validate(recipe)
    return str(exc.value)


@pytest.mark.parametrize("patch, field", [
    ({"columns": {"SSN": {"action": {"type": "mask", "keep_last": -1}}}},
     "columns.SSN.action.keep_last"),
    ({"columns": {"Date of Birth": {"action": {"type": "date_shift", "key": "k"}}}},
     'columns["Date of Birth"].action'),
    ({"columns": {"a": {"role": "boss"}}}, "columns.a.role"),
    ({"columns": {"a": {"action": {"type": "frob"}}}}, "columns.a.action.type"),
    ({"columns": {"a": {"action": {"type": "drop", "extra": 1}}}}, "columns.a.action"),
    ({"columns": {"a": {"action": {"type": "pseudonym", "key": "../x"}}}},
     "columns.a.action.key"),
    ({"columns": {"a": {"action": {"type": "generalize", "hierarchy": {"kind": "file"}}}}},
     "columns.a.action.hierarchy"),
    ({"privacy": {"k": 0}}, "privacy.k"),
    ({"privacy": {"suppression_limit": 1.5}}, "privacy.suppression_limit"),
    ({"privacy": {"t": {"t": 0.2, "distance": "manhattan"}}}, "privacy.t.distance"),
    ({"privacy": {"l": {"l": 2, "variant": "recursive"}}}, "privacy.l"),
    ({"seed": -1}, "seed"),
    ({"ppds_recipe": 2}, "ppds_recipe"),
    ({"perturbation": "noise"}, "perturbation"),
    ({"unknown": 1}, "(recipe)"),
])
def test_errors_name_the_field(patch, field):
    recipe = R.new_recipe()
    recipe.update(patch)
    assert _err(recipe).startswith(field + ":")


def test_valid_recipe_with_every_action_and_sections():
    recipe = R.new_recipe(name="all", seed=7, preset="expert", columns={
        "n": {"role": "identifier", "action": {"type": "drop"}},
        "m": {"role": "identifier", "action": {"type": "mask", "keep_first": 1, "char": "#"}},
        "f": {"role": "identifier", "action": {"type": "fixed", "pattern": "XXX"}},
        "p": {"role": "identifier", "action": {"type": "pseudonym", "key": "study 1",
                                                "prefix": "P-"}},
        "d": {"action": {"type": "date_shift", "key": "k", "max_days": 30, "person": "p"}},
        "y": {"action": {"type": "year", "bottom": 1937}},
        "z": {"role": "quasi_identifier", "action": {"type": "zip3"}},
        "a": {"role": "quasi_identifier", "action": {
            "type": "generalize", "hierarchy": {"kind": "intervals", "widths": [5, 10]}}},
        "b": {"action": {"type": "top_bottom_code", "top": 100, "top_label": ">100"}},
        "s": {"role": "sensitive"},
    }, privacy={"k": 5, "l": {"l": 2}, "t": {"t": 0.3, "distance": "ordered"},
                "suppression_limit": 0.05, "objective": "entropy", "levels": {"a": 1, "z": 0}},
        risk={"threshold": 0.1, "population_size": 100000},
        perturbation={"steps": []})
    assert R.validate(recipe) is recipe
    text = R.dumps(recipe)
    assert R.loads(text) == recipe
    settings = R.privacy_settings(recipe)
    assert settings["method"] == "optimal" and settings["l"]["variant"] == "distinct"
    assert R.quasi_identifiers(recipe) == ["z", "a"]
    assert R.sensitive_columns(recipe) == ["s"]
    R.check_columns(recipe, list("nmfpdyzabs"))


def test_check_columns_names_the_problem():
    recipe = R.new_recipe(columns={"x": {"role": "identifier", "action": {"type": "keep"}}})
    with pytest.raises(RecipeError, match=r'columns\["x"\]: the dataset has no column'):
        R.check_columns(recipe, ["y"])
    with pytest.raises(RecipeError, match=r'columns\["x"\].action.type: a column with role '
                                          r'identifier must be'):
        R.check_columns(recipe, ["x"])
    recipe = R.new_recipe(columns={"q": {"role": "quasi_identifier"}},
                          privacy={"k": 2, "l": {"l": 2}})
    with pytest.raises(RecipeError, match=r"privacy.l: l-diversity needs a column with role "
                                          r"sensitive"):
        R.check_columns(recipe, ["q"])
    recipe = R.new_recipe(columns={"q": {"role": "quasi_identifier"}, "s": {"role": "sensitive"},
                                   "u": {"role": "sensitive"}},
                          privacy={"k": 2, "t": {"t": 0.3, "column": "q"}})
    with pytest.raises(RecipeError, match=r"privacy.t.column: t-closeness protects 'q'"):
        R.check_columns(recipe, ["q", "s", "u"])
    recipe["privacy"]["t"]["column"] = "u"
    R.check_columns(recipe, ["q", "s", "u"])
    assert R.model_columns(recipe, "t") == ["u"]
    del recipe["privacy"]["t"]["column"]
    assert R.model_columns(recipe, "t") == ["s", "u"]
    recipe = R.new_recipe(privacy={"k": 2})
    with pytest.raises(RecipeError, match=r"^privacy: a privacy model needs"):
        R.check_columns(recipe, [])


def test_loads_reports_syntax_errors_with_line(tmp_path):
    with pytest.raises(InputError, match=r"r.json, line 3: not valid JSON"):
        R.loads('{\n "ppds_recipe": 1,\n "columns": {,}\n}', source="r.json")
    with pytest.raises(RecipeError, match="appears twice"):
        R.loads('{"ppds_recipe": 1, "ppds_recipe": 1}')
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"ppds_recipe": 1, "privacy": {"k": "five"}}))
    with pytest.raises(RecipeError, match=r"r.json: privacy.k: must be of type integer"):
        R.load(p)


def test_schema_is_shipped_and_composed_from_area_fragments():
    main = json.loads(R.schema_path().read_text())
    assert main["properties"]["perturbation"]["$ref"] == "recipe-perturbation.schema.json"
    assert main["properties"]["encryption"]["$ref"] == "recipe-encryption.schema.json"
    for name in ("recipe-perturbation.schema.json", "recipe-encryption.schema.json"):
        frag = json.loads(R.schema_path(name).read_text())
        assert frag["$id"].endswith(name)


def test_examples_in_docs_are_valid_recipes():
    import re
    from conftest import REPO_ROOT

    text = (REPO_ROOT / "docs" / "recipe.md").read_text()
    blocks = [b for b in re.findall(r"```json\n(.*?)```", text, re.S) if '"ppds_recipe"' in b]
    assert len(blocks) >= 3
    for block in blocks:
        R.validate(json.loads(block))
