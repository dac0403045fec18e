"""Optimal full-domain generalization: search the lattice, then apply the chosen node.

The search is a best-first branch and bound in the spirit of ARX's Flash/OLA family:

* Every node gets a free lower bound of the objective: its value if nothing were suppressed
  (for Loss and entropy this is a per-column constant, so the bound costs no data pass and
  grows with generalization). Nodes are visited in increasing bound; the search stops as soon
  as the bound reaches the best anonymous value found, which is then the optimum. The
  candidates (ARX's explore list) are the ``top`` best anonymous transformations met; if
  fewer were met, generalizations of the ones found are checked to fill the list (at most
  4·top checks). With ``exact_top=True`` the search goes on until the candidates are
  provably the ``top`` best of the whole lattice, which costs more checks.
* A node's bound is raised by the rows it must suppress: rows failing the monotone models can
  only become fewer when generalizing (and ``assess`` bounds the others), so every checked
  node gives a floor to all the nodes below it, and a suppressed row adds at least
  (1 − the largest share on that level).
* Anonymity is learned with predictive tagging on the monotone part of the models
  (k-anonymity and distinct l-diversity with suppression): a node that passes makes all its
  generalizations pass, a node that fails makes all its specializations fail. Before an
  unknown node is evaluated, a path of unknown nodes is drawn upward from it (cheapest bound
  first) and binary-searched, as Flash does, so one failing node high up prunes a whole cone
  below it (without suppression the top of the path is tried first: anonymous nodes then
  form a thin layer at the top of the lattice). Without suppression every model is
  monotone; with suppression, the others (entropy/recursive l-diversity, t-closeness) are
  checked on every node that passes the monotone ones, as ARX does, and a node whose failing
  classes force more suppressed rows than allowed in every refinement rules out its cone
  (``PrivacyModel.assess``).

Suppression follows ARX: the rows of every class that fails a model are suppressed, and a
node is anonymous when they are at most ⌊limit · n⌋.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError, PrivacyModelError
from ..progress import TaskState
from .hierarchy import TOP, Hierarchy
from .lattice import EncodedTable, Lattice, NodeEval
from .metrics import granularity_from_sums, loss_from_sums, normalized_losses
from .models import PrivacyModel, check_models

OBJECTIVES = ("loss", "discernibility", "entropy")
SUPPRESSED_MODES = ("drop", "star")


@dataclass(frozen=True)
class Transformation:
    """One node of the lattice with what it does to the data."""

    levels: dict[str, int]
    objective: float
    loss: float
    granularity: float
    suppressed: int
    classes: int

    def as_dict(self) -> dict:
        return {"levels": dict(self.levels), "objective": self.objective, "loss": self.loss,
                "granularity": self.granularity, "suppressed": self.suppressed,
                "classes": self.classes}


@dataclass
class SearchStats:
    lattice_size: int
    checked: int               # nodes whose classes were computed
    entries: int               # distinct QI/sensitive combinations the search worked on
    seconds: float

    @property
    def pruned(self) -> int:
        """Nodes decided without computing their classes (tagging, bounds)."""
        return self.lattice_size - self.checked


@dataclass
class SearchResult:
    objective: str
    best: Transformation | None
    candidates: list[Transformation]
    stats: SearchStats


@dataclass
class AnonymizationResult:
    data: pd.DataFrame
    suppressed: np.ndarray                 # bool per input row
    class_sizes: np.ndarray                # kept classes
    measured: dict[str, float]             # model key ("k", "l[col]", "t[col]", ...) → value
    levels: dict[str, int]
    loss: float
    granularity: float
    suppressed_rows: int = 0


def _check_inputs(df: pd.DataFrame, qis: dict[str, Hierarchy], models: list[PrivacyModel],
                  suppression_limit: float) -> None:
    if not isinstance(df, pd.DataFrame):
        raise InputError("the data must be a table (pandas DataFrame)")
    for c, h in qis.items():
        if c not in df.columns:
            raise InputError(f"quasi-identifier '{c}' is not a column of the data")
        if not isinstance(h, Hierarchy):
            raise InputError(f"quasi-identifier '{c}' needs a generalization hierarchy")
    check_models(models, df.columns)
    for m in models:
        if m.sensitive in qis:
            raise InputError(f"column '{m.sensitive}' cannot be both a quasi-identifier and "
                             "the sensitive attribute of a model")
    if not 0.0 <= float(suppression_limit) <= 1.0:
        raise InputError(f"the suppression limit must be between 0 and 1 (a fraction of the "
                         f"rows), not {suppression_limit}")


def _lower_bounds(table: EncodedTable, lattice: Lattice, objective: str) -> np.ndarray:
    nodes = lattice.nodes
    if objective == "loss":
        acc = np.zeros(lattice.size)
        for d in range(len(table.hier)):
            lb = normalized_losses(table.full_share[d], table.n,
                                   np.full(len(table.full_share[d]), table.leaves[d]))
            acc += np.log1p(lb)[nodes[:, d]]
        return np.exp(acc / max(len(table.hier), 1)) - 1.0
    if objective == "entropy":
        acc = np.zeros(lattice.size)
        for d in range(len(table.hier)):
            acc += table.full_entropy[d][nodes[:, d]]
        return acc
    # discernibility: Σ size² ≥ n² / (number of classes) ≥ n² / min(label combinations, entries)
    log_space = np.zeros(lattice.size)
    for d in range(len(table.hier)):
        log_space += np.log(np.array(table.n_labels[d], dtype=float))[nodes[:, d]]
    classes = np.minimum(np.exp(log_space), max(table.entries, 1))
    return float(table.n) ** 2 / classes


def _raised_bound(table: EncodedTable, levels, lb: float, suppressed: int,
                  objective: str, squares: float = 0.0) -> float:
    """The lower bound of a node that must suppress at least ``suppressed`` rows (and, for
    discernibility, whose classes have at least ``squares`` as Σ size²)."""
    if objective == "loss":
        sums = [table.full_share[d][lv] + suppressed * table.min_share_gain[d][lv]
                for d, lv in enumerate(levels)]
        return loss_from_sums(np.array(sums), table.n, table.leaves)
    if objective == "entropy":
        return lb + suppressed * sum(table.min_entropy_gain[d][lv] for d, lv in enumerate(levels))
    return max(lb, squares, float(suppressed) * table.n)


def _value(ev: NodeEval, table: EncodedTable, objective: str) -> float:
    if objective == "loss":
        return loss_from_sums(ev.sums, table.n, table.leaves)
    if objective == "entropy":
        return float(ev.entropy)
    return float(ev.sq_sizes + ev.suppressed * table.n)


def _transformation(ev: NodeEval, table: EncodedTable, value: float) -> Transformation:
    return Transformation(
        levels=dict(zip(table.names, ev.levels)), objective=value,
        loss=loss_from_sums(ev.sums, table.n, table.leaves),
        granularity=granularity_from_sums(ev.sums, table.n, table.leaves),
        suppressed=ev.suppressed, classes=ev.classes)


def search(df: pd.DataFrame, qis: dict[str, Hierarchy], models: list[PrivacyModel], *,
           suppression_limit: float = 0.0, objective: str = "loss", top: int = 20,
           exact_top: bool = False, task: TaskState | None = None,
           codes: dict[str, np.ndarray] | None = None) -> SearchResult:
    """Find the full-domain generalization of ``qis`` that satisfies ``models`` with the
    lowest ``objective``, and the ``top`` best ones (see the module docstring). ``codes``:
    the QIs' leaf codes (``h.encode(df[c])``) when the caller has them."""
    started = time.perf_counter()
    if objective not in OBJECTIVES:
        raise InputError(f"unknown objective '{objective}'; choose one of {', '.join(OBJECTIVES)}")
    if int(top) < 1:
        raise InputError("the number of candidate transformations must be at least 1")
    _check_inputs(df, qis, models, suppression_limit)
    table = EncodedTable(df, qis, models, suppression_limit,
                         task=task.sub(0.0, 0.2) if task is not None else None, codes=codes)
    lattice = Lattice(table.heights)
    lb = _lower_bounds(table, lattice, objective)
    order = np.lexsort((lattice.height_sum, lb))
    status = np.zeros(lattice.size, dtype=np.int8)      # 1 passes monotone models, -1 fails
    evaluated: dict[int, NodeEval] = {}
    # rows an evaluated node must suppress in any specialization (the monotone models' failing
    # rows, or the bound of PrivacyModel.assess) are a floor for all nodes below it; the floor
    # raises their lower bound
    floor = np.zeros(lattice.size, dtype=np.int64)
    # discernibility: Σ size² over all classes only grows when generalizing and bounds the
    # value (a suppressed row costs n ≥ its class size), so a checked node bounds its up-cone
    dm_floor = np.zeros(lattice.size) if objective == "discernibility" else None
    best: list[tuple[float, int, int, Transformation]] = []   # max-heap via negated value

    def bound() -> float:
        if not best or (exact_top and len(best) < top):
            return np.inf
        return -best[0][0] if exact_top else -max(best)[0]

    def evaluate(idx: int, cut: bool = True) -> NodeEval:
        if task is not None:
            task.check()
        ev = table.evaluate(lattice.nodes[idx], cutoff=bound() if cut else None,
                            value=lambda e: _value(e, table, objective))
        evaluated[idx] = ev
        if dm_floor is not None:
            up = lattice.above(idx)
            dm_floor[up] = np.maximum(dm_floor[up], ev.sq_all)
        if ev.prunable_ok and not ev.doomed:
            status[lattice.above(idx) & (status == 0)] = 1
            if ev.forced:
                below = lattice.below(idx)
                floor[below] = np.maximum(floor[below], ev.forced)
        else:
            status[lattice.below(idx)] = -1
        if ev.anonymous:
            value = _value(ev, table, objective)
            item = (-value, -int(lattice.height_sum[idx]), -idx, _transformation(ev, table, value))
            if len(best) < top:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        return ev

    def probe(idx: int) -> None:
        """Flash-style: binary search a path of unknown nodes upward from ``idx``; a
        failing node on it rules out ``idx`` together with its whole cone."""
        path = [idx]
        cur = idx
        while True:
            succ = [s for s in lattice.successors(cur) if status[s] == 0]
            if not succ:
                break
            cur = min(succ, key=lambda s: (lb[s], s))
            path.append(cur)
        lo, hi = 0, len(path) - 1
        # Without suppression the anonymous region is a thin layer at the top, so the top of
        # the path (just below known-anonymous nodes) usually fails, and then one check
        # prunes the largest cone; with suppression bisecting wastes fewer checks.
        top_first = table.limit == 0
        while status[idx] == 0 and lo <= hi:
            mid = hi if top_first else (lo + hi + 1) // 2
            top_first = False
            ev = evaluate(path[mid])
            if ev.prunable_ok and not ev.doomed:
                hi = mid - 1
            else:
                lo = mid + 1

    search_task = task.sub(0.2, 1.0) if task is not None else None
    for pos, idx in enumerate(order):
        idx = int(idx)
        if lb[idx] >= bound():
            break
        if search_task is not None and pos % 16 == 0:
            search_task.report(pos / lattice.size, f"checked {len(evaluated)} transformations")
        if status[idx] < 0:
            continue
        if (floor[idx] or dm_floor is not None) and _raised_bound(
                table, lattice.nodes[idx], lb[idx], floor[idx], objective,
                dm_floor[idx] if dm_floor is not None else 0.0) >= bound():
            continue
        if status[idx] == 0:
            probe(idx)
        if status[idx] > 0 and idx not in evaluated:
            evaluate(idx)
    if len(best) < top:
        # Fewer candidates than asked for: look one level up from the anonymous ones found,
        # cheapest first, where anonymous transformations are likely (as in ARX's explore
        # view, these are generalizations of the optimum).
        queue = sorted((-item[0], -item[2]) for item in best)
        budget = 4 * top
        while queue and len(best) < top and budget > 0:
            _, idx = heapq.heappop(queue)
            for nxt in sorted(lattice.successors(idx), key=lambda i: lb[i]):
                done = evaluated.get(nxt)
                if status[nxt] < 0 or budget <= 0 or (done is not None and not done.cut):
                    continue
                budget -= 1
                ev = evaluate(nxt, cut=False)
                if ev.anonymous:
                    heapq.heappush(queue, (_value(ev, table, objective), nxt))
    if search_task is not None:
        search_task.report(1.0, f"checked {len(evaluated)} transformations")
    ranked = [item[3] for item in sorted(best, reverse=True)]
    stats = SearchStats(lattice.size, len(evaluated), table.entries,
                        time.perf_counter() - started)
    return SearchResult(objective, ranked[0] if ranked else None, ranked, stats)


def apply(df: pd.DataFrame, qis: dict[str, Hierarchy], levels: dict[str, int],
          models: list[PrivacyModel], *, suppression_limit: float = 0.0,
          suppressed: str = "drop", task: TaskState | None = None,
          codes: dict[str, np.ndarray] | None = None) -> AnonymizationResult:
    """Generalize ``df`` to ``levels``, suppress the classes that fail a model and measure
    the models on the result. Raises :class:`PrivacyModelError` if that needs more
    suppression than ``suppression_limit`` allows. ``codes`` as for :func:`search`."""
    if suppressed not in SUPPRESSED_MODES:
        raise InputError(f"suppressed rows must be 'drop' or 'star', not '{suppressed}'")
    _check_inputs(df, qis, models, suppression_limit)
    missing = [c for c in qis if c not in levels]
    if missing:
        raise InputError(f"no generalization level given for {', '.join(missing)}")
    lv = tuple(int(levels[c]) for c in qis)
    for c, h in qis.items():
        if not 0 <= int(levels[c]) < h.height:
            raise InputError(f"'{c}' has levels 0..{h.height - 1}, not {levels[c]}")
    table = EncodedTable(df, qis, models, suppression_limit,
                         task=task.sub(0.0, 0.5) if task is not None else None, codes=codes)
    src, cols, ids, k, sizes = table.classify(lv, from_base=True)
    bad = table.failing(models, src, ids, k, sizes)
    out_rows = int(round(sizes[bad].sum()))
    if out_rows > table.limit:
        raise PrivacyModelError(
            f"these levels leave {out_rows} row(s) in classes that violate the privacy model; "
            f"the suppression limit allows {table.limit}",
            hint="choose a more generalized transformation or raise the suppression limit")
    ev = NodeEval(lv, int(k - bad.sum()), out_rows, True, True, None, None, None)
    table.objective_parts(ev, src, cols, ids, bad, sizes)
    if task is not None:
        task.report(0.6, "generalizing")
    row_bad = bad[ids][table.row_entry]
    data = df.copy()
    for d, (c, h) in enumerate(qis.items()):
        data[c] = pd.Series(h.decode(table.row_codes(d), lv[d]), index=df.index, dtype=object)
    if suppressed == "drop":
        data = data.loc[~row_bad].reset_index(drop=True)
    else:
        data.loc[row_bad, list(qis)] = TOP
    keep = ~bad
    measured: dict[str, float] = {}
    for m in models:
        hist = None
        if m.sensitive is not None:
            hist = table.histogram(m.sensitive, src, ids, k)[keep]
        measured[m.key] = m.measure(sizes[keep], hist, table.refs.get(m.sensitive))
    if task is not None:
        task.report(1.0, "done")
    return AnonymizationResult(
        data=data, suppressed=row_bad, class_sizes=sizes[keep].astype(np.int64),
        measured=measured, levels=dict(zip(qis, lv)),
        loss=loss_from_sums(ev.sums, table.n, table.leaves),
        granularity=granularity_from_sums(ev.sums, table.n, table.leaves),
        suppressed_rows=out_rows)
