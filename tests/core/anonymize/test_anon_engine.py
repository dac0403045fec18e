"""Generalization search and privacy models: ARX's published optima on adult, output checked
with pycanon, t-closeness distances against a linear program, semantics and errors."""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity
from scipy.optimize import linprog

from ppds_desktop.core.anonymize import metrics
from ppds_desktop.core.anonymize.hierarchy import Hierarchy, build_categories, build_intervals
from ppds_desktop.core.anonymize.models import (
    DistinctLDiversity, EntropyLDiversity, KAnonymity, RecursiveCLDiversity, Reference,
    TCloseness, measure_models)
from ppds_desktop.core.anonymize.search import apply, search
from ppds_desktop.core.errors import Cancelled, InputError, PrivacyModelError
from ppds_desktop.core.progress import TaskState

from conftest import ADULT_DATA

ORDER = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
         "salary-class"]


@pytest.fixture(scope="module")
def adult():
    df = pd.read_csv(ADULT_DATA / "adult.csv", sep=";")
    qis = {c: Hierarchy.read_csv(ADULT_DATA / f"adult_hierarchy_{c}.csv", name=c) for c in ORDER}
    occupation = Hierarchy.read_csv(ADULT_DATA / "adult_hierarchy_occupation.csv",
                                    name="occupation")
    return df, qis, occupation


# ARX 3.9.2's published results on adult: levels, suppressed rows, classes, Loss, granularity.
ARX = {
    "k5_0": ([0, 4, 1, 2, 3, 2, 0, 0], 0, 26, 0.542, 0.291),
    "k5_5": ([0, 3, 0, 0, 2, 1, 1, 0], 1346, 397, 0.170, 0.799),
    "k5_10": ([0, 3, 0, 0, 2, 1, 0, 0], 2184, 518, 0.162, 0.812),
    "k5_t02_hier_5": ([1, 4, 0, 0, 3, 1, 2, 1], 1384, 24, 0.613, 0.351),
    "k5_t02_equal_5": ([1, 4, 1, 1, 3, 1, 2, 1], 235, 6, 0.815, 0.184),
}


def scenario(name, occupation):
    models = [KAnonymity(5)]
    if "hier" in name:
        models.append(TCloseness("occupation", 0.2, "hierarchical", occupation))
    if "equal" in name:
        models.append(TCloseness("occupation", 0.2, "equal"))
    limit = {"0": 0.0, "5": 0.05, "10": 0.10}[name.rsplit("_", 1)[1]]
    return models, limit


@pytest.mark.parametrize("name", list(ARX))
def test_adult_optimum_equals_arx(adult, name):
    df, qis, occupation = adult
    models, limit = scenario(name, occupation)
    res = search(df, qis, models, suppression_limit=limit, top=1)
    levels, suppressed, classes, loss, gran = ARX[name]
    best = res.best
    assert [best.levels[c] for c in ORDER] == levels
    assert best.suppressed == suppressed
    assert best.classes == classes
    assert round(best.loss, 3) == loss
    assert round(best.granularity, 3) == gran
    assert res.stats.checked < res.stats.lattice_size
    assert res.stats.pruned == res.stats.lattice_size - res.stats.checked > 0
    if name == "k5_0":
        per_column = metrics.loss_per_column(df, qis, best.levels)
        assert [per_column[c] for c in ORDER] == [0, 1, 1, 1, 1, 1, 0, 0]


def test_adult_release_checked_by_pycanon(adult):
    df, qis, _ = adult
    models = [KAnonymity(5), DistinctLDiversity("occupation", 2)]
    res = search(df, qis, models, suppression_limit=0.05, top=5)
    out = apply(df, qis, res.best.levels, models, suppression_limit=0.05)
    assert out.suppressed.sum() == res.best.suppressed <= math.floor(0.05 * len(df))
    assert len(out.data) == len(df) - res.best.suppressed
    assert anonymity.k_anonymity(out.data, ORDER) >= 5
    assert anonymity.l_diversity(out.data, ORDER, ["occupation"]) >= 2
    assert out.measured["k"] == anonymity.k_anonymity(out.data, ORDER)
    assert len(out.class_sizes) == res.best.classes
    assert out.loss == pytest.approx(res.best.loss)
    # the metrics module, working on the frames, gives the engine's figures
    assert metrics.loss(df, qis, res.best.levels, out.suppressed) == pytest.approx(res.best.loss)
    assert metrics.granularity(df, qis, res.best.levels, out.suppressed) == \
        pytest.approx(res.best.granularity)
    # the candidates are anonymous, distinct and ranked
    losses = [c.loss for c in res.candidates]
    assert losses == sorted(losses) and len(res.candidates) == 5
    assert len({tuple(c.levels.values()) for c in res.candidates}) == 5


def test_sample_admissions_release_checked_by_pycanon():
    from ppds_desktop.core.anonymize.hierarchy import build_dates, build_redaction
    from ppds_desktop.core.sample import generate_admissions

    df = generate_admissions(3000, seed=5)
    qis = {"Age": build_intervals(df["Age"], [5, 10, 20], top=90, name="Age"),
           "Gender": build_categories(df["Gender"], [], name="Gender"),
           "ZIP": build_redaction(df["ZIP"], name="ZIP"),
           "Date of Admission": build_dates(df["Date of Admission"], name="Date of Admission")}
    models = [KAnonymity(5), DistinctLDiversity("Medical Condition", 3)]
    res = search(df, qis, models, suppression_limit=0.05)
    out = apply(df, qis, res.best.levels, models, suppression_limit=0.05)
    cols = list(qis)
    assert anonymity.k_anonymity(out.data, cols) >= 5
    assert anonymity.l_diversity(out.data, cols, ["Medical Condition"]) >= 3
    assert out.suppressed.sum() <= 150 and len(out.data) == 3000 - out.suppressed.sum()
    # the other columns are untouched
    kept = df.loc[~out.suppressed].reset_index(drop=True)
    assert out.data["Name"].equals(kept["Name"])


def test_adult_t_closeness_release_measured_on_output(adult):
    df, qis, occupation = adult
    models = [KAnonymity(5), TCloseness("occupation", 0.2, "hierarchical", occupation)]
    levels = dict(zip(ORDER, ARX["k5_t02_hier_5"][0]))
    out = apply(df, qis, levels, models, suppression_limit=0.05, suppressed="star")
    assert len(out.data) == len(df)
    assert (out.data.loc[out.suppressed, ORDER] == "*").all().all()
    kept = out.data.loc[~out.suppressed]
    again = measure_models(kept, ORDER, models, reference=df)
    assert again["k"] >= 5 and again["t[occupation]"] <= 0.2 + 1e-12
    assert again == pytest.approx(out.measured)
    assert anonymity.k_anonymity(kept, ORDER) >= 5


def test_objectives_discernibility_and_entropy_find_their_own_optimum(adult):
    df, qis, _ = adult
    small = {c: qis[c] for c in ["sex", "age", "race", "education"]}
    sample = df.iloc[:3000]
    for objective in ("discernibility", "entropy"):
        res = search(sample, small, [KAnonymity(10)], suppression_limit=0.02,
                     objective=objective, top=1000, exact_top=True)
        values = []
        for levels in itertools.product(*[range(h.height) for h in small.values()]):
            lv = dict(zip(small, levels))
            try:
                out = apply(sample, small, lv, [KAnonymity(10)], suppression_limit=0.02)
            except PrivacyModelError:
                continue
            if objective == "discernibility":
                values.append(metrics.discernibility(out.class_sizes, int(out.suppressed.sum())))
            else:
                values.append(metrics.non_uniform_entropy(sample, small, lv, out.suppressed))
        assert res.best.objective == pytest.approx(min(values))
        assert len(res.candidates) == len(values)


def _lp_emd(p, q, dist):
    m = len(p)
    a_eq = []
    for i in range(m):
        row = np.zeros((m, m))
        row[i, :] = 1
        a_eq.append(row.ravel())
    for j in range(m):
        col = np.zeros((m, m))
        col[:, j] = 1
        a_eq.append(col.ravel())
    res = linprog(dist.ravel(), A_eq=np.array(a_eq), b_eq=np.concatenate([p, q]),
                  bounds=(0, None), method="highs")
    return res.fun


def test_t_closeness_distances_equal_earth_movers_distance_by_linear_programming():
    rng = np.random.default_rng(7)
    values = ["a", "b", "c", "d", "e", "f"]
    tree = build_categories(pd.Series(values), [{"a": "x", "b": "x", "c": "x", "d": "y",
                                                 "e": "y", "f": "z"},
                                                {"x": "X", "y": "X", "z": "Z"}], name="s")
    ref = Reference.of(pd.Series(rng.choice(values, 200)), "s")
    m = len(ref.categories)
    labels = [tree.generalize(pd.Series(ref.categories), lv).to_numpy()
              for lv in range(tree.height)]
    d_hier = np.array([[next(lv for lv in range(tree.height) if labels[lv][i] == labels[lv][j])
                        / (tree.height - 1) for j in range(m)] for i in range(m)])
    rank = np.array([sorted(ref.categories).index(c) for c in ref.categories])
    d_ord = np.abs(np.subtract.outer(rank, rank)) / (m - 1)
    d_eq = 1.0 - np.eye(m)
    hist = rng.integers(0, 6, size=(25, m)).astype(float)
    hist[hist.sum(axis=1) == 0, 0] = 1
    q = hist / hist.sum(axis=1, keepdims=True)
    for model, dist in ((TCloseness("s", 0.3, "hierarchical", tree), d_hier),
                        (TCloseness("s", 0.3, "ordered"), d_ord),
                        (TCloseness("s", 0.3, "equal"), d_eq)):
        got = model.distances(hist, ref)
        want = [_lp_emd(ref.p, row, dist) for row in q]
        assert got == pytest.approx(want, abs=1e-9)


def test_l_diversity_variants_on_a_known_class():
    hist = np.array([[6.0, 3.0, 1.0], [4.0, 4.0, 2.0], [10.0, 0.0, 0.0]])
    sizes = hist.sum(axis=1)
    assert DistinctLDiversity("s", 2).satisfied(sizes, hist, None).tolist() == [True, True, False]
    h = -(hist / 10 * np.log(np.where(hist > 0, hist / 10, 1))).sum(axis=1)
    assert EntropyLDiversity("s", 2.5).satisfied(sizes, hist, None).tolist() == \
        (h >= math.log(2.5)).tolist()
    # recursive (c=2, l=2): r1 < 2·(r2 + r3)
    assert RecursiveCLDiversity("s", 2, 2).satisfied(sizes, hist, None).tolist() == \
        [True, True, False]
    assert RecursiveCLDiversity("s", 1.4, 2).satisfied(sizes, hist, None).tolist() == \
        [False, True, False]


def _tiny():
    df = pd.DataFrame({"age": [21, 22, 23, 24, 35, 36, 37, 38, 51, 70],
                       "sex": list("MFMFMFMFMF"),
                       "dx": list("aabbaabbcc")})
    qis = {"age": build_intervals(df["age"], [5, 10], name="age"),
           "sex": Hierarchy.from_rows([["M", "*"], ["F", "*"]], name="sex")}
    return df, qis


def test_suppression_follows_arx_and_respects_the_limit():
    df, qis = _tiny()
    res = search(df, qis, [KAnonymity(2)], suppression_limit=0.2, top=50)
    assert res.best.suppressed <= 2
    for cand in res.candidates:
        assert cand.suppressed <= 2
        out = apply(df, qis, cand.levels, [KAnonymity(2)], suppression_limit=0.2)
        assert out.suppressed.sum() == cand.suppressed
        assert out.measured["k"] >= 2
    # a transformation that needs more suppression than allowed is refused
    with pytest.raises(PrivacyModelError, match="suppression limit allows 0"):
        apply(df, qis, {"age": 0, "sex": 0}, [KAnonymity(2)], suppression_limit=0.0)


def test_nothing_satisfies_gives_no_best_and_a_clear_apply_error():
    df, qis = _tiny()
    res = search(df, qis, [KAnonymity(11)])
    assert res.best is None and res.candidates == []


def test_input_errors_name_the_problem():
    df, qis = _tiny()
    with pytest.raises(InputError, match="'weight' is not a column"):
        search(df, {"weight": qis["age"]}, [KAnonymity(2)])
    with pytest.raises(InputError, match="no column 'nope'"):
        search(df, qis, [DistinctLDiversity("nope", 2)])
    with pytest.raises(InputError, match="between 0 and 1"):
        search(df, qis, [KAnonymity(2)], suppression_limit=5)
    with pytest.raises(InputError, match="objective"):
        search(df, qis, [KAnonymity(2)], objective="speed")
    with pytest.raises(InputError, match="at least one privacy model"):
        search(df, qis, [])
    with pytest.raises(InputError, match="both a quasi-identifier"):
        search(df, qis, [DistinctLDiversity("sex", 2)])
    with pytest.raises(InputError, match="k must be"):
        KAnonymity(0)
    with pytest.raises(InputError, match="hierarchy"):
        TCloseness("dx", 0.2, "hierarchical")


def test_cancel_stops_the_search():
    df, qis = _tiny()
    seen = []
    task = TaskState(lambda f, msg: seen.append(f), threading.Event())
    task.cancel()
    with pytest.raises(Cancelled):
        search(df, qis, [KAnonymity(2)], task=task)


def test_progress_is_reported_and_ends_at_one():
    df, qis = _tiny()
    seen = []
    search(df, qis, [KAnonymity(2)], task=TaskState(lambda f, msg: seen.append(f)))
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
