"""DP queries: the grid rule, intervals, domains, parsing and error messages."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppds_desktop.core.dp.grid import Grid
from ppds_desktop.core.dp.intervals import gaussian_tail, laplace_tail
from ppds_desktop.core.dp.mechanisms import add_noise
from ppds_desktop.core.dp.query import QueryOptions, evaluate, parse_query
from dp_test_rng import SeededTestRng
from ppds_desktop.core.errors import InputError


@pytest.fixture
def df():
    rng = np.random.default_rng(3)          # synthetic test data, not privacy noise
    n = 600
    return pd.DataFrame({
        "Medical Condition": rng.choice(["Asthma", "Cancer", "Diabetes"], n),
        "Gender": rng.choice(["Female", "Male"], n),
        "Billing Amount": rng.uniform(100.0, 5000.0, n).round(2),
        "Age": rng.integers(18, 90, n),
    })


def run(df, text, **opts):
    query, _ = parse_query(text)
    return evaluate(df, query, QueryOptions(**opts), rng=SeededTestRng(1))


def on_grid(value: float, g: Fraction) -> bool:
    """Exactly k·g for a binary g; for a decimal g (0.1) the float nearest to some k·g."""
    if Fraction(float(g)) == g:
        return (Fraction(value) / g).denominator == 1
    return float(round(Fraction(value) / g) * g) == value


@pytest.mark.parametrize("gran", [None, 0.25, 2 ** -5, 0.1])
def test_float_mechanism_outputs_lie_on_the_grid(df, gran):
    granularity = {} if gran is None else {"Billing Amount": gran}
    bounds = {"Billing Amount": (0, 5000)}
    for text in ("sum Billing Amount by Gender", "mean Billing Amount by Medical Condition",
                 "quantile Billing Amount 0.9"):
        res = run(df, text, bounds=bounds, granularity=granularity, epsilon=1.0)
        g = Fraction(str(res.grids[0]["granularity"]))
        if gran is None:
            assert g.numerator == 1 and g.denominator & (g.denominator - 1) == 0 or g.denominator == 1
        for row in res.rows:
            for key in ("value", "ci_low", "ci_high"):
                if row[key] is not None:
                    assert on_grid(row[key], g), (text, key, row[key], g)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50),
       st.floats(-1000, 0), st.floats(1, 1000))
def test_grid_clamps_and_rounds_into_bounds(values, lo, hi):
    grid = Grid.make("x", lo, hi)
    k = grid.to_lattice(values)
    assert k.min() >= grid.k_lo and k.max() <= grid.k_hi
    assert all(lo <= grid.value(v) <= hi for v in k)
    assert (hi - lo) / grid.granularity <= 2 ** 16


def test_count_interval_covers_at_least_95_percent():
    noisy = add_noise(np.full(20_000, 50), 1, noise="laplace", budget=Fraction(1, 2),
                      rng=SeededTestRng(2))
    g = add_noise(np.full(20_000, 50), 1, noise="gaussian", budget=Fraction(1, 8),
                  rng=SeededTestRng(3))
    for vec, tail in ((noisy, lambda h: laplace_tail(float(noisy.param), h)),
                      (g, lambda h: gaussian_tail(float(g.param), h))):
        h = vec.halfwidth()
        assert tail(h) <= 0.05 < tail(h - 1)            # exact tails: the shortest valid interval
        covered = np.mean(np.abs(vec.values - 50) <= h)
        se = np.sqrt(0.05 * 0.95 / vec.values.size)
        assert abs(covered - (1 - tail(h))) < 4 * se    # and the draws agree with the tails


def test_count_by_declared_domain_releases_every_category(df):
    res = run(df, "count by Medical Condition",
              domains={"Medical Condition": ["Asthma", "Cancer", "Diabetes", "Flu"]}, epsilon=1.0)
    labels = [r["group"]["Medical Condition"] for r in res.rows]
    assert labels == ["Asthma", "Cancer", "Diabetes", "Flu"]   # Flu has no rows but is released
    assert not res.warnings
    true = df["Medical Condition"].value_counts()
    for r in res.rows[:3]:
        assert abs(r["value"] - true[r["group"]["Medical Condition"]]) <= 30
        assert r["ci_low"] < r["value"] < r["ci_high"]


def test_categories_read_off_the_data_are_flagged(df):
    res = run(df, "count by Gender, Medical Condition", epsilon=1.0)
    assert len(res.rows) == 6
    assert len(res.warnings) == 2 and "taken from the data" in res.warnings[0]


def test_bounds_must_be_declared_unless_guessing_is_asked_for(df):
    with pytest.raises(InputError, match="needs declared bounds"):
        run(df, "mean Age", epsilon=1.0)
    res = run(df, "mean Age", epsilon=1.0, guess_bounds=True)
    assert any("leak" in w or "reveals" in w for w in res.warnings)
    assert res.grids[0]["guessed"] is True


def test_mean_is_close_and_its_interval_is_inside_the_bounds(df):
    res = run(df, "mean Billing Amount", bounds={"Billing Amount": (0, 5000)}, epsilon=2.0)
    row = res.rows[0]
    assert 0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 5000
    assert abs(row["value"] - df["Billing Amount"].mean()) < 200


def test_gaussian_count_spends_rho(df):
    res = run(df, "count", noise="gaussian", rho=0.5)
    assert res.cost.rho == 0.5 and res.cost.epsilon == 0
    assert abs(res.rows[0]["value"] - len(df)) < 20


def test_numeric_histogram_uses_bins_over_declared_bounds(df):
    query, _ = parse_query("histogram Age")
    query.bins = 4
    res = evaluate(df, query, QueryOptions(bounds={"Age": (0, 100)}, epsilon=1.0),
                   rng=SeededTestRng(4))
    assert [r["group"]["Age"] for r in res.rows] == ["[0, 25)", "[25, 50)", "[50, 75)", "[75, 100]"]


def test_quantile_is_near_the_true_median(df):
    res = run(df, "median Age", bounds={"Age": (0, 100)}, epsilon=2.0)
    assert abs(res.rows[0]["value"] - df["Age"].median()) <= 10
    assert res.rows[0]["rank_error"] > 0


@pytest.mark.parametrize("text,stat,col,by", [
    ("count", "count", None, []),
    ("COUNT BY Medical Condition", "count", None, ["Medical Condition"]),
    ("mean Billing Amount by Gender, Medical Condition", "mean", "Billing Amount",
     ["Gender", "Medical Condition"]),
    ('sum "Billing Amount"', "sum", "Billing Amount", []),
    ("quantile Age 0.25 by Gender", "quantile", "Age", ["Gender"]),
])
def test_parse_text_queries(text, stat, col, by):
    q, _ = parse_query(text)
    assert (q.statistic, q.column, q.by) == (stat, col, by)


def test_parse_json_query_with_options():
    q, opts = parse_query('{"statistic": "median", "column": "Age", "by": "Gender", '
                          '"bounds": {"Age": [0, 100]}, "epsilon": 0.5}')
    assert q.statistic == "quantile" and q.q == Fraction(1, 2) and q.by == ["Gender"]
    assert opts["bounds"] == {"Age": [0, 100]} and opts["epsilon"] == 0.5


@pytest.mark.parametrize("text,msg", [
    ("", "empty query"), ("average Age", "unknown statistic"), ("mean", "needs a column"),
    ("quantile Age 2", "between 0 and 1"), ("count Age", "takes no column"), ("{bad", "line 1"),
])
def test_bad_queries_are_explained(text, msg):
    with pytest.raises(InputError, match=msg):
        parse_query(text)


def test_unknown_column_is_named(df):
    with pytest.raises(InputError, match="no column named 'Weight'"):
        run(df, "mean Weight", bounds={"Weight": (0, 1)}, epsilon=1.0)


def test_mean_interval_covers_the_true_mean_at_least_95_percent():
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"x": rng.uniform(0, 100, 200)})
    true = df["x"].clip(0, 100).mean()
    query, _ = parse_query("mean x")
    seeded = SeededTestRng(10)
    hits = 0
    runs = 400
    for _ in range(runs):
        row = evaluate(df, query, QueryOptions(bounds={"x": (0, 100)}, epsilon=0.5), rng=seeded).rows[0]
        hits += row["ci_low"] <= true <= row["ci_high"]
    assert hits / runs >= 0.95
