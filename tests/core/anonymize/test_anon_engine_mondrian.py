"""Mondrian local recoding: every box has ≥ k rows (and ≥ l sensitive values), boxes follow
the data, strict boxes never overlap, relaxed cuts give at least as many boxes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from ppds_desktop.core.anonymize.mondrian import mondrian
from ppds_desktop.core.errors import InputError
from ppds_desktop.core.progress import TaskState


def _bounds(label: str) -> tuple[float, float]:
    parts = label.split("-") if not label.startswith("-") else [label]
    return (float(parts[0]), float(parts[-1]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 9), st.sampled_from("abc")),
                min_size=6, max_size=80),
       st.integers(2, 5), st.booleans(), st.booleans())
def test_boxes_satisfy_k_and_l_and_contain_their_rows(rows, k, strict, with_l):
    df = pd.DataFrame(rows, columns=["age", "score", "dx"])
    if len(df) < k:
        return
    l = 2 if with_l and df["dx"].nunique() >= 2 else None
    res = mondrian(df, ["age", "score"], k=k, l=l, sensitive="dx" if l else None, strict=strict)
    assert len(res.data) == len(df) and res.class_sizes.sum() == len(df)
    assert anonymity.k_anonymity(res.data, ["age", "score"]) >= k
    assert res.measured["k"] >= k
    if l:
        assert anonymity.l_diversity(res.data, ["age", "score"], ["dx"]) >= l
    for col in ("age", "score"):
        for raw, label in zip(df[col], res.data[col]):
            lo, hi = _bounds(label)
            assert lo <= raw <= hi
    if strict:
        boxes = res.data[["age", "score"]].drop_duplicates().to_numpy()
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                (a0, a1), (b0, b1) = _bounds(boxes[i][0]), _bounds(boxes[j][0])
                (c0, c1), (d0, d1) = _bounds(boxes[i][1]), _bounds(boxes[j][1])
                assert a1 < b0 or b1 < a0 or c1 < d0 or d1 < c0


def test_mondrian_splits_where_the_data_is_and_relaxed_boxes_hold_k_to_2k_rows():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"age": rng.integers(18, 90, 2000), "bmi": rng.normal(27, 4, 2000).round(1)})
    strict = mondrian(df, ["age", "bmi"], k=10)
    relaxed = mondrian(df, ["age", "bmi"], k=10, strict=False)
    assert strict.partitions > 2000 // 40
    # relaxed cuts halve the rows, so every final box holds k .. 2k-1 rows
    assert relaxed.class_sizes.min() >= 10 and relaxed.class_sizes.max() < 20
    assert 0 < relaxed.ncp < 0.2 and 0 < strict.ncp < 0.2
    assert strict.measured["k"] >= 10


def test_mondrian_errors_and_progress():
    df = pd.DataFrame({"age": [30, 31, 32, 33], "city": list("abcd"), "dx": list("xyxy")})
    with pytest.raises(InputError, match="'city' is not numeric"):
        mondrian(df, ["city"], k=2)
    with pytest.raises(InputError, match="fewer than k"):
        mondrian(df, ["age"], k=5)
    with pytest.raises(InputError, match="sensitive column"):
        mondrian(df, ["age"], k=2, l=2)
    seen = []
    res = mondrian(df, ["age"], k=2, l=2, sensitive="dx",
                   task=TaskState(lambda f, m: seen.append(f)))
    assert res.data["age"].tolist() == ["30-31", "30-31", "32-33", "32-33"]
    assert res.measured == {"k": 2.0, "l[dx]": 2.0} and seen[-1] == 1.0
