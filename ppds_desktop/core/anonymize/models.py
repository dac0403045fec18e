"""Privacy models, evaluated on whole tables of equivalence classes at once.

Every model answers, for an array of classes (their sizes, and per sensitive column a
class × value count matrix), which classes satisfy it (:meth:`PrivacyModel.satisfied`) and
what it achieves (:meth:`PrivacyModel.measure`). The search engine suppresses the classes
that fail any model, as ARX does. ``monotone_with_suppression`` says whether "suppressed rows
≤ limit" can only get better when generalizing (true for k-anonymity and distinct
l-diversity: a union containing one good class is good); the search prunes with those models
only, and checks the others node by node.

t-closeness compares each class with the distribution of the whole input (ARX's choice):
equal distance = total variation; ordered distance = Earth Mover's Distance over the sorted
values, normalized by (m − 1); hierarchical distance = EMD whose ground distance is the
height of the lowest common ancestor in the sensitive column's hierarchy divided by its
height (Li et al., 2007).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..risk import class_ids
from .hierarchy import Hierarchy, as_text


@dataclass
class Reference:
    """One sensitive column of the input: value codes per row and the overall distribution."""

    name: str
    codes: np.ndarray            # int32 per input row
    categories: list[str]        # text of each code
    p: np.ndarray                # overall distribution over the codes
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, values: pd.Series, name: str) -> "Reference":
        s = pd.Series(values)
        if s.isna().any():
            s = s.astype(object).where(s.notna(), "")
        codes, uniques = pd.factorize(s)
        counts = np.bincount(codes, minlength=len(uniques)).astype(float)
        return cls(name, codes.astype(np.int32), as_text(pd.Series(uniques)).tolist(),
                   counts / max(counts.sum(), 1.0))


class PrivacyModel:
    """Base class. Subclasses set ``sensitive`` (column name or None)."""

    sensitive: str | None = None
    monotone_with_suppression = False

    def satisfied(self, sizes: np.ndarray, hist: np.ndarray | None,
                  ref: Reference | None) -> np.ndarray:
        raise NotImplementedError

    def measure(self, sizes: np.ndarray, hist: np.ndarray | None,
                ref: Reference | None) -> float:
        raise NotImplementedError

    def assess(self, sizes: np.ndarray, hist: np.ndarray | None,
               ref: Reference | None) -> tuple[np.ndarray, np.ndarray]:
        """(classes that satisfy the model, per class the rows that must fail in *any*
        refinement of it).

        The second array lets the search prune downward: however a class is split into
        smaller classes (a more specific node), at least that many of its rows end up in
        failing sub-classes. Monotone models (k, distinct l) lose every row of a failing
        class; others give a weaker bound or 0."""
        ok = self.satisfied(sizes, hist, ref)
        if self.monotone_with_suppression:
            return ok, np.where(ok, 0.0, sizes)
        return ok, np.zeros(len(ok))

    @property
    def key(self) -> str:
        """Name of the measured figure in ``AnonymizationResult.measured``."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def _positive_int(name: str, value, minimum: int = 1) -> int:
    if int(value) != value or value < minimum:
        raise InputError(f"{name} must be a whole number ≥ {minimum}, not {value}")
    return int(value)


class KAnonymity(PrivacyModel):
    monotone_with_suppression = True

    def __init__(self, k: int):
        self.k = _positive_int("k", k)

    def satisfied(self, sizes, hist, ref):
        return sizes >= self.k

    def measure(self, sizes, hist, ref):
        return float(sizes.min()) if len(sizes) else math.inf

    @property
    def key(self) -> str:
        return "k"

    def describe(self) -> str:
        return f"{self.k}-anonymity"


class _LDiversity(PrivacyModel):
    def __init__(self, column: str, l: float):
        self.sensitive = column
        if not l >= 1:
            raise InputError(f"l must be ≥ 1, not {l}")
        self.l = l

    @property
    def key(self) -> str:
        return f"l[{self.sensitive}]"


class DistinctLDiversity(_LDiversity):
    """At least l different sensitive values in every class."""

    monotone_with_suppression = True

    def __init__(self, column: str, l: int):
        super().__init__(column, _positive_int("l", l))

    def satisfied(self, sizes, hist, ref):
        return np.count_nonzero(hist, axis=1) >= self.l

    def measure(self, sizes, hist, ref):
        return float(np.count_nonzero(hist, axis=1).min()) if len(hist) else math.inf

    def describe(self) -> str:
        return f"distinct {self.l}-diversity of '{self.sensitive}'"


def _entropy(hist: np.ndarray) -> np.ndarray:
    sizes = hist.sum(axis=1, keepdims=True)
    q = hist / np.maximum(sizes, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0.0)
    return -terms.sum(axis=1)


class EntropyLDiversity(_LDiversity):
    """Shannon entropy of the sensitive values in every class ≥ log(l)."""

    def satisfied(self, sizes, hist, ref):
        return _entropy(hist) >= math.log(self.l) - 1e-12

    def assess(self, sizes, hist, ref):
        """Entropy is concave: H(class) ≥ Σ share·H(part), parts that pass have H ≥ log l and
        failing ones H ≥ 0, so at least size·(1 − H/log l) rows fail in any split."""
        h = _entropy(hist)
        ok = h >= math.log(self.l) - 1e-12
        if self.l <= 1:
            return ok, np.zeros(len(ok))
        return ok, np.where(ok, 0.0, sizes * (1.0 - h / math.log(self.l)))

    def measure(self, sizes, hist, ref):
        return float(np.exp(_entropy(hist).min())) if len(hist) else math.inf

    def describe(self) -> str:
        return f"entropy {self.l:g}-diversity of '{self.sensitive}'"


class RecursiveCLDiversity(_LDiversity):
    """Recursive (c,l)-diversity: r1 < c·(r_l + r_(l+1) + … + r_m), r sorted descending."""

    def __init__(self, column: str, c: float, l: int):
        super().__init__(column, _positive_int("l", l, 2))
        if not c > 0:
            raise InputError(f"c must be positive, not {c}")
        self.c = float(c)

    def _top_and_tail(self, hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per class: r1 and r_l + … + r_m."""
        r = -np.sort(-hist, axis=1)
        return r[:, 0], r[:, self.l - 1:].sum(axis=1)

    def satisfied(self, sizes, hist, ref):
        top, tail = self._top_and_tail(hist)
        return (np.count_nonzero(hist, axis=1) >= self.l) & (self.c * tail - top > 0)

    def measure(self, sizes, hist, ref):
        """The smallest c' for which every class is recursive-(c', l)-diverse."""
        if not len(hist):
            return 0.0
        top, tail = self._top_and_tail(hist)
        with np.errstate(divide="ignore"):
            return float(np.max(np.where(tail > 0, top / np.maximum(tail, 1), np.inf)))

    @property
    def key(self) -> str:
        return f"c[{self.sensitive}]"

    def describe(self) -> str:
        return f"recursive ({self.c:g},{self.l})-diversity of '{self.sensitive}'"


DISTANCES = ("equal", "ordered", "hierarchical")


class TCloseness(PrivacyModel):
    """Every class's sensitive distribution within EMD t of the whole input's."""

    def __init__(self, column: str, t: float, distance: str = "equal",
                 hierarchy: Hierarchy | None = None):
        self.sensitive = column
        if not 0 <= t <= 1:
            raise InputError(f"t must be between 0 and 1, not {t}")
        if distance not in DISTANCES:
            raise InputError(f"t-closeness distance must be one of {', '.join(DISTANCES)}")
        if distance == "hierarchical" and hierarchy is None:
            raise InputError(f"hierarchical t-closeness of '{column}' needs a hierarchy "
                             "for that column")
        self.t = float(t)
        self.distance = distance
        self.hierarchy = hierarchy

    @property
    def key(self) -> str:
        return f"t[{self.sensitive}]"

    def describe(self) -> str:
        return f"{self.t:g}-closeness of '{self.sensitive}' ({self.distance} distance)"

    def distances(self, hist: np.ndarray, ref: Reference) -> np.ndarray:
        """EMD of every class (row of ``hist``) from the overall distribution."""
        sizes = hist.sum(axis=1, keepdims=True)
        q = hist / np.maximum(sizes, 1)
        diff = q - ref.p[None, :]
        if self.distance == "equal":
            return 0.5 * np.abs(diff).sum(axis=1)
        if self.distance == "ordered":
            order = self._order(ref)
            m = len(order)
            if m < 2:
                return np.zeros(len(hist))
            return np.abs(np.cumsum(diff[:, order], axis=1)).sum(axis=1) / (m - 1)
        return self._hierarchical(diff, ref)

    def _order(self, ref: Reference) -> np.ndarray:
        key = ("order", id(self))
        if key not in ref._cache:
            nums = pd.to_numeric(pd.Series(ref.categories), errors="coerce")
            if nums.notna().all():
                ref._cache[key] = np.argsort(nums.to_numpy(), kind="stable")
            else:
                ref._cache[key] = np.argsort(np.array(ref.categories, dtype=object), kind="stable")
        return ref._cache[key]

    def _hierarchical(self, diff: np.ndarray, ref: Reference) -> np.ndarray:
        """Li et al.'s closed form: Σ over inner nodes N of height(N)/H · min(pos, neg), where
        pos/neg sum the positive/negative surplus (q − p) of N's children."""
        h = self.hierarchy
        height = h.height - 1
        if height == 0:
            return np.zeros(len(diff))
        key = ("tree", id(self))
        if key not in ref._cache:
            leaf = h.encode(pd.Series(ref.categories), column=ref.name)
            steps = []
            for level in range(1, h.height):
                # children = labels of level-1 present in the data, parents = labels of level
                child, _ = pd.factorize(np.asarray(h.level_map(level - 1))[leaf])
                parent_of_leaf = np.asarray(h.level_map(level))[leaf]
                parent_of_child = np.zeros(child.max() + 1, dtype=np.int64)
                parent_of_child[child] = parent_of_leaf
                parent, _ = pd.factorize(parent_of_child)
                steps.append((level / height, _Grouper(child), _Grouper(parent)))
            ref._cache[key] = steps
        cost = np.zeros(len(diff))
        for weight, children, parents in ref._cache[key]:
            extra = children.sum(diff)
            pos = parents.sum(np.maximum(extra, 0))
            neg = parents.sum(np.maximum(-extra, 0))
            cost += weight * np.minimum(pos, neg).sum(axis=1)
        return cost

    def satisfied(self, sizes, hist, ref):
        return self.distances(hist, ref) <= self.t + 1e-12

    def assess(self, sizes, hist, ref):
        """EMD is convex in the class distribution, so no part of a class is farther than the
        farthest single value, e_max; a class at distance e > t therefore keeps at least
        size·(e − t)/(e_max − t) rows in failing parts of any split."""
        e = self.distances(hist, ref)
        ok = e <= self.t + 1e-12
        key = ("e_max", id(self))
        if key not in ref._cache:
            ref._cache[key] = float(self.distances(np.eye(len(ref.categories)), ref).max())
        e_max = ref._cache[key]
        if e_max <= self.t:
            return ok, np.zeros(len(ok))
        return ok, np.where(ok, 0.0, sizes * (e - self.t) / (e_max - self.t))

    def measure(self, sizes, hist, ref):
        return float(self.distances(hist, ref).max()) if len(hist) else 0.0


class _Grouper:
    """Sums the columns of a matrix per group (``groups[j]`` = group of column j, groups
    numbered 0..g-1 without gaps) with one ``np.add.reduceat``."""

    def __init__(self, groups: np.ndarray):
        self.perm = np.argsort(groups, kind="stable")
        sorted_groups = np.asarray(groups)[self.perm]
        self.starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])

    def sum(self, matrix: np.ndarray) -> np.ndarray:
        return np.add.reduceat(matrix[:, self.perm], self.starts, axis=1)


def check_models(models: list[PrivacyModel], columns) -> None:
    """Raise :class:`InputError` if a model names a column that is not in the data, or if
    there is no model at all."""
    if not models:
        raise InputError("choose at least one privacy model (for example k-anonymity)")
    for m in models:
        if not isinstance(m, PrivacyModel):
            raise InputError(f"not a privacy model: {type(m).__name__}")
        if m.sensitive is not None and m.sensitive not in columns:
            raise InputError(f"{m.describe()}: no column '{m.sensitive}' in the data")


def measure_models(df: pd.DataFrame, qi_columns: list[str], models: list[PrivacyModel], *,
                   reference: pd.DataFrame | None = None) -> dict[str, float]:
    """Measure every model on ``df`` as it is (classes = equal QI values), independently of
    the search. t is measured against ``reference`` (the input) if given, else ``df``."""
    check_models(models, df.columns)
    out: dict[str, float] = {}
    if len(df) == 0:
        return {m.key: math.nan for m in models}
    cls = class_ids(df, qi_columns)
    n_cls = int(cls.max()) + 1
    sizes = np.bincount(cls, minlength=n_cls)
    for m in models:
        hist = ref = None
        if m.sensitive is not None:
            base = reference if reference is not None else df
            ref = Reference.of(base[m.sensitive], m.sensitive)
            index = {c: i for i, c in enumerate(ref.categories)}
            values = df[m.sensitive].astype(object).where(df[m.sensitive].notna(), "")
            row_codes, uniques = pd.factorize(values)
            lut = np.array([index.get(v, -1) for v in as_text(pd.Series(uniques))],
                           dtype=np.int64)
            codes = lut[row_codes]
            if (codes < 0).any():
                raise InputError(f"column '{m.sensitive}' has values that are not in the "
                                 "reference data")
            s = len(ref.categories)
            hist = np.bincount(cls * s + codes, minlength=n_cls * s).reshape(n_cls, s)
        out[m.key] = m.measure(sizes, hist, ref)
    return out
