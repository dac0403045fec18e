"""Re-identification risk, utility measures and the SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from ppds_desktop.core import charts
from ppds_desktop.core.errors import InputError
from ppds_desktop.core.risk import class_sizes, measure_risk
from ppds_desktop.core.utility import column_distances, measure_utility


def _table():
    # classes by (a, b): (1,x)×3, (1,y)×1, (2,x)×2, (None,x)×1
    return pd.DataFrame({"a": [1, 1, 1, 1, 2, 2, None], "b": list("xxxyxxx"),
                         "v": range(7)})


def test_class_sizes_and_prosecutor_risk():
    df = _table()
    assert class_sizes(df, ["a", "b"]).tolist() == [3, 3, 3, 1, 2, 2, 1]
    r = measure_risk(df, ["a", "b"], threshold=0.4)
    assert r.n_classes == 4 and r.min_class_size == 1
    assert r.prosecutor_max == 1.0
    assert r.prosecutor_avg == pytest.approx(4 / 7)
    assert r.unique_records == 2
    assert r.records_at_risk == 4                   # 1/1 and 1/2 exceed 0.4
    assert r.class_size_counts == {1: 2, 2: 1, 3: 1}
    assert r.marketer == pytest.approx(4 / 7)
    assert r.journalist_max == r.prosecutor_max


def test_journalist_risk_with_population_estimate():
    df = _table()
    r = measure_risk(df, ["a", "b"], population_size=70)
    assert r.journalist_max == pytest.approx(1 / 10)     # unique in the sample, ~10 in population
    assert r.prosecutor_max == 1.0
    assert r.marketer == pytest.approx(4 / 70)
    with pytest.raises(InputError):
        measure_risk(df, ["a"], population_size=3)
    with pytest.raises(InputError):
        measure_risk(df, ["nope"])


def test_risk_dict_is_json_ready():
    import json
    d = measure_risk(_table(), ["a"]).to_dict()
    assert json.loads(json.dumps(d)) == d             # class sizes keyed by text, in order
    assert list(d["class_size_counts"]) == sorted(d["class_size_counts"], key=int)


def test_distances_and_moments():
    rng = np.random.default_rng(0)          # test data only, not privacy noise
    x = pd.Series(rng.normal(size=500))
    same = column_distances(x, x)
    assert same["hellinger"] == pytest.approx(0) and same["total_variation"] == pytest.approx(0)
    shifted = column_distances(x, x + 3)
    assert shifted["total_variation"] > 0.5
    cat = column_distances(pd.Series(list("aabb")), pd.Series(list("cccc")))
    assert cat["total_variation"] == pytest.approx(1.0) and cat["hellinger"] == pytest.approx(1.0)
    before = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=500), "c": "k"})
    after = before.copy()
    after["y"] = rng.normal(size=500)
    u = measure_utility(before, after.drop(columns=["c"]))
    assert u["columns"]["c"] == {"status": "dropped"}
    assert u["columns"]["x"]["mean_change"] == pytest.approx(0)
    assert u["correlation"]["max_abs_change"] > 0.5


def _parse(svg: str):
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    return root


def test_charts_are_valid_escaped_svg():
    svg = charts.bar_chart(["<script>", "b&c"], [3, 5], errors=[1, (4, 6)], title="T<1>")
    root = _parse(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert len([e for e in root.iter() if e.tag.endswith("rect")]) >= 3
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    _parse(charts.grouped_bar_chart(list("abc"), {"before": [1, 2, 3], "after": [3, 2, 1]}))
    _parse(charts.histogram_before_after(list(np.arange(50)), [float(v) for v in range(10, 60)]))
    _parse(charts.histogram_before_after(["a", "b", "b"], ["a", "*", "*"]))
    _parse(charts.class_size_chart([1, 1, 5, 12], compare={5: 3}))
    assert charts.class_size_buckets({1: 2, 5: 3, 120: 1}) == [
        ("1", 2), ("2", 0), ("3–4", 0), ("5–9", 15), ("10–19", 0), ("20–49", 0),
        ("50–99", 0), ("100+", 120)]


def test_histogram_data_uses_shares():
    names, b, a = charts.histogram_data([1, 2, 3, 4], [1, 1], bins=2)
    assert sum(b) == pytest.approx(1) and sum(a) == pytest.approx(1)
    assert len(names) == 2


def test_top_tick_reaches_the_highest_bar():
    for hi in (0.105, 0.33, 1.0, 7, 1234):
        ticks = charts._nice_ticks(0, hi)
        assert ticks[0] <= 0 and ticks[-1] >= hi and ticks[-2] < hi


def test_histogram_keeps_every_band_or_says_what_it_left_out():
    bands = [f"{lo}-{lo + 4}" for lo in range(0, 100, 5)]          # 20 ordered age bands
    names, b, a = charts.histogram_data(bands, bands)
    assert names == bands and sum(b) == pytest.approx(1)
    words = [f"w{i}" for i in range(30)] + ["w0"] * 5                # 30 plain categories
    names, b, a = charts.histogram_data(words, words)
    assert len(names) == 13 and names[-1] == "other (18)"
    assert sum(b) == pytest.approx(1) and sum(a) == pytest.approx(1)


def test_percent_ticks_are_not_rounded_into_wrong_labels():
    svg = charts.grouped_bar_chart(["a", "b"], {"before": [0.05, 0.105], "after": [0.1, 0.02]},
                                   percent=True)
    assert ">2.5%<" in svg and ">7.5%<" in svg and ">2%<" not in svg
