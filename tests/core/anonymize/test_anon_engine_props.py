"""Property tests: on random small tables, hierarchies and settings, the search finds the same
optimum and the same anonymous transformations as brute force over the whole lattice, written
here independently with pandas; and every release satisfies what it claims, checked with
pycanon and with the independent checker."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from ppds_desktop.core.anonymize.hierarchy import (
    Hierarchy, build_categories, build_intervals, build_redaction)
from ppds_desktop.core.anonymize.models import (
    DistinctLDiversity, EntropyLDiversity, KAnonymity, RecursiveCLDiversity, TCloseness)
from ppds_desktop.core.anonymize.search import apply, search

SENS = ["flu", "cold", "asthma", "gout"]
SENS_TREE = [{"flu": "infection", "cold": "infection", "asthma": "chronic", "gout": "chronic"}]


@st.composite
def problems(draw):
    n = draw(st.integers(4, 40))
    rows = draw(st.lists(st.tuples(st.integers(0, 11), st.sampled_from("abcde"),
                                   st.sampled_from(["1010", "1011", "1020", "2020"]),
                                   st.sampled_from(SENS)), min_size=n, max_size=n))
    df = pd.DataFrame(rows, columns=["num", "cat", "code", "dx"])
    qis = {"num": build_intervals(df["num"], draw(st.sampled_from([[2], [2, 4], [3, 6]])),
                                  name="num")}
    if draw(st.booleans()):
        groups = draw(st.sampled_from([{"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"},
                                       {"a": "x", "b": "y", "c": "z", "d": "z", "e": "z"}]))
        qis["cat"] = build_categories(df["cat"], [groups], name="cat")
    if draw(st.booleans()):
        qis["code"] = build_redaction(df["code"], step=2, name="code")
    spec = [("k", draw(st.integers(1, 4)))]
    extra = draw(st.sampled_from(["none", "distinct", "entropy", "recursive", "t_equal",
                                  "t_ordered", "t_hier"]))
    if extra == "distinct":
        spec.append(("distinct", 2))
    elif extra == "entropy":
        spec.append(("entropy", 1.7))
    elif extra == "recursive":
        spec.append(("recursive", (1.37, 2)))
    elif extra.startswith("t_"):
        spec.append((extra, draw(st.sampled_from([0.2237, 0.4129]))))
    limit = draw(st.sampled_from([0.0, 0.1, 0.25]))
    return df, qis, spec, limit


def engine_models(spec):
    tree = build_categories(pd.Series(SENS), SENS_TREE, name="dx")
    out = []
    for kind, p in spec:
        out.append({"k": lambda: KAnonymity(p),
                    "distinct": lambda: DistinctLDiversity("dx", p),
                    "entropy": lambda: EntropyLDiversity("dx", p),
                    "recursive": lambda: RecursiveCLDiversity("dx", *p),
                    "t_equal": lambda: TCloseness("dx", p, "equal"),
                    "t_ordered": lambda: TCloseness("dx", p, "ordered"),
                    "t_hier": lambda: TCloseness("dx", p, "hierarchical", tree)}[kind]())
    return out


def class_ok(values, overall: dict, spec) -> bool:
    """The models, written directly from their definitions (t with the formulas that the
    linear-programming test in test_anon_engine.py validates)."""
    counts = Counter(values)
    size = sum(counts.values())
    q = {v: counts.get(v, 0) / size for v in overall}
    diff = {v: q[v] - overall[v] for v in overall}
    for kind, p in spec:
        if kind == "k" and size < p:
            return False
        if kind == "distinct" and len(counts) < p:
            return False
        if kind == "entropy":
            if -sum(c / size * math.log(c / size) for c in counts.values()) < math.log(p) - 1e-12:
                return False
        if kind == "recursive":
            c, l = p
            r = sorted(counts.values(), reverse=True)
            if len(r) < l or not r[0] < c * sum(r[l - 1:]):
                return False
        if kind == "t_equal" and 0.5 * sum(abs(d) for d in diff.values()) > p + 1e-12:
            return False
        if kind == "t_ordered":
            order = sorted(overall)
            cum = np.abs(np.cumsum([diff[v] for v in order])).sum() / (len(order) - 1)
            if cum > p + 1e-12:
                return False
        if kind == "t_hier":
            # leaves under one group are 1/2 apart, leaves of different groups 1 apart:
            # move surplus inside each group first (cost 1/2), the rest across (cost 1)
            parent = SENS_TREE[0]
            cost, across = 0.0, {}
            for g in set(parent[v] for v in overall):
                inside = [diff[v] for v in overall if parent[v] == g]
                cost += 0.5 * min(sum(x for x in inside if x > 0), -sum(x for x in inside if x < 0))
                across[g] = sum(inside)
            cost += min(sum(x for x in across.values() if x > 0),
                        -sum(x for x in across.values() if x < 0))
            if cost > p + 1e-12:
                return False
    return True


def arx_loss(df, qis, levels, suppressed):
    """ARX's Loss from the definition: per QI mean domain share (suppressed = 1), normalized,
    geometric mean of (1 + loss)."""
    parts = []
    n = len(df)
    for col, h in qis.items():
        table = pd.DataFrame(h.rows())
        share = table[levels[col]].map(table[levels[col]].value_counts()) / len(table)
        by_leaf = dict(zip(table[0], share))
        s = df[col].astype(str).map(by_leaf).to_numpy()
        total = s[~suppressed].sum() + suppressed.sum()
        lo = n / len(table)
        parts.append((total - lo) / (n - lo) if n > lo else 0.0)
    return float(np.prod([(1 + v) ** (1 / len(parts)) for v in parts]) - 1)


def other_objectives(df, qis, gen, ids, suppressed):
    """Discernibility (Σ kept size² + n per suppressed row) and non-uniform entropy
    (Σ −log2 P(raw | generalized) over the input, suppressed rows fully generalized), from
    the definitions."""
    n = len(df)
    kept = np.bincount(ids[~suppressed]) if (~suppressed).any() else np.zeros(0)
    dm = float((kept.astype(float) ** 2).sum() + suppressed.sum() * n)
    bits = 0.0
    for c in qis:
        raw = df[c].astype(str).tolist()
        labels = gen[c].tolist()
        raw_count, label_count = Counter(raw), Counter(labels)
        for r, g, out in zip(raw, labels, suppressed):
            bits += math.log2((n if out else label_count[g]) / raw_count[r])
    return dm, bits


def brute_force(df, qis, spec, limit):
    counts = Counter(df["dx"])
    overall = {v: c / len(df) for v, c in counts.items()}
    dx = df["dx"].tolist()
    max_out = math.floor(limit * len(df) + 1e-9)
    found = {}
    for levels in itertools.product(*[range(h.height) for h in qis.values()]):
        lv = dict(zip(qis, levels))
        gen = pd.DataFrame({c: h.generalize(df[c], lv[c]) for c, h in qis.items()})
        ids = gen.groupby(list(qis), sort=False).ngroup().to_numpy()
        suppressed = np.zeros(len(df), dtype=bool)
        classes = 0
        for g in range(ids.max() + 1 if len(ids) else 0):
            rows = np.flatnonzero(ids == g)
            if class_ok([dx[i] for i in rows], overall, spec):
                classes += 1
            else:
                suppressed[rows] = True
        if suppressed.sum() <= max_out:
            found[levels] = (arx_loss(df, qis, lv, suppressed), int(suppressed.sum()), classes,
                             *other_objectives(df, qis, gen, ids, suppressed))
    return found


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:In a future version, the keys of `groups`")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_search_equals_brute_force_and_releases_keep_their_promise(problem):
    df, qis, spec, limit = problem
    models = engine_models(spec)
    size = int(np.prod([h.height for h in qis.values()]))
    res = search(df, qis, models, suppression_limit=limit, top=size, exact_top=True)
    truth = brute_force(df, qis, spec, limit)
    if not truth:
        assert res.best is None
        return
    assert math.isclose(res.best.loss, min(v[0] for v in truth.values()), abs_tol=1e-9)
    for objective, column in (("discernibility", 3), ("entropy", 4)):
        other = search(df, qis, models, suppression_limit=limit, objective=objective, top=1)
        assert math.isclose(other.best.objective, min(v[column] for v in truth.values()),
                            rel_tol=1e-9, abs_tol=1e-9)
    # with top = lattice size and exact_top the candidates are all anonymous transformations
    got = {tuple(c.levels.values()): (c.loss, c.suppressed, c.classes) for c in res.candidates}
    assert set(got) == set(truth)
    for levels, (loss, suppressed, classes, _dm, _bits) in truth.items():
        assert math.isclose(got[levels][0], loss, abs_tol=1e-9)
        assert got[levels][1:] == (suppressed, classes)
    # the release of the optimum satisfies the models, measured on the output
    # without exact_top the candidates are some of them, with the same figures, best first
    quick = search(df, qis, models, suppression_limit=limit, top=5)
    assert quick.best.loss == res.best.loss
    assert 1 <= len(quick.candidates) <= 5
    assert [c.loss for c in quick.candidates] == sorted(c.loss for c in quick.candidates)
    for c in quick.candidates:
        assert got[tuple(c.levels.values())] == (c.loss, c.suppressed, c.classes)
    out = apply(df, qis, res.best.levels, models, suppression_limit=limit)
    assert out.suppressed.sum() == res.best.suppressed <= math.floor(limit * len(df) + 1e-9)
    if len(out.data):
        k = dict(spec)["k"]
        assert anonymity.k_anonymity(out.data, list(qis)) >= k
        if "distinct" in dict(spec):
            assert anonymity.l_diversity(out.data, list(qis), ["dx"]) >= 2
        overall = {v: c / len(df) for v, c in Counter(df["dx"]).items()}
        ids = out.data.groupby(list(qis), sort=False).ngroup().to_numpy()
        dx = out.data["dx"].tolist()
        for g in range(ids.max() + 1):
            assert class_ok([dx[i] for i in np.flatnonzero(ids == g)], overall, spec)


def test_single_hierarchy_level_and_empty_table_are_handled():
    flat = Hierarchy.from_rows([["a"], ["b"]], name="c")
    df = pd.DataFrame({"c": ["a", "a", "b", "b"], "dx": ["x", "y", "x", "y"]})
    res = search(df, {"c": flat}, [KAnonymity(2)])
    assert res.best.levels == {"c": 0} and res.stats.lattice_size == 1
    empty = df.iloc[:0]
    res = search(empty, {"c": flat}, [KAnonymity(2)])
    assert res.best is not None and res.best.suppressed == 0
