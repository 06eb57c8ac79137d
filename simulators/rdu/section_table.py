"""Balanced PCUs and floor chains of distinct sections, shared by every cut set and hardware key of a
kernel graph (issue 17).

A section of a cut (a run of kernels ``first … last``) with a given tile count and TP degree has the
same rows per step in every cut and cut set, so for given lanes, stages and PCU budget the same
units, balanced PCUs (:func:`.mapping.balance_section`) and floor chain (:mod:`.cycle_search`: the
longest path of one-unit steps into a kernel, its ``n_tile`` steps and the longest path out, over the
section's on-chip edges; its kernels' most). :class:`SectionTable` numbers the distinct sections of
every cut set built so far (:meth:`SectionTable.view`) and computes each section once per
``(lanes, stages, budget)`` (:meth:`SectionTable.split`): a new hardware key reuses what the keys
before it computed (ResNet-18: after 100 random designs, ~18 % of a new key's sections are new).
The arithmetic is that of splitting every cut on its own (:func:`.mapping.split_cuts`,
:func:`.cycle_search.cut_floor_terms`) to the bit: ``tests/test_rdu_sections.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, pairwise_sum
from simulators.rdu import mapping as mp
from simulators.rdu.kernels import KernelGraph, unit_work


@dataclass(frozen=True)
class CutView:
    """A cut set in a :class:`SectionTable`'s numbering: ``(C, N)`` the table entry of every cut's kernel
    and the table section in every section slot (``-1``: unused), the distinct table sections, and
    per cut its number of sections and weight bytes per socket (floor terms that do not depend on PCUs)."""

    entry: np.ndarray
    slot: np.ndarray
    sections: np.ndarray
    n_sections: np.ndarray
    weights: np.ndarray


class _Split:
    """One ``(lanes, stages, budget)``'s PCUs per table entry and chain per table section, and which
    sections are computed."""

    def __init__(self) -> None:
        self.pcu = np.ones(0, dtype=np.int64)
        self.chain = np.zeros(0)
        self.done = np.zeros(0, dtype=bool)

    def fit(self, n_entries: int, n_sections: int) -> None:
        """Grow to at least ``n_entries`` entries and ``n_sections`` sections (new ones not computed)."""
        if self.pcu.size < n_entries:
            self.pcu = np.concatenate([self.pcu, np.ones(n_entries - self.pcu.size, dtype=np.int64)])
        if self.done.size < n_sections:
            self.chain = np.concatenate([self.chain, np.zeros(n_sections - self.chain.size)])
            self.done = np.concatenate([self.done, np.zeros(n_sections - self.done.size, dtype=bool)])


class SectionTable:
    """The distinct ``(first, last, n_tile, tp)`` sections of one kernel graph's cut sets, each with its
    kernels as consecutive entries, and per ``(lanes, stages, budget)`` their PCUs and chains."""

    def __init__(self, kg: KernelGraph) -> None:
        self._kg = kg
        self._graph = np.stack([np.asarray(getattr(kg, f), dtype=np.int64) for f in ("kind", "outer", "m", "k", "rows")])
        self._edges = _edges_sorted(kg)
        self._ids: dict[tuple[int, int, int, int], int] = {}
        self._cols = np.zeros((5, 0), dtype=np.int64)     # first, last, n_tile, tp, offset of each section
        self._n_entries = 0
        self._splits: dict[tuple[int, int, int], _Split] = {}

    def view(self, cuts: mp.CutSet, word_bytes: int) -> CutView:
        """``cuts`` in this table's numbering (its sections not seen before added)."""
        sec = cuts.sections
        starts = np.flatnonzero(np.r_[True, sec.sid[1:] != sec.sid[:-1]])
        ends = np.r_[starts[1:], sec.sid.size] - 1
        new: list[tuple[int, int, int, int, int]] = []
        ids = []
        for key in zip(sec.kernel[starts].tolist(), sec.kernel[ends].tolist(), sec.n_tile[starts].tolist(),
                       sec.tp[starts].tolist()):
            g = self._ids.get(key)
            if g is None:
                g = self._ids[key] = self._cols.shape[1] + len(new)
                new.append((*key, self._n_entries))
                self._n_entries += key[1] - key[0] + 1
            ids.append(g)
        if new:
            self._cols = np.concatenate([self._cols, np.array(new, dtype=np.int64).T], axis=1)
        gid = np.array(ids, dtype=np.int64)
        entry_g = gid[sec.sid]
        entry = (self._cols[4, entry_g] + sec.kernel - self._cols[0, entry_g])[sec.at]
        slot = np.full(cuts.section.shape, -1, dtype=np.int64)
        slot[np.arange(len(slot))[:, None], cuts.section] = entry_g[sec.at]
        n_sections = 1 + (cuts.section[:, 1:] != cuts.section[:, :-1]).sum(axis=1)
        weights = (self._kg.weight_elems * float(word_bytes) / cuts.tp).sum(axis=1)
        return CutView(entry, slot, gid, n_sections.astype(float), weights)

    def split(self, view: CutView, lanes: int, stages: int, budget: int) -> tuple[np.ndarray, np.ndarray]:
        """``(C, N)`` balanced PCUs of the cuts of ``view`` for ``lanes``, ``stages`` and PCU ``budget``,
        and ``(C,)`` the sum of each cut's section chains (cycles; :func:`.cycle_search.cut_floor_terms`'
        first row), computing only the sections not computed before for these three."""
        s = self._splits.get(key := (lanes, stages, budget))
        if s is None:
            s = self._splits[key] = _Split()
        s.fit(self._n_entries, self._cols.shape[1])
        todo = view.sections[~s.done[view.sections]]
        if todo.size:
            _fill(np.unique(todo), self._cols, self._graph, lanes, stages, budget, *self._edges, s.pcu, s.chain)
            s.done[todo] = True
        chains = np.empty(len(view.slot))
        _cut_chains(view.slot, s.chain, chains)
        return s.pcu[view.entry], chains


def table(kg: KernelGraph) -> SectionTable:
    """The kernel graph's :class:`SectionTable` (memoised in ``kg.memo``)."""
    if (key := "section table") not in kg.memo:
        kg.memo[key] = SectionTable(kg)
    return kg.memo[key]


def _edges_sorted(kg: KernelGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(E, 2)`` edges (producer, consumer) by consumer and by producer descending, both stable
    (:func:`.cycle.chains`' orders), and ``(3, N + 1)`` positions in them per kernel ``k``: the first
    edge into a kernel ``>= k``, the first out of a kernel ``<= k``, the first out of one ``< k``."""
    edges = np.stack([kg.edge_src, kg.edge_dst], axis=1).astype(np.int64).reshape(-1, 2)
    by_dst, by_src = edges[np.argsort(edges[:, 1], kind="stable")], edges[np.argsort(-edges[:, 0], kind="stable")]
    kernels = np.arange(len(kg) + 1)
    ranges = np.stack([np.searchsorted(by_dst[:, 1], kernels), np.searchsorted(-by_src[:, 0], -kernels),
                       np.searchsorted(-by_src[:, 0], -kernels, side="right")])
    return by_dst, by_src, ranges


@njit(cache=True)
def _fill(todo: np.ndarray, cols: np.ndarray, graph: np.ndarray, lanes: int, stages: int, budget: int,
          by_dst: np.ndarray, by_src: np.ndarray, ranges: np.ndarray, pcu: np.ndarray,
          chain: np.ndarray) -> None:  # pragma: no cover - compiled
    """For each table section ``g`` of ``todo``: its kernels' units and cycles per unit
    (:func:`.kernels.unit_work` at ``⌈rows/n_tile⌉`` rows per step), balanced PCUs
    (:func:`.mapping.balance_section`) into ``pcu`` and its chain into ``chain[g]``: ``head`` along its
    on-chip edges by consumer, ``down`` along them by producer descending, the most of
    ``head + steps + 0 + down`` (:func:`.cycle._chains`' float operations with no transfers; only the
    edges whose consumer, or producer, lies in the run are visited, in the same order: one range of
    ``by_dst`` and of ``by_src``)."""
    kind, outer, m, kk, rows = graph[0], graph[1], graph[2], graph[3], graph[4]
    for g in todo:
        first, last, nt, tp, at = cols[0, g], cols[1, g], cols[2, g], cols[3, g], cols[4, g]
        n = last - first + 1
        units = np.empty(n, dtype=np.int64)
        per_unit = np.empty(n, dtype=np.int64)
        for i in range(n):
            k = first + i
            units[i], per_unit[i] = unit_work(kind[k], outer[k], m[k], kk[k], -(-rows[k] // nt), tp, lanes, stages)
        own = np.ones(n, dtype=np.int64)
        mp.balance_section(units, per_unit, np.arange(n), budget, own)
        pcu[at:at + n] = own
        head = np.zeros(n)
        down = np.zeros(n)
        for e in range(ranges[0, first], ranges[0, last + 1]):
            p, c = by_dst[e, 0], by_dst[e, 1]
            if first <= p <= last and first <= c <= last:
                head[c - first] = maximum(head[c - first], head[p - first] + float(per_unit[p - first]))
        for e in range(ranges[1, last], ranges[2, first]):
            p, c = by_src[e, 0], by_src[e, 1]
            if first <= p <= last and first <= c <= last:
                down[p - first] = maximum(down[p - first], float(per_unit[c - first]) + 0.0 + down[c - first])
        best = 0.0
        for i in range(n):
            steps = float(nt * (-(-units[i] // max(own[i], 1)) * per_unit[i]))
            best = maximum(best, head[i] + steps + 0.0 + down[i])
        chain[g] = best


@njit(cache=True)
def _cut_chains(slot: np.ndarray, chain: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Per cut (row of ``slot``): its section slots' chains (0 where unused) summed as numpy sums a
    C-ordered row (:func:`simulators.common.kernel_math.pairwise_sum`)."""
    row = np.zeros(slot.shape[1])
    for c in range(slot.shape[0]):
        for s in range(slot.shape[1]):
            row[s] = chain[slot[c, s]] if slot[c, s] >= 0 else 0.0
        out[c] = pairwise_sum(row, 0, slot.shape[1])
