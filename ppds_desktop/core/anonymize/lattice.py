"""The generalization lattice and the encoded table that evaluates its nodes quickly.

A node is one level per quasi-identifier. The input is encoded once: every QI column becomes
leaf codes, and rows with the same codes (and the same sensitive values) are merged into one
entry with a weight, so evaluating a node works on the distinct combinations, not on the rows.
A node is evaluated by mapping each column's codes to its level's label codes (one gather),
combining the columns into one integer key (mixed radix) and counting per key: with
``np.bincount`` when the key space is small, with a hash factorization otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .hierarchy import Hierarchy
from .models import PrivacyModel, Reference

MAX_LATTICE = 2_000_000
_DENSE_LIMIT = 1 << 22          # key spaces up to this size are counted with bincount
_INT64_SAFE = 1 << 62


def combine_keys(columns: list[np.ndarray], radices: list[int]) -> tuple[np.ndarray, int]:
    """One int64 key per row for the tuple of ``columns`` (codes < radix), compressing
    with a factorization whenever the mixed-radix product would overflow. Returns the keys
    and the size of the key space."""
    m = len(columns[0]) if columns else 0
    key = np.zeros(m, dtype=np.int64)
    space = 1
    for col, radix in zip(columns, radices):
        if space * radix >= _INT64_SAFE:
            codes, uniques = pd.factorize(key)
            key, space = codes.astype(np.int64), len(uniques)
        if space > 1:                      # in place: this runs once per lattice node
            key *= radix
            key += col
        else:
            key[:] = col
        space *= radix
    return key, space


def first_rows(ids: np.ndarray, m: int) -> np.ndarray:
    """For each id 0..m-1, the first position in ``ids`` where it occurs."""
    first = np.zeros(m, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    return first


def group(key: np.ndarray, space: int) -> tuple[np.ndarray, int]:
    """Dense class ids (0..classes-1) for the keys."""
    if space <= _DENSE_LIMIT and space <= 8 * len(key) + 1024:
        present = np.zeros(space, dtype=np.int64)
        present[key] = 1
        ids = np.cumsum(present) - 1
        return ids[key], int(present.sum())
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64), len(uniques)


class Lattice:
    """All nodes (levels per QI) as an int array (row = mixed-radix index), with cone masks."""

    def __init__(self, heights: list[int]):
        size = int(np.prod(heights, dtype=np.float64)) if heights else 1
        if size > MAX_LATTICE:
            raise InputError(f"the generalization lattice has {size:,} transformations, more "
                             f"than {MAX_LATTICE:,}", hint="use fewer levels or fewer "
                             "quasi-identifiers, or local recoding (Mondrian)")
        self.heights = list(heights)
        self.size = size
        if heights:
            self.nodes = np.indices(heights, dtype=np.int16).reshape(len(heights), -1).T.copy()
        else:
            self.nodes = np.zeros((1, 0), dtype=np.int16)
        self.height_sum = self.nodes.sum(axis=1)
        self._strides = np.cumprod([1] + self.heights[:0:-1])[::-1]
        # per QI and level, the nodes at most / at least that level (cones become ANDs)
        self._le = self._ge = None
        if size * sum(self.heights) <= 64_000_000:
            self._le = [[self.nodes[:, d] <= v for v in range(h)]
                        for d, h in enumerate(self.heights)]
            self._ge = [[self.nodes[:, d] >= v for v in range(h)]
                        for d, h in enumerate(self.heights)]

    def below(self, idx: int) -> np.ndarray:
        """Mask of the nodes that specialize node ``idx`` (itself included)."""
        return self._cone(idx, self._le, np.less_equal)

    def above(self, idx: int) -> np.ndarray:
        """Mask of the nodes that generalize node ``idx`` (itself included)."""
        return self._cone(idx, self._ge, np.greater_equal)

    def _cone(self, idx: int, masks, compare) -> np.ndarray:
        node = self.nodes[idx]
        if masks is None:
            return np.all(compare(self.nodes, node), axis=1)
        out = masks[0][node[0]].copy() if len(node) else np.ones(self.size, dtype=bool)
        for d in range(1, len(node)):
            out &= masks[d][node[d]]
        return out

    def successors(self, idx: int) -> list[int]:
        """Nodes one level higher in exactly one QI."""
        node = self.nodes[idx]
        return [idx + int(self._strides[d]) for d, h in enumerate(self.heights)
                if node[d] + 1 < h]


@dataclass
class NodeEval:
    """What one node does to the table."""

    levels: tuple[int, ...]
    classes: int               # kept classes
    suppressed: int            # rows in classes that fail a model
    prunable_ok: bool          # monotone models satisfied within the limit
    anonymous: bool            # all models satisfied within the limit
    sums: np.ndarray | None    # per QI: Σ kept rows' domain share + suppressed rows (ARX)
    entropy: float | None      # non-uniform entropy (bits), suppressed rows fully generalized
    sq_sizes: float | None     # Σ size² of kept classes
    cut: bool = False          # not fully checked: already worse than the cutoff
    doomed: bool = False       # this node and all its specializations cannot be anonymous
    forced: int = 0            # rows every specialization must suppress (see search.py)
    sq_all: float = 0.0        # Σ size² over all classes, kept or not


@dataclass
class _Table:
    """Weighted distinct combinations: label codes per QI at ``levels`` (int32 arrays),
    sensitive value codes."""

    levels: tuple[int, ...]
    cols: list[np.ndarray]
    sens: dict[str, np.ndarray]
    w: np.ndarray

    @property
    def entries(self) -> int:
        return len(self.w)


class _Flat:
    """Per-QI, per-level lookup arrays concatenated into one array, so that one numpy gather
    looks up every QI at once: ``flat[offsets[d, key] + code]``."""

    def __init__(self, arrays: list[list[np.ndarray]], dtype):
        sizes = [[len(a) for a in per_d] for per_d in arrays]
        width = max(len(per_d) for per_d in arrays) if arrays else 0
        self.offsets = np.zeros((len(arrays), width), dtype=np.int64)
        pos = 0
        for d, per_d in enumerate(arrays):
            for j, size in enumerate(sizes[d]):
                self.offsets[d, j] = pos
                pos += size
        self.flat = np.concatenate([a for per_d in arrays for a in per_d]).astype(dtype) \
            if arrays else np.zeros(0, dtype=dtype)


class EncodedTable:
    """The input reduced to weighted distinct combinations of QI leaf codes and sensitive
    value codes, plus per-level lookup arrays. Holds no strings from the data.

    Roll-up (k-only tables): tables of evaluated nodes much smaller than their source are kept
    (least recently used first out, within three times the entries of the input table), and a
    node is computed from the smallest kept table of one of its specializations: a coarser
    node's classes are unions of a finer node's classes."""

    _MAX_CACHED = 64

    def __init__(self, df: pd.DataFrame, qis: dict[str, Hierarchy], models: list[PrivacyModel],
                 suppression_limit: float, task=None, codes: dict[str, np.ndarray] | None = None):
        """``codes``: the QIs' leaf codes (``h.encode(df[c])``) when the caller has them."""
        self.names = list(qis)
        self.hier = [qis[c] for c in self.names]
        self.n = len(df)
        self.limit = int(np.floor(suppression_limit * self.n + 1e-9))
        dims = len(self.hier)
        leaf_codes = []
        for i, (c, h) in enumerate(zip(self.names, self.hier)):
            if codes is not None:
                leaf_codes.append(codes[c])
                continue
            if task is not None:
                task.report(0.1 * i / max(dims, 1), f"encoding {c}")
            leaf_codes.append(h.encode(df[c], column=c))
        sens_names = sorted({m.sensitive for m in models if m.sensitive is not None})
        self.refs = {s: Reference.of(df[s], s) for s in sens_names}
        cols = leaf_codes + [self.refs[s].codes for s in sens_names]
        radices = [len(h.leaves) for h in self.hier] + [len(self.refs[s].categories)
                                                          for s in sens_names]
        if self.n and cols:
            key, space = combine_keys(cols, radices)
            ids, m = group(key, space)
        else:
            ids, m = np.zeros(self.n, dtype=np.int64), min(self.n, 1)
        w = np.bincount(ids, minlength=m).astype(np.float64)
        first = first_rows(ids, m)
        self.row_entry = ids
        base_cols = [np.ascontiguousarray(c[first], dtype=np.int32) for c in leaf_codes]
        self.base = _Table(tuple(0 for _ in self.hier), base_cols,
                           {s: self.refs[s].codes[first].astype(np.int64) for s in sens_names}, w)
        self.entries = self.base.entries
        self.leaves = np.array([len(h.leaves) for h in self.hier], dtype=np.float64)
        self.n_labels: list[list[int]] = []
        lifts, shares, logs = [], [], []
        self.full_share, self.full_entropy = [], []
        # per QI and level: the least a suppressed row adds to the Σ of shares / entropy
        self.min_share_gain, self.min_entropy_gain = [], []
        for d, h in enumerate(self.hier):
            maps = [h.level_map(lv) for lv in range(h.height)]
            self.n_labels.append([int(m.max()) + 1 for m in maps])
            reps = [first_rows(mp, int(mp.max()) + 1) for mp in maps]   # a leaf per label
            # lift[a * height + b]: label on level a → its ancestor on level b (b ≥ a)
            lifts.append([maps[max(a, b)][reps[a]] for a in range(h.height)
                          for b in range(h.height)])
            leaf_count = np.bincount(base_cols[d], weights=w, minlength=len(h.leaves))
            sh, lg, fs, fe = [], [], [], []
            for mp in maps:
                sh.append(np.bincount(mp) / len(h.leaves))
                label_count = np.bincount(mp, weights=leaf_count)
                lg.append(np.log2(np.maximum(label_count, 1)))
                fs.append(float((leaf_count * sh[-1][mp]).sum()))
                cost = np.where(leaf_count > 0, lg[-1][mp] - np.log2(np.maximum(leaf_count, 1)), 0)
                fe.append(float((leaf_count * cost).sum()))
            present = [np.bincount(mp, weights=leaf_count) > 0 for mp in maps]
            top_of = [maps[-1][reps[lv]] for lv in range(h.height)]
            self.min_share_gain.append(np.array(
                [1.0 - sh[lv][present[lv]].max(initial=0.0) for lv in range(h.height)]))
            self.min_entropy_gain.append(np.array(
                [(lg[-1][top_of[lv]] - lg[lv])[present[lv]].min(initial=0.0)
                 for lv in range(h.height)]))
            shares.append(sh)
            logs.append(lg)
            self.full_share.append(np.array(fs))
            self.full_entropy.append(np.array(fe))
        self._lift = _Flat(lifts, np.int32)
        self._lifts = [[[np.asarray(per_d[a * h + b], dtype=np.int32) for b in range(h)]
                        for a in range(h)] for per_d, h in zip(lifts, self.heights)]
        self._share = _Flat(shares, np.float64)
        self._log = _Flat(logs, np.float64)
        self._heights = np.array([h.height for h in self.hier], dtype=np.int64)
        self._dim = np.arange(dims)
        # Without suppression every model is monotone (a union of classes that satisfy
        # l-diversity or t-closeness satisfies it too: entropy is concave, EMD convex), so all
        # of them can prune; with suppression only k and distinct l can.
        self.prunable = [m for m in models if m.monotone_with_suppression or self.limit == 0]
        self.checked = [m for m in models if m not in self.prunable]
        self._cache: list[_Table] = []
        self._cache_levels = np.zeros((0, dims), dtype=np.int64)

    def row_codes(self, d: int) -> np.ndarray:
        """Leaf codes of QI ``d`` for every input row."""
        return self.base.cols[d][self.row_entry]

    @property
    def heights(self) -> list[int]:
        return [h.height for h in self.hier]

    def _source(self, levels: np.ndarray) -> _Table:
        if not self._cache:
            return self.base
        fits = np.flatnonzero(np.all(self._cache_levels <= levels, axis=1))
        if not len(fits):
            return self.base
        i = int(fits[np.argmin([self._cache[j].entries for j in fits])])
        table = self._cache.pop(i)                 # most recently used goes last
        self._cache.append(table)
        self._cache_levels = np.array([t.levels for t in self._cache], dtype=np.int64)
        return table

    def _remember(self, table: _Table) -> None:
        self._cache.append(table)
        while len(self._cache) > 1 and (len(self._cache) > self._MAX_CACHED or sum(
                t.entries for t in self._cache) > 3 * self.entries):
            self._cache.pop(0)
        self._cache_levels = np.array([t.levels for t in self._cache], dtype=np.int64)

    def classify(self, levels, *, from_base: bool = False):
        """(source table, label codes per QI at ``levels`` per entry (list of arrays), class
        id per entry, number of class ids, class sizes). Without sensitive columns and with a
        small key space the key is the class id, so some ids are unused (size 0)."""
        levels = [int(x) for x in levels]
        src = self.base if from_base else self._source(np.asarray(levels))
        m = src.entries
        cols = [src.cols[d] if a == b else np.take(self._lifts[d][a][b], src.cols[d])
                for d, (a, b) in enumerate(zip(src.levels, levels))]
        key, space = combine_keys(cols, [self.n_labels[d][b] for d, b in enumerate(levels)])
        if not src.sens and space <= _DENSE_LIMIT and space <= 8 * m + 1024:
            # no class histograms needed: the key itself is the class id (classes without
            # rows have size 0, fail every model and hold no rows)
            return src, cols, key, space, np.bincount(key, weights=src.w, minlength=space)
        ids, k = group(key, space)
        sizes = np.bincount(ids, weights=src.w, minlength=k)
        return src, cols, ids, k, sizes

    def failing(self, models: list[PrivacyModel], src: _Table, ids, k, sizes,
                forced: np.ndarray | None = None) -> np.ndarray:
        """Mask of classes that fail any of ``models``; raises ``forced`` (per class) to each
        model's bound of rows failing in any refinement (see ``PrivacyModel.assess``)."""
        bad = np.zeros(k, dtype=bool)
        hists: dict[str, np.ndarray] = {}
        for m in models:
            hist = None
            if m.sensitive is not None:
                if m.sensitive not in hists:
                    hists[m.sensitive] = self.histogram(m.sensitive, src, ids, k)
                hist = hists[m.sensitive]
            ok, must_fail = m.assess(sizes, hist, self.refs.get(m.sensitive))
            bad |= ~ok
            if forced is not None:
                np.maximum(forced, must_fail, out=forced)
        return bad

    def histogram(self, column: str, src: _Table, ids, k) -> np.ndarray:
        s = len(self.refs[column].categories)
        flat = np.bincount(ids * s + src.sens[column], weights=src.w, minlength=k * s)
        return flat.reshape(k, s)

    def evaluate(self, levels, *, cutoff: float | None = None, value=None) -> NodeEval:
        """Classes, suppression and objective parts of one node. With ``cutoff`` and
        ``value`` (NodeEval → objective), the non-monotone models are skipped when the
        objective with the monotone models' suppression alone already reaches the cutoff
        (more suppression can only make it worse)."""
        levels = tuple(int(x) for x in levels)
        src, cols, ids, k, sizes = self.classify(levels)
        bad = self.failing(self.prunable, src, ids, k, sizes)
        out_rows = int(round(sizes[bad].sum()))
        prunable_ok = out_rows <= self.limit
        ev = NodeEval(levels, int(k - bad.sum()), out_rows, prunable_ok, prunable_ok,
                      None, None, None, forced=out_rows, sq_all=float((sizes * sizes).sum()))
        if prunable_ok:
            can_cut = cutoff is not None and value is not None and np.isfinite(cutoff)
            if not self.checked or can_cut:
                self.objective_parts(ev, src, cols, ids, bad, sizes)
            if self.checked:
                if can_cut and value(ev) >= cutoff:
                    ev.cut, ev.anonymous = True, False
                else:
                    forced = np.where(bad, sizes, 0.0)
                    bad |= self.failing(self.checked, src, ids, k, sizes, forced)
                    ev.forced = int(np.floor(forced.sum() + 1e-9))
                    ev.doomed = ev.forced > self.limit
                    ev.suppressed = out_rows = int(round(sizes[bad].sum()))
                    ev.classes = int(k - bad.sum())
                    ev.anonymous = out_rows <= self.limit
                    if ev.anonymous:
                        self.objective_parts(ev, src, cols, ids, bad, sizes)
        if self.entries >= 2048 and not src.sens and 8 * np.count_nonzero(sizes) <= src.entries:
            self._remember(self._rolled_up(levels, src, cols, ids, k, sizes))
        return ev

    def objective_parts(self, ev: NodeEval, src: _Table, cols, ids, bad, sizes) -> None:
        """Fill ``ev.sums`` / ``entropy`` / ``sq_sizes`` for the kept classes (not ``bad``)."""
        levels = np.asarray(ev.levels, dtype=np.int64)
        entry_bad = bad[ids]
        wb = src.w[entry_bad]
        cb = np.array([c[entry_bad] for c in cols], dtype=np.int64).reshape(len(cols), -1)
        top = self._heights - 1
        share = self._share.flat[cb + self._share.offsets[self._dim, levels][:, None]]
        sums = np.array([f[lv] for f, lv in zip(self.full_share, ev.levels)]) \
            - (share * wb).sum(axis=1) + ev.suppressed
        top_cb = self._lift.flat[cb + self._lift.offsets[self._dim, levels * self._heights
                                                         + top][:, None]]
        gain = self._log.flat[top_cb + self._log.offsets[self._dim, top][:, None]] \
            - self._log.flat[cb + self._log.offsets[self._dim, levels][:, None]]
        ent = sum(f[lv] for f, lv in zip(self.full_entropy, ev.levels)) + float((gain * wb).sum())
        kept = sizes[~bad]
        ev.sums, ev.entropy, ev.sq_sizes = sums, ent, float((kept * kept).sum())

    def _rolled_up(self, levels, src: _Table, cols, ids, k, sizes) -> _Table:
        if not src.sens:
            first = first_rows(ids, k)
            used = np.flatnonzero(sizes > 0)
            return _Table(levels, [c[first[used]] for c in cols], {}, sizes[used])
        names = list(src.sens)
        key, space = combine_keys([ids] + [src.sens[s] for s in names],
                                  [k] + [len(self.refs[s].categories) for s in names])
        ids2, m = group(key, space)
        w = np.bincount(ids2, weights=src.w, minlength=m)
        first = first_rows(ids2, m)
        return _Table(levels, [c[first] for c in cols], {s: src.sens[s][first] for s in names}, w)
